//! もやもや病 (指定難病 22): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: 内頚動脈終末部の狭窄又は閉塞ともやもや血管、類似病変の除外; 脳血管造影、又は 1.5T 以上の MRA で
/// 両側性かつ動脈硬化の合併なし. 重症度: 成人は Barthel Index 85 以下、高次脳機能低下、手術適応・術後5年
/// 以内、再発; 小児は小慢の要件 (2020-03 概要、診断基準等).
#[test]
fn moyamoya_disease_22() {
    let meets = json!({
        "basic.onset_ym": "2019-10", "basic.diagnosis_ym": "2019-11",
        "dx.imaging": "mra_1_5t", "dx.terminal_ica_stenosis": true, "dx.moyamoya_vessels": true,
        "dx.laterality": "bilateral", "dx.with_arteriosclerosis": false,
        "dx.similar_lesions_excluded": true,
        "sev.age_group": "adult", "sev.barthel_index": 85, "sev.higher_brain_dysfunction": false,
        "sev.surgical": false, "sev.recurrence": false
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let mild = v(&meets, json!({"sev.barthel_index": 90}));
    let child = v(
        &meets,
        json!({"sev.age_group": "child", "sev.barthel_index": null,
               "sev.higher_brain_dysfunction": null, "sev.surgical": null,
               "sev.recurrence": null, "sev.child_shoman_symptoms": true}),
    );
    let d = form(Program::Nanbyo, "22");
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
                "meets: bilateral on 1.5T MRA, Barthel 85",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: unilateral on MRA (angiography required)",
                merge(&meets, json!({"dx.laterality": "unilateral"})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: arteriosclerosis on MRA (angiography required)",
                merge(&meets, json!({"dx.with_arteriosclerosis": true})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: unilateral on angiography",
                merge(
                    &meets,
                    json!({"dx.imaging": "angiography", "dx.laterality": "unilateral"}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: MR below 1.5T",
                merge(&meets, json!({"dx.imaging": "other_mr"})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: no moyamoya vessels",
                merge(&meets, json!({"dx.moyamoya_vessels": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: similar lesions not excluded",
                merge(&meets, json!({"dx.similar_lesions_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: MRA, the laterality not entered",
                items: merge(&meets, json!({"dx.laterality": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.laterality"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: Barthel 86, nothing else",
                merge(&mild, json!({"sev.barthel_index": 86})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: not severe still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: higher brain dysfunction",
                merge(&mild, json!({"sev.higher_brain_dysfunction": true})),
                Outcome::Meets,
            ),
            case(
                "meets: within 5 years of surgery",
                merge(&mild, json!({"sev.surgical": true})),
                Outcome::Meets,
            ),
            case(
                "meets: recurrence",
                merge(&mild, json!({"sev.recurrence": true})),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: Barthel not entered, nothing else",
                items: merge(&mild, json!({"sev.barthel_index": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.barthel_index"]),
                errors: &["required"],
            },
            case(
                "meets: a child with a lasting symptom",
                entered(child.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: a child without a lasting symptom",
                merge(&child, json!({"sev.child_shoman_symptoms": false})),
                Outcome::DoesNotMeet,
            ),
        ],
    );
}
