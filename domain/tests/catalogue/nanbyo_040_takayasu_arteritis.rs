//! 高安動脈炎 (指定難病 40): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: Definite = A (症状 1〜9) のうち1項目以上 + B 画像検査所見、C 鑑別診断の除外.
/// 重症度: 高安動脈炎の重症度分類 III度以上 (2020-03 概要、診断基準等).
#[test]
fn takayasu_arteritis_40() {
    // One A item (A-5 上肢症状) and the imaging; III度.
    let meets = json!({
        "basic.onset_ym": "2023-02", "basic.diagnosis_ym": "2023-06",
        "dx.a1_systemic": false, "dx.a2_pain": false, "dx.a3_eye": false,
        "dx.a4_head_neck": false, "dx.a5_upper_limb": true, "dx.a6_lower_limb": false,
        "dx.a7_chest": false, "dx.a8_abdomen": false, "dx.a9_skin": false,
        "dx.imaging": true, "dx.differential_excluded": true,
        "sev.grade": "3"
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let no_symptom = v(&meets, json!({"dx.a5_upper_limb": false}));
    let d = form(Program::Nanbyo, "40");
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
                "meets: A-5 and B, III度",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: no A item",
                entered(no_symptom.clone()),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: A-9 only (the last item counts)",
                merge(&no_symptom, json!({"dx.a9_skin": true})),
                Outcome::Meets,
            ),
            case(
                "meets: A-1 only",
                merge(&no_symptom, json!({"dx.a1_systemic": true})),
                Outcome::Meets,
            ),
            case(
                "does not meet: symptoms without the imaging",
                merge(&meets, json!({"dx.imaging": false, "dx.a2_pain": true})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: the differential not excluded",
                merge(&meets, json!({"dx.differential_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: no A item so far, A-8 not entered",
                items: merge(&no_symptom, json!({"dx.a8_abdomen": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.a8_abdomen"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: the imaging not entered",
                items: merge(&meets, json!({"dx.imaging": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.imaging"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: II度",
                merge(&meets, json!({"sev.grade": "2"})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: II度 still earns the certificate",
                items: merge(&meets, json!({"sev.grade": "2"})),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "does not meet severity: I度",
                merge(&meets, json!({"sev.grade": "1"})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: V度",
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
            Case {
                name: "invalid: a grade the table does not have",
                items: merge(&meets, json!({"sev.grade": "6"})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.grade"]),
                errors: &["invalid_type"],
            },
        ],
    );
}
