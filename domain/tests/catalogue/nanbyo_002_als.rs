//! 筋萎縮性側索硬化症 (指定難病 2): the shipped master's judgment, case by case.

use crate::common::{entered, form, merge, run, undeterminable, Case};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::json;

/// 筋萎縮性側索硬化症 (2). Diagnosis: ①成人発症 ②進行性 ③ UMN signs in ≥1 region and LMN
/// signs in ≥2 regions, or a known familial-ALS gene with UMN and LMN signs in one region
/// ④ differential diagnoses excluded. Severity: ALS重症度分類 2以上.
#[test]
fn als_2() {
    let meets = json!({
        "basic.onset_ym": "2023-03", "basic.diagnosis_ym": "2023-11",
        "dx.adult_onset": true, "dx.progressive": true,
        "dx.umn_regions": ["bulbar"], "dx.lmn_regions": ["cervical", "lumbosacral"],
        "dx.differential_excluded": true, "sev.als_severity": "2"
    });
    run(
        &form(Program::Nanbyo, "2"),
        vec![
            Case {
                name: "meets: UMN 1 region, LMN 2 regions, severity 2",
                items: entered(meets.clone()),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "meets: familial gene with UMN and LMN in one region",
                items: merge(
                    &meets,
                    json!({"dx.familial_gene": true, "dx.umn_regions": ["cervical"], "dx.lmn_regions": ["cervical"]}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::Meets,
                errors: &[],
            },
            Case {
                name: "does not meet: LMN in one region only, no familial gene",
                items: merge(
                    &meets,
                    json!({"dx.familial_gene": false, "dx.lmn_regions": ["cervical"]}),
                ),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet: no region with both signs, whatever the gene",
                items: merge(&meets, json!({"dx.lmn_regions": ["cervical"]})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "does not meet severity: 1",
                items: merge(&meets, json!({"sev.als_severity": "1"})),
                purpose: Purpose::Subsidy,
                outcome: Outcome::DoesNotMeet,
                errors: &[],
            },
            Case {
                name: "undeterminable: UMN and LMN in one region, familial gene not entered",
                items: merge(
                    &meets,
                    json!({"dx.umn_regions": ["cervical"], "dx.lmn_regions": ["cervical"]}),
                ),
                purpose: Purpose::Subsidy,
                outcome: undeterminable(&["dx.familial_gene"]),
                errors: &[],
            },
            Case {
                name: "consistency: onset after diagnosis, and a region that does not exist",
                items: merge(
                    &meets,
                    json!({"basic.onset_ym": "2024-01", "dx.umn_regions": ["sacral"]}),
                ),
                purpose: Purpose::Subsidy,
                // Both branches of ③ now depend on something not known.
                outcome: undeterminable(&["dx.familial_gene", "dx.umn_regions"]),
                errors: &["invalid_type", "onset_after_diagnosis"],
            },
        ],
    );
}
