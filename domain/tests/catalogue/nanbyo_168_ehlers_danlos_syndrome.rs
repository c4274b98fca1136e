//! エーラス・ダンロス症候群 (指定難病 168): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: 古典型は大基準3項目 (臨床診断) 又は2項目と遺伝学的検査、関節型は症状複数と遺伝学的検査、
/// その他の病型は症状複数と検査所見もしくは遺伝学的検査. 重症度: 成人は NYHA II度以上、動脈合併症・
/// 臓器破裂1回以上又は手拳大以上の皮下血腫年5回以上; 小児は小慢の状態の程度 (2020-03 概要、診断基準等).
#[test]
fn ehlers_danlos_syndrome_168() {
    let meets = json!({
        "basic.onset_ym": "2010-04", "basic.diagnosis_ym": "2015-06",
        "dx.subtype": "classical", "dx.skin_hyperextensibility": true, "dx.atrophic_scars": true,
        "dx.beighton": 5, "dx.genetic": false,
        "sev.age_group": "adult", "sev.nyha": "1", "sev.arterial_or_organ_rupture": false,
        "sev.hematomas_per_year": 5
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let mild = v(&meets, json!({"sev.hematomas_per_year": 4}));
    let two_majors = v(&meets, json!({"dx.beighton": 4}));
    let vascular = v(
        &meets,
        json!({"dx.subtype": "vascular", "dx.skin_hyperextensibility": null,
               "dx.atrophic_scars": null, "dx.beighton": null,
               "dx.symptoms_multiple": true, "dx.biochemical": false, "dx.genetic": true}),
    );
    let child = v(
        &meets,
        json!({"sev.age_group": "child", "sev.nyha": null,
               "sev.arterial_or_organ_rupture": null, "sev.hematomas_per_year": null,
               "sev.child_shoman_state": true}),
    );
    let d = form(Program::Nanbyo, "168");
    assert_eq!(d.clinical_judgment.len(), 3, "the judgments are named");
    run(
        &d,
        vec![
            Case {
                name: "meets: 古典型 clinically (Beighton 5), 5 haematomas a year",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: 古典型 with Beighton 4 and no genetic finding",
                items: entered(two_majors.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: 古典型, two majors and the genetic finding",
                items: merge(&two_majors, json!({"dx.genetic": true})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: 古典型, one major and the genetic finding",
                items: merge(
                    &two_majors,
                    json!({"dx.genetic": true, "dx.atrophic_scars": false}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "undeterminable: 古典型, two majors, the genetic test not entered",
                items: merge(&two_majors, json!({"dx.genetic": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.genetic"]),
                errors: &["required"],
            },
            Case {
                name: "does not meet severity: adult, 4 haematomas, NYHA I, no rupture",
                items: entered(mild.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "certificate only: the adult severity unmet still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: NYHA II",
                items: merge(&mild, json!({"sev.nyha": "2"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: one arterial complication or organ rupture",
                items: merge(&mild, json!({"sev.arterial_or_organ_rupture": true})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "undeterminable: adult, the haematomas not entered",
                items: merge(&mild, json!({"sev.hematomas_per_year": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.hematomas_per_year"]),
                errors: &["required"],
            },
            Case {
                name: "meets: a child in the 小慢 state",
                items: entered(child.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: a child not in the 小慢 state",
                items: merge(&child, json!({"sev.child_shoman_state": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: 血管型, symptoms and the genetic finding",
                items: entered(vascular.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: 血管型, symptoms and the biochemical finding",
                items: merge(
                    &vascular,
                    json!({"dx.genetic": false, "dx.biochemical": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: 血管型, symptoms without a laboratory finding",
                items: merge(&vascular, json!({"dx.genetic": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet: 血管型, one symptom only",
                items: merge(&vascular, json!({"dx.symptoms_multiple": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet: 関節型 without the genetic finding",
                items: merge(
                    &vascular,
                    json!({"dx.subtype": "hypermobile", "dx.biochemical": null,
                           "dx.genetic": false}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "undeterminable: 血管型, the biochemical finding not entered",
                items: merge(
                    &vascular,
                    json!({"dx.genetic": false, "dx.biochemical": null}),
                ),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.biochemical"]),
                errors: &["required"],
            },
        ],
    );
}
