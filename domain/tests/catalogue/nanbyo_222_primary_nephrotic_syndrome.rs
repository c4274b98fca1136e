//! 一次性ネフローゼ症候群 (指定難病 222): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: 成人 蛋白尿 3.5 g/日 (又は g/gCr) 以上かつアルブミン 3.0 g/dL 以下、小児 夜間蓄尿 40 mg/hr/m²
/// 以上又は早朝尿 2.0 g/gCr 以上かつアルブミン 2.5 g/dL 以下、いずれも原因疾患なし. 重症度: 完全寛解なし、
/// ステロイド依存性・頻回再発型、CKD ヒートマップの赤又は 0.5 g/gCr 以上; 18歳未満は再発回数、免疫抑制薬・
/// 生物学的製剤、腎移植 (2020-03 概要、診断基準等).
#[test]
fn primary_nephrotic_syndrome_222() {
    let meets = json!({
        "basic.onset_ym": "2022-01", "basic.diagnosis_ym": "2022-02",
        "dx.criteria_set": "adult", "dx.proteinuria_measure": "daily", "dx.proteinuria": 3.5,
        "dx.albumin": 3.0, "dx.no_secondary_cause": true,
        "sev.age_group": "adult", "sev.never_complete_remission": false,
        "sev.steroid_dependent_or_frequent_relapse": false,
        "sev.egfr": 60.0, "sev.protein_creatinine_ratio": 0.5
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let mild = v(
        &meets,
        json!({"sev.egfr": 45.0, "sev.protein_creatinine_ratio": 0.49}),
    );
    let child = v(
        &meets,
        json!({"dx.criteria_set": "child", "dx.proteinuria_measure": "overnight",
               "dx.proteinuria": 40.0, "dx.albumin": 2.5,
               "sev.age_group": "child", "sev.never_complete_remission": null,
               "sev.steroid_dependent_or_frequent_relapse": null, "sev.egfr": null,
               "sev.protein_creatinine_ratio": null,
               "sev.relapses_6_months": 3, "sev.relapses_12_months": 3,
               "sev.immunosuppressant_or_biologic": false, "sev.kidney_transplant": false}),
    );
    let child_mild = v(&child, json!({"sev.relapses_6_months": 2}));
    let d = form(Program::Nanbyo, "222");
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
                "meets: adult 3.5 g/日, albumin 3.0, 0.5 g/gCr",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: 3.4 g/日",
                merge(&meets, json!({"dx.proteinuria": 3.4})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: albumin 3.1",
                merge(&meets, json!({"dx.albumin": 3.1})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: a secondary cause",
                merge(&meets, json!({"dx.no_secondary_cause": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: adult spot urine 3.5 g/gCr",
                merge(&meets, json!({"dx.proteinuria_measure": "upcr"})),
                Outcome::Meets,
            ),
            case(
                "does not meet severity: eGFR 45 and 0.49 g/gCr (orange)",
                entered(mild.clone()),
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
                "meets: eGFR 44.9 and 0.49 g/gCr (red)",
                merge(&mild, json!({"sev.egfr": 44.9})),
                Outcome::Meets,
            ),
            case(
                "meets: eGFR 29.9 and 0.1 g/gCr (red)",
                merge(
                    &mild,
                    json!({"sev.egfr": 29.9, "sev.protein_creatinine_ratio": 0.1}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: never in complete remission",
                merge(&mild, json!({"sev.never_complete_remission": true})),
                Outcome::Meets,
            ),
            case(
                "meets: steroid-dependent",
                merge(
                    &mild,
                    json!({"sev.steroid_dependent_or_frequent_relapse": true}),
                ),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: 0.49 g/gCr, eGFR not entered",
                items: merge(&mild, json!({"sev.egfr": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.egfr"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: albumin not entered",
                items: merge(&meets, json!({"dx.albumin": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.albumin"]),
                errors: &["required"],
            },
            case(
                "meets: child 40 mg/hr/m², albumin 2.5, 3 relapses in 6 months",
                entered(child.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: child 39.9 mg/hr/m²",
                merge(&child, json!({"dx.proteinuria": 39.9})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: child albumin 2.6",
                merge(&child, json!({"dx.albumin": 2.6})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: child early-morning 2.0 g/gCr",
                merge(
                    &child,
                    json!({"dx.proteinuria_measure": "upcr", "dx.proteinuria": 2.0}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: child early-morning 1.9 g/gCr",
                merge(
                    &child,
                    json!({"dx.proteinuria_measure": "upcr", "dx.proteinuria": 1.9}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet severity: child, 2 relapses in 6 months and 3 in a year",
                entered(child_mild.clone()),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: child, 4 relapses in a year",
                merge(&child_mild, json!({"sev.relapses_12_months": 4})),
                Outcome::Meets,
            ),
            case(
                "meets: child on an immunosuppressant",
                merge(
                    &child_mild,
                    json!({"sev.immunosuppressant_or_biologic": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: child after a kidney transplant",
                merge(&child_mild, json!({"sev.kidney_transplant": true})),
                Outcome::Meets,
            ),
        ],
    );
}
