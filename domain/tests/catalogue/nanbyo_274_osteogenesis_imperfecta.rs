//! 骨形成不全症 (指定難病 274): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: Definite = A 3項目以上 + B 3項目以上 + C の除外 + D、又は A 4項目以上 + B 4項目以上 + C の除外.
/// 参考基準: 成長障害 −2SD以下、難聴 30 dB以上の低下、骨密度低下 80 %未満. 重症度: mRS、呼吸のいずれかが
/// 3以上 (2020-03 概要、診断基準等).
#[test]
fn osteogenesis_imperfecta_274() {
    // A: 骨脆弱性, 成長障害 at −2.0 SD, 青色強膜 (3 of 7; hearing 29.9 dB just short); B: two X-ray
    // findings and BMD 79.9 % (3 of 5); D the gene variant. mRS 3, R 2.
    let meets = json!({
        "basic.onset_ym": "2005-04", "basic.diagnosis_ym": "2006-01",
        "dx.bone_fragility": true, "dx.height_sds": -2.0, "dx.blue_sclera": true,
        "dx.dentinogenesis_imperfecta": false, "dx.audiometry_done": true,
        "dx.hearing_loss_db": 29.9, "dx.family_history": false, "dx.childhood_fracture": false,
        "dx.xray_long_bone_fracture_deformity": true, "dx.xray_thin_deformed_long_bones": true,
        "dx.xray_wormian_bones": false, "dx.xray_vertebral_compression": false,
        "dx.bmd_measured": true, "dx.bmd_pct": 79.9,
        "dx.differential_excluded": true, "dx.gene_variant": true,
        "sev.mrs": "3", "sev.respiration": "2"
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    // Without the gene: A 4 (hearing at 30 dB) and B 4 (vertebral compression) are needed.
    let no_gene = v(
        &meets,
        json!({"dx.gene_variant": false, "dx.hearing_loss_db": 30.0,
               "dx.xray_vertebral_compression": true}),
    );
    let mild = v(&meets, json!({"sev.mrs": "2"}));
    let d = form(Program::Nanbyo, "274");
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
                "meets: A 3 (−2.0 SD) + B 3 (BMD 79.9 %) + C + D, mRS 3",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: height −1.9 SD leaves A at 2",
                merge(&meets, json!({"dx.height_sds": -1.9})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: BMD 80.0 % leaves B at 2",
                merge(&meets, json!({"dx.bmd_pct": 80.0})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: BMD not measured leaves B at 2",
                merge(
                    &meets,
                    json!({"dx.bmd_measured": false, "dx.bmd_pct": null}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: A 3 + B 3 without D",
                merge(&meets, json!({"dx.gene_variant": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: A 4 (hearing 30 dB) + B 4 without D",
                entered(no_gene.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: hearing 29.9 dB leaves A at 3 without D",
                merge(&no_gene, json!({"dx.hearing_loss_db": 29.9})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: no audiometry leaves A at 3 without D",
                merge(
                    &no_gene,
                    json!({"dx.audiometry_done": false, "dx.hearing_loss_db": null}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: A 4 by 家族歴 instead of hearing, without D",
                merge(
                    &no_gene,
                    json!({"dx.hearing_loss_db": 29.9, "dx.family_history": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: B 3 without D (no vertebral compression)",
                merge(&no_gene, json!({"dx.xray_vertebral_compression": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: the differential not excluded",
                merge(&meets, json!({"dx.differential_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: audiometry done, the hearing level not entered",
                items: merge(&no_gene, json!({"dx.hearing_loss_db": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.hearing_loss_db"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: the height not entered",
                items: merge(&meets, json!({"dx.height_sds": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.height_sds"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: mRS 2, R 2",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: mRS 2, R 2 still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: R 3",
                merge(&mild, json!({"sev.respiration": "3"})),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: mRS 2, R not entered",
                items: merge(&mild, json!({"sev.respiration": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.respiration"]),
                errors: &["required"],
            },
        ],
    );
}
