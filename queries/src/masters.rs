//! The disease list a doctor picks from: the program's diseases a form may be started for
//! today, found by name, kana reading, alias, number or group — a type-ahead over the whole
//! catalogue (1,100+ entries), answered from an index built once per master version and day.

use std::sync::Arc;

use commands::forms::MasterCache;
use commands::problem::Problem;
use domain::master::DiseaseMaster;
use domain::text::search_key;
use domain::Program;
use eventstore::EventStore;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct DiseaseEntry {
    pub program: Program,
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    pub name_kana: Option<String>,
    pub disease_group: Option<String>,
    pub form_version: String,
    pub master_version: String,
    /// Whether the machine judges the disease (its criteria are encoded).
    pub rules: bool,
}

/// One indexed disease: its entry and its search keys.
struct Indexed {
    entry: DiseaseEntry,
    /// The name's key, for prefix matches (ranked first).
    name: String,
    kana: String,
    /// Name, kana, aliases, English name and group, each as a search key, joined by a
    /// separator no key contains.
    haystack: String,
    /// 小慢: the 疾患群 number.
    group_number: Option<String>,
}

/// The diseases of every program in force on one day, in catalogue order.
pub struct DiseaseIndex {
    entries: Vec<Indexed>,
}

impl DiseaseIndex {
    pub fn build(master: &DiseaseMaster, day: &str) -> Self {
        let mut entries: Vec<Indexed> = master
            .in_force_on(day)
            .into_iter()
            .map(|(v, d)| {
                let mut keys = vec![search_key(&d.name_ja)];
                keys.extend(d.name_kana.as_deref().map(search_key));
                keys.extend(d.aliases.iter().map(|a| search_key(a)));
                keys.push(search_key(&d.name_en));
                keys.extend(d.disease_group.as_deref().map(search_key));
                Indexed {
                    name: search_key(&d.name_ja),
                    kana: d.name_kana.as_deref().map(search_key).unwrap_or_default(),
                    haystack: keys.join("\u{1}"),
                    group_number: (d.program == Program::Shoman)
                        .then(|| d.code.split('-').next().unwrap_or_default().to_owned()),
                    entry: DiseaseEntry {
                        program: d.program,
                        code: d.code.clone(),
                        name_ja: d.name_ja.clone(),
                        name_en: d.name_en.clone(),
                        name_kana: d.name_kana.clone(),
                        disease_group: d.disease_group.clone(),
                        form_version: d.form_version.clone(),
                        master_version: v.to_owned(),
                        rules: d.has_rules(),
                    },
                }
            })
            .collect();
        entries.sort_by_key(|e| (e.entry.program, catalogue_order(&e.entry.code)));
        DiseaseIndex { entries }
    }

    /// The diseases of `program` matching `q`, best first: the exact number, then names and
    /// readings that start with the query, then the others that contain it (name, reading,
    /// alias, English name, group), each in catalogue order; at most `limit`.
    pub fn search(&self, program: Program, q: Option<&str>, limit: usize) -> Vec<DiseaseEntry> {
        let of = self.entries.iter().filter(|e| e.entry.program == program);
        let q = q.map(search_key).filter(|q| !q.is_empty());
        let Some(q) = q else {
            return of.take(limit).map(|e| e.entry.clone()).collect();
        };
        let code = domain::text::normalize_code(&q);
        let mut ranked: Vec<(u8, &Indexed)> = of
            .filter_map(|e| {
                let rank = if e.entry.code == code {
                    0
                } else if e.group_number.as_deref() == Some(code.as_str())
                    || e.entry.code.starts_with(&format!("{code}-"))
                {
                    1
                } else if e.name.starts_with(&q) || e.kana.starts_with(&q) {
                    2
                } else if e.haystack.contains(&q) {
                    3
                } else {
                    return None;
                };
                Some((rank, e))
            })
            .collect();
        // Stable: catalogue order within a rank.
        ranked.sort_by_key(|(rank, _)| *rank);
        ranked
            .into_iter()
            .take(limit)
            .map(|(_, e)| e.entry.clone())
            .collect()
    }
}

/// The diseases of `program` a form may be started for today whose number, name, reading,
/// alias or group matches `q` (all of them without `q`), best first, at most `limit`.
pub async fn diseases(
    store: &Arc<dyn EventStore>,
    masters: &MasterCache,
    program: Program,
    q: Option<&str>,
    limit: usize,
) -> Result<Vec<DiseaseEntry>, Problem> {
    let today = commands::forms::today_in_japan();
    let index = masters
        .derived(store, &today, |m| DiseaseIndex::build(m, &today))
        .await?;
    Ok(index.search(program, q, limit))
}

/// 告示番号 in numeric order: "6" before "11", "2-24" after "2-3".
fn catalogue_order(code: &str) -> Vec<u32> {
    code.split('-')
        .map(|p| p.parse().unwrap_or(u32::MAX))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::master::MasterEvent;
    use domain::Aggregate;

    fn index() -> DiseaseIndex {
        let master = DiseaseMaster::default().apply(&MasterEvent::MasterVersionPublished {
            version: "v1".into(),
            diseases: domain::disease::shipped(),
        });
        DiseaseIndex::build(&master, "2024-06-01")
    }

    fn codes(found: &[DiseaseEntry]) -> Vec<&str> {
        found.iter().map(|e| e.code.as_str()).collect()
    }

    #[test]
    fn diseases_are_found_by_number_name_kana_alias_and_group() {
        let index = index();
        let n = Program::Nanbyo;
        assert_eq!(
            codes(&index.search(n, Some("97"), 1)),
            ["97"],
            "number first"
        );
        assert_eq!(
            codes(&index.search(n, Some("９７"), 1)),
            ["97"],
            "full-width number"
        );
        assert_eq!(codes(&index.search(n, Some("潰瘍性大腸炎"), 5)), ["97"]);
        assert!(
            codes(&index.search(n, Some("かいようせい"), 5)).contains(&"97"),
            "hiragana reading"
        );
        assert_eq!(
            codes(&index.search(n, Some("ＩｇＡ腎症"), 5)),
            ["66"],
            "widths"
        );
        assert_eq!(
            codes(&index.search(n, Some("iga 腎症"), 5)),
            ["66"],
            "case and spaces"
        );
        let s = Program::Shoman;
        // A number alone is a 疾患群 for 小慢: the group's diseases first, then names with a 2.
        let group_2 = index
            .search(s, None, 2000)
            .iter()
            .filter(|e| e.code.starts_with("2-"))
            .count();
        let nephrology = index.search(s, Some("2"), 2000);
        assert_eq!(group_2, 47, "慢性腎疾患: 47 告示番号 in the 2020 list");
        assert!(nephrology[..group_2]
            .iter()
            .all(|e| e.code.starts_with("2-")));
        assert!(codes(&nephrology[group_2..]).contains(&"7-6"), "2型糖尿病");
        assert!(
            codes(&index.search(s, Some("特発性成長ホルモン分泌不全性低身長症"), 5))
                .contains(&"5-46"),
            "alias"
        );
        let endocrine = index.search(s, Some("内分泌疾患"), 1000);
        assert!(endocrine.len() > 90, "by group: {}", endocrine.len());
        assert_eq!(index.search(n, None, 1000).len(), 341);
        assert!(index.search(n, Some("存在しない病名"), 10).is_empty());
    }
}
