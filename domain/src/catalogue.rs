//! The shipped catalogue: how a disease master is composed. One layout per form version (the
//! sections and items every 臨床調査個人票 / 医療意見書 shares, with their consistency rules),
//! one catalogue per program listing every disease (名称, 読み, 疾患群), and a file of its own
//! for a disease whose items and judgment rules are encoded. A disease is the layout's items
//! followed by its own; one without a file of its own is judged by the municipality.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::disease::DiseaseForm;
use crate::judgment::{ConsistencyRule, ItemDef, JudgmentRules};
use crate::program::Program;

/// The layout shared by every disease of a form version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormLayout {
    pub form_version: String,
    pub sources: Vec<String>,
    /// The sections in the order of the paper form; `patient` and `institution` are carried by
    /// the form's patient block and institution code, not by items.
    pub sections: Vec<LayoutSection>,
    pub items: Vec<ItemDef>,
    pub consistency: Vec<ConsistencyRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayoutSection {
    pub section: String,
    pub label_ja: String,
    #[serde(default)]
    pub items_from: Option<String>,
}

/// Every disease of one program in one edition of the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalogue {
    pub program: Program,
    pub form_version: String,
    /// The day the edition's changes take effect; `None` for the first edition.
    #[serde(default)]
    pub effective_from: Option<String>,
    pub sources: Vec<String>,
    pub entries: Vec<CatalogueEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogueEntry {
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    #[serde(default)]
    pub name_kana: Option<String>,
    #[serde(default)]
    pub disease_group: Option<String>,
    #[serde(default)]
    pub effective_from: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// What could not be verified about the code (小慢 numbers shifted after 2020).
    #[serde(default)]
    pub code_note: Option<String>,
}

/// One edition of the shipped master: the diseases it adds or changes, in force from
/// `effective_from` (the first edition: always).
#[derive(Debug, Clone, PartialEq)]
pub struct Edition {
    /// The directory under `masters/`, e.g. "2024-04-01".
    pub name: String,
    pub effective_from: Option<String>,
    pub diseases: Vec<DiseaseForm>,
}

/// A disease's own file: its items (beyond the layout's) and rules. The same shape as a
/// published disease form.
pub type OwnForm = DiseaseForm;

/// Composes one disease: the layout's items and consistency rules, then the disease's own.
/// Without an own form the disease has no judgment rules: the municipality judges it.
pub fn compose(
    layout: &FormLayout,
    catalogue: &Catalogue,
    entry: &CatalogueEntry,
    own: Option<&OwnForm>,
) -> DiseaseForm {
    let effective_from = entry
        .effective_from
        .clone()
        .or_else(|| catalogue.effective_from.clone());
    let mut d = match own {
        Some(own) => own.clone(),
        None => DiseaseForm {
            program: catalogue.program,
            code: entry.code.clone(),
            name_ja: entry.name_ja.clone(),
            name_en: entry.name_en.clone(),
            disease_group: entry.disease_group.clone(),
            form_version: catalogue.form_version.clone(),
            sources: catalogue.sources.clone(),
            items: Vec::new(),
            rules: JudgmentRules {
                consistency: Vec::new(),
                derived: Vec::new(),
                diagnosis: None,
                severity: None,
                transitional: Vec::new(),
            },
            name_kana: None,
            aliases: Vec::new(),
            effective_from: None,
            layout: None,
            clinical_judgment: Vec::new(),
        },
    };
    // The catalogue names the disease unless its own file says more (小慢 5-46 names the
    // 器質性 form the 2020 list does not).
    if d.disease_group.is_none() {
        d.disease_group = entry.disease_group.clone();
    }
    d.name_kana = d.name_kana.or_else(|| entry.name_kana.clone());
    for a in &entry.aliases {
        if !d.aliases.contains(a) && *a != d.name_ja {
            d.aliases.push(a.clone());
        }
    }
    if entry.name_ja != d.name_ja && !d.aliases.contains(&entry.name_ja) {
        d.aliases.push(entry.name_ja.clone());
    }
    d.effective_from = effective_from;
    d.layout = Some(layout.form_version.clone());
    let mut items = layout.items.clone();
    items.append(&mut d.items);
    d.items = items;
    let mut consistency = layout.consistency.clone();
    consistency.append(&mut d.rules.consistency);
    d.rules.consistency = consistency;
    d
}

/// The files of `masters/`, by path relative to it (embedded by build.rs).
fn files() -> &'static [(&'static str, &'static str)] {
    include!(concat!(env!("OUT_DIR"), "/shipped_masters.rs"))
}

fn parse<T: serde::de::DeserializeOwned>(path: &str, text: &str) -> T {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("masters/{path} is valid (tested): {e}"))
}

/// The layout of form version `form_version` (`masters/<form version>/layout.json`).
pub fn layout(form_version: &str) -> Option<FormLayout> {
    let path = format!("{form_version}/layout.json");
    files()
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(p, t)| parse(p, t))
}

/// Every shipped edition, oldest first: `masters/<edition>/<program>/catalogue.json` with the
/// disease files beside it, each disease composed with the layout of its form version.
pub fn shipped_editions() -> Vec<Edition> {
    let mut editions: BTreeMap<&str, Vec<Catalogue>> = BTreeMap::new();
    let mut own: BTreeMap<(String, Program, String), OwnForm> = BTreeMap::new();
    for (path, text) in files() {
        let parts: Vec<&str> = path.split('/').collect();
        match parts.as_slice() {
            [edition, _, "catalogue.json"] => {
                editions.entry(edition).or_default().push(parse(path, text))
            }
            [edition, _, _] => {
                let d: OwnForm = parse(path, text);
                own.insert(((*edition).to_owned(), d.program, d.code.clone()), d);
            }
            _ => {}
        }
    }
    let mut layouts: BTreeMap<String, FormLayout> = BTreeMap::new();
    let mut out = Vec::new();
    for (edition, catalogues) in editions {
        let mut diseases = Vec::new();
        let mut effective_from = None;
        for c in &catalogues {
            effective_from = effective_from.or_else(|| c.effective_from.clone());
            let layout = layouts
                .entry(c.form_version.clone())
                .or_insert_with(|| {
                    layout(&c.form_version).unwrap_or_else(|| {
                        panic!("masters/{}/layout.json is shipped", c.form_version)
                    })
                })
                .clone();
            for e in &c.entries {
                let mine = own.get(&(edition.to_owned(), c.program, e.code.clone()));
                diseases.push(compose(&layout, c, e, mine));
            }
        }
        out.push(Edition {
            name: edition.to_owned(),
            effective_from,
            diseases,
        });
    }
    out
}

/// Disease files that no catalogue lists (a typo in a code): none may exist (tested).
pub fn unlisted_disease_files() -> Vec<String> {
    let listed: Vec<(String, String)> = files()
        .iter()
        .filter(|(p, _)| p.ends_with("/catalogue.json"))
        .flat_map(|(p, t)| {
            let c: Catalogue = parse(p, t);
            let edition = p.split('/').next().unwrap_or_default().to_owned();
            c.entries
                .into_iter()
                .map(move |e| (edition.clone(), format!("{}:{}", c.program, e.code)))
        })
        .collect();
    files()
        .iter()
        .filter(|(p, _)| p.split('/').count() == 3 && !p.ends_with("/catalogue.json"))
        .filter(|(p, t)| {
            let d: OwnForm = parse(p, t);
            let edition = p.split('/').next().unwrap_or_default();
            !listed
                .iter()
                .any(|(e, k)| e == edition && *k == format!("{}:{}", d.program, d.code))
        })
        .map(|(p, _)| (*p).to_owned())
        .collect()
}

/// 患者数 per 指定難病 (告示番号 → patients), from the 2020-03 documents: a weight for the
/// coverage report, not a statistic.
pub fn estimated_patients() -> BTreeMap<String, u64> {
    #[derive(Deserialize)]
    struct Weights {
        patients: BTreeMap<String, u64>,
    }
    let (p, t) = files()
        .iter()
        .find(|(p, _)| *p == "weights/nanbyo-estimated-patients-2020-03.json")
        .expect("the weights are shipped");
    parse::<Weights>(p, t).patients
}

/// One line of the coverage report: what one program's diseases in force from one edition
/// have encoded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    pub program: Program,
    /// The edition's directory name (the day it takes effect).
    pub edition: String,
    pub present: usize,
    pub with_diagnosis_rules: usize,
    pub with_severity_rules: usize,
    /// Share of the estimated patients (指定難病 only) whose disease has diagnosis rules.
    pub patients_covered: Option<f64>,
    /// 小慢: the 疾患群 with at least one disease with rules, of all groups present.
    pub groups_with_rules: Option<(usize, usize)>,
}

/// The diseases in force once editions `..=upto` have taken effect: each code at its latest.
pub fn in_force_after(editions: &[Edition], upto: usize) -> Vec<&DiseaseForm> {
    let mut out: Vec<&DiseaseForm> = Vec::new();
    let mut at: std::collections::HashMap<(Program, &str), usize> = Default::default();
    for e in editions.iter().take(upto + 1) {
        for d in &e.diseases {
            match at.get(&(d.program, d.code.as_str())) {
                Some(&i) => out[i] = d,
                None => {
                    at.insert((d.program, d.code.as_str()), out.len());
                    out.push(d);
                }
            }
        }
    }
    out
}

/// The coverage of every program at every shipped edition.
pub fn coverage(editions: &[Edition]) -> Vec<Coverage> {
    let weights = estimated_patients();
    let total: u64 = weights.values().sum();
    let mut out = Vec::new();
    for (i, e) in editions.iter().enumerate() {
        let diseases = in_force_after(editions, i);
        for program in [Program::Nanbyo, Program::Shoman] {
            // An edition that changes nothing of a program has no line for it.
            if !e.diseases.iter().any(|d| d.program == program) {
                continue;
            }
            let of: Vec<&&DiseaseForm> = diseases.iter().filter(|d| d.program == program).collect();
            let covered: u64 = of
                .iter()
                .filter(|d| d.has_rules())
                .filter_map(|d| weights.get(&d.code))
                .sum();
            let groups = |pred: &dyn Fn(&DiseaseForm) -> bool| {
                of.iter()
                    .filter(|d| pred(d))
                    .filter_map(|d| d.code.split('-').next())
                    .collect::<std::collections::BTreeSet<_>>()
                    .len()
            };
            out.push(Coverage {
                program,
                edition: e.name.clone(),
                present: of.len(),
                with_diagnosis_rules: of.iter().filter(|d| d.has_rules()).count(),
                with_severity_rules: of.iter().filter(|d| d.rules.severity.is_some()).count(),
                patients_covered: (program == Program::Nanbyo && total > 0)
                    .then(|| covered as f64 / total as f64),
                groups_with_rules: (program == Program::Shoman)
                    .then(|| (groups(&|d| d.has_rules()), groups(&|_| true))),
            });
        }
    }
    out
}

/// The coverage report as the Markdown table `nanbyo masters coverage` prints and
/// docs/masters.md carries.
pub fn coverage_table(rows: &[Coverage]) -> String {
    let mut s = String::from(
        "| program | in force from | diseases present | with diagnosis rules | with severity rules | estimated patients covered | 疾患群 with rules |\n|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let share = r
            .patients_covered
            .map(|x| format!("{:.1} %", x * 100.0))
            .unwrap_or_else(|| "—".into());
        let groups = r
            .groups_with_rules
            .map(|(a, b)| format!("{a} of {b}"))
            .unwrap_or_else(|| "—".into());
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {share} | {groups} |\n",
            match r.program {
                Program::Nanbyo => "指定難病",
                Program::Shoman => "小慢",
            },
            r.edition,
            r.present,
            r.with_diagnosis_rules,
            r.with_severity_rules,
        ));
    }
    s
}
