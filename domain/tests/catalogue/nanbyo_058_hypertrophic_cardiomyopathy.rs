//! 肥大型心筋症 (指定難病 58): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: (1) 画像診断による所見 (病型 a)〜e) のいずれか) と (2) 鑑別診断. 重症度: 中等症以上 (NYHA II 以上
/// で不整脈・入院歴・突然死リスクのいずれか、又は NYHA III 以上・持続性心室頻拍/心室細動・入院 2 回以上;
/// 突然死リスクは 4 項目のうち 2 項目以上、壁厚は > 30 mm), 新規申請では大項目 ①〜③ の一つ以上 (壁厚は
/// ≥ 30 mm) (2020-03 概要、診断基準等; 重症度分類表は docx の画像).
#[test]
fn hypertrophic_cardiomyopathy_58() {
    // New application, obstructive; NYHA II with one admission in the past year: 中等症, 大項目 ①.
    let meets = json!({
        "basic.application_type": "new",
        "basic.onset_ym": "2019-05", "basic.diagnosis_ym": "2019-09",
        "dx.imaging_findings": ["obstructive"], "dx.differential_excluded": true,
        "sev.nyha": "2", "sev.arrhythmia": "0", "sev.admissions_past_year": 1,
        "sev.lethal_arrhythmia": false, "sev.syncope_cardiac_arrest": false,
        "sev.family_sudden_death": false, "sev.max_wall_thickness": 25.0,
        "sev.admission_history": true, "sev.estimated_mets": 6.5,
        "sev.peak_vo2_measured": false, "sev.family_hcm_death_or_hf": false,
        "sev.exercise_test": false, "sev.lvot_gradient": 30.0,
        "sev.other_hemodynamic_abnormality": false, "sev.poor_prognosis_variant": false
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    // NYHA II with 非持続性心室頻拍 (中等症) but no admission and no 大項目.
    let no_major = v(
        &meets,
        json!({"sev.arrhythmia": "1", "sev.admissions_past_year": 0,
               "sev.admission_history": false}),
    );
    // NYHA II with nothing else: 軽症.
    let mild = v(&no_major, json!({"sev.arrhythmia": "0"}));
    let d = form(Program::Nanbyo, "58");
    assert_eq!(d.clinical_judgment.len(), 3, "the judgments are named");
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
                "meets: obstructive, NYHA II and one admission (中等症, 大項目 ①)",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: no imaging finding",
                merge(&meets, json!({"dx.imaging_findings": []})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: apical and mid-ventricular findings",
                merge(
                    &meets,
                    json!({"dx.imaging_findings": ["apical", "midventricular"]}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: the differential not excluded",
                merge(&meets, json!({"dx.differential_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: the differential not entered",
                items: merge(&meets, json!({"dx.differential_excluded": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.differential_excluded"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: NYHA I with one admission (軽症)",
                merge(&meets, json!({"sev.nyha": "1"})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: 軽症 still earns the certificate",
                items: merge(&meets, json!({"sev.nyha": "1"})),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: NYHA I with two admissions (重症)",
                merge(
                    &meets,
                    json!({"sev.nyha": "1", "sev.admissions_past_year": 2}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: NYHA III alone (重症) with 大項目 ①",
                merge(
                    &mild,
                    json!({"sev.nyha": "3", "sev.admission_history": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: NYHA I with sustained VT (重症) and 大項目 ③1)",
                merge(
                    &mild,
                    json!({"sev.nyha": "1", "sev.arrhythmia": "2",
                           "sev.lethal_arrhythmia": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: NYHA II alone (軽症)",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: 中等症 but no 大項目 on a new application",
                entered(no_major.clone()),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: the same on renewal (大項目 not judged)",
                merge(&no_major, json!({"basic.application_type": "renewal"})),
                Outcome::Meets,
            ),
            case(
                "meets: renewal without the 大項目 items",
                merge(
                    &no_major,
                    json!({"basic.application_type": "renewal",
                           "sev.admission_history": null, "sev.estimated_mets": null,
                           "sev.peak_vo2_measured": null, "sev.family_hcm_death_or_hf": null,
                           "sev.exercise_test": null, "sev.lvot_gradient": null,
                           "sev.other_hemodynamic_abnormality": null,
                           "sev.poor_prognosis_variant": null}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: 大項目 ② METs 6.0",
                merge(&no_major, json!({"sev.estimated_mets": 6.0})),
                Outcome::Meets,
            ),
            case(
                "does not meet: METs 6.1",
                merge(&no_major, json!({"sev.estimated_mets": 6.1})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: sustained VT (重症) at NYHA I, METs 6.0 (大項目 ② needs NYHA II)",
                merge(
                    &no_major,
                    json!({"sev.nyha": "1", "sev.arrhythmia": "2", "sev.estimated_mets": 6.0}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: peak VO2 19.9",
                merge(
                    &no_major,
                    json!({"sev.peak_vo2_measured": true, "sev.peak_vo2": 19.9}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: peak VO2 20.0",
                merge(
                    &no_major,
                    json!({"sev.peak_vo2_measured": true, "sev.peak_vo2": 20.0}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: 大項目 ③5) wall 30.0 mm",
                merge(&no_major, json!({"sev.max_wall_thickness": 30.0})),
                Outcome::Meets,
            ),
            case(
                "does not meet: wall 29.9 mm",
                merge(&no_major, json!({"sev.max_wall_thickness": 29.9})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: 突然死リスク family history and wall 30.1 mm (> 30), 中等症",
                merge(
                    &mild,
                    json!({"sev.family_sudden_death": true, "sev.max_wall_thickness": 30.1}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: family history and wall 30.0 mm is one risk only (軽症)",
                merge(
                    &mild,
                    json!({"sev.family_sudden_death": true, "sev.max_wall_thickness": 30.0}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: 突然死リスク syncope and lethal arrhythmia",
                merge(
                    &mild,
                    json!({"sev.syncope_cardiac_arrest": true, "sev.lethal_arrhythmia": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: 大項目 ③4) age 39, BP rise 24 mmHg",
                merge(
                    &no_major,
                    json!({"sev.exercise_test": true, "sev.exercise_age": 39,
                           "sev.exercise_bp_rise": 24}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: age 40",
                merge(
                    &no_major,
                    json!({"sev.exercise_test": true, "sev.exercise_age": 40,
                           "sev.exercise_bp_rise": 24}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: BP rise 25 mmHg",
                merge(
                    &no_major,
                    json!({"sev.exercise_test": true, "sev.exercise_age": 39,
                           "sev.exercise_bp_rise": 25}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: LVOT gradient 50 mmHg",
                merge(&no_major, json!({"sev.lvot_gradient": 50.0})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: LVOT gradient 50.1 mmHg",
                merge(&no_major, json!({"sev.lvot_gradient": 50.1})),
                Outcome::Meets,
            ),
            case(
                "meets: another severe hemodynamic abnormality",
                merge(
                    &no_major,
                    json!({"sev.other_hemodynamic_abnormality": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: 大項目 ③3) family history of HCM death or heart failure",
                merge(&no_major, json!({"sev.family_hcm_death_or_hf": true})),
                Outcome::Meets,
            ),
            case(
                "meets: 大項目 ③7) a poor-prognosis variant",
                merge(&no_major, json!({"sev.poor_prognosis_variant": true})),
                Outcome::Meets,
            ),
            case(
                "meets: 大項目 ③8) dilated phase",
                merge(
                    &no_major,
                    json!({"dx.imaging_findings": ["nonobstructive", "dilated_phase"]}),
                ),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: NYHA not entered",
                items: merge(&meets, json!({"sev.nyha": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.nyha"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: METs needed and not entered",
                items: merge(&no_major, json!({"sev.estimated_mets": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.estimated_mets"]),
                errors: &["required"],
            },
            Case {
                name: "consistency: an admission in the past year but no admission history",
                items: merge(&meets, json!({"sev.admission_history": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["admission_in_past_year_without_history"],
            },
            Case {
                name: "derived: 中等症 entered as 軽症",
                items: merge(&meets, json!({"sev.grade": "1"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["derived_mismatch"],
            },
        ],
    );
    let grade = |items: serde_json::Value| {
        d.judge(&entered(items), Purpose::Subsidy)
            .filled
            .get("sev.grade")
            .cloned()
    };
    assert_eq!(grade(meets.clone()), Some(json!("2")), "中等症");
    assert_eq!(grade(mild.clone()), Some(json!("1")), "軽症");
    assert_eq!(
        grade(v(&meets, json!({"sev.admissions_past_year": 2}))),
        Some(json!("3")),
        "重症"
    );
    assert_eq!(grade(v(&meets, json!({"sev.nyha": null}))), None);
}
