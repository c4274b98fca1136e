//! シャルコー・マリー・トゥース病 (指定難病 10): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: Probable (Definite を含む) = ① 臨床症状 (ア)〜(エ) のうち2項目、かつ ② 神経伝導検査の異常
/// (ア) 正中神経 MCV 38m/s以下、(イ)、(ウ) のうち2項目. 重症度: Barthel Index 85点以下
/// (2020-03 概要、診断基準等).
#[test]
fn charcot_marie_tooth_disease_10() {
    // ① (ア)(イ), ② (ア) at 38 m/s and (ウ); Barthel 85.
    let meets = json!({
        "basic.onset_ym": "2008-04", "basic.diagnosis_ym": "2012-10",
        "dx.weakness_atrophy": true, "dx.sensory": true, "dx.family_history": false,
        "dx.other_features": false,
        "dx.median_not_evoked": false, "dx.median_mcv": 38.0,
        "dx.median_cmap_reduced": false, "dx.other_nerve_abnormal": true,
        "sev.barthel_index": 85
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let mild = v(&meets, json!({"sev.barthel_index": 90}));
    let d = form(Program::Nanbyo, "10");
    assert_eq!(d.clinical_judgment.len(), 1, "the judgment is named");
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
                "meets: ① (ア)(イ), ② MCV 38.0 and (ウ), Barthel 85",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: MCV 38.1, so ② one item only",
                merge(&meets, json!({"dx.median_mcv": 38.1})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: MCV 38.1 with (イ) and (ウ)",
                merge(
                    &meets,
                    json!({"dx.median_mcv": 38.1, "dx.median_cmap_reduced": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: not evoked counts as no (ア)",
                merge(
                    &meets,
                    json!({"dx.median_not_evoked": true, "dx.median_mcv": null}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: not evoked, (イ) and (ウ)",
                merge(
                    &meets,
                    json!({"dx.median_not_evoked": true, "dx.median_mcv": null,
                           "dx.median_cmap_reduced": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: ① one item only",
                merge(&meets, json!({"dx.sensory": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: ① (ウ)(エ)",
                merge(
                    &meets,
                    json!({"dx.weakness_atrophy": false, "dx.sensory": false,
                           "dx.family_history": true, "dx.other_features": true}),
                ),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: ② (ウ) only so far, MCV not entered",
                items: merge(&meets, json!({"dx.median_mcv": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.median_mcv"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: Barthel 86",
                merge(&meets, json!({"sev.barthel_index": 86})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: Barthel 90 still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "does not meet severity: Barthel 90",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: Barthel not entered",
                items: merge(&mild, json!({"sev.barthel_index": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.barthel_index"]),
                errors: &["required"],
            },
        ],
    );
}
