//! 微小変化型ネフローゼ症候群 (小児慢性特定疾病 慢性腎疾患 告示番号24): the shipped master's
//! judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 微小変化型ネフローゼ症候群 (2-24). Diagnosis (小児慢性特定疾病情報センター 診断の手引き
/// 02_01_003): nephrotic syndrome by 診断基準1 (ISKDC: 夜間蓄尿で尿蛋白 40mg/時/m2以上 or 早朝尿
/// UPCR 2.0g/gCr以上, and 血清アルブミン 2.5g/dL以下) or 診断基準2 (厚生省研究班: 持続する蛋白尿
/// and 低蛋白血症 by age: 総蛋白 幼児・学童 6.0 / 乳児 5.5 g/dL以下 or アルブミン 3.0 / 2.5 g/dL以下),
/// and 蛋白尿 disappearing within 4 weeks of steroids, or a steroid-resistant case with a renal biopsy
/// showing minimal change. 対象基準 (ネフローゼ症候群 区分, 診断の手引き 02_01_007): 半年間で3回以上
/// or 1年間に4回以上の再発, 免疫抑制薬又は生物学的製剤, ステロイド抵抗性で4週間後も尿蛋白
/// 100mg/dL以上 or 1g/日以上 and アルブミン 3.0g/dL未満, or 腎移植.
#[test]
fn minimal_change_nephrotic_syndrome_2_24() {
    let meets = json!({
        "basic.onset_ym": "2022-03", "basic.diagnosis_ym": "2022-04", "basic.age_group": "child",
        "dx.morning_upcr": 3.5, "dx.serum_albumin": 1.8, "dx.steroid_response": "remission_4w",
        "sev.relapses_6m": 3, "sev.relapses_12m": 4,
        "sev.immunosuppressant_or_biologic": false, "sev.kidney_transplant": false
    });
    run(
        &form(Program::Shoman, "2-24"),
        vec![
            Case {
                name: "meets: ISKDC criteria, steroid-sensitive, 3 relapses in half a year",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: 厚生省研究班 criteria in an infant (総蛋白 5.0)",
                items: merge(
                    &meets,
                    json!({
                        "basic.age_group": "infant", "dx.morning_upcr": null, "dx.serum_albumin": 2.8,
                        "dx.jsk_persistent_proteinuria": true, "dx.serum_total_protein": 5.0
                    }),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: steroid-resistant, biopsy minimal change, proteinuria after 4 weeks",
                items: merge(
                    &meets,
                    json!({
                        "dx.steroid_response": "resistant", "dx.biopsy_minimal_change": true,
                        "sev.relapses_6m": 0, "sev.relapses_12m": 0,
                        "sev.after4w_urine_protein_mg_dl": 300, "sev.after4w_albumin": 2.4
                    }),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: albumin 3.2, no 厚生省研究班 proteinuria",
                items: merge(
                    &meets,
                    json!({"dx.serum_albumin": 3.2, "dx.jsk_persistent_proteinuria": false}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet severity: 2 relapses in half a year, 3 in a year, no other",
                items: merge(&meets, json!({"sev.relapses_6m": 2, "sev.relapses_12m": 3})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet severity: steroid-resistant but albumin 3.0 after 4 weeks",
                items: merge(
                    &meets,
                    json!({
                        "dx.steroid_response": "resistant", "dx.biopsy_minimal_change": true,
                        "sev.relapses_6m": 0, "sev.relapses_12m": 0,
                        "sev.after4w_urine_protein_mg_dl": 300, "sev.after4w_albumin": 3.0
                    }),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "undeterminable: relapses in a year not entered",
                items: merge(
                    &meets,
                    json!({"sev.relapses_6m": 2, "sev.relapses_12m": null}),
                ),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.relapses_12m"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: steroid-resistant, biopsy not entered",
                items: merge(&meets, json!({"dx.steroid_response": "resistant"})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.biopsy_minimal_change"]),
                errors: &["required", "required", "required"],
            },
            Case {
                name: "consistency: onset after diagnosis",
                items: merge(&meets, json!({"basic.onset_ym": "2022-05"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["onset_after_diagnosis"],
            },
            Case {
                name: "consistency: more relapses in half a year than in a year",
                items: merge(&meets, json!({"sev.relapses_6m": 3, "sev.relapses_12m": 2})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["relapses_half_year_exceed_year"],
            },
            Case {
                name: "consistency: steroid-resistance values for a steroid-sensitive case",
                items: merge(&meets, json!({"sev.after4w_albumin": 2.5})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["after_steroid_values_without_resistance"],
            },
        ],
    );
    let j = form(Program::Shoman, "2-24").judge(&entered(meets), Purpose::Subsidy);
    assert_eq!(
        j.filled.get("sev.meets_severity"),
        Some(&json!(true)),
        "severity auto-filled"
    );
}
