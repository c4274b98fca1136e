//! 再生不良性貧血 (指定難病 60): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: 1.臨床所見、2.ヘモグロビン 10.0g/dL未満・好中球 1,500/µL未満・血小板 10万/µL未満の2項目以上、
/// 3.他の疾患の除外. 重症度: Stage２以上 = 好中球 1,000/µL未満、血小板 50,000/µL未満、網赤血球
/// 60,000/µL未満の2項目以上 (2020-03 概要、診断基準等).
#[test]
fn aplastic_anemia_60() {
    // Hb 9.9 and platelets 99,999 (two of three); neutrophils 1,500 not low.
    let meets = json!({
        "basic.onset_ym": "2022-03", "basic.diagnosis_ym": "2022-05",
        "dx.clinical_findings": true, "dx.hemoglobin": 9.9, "dx.neutrophils": 1500,
        "dx.platelets": 99999, "dx.other_diseases_excluded": true,
        "sev.neutrophils": 999, "sev.platelets": 49999, "sev.reticulocytes": 60000
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    // Stage 1: only the neutrophils below their threshold.
    let stage1 = v(&meets, json!({"sev.platelets": 50000}));
    let d = form(Program::Nanbyo, "60");
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
                "meets: Hb 9.9 and platelets 99,999; neutrophils 999 and platelets 49,999",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: Hb 10.0 (one of three only)",
                merge(&meets, json!({"dx.hemoglobin": 10.0})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: platelets 100,000 (one of three only)",
                merge(&meets, json!({"dx.platelets": 100000})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: Hb 10.0 with neutrophils 1,499 and platelets 99,999",
                merge(
                    &meets,
                    json!({"dx.hemoglobin": 10.0, "dx.neutrophils": 1499}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: another disease not excluded",
                merge(&meets, json!({"dx.other_diseases_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: no clinical findings",
                merge(&meets, json!({"dx.clinical_findings": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: Hb 10.0, the neutrophils not entered",
                items: merge(
                    &meets,
                    json!({"dx.hemoglobin": 10.0, "dx.neutrophils": null}),
                ),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.neutrophils"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: Stage 1 (neutrophils 999 only)",
                entered(stage1.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: Stage 1 still earns the certificate",
                items: entered(stage1.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: neutrophils 999 and reticulocytes 59,999",
                merge(&stage1, json!({"sev.reticulocytes": 59999})),
                Outcome::Meets,
            ),
            case(
                "does not meet: neutrophils 1,000, platelets 49,999 (one item)",
                merge(
                    &meets,
                    json!({"sev.neutrophils": 1000, "sev.platelets": 49999}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: platelets 49,999 and reticulocytes 59,999",
                merge(
                    &meets,
                    json!({"sev.neutrophils": 1000, "sev.reticulocytes": 59999}),
                ),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: Stage 1 so far, the reticulocytes not entered",
                items: merge(&stage1, json!({"sev.reticulocytes": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.reticulocytes"]),
                errors: &["required"],
            },
        ],
    );
}
