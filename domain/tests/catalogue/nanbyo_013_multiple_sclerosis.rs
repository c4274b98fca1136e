//! 多発性硬化症／視神経脊髄炎 (指定難病 13), multiple sclerosis: the shipped master's
//! judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 多発性硬化症／視神経脊髄炎 (13), the multiple sclerosis criteria only (NMOSD is not
/// encoded). Diagnosis (厚生労働省 指定難病 13 診断基準 1.MS; 第49回指定難病検討委員会
/// 資料1-2-2 p.3, the rest in the structure of the 2015 MHLW criteria): other diseases
/// excluded, and relapsing-remitting MS — a) ≥2 attacks and ≥2 lesions with objective clinical
/// evidence, or b) ≥1 attack with objective evidence and dissemination in space (a second
/// lesion, or T2 lesions in 2 of the 4 MRI regions) and in time (a second attack, or MRI) —
/// or secondary progressive MS (relapsing-remitting criteria and gradual progression without
/// relapse), or primary progressive MS (1 year of progression and 2 of: brain T2 lesion,
/// ≥2 spinal T2 lesions, abnormal CSF). Severity: EDSS 4.5以上 or 視覚の重症度分類 Ⅱ〜Ⅳ度
/// (難病情報センター 指定難病 13). Consistency: secondary progressive needs a prior attack.
#[test]
fn multiple_sclerosis_13() {
    let meets = json!({
        "basic.onset_ym": "2018-04", "basic.diagnosis_ym": "2019-02",
        "dx.ms_course": "rr", "dx.attacks": 2, "dx.objective_lesions": 2,
        "dx.alternatives_excluded": true,
        "sev.edss": "4.5", "sev.visual_grade": "1"
    });
    let first_attack = json!({
        "dx.attacks": 1, "dx.objective_lesions": 1,
        "dx.mri_t2_regions": ["periventricular", "spinal_cord"], "dx.mri_dit": true
    });
    let primary_progressive = json!({
        "dx.ms_course": "pp", "dx.attacks": null, "dx.objective_lesions": null,
        "dx.progression_1y": true, "dx.mri_t2_regions": [],
        "dx.spinal_t2_lesions": 2, "dx.csf_abnormal": true
    });
    run(
        &form(Program::Nanbyo, "13"),
        vec![
            Case {
                name: "meets: relapsing-remitting a), EDSS 4.5",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: relapsing-remitting b), one attack, MRI in space and time",
                items: merge(&meets, first_attack.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: severity by vision alone (EDSS 2.0, visual Ⅱ度)",
                items: merge(&meets, json!({"sev.edss": "2.0", "sev.visual_grade": "2"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: secondary progressive",
                items: merge(
                    &meets,
                    json!({"dx.ms_course": "sp", "dx.progression_without_relapse": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: primary progressive, spinal lesions and CSF",
                items: merge(&meets, primary_progressive.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: one attack, MRI lesions in one region only",
                items: merge(
                    &meets,
                    json!({"dx.attacks": 1, "dx.objective_lesions": 1,
                           "dx.mri_t2_regions": ["periventricular"], "dx.mri_dit": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: primary progressive, CSF only",
                items: merge(
                    &meets,
                    json!({"dx.ms_course": "pp", "dx.attacks": null, "dx.objective_lesions": null,
                           "dx.progression_1y": true, "dx.mri_t2_regions": [],
                           "dx.spinal_t2_lesions": 1, "dx.csf_abnormal": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: other diseases not excluded",
                items: merge(&meets, json!({"dx.alternatives_excluded": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet severity: EDSS 4.0, visual Ⅰ度",
                items: merge(&meets, json!({"sev.edss": "4.0"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "certificate only: diagnosis suffices",
                items: merge(&meets, json!({"sev.edss": "1.0"})),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "undeterminable: one attack, dissemination in time on MRI not entered",
                items: merge(
                    &meets,
                    json!({"dx.attacks": 1, "dx.objective_lesions": 1,
                           "dx.mri_t2_regions": ["periventricular", "spinal_cord"]}),
                ),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.mri_dit"]),
                errors: &[],
            },
            Case {
                name: "undeterminable: primary progressive, spinal lesions and CSF not entered",
                items: merge(
                    &meets,
                    json!({"dx.ms_course": "pp", "dx.attacks": null, "dx.objective_lesions": null,
                           "dx.progression_1y": true, "dx.mri_t2_regions": ["infratentorial"]}),
                ),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.csf_abnormal", "dx.spinal_t2_lesions"]),
                errors: &[],
            },
            Case {
                name: "consistency: onset after diagnosis",
                items: merge(&meets, json!({"basic.onset_ym": "2019-06"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["onset_after_diagnosis"],
            },
            Case {
                name: "consistency: secondary progressive with no attack",
                items: merge(
                    &meets,
                    json!({"dx.ms_course": "sp", "dx.progression_without_relapse": true,
                           "dx.attacks": 0}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &["secondary_progressive_without_attack"],
            },
            Case {
                name: "type: EDSS not on the 0.5 scale",
                items: merge(&meets, json!({"sev.edss": "4.3"})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.edss"]),
                errors: &["invalid_type"],
            },
        ],
    );
    let f = form(Program::Nanbyo, "13");
    let j = f.judge(&entered(meets.clone()), Purpose::Subsidy);
    assert_eq!(
        j.filled.get("sev.meets_severity"),
        Some(&json!(true)),
        "severity auto-filled"
    );
    let j = f.judge(&merge(&meets, json!({"sev.edss": "3.5"})), Purpose::Subsidy);
    assert_eq!(
        j.filled.get("sev.meets_severity"),
        Some(&json!(false)),
        "severity auto-filled as not met"
    );
}
