//! 胆道閉鎖症 (小児慢性特定疾病 慢性消化器疾患 告示番号16): the shipped master's judgment, case by
//! case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 胆道閉鎖症 (12-16). Diagnosis (小児慢性特定疾病情報センター 診断の手引き 12_08_023): A and B.1–3
/// raise the suspicion (recorded); 「確定診断はB.4」: 手術時(又は剖検時)の肉眼的所見あるいは胆道造影像
/// fitting one of the three 基本型 of the 病型分類. B.3's triangular cord is positive at a thickness
/// of 4 mm以上 (auto-filled, not a criterion). 対象基準: 「疾患名に該当する場合」 (no severity rule).
#[test]
fn biliary_atresia_12_16() {
    let meets = json!({
        "basic.onset_ym": "2024-01", "basic.diagnosis_ym": "2024-02",
        "dx.symptoms": ["jaundice", "stool_colour"], "dx.onset_neonatal_early_infancy": true,
        "dx.direct_bilirubin_raised": true, "dx.triangular_cord_thickness_mm": 4.0,
        "dx.confirmation_method": "surgery", "dx.basic_type_fits": true
    });
    let ba = form(Program::Shoman, "12-16");
    run(
        &ba,
        vec![
            Case {
                name: "meets: surgical findings fit a basic type",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: cholangiography alone, A and B.1–3 not entered (recorded only)",
                items: entered(json!({
                    "basic.onset_ym": "2024-01", "basic.diagnosis_ym": "2024-02",
                    "dx.confirmation_method": "cholangiography", "dx.basic_type_fits": true
                })),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: the autopsy findings",
                items: merge(&meets, json!({"dx.confirmation_method": "autopsy"})),
                purpose: Purpose::RegistrantCertificateOnly,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: the findings fit none of the basic types",
                items: merge(&meets, json!({"dx.basic_type_fits": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "undeterminable: whether the findings fit a basic type not entered",
                items: merge(&meets, json!({"dx.basic_type_fits": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.basic_type_fits"]),
                errors: &["required"],
            },
            Case {
                name: "undeterminable: the confirmation method not entered",
                items: merge(&meets, json!({"dx.confirmation_method": null})),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.confirmation_method"]),
                errors: &["required"],
            },
            Case {
                name: "triangular cord 3.9 mm entered as positive: below 4 mm is negative",
                items: merge(
                    &meets,
                    json!({"dx.triangular_cord_thickness_mm": 3.9, "dx.triangular_cord_positive": true}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["derived_mismatch"],
            },
            Case {
                name: "triangular cord 4.0 mm entered as negative: 4 mm以上 is positive",
                items: merge(&meets, json!({"dx.triangular_cord_positive": false})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &["derived_mismatch"],
            },
        ],
    );
    let at = |mm: f64| {
        ba.judge(
            &merge(&meets, json!({"dx.triangular_cord_thickness_mm": mm})),
            Purpose::Subsidy,
        )
        .filled
        .get("dx.triangular_cord_positive")
        .cloned()
    };
    assert_eq!(at(4.0), Some(json!(true)), "4 mm以上を陽性");
    assert_eq!(at(3.9), Some(json!(false)), "below 4 mm negative");
    let none = ba.judge(
        &merge(&meets, json!({"dx.triangular_cord_thickness_mm": null})),
        Purpose::Subsidy,
    );
    assert_eq!(none.filled.get("dx.triangular_cord_positive"), None);
    assert_eq!(none.outcome, Outcome::Meets, "B.3 is not a criterion");
}
