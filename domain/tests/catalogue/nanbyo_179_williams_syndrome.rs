//! ウィリアムズ症候群 (指定難病 179): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: FISH法で7q11.23微細欠失. 重症度: 成人は先天性心疾患で NYHA II度以上、小児は小慢の状態の
/// 程度 (2020-03 概要、診断基準等).
#[test]
fn williams_syndrome_179() {
    let meets = json!({
        "basic.onset_ym": "2001-01", "basic.diagnosis_ym": "2002-08",
        "dx.fish_7q11_23_deletion": true, "sev.age_group": "adult", "sev.nyha": "2"
    });
    let child = serde_json::to_value(merge(
        &meets,
        json!({"sev.age_group": "child", "sev.nyha": null, "sev.child_shoman_state": true}),
    ))
    .expect("json");
    let d = form(Program::Nanbyo, "179");
    assert_eq!(d.clinical_judgment.len(), 1, "the child's state is named");
    run(
        &d,
        vec![
            Case {
                name: "meets: the deletion, an adult at NYHA II",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: no deletion",
                items: merge(&meets, json!({"dx.fish_7q11_23_deletion": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet severity: an adult at NYHA I",
                items: merge(&meets, json!({"sev.nyha": "1"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "certificate only: NYHA I still earns the certificate",
                items: merge(&meets, json!({"sev.nyha": "1"})),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: a child in the 小慢 state",
                items: entered(child.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: a child not in the 小慢 state",
                items: merge(&child, json!({"sev.child_shoman_state": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "undeterminable: the FISH result not entered",
                items: merge(&meets, json!({"dx.fish_7q11_23_deletion": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.fish_7q11_23_deletion"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: an adult, NYHA not entered",
                items: merge(&meets, json!({"sev.nyha": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.nyha"]),
                errors: &["required"],
            },
        ],
    );
}
