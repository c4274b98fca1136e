//! チャージ症候群 (指定難病 105): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: 確定診断 (CHD7 遺伝子に変異) 又は臨床診断 (必発症状①〜③を有し、大症状2つ以上、又は大症状1つと
/// 小症状2つ). 重症度: 基準(ア)、(イ)又は(ウ)のいずれか (2020-03 概要、診断基準等).
#[test]
fn charge_syndrome_105() {
    // 臨床診断: the three 必発症状 and two 大症状, no gene test; 基準(ア) けいれん発作 only.
    let meets = json!({
        "basic.onset_ym": "2010-04", "basic.diagnosis_ym": "2010-06",
        "dx.chd7": "not_done",
        "dx.obligatory_bilateral_hearing_loss_ear_anomaly": true,
        "dx.obligatory_short_stature": true, "dx.obligatory_intellectual_disability": true,
        "dx.major_coloboma": true, "dx.major_choanal_atresia_or_cleft_palate": true,
        "dx.major_facial_palsy_or_asymmetry": false,
        "dx.minor_heart_defect": false, "dx.minor_tracheoesophageal_anomaly": false,
        "dx.minor_genital_hypoplasia": false,
        "sev.a_symptoms": ["seizure"], "sev.b_drugs": [], "sev.c_treatments": []
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    // One 大症状 and one 小症状: not enough.
    let one_major = v(
        &meets,
        json!({"dx.major_choanal_atresia_or_cleft_palate": false, "dx.minor_heart_defect": true}),
    );
    let mild = v(&meets, json!({"sev.a_symptoms": []}));
    let d = form(Program::Nanbyo, "105");
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
                "meets: 必発症状 and 大症状 ① ②, 基準(ア) けいれん発作",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: 大症状 1 and 小症状 1",
                entered(one_major.clone()),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: 大症状 1 and 小症状 2",
                merge(&one_major, json!({"dx.minor_genital_hypoplasia": true})),
                Outcome::Meets,
            ),
            case(
                "does not meet: 小症状 3 without a 大症状",
                merge(
                    &one_major,
                    json!({"dx.major_coloboma": false, "dx.minor_tracheoesophageal_anomaly": true,
                           "dx.minor_genital_hypoplasia": true}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: 大症状 ③ and ② (any two)",
                merge(
                    &meets,
                    json!({"dx.major_coloboma": false, "dx.major_facial_palsy_or_asymmetry": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: the bilateral hearing loss missing (all 必発症状 needed)",
                merge(
                    &meets,
                    json!({"dx.obligatory_bilateral_hearing_loss_ear_anomaly": false}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: no 精神発達遅滞, three 大症状",
                merge(
                    &meets,
                    json!({"dx.obligatory_intellectual_disability": false,
                           "dx.major_facial_palsy_or_asymmetry": true}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: no 低身長, the gene tested without a variant",
                merge(
                    &meets,
                    json!({"dx.obligatory_short_stature": false, "dx.chd7": "no_variant"}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: 確定診断 (CHD7 variant) without the clinical criteria",
                merge(
                    &one_major,
                    json!({"dx.chd7": "variant", "dx.obligatory_short_stature": false}),
                ),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: 大症状 1, 小症状 1 and one 小症状 not entered",
                items: merge(&one_major, json!({"dx.minor_genital_hypoplasia": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.minor_genital_hypoplasia"]),
                errors: &["required"],
            },
            Case {
                name: "meets (with the gap listed): CHD7 variant, a 大症状 not entered",
                items: merge(
                    &meets,
                    json!({"dx.chd7": "variant", "dx.major_coloboma": null}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["required"],
            },
            case(
                "does not meet severity: none of (ア), (イ), (ウ)",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: the severity not met still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: (ア) 骨折又は脱臼",
                merge(&mild, json!({"sev.a_symptoms": ["fracture_dislocation"]})),
                Outcome::Meets,
            ),
            case(
                "meets: (イ) βブロッカー",
                merge(&mild, json!({"sev.b_drugs": ["beta_blocker"]})),
                Outcome::Meets,
            ),
            case(
                "meets: (イ) 抗凝固薬",
                merge(&mild, json!({"sev.b_drugs": ["anticoagulant"]})),
                Outcome::Meets,
            ),
            case(
                "meets: (ウ) 胃瘻等による栄養",
                merge(&mild, json!({"sev.c_treatments": ["nutrition"]})),
                Outcome::Meets,
            ),
            case(
                "meets: (ウ) 呼吸管理 and 酸素療法",
                merge(
                    &mild,
                    json!({"sev.c_treatments": ["respiratory_management", "oxygen"]}),
                ),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: (ア), (ウ) none, (イ) not entered",
                items: merge(&mild, json!({"sev.b_drugs": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.b_drugs"]),
                errors: &["required"],
            },
            Case {
                name: "certificate only: the severity not entered is not needed",
                items: merge(&mild, json!({"sev.b_drugs": null})),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &["required"],
            },
        ],
    );
}
