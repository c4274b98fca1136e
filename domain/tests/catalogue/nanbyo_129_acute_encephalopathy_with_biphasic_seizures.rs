//! 痙攣重積型（二相性）急性脳症 (指定難病 129): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: ①②双方を満たし、さらに③ (3~7病日の late seizure・意識障害の増悪), ④ (3~14病日の拡散強調画像の
/// 高信号) 又は⑤ (2週以降の残存病変・萎縮・血流低下) のいずれか. 重症度: PCPC 3点以上 (2020-03 概要、診断基準等).
#[test]
fn acute_encephalopathy_with_biphasic_seizures_129() {
    // ① ② and ③ on the 3rd day; ④ ⑤ absent.
    let meets = json!({
        "basic.onset_ym": "2023-02", "basic.diagnosis_ym": "2023-02",
        "dx.febrile_infection_onset": true, "dx.other_causes_excluded": true,
        "dx.early_seizure": true, "dx.late_seizure": true, "dx.late_seizure_day": 3,
        "dx.dwi_high_signal": false, "dx.late_imaging": false, "sev.pcpc": "3"
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let imaging_only = v(
        &meets,
        json!({"dx.late_seizure": false, "dx.late_seizure_day": null,
               "dx.dwi_high_signal": true, "dx.dwi_day": 14}),
    );
    let mild = v(&meets, json!({"sev.pcpc": "2"}));
    let d = form(Program::Nanbyo, "129");
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
                "meets: ①②, late seizure on day 3, PCPC 3",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: late seizure on day 2 only",
                merge(&meets, json!({"dx.late_seizure_day": 2})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: late seizure on day 7",
                merge(&meets, json!({"dx.late_seizure_day": 7})),
                Outcome::Meets,
            ),
            case(
                "does not meet: late seizure on day 8 only",
                merge(&meets, json!({"dx.late_seizure_day": 8})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: ④ on day 14",
                entered(imaging_only.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: ④ on day 15 only",
                merge(&imaging_only, json!({"dx.dwi_day": 15})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: ④ on day 3",
                merge(&imaging_only, json!({"dx.dwi_day": 3})),
                Outcome::Meets,
            ),
            case(
                "does not meet: ④ on day 2 only",
                merge(&imaging_only, json!({"dx.dwi_day": 2})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: ⑤ only",
                merge(
                    &imaging_only,
                    json!({"dx.dwi_high_signal": false, "dx.dwi_day": null,
                           "dx.late_imaging": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: no early seizure (② fails)",
                merge(&meets, json!({"dx.early_seizure": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: encephalitis not excluded",
                merge(&meets, json!({"dx.other_causes_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: late seizure, its day not entered",
                items: merge(&meets, json!({"dx.late_seizure_day": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.late_seizure_day"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: PCPC 2",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: PCPC 2 still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "undeterminable: PCPC not entered",
                items: merge(&meets, json!({"sev.pcpc": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.pcpc"]),
                errors: &["required"],
            },
        ],
    );
}
