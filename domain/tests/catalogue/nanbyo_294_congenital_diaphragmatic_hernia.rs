//! 先天性横隔膜ヘルニア (指定難病 294): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: 新生児期に 1 (画像診断) 又は 2 (レントゲンで疑い、手術所見で確認) を満たせば Definite; 有嚢性は
/// 横隔膜弛緩症との鑑別を要し、後天性の原因が疑われる場合は除外. 重症度: 重症例 = a)–i) の1項目以上
/// (a) −2SDを越える低身長又は低体重、h) 1年間に2回以上の入院加療) (2020-03 概要、診断基準等).
#[test]
fn congenital_diaphragmatic_hernia_294() {
    // Prenatal ultrasound; every severity item absent but h) at 2 admissions.
    let meets = json!({
        "basic.onset_ym": "2022-03", "basic.diagnosis_ym": "2022-03",
        "dx.neonatal": true, "dx.imaging_herniation": true, "dx.xray_suspected": false,
        "dx.surgical_herniation": false, "dx.hernia_sac": false,
        "dx.acquired_cause_suspected": false,
        "sev.height_sds": -2.0, "sev.weight_sds": -2.0, "sev.developmental_delay": false,
        "sev.hearing_loss_treatment": false, "sev.respiratory_support": false,
        "sev.parenteral_tube_feeding": false, "sev.gerd_treatment": false,
        "sev.pulmonary_hypertension_drugs": false, "sev.respiratory_infection_admissions": 2,
        "sev.chest_wall_deformity": false
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let mild = v(&meets, json!({"sev.respiratory_infection_admissions": 1}));
    let d = form(Program::Nanbyo, "294");
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
                "meets: 1 by prenatal imaging, h) 2 admissions a year",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "meets: 2 by X-ray suspicion and operative findings",
                merge(
                    &meets,
                    json!({"dx.imaging_herniation": false, "dx.xray_suspected": true,
                           "dx.surgical_herniation": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: X-ray suspicion without operative confirmation",
                merge(
                    &meets,
                    json!({"dx.imaging_herniation": false, "dx.xray_suspected": true}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: operative findings without the X-ray suspicion",
                merge(
                    &meets,
                    json!({"dx.imaging_herniation": false, "dx.surgical_herniation": true}),
                ),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: not in the neonatal period",
                merge(&meets, json!({"dx.neonatal": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: an acquired (traumatic) cause suspected",
                merge(&meets, json!({"dx.acquired_cause_suspected": true})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: 有嚢性, distinguished from eventration",
                merge(
                    &meets,
                    json!({"dx.hernia_sac": true, "dx.eventration_excluded": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: 有嚢性, not distinguished from eventration",
                merge(
                    &meets,
                    json!({"dx.hernia_sac": true, "dx.eventration_excluded": false}),
                ),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: 有嚢性, the eventration differential not entered",
                items: merge(&meets, json!({"dx.hernia_sac": true})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.eventration_excluded"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: 軽症例 (height and weight −2.0 SD, 1 admission)",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: 軽症例 still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: a) height −2.1 SD",
                merge(&mild, json!({"sev.height_sds": -2.1})),
                Outcome::Meets,
            ),
            case(
                "meets: a) weight −2.01 SD",
                merge(&mild, json!({"sev.weight_sds": -2.01})),
                Outcome::Meets,
            ),
            case(
                "meets: d) oxygen therapy",
                merge(&mild, json!({"sev.respiratory_support": true})),
                Outcome::Meets,
            ),
            case(
                "meets: g) pulmonary hypertension drugs",
                merge(&mild, json!({"sev.pulmonary_hypertension_drugs": true})),
                Outcome::Meets,
            ),
            case(
                "meets: i) chest wall deformity",
                merge(&mild, json!({"sev.chest_wall_deformity": true})),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: 軽症 otherwise, the weight not entered",
                items: merge(&mild, json!({"sev.weight_sds": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.weight_sds"]),
                errors: &["required"],
            },
            Case {
                name: "an error: a negative number of admissions",
                items: merge(&mild, json!({"sev.respiratory_infection_admissions": -1})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.respiratory_infection_admissions"]),
                errors: &["out_of_range"],
            },
        ],
    );
}
