//! 全身性強皮症 (指定難病 51): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: 大基準、あるいは小基準1)かつ2)~4)の1項目以上 (2010年). 重症度: ①皮膚 (mRSS 10以上)、②肺、
/// ③心臓、④腎 (eGFR 60未満又は血液透析導入、他疾患による腎障害を除く)、⑤消化管のいずれかが moderate
/// 以上 (2020-03 概要、診断基準等).
#[test]
fn systemic_sclerosis_51() {
    let meets = json!({
        "basic.onset_ym": "2018-09", "basic.diagnosis_ym": "2019-02",
        "dx.major_skin_sclerosis": true, "dx.sclerodactyly": false,
        "dx.digital_pitting_scars": false, "dx.bibasilar_fibrosis": false, "dx.ssc_antibody": false,
        "sev.mrss": 10, "sev.lung": "0", "sev.heart": "1", "sev.egfr": 60.0,
        "sev.hemodialysis": false, "sev.renal_other_cause": false,
        "sev.upper_gi": "1", "sev.lower_gi": "1"
    });
    let mild = serde_json::to_value(merge(&meets, json!({"sev.mrss": 9}))).expect("json");
    let minor = serde_json::to_value(merge(
        &meets,
        json!({"dx.major_skin_sclerosis": false, "dx.sclerodactyly": true}),
    ))
    .expect("json");
    let d = form(Program::Nanbyo, "51");
    assert_eq!(d.clinical_judgment.len(), 4, "the judgments are named");
    run(
        &d,
        vec![
            Case {
                name: "meets: 大基準, mRSS 10 (moderate)",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet severity: mRSS 9 and every organ mild, eGFR 60",
                items: entered(mild.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "certificate only: every organ mild still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: eGFR 59.9 (moderate)",
                items: merge(&mild, json!({"sev.egfr": 59.9})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: eGFR 59.9 from a disease other than SSc",
                items: merge(
                    &mild,
                    json!({"sev.egfr": 59.9, "sev.renal_other_cause": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: haemodialysis",
                items: merge(&mild, json!({"sev.hemodialysis": true})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: lung moderate",
                items: merge(&mild, json!({"sev.lung": "2"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: heart moderate",
                items: merge(&mild, json!({"sev.heart": "2"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: upper GI moderate (GERD)",
                items: merge(&mild, json!({"sev.upper_gi": "2"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: lower GI moderate",
                items: merge(&mild, json!({"sev.lower_gi": "2"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: 小基準1) alone",
                items: entered(minor.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: 小基準1) and 4)",
                items: merge(&minor, json!({"dx.ssc_antibody": true})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: 小基準2)~4) without 1)",
                items: merge(
                    &minor,
                    json!({"dx.sclerodactyly": false, "dx.digital_pitting_scars": true,
                           "dx.bibasilar_fibrosis": true, "dx.ssc_antibody": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "undeterminable: 小基準1) alone, the antibodies not entered",
                items: merge(&minor, json!({"dx.ssc_antibody": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.ssc_antibody"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: every organ mild, mRSS not entered",
                items: merge(&mild, json!({"sev.mrss": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.mrss"]),
                errors: &["required"],
            },
        ],
    );
}
