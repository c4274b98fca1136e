//! A disease's clinical form as the master defines it for one form version: the items (臨個票 /
//! 医療意見書 の項目) and the judgment rules, with the published source of its criteria. The
//! registry ships a master of real diseases (`masters/` in the repository); operators publish
//! further versions as data.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::judgment::{
    judge, Condition, ItemDef, ItemKind, Judgment, JudgmentRules, Purpose, Requirement,
};
use crate::program::Program;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiseaseForm {
    pub program: Program,
    /// 告示番号 for 難病 ("6"); for 小慢 the disease group and number ("11-8").
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    /// 小慢 disease group (疾患群), e.g. "内分泌疾患".
    pub disease_group: Option<String>,
    /// The form version, e.g. "2024-04-01" (令和6年4月1日改訂版).
    pub form_version: String,
    /// Where the criteria come from.
    pub sources: Vec<String>,
    pub items: Vec<ItemDef>,
    pub rules: JudgmentRules,
    /// The reading (katakana), for search; generated for the shipped catalogue, unverified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_kana: Option<String>,
    /// Other names the disease is found by (a former name, names listed under its number).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The first day (`YYYY-MM-DD`) a new form may use this entry; `None`: from the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_from: Option<String>,
    /// The shared layout (its form version) the items were composed with, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<String>,
    /// Criteria that are a clinician's judgment no item can carry: the doctor attests them,
    /// the machine does not decide them (shown with the judgment).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clinical_judgment: Vec<String>,
}

impl DiseaseForm {
    /// Checks that the master is coherent: item ids unique, every rule reads and writes
    /// defined items, enum values compared against exist. A master that fails is never
    /// published.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        let mut ids = BTreeSet::new();
        for item in &self.items {
            if !ids.insert(item.id.as_str()) {
                problems.push(format!("item {} is defined twice", item.id));
            }
            if let ItemKind::Enum { options } | ItemKind::MultiChoice { options } = &item.kind {
                if options.is_empty() {
                    problems.push(format!("item {} has no choices", item.id));
                }
            }
            if let Some(u) = &item.usual {
                let numeric = matches!(
                    item.kind,
                    ItemKind::Integer { .. } | ItemKind::Decimal { .. }
                );
                let ordered = match (u.min, u.max) {
                    (Some(lo), Some(hi)) => lo <= hi,
                    (None, None) => false,
                    _ => true,
                };
                if !numeric || !ordered {
                    problems.push(format!(
                        "item {}: a usual range is one or two ordered bounds of a number item",
                        item.id
                    ));
                }
            }
        }
        let mut conditions: Vec<(&str, &Condition)> = Vec::new();
        if let Some(d) = &self.rules.diagnosis {
            conditions.push(("diagnosis", d));
        }
        if self.rules.diagnosis.is_none() && self.rules.severity.is_some() {
            problems.push("a severity rule without a diagnosis rule".into());
        }
        if let Some(day) = &self.effective_from {
            if !crate::judgment::valid_date(day) {
                problems.push(format!("effective_from {day} is not a date"));
            }
        }
        if let Some(s) = &self.rules.severity {
            conditions.push(("severity", s));
        }
        for t in &self.rules.transitional {
            if !crate::judgment::valid_date(&t.valid_until) {
                problems.push(format!("transitional {} has no valid end date", t.name));
            }
            conditions.push(("transitional", &t.diagnosis));
            if let Some(s) = &t.severity {
                conditions.push(("transitional", s));
            }
        }
        for r in &self.rules.consistency {
            conditions.push((r.id.as_str(), &r.require));
            if let Some(w) = &r.when {
                conditions.push((r.id.as_str(), w));
            }
            if !ids.contains(r.item.as_str()) {
                problems.push(format!("rule {} points at unknown item {}", r.id, r.item));
            }
        }
        for d in &self.rules.derived {
            if !ids.contains(d.target.as_str()) {
                problems.push(format!("derivation writes unknown item {}", d.target));
            }
            for c in &d.cases {
                conditions.push(("derivation", &c.when));
                if let Some(def) = self.item(&d.target) {
                    if crate::judgment::check_value(def, &c.value).is_err() {
                        problems.push(format!("derivation gives {} an invalid value", d.target));
                    }
                }
            }
        }
        for item in &self.items {
            if let Requirement::RequiredWhen { when } = &item.required {
                conditions.push(("required_when", when));
            }
        }
        for (name, c) in conditions {
            let mut read = BTreeSet::new();
            c.items(&mut read);
            for id in read.iter().filter(|id| !ids.contains(id.as_str())) {
                problems.push(format!("{name} reads unknown item {id}"));
            }
            check_compared_values(self, c, name, &mut problems);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Whether the form asks for `item` given what it holds: always for an item that is
    /// required or optional, for a required-when item once its condition holds — and for any
    /// item that already has a value, so nothing entered is ever hidden.
    pub fn asks_for(&self, item: &ItemDef, values: &BTreeMap<String, Value>) -> bool {
        if values.get(&item.id).is_some_and(|v| !v.is_null()) {
            return true;
        }
        match &item.required {
            Requirement::RequiredWhen { when } => {
                matches!(when.eval(values), crate::judgment::Truth::True)
            }
            _ => true,
        }
    }

    pub fn item(&self, id: &str) -> Option<&ItemDef> {
        self.items.iter().find(|i| i.id == id)
    }

    pub fn judge(&self, entered: &BTreeMap<String, Value>, purpose: Purpose) -> Judgment {
        judge(&self.items, &self.rules, entered, purpose)
    }

    /// The judgment on a given day: transitional criteria apply up to their end date.
    pub fn judge_on(
        &self,
        entered: &BTreeMap<String, Value>,
        purpose: Purpose,
        on: Option<&str>,
    ) -> Judgment {
        crate::judgment::judge_on(&self.items, &self.rules, entered, purpose, on)
    }
}

/// An equality test against a value the item can never take is a typo in the master.
fn check_compared_values(
    form: &DiseaseForm,
    c: &Condition,
    name: &str,
    problems: &mut Vec<String>,
) {
    match c {
        Condition::All { of } | Condition::Any { of } | Condition::AtLeast { of, .. } => of
            .iter()
            .for_each(|c| check_compared_values(form, c, name, problems)),
        Condition::Not { cond } => check_compared_values(form, cond, name, problems),
        Condition::Eq { item, value } => check_one(form, item, value, name, problems),
        Condition::In { item, values } => values
            .iter()
            .for_each(|v| check_one(form, item, v, name, problems)),
        Condition::Ge { item, .. } | Condition::Le { item, .. } => {
            let numeric = form.item(item).is_some_and(|d| {
                matches!(
                    d.kind,
                    ItemKind::Integer { .. } | ItemKind::Decimal { .. } | ItemKind::Enum { .. }
                )
            });
            if !numeric && form.item(item).is_some() {
                problems.push(format!(
                    "{name} compares {item} as a number, but it is not numeric"
                ));
            }
        }
        Condition::NotAfter { item, other } => {
            for i in [item, other] {
                let dated = form
                    .item(i)
                    .is_some_and(|d| matches!(d.kind, ItemKind::Date | ItemKind::YearMonth));
                if !dated && form.item(i).is_some() {
                    problems.push(format!("{name} orders {i} as a date, but it is not one"));
                }
            }
        }
        Condition::Includes { item, code } => {
            if let Some(ItemKind::MultiChoice { options }) = form.item(item).map(|d| &d.kind) {
                if !options.iter().any(|o| &o.code == code) {
                    problems.push(format!("{name} tests {item} for unknown choice {code}"));
                }
            }
        }
        _ => {}
    }
}

fn check_one(
    form: &DiseaseForm,
    item: &str,
    value: &Value,
    name: &str,
    problems: &mut Vec<String>,
) {
    if let Some(def) = form.item(item) {
        if crate::judgment::check_value(def, value).is_err() {
            problems.push(format!(
                "{name} compares {item} with a value it cannot take: {value}"
            ));
        }
    }
}

/// The diseases of the first shipped edition (every 指定難病 and 小慢 of 2024-04, for the
/// 2024-04-01 form version), composed from `masters/` (see [`crate::catalogue`]).
pub fn shipped() -> Vec<DiseaseForm> {
    crate::catalogue::shipped_editions()
        .into_iter()
        .next()
        .map(|e| e.diseases)
        .unwrap_or_default()
}

impl DiseaseForm {
    /// Whether the machine judges this disease (it has encoded diagnostic criteria).
    pub fn has_rules(&self) -> bool {
        self.rules.diagnosis.is_some()
    }
}
