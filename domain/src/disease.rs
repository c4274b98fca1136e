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
        }
        let mut conditions: Vec<(&str, &Condition)> = vec![("diagnosis", &self.rules.diagnosis)];
        if let Some(s) = &self.rules.severity {
            conditions.push(("severity", s));
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

    pub fn item(&self, id: &str) -> Option<&ItemDef> {
        self.items.iter().find(|i| i.id == id)
    }

    pub fn judge(&self, entered: &BTreeMap<String, Value>, purpose: Purpose) -> Judgment {
        judge(&self.items, &self.rules, entered, purpose)
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

/// The diseases shipped with the registry, for the 2024-04-01 form version.
pub fn shipped() -> Vec<DiseaseForm> {
    const FILES: &[&str] = &[
        include_str!("../../masters/2024-04-01/nanbyo/002-als.json"),
        include_str!("../../masters/2024-04-01/nanbyo/006-parkinson.json"),
    ];
    FILES
        .iter()
        .map(|f| serde_json::from_str(f).expect("shipped masters are valid JSON (tested)"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judgment::Outcome;
    use serde_json::json;

    fn form(code: &str) -> DiseaseForm {
        shipped()
            .into_iter()
            .find(|d| d.program == Program::Nanbyo && d.code == code)
            .expect("shipped disease")
    }

    fn entered(v: Value) -> BTreeMap<String, Value> {
        serde_json::from_value(v).expect("an object")
    }

    fn merge(base: &Value, change: Value) -> BTreeMap<String, Value> {
        let mut m = entered(base.clone());
        m.extend(entered(change));
        m
    }

    struct Case {
        name: &'static str,
        items: BTreeMap<String, Value>,
        purpose: Purpose,
        outcome: Outcome,
        errors: &'static [&'static str],
    }

    fn run(code: &str, cases: Vec<Case>) {
        let form = form(code);
        for c in cases {
            let j = form.judge(&c.items, c.purpose);
            assert_eq!(j.outcome, c.outcome, "{code} {}: {:?}", c.name, j.errors);
            let codes: Vec<&str> = j.errors.iter().map(|e| e.code.as_str()).collect();
            assert_eq!(codes, c.errors, "{code} {}", c.name);
        }
    }

    fn undeterminable(missing: &[&str]) -> Outcome {
        Outcome::Undeterminable {
            missing: missing.iter().map(|m| (*m).to_owned()).collect(),
        }
    }

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
        let mut d = form("6");
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

    /// パーキンソン病 (6). Diagnosis: all four items of the 診断基準. Severity: Hoehn-Yahr 3度以上
    /// かつ 生活機能障害度 2度以上 (厚生労働省 指定難病 6 重症度分類).
    #[test]
    fn parkinson_6() {
        let meets = json!({
            "basic.onset_ym": "2019-06", "basic.diagnosis_ym": "2020-02",
            "dx.parkinsonism": true, "dx.imaging_no_cause": true,
            "dx.no_drug_toxin_exposure": true, "dx.antiparkinson_response": true,
            "sev.hoehn_yahr": "3", "sev.daily_life_disability": "2"
        });
        run(
            "6",
            vec![
                Case {
                    name: "meets: stage 3, disability 2",
                    items: entered(meets.clone()),
                    purpose: Purpose::Subsidy,
                    outcome: Outcome::Meets,
                    errors: &[],
                },
                Case {
                    name: "does not meet severity: stage 2",
                    items: merge(&meets, json!({"sev.hoehn_yahr": "2"})),
                    purpose: Purpose::Subsidy,
                    outcome: Outcome::DoesNotMeet,
                    errors: &[],
                },
                Case {
                    name: "does not meet severity: disability 1",
                    items: merge(&meets, json!({"sev.daily_life_disability": "1"})),
                    purpose: Purpose::Subsidy,
                    outcome: Outcome::DoesNotMeet,
                    errors: &[],
                },
                Case {
                    name: "certificate only: diagnosis suffices",
                    items: merge(&meets, json!({"sev.hoehn_yahr": "1"})),
                    purpose: Purpose::RegistrantCertificateOnly,
                    outcome: Outcome::Meets,
                    errors: &[],
                },
                Case {
                    name: "does not meet diagnosis: drug exposure",
                    items: merge(&meets, json!({"dx.no_drug_toxin_exposure": false})),
                    purpose: Purpose::Subsidy,
                    outcome: Outcome::DoesNotMeet,
                    errors: &[],
                },
                Case {
                    name: "undeterminable: treatment response not entered",
                    items: merge(&meets, json!({"dx.antiparkinson_response": null})),
                    purpose: Purpose::Subsidy,
                    outcome: undeterminable(&["dx.antiparkinson_response"]),
                    errors: &["required"],
                },
                Case {
                    name: "consistency: onset after diagnosis",
                    items: merge(&meets, json!({"basic.onset_ym": "2021-01"})),
                    purpose: Purpose::Subsidy,
                    outcome: Outcome::Meets,
                    errors: &["onset_after_diagnosis"],
                },
                Case {
                    name: "consistency: parkinsonism with stage 0",
                    items: merge(&meets, json!({"sev.hoehn_yahr": "0"})),
                    purpose: Purpose::Subsidy,
                    outcome: Outcome::DoesNotMeet,
                    errors: &["parkinsonism_with_stage_0"],
                },
                Case {
                    name: "type: stage not a choice",
                    items: merge(&meets, json!({"sev.hoehn_yahr": "6"})),
                    purpose: Purpose::Subsidy,
                    outcome: undeterminable(&["sev.hoehn_yahr"]),
                    errors: &["invalid_type"],
                },
            ],
        );
        let j = form("6").judge(&entered(meets), Purpose::Subsidy);
        assert_eq!(
            j.filled.get("sev.meets_severity"),
            Some(&json!(true)),
            "severity auto-filled"
        );
    }

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
            "2",
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
}
