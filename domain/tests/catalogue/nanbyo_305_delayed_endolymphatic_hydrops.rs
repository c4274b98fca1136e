//! 遅発性内リンパ水腫 (指定難病 305): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: Definite = A 症状の4項目 + B 検査所見の1〜4、B-5 の所見なし、C 鑑別の除外. 重症度: A、B、C の
/// 3項目すべて4点 (A は両側の半規管麻痺、B は平均聴力が両側40dB以上) (2020-03 概要、診断基準等).
#[test]
fn delayed_endolymphatic_hydrops_305() {
    let meets = json!({
        "basic.onset_ym": "2012-05", "basic.diagnosis_ym": "2013-01",
        "dx.a1_severe_hearing_loss": true, "dx.a2_recurrent_vertigo": true,
        "dx.a2_brief_or_positional_vertigo": false, "dx.a2_several_attacks_a_day": false,
        "dx.a3_no_auditory_fluctuation": true, "dx.a4_no_other_neurological_symptoms": true,
        "dx.b1_pta_severe_loss": true, "dx.b2_canal_paresis": true,
        "dx.b3_vestibular_findings": true, "dx.b4_no_other_cranial_nerve_disorder": true,
        "dx.b5_findings": [], "dx.differential_excluded": true,
        "sev.balance_score": "4", "sev.bilateral_canal_paresis": true,
        "sev.hearing_score": "4", "sev.pta_right": 40.0, "sev.pta_left": 95.0,
        "sev.progression_score": "4"
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let mild = v(&meets, json!({"sev.progression_score": "3"}));
    let d = form(Program::Nanbyo, "305");
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
                "meets: Definite, A 4, B 4 (40 and 95 dB), C 4",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: Probable (B-2 and B-3 not met)",
                merge(
                    &meets,
                    json!({"dx.b2_canal_paresis": false, "dx.b3_vestibular_findings": false}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: B-3 not met",
                merge(&meets, json!({"dx.b3_vestibular_findings": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: hearing fluctuates with the attacks (A-3)",
                merge(&meets, json!({"dx.a3_no_auditory_fluctuation": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: positional vertigo as the main feature",
                merge(&meets, json!({"dx.a2_brief_or_positional_vertigo": true})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: several attacks a day",
                merge(&meets, json!({"dx.a2_several_attacks_a_day": true})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: B-5 CTP 陽性 (外リンパ瘻)",
                merge(&meets, json!({"dx.b5_findings": ["ctp_positive"]})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: B-5 小脳橋角部の異常",
                merge(&meets, json!({"dx.b5_findings": ["cpa_abnormality"]})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: the differential not excluded",
                merge(&meets, json!({"dx.differential_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: B-4 not entered",
                items: merge(
                    &meets,
                    json!({"dx.b4_no_other_cranial_nerve_disorder": null}),
                ),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.b4_no_other_cranial_nerve_disorder"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: C 3点",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: C 3点 still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "does not meet: A 3点 (the bilateral paresis no longer needed)",
                merge(
                    &meets,
                    json!({"sev.balance_score": "3", "sev.bilateral_canal_paresis": null}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: B 3点 (the hearing levels no longer needed)",
                merge(
                    &meets,
                    json!({"sev.hearing_score": "3", "sev.pta_right": null, "sev.pta_left": null}),
                ),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "does not meet, with an error: B 4点 with the right ear at 39.9 dB",
                items: merge(&meets, json!({"sev.pta_right": 39.9})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &["hearing_4_without_bilateral_40_db"],
            },
            Case {
                name: "does not meet, with an error: A 4点 without a bilateral canal paresis",
                items: merge(&meets, json!({"sev.bilateral_canal_paresis": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &["balance_4_without_bilateral_canal_paresis"],
            },
            Case {
                name: "undeterminable: B 4点, the left ear's hearing level not entered",
                items: merge(&meets, json!({"sev.pta_left": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.pta_left"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: C not entered",
                items: merge(&meets, json!({"sev.progression_score": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.progression_score"]),
                errors: &["required"],
            },
        ],
    );
}
