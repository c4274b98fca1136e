//! 原発性抗リン脂質抗体症候群 (指定難病 48): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 診断: 臨床基準 (血栓症、妊娠合併症 ①–③: ③ は3回以上つづけての妊娠10週以前の流産) の1項目以上と
/// 検査基準 (LA、aCL、抗β2-GPI抗体) の1項目以上; 原発性. 重症度: 3度以上 (再発性の血栓症、臓器障害、
/// 抗リン脂質抗体関連疾患の治療、妊娠管理、妊娠合併症、劇症型APS) (2020-03 概要、診断基準等).
#[test]
fn primary_antiphospholipid_syndrome_48() {
    // 血栓症 and LA; recurrent thrombosis on anticoagulation.
    let meets = json!({
        "basic.onset_ym": "2019-03", "basic.diagnosis_ym": "2019-09",
        "dx.thrombosis": true, "dx.fetal_death": false, "dx.preterm_birth": false,
        "dx.consecutive_early_losses": 0, "dx.lupus_anticoagulant": true, "dx.acl": false,
        "dx.anti_b2gpi": false, "dx.primary": true,
        "sev.recurrent_thrombosis": true, "sev.organ_damage": "0",
        "sev.aps_related_disease": "0", "sev.pregnancy_management": false,
        "sev.pregnancy_complication_treated": false, "sev.catastrophic_aps": false
    });
    let v = |base: &serde_json::Value, change: serde_json::Value| {
        serde_json::to_value(merge(base, change)).expect("json")
    };
    let no_thrombosis = v(&meets, json!({"dx.thrombosis": false}));
    let mild = v(&meets, json!({"sev.recurrent_thrombosis": false}));
    let d = form(Program::Nanbyo, "48");
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
                "meets: thrombosis and LA, recurrent thrombosis (3度)",
                entered(meets.clone()),
                Outcome::Meets,
            ),
            case(
                "does not meet: thrombosis without a laboratory criterion",
                merge(&meets, json!({"dx.lupus_anticoagulant": false})),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: aCL alone as the laboratory criterion",
                merge(
                    &meets,
                    json!({"dx.lupus_anticoagulant": false, "dx.acl": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "meets: anti-β2-GPI alone",
                merge(
                    &meets,
                    json!({"dx.lupus_anticoagulant": false, "dx.anti_b2gpi": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: LA without a clinical criterion",
                entered(no_thrombosis.clone()),
                Outcome::DoesNotMeet,
            ),
            case(
                "meets: fetal death at 10 weeks or later",
                merge(&no_thrombosis, json!({"dx.fetal_death": true})),
                Outcome::Meets,
            ),
            case(
                "meets: preterm birth by 34 weeks",
                merge(&no_thrombosis, json!({"dx.preterm_birth": true})),
                Outcome::Meets,
            ),
            case(
                "meets: 3 consecutive early losses, causes excluded",
                merge(
                    &no_thrombosis,
                    json!({"dx.consecutive_early_losses": 3, "dx.early_loss_causes_excluded": true}),
                ),
                Outcome::Meets,
            ),
            case(
                "does not meet: 2 consecutive early losses",
                merge(&no_thrombosis, json!({"dx.consecutive_early_losses": 2})),
                Outcome::DoesNotMeet,
            ),
            case(
                "does not meet: 3 losses with a parental chromosomal cause",
                merge(
                    &no_thrombosis,
                    json!({"dx.consecutive_early_losses": 3, "dx.early_loss_causes_excluded": false}),
                ),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: 3 losses, the exclusion of causes not entered",
                items: merge(&no_thrombosis, json!({"dx.consecutive_early_losses": 3})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.early_loss_causes_excluded"]),
                errors: &["required"],
            },
            case(
                "does not meet: secondary to SLE",
                merge(&meets, json!({"dx.primary": false})),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "undeterminable: thrombosis, LA not entered, the others negative",
                items: merge(&meets, json!({"dx.lupus_anticoagulant": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.lupus_anticoagulant"]),
                errors: &["required"],
            },
            case(
                "does not meet severity: none of 3度–5度 (1度・2度)",
                entered(mild.clone()),
                Outcome::DoesNotMeet,
            ),
            Case {
                name: "certificate only: 2度 still earns the certificate",
                items: entered(mild.clone()),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            case(
                "meets: mild organ damage (3度)",
                merge(&mild, json!({"sev.organ_damage": "1"})),
                Outcome::Meets,
            ),
            case(
                "meets: continuing immunosuppression (4度)",
                merge(&mild, json!({"sev.aps_related_disease": "1"})),
                Outcome::Meets,
            ),
            case(
                "meets: pregnancy management (4度)",
                merge(&mild, json!({"sev.pregnancy_management": true})),
                Outcome::Meets,
            ),
            case(
                "meets: a treated pregnancy complication (5度)",
                merge(&mild, json!({"sev.pregnancy_complication_treated": true})),
                Outcome::Meets,
            ),
            case(
                "meets: catastrophic APS (5度)",
                merge(&mild, json!({"sev.catastrophic_aps": true})),
                Outcome::Meets,
            ),
            Case {
                name: "undeterminable: 1度・2度 otherwise, organ damage not entered",
                items: merge(&mild, json!({"sev.organ_damage": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["sev.organ_damage"]),
                errors: &["required"],
            },
        ],
    );
}
