//! 重症筋無力症 (指定難病 11): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 重症筋無力症 (11). Diagnosis (厚生労働省 指定難病 11 診断基準; 第49回指定難病検討委員会
/// 資料1-2-1 p.62): one or more of the nine symptoms of 1 with fatigability and diurnal
/// variation, and either an AChR or MuSK antibody positive (2), or a physiological finding of
/// neuromuscular-junction failure (3: low-frequency repetitive stimulation, edrophonium test,
/// single-fibre EMG) with every differential diagnosis of 4 excluded. Severity: MGFA ClassⅠ以上
/// in the worst state of the last six months (難病情報センター); "0" records a state below
/// ClassⅠ. Consistency: MGFA ClassⅤ if and only if intubated.
#[test]
fn myasthenia_gravis_11() {
    let meets = json!({
        "basic.onset_ym": "2022-09", "basic.diagnosis_ym": "2023-01",
        "dx.symptoms": ["ptosis", "limb_trunk"], "dx.fatigability_diurnal": true,
        "dx.achr_ab": "positive", "dx.musk_ab": "negative",
        "sev.mgfa_class": "2a", "sev.intubated": false
    });
    let seronegative = merge(
        &meets,
        json!({
            "dx.achr_ab": "negative", "dx.musk_ab": "negative",
            "dx.nmj_findings": ["rns"], "dx.differential_excluded": true
        }),
    );
    let seronegative = serde_json::to_value(seronegative).unwrap();
    run(
        &form(Program::Nanbyo, "11"),
        vec![
            Case {
                name: "meets: AChR antibody, ClassⅡa",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: MuSK antibody alone, ocular ClassⅠ",
                items: merge(
                    &meets,
                    json!({"dx.achr_ab": "negative", "dx.musk_ab": "positive", "sev.mgfa_class": "1"}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: seronegative, repetitive stimulation, differentials excluded",
                items: entered(seronegative.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: seronegative, no physiological finding",
                items: merge(&seronegative, json!({"dx.nmj_findings": []})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: seronegative, differentials not excluded",
                items: merge(&seronegative, json!({"dx.differential_excluded": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: no fatigability or diurnal variation",
                items: merge(&meets, json!({"dx.fatigability_diurnal": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet severity: below ClassⅠ",
                items: merge(&meets, json!({"sev.mgfa_class": "0"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "certificate only: diagnosis suffices",
                items: merge(&meets, json!({"sev.mgfa_class": "0"})),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "undeterminable: seronegative, physiological findings not entered",
                items: merge(&seronegative, json!({"dx.nmj_findings": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.nmj_findings"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: antibodies not entered",
                items: merge(&meets, json!({"dx.achr_ab": null, "dx.musk_ab": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&[
                    "dx.achr_ab",
                    "dx.differential_excluded",
                    "dx.musk_ab",
                    "dx.nmj_findings",
                ]),
                errors: &["required", "required"],
            },
            Case {
                name: "consistency: onset after diagnosis",
                items: merge(&meets, json!({"basic.onset_ym": "2023-05"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["onset_after_diagnosis"],
            },
            Case {
                name: "consistency: ClassⅤ without intubation",
                items: merge(&meets, json!({"sev.mgfa_class": "5"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["mgfa_5_iff_intubated"],
            },
            Case {
                name: "consistency: intubated but ClassⅣb",
                items: merge(
                    &meets,
                    json!({"sev.mgfa_class": "4b", "sev.intubated": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["mgfa_5_iff_intubated"],
            },
            Case {
                name: "type: MGFA class not a choice",
                items: merge(&meets, json!({"sev.mgfa_class": "2"})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.mgfa_class"]),
                errors: &["invalid_type"],
            },
        ],
    );
    let f = form(Program::Nanbyo, "11");
    let j = f.judge(&entered(meets.clone()), Purpose::Subsidy);
    assert_eq!(
        j.filled.get("sev.meets_severity"),
        Some(&json!(true)),
        "severity auto-filled"
    );
    let j = f.judge(
        &merge(&meets, json!({"sev.mgfa_class": "0"})),
        Purpose::Subsidy,
    );
    assert_eq!(
        j.filled.get("sev.meets_severity"),
        Some(&json!(false)),
        "severity auto-filled as not met"
    );
}
