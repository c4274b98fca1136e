//! 気管支喘息 (小児慢性特定疾病 慢性呼吸器疾患 告示番号5): the shipped master's judgment, case
//! by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 気管支喘息 (3-5). Diagnosis (小児慢性特定疾病情報センター 診断の手引き 03_02_002, an overall
/// clinical judgment): recurrent paroxysmal airway narrowing with wheeze, cough and expiratory
/// dyspnoea, similar airway and cardiovascular diseases excluded, and the doctor's overall
/// judgment; triggers, allergy history and tests are recorded, not scored. 対象基準 (as restated by
/// 高知市 小児慢性特定疾病 FAQ): 1年以内に大発作が3か月に3回以上, 1年以内に意識障害を伴う大発作,
/// 人工呼吸管理又は挿管, 生物学的製剤 with step 4 uncontrolled on continuous oral steroids, or
/// おおむね1か月以上の長期入院療法 under a full-time paediatrician with a hospital school.
#[test]
fn bronchial_asthma_3_5() {
    let meets = json!({
        "basic.onset_ym": "2021-04", "basic.diagnosis_ym": "2021-09",
        "dx.recurrent_paroxysmal_obstruction": true, "dx.similar_diseases_excluded": true,
        "dx.overall_clinical_diagnosis": true,
        "sev.major_attacks_12m": 5, "sev.major_attacks_max_3m": 3,
        "sev.attack_with_consciousness_disturbance": false, "sev.ventilation_or_intubation": false,
        "sev.biologic": false, "sev.long_term_admission": false
    });
    run(
        &form(Program::Shoman, "3-5"),
        vec![
            Case {
                name: "meets: 3 major attacks in 3 months",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: biologic, uncontrolled at step 4 on oral steroids",
                items: merge(
                    &meets,
                    json!({
                        "sev.major_attacks_12m": 1, "sev.major_attacks_max_3m": 1,
                        "sev.biologic": true, "sev.step4_uncontrolled_oral_steroid": true
                    }),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: long-term admission with paediatrician and hospital school",
                items: merge(
                    &meets,
                    json!({
                        "sev.major_attacks_max_3m": 1, "sev.long_term_admission": true,
                        "sev.admission_pediatrician_supervised": true,
                        "sev.admission_school_attached": true
                    }),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: similar diseases not excluded",
                items: merge(&meets, json!({"dx.similar_diseases_excluded": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet severity: 2 major attacks in 3 months, nothing else",
                items: merge(&meets, json!({"sev.major_attacks_max_3m": 2})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet severity: biologic while controlled at step 4",
                items: merge(
                    &meets,
                    json!({
                        "sev.major_attacks_max_3m": 2, "sev.biologic": true,
                        "sev.step4_uncontrolled_oral_steroid": false
                    }),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "undeterminable: long-term admission, hospital school not entered",
                items: merge(
                    &meets,
                    json!({
                        "sev.major_attacks_max_3m": 2, "sev.long_term_admission": true,
                        "sev.admission_pediatrician_supervised": true
                    }),
                ),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.admission_school_attached"]),
                errors: &["required"],
            },
            Case {
                name: "consistency: onset after diagnosis",
                items: merge(&meets, json!({"basic.onset_ym": "2021-10"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["onset_after_diagnosis"],
            },
            Case {
                name: "consistency: attack with impaired consciousness but no major attack",
                items: merge(
                    &meets,
                    json!({
                        "sev.major_attacks_12m": 0, "sev.major_attacks_max_3m": 0,
                        "sev.attack_with_consciousness_disturbance": true
                    }),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["conscious_attack_without_major_attack"],
            },
            Case {
                name: "consistency: more major attacks in 3 months than in the year",
                items: merge(
                    &meets,
                    json!({"sev.major_attacks_12m": 2, "sev.major_attacks_max_3m": 4}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["attacks_3m_exceed_year"],
            },
        ],
    );
    let j = form(Program::Shoman, "3-5").judge(&entered(meets), Purpose::Subsidy);
    assert_eq!(
        j.filled.get("sev.meets_severity"),
        Some(&json!(true)),
        "severity auto-filled"
    );
}
