//! 筋型糖原病 (指定難病 256): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: Definite = 酵素診断又は遺伝子診断 (V型の Phe710del、生検筋の酵素活性低下、その他の遺伝子検査).
/// 重症度: 先天性代謝異常症の重症度評価(一部修正)の中等症以上 = I〜VI と附則の総点数3以上
/// (2020-03 概要、診断基準等).
#[test]
fn muscle_glycogen_storage_disease_256() {
    // V型 by Phe710del alone; I b, III b, V b: 3 points (中等症).
    let meets = json!({
        "basic.onset_ym": "2015-07", "basic.diagnosis_ym": "2018-02",
        "dx.type": "v", "dx.gene_phe710del": true, "dx.enzyme_deficiency": false,
        "dx.gene_variant": false,
        "sev.i_drug_treatment": "b", "sev.ii_diet_treatment": "a",
        "sev.iii_metabolic_tests": "b", "sev.iv_development_neuro_muscle": "a",
        "sev.v_organ_dysfunction": "b", "sev.vi_daily_living": "a",
        "sev.appendix_myoglobinuria": "a"
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    // 2 points (軽症).
    let mild = v(&meets, json!({"sev.v_organ_dysfunction": "a"}));
    let zero = v(
        &mild,
        json!({"sev.i_drug_treatment": "a", "sev.iii_metabolic_tests": "a"}),
    );
    // I–VI all b: 6 points, no item of 2 points or more (中等症, not 重症).
    let six_ones = v(
        &zero,
        json!({"sev.i_drug_treatment": "b", "sev.ii_diet_treatment": "b",
               "sev.iii_metabolic_tests": "b", "sev.iv_development_neuro_muscle": "b",
               "sev.v_organ_dysfunction": "b", "sev.vi_daily_living": "b"}),
    );
    let d = form(Program::Nanbyo, "256");
    assert_eq!(d.clinical_judgment.len(), 2, "the judgments are named");
    let j = d.judge(&entered(meets.clone()), Purpose::Subsidy);
    assert_eq!(j.filled.get("sev.overall"), Some(&json!("2")), "中等症");
    let j = d.judge(&entered(mild.clone()), Purpose::Subsidy);
    assert_eq!(j.filled.get("sev.overall"), Some(&json!("1")), "軽症");
    let case = |name: &'static str, items, outcome| Case {
        name,
        items,
        purpose: Purpose::Subsidy,
        outcome,
        errors: &[],
    };
    let error = |name: &'static str, items, outcome, errors| Case {
        name,
        items,
        purpose: Purpose::Subsidy,
        outcome,
        errors,
    };
    run(
        &d,
        vec![
            case(
                "meets: V型 Phe710del, 3 points (I b, III b, V b)",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: V型 without an enzyme or gene diagnosis (Possible at most)",
                merge(&meets, json!({"dx.gene_phe710del": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: II型 by the enzyme activity (Phe710del not asked)",
                merge(
                    &meets,
                    json!({"dx.type": "ii", "dx.gene_phe710del": null,
                           "dx.enzyme_deficiency": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: PGK欠損症 by another gene test",
                merge(
                    &meets,
                    json!({"dx.type": "pgk", "dx.gene_phe710del": null,
                           "dx.gene_variant": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: Phe710del counts for V型 only",
                merge(&meets, json!({"dx.type": "vii"})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: V型, Phe710del not entered",
                items: merge(&meets, json!({"dx.gene_phe710del": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.gene_phe710del"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: 2 points (軽症)",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: 軽症 still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "does not meet: 0 points",
                entered(zero.clone()),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: one 2-point item (I c) alone",
                merge(&zero, json!({"sev.i_drug_treatment": "c"})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: III d (3 points) alone",
                merge(&zero, json!({"sev.iii_metabolic_tests": "d"})),
                Outcome::Meets,
            ),
            case(
                "meets: II e 経管栄養 (4 points) alone, 重症",
                merge(
                    &zero,
                    json!({"sev.ii_diet_treatment": "e", "sev.overall": "3"}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: 附則 b (one episode, 2 points) with I b",
                merge(
                    &zero,
                    json!({"sev.appendix_myoglobinuria": "b", "sev.i_drug_treatment": "b"}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: 附則 b alone (2 points)",
                merge(&zero, json!({"sev.appendix_myoglobinuria": "b"})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: 附則 c (recurrent, 4 points) alone, 重症",
                merge(
                    &zero,
                    json!({"sev.appendix_myoglobinuria": "c", "sev.overall": "3"}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: six 1-point items, 中等症 (no item of 2 points)",
                merge(&six_ones, json!({"sev.overall": "2"})),
                Outcome::Meets,
            ),
            case(
                "meets: 6 points with a 2-point item, 重症",
                merge(
                    &six_ones,
                    json!({"sev.i_drug_treatment": "c", "sev.vi_daily_living": "a",
                           "sev.overall": "3"}),
                ),
                Outcome::Meets,
            ),
            error(
                "meets, with an error: 5 points with a 2-point item entered as 重症",
                merge(
                    &six_ones,
                    json!({"sev.i_drug_treatment": "c", "sev.vi_daily_living": "a",
                           "sev.v_organ_dysfunction": "a", "sev.overall": "3"}),
                ),
                Outcome::Meets,
                &["derived_mismatch"],
            ),
            Case {
                name: "undeterminable: 2 points, VI not entered",
                items: merge(&mild, json!({"sev.vi_daily_living": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.vi_daily_living"]),
                errors: &["required"],
            },
            error(
                "meets, with an error: 3 points already, VI not entered",
                merge(&meets, json!({"sev.vi_daily_living": null})),
                Outcome::Meets,
                &["required"],
            ),
        ],
    );
}
