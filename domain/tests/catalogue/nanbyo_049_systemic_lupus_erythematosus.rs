//! 全身性エリテマトーデス (指定難病 49): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 全身性エリテマトーデス (49). Diagnosis (令和6年4月施行の診断基準, 2019 EULAR/ACR 分類基準に
/// 基づく, Definite): entry criterion 抗核抗体 80倍以上, at least one clinical criterion, and 10
/// points or more, counting only the highest-weighted criterion of each domain (発熱 2; 皮膚粘膜
/// 2/2/4/6; 関節症状 6; 精神神経 2/3/5; 漿膜 5/6; 血液 3/4/4; 腎 4/8/10; 抗リン脂質抗体 2; 補体
/// 低C3または低C4 3, 両方 4; 抗dsDNA/抗Sm 6). Severity: SLEDAI 4点以上. Sources: 厚生労働省
/// 難病対策委員会 第73回 参考資料1 (entry and clinical items), Aringer et al. 2019 EULAR/ACR
/// (immunologic items and scoring), 指定難病検討委員会 第49回 資料1-2-4 (SLEDAI 4点以上).
#[test]
fn systemic_lupus_erythematosus_49() {
    let meets = json!({
        "basic.onset_ym": "2022-08", "basic.diagnosis_ym": "2023-01",
        "dx.ana_80": true,
        "dx.clinical_criteria": ["acute_cutaneous_lupus", "oral_ulcers"],
        "dx.immunologic_criteria": ["anti_dsdna"],
        "sev.sledai_items": ["proteinuria"]
    });
    run(
        &form(Program::Nanbyo, "49"),
        vec![
            Case {
                name: "meets: 6 + 6 = 12 points, SLEDAI 4",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: class III/IV lupus nephritis alone is 10 points",
                items: merge(
                    &meets,
                    json!({"dx.clinical_criteria": ["lupus_nephritis_class_3_or_4"], "dx.immunologic_criteria": []}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: joint involvement 6 + low C3 and low C4 4 = 10",
                items: merge(
                    &meets,
                    json!({"dx.clinical_criteria": ["joint_involvement"], "dx.immunologic_criteria": ["low_c3", "low_c4"]}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: joint involvement 6 + low C3 only 3 = 9",
                items: merge(
                    &meets,
                    json!({"dx.clinical_criteria": ["joint_involvement"], "dx.immunologic_criteria": ["low_c3"]}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: only the highest criterion of a domain counts (2 + 6 = 8)",
                items: merge(
                    &meets,
                    json!({
                        "dx.clinical_criteria": ["nonscarring_alopecia", "oral_ulcers"],
                        "dx.immunologic_criteria": ["anti_dsdna", "anti_sm"]
                    }),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: 16 immunologic points but no clinical criterion",
                items: merge(
                    &meets,
                    json!({
                        "dx.clinical_criteria": [],
                        "dx.immunologic_criteria": ["anti_dsdna", "low_c3", "low_c4", "lupus_anticoagulant"]
                    }),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: entry criterion (ANA) not met",
                items: merge(&meets, json!({"dx.ana_80": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet severity: SLEDAI 2 + 1 = 3",
                items: merge(&meets, json!({"sev.sledai_items": ["alopecia", "fever"]})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets severity: SLEDAI 2 + 2 = 4",
                items: merge(&meets, json!({"sev.sledai_items": ["alopecia", "new_rash"]})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "certificate only: diagnosis suffices with SLEDAI 0",
                items: merge(&meets, json!({"sev.sledai_items": []})),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "undeterminable: ANA not entered",
                items: merge(&meets, json!({"dx.ana_80": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.ana_80"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: 6 clinical points, immunologic criteria not entered",
                items: merge(
                    &meets,
                    json!({"dx.clinical_criteria": ["acute_cutaneous_lupus"], "dx.immunologic_criteria": null}),
                ),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.immunologic_criteria"]),
                errors: &["required"],
            },
            Case {
                name: "consistency: onset after diagnosis",
                items: merge(&meets, json!({"basic.onset_ym": "2023-05"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["onset_after_diagnosis"],
            },
            Case {
                name: "consistency: SLEDAI DNA binding without anti-dsDNA antibodies",
                items: merge(
                    &meets,
                    json!({
                        "dx.immunologic_criteria": ["anti_sm"],
                        "sev.sledai_items": ["increased_dna_binding", "low_complement"]
                    }),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["sledai_dna_binding_without_anti_dsdna"],
            },
        ],
    );
    let f = form(Program::Nanbyo, "49");
    let j = f.judge(&entered(meets.clone()), Purpose::Subsidy);
    assert_eq!(
        j.filled.get("sev.meets_severity"),
        Some(&json!(true)),
        "severity auto-filled"
    );
    let j = f.judge(
        &merge(&meets, json!({"sev.sledai_items": ["fever", "leukopenia"]})),
        Purpose::Subsidy,
    );
    assert_eq!(
        j.filled.get("sev.meets_severity"),
        Some(&json!(false)),
        "severity auto-filled as not met"
    );
}
