//! 多系統萎縮症 (指定難病 17): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: Definite (病理), Probable (レボドパに反応性の乏しいパーキンソニズム又は小脳症候に明瞭な自律
/// 神経障害: 尿失禁、排尿力低下、勃起障害、起立後3分以内の収縮期 30 / 拡張期 15mmHg以上の下降) 又は
/// Possible (パーキンソニズム又は小脳症候、自律神経症候、錐体路徴候又は画像所見); 鑑別診断.
/// 重症度: mRS、食事・栄養、呼吸のいずれかが3以上 (2020-03 概要、診断基準等).
#[test]
fn multiple_system_atrophy_17() {
    // Probable: 小脳症候 and 抑制困難な尿失禁; no pyramidal sign, normal imaging; mRS 3.
    let meets = json!({
        "basic.onset_ym": "2020-09", "basic.diagnosis_ym": "2021-08",
        "dx.parkinsonism": false, "dx.cerebellar": true, "dx.autonomic_symptoms": true,
        "dx.urinary_incontinence": true, "dx.voiding_weakness": false,
        "dx.erectile_dysfunction": false, "dx.pyramidal_signs": false,
        "dx.imaging_abnormal": false, "dx.pathology": false, "dx.differential_excluded": true,
        "sev.mrs": "3", "sev.nutrition": "2", "sev.respiration": "2"
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    // No clear autonomic failure: the orthostatic drops decide.
    let by_pressure = v(&meets, json!({"dx.urinary_incontinence": false}));
    let mild = v(&meets, json!({"sev.mrs": "2"}));
    let d = form(Program::Nanbyo, "17");
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
                "meets: Probable (小脳症候, 尿失禁), mRS 3",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "meets: Probable, systolic drop 30",
                merge(
                    &by_pressure,
                    json!({"dx.orthostatic_sbp_drop": 30, "dx.orthostatic_dbp_drop": 10}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: Probable, diastolic drop 15",
                merge(
                    &by_pressure,
                    json!({"dx.orthostatic_sbp_drop": 20, "dx.orthostatic_dbp_drop": 15}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: drops 29 and 14, no pyramidal sign or imaging (not Possible)",
                merge(
                    &by_pressure,
                    json!({"dx.orthostatic_sbp_drop": 29, "dx.orthostatic_dbp_drop": 14}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: Possible, drops 29 and 14 with a pyramidal sign",
                merge(
                    &by_pressure,
                    json!({"dx.orthostatic_sbp_drop": 29, "dx.orthostatic_dbp_drop": 14,
                           "dx.pyramidal_signs": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: Possible, levodopa-responsive parkinsonism, imaging abnormal",
                merge(
                    &meets,
                    json!({"dx.cerebellar": false, "dx.parkinsonism": true,
                           "dx.parkinsonism_poor_levodopa": false, "dx.imaging_abnormal": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: levodopa-responsive parkinsonism, no pyramidal sign or imaging",
                merge(
                    &meets,
                    json!({"dx.cerebellar": false, "dx.parkinsonism": true,
                           "dx.parkinsonism_poor_levodopa": false}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: Probable, parkinsonism poorly responsive to levodopa",
                merge(
                    &meets,
                    json!({"dx.cerebellar": false, "dx.parkinsonism": true,
                           "dx.parkinsonism_poor_levodopa": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: no parkinsonism, no cerebellar sign",
                merge(&meets, json!({"dx.cerebellar": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: the differential not excluded",
                merge(&meets, json!({"dx.differential_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: Definite on pathology",
                merge(
                    &meets,
                    json!({"dx.differential_excluded": false, "dx.urinary_incontinence": false,
                           "dx.pathology": true, "dx.orthostatic_sbp_drop": 0,
                           "dx.orthostatic_dbp_drop": 0}),
                ),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: no clear failure entered, the drops not entered",
                items: entered(by_pressure.clone()),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.orthostatic_dbp_drop", "dx.orthostatic_sbp_drop"]),
                errors: &["required", "required"],
            },
            case(
                "does not meet severity: mRS 2, N 2, R 2",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: mRS 2 still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: 食事・栄養 3",
                merge(&mild, json!({"sev.nutrition": "3"})),
                Outcome::Meets,
            ),
            case(
                "meets: 呼吸 3",
                merge(&mild, json!({"sev.respiration": "3"})),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: mRS 2, N 2, 呼吸 not entered",
                items: merge(&mild, json!({"sev.respiration": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.respiration"]),
                errors: &["required"],
            },
        ],
    );
}
