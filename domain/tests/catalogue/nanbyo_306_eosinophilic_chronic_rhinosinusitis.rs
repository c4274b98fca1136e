//! 好酸球性副鼻腔炎 (指定難病 306): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: JESRECスコア11点以上 (両側3、鼻茸2、CT篩骨洞優位2、末梢血好酸球 2<≦5 4点・5<≦10 8点・10< 10点)
/// かつ鼻茸組織中好酸球70個以上. 重症度: 中等症以上 (A項目ともに陽性又はB項目の合併) 又は好酸球性中耳炎
/// の合併 (2020-03 概要、診断基準等).
#[test]
fn eosinophilic_chronic_rhinosinusitis_306() {
    // 両側 3 + 好酸球 5.1 % 8 = 11 points; B① 気管支喘息.
    let meets = json!({
        "basic.onset_ym": "2016-03", "basic.diagnosis_ym": "2017-01",
        "dx.bilateral": true, "dx.nasal_polyps": false, "dx.ct_ethmoid_dominant": false,
        "dx.blood_eosinophil_pct": 5.1, "dx.polyp_tissue_eosinophils": 70,
        "sev.asthma": true, "sev.aspirin_intolerance": false, "sev.nsaid_allergy": false,
        "sev.eom_major": false
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let mild = v(&meets, json!({"sev.asthma": false}));
    let eom = v(
        &mild,
        json!({"sev.eom_major": true, "sev.eom_glue": true, "sev.eom_refractory": true,
               "sev.eom_egpa_hes_excluded": true}),
    );
    let d = form(Program::Nanbyo, "306");
    assert_eq!(d.clinical_judgment.len(), 1, "the exclusion is named");
    run(
        &d,
        vec![
            Case {
                name: "meets: 11 points (両側, 好酸球 5.1 %), 70 tissue eosinophils, asthma",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: 7 points (両側, 好酸球 5.0 %)",
                items: merge(&meets, json!({"dx.blood_eosinophil_pct": 5.0})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet: 69 tissue eosinophils",
                items: merge(&meets, json!({"dx.polyp_tissue_eosinophils": 69})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet: 10 points (鼻茸, 好酸球 10.0 %)",
                items: merge(
                    &meets,
                    json!({"dx.bilateral": false, "dx.nasal_polyps": true,
                           "dx.blood_eosinophil_pct": 10.0}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: 12 points (鼻茸, 好酸球 10.1 %)",
                items: merge(
                    &meets,
                    json!({"dx.bilateral": false, "dx.nasal_polyps": true,
                           "dx.blood_eosinophil_pct": 10.1}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: 12 points (鼻茸, CT, 好酸球 5.1 %)",
                items: merge(
                    &meets,
                    json!({"dx.bilateral": false, "dx.nasal_polyps": true,
                           "dx.ct_ethmoid_dominant": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: 11 points (両側, 鼻茸, CT, 好酸球 2.1 %)",
                items: merge(
                    &meets,
                    json!({"dx.nasal_polyps": true, "dx.ct_ethmoid_dominant": true,
                           "dx.blood_eosinophil_pct": 2.1}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: 7 points (両側, 鼻茸, CT, 好酸球 2.0 %)",
                items: merge(
                    &meets,
                    json!({"dx.nasal_polyps": true, "dx.ct_ethmoid_dominant": true,
                           "dx.blood_eosinophil_pct": 2.0}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet severity: 軽症 (A① only, no B)",
                items: entered(mild.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "certificate only: 軽症 still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: 中等症 (A① at 5.0 % and A②, no B)",
                items: merge(
                    &mild,
                    json!({"dx.nasal_polyps": true, "dx.ct_ethmoid_dominant": true,
                           "dx.blood_eosinophil_pct": 5.0}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: 軽症 (A① at 4.9 % negative, A②, no B)",
                items: merge(
                    &mild,
                    json!({"dx.nasal_polyps": true, "dx.ct_ethmoid_dominant": true,
                           "dx.blood_eosinophil_pct": 4.9}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "meets: 中等症 (B② アスピリン不耐症)",
                items: merge(&mild, json!({"sev.aspirin_intolerance": true})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: 好酸球性中耳炎 (大項目 and two 小項目)",
                items: entered(eom.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: 好酸球性中耳炎 with one 小項目",
                items: merge(&eom, json!({"sev.eom_refractory": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet: 好酸球性中耳炎, EGPA/HES not excluded",
                items: merge(&eom, json!({"sev.eom_egpa_hes_excluded": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "undeterminable: 好酸球性中耳炎 with one 小項目, the other not entered",
                items: merge(&eom, json!({"sev.eom_glue": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.eom_glue"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: the blood eosinophils not entered",
                items: merge(&meets, json!({"dx.blood_eosinophil_pct": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.blood_eosinophil_pct"]),
                errors: &["required"],
            },
        ],
    );
}
