//! パーキンソン病 (指定難病 6): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// パーキンソン病 (6). Diagnosis: all four items of the 診断基準. Severity: Hoehn-Yahr 3度以上
/// かつ 生活機能障害度 2度以上 (厚生労働省 指定難病 6 重症度分類).
#[test]
fn parkinson_6() {
    let meets = json!({
        "basic.onset_ym": "2019-06", "basic.diagnosis_ym": "2020-02",
        "dx.parkinsonism": true, "dx.imaging_no_cause": true,
        "dx.no_drug_toxin_exposure": true, "dx.antiparkinson_response": true,
        "sev.hoehn_yahr": "3", "sev.daily_life_disability": "2"
    });
    run(
        &form(Program::Nanbyo, "6"),
        vec![
            Case {
                name: "meets: stage 3, disability 2",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet severity: stage 2",
                items: merge(&meets, json!({"sev.hoehn_yahr": "2"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet severity: disability 1",
                items: merge(&meets, json!({"sev.daily_life_disability": "1"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "certificate only: diagnosis suffices",
                items: merge(&meets, json!({"sev.hoehn_yahr": "1"})),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: drug exposure",
                items: merge(&meets, json!({"dx.no_drug_toxin_exposure": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "undeterminable: treatment response not entered",
                items: merge(&meets, json!({"dx.antiparkinson_response": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.antiparkinson_response"]),
                errors: &["required"],
            },
            Case {
                name: "consistency: onset after diagnosis",
                items: merge(&meets, json!({"basic.onset_ym": "2021-01"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["onset_after_diagnosis"],
            },
            Case {
                name: "consistency: parkinsonism with stage 0",
                items: merge(&meets, json!({"sev.hoehn_yahr": "0"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &["parkinsonism_with_stage_0"],
            },
            Case {
                name: "type: stage not a choice",
                items: merge(&meets, json!({"sev.hoehn_yahr": "6"})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.hoehn_yahr"]),
                errors: &["invalid_type"],
            },
        ],
    );
    let j = form(Program::Nanbyo, "6").judge(&entered(meets), Purpose::Subsidy);
    assert_eq!(
        j.filled.get("sev.meets_severity"),
        Some(&json!(true)),
        "severity auto-filled"
    );
}
