//! 前頭側頭葉変性症 (指定難病 127): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: (行動異常型)前頭側頭型認知症 = 必須項目、A~F の3項目以上、発症65歳以下、画像、除外診断; 意味性
/// 認知症 = 物品呼称と単語理解の障害 (日常生活の阻害)、A~D の3つ以上、発症65歳以下、側頭葉前部の萎縮、
/// 除外診断. 重症度: 病型ごとの重症度分類 3 以上 (2020-03 概要、診断基準等).
#[test]
fn frontotemporal_lobar_degeneration_127() {
    // A (one of three), B and D: three of A–F.
    let bv = json!({
        "basic.onset_ym": "2021-03", "basic.diagnosis_ym": "2022-01",
        "dx.subtype": "bvftd", "dx.onset_age": 65, "dx.bv_essential": true,
        "dx.bv_disinhibition": ["2"], "dx.bv_apathy": true, "dx.bv_loss_of_empathy": [],
        "dx.bv_perseveration": ["3"], "dx.bv_hyperorality": [],
        "dx.bv_executive_dysfunction": false, "dx.bv_imaging": true, "dx.bv_exclusion": true,
        "sev.bvftd_grade": "3"
    });
    // A, B and C of A–D.
    let sd = json!({
        "basic.onset_ym": "2020-05", "basic.diagnosis_ym": "2021-02",
        "dx.subtype": "sd", "dx.onset_age": 58, "dx.sd_naming": true,
        "dx.sd_word_comprehension": true, "dx.sd_daily_life": true,
        "dx.sd_object_knowledge": true, "dx.sd_surface_dyslexia": true,
        "dx.sd_repetition_fluent": true, "dx.sd_speech_preserved": false,
        "dx.sd_imaging": true, "dx.sd_exclusion": true, "sev.sd_grade": "3"
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let two_of_six = v(&bv, json!({"dx.bv_perseveration": []}));
    let bv_mild = v(&bv, json!({"sev.bvftd_grade": "2"}));
    let d = form(Program::Nanbyo, "127");
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
                "meets: bvFTD with A, B and D, onset 65, grade 3",
                entered(bv.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: bvFTD with two of A–F",
                entered(two_of_six.clone()),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: bvFTD with A, B and F",
                merge(&two_of_six, json!({"dx.bv_executive_dysfunction": true})),
                Outcome::Meets,
            ),
            case(
                "meets: bvFTD with C and E sub-items",
                merge(
                    &two_of_six,
                    json!({"dx.bv_disinhibition": [], "dx.bv_loss_of_empathy": ["1", "2"],
                           "dx.bv_hyperorality": ["3"]}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: onset at 66",
                merge(&bv, json!({"dx.onset_age": 66})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: the essential item not met",
                merge(&bv, json!({"dx.bv_essential": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: no frontal or anterior temporal imaging finding",
                merge(&bv, json!({"dx.bv_imaging": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: the exclusion not made",
                merge(&bv, json!({"dx.bv_exclusion": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: two of A–F, B not entered",
                items: merge(&bv, json!({"dx.bv_apathy": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.bv_apathy"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: bvFTD grade 2",
                entered(bv_mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: grade 2 still earns the certificate",
                items: entered(bv_mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: bvFTD grade 4",
                merge(&bv, json!({"sev.bvftd_grade": "4"})),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: the bvFTD grade not entered",
                items: merge(&bv, json!({"sev.bvftd_grade": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.bvftd_grade"]),
                errors: &["required"],
            },
            case(
                "meets: 意味性認知症 with A–C, grade 3",
                entered(sd.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: 意味性認知症 with two of A–D",
                merge(&sd, json!({"dx.sd_repetition_fluent": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: 意味性認知症 without the naming deficit",
                merge(&sd, json!({"dx.sd_naming": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: 意味性認知症 with onset at 66",
                merge(&sd, json!({"dx.onset_age": 66})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet severity: 意味性認知症 grade 2",
                merge(&sd, json!({"sev.sd_grade": "2"})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: the bvFTD grade does not count for 意味性認知症",
                merge(&sd, json!({"sev.sd_grade": "2", "sev.bvftd_grade": "4"})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: the onset age not entered",
                items: merge(&sd, json!({"dx.onset_age": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.onset_age"]),
                errors: &["required"],
            },
        ],
    );
}
