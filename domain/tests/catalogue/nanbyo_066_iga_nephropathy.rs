//! IgA腎症 (指定難病 66): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: 腎生検の蛍光抗体法又は酵素抗体法所見 (IgAの顆粒状沈着) が必須、紫斑病性腎炎・肝硬変症・
/// ループス腎炎などの鑑別 (医師の判断). 重症度: CKD重症度分類ヒートマップの赤 (G4・G5、G3bのA2・A3、
/// G3aのA3)、蛋白尿0.5g/gCr以上、組織学的重症度III又はIVのいずれか (2020-03 概要、診断基準等).
#[test]
fn iga_nephropathy_66() {
    // Severity met by the protein/creatinine ratio alone, at its threshold.
    let meets = json!({
        "basic.onset_ym": "2019-04", "basic.diagnosis_ym": "2020-01",
        "dx.biopsy_if": true, "dx.differential_excluded": true,
        "sev.egfr": 90.0, "sev.protein_creatinine_ratio": 0.5, "sev.histological_grade": "2"
    });
    let d = form(Program::Nanbyo, "66");
    assert_eq!(d.clinical_judgment.len(), 1, "the differential is named");
    run(
        &d,
        vec![
            Case {
                name: "meets: protein 0.50 g/gCr",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: protein 0.49 g/gCr, G1, grade II",
                items: merge(&meets, json!({"sev.protein_creatinine_ratio": 0.49})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: histological grade III",
                items: merge(
                    &meets,
                    json!({"sev.protein_creatinine_ratio": 0.1, "sev.histological_grade": "3"}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: G4 (eGFR 29.9) with A1 is red",
                items: merge(
                    &meets,
                    json!({"sev.egfr": 29.9, "sev.protein_creatinine_ratio": 0.14}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: G3b (eGFR 30) with A1 is orange",
                items: merge(
                    &meets,
                    json!({"sev.egfr": 30.0, "sev.protein_creatinine_ratio": 0.14}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: G3b (eGFR 44.9) with A2 (0.15) is red",
                items: merge(
                    &meets,
                    json!({"sev.egfr": 44.9, "sev.protein_creatinine_ratio": 0.15}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: G3a (eGFR 45) with A2 (0.49) is orange",
                items: merge(
                    &meets,
                    json!({"sev.egfr": 45.0, "sev.protein_creatinine_ratio": 0.49}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: no IgA deposition on immunofluorescence",
                items: merge(&meets, json!({"dx.biopsy_if": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "certificate only: below the severity still earns the certificate",
                items: merge(&meets, json!({"sev.protein_creatinine_ratio": 0.2})),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "undeterminable: A1 and G1, histological grade not entered",
                items: merge(
                    &meets,
                    json!({"sev.protein_creatinine_ratio": 0.1, "sev.histological_grade": null}),
                ),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.histological_grade"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: the differential not entered",
                items: merge(&meets, json!({"dx.differential_excluded": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.differential_excluded"]),
                errors: &["required"],
            },
        ],
    );
}
