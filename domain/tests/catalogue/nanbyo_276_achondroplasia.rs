//! 軟骨無形成症 (指定難病 276): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: Definite = A 3項目 + B 5項目全て + C の除外、又は Probable・Possible (A 2項目以上 + B 2項目以上 +
/// C の除外) のうち D (FGFR3 G380R) を満たすもの. A1 = −3SD以下・指極/身長 < 0.96、A2 = 頭囲 > +1SD.
/// 重症度: 脊柱管狭窄症を認め、mRS 3以上 (2020-03 概要、診断基準等).
#[test]
fn achondroplasia_276() {
    // A 3 at the thresholds (−3.0 SD, span/height 0.959, head +1.1 SD) and B 5, without D.
    let meets = json!({
        "basic.onset_ym": "1990-05", "basic.diagnosis_ym": "1991-02",
        "dx.rhizomelic": true, "dx.height_sds": -3.0, "dx.arm_span_height_ratio": 0.959,
        "dx.characteristic_face": true, "dx.head_circumference_sds": 1.1, "dx.trident_hand": true,
        "dx.xray_limbs": true, "dx.xray_spine": true, "dx.xray_pelvis": true,
        "dx.xray_skull": true, "dx.xray_hand": true,
        "dx.differential_excluded": true, "dx.fgfr3_g380r": false,
        "sev.spinal_canal_stenosis": true, "sev.mrs": "3"
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    // With the gene variant: A 2 (no trident hand) and B 2 (the limbs and the spine) suffice.
    let gene = v(
        &meets,
        json!({"dx.fgfr3_g380r": true, "dx.trident_hand": false, "dx.xray_pelvis": false,
               "dx.xray_skull": false, "dx.xray_hand": false}),
    );
    let mild = v(&meets, json!({"sev.mrs": "2"}));
    let d = form(Program::Nanbyo, "276");
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
                "meets: A 3 (−3.0 SD, 0.959, +1.1 SD) + B 5 + C, stenosis and mRS 3",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: height −2.9 SD (A1 not met) without D",
                merge(&meets, json!({"dx.height_sds": -2.9})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: span/height 0.96 (A1 not met) without D",
                merge(&meets, json!({"dx.arm_span_height_ratio": 0.96})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: not rhizomelic (A1 not met) without D",
                merge(&meets, json!({"dx.rhizomelic": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: head circumference +1.0 SD (A2 not met) without D",
                merge(&meets, json!({"dx.head_circumference_sds": 1.0})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: B 4 (no hand X-ray finding) without D",
                merge(&meets, json!({"dx.xray_hand": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: B 4 with D (Probable with the gene)",
                merge(
                    &meets,
                    json!({"dx.xray_hand": false, "dx.fgfr3_g380r": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: A 2 + B 2 with D (Possible with the gene)",
                entered(gene.clone()),
                Outcome::Meets,
            ),
            case(
                "meets: A1 and A3 at −3.0 SD with D, A2 at +1.0 SD",
                merge(
                    &gene,
                    json!({"dx.trident_hand": true, "dx.head_circumference_sds": 1.0}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: A 2 + B 1 with D",
                merge(&gene, json!({"dx.xray_spine": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: A 1 (head +1.0 SD) + B 2 with D",
                merge(&gene, json!({"dx.head_circumference_sds": 1.0})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: the differential not excluded, even with D",
                merge(&gene, json!({"dx.differential_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: the span/height ratio not entered",
                items: merge(&meets, json!({"dx.arm_span_height_ratio": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.arm_span_height_ratio"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: mRS 2 with stenosis",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: mRS 2 still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "does not meet severity: mRS 4 without spinal canal stenosis",
                merge(
                    &meets,
                    json!({"sev.mrs": "4", "sev.spinal_canal_stenosis": false}),
                ),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: mRS 3, stenosis not entered",
                items: merge(&meets, json!({"sev.spinal_canal_stenosis": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.spinal_canal_stenosis"]),
                errors: &["required"],
            },
        ],
    );
}
