//! 特発性間質性肺炎 (指定難病 85): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: IPF の Definite・Probable (⑤を含む3項目以上、又は外科的肺生検で UIP)、又は外科的肺生検による
/// IPF以外の特発性間質性肺炎; 鑑別診断の除外. 重症度: III度以上 = 安静時PaO2 70Torr未満、又は80未満で
/// 6分間歩行時SpO2 90%未満 (2020-03 概要、診断基準等).
#[test]
fn idiopathic_interstitial_pneumonias_85() {
    // ⑤, ① and ② (3 items: Probable); ③ one of three only, ④ absent.
    let meets = json!({
        "basic.onset_ym": "2021-04", "basic.diagnosis_ym": "2021-10",
        "dx.fine_crackles": true, "dx.dry_cough": true, "dx.exertional_dyspnea": false,
        "dx.clubbing": false, "dx.kl6": true, "dx.sp_d": false, "dx.sp_a": false, "dx.ldh": false,
        "dx.vc_pct": 80.0, "dx.dlco_pct": 79.9, "dx.hypoxemia": false,
        "dx.xray_bilateral_diffuse": false, "dx.xray_lower_lateral": true,
        "dx.xray_volume_loss": true, "dx.hrct_subpleural": true, "dx.hrct_honeycombing": true,
        "dx.surgical_biopsy": "not_done", "dx.differential_excluded": true,
        "sev.pao2": 69.9
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let possible = v(&meets, json!({"dx.kl6": false}));
    let mild = v(&meets, json!({"sev.pao2": 70.0, "sev.walk_spo2": 90.0}));
    let d = form(Program::Nanbyo, "85");
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
                "meets: Probable (⑤, ①, ②), PaO2 69.9",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: Possible (⑤ and ① only)",
                entered(possible.clone()),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: ③ with %VC 79.9 and %DLCO 79.9",
                merge(&possible, json!({"dx.vc_pct": 79.9})),
                Outcome::Meets,
            ),
            case(
                "does not meet: ① without fine crackles",
                merge(
                    &meets,
                    json!({"dx.fine_crackles": false, "dx.exertional_dyspnea": true}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: ④ with bilateral diffuse shadows",
                merge(&possible, json!({"dx.xray_bilateral_diffuse": true})),
                Outcome::Meets,
            ),
            case(
                "does not meet: no honeycombing, no biopsy",
                merge(&meets, json!({"dx.hrct_honeycombing": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: surgical biopsy UIP without the HRCT",
                merge(
                    &possible,
                    json!({"dx.hrct_honeycombing": false, "dx.surgical_biopsy": "uip"}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: surgical biopsy of another IIP",
                merge(
                    &possible,
                    json!({"dx.hrct_honeycombing": false, "dx.surgical_biopsy": "other_iip"}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: the differential not excluded",
                merge(&meets, json!({"dx.differential_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: ⑤ and ①, KL-6 not entered",
                items: merge(&possible, json!({"dx.kl6": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.kl6"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: PaO2 70, SpO2 90 (II度)",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: II度 still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: PaO2 79.9, SpO2 89.9 (II度 raised to III度)",
                merge(&mild, json!({"sev.pao2": 79.9, "sev.walk_spo2": 89.9})),
                Outcome::Meets,
            ),
            case(
                "does not meet: PaO2 80, SpO2 80 (I度 is not raised)",
                merge(&mild, json!({"sev.pao2": 80.0, "sev.walk_spo2": 80.0})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: PaO2 70, the walking SpO2 not entered",
                items: merge(&mild, json!({"sev.walk_spo2": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.walk_spo2"]),
                errors: &["required"],
            },
        ],
    );
}
