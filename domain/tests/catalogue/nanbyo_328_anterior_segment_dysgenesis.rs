//! 前眼部形成異常 (指定難病 328): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: Definite = Aの1つ以上とBの1と2、又はAの1つ以上とBの1でCの鑑別すべき疾患を除外できる.
/// 重症度: 1) III度以上 (罹患眼が両眼で良好な方の眼の矯正視力0.3未満、又は視野狭窄で1段階上) 又は
/// 2) mRS、食事・栄養、呼吸のいずれかが3以上 (2020-03 概要、診断基準等).
#[test]
fn anterior_segment_dysgenesis_328() {
    // A2 only, B1 and B2 (Definite (1), C not needed); both eyes, better eye 0.29 (III度).
    let meets = json!({
        "basic.onset_ym": "2020-01", "basic.diagnosis_ym": "2020-03",
        "dx.a1_corneal_opacity_from_infancy": false, "dx.a2_visual_impairment": true,
        "dx.a3_photophobia": false, "dx.b1_corneal_opacity": true,
        "dx.b2_strand_or_posterior_defect": true,
        "sev.affected_eyes": "2", "sev.better_eye_corrected_acuity": 0.29,
        "sev.mrs": "2", "sev.nutrition": "2", "sev.respiration": "2"
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    // Both eyes, better eye 0.3 without a field constriction: II度.
    let mild = v(
        &meets,
        json!({"sev.better_eye_corrected_acuity": 0.3,
               "sev.better_eye_field_constriction": false}),
    );
    let no_b2 = v(&meets, json!({"dx.b2_strand_or_posterior_defect": false}));
    let d = form(Program::Nanbyo, "328");
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
                "meets: Definite (1) A2, B1 and B2; III度 (0.29)",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: no symptom of A",
                merge(&meets, json!({"dx.a2_visual_impairment": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: A3 羞明 alone",
                merge(
                    &meets,
                    json!({"dx.a2_visual_impairment": false, "dx.a3_photophobia": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: no corneal opacity (B1)",
                merge(&meets, json!({"dx.b1_corneal_opacity": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: Definite (2) B1 without B2, C excluded",
                merge(&no_b2, json!({"dx.differential_excluded": true})),
                Outcome::Meets,
            ),
            case(
                "does not meet: Probable (B1 without B2, C not excluded)",
                merge(&no_b2, json!({"dx.differential_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: B1 without B2, C not entered",
                items: entered(no_b2.clone()),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.differential_excluded"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: both eyes, 0.3, no constriction (II度), mRS・N・R 2",
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
                "meets: 0.3 with the better eye's field constriction (II度 raised to III度)",
                merge(&mild, json!({"sev.better_eye_field_constriction": true})),
                Outcome::Meets,
            ),
            case(
                "meets: 0.09 (IV度)",
                merge(&meets, json!({"sev.better_eye_corrected_acuity": 0.09})),
                Outcome::Meets,
            ),
            case(
                "does not meet: one eye affected (I度, the acuity not asked)",
                merge(
                    &mild,
                    json!({"sev.affected_eyes": "1", "sev.better_eye_corrected_acuity": null,
                           "sev.better_eye_field_constriction": null}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: one eye affected, mRS 3",
                merge(
                    &mild,
                    json!({"sev.affected_eyes": "1", "sev.better_eye_corrected_acuity": null,
                           "sev.better_eye_field_constriction": null, "sev.mrs": "3"}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: N 3",
                merge(&mild, json!({"sev.nutrition": "3"})),
                Outcome::Meets,
            ),
            case(
                "meets: R 3",
                merge(&mild, json!({"sev.respiration": "3"})),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: both eyes, 0.3, the field constriction not entered",
                items: merge(&mild, json!({"sev.better_eye_field_constriction": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.better_eye_field_constriction"]),
                errors: &["required"],
            },
        ],
    );
}
