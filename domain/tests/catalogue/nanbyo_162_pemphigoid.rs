//! 類天疱瘡（後天性表皮水疱症を含む。） (指定難病 162): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: Definite = A 1項目以上 かつ B-1 と B-2 1項目以上、又は A 1項目以上 かつ B-2 の2項目;
/// C 鑑別診断の除外. 重症度: BPDAI 中等症以上 = 皮膚びらん/水疱 15点以上、皮膚膨疹/紅斑 20点以上
/// 又は粘膜びらん/水疱 10点以上 (2020-03 概要、診断基準等).
#[test]
fn pemphigoid_162() {
    // ①: A-2, B-1 and B-2 1) only; every BPDAI total one below its threshold but the first.
    let meets = json!({
        "basic.onset_ym": "2022-05", "basic.diagnosis_ym": "2022-07",
        "dx.pruritic_erythema": false, "dx.tense_bullae": true, "dx.mucosal_bullae": false,
        "dx.subepidermal_blister": true, "dx.dif_bmz": true, "dx.circulating_antibody": false,
        "dx.differential_excluded": true,
        "sev.bpdai_skin_erosion": 15, "sev.bpdai_skin_urticaria": 19, "sev.bpdai_mucosa": 9
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let mild = v(&meets, json!({"sev.bpdai_skin_erosion": 14}));
    let d = form(Program::Nanbyo, "162");
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
                "meets: ① (A-2, B-1, B-2 1)), skin erosions 15 (中等症)",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "meets: ① with B-2 2) instead of 1)",
                merge(
                    &meets,
                    json!({"dx.dif_bmz": false, "dx.circulating_antibody": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: B-1 without any B-2",
                merge(&meets, json!({"dx.dif_bmz": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: ② (A-3 and both B-2), no subepidermal blister",
                merge(
                    &meets,
                    json!({"dx.tense_bullae": false, "dx.mucosal_bullae": true,
                           "dx.subepidermal_blister": false, "dx.circulating_antibody": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: one B-2 without B-1",
                merge(&meets, json!({"dx.subepidermal_blister": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: no A item",
                merge(
                    &meets,
                    json!({"dx.tense_bullae": false, "dx.circulating_antibody": true}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: the differential not excluded",
                merge(&meets, json!({"dx.differential_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: ① without B-2 1), B-2 2) not entered",
                items: merge(
                    &meets,
                    json!({"dx.dif_bmz": false, "dx.circulating_antibody": null}),
                ),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.circulating_antibody"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: 14, 19 and 9 (軽症 on each)",
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
                "meets: skin urticaria/erythema 20",
                merge(&mild, json!({"sev.bpdai_skin_urticaria": 20})),
                Outcome::Meets,
            ),
            case(
                "meets: mucosa 10",
                merge(&mild, json!({"sev.bpdai_mucosa": 10})),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: 軽症 so far, the mucosal total not entered",
                items: merge(&mild, json!({"sev.bpdai_mucosa": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.bpdai_mucosa"]),
                errors: &["required"],
            },
            Case {
                name: "invalid: a skin total above 120",
                items: merge(&mild, json!({"sev.bpdai_skin_erosion": 121})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.bpdai_skin_erosion"]),
                errors: &["out_of_range"],
            },
        ],
    );
}
