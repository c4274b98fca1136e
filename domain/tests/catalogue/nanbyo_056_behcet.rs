//! ベーチェット病 (指定難病 56): the shipped master's judgment, case by case.

use crate::common::{form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: 完全型 (主症状4項目) 又は不全型 ((a) 主症状3項目、又は主症状2項目と副症状2項目; (b) 定型的
/// 眼症状とその他の主症状1項目、又は副症状2項目). 重症度: Stage II以上 (2020-03 概要、診断基準等).
#[test]
fn behcet_56() {
    let none = json!({
        "basic.onset_ym": "2019-05", "basic.diagnosis_ym": "2020-01",
        "dx.oral_aphthae": false, "dx.skin": false, "dx.eye": false, "dx.genital_ulcer": false,
        "dx.arthritis": false, "dx.epididymitis": false, "dx.gi_lesion": false,
        "dx.vascular_lesion": false, "dx.cns_lesion": false,
        "sev.stage": "2"
    });
    let with =
        |change: serde_json::Value| serde_json::to_value(merge(&none, change)).expect("json");
    let two_main = with(json!({"dx.oral_aphthae": true, "dx.skin": true}));
    let d = form(Program::Nanbyo, "56");
    assert_eq!(d.clinical_judgment.len(), 4, "the judgments are named");
    run(
        &d,
        vec![
            Case {
                name: "meets: 完全型 (four main symptoms), Stage II",
                items: merge(&two_main, json!({"dx.eye": true, "dx.genital_ulcer": true})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: 不全型 (a), three main symptoms without the eye",
                items: merge(&two_main, json!({"dx.genital_ulcer": true})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: two main symptoms and one minor (疑い)",
                items: merge(&two_main, json!({"dx.arthritis": true})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: 不全型 (a), two main symptoms and two minor",
                items: merge(
                    &two_main,
                    json!({"dx.arthritis": true, "dx.gi_lesion": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: 不全型 (b), the eye and one other main symptom",
                items: merge(&none, json!({"dx.eye": true, "dx.genital_ulcer": true})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: the eye and one minor symptom",
                items: merge(&none, json!({"dx.eye": true, "dx.cns_lesion": true})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: 不全型 (b), the eye and two minor symptoms",
                items: merge(
                    &none,
                    json!({"dx.eye": true, "dx.cns_lesion": true, "dx.vascular_lesion": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: one main symptom and four minor, no eye",
                items: merge(
                    &none,
                    json!({"dx.oral_aphthae": true, "dx.arthritis": true, "dx.epididymitis": true,
                           "dx.gi_lesion": true, "dx.vascular_lesion": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet severity: Stage I",
                items: merge(
                    &two_main,
                    json!({"dx.genital_ulcer": true, "sev.stage": "1"}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "certificate only: Stage I still earns the certificate",
                items: merge(
                    &two_main,
                    json!({"dx.genital_ulcer": true, "sev.stage": "1"}),
                ),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: Stage V",
                items: merge(
                    &two_main,
                    json!({"dx.genital_ulcer": true, "sev.stage": "5"}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "undeterminable: two main symptoms, the eye not entered",
                items: merge(&two_main, json!({"dx.eye": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.eye"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: 完全型, the stage not entered",
                items: merge(
                    &two_main,
                    json!({"dx.eye": true, "dx.genital_ulcer": true, "sev.stage": null}),
                ),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.stage"]),
                errors: &["required"],
            },
        ],
    );
}
