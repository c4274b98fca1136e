//! ＩｇＧ４関連疾患 (指定難病 300): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

fn case(
    name: &'static str,
    items: std::collections::BTreeMap<String, serde_json::Value>,
    outcome: Outcome,
) -> Case {
    Case {
        name,
        items,
        purpose: Purpose::Subsidy,
        outcome,
        errors: &[],
    }
}

fn v(base: &serde_json::Value, change: serde_json::Value) -> serde_json::Value {
    serde_json::to_value(merge(base, change)).expect("json")
}

/// Steroid-dependent with a residual organ damage: the severity every diagnosis case shares.
fn severe() -> serde_json::Value {
    json!({
        "basic.onset_ym": "2021-02", "basic.diagnosis_ym": "2021-06",
        "dx.differential_excluded": true,
        "sev.steroid_dependent": true, "sev.steroid_resistant": false,
        "sev.organ_damage": ["biliary"]
    })
}

/// ① 包括診断基準: Definite (1+2+3) と Probable (1+3) が対象; 3 = a 浸潤と線維化 + b IgG4/IgG ≥ 40 % かつ
/// IgG4陽性形質細胞 > 10/HPF. 重症度: ステロイド依存性又は抵抗性で臓器障害が残る (2020-03 概要、診断基準等).
#[test]
fn igg4_related_disease_300_comprehensive_and_severity() {
    let meets = v(
        &severe(),
        json!({"dx.criteria": "comprehensive", "dx.serum_igg4": 134.9, "dx.c_lesion": true,
               "dx.c_infiltration_fibrosis": true, "dx.c_igg4_igg_ratio": 40.0,
               "dx.c_igg4_cells": 10.1}),
    );
    let not_severe = v(&meets, json!({"sev.steroid_dependent": false}));
    let d = form(Program::Nanbyo, "300");
    assert_eq!(d.clinical_judgment.len(), 3, "the judgments are named");
    run(
        &d,
        vec![
            case(
                "meets: Probable (1+3: 40 %, 10.1/HPF; IgG4 134.9)",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: IgG4/IgG 39.9 %",
                merge(&meets, json!({"dx.c_igg4_igg_ratio": 39.9})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: IgG4-positive cells 10/HPF (not above 10)",
                merge(&meets, json!({"dx.c_igg4_cells": 10.0})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: Possible (1+2, no histology)",
                merge(
                    &meets,
                    json!({"dx.serum_igg4": 135.0, "dx.c_infiltration_fibrosis": false,
                           "dx.c_igg4_igg_ratio": null, "dx.c_igg4_cells": null}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: the differential not excluded",
                merge(&meets, json!({"dx.differential_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: infiltration seen, the IgG4/IgG ratio not entered",
                items: merge(&meets, json!({"dx.c_igg4_igg_ratio": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.c_igg4_igg_ratio"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: neither steroid-dependent nor resistant",
                entered(not_severe.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: not severe still earns the certificate",
                items: entered(not_severe.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: steroid-resistant with hypoxaemia",
                merge(
                    &not_severe,
                    json!({"sev.steroid_resistant": true, "sev.organ_damage": ["respiratory"]}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: steroid-dependent without a residual organ damage",
                merge(&meets, json!({"sev.organ_damage": []})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: the organ damage not entered",
                items: merge(&meets, json!({"sev.organ_damage": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.organ_damage"]),
                errors: &["required"],
            },
        ],
    );
}

/// ② 自己免疫性膵炎 (Definite びまん型・限局型・病理組織学的確診, Possible・Probable) and ③ IgG4関連硬化性胆管炎
/// (Definite ①–④, Probable 1+2+オプション).
#[test]
fn igg4_related_disease_300_pancreas_and_bile_duct() {
    let diffuse = v(
        &severe(),
        json!({"dx.criteria": "aip", "dx.serum_igg4": 135.0, "dx.p_enlargement": "diffuse",
               "dx.p_erp": "absent", "dx.p_path_infiltration": false,
               "dx.p_path_igg4_cells": false, "dx.p_path_storiform": false,
               "dx.p_path_phlebitis": false, "dx.p_extra_clinical": false,
               "dx.p_extra_pathological": false, "dx.steroid_effect": false}),
    );
    let focal = v(
        &diffuse,
        json!({"dx.p_enlargement": "focal", "dx.p_erp": "present", "dx.p_extra_clinical": true}),
    );
    let sc = v(
        &severe(),
        json!({"dx.criteria": "sclerosing_cholangitis", "dx.serum_igg4": 135.0,
               "dx.b_imaging": true, "dx.b_other_organ": false,
               "dx.b_path_infiltration": false, "dx.b_path_igg4_cells": false,
               "dx.b_path_storiform": false, "dx.b_path_phlebitis": false,
               "dx.steroid_effect": true}),
    );
    let d = form(Program::Nanbyo, "300");
    run(
        &d,
        vec![
            case(
                "meets: AIP びまん型 with IgG4 135",
                entered(diffuse.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: AIP びまん型 with IgG4 134.9 and nothing else",
                merge(&diffuse, json!({"dx.serum_igg4": 134.9})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: AIP びまん型 with 4b (two pathology findings)",
                merge(
                    &diffuse,
                    json!({"dx.serum_igg4": 134.9, "dx.p_path_storiform": true,
                           "dx.p_path_phlebitis": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: AIP びまん型 with one pathology finding (not 4b), IgG4 134.9",
                merge(
                    &diffuse,
                    json!({"dx.serum_igg4": 134.9, "dx.p_path_storiform": true}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: AIP 限局型 1b+2+(3 and 5a)",
                entered(focal.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: AIP 限局型 1b+2+ one of them, no option",
                merge(&focal, json!({"dx.serum_igg4": 134.9})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: AIP 限局型 1b+2+ one of them + steroid option",
                merge(
                    &focal,
                    json!({"dx.serum_igg4": 134.9, "dx.steroid_effect": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: AIP 病理組織学的確診 (three findings), no enlargement",
                merge(
                    &diffuse,
                    json!({"dx.p_enlargement": "none", "dx.p_path_infiltration": true,
                           "dx.p_path_igg4_cells": true, "dx.p_path_storiform": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: two pathology findings (not 4a), no enlargement",
                merge(
                    &diffuse,
                    json!({"dx.p_enlargement": "none", "dx.p_path_infiltration": true,
                           "dx.p_path_igg4_cells": true}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: AIP Possible (ERP not obtained, EUS-FNA excluded cancer, 5a)",
                merge(
                    &focal,
                    json!({"dx.p_erp": "not_obtained", "dx.p_eus_fna_cancer_excluded": true}),
                ),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: AIP ERP not obtained, EUS-FNA not entered",
                items: merge(&focal, json!({"dx.p_erp": "not_obtained"})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.p_eus_fna_cancer_excluded"]),
                errors: &["required"],
            },
            case(
                "meets: IgG4-SC Probable (1+2+ steroid option)",
                entered(sc.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: IgG4-SC 1+ steroid option with IgG4 134.9",
                merge(&sc, json!({"dx.serum_igg4": 134.9})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: IgG4-SC Possible (1+2 only)",
                merge(&sc, json!({"dx.steroid_effect": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: IgG4-SC Definite ① (1+3, IgG4 134.9)",
                merge(
                    &sc,
                    json!({"dx.steroid_effect": false, "dx.serum_igg4": 134.9,
                           "dx.b_other_organ": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: IgG4-SC Definite ④ (4a+4b+4d, no imaging)",
                merge(
                    &sc,
                    json!({"dx.steroid_effect": false, "dx.b_imaging": false,
                           "dx.b_path_infiltration": true, "dx.b_path_igg4_cells": true,
                           "dx.b_path_phlebitis": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: IgG4-SC 4a+4b without 4c or 4d, no imaging",
                merge(
                    &sc,
                    json!({"dx.steroid_effect": false, "dx.b_imaging": false,
                           "dx.b_path_infiltration": true, "dx.b_path_igg4_cells": true}),
                ),
                Outcome::DoesNotMeet,
            ),
        ],
    );
}

/// ④ 涙腺・眼窩及び唾液腺病変 (Definite A1+A2+B, A1+A3+B) and ⑤ IgG4関連腎臓病 (Definite・Probable).
#[test]
fn igg4_related_disease_300_glands_and_kidney() {
    let gland = v(
        &severe(),
        json!({"dx.criteria": "dacryoadenitis_sialadenitis", "dx.serum_igg4": 135.0,
               "dx.g_swelling_months": 3, "dx.g_symmetric_pairs": 2, "dx.g_biopsy": "not_done"}),
    );
    let biopsied = v(
        &gland,
        json!({"dx.serum_igg4": 134.9, "dx.g_biopsy": "done", "dx.g_igg4_igg_ratio": 50.0}),
    );
    let kidney = v(
        &severe(),
        json!({"dx.criteria": "kidney", "dx.serum_igg4": 90.0, "dx.k_urine_renal": true,
               "dx.k_imaging": false, "dx.k_infiltration": true, "dx.k_igg4_igg_ratio": 39.9,
               "dx.k_igg4_cells": 10.1, "dx.k_fibrosis": true, "dx.k_extrarenal": false,
               "sev.organ_damage": ["kidney"]}),
    );
    let d = form(Program::Nanbyo, "300");
    run(
        &d,
        vec![
            case(
                "meets: glands A1 (3 months, 2 pairs) + A2 (IgG4 135)",
                entered(gland.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: swelling for 2 months",
                merge(&gland, json!({"dx.g_swelling_months": 2})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: one symmetric pair",
                merge(&gland, json!({"dx.g_symmetric_pairs": 1})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: IgG4 134.9 and no biopsy",
                merge(&gland, json!({"dx.serum_igg4": 134.9})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: glands A1 + A3 (IgG4+/IgG+ 50 %)",
                entered(biopsied.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: glands IgG4+/IgG+ 49.9 %, IgG4 134.9",
                merge(&biopsied, json!({"dx.g_igg4_igg_ratio": 49.9})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: biopsied, the ratio not entered, IgG4 134.9",
                items: merge(&biopsied, json!({"dx.g_igg4_igg_ratio": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.g_igg4_igg_ratio"]),
                errors: &["required"],
            },
            case(
                "meets: kidney Probable ① (1+4a by > 10/HPF + 4b)",
                entered(kidney.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: kidney 4a with 39.9 % and 10/HPF",
                merge(&kidney, json!({"dx.k_igg4_cells": 10.0})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: kidney 4a with 40 % and 10/HPF",
                merge(
                    &kidney,
                    json!({"dx.k_igg4_cells": 10.0, "dx.k_igg4_igg_ratio": 40.0}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: kidney Possible ③ (1+4a without 4b)",
                merge(&kidney, json!({"dx.k_fibrosis": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: kidney Probable ③ (2+5)",
                merge(
                    &kidney,
                    json!({"dx.k_fibrosis": false, "dx.k_imaging": true, "dx.k_extrarenal": true}),
                ),
                Outcome::Meets,
            ),
        ],
    );
}
