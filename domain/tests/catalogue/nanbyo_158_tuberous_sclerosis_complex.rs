//! 結節性硬化症 (指定難病 158): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: Definite = 遺伝学的診断基準 (TSC1・TSC2 の病因となる変異)、又は臨床的診断基準の大症状2つ、
/// 大症状1つと小症状2つ以上 (肺LAMと血管筋脂肪腫の両者だけでは足りない). 重症度: いずれかの1項目で
/// グレード3、又は2項目でグレード2以上 (2020-03 概要、診断基準等).
#[test]
fn tuberous_sclerosis_complex_158() {
    // Two majors: 3 hypomelanotic macules and 3 facial angiofibromas; てんかん and 知的障害 grade 2.
    let meets = json!({
        "basic.onset_ym": "2012-05", "basic.diagnosis_ym": "2013-01",
        "dx.genetic": "not_done",
        "dx.hypomelanotic_macules": 3, "dx.facial_angiofibromas": 3, "dx.forehead_plaque": false,
        "dx.ungual_fibromas": 1, "dx.shagreen_patch": false, "dx.retinal_hamartomas": false,
        "dx.cortical_tubers": false, "dx.subependymal_nodules": false, "dx.sega": false,
        "dx.cardiac_rhabdomyoma": false, "dx.lam": false, "dx.angiomyolipomas": 1,
        "dx.confetti_lesions": false, "dx.dental_enamel_pits": 2, "dx.intraoral_fibromas": 1,
        "dx.retinal_achromic_patch": false, "dx.multiple_renal_cysts": false,
        "dx.nonrenal_hamartomas": false,
        "sev.sen_sega": "1", "sev.epilepsy": "2", "sev.intellectual_disability": "2",
        "sev.autism": "1", "sev.facial_angiofibroma": "1", "sev.ungual_fibroma": "0",
        "sev.shagreen": "0", "sev.hypomelanotic": "1", "sev.cardiac_rhabdomyoma": "0",
        "sev.renal_aml": "1", "sev.renal_cyst": "0", "sev.renal_malignancy": "0",
        "sev.lam": "0", "sev.mmph": "0", "sev.extrapulmonary_lam": "0",
        "sev.other_organ_lesions": "0", "sev.fundus_hamartoma": "0", "sev.dental_pitting": "0"
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    // One major only (2 macules are not the major symptom).
    let one_major = v(&meets, json!({"dx.hypomelanotic_macules": 2}));
    // LAM and 2 angiomyolipomas, nothing else.
    let lam_aml = v(
        &one_major,
        json!({"dx.hypomelanotic_macules": 0, "dx.facial_angiofibromas": 0,
               "dx.lam": true, "dx.angiomyolipomas": 2}),
    );
    let mild = v(&meets, json!({"sev.intellectual_disability": "1"}));
    let gene_only = json!({
        "basic.onset_ym": "2012-05", "basic.diagnosis_ym": "2013-01",
        "dx.genetic": "pathogenic",
        "sev.sen_sega": "3", "sev.epilepsy": "0", "sev.intellectual_disability": "0",
        "sev.autism": "0", "sev.facial_angiofibroma": "0", "sev.ungual_fibroma": "0",
        "sev.shagreen": "0", "sev.hypomelanotic": "0", "sev.cardiac_rhabdomyoma": "0",
        "sev.renal_aml": "0", "sev.renal_cyst": "0", "sev.renal_malignancy": "0",
        "sev.lam": "0", "sev.mmph": "0", "sev.extrapulmonary_lam": "0",
        "sev.other_organ_lesions": "0", "sev.fundus_hamartoma": "0", "sev.dental_pitting": "0"
    });
    let d = form(Program::Nanbyo, "158");
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
                "meets: two majors (3 macules, 3 angiofibromas), two items at grade 2",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: 2 macules and 3 angiofibromas (one major)",
                entered(one_major.clone()),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: 3 macules and 2 angiofibromas (one major)",
                merge(&meets, json!({"dx.facial_angiofibromas": 2})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: 2 angiofibromas with a forehead plaque",
                merge(
                    &meets,
                    json!({"dx.facial_angiofibromas": 2, "dx.forehead_plaque": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: one major and 2 minors (3 enamel pits, 2 intraoral fibromas)",
                merge(
                    &one_major,
                    json!({"dx.dental_enamel_pits": 3, "dx.intraoral_fibromas": 2}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: one major and 1 minor (2 pits, 2 intraoral fibromas)",
                merge(&one_major, json!({"dx.intraoral_fibromas": 2})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: one major and 1 minor (3 pits, 1 intraoral fibroma)",
                merge(&one_major, json!({"dx.dental_enamel_pits": 3})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: one major and 2 ungual fibromas",
                merge(&one_major, json!({"dx.ungual_fibromas": 2})),
                Outcome::Meets,
            ),
            case(
                "does not meet: LAM and angiomyolipomas alone",
                entered(lam_aml.clone()),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: LAM and angiomyolipomas with another feature (confetti)",
                merge(&lam_aml, json!({"dx.confetti_lesions": true})),
                Outcome::Meets,
            ),
            case(
                "meets: LAM and a cardiac rhabdomyoma",
                merge(
                    &lam_aml,
                    json!({"dx.angiomyolipomas": 1, "dx.cardiac_rhabdomyoma": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: LAM and one angiomyolipoma",
                merge(&lam_aml, json!({"dx.angiomyolipomas": 1})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: the genetic criterion alone, SEGA grade 3",
                entered(gene_only.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: no pathogenic variant, no clinical major",
                merge(
                    &one_major,
                    json!({"dx.genetic": "not_found", "dx.facial_angiofibromas": 0}),
                ),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: one major, the shagreen patch not entered",
                items: merge(&one_major, json!({"dx.shagreen_patch": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.shagreen_patch"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: one item at grade 2, the others at most 1",
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
                "meets: one item at grade 3 (dental pitting)",
                merge(&mild, json!({"sev.dental_pitting": "3"})),
                Outcome::Meets,
            ),
            case(
                "meets: grade 2 in two skin items",
                merge(
                    &mild,
                    json!({"sev.epilepsy": "1", "sev.facial_angiofibroma": "2",
                           "sev.hypomelanotic": "2"}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: renal malignancy (grade 3)",
                merge(&mild, json!({"sev.renal_malignancy": "3"})),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: one item at grade 2, LAM's grade not entered",
                items: merge(&mild, json!({"sev.lam": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.lam"]),
                errors: &["required"],
            },
        ],
    );
}
