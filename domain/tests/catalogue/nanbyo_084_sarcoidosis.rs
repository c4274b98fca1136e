//! サルコイドーシス (指定難病 84): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: 組織診断群 (A・B・Cのいずれか1項目以上、Dの除外 (医師の判断)、E陽性) 又は臨床診断群 (A1項目
/// 以上、B2項目以上、Cの呼吸器・眼・心臓のうち2、Dの除外、E陰性). 重症度: III・IV (スコア合計3以上:
/// 臓器病変数1〜2、治療の必要性0〜2、身体障害0〜2) (2020-03 概要、診断基準等).
#[test]
fn sarcoidosis_84() {
    // 臨床診断群 at each threshold: B 2 of 5, C respiratory and eye (2 of 6); score 1+1+1 = 3.
    let meets = json!({
        "basic.onset_ym": "2017-09", "basic.diagnosis_ym": "2018-02",
        "dx.symptoms": ["eye"], "dx.findings": ["1", "3"],
        "dx.c_respiratory": ["1"], "dx.c_eye": ["1", "4"],
        "dx.c_cardiac_major": [], "dx.c_cardiac_minor": [],
        "dx.differential_excluded": true, "dx.pathology": "2",
        "sev.organ_count": 2, "sev.cardiac_lesion": false,
        "sev.treatment": "1", "sev.disability": "1"
    });
    let tissue = json!({"dx.pathology": "1", "dx.findings": [], "dx.c_respiratory": [],
                        "dx.c_eye": []});
    let d = form(Program::Nanbyo, "84");
    assert_eq!(d.clinical_judgment.len(), 1, "the differential is named");
    run(
        &d,
        vec![
            Case {
                name: "meets: clinical group, score 3",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: clinical group with one B finding",
                items: merge(&meets, json!({"dx.findings": ["1"]})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet: clinical group, one eye finding (eye not suggested)",
                items: merge(&meets, json!({"dx.c_eye": ["1"]})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: clinical group, heart by 1 major and 2 minor signs",
                items: merge(
                    &meets,
                    json!({"dx.c_eye": ["1"], "dx.c_cardiac_major": ["a"],
                           "dx.c_cardiac_minor": ["a", "b"]}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: clinical group, heart by 1 major and 1 minor sign",
                items: merge(
                    &meets,
                    json!({"dx.c_eye": ["1"], "dx.c_cardiac_major": ["a"],
                           "dx.c_cardiac_minor": ["a"]}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet: positive biopsy, the differential not excluded",
                items: merge(
                    &meets,
                    json!({"dx.pathology": "1", "dx.differential_excluded": false}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: tissue group with one A item only",
                items: merge(&meets, tissue.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: tissue group findings with a negative biopsy",
                items: merge(&merge_value(&meets, &tissue), json!({"dx.pathology": "2"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet severity: score 2 (1 + 1 + 0)",
                items: merge(&meets, json!({"sev.disability": "0"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: score 3 (3 organs + 1 + 0)",
                items: merge(&meets, json!({"sev.disability": "0", "sev.organ_count": 3})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: score 3 (cardiac lesion + 0 + 1)",
                items: merge(
                    &meets,
                    json!({"sev.treatment": "0", "sev.cardiac_lesion": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet severity: score 2 (3 organs + 0 + 0)",
                items: merge(
                    &meets,
                    json!({"sev.treatment": "0", "sev.disability": "0", "sev.organ_count": 3}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: score 3 (1 organ + 2 + 0)",
                items: merge(&meets, json!({"sev.treatment": "2", "sev.disability": "0"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "certificate only: score 2 still earns the certificate",
                items: merge(&meets, json!({"sev.disability": "0"})),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "undeterminable: score 1 + 1 known, disability not entered",
                items: merge(&meets, json!({"sev.disability": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.disability"]),
                errors: &["required"],
            },
        ],
    );
}

fn merge_value(base: &serde_json::Value, change: &serde_json::Value) -> serde_json::Value {
    serde_json::to_value(merge(base, change.clone())).expect("an object")
}
