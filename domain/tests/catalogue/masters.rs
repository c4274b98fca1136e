//! Every shipped master is coherent, sourced, and covered by a table test; the master check
//! finds the mistakes an operator could make in a new version.

use crate::common::form;
use domain::disease::shipped;
use domain::judgment::Condition;
use domain::Program;
use serde_json::json;

#[test]
fn every_shipped_master_is_coherent_and_sourced() {
    let all = shipped();
    assert!(all.len() >= 2);
    for d in &all {
        assert_eq!(d.validate(), Ok(()), "{} {}", d.code, d.name_ja);
        assert!(!d.sources.is_empty(), "{} has its source noted", d.code);
    }
}

#[test]
fn validation_finds_rules_that_read_unknown_items_or_impossible_values() {
    let mut d = form(Program::Nanbyo, "6");
    d.rules.severity = Some(Condition::Ge {
        item: "sev.hoehn_yahr_typo".into(),
        value: 3.0,
    });
    d.rules.diagnosis = Some(Condition::Eq {
        item: "sev.hoehn_yahr".into(),
        value: json!("6"),
    });
    let problems = d.validate().unwrap_err();
    assert!(
        problems.iter().any(|p| p.contains("sev.hoehn_yahr_typo")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("cannot take")),
        "{problems:?}"
    );
}

/// Each shipped disease with encoded criteria has its own table test module in this binary,
/// `tests/catalogue/<program>_<code>_<name>.rs` (難病 codes as three digits, 小慢 codes with `_`
/// for `-`).
#[test]
fn every_shipped_disease_with_rules_has_a_table_test() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/catalogue");
    let files: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    for d in shipped().into_iter().filter(|d| d.has_rules()) {
        let code = match d.program {
            Program::Nanbyo => format!("{:0>3}", d.code),
            Program::Shoman => d.code.replace('-', "_"),
        };
        let prefix = format!("{}_{}_", d.program, code);
        assert!(
            files
                .iter()
                .any(|f| f.starts_with(&prefix) && f.ends_with(".rs")),
            "{} {} has no table test (tests/{prefix}*.rs)",
            d.code,
            d.name_ja
        );
    }
}

/// SPEC: during FY2024 a form failing the revised criteria but meeting the old ones was
/// certified. Transitional criteria apply up to their end date, and the judgment says so.
#[test]
fn transitional_criteria_apply_until_their_end_date() {
    use domain::judgment::{Criterion, Outcome, Purpose, Transitional};
    let mut d = form(Program::Nanbyo, "6");
    d.rules.transitional.push(Transitional {
        name: "改訂前の重症度基準（経過措置）".into(),
        valid_until: "2025-03-31".into(),
        diagnosis: d.rules.diagnosis.clone().expect("6 has encoded criteria"),
        severity: Some(Condition::All {
            of: vec![
                Condition::Ge {
                    item: "sev.hoehn_yahr".into(),
                    value: 2.0,
                },
                Condition::Ge {
                    item: "sev.daily_life_disability".into(),
                    value: 2.0,
                },
            ],
        }),
    });
    assert_eq!(d.validate(), Ok(()));
    let items = crate::common::entered(json!({
        "basic.onset_ym": "2019-06", "basic.diagnosis_ym": "2020-02",
        "dx.parkinsonism": true, "dx.imaging_no_cause": true,
        "dx.no_drug_toxin_exposure": true, "dx.antiparkinson_response": true,
        "sev.hoehn_yahr": "2", "sev.daily_life_disability": "2"
    }));
    let last_day = d.judge_on(&items, Purpose::Subsidy, Some("2025-03-31"));
    assert_eq!(last_day.outcome, Outcome::Meets);
    assert_eq!(
        (last_day.diagnosis, last_day.severity),
        (Criterion::Met, Criterion::NotMet)
    );
    assert_eq!(
        last_day.transitional.as_deref(),
        Some("改訂前の重症度基準（経過措置）")
    );
    let after = d.judge_on(&items, Purpose::Subsidy, Some("2025-04-01"));
    assert_eq!(
        (after.outcome, after.transitional),
        (Outcome::DoesNotMeet, None)
    );
    assert_eq!(
        d.judge(&items, Purpose::Subsidy).outcome,
        Outcome::DoesNotMeet
    );
    assert_eq!(last_day.judged_on.as_deref(), Some("2025-03-31"));
    // A form that lacks items stays undeterminable, even where the old criteria (here: stage
    // 2 or more, whatever the disability) would hold: only failing forms are rescued.
    d.rules.transitional[0].severity = Some(Condition::Ge {
        item: "sev.hoehn_yahr".into(),
        value: 2.0,
    });
    let mut incomplete = items.clone();
    incomplete.insert("sev.hoehn_yahr".into(), json!("3"));
    incomplete.remove("sev.daily_life_disability");
    let j = d.judge_on(&incomplete, Purpose::Subsidy, Some("2025-03-31"));
    assert!(
        matches!(j.outcome, Outcome::Undeterminable { .. }),
        "{:?}",
        j.outcome
    );
    assert_eq!(j.transitional, None);

    d.rules.transitional[0].valid_until = "2025-02-30".into();
    assert!(d
        .validate()
        .unwrap_err()
        .iter()
        .any(|p| p.contains("end date")));
}
