//! 顕微鏡的多発血管炎 (指定難病 43): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: Definite ((a) 主要症候2項目以上と組織所見、(b) ①及び②と MPO-ANCA) 又は Probable ((a) 主要症候
/// の3項目、(b) 1項目と MPO-ANCA); 鑑別診断. 重症度: 3度以上 (度が3以上で、注1以上の臓器病変 a–h
/// のいずれか) (2020-03 概要、診断基準等).
#[test]
fn microscopic_polyangiitis_43() {
    // Probable (b): ① and MPO-ANCA; 3度 with 注1c.
    let meets = json!({
        "basic.onset_ym": "2024-01", "basic.diagnosis_ym": "2024-02",
        "dx.rpgn": true, "dx.pulmonary": false, "dx.other_organ": false,
        "dx.histology": false, "dx.mpo_anca": true, "dx.differential_excluded": true,
        "sev.grade": "3", "sev.organ_a_lung": "0", "sev.organ_b_heart": "0",
        "sev.organ_c_kidney": "1", "sev.organ_d_vision": "0", "sev.organ_e_amputation": "0",
        "sev.organ_f_neuropathy": "0", "sev.organ_g_stroke": "0", "sev.organ_h_gi": "0"
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let anca_negative = v(&meets, json!({"dx.mpo_anca": false}));
    let mild = v(&meets, json!({"sev.grade": "2"}));
    let d = form(Program::Nanbyo, "43");
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
                "meets: Probable (b), ① and MPO-ANCA, 3度 with 注1c",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: ① alone, MPO-ANCA negative",
                entered(anca_negative.clone()),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: Probable (b) with ③ alone",
                merge(&meets, json!({"dx.rpgn": false, "dx.other_organ": true})),
                Outcome::Meets,
            ),
            case(
                "does not meet: MPO-ANCA without a major symptom",
                merge(&meets, json!({"dx.rpgn": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: Definite (a), ① and ③ with the histology",
                merge(
                    &anca_negative,
                    json!({"dx.other_organ": true, "dx.histology": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: ① alone with the histology",
                merge(&anca_negative, json!({"dx.histology": true})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: Definite (b), ① and ② with MPO-ANCA",
                merge(&meets, json!({"dx.pulmonary": true})),
                Outcome::Meets,
            ),
            case(
                "meets: Probable (a), all three major symptoms",
                merge(
                    &anca_negative,
                    json!({"dx.pulmonary": true, "dx.other_organ": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: two major symptoms, no histology, ANCA negative",
                merge(&anca_negative, json!({"dx.pulmonary": true})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: the differential not excluded",
                merge(&meets, json!({"dx.differential_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: ① alone, MPO-ANCA not entered",
                items: merge(&meets, json!({"dx.mpo_anca": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.mpo_anca"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: 2度",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: 2度 still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "does not meet: 3度 without an organ lesion of 注1",
                merge(&meets, json!({"sev.organ_c_kidney": "0"})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: 5度 with 注3c (Cr 8.0 以上)",
                merge(&meets, json!({"sev.grade": "5", "sev.organ_c_kidney": "3"})),
                Outcome::Meets,
            ),
            Case {
                name: "meets, with an error: 4度 with 注1 lesions only",
                items: merge(&meets, json!({"sev.grade": "4"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["grade_4_without_note_2_organ_lesion"],
            },
            Case {
                name: "undeterminable: 3度, the kidney lesion not entered, the others none",
                items: merge(&meets, json!({"sev.organ_c_kidney": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.organ_c_kidney"]),
                errors: &["required"],
            },
        ],
    );
}
