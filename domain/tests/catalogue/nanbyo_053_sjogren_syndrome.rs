//! シェーグレン症候群 (指定難病 53): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: 1〜4 (生検、口腔、眼科、血清) のいずれか2項目が陽性 (厚生労働省研究班 1999年改訂診断基準).
/// 重症度: ESSDAI 5点以上 (2020-03 概要、診断基準等).
#[test]
fn sjogren_syndrome_53() {
    // Two categories positive (血清 4A, 眼科 3B), the others negative; ESSDAI at the threshold.
    let meets = json!({
        "basic.onset_ym": "2018-04", "basic.diagnosis_ym": "2019-01",
        "dx.biopsy_labial": false, "dx.biopsy_lacrimal": false,
        "dx.sialography": false, "dx.saliva_scintigraphy": false,
        "dx.schirmer_rose_bengal": false, "dx.schirmer_fluorescein": true,
        "dx.anti_ss_a": true, "dx.anti_ss_b": false,
        "sev.essdai": 5
    });
    run(
        &form(Program::Nanbyo, "53"),
        vec![
            Case {
                name: "meets: 2 of 4 categories, ESSDAI 5",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet severity: ESSDAI 4",
                items: merge(&meets, json!({"sev.essdai": 4})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: one category only (4A and 4B are one item)",
                items: merge(
                    &meets,
                    json!({"dx.schirmer_fluorescein": false, "dx.anti_ss_b": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "certificate only: ESSDAI below 5 still earns the certificate",
                items: merge(&meets, json!({"sev.essdai": 0})),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "undeterminable: one category positive, the eye tests not entered",
                items: merge(
                    &meets,
                    json!({"dx.schirmer_rose_bengal": null, "dx.schirmer_fluorescein": null}),
                ),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.schirmer_fluorescein", "dx.schirmer_rose_bengal"]),
                errors: &["required", "required"],
            },
            Case {
                name: "range: ESSDAI above 123",
                items: merge(&meets, json!({"sev.essdai": 124})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.essdai"]),
                errors: &["out_of_range"],
            },
        ],
    );
}
