//! 網膜色素変性症 (指定難病 90): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: ①進行性 (医師の判断)、②自覚症状1つ以上、③眼底所見2つ以上、④網膜電図の異常、⑤炎症性又は
/// 続発性でない (医師の判断) の全て. 重症度: II〜IV度 = 良好な方の眼の矯正視力0.7未満、又は視野狭窄
/// あり (ゴールドマンI-4で20度以内) (2020-03 概要、診断基準等).
#[test]
fn retinitis_pigmentosa_90() {
    // II度: acuity at 0.7, field constricted; two fundus findings exactly.
    let meets = json!({
        "basic.onset_ym": "2015-04", "basic.diagnosis_ym": "2018-01",
        "dx.progressive": true, "dx.symptoms": ["1"], "dx.fundus": ["1", "3"],
        "dx.erg": "1", "dx.not_inflammatory_or_secondary": true,
        "sev.corrected_visual_acuity": 0.7, "sev.visual_field_constriction": true
    });
    let d = form(Program::Nanbyo, "90");
    assert_eq!(
        d.clinical_judgment.len(),
        2,
        "the clinician's judgments are named"
    );
    run(
        &d,
        vec![
            Case {
                name: "meets: II度 (acuity 0.7, field constricted)",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: II度 entered as the rule derives it",
                items: merge(&meets, json!({"sev.grade": "2"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: I度 (acuity 0.7, no constriction)",
                items: merge(&meets, json!({"sev.visual_field_constriction": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: III度 (acuity 0.69, no constriction)",
                items: merge(
                    &meets,
                    json!({"sev.corrected_visual_acuity": 0.69,
                           "sev.visual_field_constriction": false}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "IV度 below 0.2: a doctor's III度 differs from the derived grade",
                items: merge(
                    &meets,
                    json!({"sev.corrected_visual_acuity": 0.19, "sev.grade": "3"}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["derived_mismatch"],
            },
            Case {
                name: "does not meet diagnosis: one fundus finding",
                items: merge(&meets, json!({"dx.fundus": ["3"]})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: ERG not done",
                items: merge(&meets, json!({"dx.erg": "not_done"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: secondary (⑤ not met)",
                items: merge(&meets, json!({"dx.not_inflammatory_or_secondary": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "certificate only: I度 still earns the certificate",
                items: merge(&meets, json!({"sev.visual_field_constriction": false})),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "undeterminable: acuity 0.7, the visual field not entered",
                items: merge(&meets, json!({"sev.visual_field_constriction": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.visual_field_constriction"]),
                errors: &["required"],
            },
        ],
    );
}
