//! 原発性胆汁性胆管炎 (指定難病 93): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: ① CNSDC と胆汁うっ滞所見、② AMA陽性とPBCに矛盾しない組織像、③ 組織学的検索なしで AMA陽性と
/// 臨床像・経過. 重症度: 症候性PBC (2020-03 概要、診断基準等).
#[test]
fn primary_biliary_cholangitis_93() {
    let meets = json!({
        "basic.onset_ym": "2012-07", "basic.diagnosis_ym": "2013-02",
        "dx.histology": "cnsdc", "dx.cholestasis": true, "dx.ama": false,
        "sev.hepatic_symptoms": true, "sev.total_bilirubin": 1.9
    });
    let d = form(Program::Nanbyo, "93");
    assert_eq!(d.clinical_judgment.len(), 3, "the judgments are named");
    run(
        &d,
        vec![
            Case {
                name: "meets: ① CNSDC with cholestasis, AMA negative; sPBC",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: CNSDC without cholestasis, AMA negative",
                items: merge(&meets, json!({"dx.cholestasis": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: ② AMA positive, compatible histology",
                items: merge(
                    &meets,
                    json!({"dx.histology": "compatible", "dx.cholestasis": false, "dx.ama": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: compatible histology, AMA negative",
                items: merge(&meets, json!({"dx.histology": "compatible"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet: AMA positive, histology not compatible",
                items: merge(
                    &meets,
                    json!({"dx.histology": "not_compatible", "dx.ama": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: ③ no histology, AMA positive, the clinical picture",
                items: merge(
                    &meets,
                    json!({"dx.histology": "not_done", "dx.ama": true,
                           "dx.clinical_picture_pbc": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: ③ without AMA",
                items: merge(
                    &meets,
                    json!({"dx.histology": "not_done", "dx.clinical_picture_pbc": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "undeterminable: ③ AMA positive, the clinical picture not entered",
                items: merge(&meets, json!({"dx.histology": "not_done", "dx.ama": true})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.clinical_picture_pbc"]),
                errors: &["required"],
            },
            Case {
                name: "does not meet severity: asymptomatic (aPBC)",
                items: merge(&meets, json!({"sev.hepatic_symptoms": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "certificate only: aPBC still earns the certificate",
                items: merge(&meets, json!({"sev.hepatic_symptoms": false})),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: s2PBC (total bilirubin 2.0)",
                items: merge(&meets, json!({"sev.total_bilirubin": 2.0})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "undeterminable: the symptoms not entered",
                items: merge(&meets, json!({"sev.hepatic_symptoms": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.hepatic_symptoms"]),
                errors: &["required"],
            },
        ],
    );
}
