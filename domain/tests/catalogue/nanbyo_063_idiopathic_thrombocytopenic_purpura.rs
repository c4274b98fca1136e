//! 特発性血小板減少性紫斑病 (指定難病 63, the 2024-04-01 edition): the shipped master's judgment,
//! case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: 血小板10万/µL以下 (絶対条件)、他疾患の否定 (医師の判断)、参考事項の骨髄検査を求める所見
/// (形態異常、白血球3,000未満・10,000以上、MCV 110以上、好中球30%未満・リンパ球50%以上) があれば骨髄
/// 検査を実施し、異型細胞・MDSの染色体異常がないこと. 重症度: Stage II以上 = 血小板10万未満で、5万
/// 未満又は粘膜出血・重症出血 (2020-03 概要、診断基準等).
#[test]
fn idiopathic_thrombocytopenic_purpura_63() {
    // Every diagnostic value at its boundary without calling for a marrow examination.
    let meets = json!({
        "basic.onset_ym": "2021-02", "basic.diagnosis_ym": "2021-03",
        "dx.platelets": 100000, "dx.blood_morphology_abnormal": false,
        "dx.wbc": 3000, "dx.mcv": 109.9, "dx.neutrophil_pct": 30.0, "dx.lymphocyte_pct": 49.9,
        "dx.marrow": "not_done", "dx.other_causes_excluded": true,
        "sev.platelets": 49999, "sev.bleeding": "0"
    });
    let marrow = json!({"dx.wbc": 2999, "dx.marrow": "done",
                        "dx.marrow_atypical_cells": false, "dx.marrow_mds_chromosome": false});
    let d = form(Program::Nanbyo, "63");
    assert_eq!(d.clinical_judgment.len(), 1, "the differential is named");
    run(
        &d,
        vec![
            Case {
                name: "meets: platelets 100,000; Stage II (below 50,000, no bleeding)",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: platelets 100,001",
                items: merge(&meets, json!({"dx.platelets": 100001})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet severity: Stage I (50,000 with subcutaneous bleeding)",
                items: merge(&meets, json!({"sev.platelets": 50000, "sev.bleeding": "1"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: Stage II (50,000 with mucosal bleeding)",
                items: merge(&meets, json!({"sev.platelets": 50000, "sev.bleeding": "2"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet severity: 100,000 is outside the table",
                items: merge(
                    &meets,
                    json!({"sev.platelets": 100000, "sev.bleeding": "3"}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet: white cells 2,999 call for a marrow examination not done",
                items: merge(&meets, json!({"dx.wbc": 2999})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet: MCV 110 calls for a marrow examination not done",
                items: merge(&meets, json!({"dx.mcv": 110.0})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: white cells 2,999 with a normal marrow",
                items: merge(&meets, marrow.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: atypical cells in the marrow",
                items: merge(
                    &serde_json::to_value(merge(&meets, marrow.clone())).expect("json"),
                    json!({"dx.marrow_atypical_cells": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet: the differential not excluded",
                items: merge(&meets, json!({"dx.other_causes_excluded": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "certificate only: Stage I still earns the certificate",
                items: merge(&meets, json!({"sev.platelets": 60000, "sev.bleeding": "1"})),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "undeterminable: marrow done, the chromosome result not entered",
                items: merge(
                    &serde_json::to_value(merge(&meets, marrow)).expect("json"),
                    json!({"dx.marrow_mds_chromosome": null}),
                ),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.marrow_mds_chromosome"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: 60,000 platelets, the bleeding not entered",
                items: merge(
                    &meets,
                    json!({"sev.platelets": 60000, "sev.bleeding": null}),
                ),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.bleeding"]),
                errors: &["required"],
            },
        ],
    );
}
