//! 後縦靱帯骨化症 (指定難病 69): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: 画像所見 + 自覚症状及び身体所見 + 靱帯骨化との因果関係 (医師の判断). 重症度: 著しい運動
/// 機能障害 (医師の判断) かつ JOA: 頸髄症は上肢I・下肢IIのいずれかが2点以下 (合計6・7点でも手術
/// 治療なら可)、胸髄症・腰髄症は下肢IIが2点以下 (3点でも手術治療なら可) (2020-03 概要、診断基準等).
#[test]
fn ossification_of_posterior_longitudinal_ligament_69() {
    let meets = json!({
        "basic.onset_ym": "2020-05", "basic.diagnosis_ym": "2021-03",
        "dx.symptoms": ["1", "5"], "dx.imaging": ["ct"], "dx.causal": true,
        "sev.marked_motor_dysfunction": true, "sev.myelopathy_level": "1",
        "sev.joa_upper": "3", "sev.joa_lower": "2"
    });
    let d = form(Program::Nanbyo, "69");
    assert_eq!(
        d.clinical_judgment.len(),
        2,
        "the clinician's judgments are named"
    );
    run(
        &d,
        vec![
            Case {
                name: "meets: cervical, lower limb 2",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: cervical 3 and 3 (total 6) without surgery",
                items: merge(&meets, json!({"sev.joa_lower": "3", "sev.surgery": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: cervical total 7 with surgery",
                items: merge(
                    &meets,
                    json!({"sev.joa_lower": "3", "sev.joa_upper": "4", "sev.surgery": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: cervical total 8 with surgery",
                items: merge(
                    &meets,
                    json!({"sev.joa_lower": "4", "sev.joa_upper": "4", "sev.surgery": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "thoracic: lower limb 3 with surgery meets",
                items: merge(
                    &meets,
                    json!({"sev.myelopathy_level": "2", "sev.joa_upper": null,
                           "sev.joa_lower": "3", "sev.surgery": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: no imaging finding",
                items: merge(&meets, json!({"dx.imaging": []})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "undeterminable: thoracic lower limb 3, surgery not entered",
                items: merge(
                    &meets,
                    json!({"sev.myelopathy_level": "2", "sev.joa_upper": null, "sev.joa_lower": "3"}),
                ),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.surgery"]),
                errors: &[],
            },
        ],
    );
}
