//! 進行性核上性麻痺 (指定難病 5): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: (1) を満たし、(2) 主要症候の2項目以上があり、(3) 除外項目のいずれもない. 重症度: mRS、
/// 食事・栄養、呼吸のいずれかが3以上 (2020-03 概要、診断基準等).
#[test]
fn progressive_supranuclear_palsy_5() {
    // (2) ① and ② (two of three); every severity scale just below 3 but mRS at 3.
    let meets = json!({
        "basic.onset_ym": "2019-09", "basic.diagnosis_ym": "2021-02",
        "dx.onset_and_course": true, "dx.vertical_supranuclear_gaze": true,
        "dx.early_postural_instability": true, "dx.axial_akinesia_rigidity": false,
        "dx.levodopa_marked_response": false, "dx.early_severe_autonomic": false,
        "dx.prominent_polyneuropathy": false, "dx.cbd_signs": false, "dx.evident_cause": false,
        "sev.mrs": "3", "sev.nutrition": "2", "sev.respiration": "2"
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let mild = v(&meets, json!({"sev.mrs": "2"}));
    let d = form(Program::Nanbyo, "5");
    assert_eq!(d.clinical_judgment.len(), 2, "the judgments are named");
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
                "meets: (2) ① and ②, mRS 3",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: (2) ① only",
                merge(&meets, json!({"dx.early_postural_instability": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: (2) ② and ③",
                merge(
                    &meets,
                    json!({"dx.vertical_supranuclear_gaze": false,
                           "dx.axial_akinesia_rigidity": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: (1) not met",
                merge(&meets, json!({"dx.onset_and_course": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: levodopa markedly effective (Parkinson's disease)",
                merge(&meets, json!({"dx.levodopa_marked_response": true})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: signs of corticobasal degeneration",
                merge(&meets, json!({"dx.cbd_signs": true})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: the autonomic exclusion not entered",
                items: merge(&meets, json!({"dx.early_severe_autonomic": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.early_severe_autonomic"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: mRS 2, N 2, R 2",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: mRS 2, N 2, R 2 still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: N 3",
                merge(&mild, json!({"sev.nutrition": "3"})),
                Outcome::Meets,
            ),
            case(
                "meets: R 3",
                merge(&mild, json!({"sev.respiration": "3"})),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: mRS 2, N 2, R not entered",
                items: merge(&mild, json!({"sev.respiration": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.respiration"]),
                errors: &["required"],
            },
        ],
    );
}
