//! 急速進行性糸球体腎炎 (指定難病 220): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断 (Definite): 1) 数週から数か月の経過で急速に進行する腎不全 (医師の判断) と 2) 腎炎性尿所見
/// (来院時無尿で尿所見が得られない場合を含む)、慢性腎不全・腎前性・腎後性急性腎不全の除外 (医師の
/// 判断). 重症度: ア) 初期・再発時は全例、イ) 維持治療期は CKD ヒートマップの赤、ウ) 蛋白尿 0.5
/// 以上 (2020-03 概要、診断基準等).
#[test]
fn rapidly_progressive_glomerulonephritis_220() {
    let meets = json!({
        "basic.onset_ym": "2023-11", "basic.diagnosis_ym": "2024-01",
        "dx.rapid_progression": true, "dx.egfr_decline_3m_pct": 42.0,
        "dx.urine_findings": ["hematuria", "proteinuria"], "dx.biopsy": "not_done",
        "dx.differential_excluded": true,
        "sev.phase": "initial_or_relapse"
    });
    // 維持治療期, G2 A2: not red, under 0.5.
    let maintenance = serde_json::to_value(merge(
        &meets,
        json!({"sev.phase": "maintenance", "sev.egfr": 60.0, "sev.proteinuria": 0.49}),
    ))
    .expect("json");
    let d = form(Program::Nanbyo, "220");
    assert_eq!(d.clinical_judgment.len(), 3, "the judgments are named");
    let case = |name: &'static str, items, outcome| Case {
        name,
        items,
        purpose: Purpose::Subsidy,
        outcome,
        errors: &[],
    };
    let m = |change| merge(&maintenance, change);
    run(
        &d,
        vec![
            case(
                "meets: Definite at the initial treatment (all are 重症)",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "meets: without biopsy or the eGFR decline recorded",
                merge(
                    &meets,
                    json!({"dx.biopsy": null, "dx.egfr_decline_3m_pct": null}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: not rapidly progressive",
                merge(&meets, json!({"dx.rapid_progression": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: no nephritic urine finding, not anuric",
                merge(&meets, json!({"dx.urine_findings": [], "dx.anuric": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: anuric on arrival, chronic failure excluded",
                merge(&meets, json!({"dx.urine_findings": [], "dx.anuric": true})),
                Outcome::Meets,
            ),
            case(
                "does not meet: chronic, prerenal or postrenal failure not excluded",
                merge(&meets, json!({"dx.differential_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: no urine finding, anuria not entered",
                items: merge(&meets, json!({"dx.urine_findings": []})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.anuric"]),
                errors: &["required"],
            },
            case(
                "does not meet: maintenance, eGFR 60 and 0.49 (G2 A2)",
                entered(maintenance.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: maintenance G2 A2 still earns the certificate",
                items: entered(maintenance.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: ウ) 0.5 at eGFR 90",
                m(json!({"sev.egfr": 90.0, "sev.proteinuria": 0.5})),
                Outcome::Meets,
            ),
            case(
                "meets: G3a A3 (59.9 and 0.5)",
                m(json!({"sev.egfr": 59.9, "sev.proteinuria": 0.5})),
                Outcome::Meets,
            ),
            case(
                "does not meet: G3a A2 (45 and 0.49)",
                m(json!({"sev.egfr": 45.0})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: G3b A2 (44.9 and 0.15)",
                m(json!({"sev.egfr": 44.9, "sev.proteinuria": 0.15})),
                Outcome::Meets,
            ),
            case(
                "does not meet: G3b A1 (30 and 0.14)",
                m(json!({"sev.egfr": 30.0, "sev.proteinuria": 0.14})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: G4 A1 (29.9 and 0)",
                m(json!({"sev.egfr": 29.9, "sev.proteinuria": 0.0})),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: maintenance, 0.3, eGFR not entered",
                items: m(json!({"sev.egfr": null, "sev.proteinuria": 0.3})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.egfr"]),
                errors: &["required"],
            },
            Case {
                name: "meets: maintenance, 0.6 (ウ) though eGFR not entered",
                items: m(json!({"sev.egfr": null, "sev.proteinuria": 0.6})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["required"],
            },
            Case {
                name: "undeterminable: the phase not entered",
                items: merge(&meets, json!({"sev.phase": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.egfr", "sev.phase", "sev.proteinuria"]),
                errors: &["required"],
            },
        ],
    );
}
