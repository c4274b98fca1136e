//! 悪性関節リウマチ (指定難病 46): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: ACR/EULAR 関節リウマチ分類基準 2010年 (6点以上) を満たし、(1) 臨床症状 (1)〜(10) の3項目以上、
/// 又は (2) 臨床症状1項目以上と組織所見; 鑑別診断の除外. 重症度: 3度以上 (2020-03 概要、診断基準等).
#[test]
fn malignant_rheumatoid_arthritis_46() {
    // (1): three clinical items ((1), (3), (9)), RA score at the threshold; 3度.
    let meets = json!({
        "basic.onset_ym": "2015-09", "basic.diagnosis_ym": "2021-03",
        "dx.ra_2010_score": 6,
        "dx.polyneuritis": true, "dx.skin_ulcer_gangrene": false,
        "dx.subcutaneous_nodules": true, "dx.episcleritis_iritis": false,
        "dx.pleuritis_pericarditis": false, "dx.myocarditis": false,
        "dx.interstitial_pneumonia": false, "dx.organ_infarction": false,
        "dx.high_rf": true, "dx.low_complement_immune_complex": false,
        "dx.histology": false, "dx.differential_excluded": true,
        "sev.grade": "3"
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let two = v(&meets, json!({"dx.high_rf": false}));
    let d = form(Program::Nanbyo, "46");
    assert_eq!(d.clinical_judgment.len(), 4, "the judgments are named");
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
                "meets: 3 clinical items, RA score 6, 3度",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: RA score 5 (not classified as RA)",
                merge(&meets, json!({"dx.ra_2010_score": 5})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: 2 clinical items without histology",
                entered(two.clone()),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: 3 clinical items with (10) as the third",
                merge(&two, json!({"dx.low_complement_immune_complex": true})),
                Outcome::Meets,
            ),
            case(
                "meets: (2) one clinical item and the histology",
                merge(
                    &two,
                    json!({"dx.polyneuritis": false, "dx.histology": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: the histology without any clinical item",
                merge(
                    &two,
                    json!({"dx.polyneuritis": false, "dx.subcutaneous_nodules": false,
                           "dx.histology": true}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: the differential not excluded",
                merge(&meets, json!({"dx.differential_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: 2 clinical items, (8) not entered",
                items: merge(&two, json!({"dx.organ_infarction": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.organ_infarction"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: the RA score not entered",
                items: merge(&meets, json!({"dx.ra_2010_score": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.ra_2010_score"]),
                errors: &["required"],
            },
            Case {
                name: "invalid: an RA score above 10",
                items: merge(&meets, json!({"dx.ra_2010_score": 11})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.ra_2010_score"]),
                errors: &["out_of_range"],
            },
            case(
                "does not meet severity: 2度",
                merge(&meets, json!({"sev.grade": "2"})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: 2度 still earns the certificate",
                items: merge(&meets, json!({"sev.grade": "2"})),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: 5度",
                merge(&meets, json!({"sev.grade": "5"})),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: the grade not entered",
                items: merge(&meets, json!({"sev.grade": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.grade"]),
                errors: &["required"],
            },
        ],
    );
}
