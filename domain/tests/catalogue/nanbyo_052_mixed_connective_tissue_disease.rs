//! 混合性結合組織病 (指定難病 52): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: 共通所見の1所見以上、抗U1-RNP抗体陽性、混合所見 (1)(2)(3) のうち2項以上でそれぞれ1所見以上
/// (白血球 4,000/µL 以下、血小板 10万/µL 以下、%VC 80% 以下、%DLco 70% 以下). 重症度: 障害臓器別の
/// 重症度分類で中等症以上 (2020-03 概要、診断基準等).
#[test]
fn mixed_connective_tissue_disease_52() {
    // 多発性筋炎様所見 (筋力低下) only: one of the three groups.
    let pm_only = json!({
        "basic.onset_ym": "2019-11", "basic.diagnosis_ym": "2020-04",
        "dx.raynaud": true, "dx.swollen_fingers": false, "dx.anti_u1_rnp": true,
        "dx.sle_polyarthritis": false, "dx.sle_lymphadenopathy": false,
        "dx.sle_facial_erythema": false, "dx.sle_pericarditis_pleuritis": false,
        "dx.wbc_lowest": 4001, "dx.platelets_lowest": 100001,
        "dx.ssc_sclerodactyly": false, "dx.ssc_pulmonary_fibrosis": false,
        "dx.vc_pct": 80.1, "dx.dlco_pct": 70.1, "dx.ssc_esophageal": false,
        "dx.pm_weakness": true, "dx.pm_muscle_enzymes": false, "dx.pm_emg": false,
        "sev.organ_involvement": ["myositis", "raynaud"]
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let meets = v(&pm_only, json!({"dx.sle_polyarthritis": true}));
    let mild = v(
        &meets,
        json!({"sev.organ_involvement": ["raynaud", "erythema"]}),
    );
    let d = form(Program::Nanbyo, "52");
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
                "meets: レイノー, U1-RNP, 多関節炎 and 筋力低下, 筋炎 (中等症)",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: one group of 混合所見 only (WBC 4,001, PLT 100,001, %VC 80.1, %DLco 70.1)",
                entered(pm_only.clone()),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: 白血球 4,000/µL",
                merge(&pm_only, json!({"dx.wbc_lowest": 4000})),
                Outcome::Meets,
            ),
            case(
                "meets: 血小板 100,000/µL",
                merge(&pm_only, json!({"dx.platelets_lowest": 100000})),
                Outcome::Meets,
            ),
            case(
                "meets: %VC 80",
                merge(&pm_only, json!({"dx.vc_pct": 80.0})),
                Outcome::Meets,
            ),
            case(
                "meets: %DLco 70",
                merge(&pm_only, json!({"dx.dlco_pct": 70.0})),
                Outcome::Meets,
            ),
            case(
                "meets: 強皮症様 and SLE様 without 多発性筋炎様",
                merge(
                    &meets,
                    json!({"dx.pm_weakness": false, "dx.ssc_esophageal": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: no common finding",
                merge(&meets, json!({"dx.raynaud": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: 手指ないし手背の腫脹 as the common finding",
                merge(
                    &meets,
                    json!({"dx.raynaud": false, "dx.swollen_fingers": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: anti-U1-RNP negative",
                merge(&meets, json!({"dx.anti_u1_rnp": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: one group, 多関節炎 not entered",
                items: merge(&pm_only, json!({"dx.sle_polyarthritis": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.sle_polyarthritis"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: 軽症 organs only",
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
                "meets: 肺高血圧症 (重症)",
                merge(&mild, json!({"sev.organ_involvement": ["pulmonary_hypertension"]})),
                Outcome::Meets,
            ),
            case(
                "does not meet severity: no organ involvement",
                merge(&mild, json!({"sev.organ_involvement": []})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: the organ involvement not entered",
                items: merge(&meets, json!({"sev.organ_involvement": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.organ_involvement"]),
                errors: &["required"],
            },
        ],
    );
}
