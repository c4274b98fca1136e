//! 慢性炎症性脱髄性多発神経炎／多巣性運動ニューロパチー (指定難病 14): the shipped master's judgment,
//! case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: 主要項目 (1)①② (2か月以上の寛解・増悪又は慢性進行性の多発ニューロパチー、基礎疾患なし) と
/// (2)① (2本以上の運動神経で脱髄) の全て、(2)②〜⑤ のいずれか1つ (② 蛋白増加かつ細胞数 10/mm3未満)、
/// (3) で疾患を区別できる (選んだ疾患の支持的診断所見 1 項目以上). 重症度: Barthel Index 85点以下
/// (2020-03 概要、診断基準等).
#[test]
fn chronic_inflammatory_demyelinating_polyneuropathy_14() {
    // CIDP: 2 months relapsing-remitting, 2 motor nerves, CSF protein with 9.9 cells; a.1.
    let meets = json!({
        "basic.onset_ym": "2022-01", "basic.diagnosis_ym": "2022-06",
        "dx.course": "relapsing_remitting", "dx.course_months": 2,
        "dx.no_underlying_cause": true, "dx.demyelinating_motor_nerves": 2,
        "dx.csf_examined": true, "dx.csf_protein_increased": true, "dx.csf_cells": 9.9,
        "dx.immunotherapy_response": false, "dx.mri_root_hypertrophy": false,
        "dx.nerve_biopsy_demyelination": false,
        "dx.disease_type": "cidp", "dx.cidp_sensory_conduction": true, "dx.cidp_sep": false,
        "dx.cidp_immunotherapy_response": false,
        "sev.barthel_index": 85
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    // MMN: no CSF examination, IVIg response; b.2 anti-GM1 only.
    let mmn = v(
        &meets,
        json!({"dx.course": "chronic_progressive", "dx.csf_examined": false,
               "dx.csf_protein_increased": null, "dx.csf_cells": null,
               "dx.immunotherapy_response": true, "dx.disease_type": "mmn",
               "dx.cidp_sensory_conduction": null, "dx.cidp_sep": null,
               "dx.cidp_immunotherapy_response": null,
               "dx.mmn_no_cranial_umn": false, "dx.mmn_anti_gm1": true,
               "dx.mmn_ivig_response": false}),
    );
    let mild = v(&meets, json!({"sev.barthel_index": 90}));
    let d = form(Program::Nanbyo, "14");
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
                "meets: CIDP, 2 months, 2 nerves, CSF 9.9 cells, Barthel 85",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: a course of 1 month",
                merge(&meets, json!({"dx.course_months": 1})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: neither relapsing nor progressive",
                merge(&meets, json!({"dx.course": "other"})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: chronic progressive",
                merge(&meets, json!({"dx.course": "chronic_progressive"})),
                Outcome::Meets,
            ),
            case(
                "does not meet: an underlying cause not excluded",
                merge(&meets, json!({"dx.no_underlying_cause": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: one motor nerve only",
                merge(&meets, json!({"dx.demyelinating_motor_nerves": 1})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: CSF 10 cells and nothing else of (2)②–⑤",
                merge(&meets, json!({"dx.csf_cells": 10.0})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: CSF protein not increased",
                merge(&meets, json!({"dx.csf_protein_increased": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: CSF 10 cells but an MRI root hypertrophy (④)",
                merge(
                    &meets,
                    json!({"dx.csf_cells": 10.0, "dx.mri_root_hypertrophy": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: a nerve biopsy (⑤) without CSF",
                merge(
                    &meets,
                    json!({"dx.csf_examined": false, "dx.csf_protein_increased": null,
                           "dx.csf_cells": null, "dx.nerve_biopsy_demyelination": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: CIDP without a supportive finding",
                merge(&meets, json!({"dx.cidp_sensory_conduction": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: CIDP by somatosensory evoked potentials",
                merge(
                    &meets,
                    json!({"dx.cidp_sensory_conduction": false, "dx.cidp_sep": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: MMN with anti-GM1 IgM, IVIg response (③)",
                entered(mmn.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: MMN without a supportive finding",
                merge(&mmn, json!({"dx.mmn_anti_gm1": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: MMN with only the CIDP findings entered",
                merge(
                    &mmn,
                    json!({"dx.mmn_anti_gm1": false, "dx.cidp_sensory_conduction": true}),
                ),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: CSF cells not entered, nothing else of (2)②–⑤",
                items: merge(&meets, json!({"dx.csf_cells": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.csf_cells"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: the motor nerves not entered",
                items: merge(&meets, json!({"dx.demyelinating_motor_nerves": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.demyelinating_motor_nerves"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: Barthel 86",
                merge(&meets, json!({"sev.barthel_index": 86})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: Barthel 90 still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "does not meet severity: Barthel 90",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: Barthel not entered",
                items: merge(&mild, json!({"sev.barthel_index": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.barthel_index"]),
                errors: &["required"],
            },
        ],
    );
}
