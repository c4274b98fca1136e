//! バージャー病 (指定難病 47): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: Definite 1 ((1)~(5)) 又は Definite 2 ((1)・(5) と (3)又は(4)), 鑑別診断で他疾患が全て除外できる.
/// 重症度: 3度以上 (2020-03 概要、診断基準等).
#[test]
fn buerger_disease_47() {
    // Definite 2: onset at 49, (3) infrapopliteal occlusion, no smoking history.
    let meets = json!({
        "basic.onset_ym": "2018-11", "basic.diagnosis_ym": "2019-03",
        "dx.onset_age": 49, "dx.smoking": false, "dx.infrapopliteal_occlusion": true,
        "dx.upper_limb_occlusion": false, "dx.migratory_phlebitis": false,
        "dx.hypertension": false, "dx.dyslipidemia": false, "dx.diabetes": false,
        "dx.differential_excluded": true, "sev.grade": "3"
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let mild = v(&meets, json!({"sev.grade": "2"}));
    let d = form(Program::Nanbyo, "47");
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
                "meets: Definite 2 (onset at 49, (3), (5)), 3度",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: onset at 50",
                merge(&meets, json!({"dx.onset_age": 50})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: neither (3) nor (4)",
                merge(&meets, json!({"dx.infrapopliteal_occlusion": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: (4) by migratory phlebitis",
                merge(
                    &meets,
                    json!({"dx.infrapopliteal_occlusion": false, "dx.migratory_phlebitis": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: Definite 1 ((1)–(5) all)",
                merge(
                    &meets,
                    json!({"dx.smoking": true, "dx.upper_limb_occlusion": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: diabetes (5 fails)",
                merge(&meets, json!({"dx.diabetes": true})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: the differential not excluded",
                merge(&meets, json!({"dx.differential_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: the onset age not entered",
                items: merge(&meets, json!({"dx.onset_age": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.onset_age"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: 2度",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: 2度 still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: 5度",
                merge(&meets, json!({"sev.grade": "5"})),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: the grade not entered",
                items: merge(&meets, json!({"sev.grade": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.grade"]),
                errors: &["required"],
            },
        ],
    );
}
