//! 成長ホルモン(GH)分泌不全性低身長症(脳の器質的原因によるものに限る。) (小児慢性特定疾病
//! 内分泌疾患 告示番号46): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// GH分泌不全性低身長症, organic brain cause (5-46). Diagnosis (間脳下垂体機能障害の診断と治療の
/// 手引き 平成30年度改訂, D-1 小児, Definite): ① 成長障害 (身長 -2.0SD以下 or 成長速度 2年以上
/// -1.5SD以下) with 2 stimulation tests at or below the cut-off (GH 頂値 6ng/mL, GHRP-2 16ng/mL), or
/// ② 乳幼児の症候性低血糖 with 1 test, or ① and ③ (頭蓋内器質性疾患や他の下垂体ホルモン分泌不全)
/// with 1 test; no GH-suppressing drug; and, for this 告示 disease, a brain organic cause.
/// 対象基準 (告示, 令和6年4月1日から成長ホルモン基準なし): 治療で補充療法、機能抑制療法その他の
/// 薬物療法を行っている場合. The 告示番号 46 comes from the 2018 MHLW list (see the master).
#[test]
fn gh_deficiency_organic_5_46() {
    let meets = json!({
        "basic.onset_ym": "2020-01", "basic.diagnosis_ym": "2021-06",
        "dx.height_sds": -2.6, "dx.intracranial_or_other_pituitary": true,
        "dx.gh_tests_low": ["arginine"], "dx.no_gh_suppressing_drug": true,
        "dx.brain_organic_cause": true, "sev.drug_therapy": ["gh_replacement"]
    });
    run(
        &form(Program::Shoman, "5-46"),
        vec![
            Case {
                name: "meets: growth failure, intracranial disease, one test (Definite 3)",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: slow growth velocity instead of height, two tests",
                items: merge(
                    &meets,
                    json!({
                        "dx.height_sds": -1.5, "dx.growth_velocity_low_2y": true,
                        "dx.gh_tests_low": ["insulin", "ghrp2"],
                        "sev.drug_therapy": ["gh_replacement", "other_hormone_replacement"]
                    }),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: no growth failure, no hypoglycaemia",
                items: merge(
                    &meets,
                    json!({
                        "dx.height_sds": -1.2, "dx.growth_velocity_low_2y": false,
                        "dx.infant_symptomatic_hypoglycemia": false
                    }),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: no brain organic cause (the other 告示 disease)",
                items: merge(&meets, json!({"dx.brain_organic_cause": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: a GH-suppressing drug is given",
                items: merge(&meets, json!({"dx.no_gh_suppressing_drug": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet severity: no drug therapy",
                items: merge(&meets, json!({"sev.drug_therapy": ["none"]})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "undeterminable: height not entered",
                items: merge(
                    &meets,
                    json!({
                        "dx.height_sds": null, "dx.growth_velocity_low_2y": false,
                        "dx.infant_symptomatic_hypoglycemia": false
                    }),
                ),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.height_sds"]),
                errors: &["required"],
            },
            Case {
                name: "consistency: onset after diagnosis",
                items: merge(&meets, json!({"basic.onset_ym": "2021-07"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["onset_after_diagnosis"],
            },
            Case {
                name: "consistency: brain organic cause without the intracranial finding",
                items: merge(
                    &meets,
                    json!({
                        "dx.intracranial_or_other_pituitary": false,
                        "dx.infant_symptomatic_hypoglycemia": false
                    }),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &["organic_cause_without_intracranial_finding"],
            },
            Case {
                name: "consistency: no drug therapy together with GH replacement",
                items: merge(
                    &meets,
                    json!({"sev.drug_therapy": ["none", "gh_replacement"]}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["no_therapy_with_therapy"],
            },
            Case {
                name: "type: a stimulation test that is not a choice",
                items: merge(
                    &meets,
                    json!({
                        "dx.gh_tests_low": ["growth_hormone_releasing_hormone"],
                        "dx.infant_symptomatic_hypoglycemia": false
                    }),
                ),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.gh_tests_low"]),
                errors: &["invalid_type"],
            },
        ],
    );
    let j = form(Program::Shoman, "5-46").judge(&entered(meets), Purpose::Subsidy);
    assert_eq!(
        j.filled.get("sev.meets_severity"),
        Some(&json!(true)),
        "severity auto-filled"
    );
}
