//! 強直性脊椎炎 (指定難病 271): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: Definite (ニューヨーク改訂基準) = 臨床症状 a) (3か月以上), b) (Schober 5cm以下), c) (胸郭拡張
/// 2.5cm以下) の1項目以上 + X線所見 (両側 2度以上又は一側 3度以上), 鑑別診断を除外. 重症度: BASDAI 4以上
/// かつ CRP 1.5mg/dL以上、BASMI 5以上 (計測値から)、連続する2椎間以上の強直、末梢関節炎又はぶどう膜炎
/// (2020-03 概要、診断基準等).
#[test]
fn ankylosing_spondylitis_271() {
    // a) for 3 months, b) and c) not met; SIJ 2度 both sides; BASDAI 4.0 with CRP 1.5; BASMI 0.
    let meets = json!({
        "basic.onset_ym": "2015-04", "basic.diagnosis_ym": "2020-08",
        "dx.inflammatory_back_pain": true, "dx.back_pain_months": 3,
        "dx.schober_cm": 5.1, "dx.chest_expansion_cm": 2.6,
        "dx.sij_right": "2", "dx.sij_left": "2", "dx.differential_excluded": true,
        "sev.basdai": 4.0, "sev.crp": 1.5,
        "sev.basmi_tragus_wall_cm": 14.9, "sev.basmi_lumbar_flexion_cm": 4.1,
        "sev.basmi_cervical_rotation_deg": 70.1, "sev.basmi_lumbar_side_flexion_cm": 10.1,
        "sev.basmi_intermalleolar_cm": 100.1,
        "sev.ankylosed_consecutive_levels": 1,
        "sev.destructive_peripheral_arthritis": false, "sev.refractory_uveitis": false
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let mild = v(&meets, json!({"sev.basdai": 3.9}));
    // Every BASMI measurement at its 1-point boundary: 5 points.
    let basmi5 = v(
        &mild,
        json!({"sev.basmi_tragus_wall_cm": 15.0, "sev.basmi_lumbar_flexion_cm": 4.0,
               "sev.basmi_cervical_rotation_deg": 70.0, "sev.basmi_lumbar_side_flexion_cm": 10.0,
               "sev.basmi_intermalleolar_cm": 100.0}),
    );
    // A 30.1 (2), B 1.9 (2), D 5.0 (1), C and E 0: 5 points.
    let basmi5_twos = v(
        &mild,
        json!({"sev.basmi_tragus_wall_cm": 30.1, "sev.basmi_lumbar_flexion_cm": 1.9,
               "sev.basmi_lumbar_side_flexion_cm": 5.0}),
    );
    let d = form(Program::Nanbyo, "271");
    assert_eq!(d.clinical_judgment.len(), 2, "the judgments are named");
    let case = |name: &'static str, items, outcome| Case {
        name,
        items,
        purpose: Purpose::Subsidy,
        outcome,
        errors: &[],
    };
    run(
        &d,
        vec![
            case(
                "meets: a) for 3 months, SIJ 2度 both sides, BASDAI 4.0 and CRP 1.5",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: a) for 2 months only, no b) or c)",
                merge(&meets, json!({"dx.back_pain_months": 2})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: no clinical symptom (Possible b)",
                merge(
                    &meets,
                    json!({"dx.inflammatory_back_pain": false, "dx.back_pain_months": null}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: b) Schober 5.0 cm",
                merge(
                    &meets,
                    json!({"dx.inflammatory_back_pain": false, "dx.back_pain_months": null,
                           "dx.schober_cm": 5.0}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: c) chest expansion 2.5 cm",
                merge(
                    &meets,
                    json!({"dx.inflammatory_back_pain": false, "dx.back_pain_months": null,
                           "dx.chest_expansion_cm": 2.5}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: SIJ 2度 on one side only",
                merge(&meets, json!({"dx.sij_left": "1"})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: SIJ 3度 on one side",
                merge(&meets, json!({"dx.sij_right": "3", "dx.sij_left": "0"})),
                Outcome::Meets,
            ),
            case(
                "does not meet: no X-ray finding (Possible a)",
                merge(
                    &meets,
                    json!({"dx.sij_right": "1", "dx.sij_left": "1", "dx.schober_cm": 5.0,
                           "dx.chest_expansion_cm": 2.5}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: the differential not excluded",
                merge(&meets, json!({"dx.differential_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: the duration of a) not entered",
                items: merge(&meets, json!({"dx.back_pain_months": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.back_pain_months"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: BASDAI 3.9",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: not severe still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "does not meet severity: CRP 1.4",
                merge(&meets, json!({"sev.crp": 1.4})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: BASMI 5 (every measurement at its 1-point bound)",
                entered(basmi5.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: BASMI 4 (E 100.1 cm)",
                merge(&basmi5, json!({"sev.basmi_intermalleolar_cm": 100.1})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: BASMI 5 with two 2-point measurements",
                entered(basmi5_twos.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: BASMI 4 (A 30.0 cm is 1 point)",
                merge(&basmi5_twos, json!({"sev.basmi_tragus_wall_cm": 30.0})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: BASMI 4 (B 2.0 cm is 1 point)",
                merge(&basmi5_twos, json!({"sev.basmi_lumbar_flexion_cm": 2.0})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: BASMI 5 from C 19.9° and E 69.9 cm with D 10.0 cm",
                merge(
                    &mild,
                    json!({"sev.basmi_cervical_rotation_deg": 19.9,
                           "sev.basmi_intermalleolar_cm": 69.9,
                           "sev.basmi_lumbar_side_flexion_cm": 10.0}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: BASMI 4 (C 20.0° is 1 point)",
                merge(
                    &mild,
                    json!({"sev.basmi_cervical_rotation_deg": 20.0,
                           "sev.basmi_intermalleolar_cm": 69.9,
                           "sev.basmi_lumbar_side_flexion_cm": 10.0}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: BASMI 4 (A 15.0 cm 1, D 4.9 cm 2, E 70.0 cm 1)",
                merge(
                    &mild,
                    json!({"sev.basmi_tragus_wall_cm": 15.0,
                           "sev.basmi_lumbar_side_flexion_cm": 4.9,
                           "sev.basmi_intermalleolar_cm": 70.0}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: BASMI 5 (A 15.0 cm 1, D 4.9 cm 2, E 69.9 cm 2)",
                merge(
                    &mild,
                    json!({"sev.basmi_tragus_wall_cm": 15.0,
                           "sev.basmi_lumbar_side_flexion_cm": 4.9,
                           "sev.basmi_intermalleolar_cm": 69.9}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: ankylosis over 2 consecutive levels",
                merge(&mild, json!({"sev.ankylosed_consecutive_levels": 2})),
                Outcome::Meets,
            ),
            case(
                "meets: destructive peripheral arthritis",
                merge(&mild, json!({"sev.destructive_peripheral_arthritis": true})),
                Outcome::Meets,
            ),
            case(
                "meets: refractory anterior uveitis",
                merge(&mild, json!({"sev.refractory_uveitis": true})),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: CRP not entered, BASDAI 4.0 and nothing else",
                items: merge(&meets, json!({"sev.crp": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.crp"]),
                errors: &["required"],
            },
            Case {
                name: "meets: CRP not entered but BASMI 5",
                items: merge(&basmi5, json!({"sev.crp": null})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["required"],
            },
        ],
    );
}
