//! 特発性大腿骨頭壊死症 (指定難病 71): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: Definite = 1–5 のうち2つ以上 (X線所見 1・2 は関節裂隙の狭小化がなく臼蓋に異常所見がない
/// とき); 除外診断; 医薬品副作用被害救済制度で副作用によるものとされた症例を除く. 重症度: Type B・C、
/// Stage 2以上、又は患側の JOA Hip score 80点未満 (2020-03 概要、診断基準等).
#[test]
fn idiopathic_osteonecrosis_of_the_femoral_head_71() {
    // 3 (scintigraphy) and 4 (MRI), no X-ray finding; Type A, Stage 1, the right hip at 79.
    let meets = json!({
        "basic.onset_ym": "2022-02", "basic.diagnosis_ym": "2022-06",
        "dx.xray_collapse": false, "dx.xray_band_sclerosis": false,
        "dx.scintigraphy_cold_in_hot": true,
        "dx.mri_band_low_signal": true, "dx.biopsy_necrosis": false,
        "dx.exclusions_excluded": true, "dx.adverse_drug_reaction_relief": false,
        "sev.necrosis_type": "A", "sev.stage": "1", "sev.affected_side": "right",
        "sev.joa_hip_right": 79
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let one_item = v(&meets, json!({"dx.scintigraphy_cold_in_hot": false}));
    let mild = v(&meets, json!({"sev.joa_hip_right": 80}));
    let d = form(Program::Nanbyo, "71");
    assert_eq!(d.clinical_judgment.len(), 1, "the judgment is named");
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
                "meets: 3 and 4, JOA 79 on the affected side",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: one item only (MRI)",
                entered(one_item.clone()),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: MRI and X-ray 1, joint space and acetabulum normal",
                merge(
                    &one_item,
                    json!({"dx.xray_collapse": true, "dx.xray_joint_preserved": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: MRI and X-ray 1 with a narrowed joint space",
                merge(
                    &one_item,
                    json!({"dx.xray_collapse": true, "dx.xray_joint_preserved": false}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: X-ray 1 and 2 alone, joint preserved",
                merge(
                    &one_item,
                    json!({"dx.mri_band_low_signal": false, "dx.xray_collapse": true,
                           "dx.xray_band_sclerosis": true, "dx.xray_joint_preserved": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: biopsy and MRI",
                merge(&one_item, json!({"dx.biopsy_necrosis": true})),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: MRI and X-ray 2, the joint requirement not entered",
                items: merge(&one_item, json!({"dx.xray_band_sclerosis": true})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.xray_joint_preserved"]),
                errors: &["required"],
            },
            case(
                "does not meet: the exclusions not made",
                merge(&meets, json!({"dx.exclusions_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: an adverse drug reaction under the relief system",
                merge(&meets, json!({"dx.adverse_drug_reaction_relief": true})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: one item, the biopsy not entered",
                items: merge(&one_item, json!({"dx.biopsy_necrosis": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.biopsy_necrosis"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: Type A, Stage 1, JOA 80 (良)",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: JOA 80 still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: Type B",
                merge(&mild, json!({"sev.necrosis_type": "B"})),
                Outcome::Meets,
            ),
            case(
                "meets: Type C-2",
                merge(&mild, json!({"sev.necrosis_type": "C2"})),
                Outcome::Meets,
            ),
            case(
                "meets: Stage 2",
                merge(&mild, json!({"sev.stage": "2"})),
                Outcome::Meets,
            ),
            case(
                "meets: Stage 3A",
                merge(&mild, json!({"sev.stage": "3A"})),
                Outcome::Meets,
            ),
            case(
                "meets: both hips, the left at 69 (不可)",
                merge(
                    &mild,
                    json!({"sev.affected_side": "both", "sev.joa_hip_left": 69}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: left affected at 80, the unaffected right's 79 not counted",
                merge(
                    &meets,
                    json!({"sev.affected_side": "left", "sev.joa_hip_left": 80}),
                ),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: both hips, the left score not entered",
                items: merge(&mild, json!({"sev.affected_side": "both"})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.joa_hip_left"]),
                errors: &["required"],
            },
        ],
    );
}
