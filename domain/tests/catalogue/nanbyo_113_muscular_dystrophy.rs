//! 筋ジストロフィー (指定難病 113): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: Definite (Aのどれか + E1・E2どちらか + F、又は Aのどれか + D + F) 又は Probable (A1 + B1 + F、
/// 又は A1 + B2 + C1・C2のいずれか + F); F (類縁疾患の除外) は医師の判断. 重症度: mRS、食事・栄養、
/// 呼吸、循環のいずれかが3以上 (2020-03 概要、診断基準等).
#[test]
fn muscular_dystrophy_113() {
    // Probable 4 (A1 + B2 + C1); mRS at 3, the other scales at 2.
    let meets = json!({
        "basic.onset_ym": "2010-04", "basic.diagnosis_ym": "2012-06",
        "dx.symptoms": ["1"], "dx.family_history": ["2"], "dx.tests": ["1"],
        "dx.muscle_pathology": false, "dx.gene_protein": [],
        "dx.related_disease_excluded": true,
        "sev.mrs": "3", "sev.nutrition": "2", "sev.respiration": "2", "sev.circulation": "2"
    });
    let d = form(Program::Nanbyo, "113");
    assert_eq!(d.clinical_judgment.len(), 1, "the exclusion is named");
    run(
        &d,
        vec![
            Case {
                name: "meets: Probable 4, mRS 3",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet severity: every scale at 2",
                items: merge(&meets, json!({"sev.mrs": "2"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: circulation 3 alone",
                items: merge(&meets, json!({"sev.mrs": "2", "sev.circulation": "3"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: respiration 3 alone",
                items: merge(&meets, json!({"sev.mrs": "2", "sev.respiration": "3"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: A1 + B2 without C (Possible only)",
                items: merge(&meets, json!({"dx.tests": []})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet: A2 + B2 + C1 (Probable 4 needs A1)",
                items: merge(&meets, json!({"dx.symptoms": ["2"]})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: Probable 3, A1 + B1",
                items: merge(&meets, json!({"dx.family_history": ["1"], "dx.tests": []})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: Definite 1, A2 + E2",
                items: merge(
                    &meets,
                    json!({"dx.symptoms": ["2"], "dx.family_history": [], "dx.tests": [],
                           "dx.gene_protein": ["2"]}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: Definite 2, A2 + D",
                items: merge(
                    &meets,
                    json!({"dx.symptoms": ["2"], "dx.family_history": [], "dx.tests": [],
                           "dx.muscle_pathology": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: a related disease is evident (F)",
                items: merge(
                    &meets,
                    json!({"dx.gene_protein": ["1"], "dx.related_disease_excluded": false}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "certificate only: every scale at 2 still earns the certificate",
                items: merge(&meets, json!({"sev.mrs": "2"})),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "undeterminable: the other scales at 2, circulation not entered",
                items: merge(&meets, json!({"sev.mrs": "2", "sev.circulation": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.circulation"]),
                errors: &["required"],
            },
        ],
    );
}
