//! 特発性拡張型心筋症 (指定難病 57): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 特発性拡張型心筋症 (57). Diagnosis (令和6年4月施行の診断基準 3): 左室収縮低下 and 左室内腔拡大,
/// with every disease to be excluded excluded (高血圧性, 弁膜性, 虚血性 and the specific heart
/// muscle diseases ①〜⑧). Source: 指定難病検討委員会 第49回 資料1-2-4. Consistency: a new
/// application needs coronary angiography in principle (※2), and a causal coronary lesion
/// contradicts "ischemic excluded". Severity: the doctor's grade from the 重症度分類表, 中等症以上;
/// the table itself could not be retrieved, and 中等症以上 follows the same research group's
/// 拘束型心筋症 (59) criterion (資料1-2-5) — to be checked against the 告示.
#[test]
fn idiopathic_dilated_cardiomyopathy_57() {
    let meets = json!({
        "basic.application_type": "new",
        "basic.onset_ym": "2021-10", "basic.diagnosis_ym": "2022-03",
        "dx.lv_systolic_dysfunction": true, "dx.lv_dilatation": true,
        "dx.coronary_angiography": "no_causal_lesion",
        "dx.excluded_diseases": [
            "hypertensive", "valvular", "ischemic", "alcoholic_peripartum_efe", "myocarditis",
            "neuromuscular", "connective_tissue", "nutritional", "metabolic",
            "arrhythmia_induced", "other_specific"
        ],
        "sev.cardiomyopathy_severity": "2"
    });
    run(
        &form(Program::Nanbyo, "57"),
        vec![
            Case {
                name: "meets: all excluded, moderate",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: myocarditis not excluded",
                items: merge(
                    &meets,
                    json!({"dx.excluded_diseases": [
                        "hypertensive", "valvular", "ischemic", "alcoholic_peripartum_efe",
                        "neuromuscular", "connective_tissue", "nutritional", "metabolic",
                        "arrhythmia_induced", "other_specific"
                    ]}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: no left ventricular dilatation",
                items: merge(&meets, json!({"dx.lv_dilatation": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet severity: mild",
                items: merge(&meets, json!({"sev.cardiomyopathy_severity": "1"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: severe",
                items: merge(&meets, json!({"sev.cardiomyopathy_severity": "3"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "certificate only: diagnosis suffices",
                items: merge(&meets, json!({"sev.cardiomyopathy_severity": "1"})),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "undeterminable: dilatation not entered",
                items: merge(&meets, json!({"dx.lv_dilatation": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.lv_dilatation"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: severity not entered",
                items: merge(&meets, json!({"sev.cardiomyopathy_severity": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.cardiomyopathy_severity"]),
                errors: &["required"],
            },
            Case {
                name: "consistency: onset after diagnosis",
                items: merge(&meets, json!({"basic.onset_ym": "2022-04"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["onset_after_diagnosis"],
            },
            Case {
                name: "consistency: new application without coronary angiography",
                items: merge(&meets, json!({"dx.coronary_angiography": "not_done"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["new_application_without_coronary_angiography"],
            },
            Case {
                name: "renewal without coronary angiography is consistent",
                items: merge(
                    &meets,
                    json!({"basic.application_type": "renewal", "dx.coronary_angiography": "not_done"}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "consistency: ischemic marked excluded despite a causal coronary lesion",
                items: merge(&meets, json!({"dx.coronary_angiography": "causal_lesion"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["ischemic_excluded_despite_coronary_lesion"],
            },
        ],
    );
    let j = form(Program::Nanbyo, "57").judge(&entered(meets), Purpose::Subsidy);
    assert_eq!(
        j.filled.get("sev.meets_severity"),
        Some(&json!(true)),
        "severity auto-filled"
    );
}
