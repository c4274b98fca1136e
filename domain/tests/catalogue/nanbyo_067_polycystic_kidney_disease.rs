//! 多発性嚢胞腎 (指定難病 67): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: ADPKD = 家族内発生あり 超音波で両腎に各々3個以上又はCT・MRIで各々5個以上、家族内発生なし 15歳
/// 以下で各々3個以上・16歳以上で各々5個以上かつ除外すべき疾患の除外; ARPKD = 典型的超音波画像所見に加えて
/// 2 a)~e) の一項目以上. 重症度: CKD重症度分類ヒートマップの赤、又は腎容積 750 mL 以上かつ増大速度 5 %/年
/// 以上 (2020-03 概要、診断基準等; 診断基準は docx の画像から).
#[test]
fn polycystic_kidney_disease_67() {
    // ADPKD with family occurrence, 3 cysts in each kidney on ultrasound; G3a A2 (orange).
    let mild = json!({
        "basic.onset_ym": "2015-04", "basic.diagnosis_ym": "2016-02",
        "dx.type": "adpkd", "dx.family_occurrence": true, "dx.imaging": "us",
        "dx.cysts_right": 3, "dx.cysts_left": 3,
        "sev.egfr": 45.0, "sev.protein_creatinine_ratio": 0.49, "sev.volume_measured": true,
        "sev.kidney_volume": 750.0, "sev.volume_growth": 4.9
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let meets = v(&mild, json!({"sev.volume_growth": 5.0}));
    let sporadic = v(
        &meets,
        json!({"dx.family_occurrence": false, "dx.imaging": "ct_mri", "dx.age_at_imaging": 15,
               "dx.exclusion": true}),
    );
    let arpkd = v(
        &meets,
        json!({"dx.type": "arpkd", "dx.family_occurrence": null, "dx.imaging": null,
               "dx.cysts_right": null, "dx.cysts_left": null,
               "dx.arpkd_ultrasound": true, "dx.arpkd_parents_no_cysts": false,
               "dx.arpkd_liver_fibrosis": false, "dx.arpkd_ductal_plate": false,
               "dx.arpkd_sibling": true, "dx.arpkd_consanguinity": false}),
    );
    let d = form(Program::Nanbyo, "67");
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
                "meets: ADPKD, family, ultrasound 3 and 3; 750 mL and 5 %/年",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: family, ultrasound 3 and 2",
                merge(&meets, json!({"dx.cysts_left": 2})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: family, CT 4 and 4",
                merge(
                    &meets,
                    json!({"dx.imaging": "ct_mri", "dx.cysts_right": 4, "dx.cysts_left": 4}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: family, CT 5 and 5",
                merge(
                    &meets,
                    json!({"dx.imaging": "ct_mri", "dx.cysts_right": 5, "dx.cysts_left": 5}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: no family, 15 years old, 3 and 3, exclusions made",
                entered(sporadic.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: no family, 15 years old, 3 and 2",
                merge(&sporadic, json!({"dx.cysts_left": 2})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: no family, 16 years old, 5 and 4",
                merge(
                    &sporadic,
                    json!({"dx.age_at_imaging": 16, "dx.cysts_right": 5, "dx.cysts_left": 4}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: no family, 16 years old, 3 and 3",
                merge(&sporadic, json!({"dx.age_at_imaging": 16})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: no family, 16 years old, 5 and 5",
                merge(
                    &sporadic,
                    json!({"dx.age_at_imaging": 16, "dx.cysts_right": 5, "dx.cysts_left": 5}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: no family, the exclusions not made",
                merge(&sporadic, json!({"dx.exclusion": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: no family, 3 and 3, the age not entered",
                items: merge(&sporadic, json!({"dx.age_at_imaging": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.age_at_imaging"]),
                errors: &["required"],
            },
            case(
                "meets: ARPKD, typical ultrasound and an affected sibling",
                entered(arpkd.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: ARPKD, the ultrasound without any of 2 a)–e)",
                merge(&arpkd, json!({"dx.arpkd_sibling": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: ARPKD, 2 a)–e) without the typical ultrasound",
                merge(
                    &arpkd,
                    json!({"dx.arpkd_ultrasound": false, "dx.arpkd_parents_no_cysts": true,
                           "dx.arpkd_liver_fibrosis": true, "dx.arpkd_ductal_plate": true,
                           "dx.arpkd_consanguinity": true}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet severity: G3a A2 (orange), 750 mL and 4.9 %/年",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: orange still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "does not meet: 749.9 mL and 5 %/年",
                merge(&meets, json!({"sev.kidney_volume": 749.9})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: G3b (eGFR 44.9) with A2 (0.15) is red",
                merge(
                    &mild,
                    json!({"sev.egfr": 44.9, "sev.protein_creatinine_ratio": 0.15}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: G3b (eGFR 44.9) with A1 (0.14) is orange",
                merge(
                    &mild,
                    json!({"sev.egfr": 44.9, "sev.protein_creatinine_ratio": 0.14}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: G3a (eGFR 59.9) with A3 (0.5) is red",
                merge(
                    &mild,
                    json!({"sev.egfr": 59.9, "sev.protein_creatinine_ratio": 0.5}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: G2 (eGFR 60) with A3 (0.5) is orange",
                merge(
                    &mild,
                    json!({"sev.egfr": 60.0, "sev.protein_creatinine_ratio": 0.5}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: G4 (eGFR 29.9) with A1 is red",
                merge(
                    &mild,
                    json!({"sev.egfr": 29.9, "sev.protein_creatinine_ratio": 0.0}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: G3b (eGFR 30) with A1 is orange",
                merge(
                    &mild,
                    json!({"sev.egfr": 30.0, "sev.protein_creatinine_ratio": 0.0}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: volume not measured, orange",
                merge(
                    &mild,
                    json!({"sev.volume_measured": false, "sev.kidney_volume": null,
                           "sev.volume_growth": null}),
                ),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: eGFR not entered, B not met",
                items: merge(&mild, json!({"sev.egfr": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.egfr"]),
                errors: &["required"],
            },
        ],
    );
}
