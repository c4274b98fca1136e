//! ヒルシュスプルング病（全結腸型又は小腸型） (指定難病 291): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: Definite (臨床症状と病理所見1又は2) のうち全結腸型又は小腸型. 重症度: 経静脈栄養や経管栄養管理を
/// 必要とする (2020-03 概要、診断基準等).
#[test]
fn hirschsprung_disease_291() {
    let meets = json!({
        "basic.onset_ym": "2020-01", "basic.diagnosis_ym": "2020-02",
        "dx.clinical_symptoms": true, "dx.rectal_biopsy_ache": true,
        "dx.full_thickness_aganglionosis": false, "dx.extent": "total_colonic",
        "sev.parenteral_nutrition": true, "sev.tube_feeding": false
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let mild = v(&meets, json!({"sev.parenteral_nutrition": false}));
    let d = form(Program::Nanbyo, "291");
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
                "meets: 全結腸型 by rectal biopsy, parenteral nutrition",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: 左右結腸型 (up to the caecum)",
                merge(&meets, json!({"dx.extent": "colonic"})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: 小腸型 by the full-thickness specimen",
                merge(
                    &meets,
                    json!({"dx.extent": "small_intestinal", "dx.rectal_biopsy_ache": false,
                           "dx.full_thickness_aganglionosis": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: neither pathological finding",
                merge(&meets, json!({"dx.rectal_biopsy_ache": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: no clinical symptoms",
                merge(&meets, json!({"dx.clinical_symptoms": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: the rectal biopsy negative, the specimen not entered",
                items: merge(
                    &meets,
                    json!({"dx.rectal_biopsy_ache": false, "dx.full_thickness_aganglionosis": null}),
                ),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.full_thickness_aganglionosis"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: neither parenteral nor tube feeding",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: no nutrition support still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: tube feeding",
                merge(&mild, json!({"sev.tube_feeding": true})),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: no parenteral nutrition, tube feeding not entered",
                items: merge(&mild, json!({"sev.tube_feeding": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.tube_feeding"]),
                errors: &["required"],
            },
        ],
    );
}
