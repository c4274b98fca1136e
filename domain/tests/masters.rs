//! Every shipped master is coherent, sourced, and covered by a table test; the master check
//! finds the mistakes an operator could make in a new version.

mod common;

use common::form;
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
    d.rules.diagnosis = Condition::Eq {
        item: "sev.hoehn_yahr".into(),
        value: json!("6"),
    };
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

/// Each shipped disease has its own table test file, `tests/<program>_<code>_<name>.rs` (難病
/// codes as three digits, 小慢 codes with `_` for `-`).
#[test]
fn every_shipped_disease_has_a_table_test() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let files: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    for d in shipped() {
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
