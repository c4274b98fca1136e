//! アッシャー症候群 (指定難病 303): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: 「1-Aと2-A」及び「1-Bと2-B」の双方、又はいずれかと遺伝子変異 (2-A は網膜電位を含めて2つ以上、
/// 2-B は両方). 重症度: 良聴耳の平均聴力 70 dBHL 以上 (高度難聴以上)、又は網膜色素変性症と診断された者の
/// II~IV度 (矯正視力 0.7 未満又は視野狭窄あり) (2020-03 概要、診断基準等).
#[test]
fn usher_syndrome_303() {
    // Both pairs (2-A: ERG and fundus); 70 dBHL (3 高度難聴), I度.
    let meets = json!({
        "basic.onset_ym": "2005-04", "basic.diagnosis_ym": "2020-09",
        "dx.visual_symptoms": true, "dx.ear_symptoms": true, "dx.fundus": true, "dx.erg": true,
        "dx.fluorescein": false, "dx.oct": false, "dx.pta_elevated": true,
        "dx.other_hearing_loss_excluded": true, "dx.gene_variant": false,
        "sev.better_ear_pta": 70.0, "sev.corrected_visual_acuity": 0.7,
        "sev.visual_field_constriction": false
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let mild = v(&meets, json!({"sev.better_ear_pta": 69.9}));
    let ears_only = v(&meets, json!({"dx.visual_symptoms": false}));
    let d = form(Program::Nanbyo, "303");
    assert_eq!(d.clinical_judgment.len(), 1, "the judgment is named");
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
                "meets: both pairs, 70 dBHL",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "meets: 3 高度難聴 entered as the rule derives it",
                merge(
                    &meets,
                    json!({"sev.hearing_grade": "3", "sev.visual_grade": "1"}),
                ),
                Outcome::Meets,
            ),
            Case {
                name: "90 dBHL: a doctor's 3 differs from the derived 4",
                items: merge(
                    &meets,
                    json!({"sev.better_ear_pta": 90.0, "sev.hearing_grade": "3"}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["derived_mismatch"],
            },
            case(
                "does not meet severity: 69.9 dBHL, acuity 0.7, no constriction (I度)",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: 中等度難聴 and I度 still earn the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: III度 (acuity 0.69)",
                merge(&mild, json!({"sev.corrected_visual_acuity": 0.69})),
                Outcome::Meets,
            ),
            case(
                "meets: II度 (acuity 0.7, field constricted)",
                merge(&mild, json!({"sev.visual_field_constriction": true})),
                Outcome::Meets,
            ),
            case(
                "does not meet: 2-A without the ERG",
                merge(
                    &meets,
                    json!({"dx.erg": false, "dx.fluorescein": true, "dx.oct": true}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: 2-A with the ERG alone",
                merge(&meets, json!({"dx.fundus": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: 2-A with the ERG and OCT",
                merge(&meets, json!({"dx.fundus": false, "dx.oct": true})),
                Outcome::Meets,
            ),
            case(
                "does not meet: 1-B and 2-B without a gene variant",
                entered(ears_only.clone()),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: 1-B and 2-B with a gene variant",
                merge(&ears_only, json!({"dx.gene_variant": true})),
                Outcome::Meets,
            ),
            case(
                "meets: 1-A and 2-A with a gene variant, 50 dBHL, acuity 0.5",
                merge(
                    &meets,
                    json!({"dx.ear_symptoms": false, "dx.gene_variant": true,
                           "sev.better_ear_pta": 50.0, "sev.corrected_visual_acuity": 0.5}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: no RP diagnosis, so acuity 0.5 does not count",
                merge(
                    &ears_only,
                    json!({"dx.gene_variant": true, "sev.better_ear_pta": 69.9,
                           "sev.corrected_visual_acuity": 0.5}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: 伝音難聴 etc. not excluded, no gene variant",
                merge(&meets, json!({"dx.other_hearing_loss_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: the ERG not entered",
                items: merge(&meets, json!({"dx.erg": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.erg"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: I度, the hearing level not entered",
                items: merge(&meets, json!({"sev.better_ear_pta": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.better_ear_pta"]),
                errors: &["required"],
            },
        ],
    );
}
