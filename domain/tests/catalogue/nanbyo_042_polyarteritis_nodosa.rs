//! 結節性多発動脈炎 (指定難病 42): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: Definite (主要症候2項目以上と組織所見) 又は Probable ((a) 主要症候2項目以上と血管造影所見、
/// (b) ①を含む6項目以上); ① は38℃以上・2週以上の発熱と6か月以内の6kg以上の体重減少; 鑑別診断.
/// 重症度: 3度以上 (度が3以上で、注1以上の臓器病変 a–h のいずれか) (2020-03 概要、診断基準等).
#[test]
fn polyarteritis_nodosa_42() {
    // ① (38℃・2週, 6.0 kg) and ② 高血圧 with the histology; 3度 with 注1c (Cr 2.5–4.9).
    let meets = json!({
        "basic.onset_ym": "2023-01", "basic.diagnosis_ym": "2023-03",
        "dx.fever": true, "dx.weight_loss_kg": 6.0, "dx.hypertension": true,
        "dx.renal": false, "dx.cerebral": false, "dx.cardiac": false, "dx.pleuritis": false,
        "dx.gi": false, "dx.mononeuritis_multiplex": false, "dx.skin": false,
        "dx.musculoskeletal": false, "dx.histology": true, "dx.angiography": false,
        "dx.differential_excluded": true,
        "sev.grade": "3", "sev.organ_a_lung": "0", "sev.organ_b_heart": "0",
        "sev.organ_c_kidney": "1", "sev.organ_d_vision": "0", "sev.organ_e_amputation": "0",
        "sev.organ_f_neuropathy": "0", "sev.organ_g_stroke": "0", "sev.organ_h_gi": "0"
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    // No histology, no angiography: only (b) can hold. ① and four others: five items.
    let five = v(
        &meets,
        json!({"dx.histology": false, "dx.renal": true, "dx.cerebral": true, "dx.skin": true}),
    );
    let mild = v(&meets, json!({"sev.grade": "2"}));
    let d = form(Program::Nanbyo, "42");
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
                "meets: Definite (① and ② with the histology), 3度 with 注1c",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: weight loss 5.9 kg, so ② alone",
                merge(&meets, json!({"dx.weight_loss_kg": 5.9})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: fever without weight loss is not ①",
                merge(&meets, json!({"dx.weight_loss_kg": 2.0, "dx.fever": true})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: ② and ⑧ without ①, with the histology",
                merge(
                    &meets,
                    json!({"dx.fever": false, "dx.mononeuritis_multiplex": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: no fever, the weight loss not asked, ② alone",
                merge(
                    &meets,
                    json!({"dx.fever": false, "dx.weight_loss_kg": null}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: Probable (a), two items and the angiography",
                merge(
                    &meets,
                    json!({"dx.histology": false, "dx.angiography": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: Probable (a) with one item (② alone) and the angiography",
                merge(
                    &meets,
                    json!({"dx.histology": false, "dx.angiography": true,
                           "dx.weight_loss_kg": 5.9}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: two items, neither histology nor angiography",
                merge(&meets, json!({"dx.histology": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: five items including ①",
                entered(five.clone()),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: Probable (b), six items including ①",
                merge(&five, json!({"dx.musculoskeletal": true})),
                Outcome::Meets,
            ),
            case(
                "does not meet: six items without ①",
                merge(
                    &five,
                    json!({"dx.musculoskeletal": true, "dx.gi": true, "dx.fever": false}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: the differential not excluded",
                merge(&meets, json!({"dx.differential_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: ② and the histology, the weight loss not entered",
                items: merge(&meets, json!({"dx.weight_loss_kg": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.weight_loss_kg"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: 2度 (the organ lesions not asked)",
                merge(
                    &mild,
                    json!({"sev.organ_a_lung": null, "sev.organ_b_heart": null,
                           "sev.organ_c_kidney": null, "sev.organ_d_vision": null,
                           "sev.organ_e_amputation": null, "sev.organ_f_neuropathy": null,
                           "sev.organ_g_stroke": null, "sev.organ_h_gi": null}),
                ),
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
                "meets: 4度 with 注2f (two limbs, 筋力3)",
                merge(
                    &meets,
                    json!({"sev.grade": "4", "sev.organ_f_neuropathy": "2"}),
                ),
                Outcome::Meets,
            ),
            Case {
                name: "meets, with an error: 4度 with 注1 lesions only",
                items: merge(&meets, json!({"sev.grade": "4"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["grade_4_without_note_2_organ_lesion"],
            },
            case(
                "meets: 5度 with 注3a (PaO2 < 50)",
                merge(&meets, json!({"sev.grade": "5", "sev.organ_a_lung": "3"})),
                Outcome::Meets,
            ),
            Case {
                name: "meets, with an error: 5度 with 注2 lesions at most",
                items: merge(&meets, json!({"sev.grade": "5", "sev.organ_a_lung": "2"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["grade_5_without_note_3_organ_lesion"],
            },
            Case {
                name: "undeterminable: 3度, no lesion entered but the GI one missing",
                items: merge(
                    &meets,
                    json!({"sev.organ_c_kidney": "0", "sev.organ_h_gi": null}),
                ),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.organ_h_gi"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: the grade not entered",
                items: merge(&meets, json!({"sev.grade": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.grade"]),
                errors: &["required"],
            },
        ],
    );
}
