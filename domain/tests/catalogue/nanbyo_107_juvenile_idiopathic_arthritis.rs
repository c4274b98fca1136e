//! 若年性特発性関節炎 (指定難病 107): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 全身型: Definite (A1 16歳の誕生日以前・6週間以上の関節炎と2週間以上の弛張熱, A2 a–d の1つ以上,
/// A3 乾癬なし) and 重症例 (3 items, any). 関節型: Definite・Probable (A1, B1 HLA-B27陰性, C 鑑別;
/// 少関節炎 (発症6か月以内1~4か所) は RF 陰性, 多関節炎 (5か所以上) は RF 陰性又は3か月以上おいて2回以上陽性)
/// and 寛解基準を満たさず JADAS-27 2.1以上又は mRS 3以上 (2020-03 概要、診断基準等).
#[test]
fn juvenile_idiopathic_arthritis_107_systemic() {
    let meets = json!({
        "basic.onset_ym": "2020-07", "basic.diagnosis_ym": "2020-09",
        "dx.subtype": "systemic", "dx.onset_before_16": true, "dx.arthritis_weeks": 6,
        "dx.fever_weeks": 2, "dx.typical_rash": false, "dx.lymphadenopathy": true,
        "dx.hepatosplenomegaly": false, "dx.serositis": false, "dx.no_psoriasis": true,
        "sev.steroid_dependent": true, "sev.recurrent_mas": false,
        "sev.refractory_arthritis": false
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let not_severe = v(&meets, json!({"sev.steroid_dependent": false}));
    let d = form(Program::Nanbyo, "107");
    assert_eq!(d.clinical_judgment.len(), 3, "the judgments are named");
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
                "meets: arthritis 6 weeks, fever 2 weeks, lymphadenopathy, steroid-dependent",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: arthritis 5 weeks",
                merge(&meets, json!({"dx.arthritis_weeks": 5})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: fever 1 week",
                merge(&meets, json!({"dx.fever_weeks": 1})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: none of A2 a–d",
                merge(&meets, json!({"dx.lymphadenopathy": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: serositis as the A2 sign",
                merge(
                    &meets,
                    json!({"dx.lymphadenopathy": false, "dx.serositis": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: psoriasis in the family",
                merge(&meets, json!({"dx.no_psoriasis": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: onset after the 16th birthday",
                merge(&meets, json!({"dx.onset_before_16": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: the fever's duration not entered",
                items: merge(&meets, json!({"dx.fever_weeks": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.fever_weeks"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: none of the 重症例 items",
                entered(not_severe.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: not 重症例 still earns the certificate",
                items: entered(not_severe.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: recurrent macrophage activation syndrome",
                merge(&not_severe, json!({"sev.recurrent_mas": true})),
                Outcome::Meets,
            ),
        ],
    );
}

#[test]
fn juvenile_idiopathic_arthritis_107_articular() {
    // 持続型少関節炎, Probable (no B4), not in remission, JADAS-27 2.1.
    let meets = json!({
        "basic.onset_ym": "2019-03", "basic.diagnosis_ym": "2019-06",
        "dx.subtype": "articular", "dx.onset_before_16": true, "dx.arthritis_weeks": 8,
        "dx.joints_first_6m": 4, "dx.joints_total": 4, "dx.hla_b27": "negative",
        "dx.rf": "negative", "dx.imaging_arthritis": false, "dx.differential_excluded": true,
        "sev.no_active_arthritis": false, "sev.no_active_uveitis": true,
        "sev.inflammation_normal": true, "sev.morning_stiffness_short": true,
        "sev.jadas27": 2.1, "sev.mrs": "1"
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let low = v(&meets, json!({"sev.jadas27": 2.0}));
    let d = form(Program::Nanbyo, "107");
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
                "meets: 持続型少関節炎 Probable, JADAS-27 2.1",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "meets: 進展型少関節炎 (3 joints, 6 later), Definite",
                merge(
                    &meets,
                    json!({"dx.joints_first_6m": 3, "dx.joints_total": 6,
                           "dx.imaging_arthritis": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: RF 陽性多関節炎 (5 joints in 6 months, RF twice positive)",
                merge(
                    &meets,
                    json!({"dx.joints_first_6m": 5, "dx.joints_total": 7,
                           "dx.rf": "positive_twice"}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: RF twice positive with 4 joints (少関節炎 needs RF 陰性)",
                merge(&meets, json!({"dx.rf": "positive_twice"})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: 多関節炎 with RF positive once only",
                merge(
                    &meets,
                    json!({"dx.joints_first_6m": 5, "dx.rf": "positive_other"}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: 持続型少関節炎 with one inflamed joint",
                merge(
                    &meets,
                    json!({"dx.joints_first_6m": 1, "dx.joints_total": 1}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: no inflamed joint in the first 6 months",
                merge(&meets, json!({"dx.joints_first_6m": 0})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: HLA-B27 positive",
                merge(&meets, json!({"dx.hla_b27": "positive"})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: arthritis 6 weeks",
                merge(&meets, json!({"dx.arthritis_weeks": 6})),
                Outcome::Meets,
            ),
            case(
                "does not meet: arthritis 5 weeks",
                merge(&meets, json!({"dx.arthritis_weeks": 5})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: the differential not excluded",
                merge(&meets, json!({"dx.differential_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: HLA-B27 not entered",
                items: merge(&meets, json!({"dx.hla_b27": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.hla_b27"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: JADAS-27 2.0, mRS 2",
                merge(&low, json!({"sev.mrs": "2"})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: JADAS-27 2.0 still earns the certificate",
                items: entered(low.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: JADAS-27 2.0, mRS 3",
                merge(&low, json!({"sev.mrs": "3"})),
                Outcome::Meets,
            ),
            case(
                "does not meet: in remission (all four for 6 months), JADAS-27 2.1",
                merge(&meets, json!({"sev.no_active_arthritis": true})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: JADAS-27 not entered, mRS 1",
                items: merge(&meets, json!({"sev.jadas27": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.jadas27"]),
                errors: &["required"],
            },
        ],
    );
}
