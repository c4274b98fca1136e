//! 眼皮膚白皮症 (指定難病 164): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: Definite・Probable = A-1、A-2、B-1 と A-3・A-4・B-2 の1つ以上、C の除外 (D は問わない).
/// 重症度: A 症候型 (病型ごとの症状の1つ以上; ヘルマンスキー・パドラック症候群は矯正視力0.3未満も)
/// 又は B 非症候型で良好な方の眼の矯正視力0.3未満 (2020-03 概要、診断基準等).
#[test]
fn oculocutaneous_albinism_164() {
    // Probable (A-4 only among, B-2), 非症候型 by 4 (no B, no C), acuity 0.29.
    let meets = json!({
        "basic.onset_ym": "2015-01", "basic.diagnosis_ym": "2015-03",
        "dx.fair_skin_no_tanning": true, "dx.hair_color_from_birth": true,
        "dx.iris_hypopigmentation": false, "dx.nystagmus": true,
        "dx.fundus_hypopigmentation_foveal_hypoplasia": true,
        "dx.uncorrectable_low_vision": false, "dx.differential_excluded": true,
        "dx.gene": "not_done", "dx.bleeding_tendency": false, "dx.silver_gray_hair": false,
        "dx.type": "non_syndromic",
        "sev.corrected_visual_acuity": 0.29
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let possible = v(&meets, json!({"dx.nystagmus": false}));
    let mild = v(&meets, json!({"sev.corrected_visual_acuity": 0.3}));
    // ヘルマンスキー・パドラック症候群 by B-1, no finding, acuity 0.3.
    let hps = v(
        &mild,
        json!({"dx.bleeding_tendency": true, "dx.platelet_dysfunction": true,
               "dx.type": "hps", "sev.hps_findings": []}),
    );
    // チェディアック・東症候群 by C-1 and C-2, no finding.
    let chs = v(
        &meets,
        json!({"dx.silver_gray_hair": true, "dx.giant_granules_leukocytes": true,
               "dx.giant_melanosomes": true, "dx.type": "chs",
               "sev.corrected_visual_acuity": null, "sev.chs_findings": []}),
    );
    let griscelli = v(
        &chs,
        json!({"dx.giant_granules_leukocytes": false, "dx.giant_melanosomes": false,
               "dx.type": "griscelli", "sev.chs_findings": null, "sev.griscelli_findings": []}),
    );
    let d = form(Program::Nanbyo, "164");
    assert_eq!(d.clinical_judgment.len(), 3, "the judgments are named");
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
                "meets: Probable, 非症候型, acuity 0.29",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: Possible (A-1, A-2 and B-1 only)",
                entered(possible.clone()),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: A-3 虹彩低色素",
                merge(&possible, json!({"dx.iris_hypopigmentation": true})),
                Outcome::Meets,
            ),
            case(
                "meets: B-2 矯正不可能な低視力",
                merge(&possible, json!({"dx.uncorrectable_low_vision": true})),
                Outcome::Meets,
            ),
            case(
                "meets: Definite (D, a TYR variant)",
                merge(&meets, json!({"dx.gene": "non_syndromic"})),
                Outcome::Meets,
            ),
            case(
                "does not meet: A-2 not met",
                merge(&meets, json!({"dx.hair_color_from_birth": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: B-1 not met",
                merge(
                    &meets,
                    json!({"dx.fundus_hypopigmentation_foveal_hypoplasia": false}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: the differential not excluded",
                merge(&meets, json!({"dx.differential_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: Possible so far, A-3 not entered",
                items: merge(&possible, json!({"dx.iris_hypopigmentation": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.iris_hypopigmentation"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: 非症候型, acuity 0.3",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: acuity 0.3 still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "undeterminable: 非症候型, the acuity not entered",
                items: merge(&mild, json!({"sev.corrected_visual_acuity": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.corrected_visual_acuity"]),
                errors: &["required"],
            },
            case(
                "does not meet: HPS, acuity 0.3, no finding",
                entered(hps.clone()),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: HPS, acuity 0.29",
                merge(&hps, json!({"sev.corrected_visual_acuity": 0.29})),
                Outcome::Meets,
            ),
            case(
                "meets: HPS, 肺線維症",
                merge(&hps, json!({"sev.hps_findings": ["pulmonary_fibrosis"]})),
                Outcome::Meets,
            ),
            case(
                "meets: HPS by D (HPS1 etc.) without B-1, 炎症性腸疾患",
                merge(
                    &hps,
                    json!({"dx.bleeding_tendency": false, "dx.platelet_dysfunction": null,
                           "dx.gene": "hps", "sev.hps_findings": ["ibd"]}),
                ),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: HPS, acuity 0.3, the findings not entered",
                items: merge(&hps, json!({"sev.hps_findings": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.hps_findings"]),
                errors: &["required"],
            },
            Case {
                name: "meets, with an error: HPS without B-1 or D",
                items: merge(
                    &hps,
                    json!({"dx.platelet_dysfunction": false, "sev.hps_findings": ["bleeding"]}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["type_hps_without_its_criteria"],
            },
            Case {
                name: "does not meet, with an error: 非症候型 entered for an HPS",
                items: merge(&hps, json!({"dx.type": "non_syndromic"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &["type_non_syndromic_without_its_criteria"],
            },
            case(
                "does not meet: CHS, no finding",
                entered(chs.clone()),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: CHS, 神経症状",
                merge(&chs, json!({"sev.chs_findings": ["neurological"]})),
                Outcome::Meets,
            ),
            case(
                "meets: CHS with bleeding and a platelet dysfunction (1 holds too), 急性増悪状態",
                merge(
                    &chs,
                    json!({"dx.bleeding_tendency": true, "dx.platelet_dysfunction": true,
                           "sev.chs_findings": ["acute_exacerbation"]}),
                ),
                Outcome::Meets,
            ),
            Case {
                name: "meets, with an error: CHS with C-1 only",
                items: merge(
                    &chs,
                    json!({"dx.giant_melanosomes": false, "sev.chs_findings": ["recurrent_infections"]}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["type_chs_without_its_criteria"],
            },
            case(
                "meets: CHS by D (LYST) with C-1 only, 繰り返す全身感染症",
                merge(
                    &chs,
                    json!({"dx.giant_melanosomes": false, "dx.gene": "chs",
                           "sev.chs_findings": ["recurrent_infections"]}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: C-1 only and no gene, 病型を診断できない",
                merge(
                    &chs,
                    json!({"dx.giant_melanosomes": false, "dx.type": "undetermined",
                           "sev.chs_findings": null}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: Griscelli, no finding",
                entered(griscelli.clone()),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: Griscelli, てんかん",
                merge(&griscelli, json!({"sev.griscelli_findings": ["epilepsy"]})),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: Griscelli, the findings not entered",
                items: merge(&griscelli, json!({"sev.griscelli_findings": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.griscelli_findings"]),
                errors: &["required"],
            },
            Case {
                name: "meets, with an error: Griscelli with C-2",
                items: merge(
                    &griscelli,
                    json!({"dx.giant_melanosomes": true, "sev.griscelli_findings": ["hypotonia"]}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["type_griscelli_without_its_criteria"],
            },
        ],
    );
}
