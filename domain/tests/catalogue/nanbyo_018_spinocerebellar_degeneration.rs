//! 脊髄小脳変性症(多系統萎縮症を除く。) (指定難病 18): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: Definite (合致する症候と経過 + 遺伝子診断又は神経病理学的診断) 又は Probable ((1) 脊髄小脳
/// 変性症は主要項目①②⑤⑥、痙性対麻痺は①②⑥; (2) 家系内の他の発症者と同一). 重症度: mRS、食事・
/// 栄養、呼吸のいずれかが3以上 (2020-03 概要、診断基準等).
#[test]
fn spinocerebellar_degeneration_18() {
    // Probable (1) for SCD; every severity scale just below 3 but mRS at 3.
    let meets = json!({
        "basic.onset_ym": "2016-05", "basic.diagnosis_ym": "2018-10",
        "dx.phenotype": "scd", "dx.main_items": ["1", "2", "5"],
        "dx.secondary_excluded": true, "dx.genetic_or_pathological": false,
        "dx.same_as_affected_relative": false,
        "sev.mrs": "3", "sev.nutrition": "2", "sev.respiration": "2"
    });
    let d = form(Program::Nanbyo, "18");
    assert_eq!(
        d.clinical_judgment.len(),
        3,
        "the clinician's judgments are named"
    );
    run(
        &d,
        vec![
            Case {
                name: "meets: Probable (1), mRS 3",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet severity: mRS 2, N 2, R 2",
                items: merge(&meets, json!({"sev.mrs": "2"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: N 3 alone",
                items: merge(&meets, json!({"sev.mrs": "2", "sev.nutrition": "3"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: R 3 alone",
                items: merge(&meets, json!({"sev.mrs": "2", "sev.respiration": "3"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: SCD without ⑤ (Possible only)",
                items: merge(&meets, json!({"dx.main_items": ["1", "2"]})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: spastic paraplegia, ①② and ⑥",
                items: merge(
                    &meets,
                    json!({"dx.phenotype": "sp", "dx.main_items": ["1", "2"]}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: ⑥ not excluded (Possible only)",
                items: merge(&meets, json!({"dx.secondary_excluded": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: Definite, genetic diagnosis with ② though ⑥ not excluded",
                items: merge(
                    &meets,
                    json!({"dx.secondary_excluded": false, "dx.main_items": ["2"],
                           "dx.genetic_or_pathological": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: Probable (2), same as an affected relative",
                items: merge(
                    &meets,
                    json!({"dx.secondary_excluded": false, "dx.main_items": [],
                           "dx.same_as_affected_relative": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: genetic diagnosis without consistent signs",
                items: merge(
                    &meets,
                    json!({"dx.phenotype": "none", "dx.genetic_or_pathological": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "certificate only: mRS 2 still earns the certificate",
                items: merge(&meets, json!({"sev.mrs": "2"})),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "undeterminable: mRS 2 and N 2, respiration not entered",
                items: merge(&meets, json!({"sev.mrs": "2", "sev.respiration": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.respiration"]),
                errors: &["required"],
            },
        ],
    );
}
