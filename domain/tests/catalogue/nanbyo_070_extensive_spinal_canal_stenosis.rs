//! 広範脊柱管狭窄症 (指定難病 70): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: 症状 + 頸椎部・胸椎部・腰椎部のうち2つ以上の部位に脊髄・馬尾・神経根を明らかに圧迫する
/// 脊柱管狭小化 (頸胸椎移行部又は胸腰椎移行部の1つのみは除く) + 症状との因果関係 (医師の判断) +
/// 鑑別診断の除外 (医師の判断). 重症度: JOA: 頸髄症は上肢I・下肢IIのいずれかが2点以下 (合計6・7点
/// でも手術治療なら可)、胸髄症・腰髄症は下肢IIが2点以下 (3点でも手術治療なら可) (2020-03
/// 概要、診断基準等).
#[test]
fn extensive_spinal_canal_stenosis_70() {
    let meets = json!({
        "basic.onset_ym": "2019-09", "basic.diagnosis_ym": "2020-06",
        "dx.symptoms": ["2", "5"], "dx.stenosis_regions": ["cervical", "lumbar"],
        "dx.single_junction_only": false, "dx.causal": true, "dx.differential_excluded": true,
        "sev.myelopathy_level": "1", "sev.joa_upper": "3", "sev.joa_lower": "2"
    });
    let mild = serde_json::to_value(merge(
        &meets,
        json!({"sev.joa_upper": "3", "sev.joa_lower": "3", "sev.surgery": false}),
    ))
    .expect("json");
    let d = form(Program::Nanbyo, "70");
    assert_eq!(
        d.clinical_judgment.len(),
        2,
        "the clinician's judgments are named"
    );
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
                "meets: cervical and lumbar, cervical myelopathy, lower limb 2",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "meets: thoracic and lumbar",
                merge(
                    &meets,
                    json!({"dx.stenosis_regions": ["thoracic", "lumbar"]}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: one region only",
                merge(&meets, json!({"dx.stenosis_regions": ["lumbar"]})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: a single cervicothoracic junction stenosis",
                merge(
                    &meets,
                    json!({"dx.stenosis_regions": ["cervical", "thoracic"],
                           "dx.single_junction_only": true}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: no symptom",
                merge(&meets, json!({"dx.symptoms": []})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: no causal relationship",
                merge(&meets, json!({"dx.causal": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: the differential not excluded (e.g. OPLL)",
                merge(&meets, json!({"dx.differential_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: the junction item not entered",
                items: merge(&meets, json!({"dx.single_junction_only": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.single_junction_only"]),
                errors: &["required"],
            },
            case(
                "meets: cervical, upper limb 2, lower limb 4",
                merge(&meets, json!({"sev.joa_upper": "2", "sev.joa_lower": "4"})),
                Outcome::Meets,
            ),
            case(
                "does not meet: cervical 3 and 3 (total 6) without surgery",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: cervical 3 and 3 still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: cervical total 6 with surgery",
                merge(&mild, json!({"sev.surgery": true})),
                Outcome::Meets,
            ),
            case(
                "meets: cervical total 7 (4 and 3) with surgery",
                merge(&mild, json!({"sev.joa_upper": "4", "sev.surgery": true})),
                Outcome::Meets,
            ),
            case(
                "does not meet: cervical total 8 with surgery",
                merge(
                    &mild,
                    json!({"sev.joa_upper": "4", "sev.joa_lower": "4", "sev.surgery": true}),
                ),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: cervical 3 and 3, surgery not entered",
                items: merge(&mild, json!({"sev.surgery": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.surgery"]),
                errors: &[],
            },
            case(
                "meets: thoracic or lumbar myelopathy, lower limb 2",
                merge(
                    &meets,
                    json!({"sev.myelopathy_level": "2", "sev.joa_upper": null, "sev.joa_lower": "2"}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: thoracic or lumbar, lower limb 3 without surgery",
                merge(
                    &mild,
                    json!({"sev.myelopathy_level": "2", "sev.joa_upper": null}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: thoracic or lumbar, lower limb 3 with surgery",
                merge(
                    &mild,
                    json!({"sev.myelopathy_level": "2", "sev.joa_upper": null, "sev.surgery": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: thoracic or lumbar, lower limb 4 with surgery",
                merge(
                    &mild,
                    json!({"sev.myelopathy_level": "2", "sev.joa_upper": null,
                           "sev.joa_lower": "4", "sev.surgery": true}),
                ),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: cervical, the upper limb not entered, lower limb 3",
                items: merge(&mild, json!({"sev.joa_upper": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.joa_upper"]),
                errors: &["required"],
            },
        ],
    );
}
