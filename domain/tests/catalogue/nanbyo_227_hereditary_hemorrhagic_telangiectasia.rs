//! オスラー病 (指定難病 227): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: Definite = A-1、A-2、B-1、B-2 の3項目以上で C の除外、又は D (遺伝子変異). 重症度: 各欄の最も
/// 重いグレードが3以上 (mMRC ≥ 3、PaO2 < 70 又は SpO2 < 93、シャント率 ≥ 10 %、肝・消化管 3 以上、脳・
/// 脊髄動静脈奇形の 1)~3)、鼻出血 中等度以上、治療を要する肺動静脈奇形、奇異性塞栓症) (2020-03 概要、
/// 診断基準等).
#[test]
fn hereditary_hemorrhagic_telangiectasia_227() {
    // and B-1: Definite; every severity column just below 3.
    let mild = json!({
        "basic.onset_ym": "2010-04", "basic.diagnosis_ym": "2021-06",
        "dx.epistaxis": true, "dx.telangiectasia": true, "dx.visceral_lesions": ["lung"],
        "dx.family_history": false, "dx.differential_excluded": true, "dx.gene_variant": false,
        "sev.mmrc": "2", "sev.oxygen_measure": "pao2", "sev.pao2": 70.0,
        "sev.shunt_measured": true, "sev.shunt_pct": 9.9, "sev.liver_gi_grade": "2",
        "sev.cns_avm": false, "sev.epistaxis_per_week": 0.9, "sev.epistaxis_minutes": 4.9,
        "sev.epistaxis_degree": "mild", "sev.pavm_needs_treatment": false,
        "sev.paradoxical_embolism": false
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let meets = v(&mild, json!({"sev.mmrc": "3"}));
    let probable = v(&meets, json!({"dx.visceral_lesions": []}));
    let spo2 = v(
        &mild,
        json!({"sev.oxygen_measure": "spo2", "sev.pao2": null, "sev.spo2": 93.0}),
    );
    let d = form(Program::Nanbyo, "227");
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
                "meets: Definite (A-1, A-2, B-1), mMRC 3",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: Probable (A-1, A-2)",
                entered(probable.clone()),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: A-1, A-2 and B-2 family history",
                merge(&probable, json!({"dx.family_history": true})),
                Outcome::Meets,
            ),
            case(
                "does not meet: three items, the differential not excluded",
                merge(&meets, json!({"dx.differential_excluded": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: D, the gene variant, with one item and no exclusion",
                merge(
                    &probable,
                    json!({"dx.telangiectasia": false, "dx.differential_excluded": false,
                           "dx.gene_variant": true}),
                ),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: two items, the family history not entered",
                items: merge(&probable, json!({"dx.family_history": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.family_history"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: every column below 3 (mMRC 2, PaO2 70, shunt 9.9 %, 鼻出血 軽症)",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: grade 2 still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: PaO2 69.9",
                merge(&mild, json!({"sev.pao2": 69.9})),
                Outcome::Meets,
            ),
            case(
                "does not meet: SpO2 93 (no blood gas)",
                entered(spo2.clone()),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: SpO2 92.9 (no blood gas)",
                merge(&spo2, json!({"sev.spo2": 92.9})),
                Outcome::Meets,
            ),
            case(
                "meets: 肺内シャント率 10 %",
                merge(&mild, json!({"sev.shunt_pct": 10.0})),
                Outcome::Meets,
            ),
            case(
                "does not meet: the shunt not measured",
                merge(
                    &mild,
                    json!({"sev.shunt_measured": false, "sev.shunt_pct": null}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: 肝動静脈奇形・消化管出血 3",
                merge(&mild, json!({"sev.liver_gi_grade": "3"})),
                Outcome::Meets,
            ),
            case(
                "meets: 脳動静脈奇形 within 5 years of treatment",
                merge(
                    &mild,
                    json!({"sev.cns_avm": true, "sev.cns_avm_higher_brain_dysfunction": false,
                           "sev.cns_avm_treatment": true, "sev.cns_avm_recurrence": false}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: 脳動静脈奇形 without 1)–3)",
                merge(
                    &mild,
                    json!({"sev.cns_avm": true, "sev.cns_avm_higher_brain_dysfunction": false,
                           "sev.cns_avm_treatment": false, "sev.cns_avm_recurrence": false}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: 鼻出血 週1回",
                merge(&mild, json!({"sev.epistaxis_per_week": 1.0})),
                Outcome::Meets,
            ),
            case(
                "meets: 鼻出血 5分",
                merge(&mild, json!({"sev.epistaxis_minutes": 5.0})),
                Outcome::Meets,
            ),
            case(
                "meets: 鼻出血 あふれ出る",
                merge(&mild, json!({"sev.epistaxis_degree": "moderate"})),
                Outcome::Meets,
            ),
            case(
                "does not meet: no nosebleed, duration and degree not asked",
                merge(
                    &mild,
                    json!({"sev.epistaxis_per_week": 0.0, "sev.epistaxis_minutes": null,
                           "sev.epistaxis_degree": null}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: a pulmonary AVM needing treatment",
                merge(&mild, json!({"sev.pavm_needs_treatment": true})),
                Outcome::Meets,
            ),
            case(
                "meets: a history of paradoxical embolism",
                merge(&mild, json!({"sev.paradoxical_embolism": true})),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: PaO2 not entered",
                items: merge(&mild, json!({"sev.pao2": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.pao2"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: nosebleeds, the duration not entered",
                items: merge(&mild, json!({"sev.epistaxis_minutes": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.epistaxis_minutes"]),
                errors: &["required"],
            },
        ],
    );
}
