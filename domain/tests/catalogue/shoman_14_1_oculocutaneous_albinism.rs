//! 眼皮膚白皮症 (小児慢性特定疾病 皮膚疾患群 告示番号1): the shipped master's judgment, case by
//! case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 眼皮膚白皮症 (14-1). Diagnosis (小児慢性特定疾病情報センター 診断の手引き 14_01_001, 2014): the
/// 手引き describes the typical picture (出生時より皮膚、毛髪、眼のメラニン合成が低下ないし消失)
/// without a combination rule; the doctor attests it (clinical judgment). 対象基準 (same 手引き):
/// ア 全身性白皮症又は眼皮膚白皮症 and イ 症候型眼皮膚白皮症(チェディアック・東症候群及びグリセリ
/// 症候群)でないこと.
#[test]
fn oculocutaneous_albinism_14_1() {
    let meets = json!({
        "basic.onset_ym": "2021-03", "basic.diagnosis_ym": "2021-09",
        "dx.congenital_melanin_deficiency": true, "dx.eye_symptoms": true,
        "dx.genotype": "oca", "sev.syndromic_chs_griscelli": false
    });
    run(
        &form(Program::Shoman, "14-1"),
        vec![
            Case {
                name: "meets: non-syndromic OCA",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: Hermansky-Pudlak is not excluded by イ",
                items: merge(
                    &meets,
                    json!({"dx.genotype": "hps", "dx.bleeding_tendency": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: recorded findings absent change nothing",
                items: merge(
                    &meets,
                    json!({"dx.eye_symptoms": false, "dx.genotype": null}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet severity: Chediak-Higashi or Griscelli (イ)",
                items: merge(
                    &meets,
                    json!({"sev.syndromic_chs_griscelli": true, "dx.silver_hair": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "registrant certificate: a syndromic form still has the diagnosis",
                items: merge(&meets, json!({"sev.syndromic_chs_griscelli": true})),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: no congenital melanin deficiency",
                items: merge(&meets, json!({"dx.congenital_melanin_deficiency": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "undeterminable: the diagnostic finding not entered",
                items: merge(&meets, json!({"dx.congenital_melanin_deficiency": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.congenital_melanin_deficiency"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: whether syndromic not entered",
                items: merge(&meets, json!({"sev.syndromic_chs_griscelli": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.syndromic_chs_griscelli"]),
                errors: &["required"],
            },
            Case {
                name: "type: a genotype that is not a choice",
                items: merge(&meets, json!({"dx.genotype": "oca8"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["invalid_type"],
            },
            Case {
                name: "consistency: onset after diagnosis",
                items: merge(&meets, json!({"basic.onset_ym": "2021-10"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["onset_after_diagnosis"],
            },
        ],
    );
}
