//! 2型糖尿病 (小児慢性特定疾病 糖尿病 告示番号6): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 2型糖尿病 (7-6). Diagnosis (小児慢性特定疾病情報センター 診断の手引き 07_01_002, with the 糖尿病
/// criteria of the 指定医研修資料 and 日本糖尿病学会 2012): 糖尿病型 blood glucose (空腹時 126,
/// OGTT 1.75g/kg 2時間値 200, 随時 200 mg/dL以上) with HbA1c 6.5%以上 in the same sample, or with
/// typical symptoms or certain retinopathy, or 糖尿病型 confirmed again on another day; and 膵島関連
/// 自己抗体 negative. 対象基準 (same 手引き): 治療でインスリンその他の糖尿病治療薬又はIGF-1のうち
/// 一つ以上; 食事療法、生活指導のみは対象外.
#[test]
fn type_2_diabetes_7_6() {
    let meets = json!({
        "basic.onset_ym": "2023-05", "basic.diagnosis_ym": "2023-06",
        "dx.fasting_glucose": 142, "dx.hba1c": 7.4, "dx.islet_autoantibodies": "negative",
        "sev.treatment": ["other_antidiabetic"]
    });
    run(
        &form(Program::Shoman, "7-6"),
        vec![
            Case {
                name: "meets: fasting glucose and HbA1c diabetic in one sample, oral drug",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: random glucose with typical symptoms, insulin",
                items: merge(
                    &meets,
                    json!({
                        "dx.fasting_glucose": null, "dx.hba1c": null, "dx.random_glucose": 320,
                        "dx.typical_symptoms": true, "sev.treatment": ["insulin"]
                    }),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: islet autoantibodies positive",
                items: merge(&meets, json!({"dx.islet_autoantibodies": "positive"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: no value of the diabetic type",
                items: merge(
                    &meets,
                    json!({
                        "dx.fasting_glucose": 110, "dx.ogtt_2h_glucose": 150,
                        "dx.random_glucose": 140, "dx.hba1c": 6.0, "dx.typical_symptoms": false,
                        "dx.diabetic_retinopathy": false, "dx.retest_confirmed": false
                    }),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet severity: diet and lifestyle guidance only",
                items: merge(&meets, json!({"sev.treatment": ["diet_lifestyle_only"]})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "undeterminable: glucose diabetic, HbA1c and confirmations not entered",
                items: merge(&meets, json!({"dx.hba1c": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&[
                    "dx.diabetic_retinopathy",
                    "dx.hba1c",
                    "dx.retest_confirmed",
                    "dx.typical_symptoms",
                ]),
                errors: &[],
            },
            Case {
                name: "consistency: onset after diagnosis",
                items: merge(&meets, json!({"basic.onset_ym": "2023-07"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["onset_after_diagnosis"],
            },
            Case {
                name: "consistency: diet only together with insulin",
                items: merge(
                    &meets,
                    json!({"sev.treatment": ["diet_lifestyle_only", "insulin"]}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["diet_only_with_drug"],
            },
            Case {
                name: "auto-fill: an entered severity that contradicts the treatment",
                items: merge(&meets, json!({"sev.meets_severity": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["derived_mismatch"],
            },
        ],
    );
    let j = form(Program::Shoman, "7-6").judge(&entered(meets), Purpose::Subsidy);
    assert_eq!(
        j.filled.get("sev.meets_severity"),
        Some(&json!(true)),
        "severity auto-filled"
    );
}
