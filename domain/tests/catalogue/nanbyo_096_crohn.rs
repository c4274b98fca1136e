//! クローン病 (指定難病 96): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// クローン病 (96). Diagnosis, 確診例 of the 難治性炎症性腸管障害に関する調査研究班 criteria
/// (小児慢性特定疾病情報センター 12_04_015; 久松班 令和5年度改訂版): 主要所見 A 縦走潰瘍 or
/// B 敷石像; or C 非乾酪性類上皮細胞肉芽腫 with 副所見 a (広範囲の不整形〜類円形潰瘍又はアフタ)
/// or b (特徴的な肛門病変); or all of 副所見 a, b and c (特徴的な胃・十二指腸病変); in every
/// route the differential diagnoses excluded (the criteria's per-finding exclusions, folded
/// into one item). Severity: IOIBD score 2 points or more (指定難病 96 重症度分類, 原則).
#[test]
fn crohn_96() {
    let meets = json!({
        "basic.onset_ym": "2022-08", "basic.diagnosis_ym": "2023-01",
        "dx.longitudinal_ulcer": true, "dx.cobblestone": false,
        "dx.noncaseating_granuloma": false, "dx.widespread_ulcers_or_aphthae": false,
        "dx.characteristic_anal_lesion": false, "dx.characteristic_gastroduodenal_lesion": false,
        "dx.differential_excluded": true,
        "sev.ioibd_findings": ["abdominal_pain", "diarrhea_or_bloody_mucus", "hb_le_10"],
        "sev.hemoglobin": 9.4
    });
    let mild = json!({"sev.ioibd_findings": ["abdominal_pain"], "sev.hemoglobin": 12.8});
    run(
        &form(Program::Nanbyo, "96"),
        vec![
            Case {
                name: "meets: longitudinal ulcer, IOIBD 3",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: granuloma with a characteristic anal lesion",
                items: merge(
                    &meets,
                    json!({"dx.longitudinal_ulcer": false, "dx.noncaseating_granuloma": true,
                           "dx.characteristic_anal_lesion": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: side findings a, b and c without a major finding",
                items: merge(
                    &meets,
                    json!({"dx.longitudinal_ulcer": false, "dx.widespread_ulcers_or_aphthae": true,
                           "dx.characteristic_anal_lesion": true,
                           "dx.characteristic_gastroduodenal_lesion": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: granuloma only (疑診)",
                items: merge(
                    &meets,
                    json!({"dx.longitudinal_ulcer": false, "dx.noncaseating_granuloma": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: granuloma with gastroduodenal lesion only (疑診)",
                items: merge(
                    &meets,
                    json!({"dx.longitudinal_ulcer": false, "dx.noncaseating_granuloma": true,
                           "dx.characteristic_gastroduodenal_lesion": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: ischaemic or ulcerative colitis not excluded",
                items: merge(&meets, json!({"dx.differential_excluded": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet severity: IOIBD 1",
                items: merge(&meets, mild.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "certificate only: diagnosis suffices with IOIBD 1",
                items: merge(&meets, mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "undeterminable: IOIBD not entered",
                items: merge(&meets, json!({"sev.ioibd_findings": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.ioibd_findings"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: granuloma, side findings a and b not entered",
                items: merge(
                    &meets,
                    json!({"dx.longitudinal_ulcer": false, "dx.noncaseating_granuloma": true,
                           "dx.widespread_ulcers_or_aphthae": null,
                           "dx.characteristic_anal_lesion": null}),
                ),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&[
                    "dx.characteristic_anal_lesion",
                    "dx.widespread_ulcers_or_aphthae",
                ]),
                errors: &["required", "required"],
            },
            Case {
                name: "consistency: onset after diagnosis",
                items: merge(&meets, json!({"basic.onset_ym": "2023-06"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["onset_after_diagnosis"],
            },
            Case {
                name: "consistency: IOIBD haemoglobin item checked with Hb 12.1",
                items: merge(&meets, json!({"sev.hemoglobin": 12.1})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["ioibd_hemoglobin_mismatch"],
            },
            Case {
                name: "consistency: Hb 9.0 but the IOIBD haemoglobin item not checked",
                items: merge(
                    &meets,
                    json!({"sev.ioibd_findings": ["abdominal_pain"], "sev.hemoglobin": 9.0}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &["ioibd_hemoglobin_mismatch"],
            },
            Case {
                name: "derived: an entered IOIBD score that is not the count of the items",
                items: merge(&meets, json!({"sev.ioibd_score": 1})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["derived_mismatch"],
            },
            Case {
                name: "type: an IOIBD item that does not exist",
                items: merge(
                    &meets,
                    json!({"sev.ioibd_findings": ["abdominal_pain", "nausea"]}),
                ),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.ioibd_findings"]),
                errors: &["invalid_type"],
            },
        ],
    );
    let j = form(Program::Nanbyo, "96").judge(&entered(meets), Purpose::Subsidy);
    assert_eq!(
        j.filled.get("sev.meets_severity"),
        Some(&json!(true)),
        "severity auto-filled"
    );
    assert_eq!(
        j.filled.get("sev.ioibd_score"),
        Some(&json!(3)),
        "IOIBD score auto-filled"
    );
    let j = form(Program::Nanbyo, "96").judge(
        &entered(json!({"sev.ioibd_findings": []})),
        Purpose::Subsidy,
    );
    assert_eq!(j.filled.get("sev.ioibd_score"), Some(&json!(0)));
    assert_eq!(j.filled.get("sev.meets_severity"), Some(&json!(false)));
}
