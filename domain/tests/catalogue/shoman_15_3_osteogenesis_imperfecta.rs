//! 骨形成不全症 (小児慢性特定疾病 骨系統疾患 告示番号3): the shipped master's judgment, case by
//! case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 骨形成不全症 (15-3). Diagnosis (小児慢性特定疾病情報センター 診断の手引き 15_02_005, 2014):
/// 除外項目を除外した上で、A 骨脆弱性症状 が認められれば診断; B (その他の臨床症状), C (骨レントゲン
/// 所見) and the gene are recorded, not judged. The exclusion is the clinician's judgment. 対象基準
/// (same 手引き): 治療で補充療法、機能抑制療法その他の薬物療法又は外科的治療を行う場合.
#[test]
fn osteogenesis_imperfecta_15_3() {
    let meets = json!({
        "basic.onset_ym": "2019-04", "basic.diagnosis_ym": "2019-05",
        "dx.bone_fragility": true, "dx.exclusions_excluded": true,
        "dx.blue_sclera": true, "dx.xray_wormian_bones": true,
        "sev.treatment": ["other_drug"]
    });
    run(
        &form(Program::Shoman, "15-3"),
        vec![
            Case {
                name: "meets: bone fragility, exclusions excluded, drug therapy",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: A alone (no B, no C), surgery only",
                items: merge(
                    &meets,
                    json!({
                        "dx.blue_sclera": null, "dx.xray_wormian_bones": null,
                        "sev.treatment": ["surgery"]
                    }),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: no bone fragility, even with B, C and the gene",
                items: merge(
                    &meets,
                    json!({
                        "dx.bone_fragility": false, "dx.growth_impairment": true,
                        "dx.xray_long_bone_fracture_deformity": true, "dx.gene_variant": true
                    }),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: an exclusion not excluded",
                items: merge(&meets, json!({"dx.exclusions_excluded": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet severity: none of the treatments",
                items: merge(&meets, json!({"sev.treatment": ["none"]})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "registrant certificate: diagnosis alone, without treatment",
                items: merge(&meets, json!({"sev.treatment": ["none"]})),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "undeterminable: bone fragility not entered",
                items: merge(&meets, json!({"dx.bone_fragility": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.bone_fragility"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: treatment not entered",
                items: merge(&meets, json!({"sev.treatment": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.treatment"]),
                errors: &["required"],
            },
            Case {
                name: "consistency: no treatment together with a replacement therapy",
                items: merge(&meets, json!({"sev.treatment": ["none", "replacement"]})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["no_treatment_with_treatment"],
            },
            Case {
                name: "consistency: onset after diagnosis",
                items: merge(&meets, json!({"basic.onset_ym": "2019-06"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["onset_after_diagnosis"],
            },
            Case {
                name: "auto-fill: an entered severity that contradicts the treatment",
                items: merge(&meets, json!({"sev.meets_severity": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["derived_mismatch"],
            },
        ],
    );
    let j = form(Program::Shoman, "15-3").judge(&entered(meets), Purpose::Subsidy);
    assert_eq!(
        j.filled.get("sev.meets_severity"),
        Some(&json!(true)),
        "severity auto-filled"
    );
}
