//! 皮膚筋炎／多発性筋炎 (指定難病 50): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: 皮膚筋炎 = 皮膚症状1項目以上と(2)~(9)の4項目以上 (皮膚症状と皮膚病理所見で無筋症性皮膚筋炎)、
/// 多発性筋炎 = (2)~(9)の4項目以上. 重症度: MMT平均 9 以下 (10段階) 又はいずれか 8 以下、CK・アルドラーゼ
/// 上昇、活動性の皮疹、活動性の間質性肺炎 (2020-03 概要、診断基準等).
#[test]
fn dermatomyositis_polymyositis_50() {
    let meets = json!({
        "basic.onset_ym": "2020-06", "basic.diagnosis_ym": "2020-09",
        "dx.heliotrope": true, "dx.gottron_papules": false, "dx.gottron_sign": false,
        "dx.proximal_weakness": true, "dx.myalgia": true, "dx.muscle_enzymes": true,
        "dx.emg_myositis": true, "dx.arthritis": false, "dx.systemic_inflammation": false,
        "dx.ars_antibody": false, "dx.biopsy_myositis": false, "dx.skin_pathology_dm": false,
        "sev.mmt_mean": 9.0, "sev.mmt_lowest": 9, "sev.ck_aldolase_elevated": false,
        "sev.active_rash": false, "sev.active_ild": false
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let mild = v(&meets, json!({"sev.mmt_mean": 9.1}));
    let pm = v(
        &meets,
        json!({"dx.heliotrope": false, "dx.skin_pathology_dm": null}),
    );
    let d = form(Program::Nanbyo, "50");
    assert_eq!(d.clinical_judgment.len(), 2, "the judgments are named");
    run(
        &d,
        vec![
            Case {
                name: "meets: 皮膚筋炎 (heliotrope and 4 items), MMT mean 9",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet severity: MMT mean 9.1, lowest 9, nothing active",
                items: entered(mild.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "certificate only: not severe still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: one muscle group at 8",
                items: merge(&mild, json!({"sev.mmt_lowest": 8})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: CK elevated",
                items: merge(&mild, json!({"sev.ck_aldolase_elevated": true})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: active interstitial pneumonia",
                items: merge(&mild, json!({"sev.active_ild": true})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: heliotrope and 3 items, skin pathology not consistent",
                items: merge(&meets, json!({"dx.emg_myositis": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: 無筋症性皮膚筋炎 (Gottron papules and skin pathology)",
                items: merge(
                    &meets,
                    json!({"dx.heliotrope": false, "dx.gottron_papules": true,
                           "dx.proximal_weakness": false, "dx.myalgia": false,
                           "dx.muscle_enzymes": false, "dx.emg_myositis": false,
                           "dx.skin_pathology_dm": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: 多発性筋炎 (4 items, no skin symptom)",
                items: entered(pm.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: 3 items, no skin symptom",
                items: merge(&pm, json!({"dx.emg_myositis": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "undeterminable: 3 items, the biopsy not entered",
                items: merge(
                    &pm,
                    json!({"dx.emg_myositis": false, "dx.biopsy_myositis": null}),
                ),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.biopsy_myositis"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: nothing active, the MMT mean not entered",
                items: merge(&mild, json!({"sev.mmt_mean": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.mmt_mean"]),
                errors: &["required"],
            },
        ],
    );
}
