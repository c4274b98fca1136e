//! 天疱瘡 (指定難病 35): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: Definite = A 1項目以上 + B-1 と B-2 1項目以上、又は A 2項目以上 + B-2 の2項目.
/// 重症度: PDAI 合計 9点以上 (中等症以上) (2020-03 概要、診断基準等).
#[test]
fn pemphigus_35() {
    // A-3 only, B-1 and B-2 2); PDAI at the threshold.
    let meets = json!({
        "basic.onset_ym": "2020-08", "basic.diagnosis_ym": "2020-11",
        "dx.flaccid_bullae": false, "dx.erosions": false, "dx.mucosal_lesions": true,
        "dx.nikolsky": false,
        "dx.acantholysis": true, "dx.dif_cell_surface": false, "dx.anti_desmoglein": true,
        "sev.pdai_total": 9
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let mild = v(&meets, json!({"sev.pdai_total": 8}));
    // No B-1: both B-2 and how many A.
    let no_histology = v(
        &meets,
        json!({"dx.acantholysis": false, "dx.dif_cell_surface": true}),
    );
    let d = form(Program::Nanbyo, "35");
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
                "meets: A-3, B-1 and B-2 2), PDAI 9 (中等症)",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: B-1 without any B-2",
                merge(&meets, json!({"dx.anti_desmoglein": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: B-1 and B-2 without any A",
                merge(&meets, json!({"dx.mucosal_lesions": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: both B-2 without B-1 and one A only",
                entered(no_histology.clone()),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: both B-2 without B-1 and two A (A-3, A-4)",
                merge(&no_histology, json!({"dx.nikolsky": true})),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: both B-2 and one A, A-1 not entered",
                items: merge(&no_histology, json!({"dx.flaccid_bullae": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.flaccid_bullae"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: PDAI 8 (軽症)",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: 軽症 still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: PDAI 25 (重症)",
                merge(&mild, json!({"sev.pdai_total": 25})),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: PDAI not entered",
                items: merge(&mild, json!({"sev.pdai_total": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.pdai_total"]),
                errors: &["required"],
            },
            Case {
                name: "invalid: a negative PDAI",
                items: merge(&mild, json!({"sev.pdai_total": -1})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.pdai_total"]),
                errors: &["out_of_range"],
            },
        ],
    );
}
