//! 好酸球性消化管疾患 (指定難病 98): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

fn case(
    name: &'static str,
    items: std::collections::BTreeMap<String, serde_json::Value>,
    outcome: Outcome,
) -> Case {
    Case {
        name,
        items,
        purpose: Purpose::Subsidy,
        outcome,
        errors: &[],
    }
}

/// N-FPIES: Step1 の症状、Step2 の鑑別 (医師の判断)、Step3 治療乳で症状消失. 重症度: I.重症の症状
/// 又は QOLの低下 (医師の判断) と疾患最盛期の症状スコア 20点以上 (2020-03 概要、診断基準等).
#[test]
fn eosinophilic_gastrointestinal_disorders_98_n_fpies() {
    let meets = json!({
        "basic.onset_ym": "2024-01", "basic.diagnosis_ym": "2024-02",
        "dx.disease_type": "n_fpies", "dx.nfpies_symptoms": ["vomiting", "bloody_stool"],
        "dx.nfpies_differential_excluded": true, "dx.nfpies_lab_findings": ["d"],
        "dx.nfpies_formula_response": true,
        "sev.nfpies_severe_features": [], "sev.nfpies_qol_decline": true, "sev.nfpies_score": 20
    });
    let mild = serde_json::to_value(merge(&meets, json!({"sev.nfpies_score": 19}))).expect("json");
    let d = form(Program::Nanbyo, "98");
    assert_eq!(d.clinical_judgment.len(), 4, "the judgments are named");
    run(
        &d,
        vec![
            case(
                "meets: Step3, QOL low and score 20",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "meets: non-specific symptoms only, no laboratory feature",
                merge(
                    &meets,
                    json!({"dx.nfpies_symptoms": ["nonspecific"], "dx.nfpies_lab_findings": []}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: no Step1 symptom",
                merge(&meets, json!({"dx.nfpies_symptoms": []})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: the symptoms did not resolve on the formula (Step3)",
                merge(&meets, json!({"dx.nfpies_formula_response": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: the differential not excluded (Step2)",
                merge(&meets, json!({"dx.nfpies_differential_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: score 19 (軽症)",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: score 19 still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "does not meet: score 40 without a QOL decline",
                merge(
                    &meets,
                    json!({"sev.nfpies_score": 40, "sev.nfpies_qol_decline": false}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: I.重症 (shock), QOL and score not needed",
                merge(
                    &mild,
                    json!({"sev.nfpies_severe_features": ["shock"],
                           "sev.nfpies_qol_decline": null, "sev.nfpies_score": null}),
                ),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: no severe feature, the score not entered",
                items: merge(&meets, json!({"sev.nfpies_score": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.nfpies_score"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: Step3 not entered",
                items: merge(&meets, json!({"dx.nfpies_formula_response": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.nfpies_formula_response"]),
                errors: &["required"],
            },
        ],
    );
}

/// 好酸球性食道炎: 1 症状と 2 上皮内 20/HPF 以上. 重症度: 成人は成人EGID重症度評価票 15点以上、
/// 2〜19歳は医師が判定した II.中等症以上.
#[test]
fn eosinophilic_gastrointestinal_disorders_98_eoe() {
    let meets = json!({
        "basic.onset_ym": "2022-05", "basic.diagnosis_ym": "2023-01",
        "dx.disease_type": "eoe", "dx.eoe_symptoms": true, "dx.eoe_biopsy_eos_hpf": 20,
        "dx.eoe_reference": ["3", "6"],
        "sev.age_group": "adult", "sev.adult_score": 15
    });
    let mild = serde_json::to_value(merge(&meets, json!({"sev.adult_score": 14}))).expect("json");
    let child = serde_json::to_value(merge(
        &meets,
        json!({"sev.age_group": "2_19", "sev.adult_score": null, "sev.pediatric_grade": "2"}),
    ))
    .expect("json");
    let d = form(Program::Nanbyo, "98");
    run(
        &d,
        vec![
            case(
                "meets: 20/HPF, adult score 15",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: 19/HPF",
                merge(&meets, json!({"dx.eoe_biopsy_eos_hpf": 19})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: no symptom",
                merge(&meets, json!({"dx.eoe_symptoms": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: adult score 14 (軽症)",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: adult score 14 still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: 2〜19歳 II.中等症",
                entered(child.clone()),
                Outcome::Meets,
            ),
            case(
                "meets: 2〜19歳 I.重症",
                merge(&child, json!({"sev.pediatric_grade": "1"})),
                Outcome::Meets,
            ),
            case(
                "does not meet: 2〜19歳 III.軽症",
                merge(&child, json!({"sev.pediatric_grade": "3"})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: the biopsy count not entered",
                items: merge(&meets, json!({"dx.eoe_biopsy_eos_hpf": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.eoe_biopsy_eos_hpf"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: the age group not entered (either table could apply)",
                items: merge(&meets, json!({"sev.age_group": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.age_group", "sev.pediatric_grade"]),
                errors: &["required"],
            },
        ],
    );
}

/// 好酸球性胃腸炎: 1 症状と、2 生検で 20/HPF 以上 (他の炎症性腸疾患の除外: 医師の判断) 又は 3 腹水中の
/// 多数の好酸球.
#[test]
fn eosinophilic_gastrointestinal_disorders_98_ege() {
    let meets = json!({
        "basic.onset_ym": "2021-08", "basic.diagnosis_ym": "2022-02",
        "dx.disease_type": "ege", "dx.ege_symptoms": true, "dx.ege_ascites_eos": false,
        "dx.ege_biopsy_eos_hpf": 20, "dx.ege_ibd_excluded": true,
        "sev.age_group": "adult", "sev.adult_score": 40
    });
    let d = form(Program::Nanbyo, "98");
    run(
        &d,
        vec![
            case(
                "meets: biopsy 20/HPF, IBD excluded",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: biopsy 19/HPF, no ascites",
                merge(&meets, json!({"dx.ege_biopsy_eos_hpf": 19})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: another inflammatory bowel disease not excluded",
                merge(&meets, json!({"dx.ege_ibd_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: eosinophilic ascites without a biopsy",
                merge(
                    &meets,
                    json!({"dx.ege_ascites_eos": true, "dx.ege_biopsy_eos_hpf": null,
                           "dx.ege_ibd_excluded": null}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: no symptom",
                merge(&meets, json!({"dx.ege_symptoms": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: no ascites, the biopsy count not entered",
                items: merge(&meets, json!({"dx.ege_biopsy_eos_hpf": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.ege_biopsy_eos_hpf"]),
                errors: &["required"],
            },
        ],
    );
}
