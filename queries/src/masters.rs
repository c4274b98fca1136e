//! The disease list a doctor picks from: the program's diseases in force, found by name,
//! number or group (a type-ahead over the whole catalogue).

use std::sync::Arc;

use commands::forms::MasterCache;
use commands::problem::Problem;
use domain::Program;
use eventstore::EventStore;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct DiseaseEntry {
    pub program: Program,
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    pub disease_group: Option<String>,
    pub form_version: String,
    pub master_version: String,
}

/// The diseases of `program` in force whose name, number or group matches `q` (all of them
/// without `q`), in catalogue order, at most `limit`.
pub async fn diseases(
    store: &Arc<dyn EventStore>,
    masters: &MasterCache,
    program: Program,
    q: Option<&str>,
    limit: usize,
) -> Result<Vec<DiseaseEntry>, Problem> {
    let today = commands::forms::today_in_japan();
    let q = q.map(str::trim).filter(|q| !q.is_empty());
    let mut found: Vec<DiseaseEntry> = masters
        .diseases_on(store, Some(program), &today)
        .await?
        .into_iter()
        .map(|(d, v)| (v, d))
        .filter(|(_, d)| {
            q.is_none_or(|q| {
                d.code == q
                    || d.code.starts_with(&format!("{q}-"))
                    || d.name_ja.contains(q)
                    || d.name_en.to_lowercase().contains(&q.to_lowercase())
                    || d.disease_group.as_deref().is_some_and(|g| g.contains(q))
            })
        })
        .map(|(v, d)| DiseaseEntry {
            program: d.program,
            code: d.code.clone(),
            name_ja: d.name_ja.clone(),
            name_en: d.name_en.clone(),
            disease_group: d.disease_group.clone(),
            form_version: d.form_version.clone(),
            master_version: v,
        })
        .collect();
    found.sort_by_key(|d| catalogue_order(&d.code));
    found.truncate(limit);
    Ok(found)
}

/// 告示番号 in numeric order: "6" before "11", "2-24" after "2-3".
fn catalogue_order(code: &str) -> Vec<u32> {
    code.split('-')
        .map(|p| p.parse().unwrap_or(u32::MAX))
        .collect()
}
