//! 点頭てんかん (小児慢性特定疾病 神経・筋疾患 告示番号60): the shipped master's judgment, case by
//! case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 点頭てんかん (11-60). Diagnosis (小児慢性特定疾病情報センター 診断の手引き 11_22_058): 「Iの1、2
/// あるいはすべてとIIの1.を満たすとき」 — I-1 発症年齢 (生後3~11か月, attested by the doctor: not a
/// threshold), I-2 シリーズ形成性のてんかん性スパスムス and II-1 ヒプスアリスミア; I-3 and II-2 are
/// recorded only. 対象基準 (same 手引き): 運動障害 … 骨折又は脱臼のうち一つ以上の症状が続く場合.
/// The criteria have no numeric threshold.
#[test]
fn west_syndrome_11_60() {
    let meets = json!({
        "basic.onset_ym": "2024-02", "basic.diagnosis_ym": "2024-03",
        "dx.onset_age_typical": true, "dx.epileptic_spasms_in_series": true,
        "dx.developmental_arrest_regression": true, "dx.hypsarrhythmia": true,
        "sev.persisting_symptoms": ["seizures", "intellectual"]
    });
    run(
        &form(Program::Shoman, "11-60"),
        vec![
            Case {
                name:
                    "meets: I-1, I-2 and all of I with II-1, seizures and intellectual disability",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: I-1 and I-2 without I-3 (「1、2あるいはすべて」), one symptom",
                items: merge(
                    &meets,
                    json!({
                        "dx.developmental_arrest_regression": false,
                        "sev.persisting_symptoms": ["fracture_dislocation"]
                    }),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: no hypsarrhythmia (II-1)",
                items: merge(&meets, json!({"dx.hypsarrhythmia": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: spasms not in series (I-2)",
                items: merge(&meets, json!({"dx.epileptic_spasms_in_series": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: onset age does not fit I-1",
                items: merge(&meets, json!({"dx.onset_age_typical": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet severity: no persisting symptom",
                items: merge(&meets, json!({"sev.persisting_symptoms": ["none"]})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "registrant certificate only: the diagnosis alone, no symptom",
                items: merge(&meets, json!({"sev.persisting_symptoms": ["none"]})),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "undeterminable: the EEG (II-1) not entered",
                items: merge(&meets, json!({"dx.hypsarrhythmia": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.hypsarrhythmia"]),
                errors: &["required"],
            },
            Case {
                name: "consistency: 'none' together with a symptom",
                items: merge(
                    &meets,
                    json!({"sev.persisting_symptoms": ["none", "motor"]}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["none_with_symptom"],
            },
            Case {
                name: "auto-fill: an entered severity that contradicts the symptoms",
                items: merge(&meets, json!({"sev.meets_severity": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["derived_mismatch"],
            },
        ],
    );
    let j = form(Program::Shoman, "11-60").judge(&entered(meets), Purpose::Subsidy);
    assert_eq!(
        j.filled.get("sev.meets_severity"),
        Some(&json!(true)),
        "severity auto-filled"
    );
}
