//! The table harness for the shipped diseases: one row per case, each asserting the 一次判定
//! outcome and the codes of the errors, in order.
#![allow(dead_code)]

use std::collections::BTreeMap;

use domain::disease::{shipped, DiseaseForm};
use domain::judgment::{Outcome, Purpose};
use domain::Program;
use serde_json::Value;

pub fn form(program: Program, code: &str) -> DiseaseForm {
    shipped()
        .into_iter()
        .find(|d| d.program == program && d.code == code)
        .unwrap_or_else(|| panic!("{program} {code} is shipped"))
}

pub fn entered(v: Value) -> BTreeMap<String, Value> {
    serde_json::from_value(v).expect("an object")
}

/// `base` with the keys of `change` replaced (a `null` clears an item).
pub fn merge(base: &Value, change: Value) -> BTreeMap<String, Value> {
    let mut m = entered(base.clone());
    m.extend(entered(change));
    m
}

pub struct Case {
    pub name: &'static str,
    pub items: BTreeMap<String, Value>,
    pub purpose: Purpose,
    pub outcome: Outcome,
    pub errors: &'static [&'static str],
}

pub fn run(form: &DiseaseForm, cases: Vec<Case>) {
    assert_eq!(form.validate(), Ok(()));
    for c in cases {
        let j = form.judge(&c.items, c.purpose);
        assert_eq!(
            j.outcome, c.outcome,
            "{} {}: {:?}",
            form.code, c.name, j.errors
        );
        let codes: Vec<&str> = j.errors.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, c.errors, "{} {}", form.code, c.name);
    }
}

pub fn undeterminable(missing: &[&str]) -> Outcome {
    Outcome::Undeterminable {
        missing: missing.iter().map(|m| (*m).to_owned()).collect(),
    }
}
