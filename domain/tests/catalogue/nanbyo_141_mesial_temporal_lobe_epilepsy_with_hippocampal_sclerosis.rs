//! 海馬硬化を伴う内側側頭葉てんかん (指定難病 141): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: Aの3と4、かつBの1と2 (又は一側の外科治療後に対側由来の発作が残存し、非切除側に発作時脳波);
/// Cの鑑別. 重症度: 「G40てんかん」の障害等級 1級程度 (能力障害評価1〜5)、2級程度 (3〜5)、
/// 3級程度 (4〜5) (2020-03 概要、診断基準等).
#[test]
fn mesial_temporal_lobe_epilepsy_with_hippocampal_sclerosis_141() {
    // A3, A4, B1, B2; イ・ロ monthly (2級程度) with 能力障害評価 3.
    let meets = json!({
        "basic.onset_ym": "2008-05", "basic.diagnosis_ym": "2012-11",
        "dx.a3_seizure_semiology": true, "dx.a4_drug_resistant": true,
        "dx.b1_mri_bilateral_hippocampus": true, "dx.b2_eeg_bilateral_anterior_temporal": true,
        "dx.differential_excluded": true,
        "sev.seizure_ab_frequency": "2", "sev.seizure_cd_frequency": "0",
        "sev.disability_rating": "3"
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let mild = v(&meets, json!({"sev.disability_rating": "2"}));
    // B1 not clear: the post-surgical case.
    let operated = v(
        &meets,
        json!({"dx.b1_mri_bilateral_hippocampus": false,
               "dx.contralateral_seizures_after_surgery": true,
               "dx.ictal_eeg_non_resected_side": true}),
    );
    let none = v(
        &meets,
        json!({"sev.seizure_ab_frequency": "0", "sev.seizure_cd_frequency": "0"}),
    );
    let d = form(Program::Nanbyo, "141");
    assert_eq!(d.clinical_judgment.len(), 2, "the judgments are named");
    let j = d.judge(&entered(meets.clone()), Purpose::Subsidy);
    assert_eq!(j.filled.get("sev.g40_grade"), Some(&json!("2")), "2級程度");
    let j = d.judge(&entered(none.clone()), Purpose::Subsidy);
    assert_eq!(j.filled.get("sev.g40_grade"), None, "no seizure, no grade");
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
                "meets: A3, A4, B1, B2; 2級程度 with 能力障害評価 3",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: not drug resistant (A4)",
                merge(&meets, json!({"dx.a4_drug_resistant": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: the differential not excluded",
                merge(&meets, json!({"dx.differential_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: B2 absent, the post-surgical course not entered",
                items: merge(&meets, json!({"dx.b2_eeg_bilateral_anterior_temporal": false})),
                purpose: Purpose::Subsidy,
                // The ictal EEG is asked once the surgery is answered; both decide.
                outcome: undeterminable(&[
                    "dx.contralateral_seizures_after_surgery",
                    "dx.ictal_eeg_non_resected_side",
                ]),
                errors: &["required"],
            },
            case(
                "meets: B1 not clear, contralateral seizures after surgery, ictal EEG non-resected side",
                entered(operated.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: after surgery, no ictal EEG on the non-resected side",
                merge(&operated, json!({"dx.ictal_eeg_non_resected_side": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: B1 not clear, no surgery",
                merge(
                    &operated,
                    json!({"dx.contralateral_seizures_after_surgery": false,
                           "dx.ictal_eeg_non_resected_side": null}),
                ),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: after surgery, the ictal EEG not entered",
                items: merge(&operated, json!({"dx.ictal_eeg_non_resected_side": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.ictal_eeg_non_resected_side"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: 2級程度 with 能力障害評価 2",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: 2級程度 with 2 still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: ハ・ニ monthly (1級程度) with 能力障害評価 1",
                merge(
                    &mild,
                    json!({"sev.seizure_cd_frequency": "3", "sev.disability_rating": "1",
                           "sev.g40_grade": "1"}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: ハ・ニ twice a year (2級程度) with 3",
                merge(
                    &none,
                    json!({"sev.seizure_cd_frequency": "2", "sev.g40_grade": "2"}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: ハ・ニ twice a year (2級程度) with 2",
                merge(
                    &none,
                    json!({"sev.seizure_cd_frequency": "2", "sev.disability_rating": "2"}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: イ・ロ less than monthly (3級程度) with 3",
                merge(
                    &none,
                    json!({"sev.seizure_ab_frequency": "1", "sev.g40_grade": "3"}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: イ・ロ less than monthly (3級程度) with 4",
                merge(
                    &none,
                    json!({"sev.seizure_ab_frequency": "1", "sev.disability_rating": "4"}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: ハ・ニ less than twice a year (3級程度) with 4",
                merge(
                    &none,
                    json!({"sev.seizure_cd_frequency": "1", "sev.disability_rating": "4"}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: no seizure of イ–ニ, 能力障害評価 5",
                merge(&none, json!({"sev.disability_rating": "5"})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "meets, with an error: 2級程度 entered as 3級程度",
                items: merge(&meets, json!({"sev.g40_grade": "3"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["derived_mismatch"],
            },
            Case {
                name: "undeterminable: イ・ロ less than monthly, 3, ハ・ニ not entered",
                items: merge(
                    &none,
                    json!({"sev.seizure_ab_frequency": "1", "sev.seizure_cd_frequency": null}),
                ),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.seizure_cd_frequency"]),
                errors: &["required"],
            },
        ],
    );
}
