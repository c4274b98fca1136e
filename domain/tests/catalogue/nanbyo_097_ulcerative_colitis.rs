//! 潰瘍性大腸炎 (指定難病 97): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 潰瘍性大腸炎 (97). Diagnosis, 確診 of the 難治性炎症性腸管障害に関する調査研究班 criteria
/// (小児慢性特定疾病情報センター 12_04_014; 研究班 令和3年度改訂版): A 持続性又は反復性の
/// 粘血・血便 (or its history), one of B ① 内視鏡 ② 注腸X線, and C 生検組織 — or, when B and
/// C cannot be done, characteristic findings at resection or autopsy — with the differential
/// diagnoses (感染性腸炎, クローン病, 虚血性大腸炎, …) excluded. Severity: 中等症以上 of the
/// 臨床的重症度分類, i.e. any of ① 排便回数 5回/日以上 ② 顕血便 (++)〜(+++) ③ 37.5℃以上
/// ④ 90/分以上 ⑤ Hb 10.0 g/dL 以下 ⑥ 赤沈 30 mm/h 以上 or CRP 3.0 mg/dL 以上 (指定難病検討委員会
/// 第49回 資料1-2-6).
#[test]
fn ulcerative_colitis_97() {
    let meets = json!({
        "basic.onset_ym": "2021-10", "basic.diagnosis_ym": "2022-03",
        "dx.bloody_stool": true, "dx.endoscopy_findings": true, "dx.biopsy_findings": true,
        "dx.differential_excluded": true,
        "sev.stool_frequency": 6, "sev.visible_blood": "2", "sev.body_temperature": 36.8,
        "sev.pulse": 82, "sev.hemoglobin": 12.5, "sev.crp": 0.4
    });
    let mild = json!({
        "sev.stool_frequency": 3, "sev.visible_blood": "1", "sev.body_temperature": 36.5,
        "sev.pulse": 72, "sev.hemoglobin": 13.1, "sev.crp": 0.2
    });
    let mild_form = merge(&meets, mild.clone());
    let mild_json = serde_json::to_value(&mild_form).unwrap();
    run(
        &form(Program::Nanbyo, "97"),
        vec![
            Case {
                name: "meets: A, endoscopy, biopsy; 6 stools a day with (++) blood",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: barium enema instead of endoscopy",
                items: merge(
                    &meets,
                    json!({"dx.endoscopy_findings": false, "dx.barium_enema_findings": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: characteristic findings at resection, biopsy not done",
                items: merge(
                    &meets,
                    json!({"dx.biopsy_findings": false, "dx.surgical_or_autopsy_findings": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets severity by ⑥ alone: CRP 3.5 with otherwise mild items",
                items: merge(&mild_json, json!({"sev.crp": 3.5})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets severity by ⑥ alone: ESR 34 without CRP",
                items: merge(&mild_json, json!({"sev.crp": null, "sev.esr": 34.0})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets severity: ESR normal but CRP 3.0",
                items: merge(&mild_json, json!({"sev.esr": 12.0, "sev.crp": 3.0})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet severity: mild (軽症)",
                items: mild_form.clone(),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet severity: 4 stools, (+) blood, 37.4℃, 89/分, Hb 10.1, ESR 29",
                items: merge(
                    &mild_json,
                    json!({"sev.stool_frequency": 4, "sev.body_temperature": 37.4, "sev.pulse": 89,
                           "sev.hemoglobin": 10.1, "sev.esr": 29.0, "sev.crp": 2.9}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "certificate only: diagnosis suffices when mild",
                items: mild_form.clone(),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: infectious colitis not excluded",
                items: merge(&meets, json!({"dx.differential_excluded": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet diagnosis: biopsy not consistent, no resection findings",
                items: merge(
                    &meets,
                    json!({"dx.biopsy_findings": false, "dx.surgical_or_autopsy_findings": false}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "undeterminable: endoscopy negative, barium enema and resection not entered",
                items: merge(&meets, json!({"dx.endoscopy_findings": false})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&[
                    "dx.barium_enema_findings",
                    "dx.surgical_or_autopsy_findings",
                ]),
                errors: &[],
            },
            Case {
                name: "undeterminable: mild items, neither ESR nor CRP entered",
                items: merge(&mild_json, json!({"sev.crp": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.crp"]),
                errors: &["required"],
            },
            Case {
                name: "consistency: onset after diagnosis",
                items: merge(&meets, json!({"basic.onset_ym": "2022-04"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["onset_after_diagnosis"],
            },
            Case {
                name: "consistency: (++) blood but no bloody stool in the clinical signs",
                items: merge(
                    &meets,
                    json!({"dx.bloody_stool": false, "dx.surgical_or_autopsy_findings": false}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &["visible_blood_without_bloody_stool"],
            },
            Case {
                name: "range: a body temperature in Fahrenheit",
                items: merge(&meets, json!({"sev.body_temperature": 99.5})),
                purpose: Purpose::Subsidy,
                // ① and ② already decide 中等症以上.
                outcome: Outcome::Meets,
                errors: &["out_of_range"],
            },
        ],
    );
    let j = form(Program::Nanbyo, "97").judge(&entered(meets), Purpose::Subsidy);
    assert_eq!(
        j.filled.get("sev.meets_severity"),
        Some(&json!(true)),
        "severity auto-filled"
    );
    let j = form(Program::Nanbyo, "97").judge(&mild_form, Purpose::Subsidy);
    assert_eq!(j.filled.get("sev.meets_severity"), Some(&json!(false)));
}
