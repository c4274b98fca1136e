//! 自己免疫性肝炎 (指定難病 95): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: 典型例 (1–4 のうち3項目以上) 又は非典型例 (1項目以上), いずれも 5 他の原因による肝障害の否定
/// (令和6年4月改正版; 2020-03版と同じ判定). 重症度: 2013年ガイドラインの中等症以上 (臨床徴候①②,
/// AST又はALT > 200 IU/L, ビリルビン > 5 mg/dL, 画像①②) 又は肝硬変.
#[test]
fn autoimmune_hepatitis_95() {
    // 典型例 (ANA, IgG, histology, steroid), 中等症 by ALT 201 alone.
    let meets = json!({
        "basic.onset_ym": "2022-05", "basic.diagnosis_ym": "2022-08",
        "dx.ana": "positive", "dx.sma": "not_tested", "dx.igg": 2600.0, "dx.igg_uln": 1700.0,
        "dx.igg_ratio": 1.53, "dx.histology": "interface_hepatitis",
        "dx.steroid_response": "marked", "dx.other_causes_excluded": true,
        "sev.hepatic_encephalopathy": false, "sev.dullness_reduced": false,
        "sev.ast": 180, "sev.alt": 201, "sev.bilirubin": 1.2, "sev.pt_pct": 85.0,
        "sev.liver_size_reduced": false, "sev.parenchyma_heterogeneous": false,
        "sev.cirrhosis": false
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    // 非典型例 from the IgG ratio alone.
    let igg_only = v(
        &meets,
        json!({"dx.ana": "negative", "dx.sma": "negative", "dx.igg_ratio": 1.11,
               "dx.histology": "not_done", "dx.steroid_response": "not_given"}),
    );
    let mild = v(
        &meets,
        json!({"sev.alt": 200, "sev.ast": 200, "sev.bilirubin": 5.0}),
    );
    let d = form(Program::Nanbyo, "95");
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
                "meets: 典型例, ALT 201 (中等症)",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "meets: 非典型例, IgG 1.11 × the upper limit only",
                entered(igg_only.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: IgG exactly 1.1 × the upper limit, no other finding",
                merge(&igg_only, json!({"dx.igg_ratio": 1.1})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: 非典型例, SMA positive only",
                merge(
                    &igg_only,
                    json!({"dx.igg_ratio": 1.0, "dx.sma": "positive"}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: 非典型例, steroid response only",
                merge(
                    &igg_only,
                    json!({"dx.igg_ratio": 1.0, "dx.steroid_response": "marked"}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: other causes not excluded",
                merge(&meets, json!({"dx.other_causes_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: no other finding, the IgG ratio not entered",
                items: merge(&igg_only, json!({"dx.igg_ratio": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.igg_ratio"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: AST 200, ALT 200, bilirubin 5.0 (軽症)",
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
                "meets: AST 201",
                merge(&mild, json!({"sev.ast": 201})),
                Outcome::Meets,
            ),
            case(
                "meets: bilirubin 5.1",
                merge(&mild, json!({"sev.bilirubin": 5.1})),
                Outcome::Meets,
            ),
            case(
                "does not meet: prothrombin time 59.9 % alone (no class of the table)",
                merge(&mild, json!({"sev.pt_pct": 59.9})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: bilirubin 5.1 with prothrombin time 59.9 % (重症)",
                merge(&mild, json!({"sev.bilirubin": 5.1, "sev.pt_pct": 59.9})),
                Outcome::Meets,
            ),
            case(
                "meets: hepatic encephalopathy (重症)",
                merge(&mild, json!({"sev.hepatic_encephalopathy": true})),
                Outcome::Meets,
            ),
            case(
                "meets: heterogeneous parenchyma on imaging (重症)",
                merge(&mild, json!({"sev.parenchyma_heterogeneous": true})),
                Outcome::Meets,
            ),
            case(
                "meets: cirrhosis",
                merge(&mild, json!({"sev.cirrhosis": true})),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: 軽症 otherwise, AST not entered",
                items: merge(&mild, json!({"sev.ast": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.ast"]),
                errors: &["required"],
            },
        ],
    );
}
