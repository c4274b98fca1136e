//! The form search view: one row per form with what the search filters and lists on. Scoping
//! (which forms a caller may see) is the query's caller's business: it passes the scope as a
//! filter that cannot be left out.

use domain::form::FormEvent;
use eventstore::{RecordedEvent, SqlPool};
use serde::{Deserialize, Serialize};

use std::collections::HashMap;

use crate::{exec_params, insert_rows, millis, Param, Projection, ProjectionError, Tx};

pub const NAME: &str = "form_search";

pub struct FormSearch;

fn event_error(event: &RecordedEvent, reason: impl ToString) -> ProjectionError {
    ProjectionError::Event {
        position: event.position,
        reason: reason.to_string(),
    }
}

/// The serde tag of a tagged enum value (`outcome`, `result`).
fn tag(value: &impl Serialize, field: &str) -> Option<String> {
    serde_json::to_value(value)
        .ok()?
        .get(field)?
        .as_str()
        .map(str::to_owned)
}

fn name(value: &impl Serialize) -> Option<String> {
    serde_json::to_value(value)
        .ok()?
        .as_str()
        .map(str::to_owned)
}

/// Kana as searched: without spaces (full- or half-width).
pub fn normalize_kana(kana: &str) -> String {
    kana.chars().filter(|c| !c.is_whitespace()).collect()
}

impl Projection for FormSearch {
    fn name(&self) -> &'static str {
        NAME
    }

    fn stream_types(&self) -> &'static [&'static str] {
        &["form"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["form_search"]
    }

    async fn apply(&self, tx: &mut Tx<'_>, event: &RecordedEvent) -> Result<(), ProjectionError> {
        self.apply_all(tx, &[event]).await
    }

    /// Folds the page in memory: forms drafted in it become one multi-row insert with their
    /// final state; forms drafted earlier get one update each.
    async fn apply_all(
        &self,
        tx: &mut Tx<'_>,
        events: &[&RecordedEvent],
    ) -> Result<(), ProjectionError> {
        let mut new_rows: Vec<NewRow> = vec![];
        let mut new_index: HashMap<String, usize> = HashMap::new();
        let mut patches: Vec<Patch> = vec![];
        let mut patch_index: HashMap<String, usize> = HashMap::new();
        for event in events {
            let id = event.stream.id.as_str();
            let at = millis(event.recorded_at);
            let version = event.version as i64;
            let decoded: FormEvent = event.decode().map_err(|e| event_error(event, e))?;
            let mut change = Change::default();
            match decoded {
                FormEvent::FormDrafted {
                    program,
                    disease,
                    form_version,
                    application,
                    purpose,
                    institution,
                    author,
                    jurisdiction,
                    patient,
                    paper,
                    ..
                } => {
                    new_index.insert(id.to_owned(), new_rows.len());
                    new_rows.push(NewRow {
                        form_id: id.to_owned(),
                        program: program.as_str().to_owned(),
                        disease,
                        form_version,
                        application: name(&application),
                        purpose: name(&purpose),
                        institution: institution.to_string(),
                        author,
                        jurisdiction: jurisdiction.to_string(),
                        status: if paper.is_some() { "received" } else { "draft" },
                        outcome: None,
                        review: None,
                        kana: normalize_kana(&patient.name_kana),
                        birth_date: patient.birth_date.clone(),
                        patient_key: patient.key(program),
                        paper: paper.is_some(),
                        created_at: at,
                        updated_at: at,
                        version,
                    });
                    continue;
                }
                FormEvent::JudgmentRecorded { judgment, .. } => {
                    change.outcome = Some(tag(&judgment.outcome, "outcome"));
                }
                FormEvent::ReviewResultRecorded { result } => {
                    change.status = Some("decided");
                    change.review = Some(tag(&result, "result"));
                }
                FormEvent::FormSubmitted { .. } => change.status = Some("submitted"),
                FormEvent::FormReceived { .. } => change.status = Some("received"),
                FormEvent::FormWithdrawn { .. } => change.status = Some("withdrawn"),
                FormEvent::PatientDataChanged {
                    program, patient, ..
                } => {
                    change.patient = Some(PatientColumns {
                        kana: normalize_kana(&patient.name_kana),
                        birth_date: patient.birth_date.clone(),
                        patient_key: patient.key(program),
                    });
                }
                FormEvent::ItemsEdited { .. }
                | FormEvent::DataCorrected { .. }
                | FormEvent::AdministrativeFieldsRecorded { .. } => {}
            }
            if let Some(&i) = new_index.get(id) {
                let row = &mut new_rows[i];
                if let Some(s) = change.status {
                    row.status = s;
                }
                if let Some(o) = change.outcome {
                    row.outcome = o;
                }
                if let Some(r) = change.review {
                    row.review = r;
                }
                if let Some(p) = change.patient {
                    row.kana = p.kana;
                    row.birth_date = p.birth_date;
                    row.patient_key = p.patient_key;
                }
                row.updated_at = at;
                row.version = version;
                continue;
            }
            let i = *patch_index.entry(id.to_owned()).or_insert_with(|| {
                patches.push(Patch {
                    form_id: id.to_owned(),
                    first_position: event.position,
                    change: Change::default(),
                    updated_at: at,
                    version,
                });
                patches.len() - 1
            });
            let patch = &mut patches[i];
            if change.status.is_some() {
                patch.change.status = change.status;
            }
            if change.outcome.is_some() {
                patch.change.outcome = change.outcome;
            }
            if change.review.is_some() {
                patch.change.review = change.review;
            }
            if change.patient.is_some() {
                patch.change.patient = change.patient;
            }
            patch.updated_at = at;
            patch.version = version;
        }
        let rows = new_rows
            .into_iter()
            .map(|r| {
                vec![
                    Param::from(r.form_id),
                    r.program.into(),
                    r.disease.into(),
                    r.form_version.into(),
                    r.application.into(),
                    r.purpose.into(),
                    r.institution.into(),
                    r.author.into(),
                    r.jurisdiction.into(),
                    r.status.into(),
                    r.outcome.into(),
                    r.review.into(),
                    r.kana.into(),
                    r.birth_date.into(),
                    r.patient_key.into(),
                    r.paper.into(),
                    r.created_at.into(),
                    r.updated_at.into(),
                    r.version.into(),
                ]
            })
            .collect();
        insert_rows(
            tx,
            "form_search",
            &[
                "form_id",
                "program",
                "disease",
                "form_version",
                "application",
                "purpose",
                "institution",
                "author",
                "jurisdiction",
                "status",
                "outcome",
                "review",
                "kana",
                "birth_date",
                "patient_key",
                "paper",
                "created_at",
                "updated_at",
                "version",
            ],
            rows,
            "",
        )
        .await?;
        for p in patches {
            let changed = exec_params(
                tx,
                "UPDATE form_search SET status = COALESCE($2, status), \
                 outcome = CASE WHEN $3 THEN $4 ELSE outcome END, \
                 review = CASE WHEN $5 THEN $6 ELSE review END, \
                 updated_at = $7, version = $8, kana = COALESCE($9, kana), \
                 birth_date = COALESCE($10, birth_date), \
                 patient_key = COALESCE($11, patient_key) WHERE form_id = $1",
                &[
                    p.form_id.into(),
                    Param::Text(p.change.status.map(str::to_owned)),
                    p.change.outcome.is_some().into(),
                    Param::Text(p.change.outcome.flatten()),
                    p.change.review.is_some().into(),
                    Param::Text(p.change.review.flatten()),
                    p.updated_at.into(),
                    p.version.into(),
                    Param::Text(p.change.patient.as_ref().map(|c| c.kana.clone())),
                    Param::Text(p.change.patient.as_ref().map(|c| c.birth_date.clone())),
                    Param::Text(p.change.patient.map(|c| c.patient_key)),
                ],
            )
            .await?;
            if changed != 1 {
                return Err(ProjectionError::Event {
                    position: p.first_position,
                    reason: "an event of a form the view does not have".into(),
                });
            }
        }
        Ok(())
    }
}

/// A form drafted in the page being applied, with its state at the page's end.
struct NewRow {
    form_id: String,
    program: String,
    disease: String,
    form_version: String,
    application: Option<String>,
    purpose: Option<String>,
    institution: String,
    author: String,
    jurisdiction: String,
    status: &'static str,
    outcome: Option<String>,
    review: Option<String>,
    kana: String,
    birth_date: String,
    patient_key: String,
    paper: bool,
    created_at: i64,
    updated_at: i64,
    version: i64,
}

/// What the events of a page change of a form drafted earlier (`None`: unchanged).
#[derive(Default)]
struct Change {
    status: Option<&'static str>,
    outcome: Option<Option<String>>,
    review: Option<Option<String>>,
    patient: Option<PatientColumns>,
}

/// The patient's columns after a correction.
struct PatientColumns {
    kana: String,
    birth_date: String,
    patient_key: String,
}

struct Patch {
    form_id: String,
    first_position: u64,
    change: Change,
    updated_at: i64,
    version: i64,
}

/// Who may see which forms: a filter every search carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Doctors and clerks: the forms of these institutions.
    Institutions(Vec<String>),
    /// Municipality users: submitted (not draft) forms of their jurisdiction.
    Jurisdiction(String),
    /// Auditors: every form of the program.
    Program,
}

/// How results are ordered (keyset paging follows the order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    UpdatedDesc,
    UpdatedAsc,
    KanaAsc,
}

/// The filters of a search; `None` filters nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filters {
    pub disease: Option<String>,
    pub status: Option<String>,
    pub institution: Option<String>,
    pub author: Option<String>,
    pub jurisdiction: Option<String>,
    pub purpose: Option<String>,
    pub outcome: Option<String>,
    /// Kana that the patient's kana starts with (spaces ignored).
    pub kana_prefix: Option<String>,
    /// Kana contained anywhere in the patient's kana (spaces ignored).
    pub kana_contains: Option<String>,
    pub birth_date: Option<String>,
    /// Unix milliseconds, inclusive.
    pub updated_from: Option<i64>,
    /// Unix milliseconds, exclusive.
    pub updated_to: Option<i64>,
}

/// Where the previous page ended: the sort key and form id of its last row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct After {
    pub key: AfterKey,
    pub form_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AfterKey {
    Time(i64),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct FormRow {
    pub form_id: String,
    pub disease: String,
    pub form_version: String,
    pub application: Option<String>,
    pub purpose: Option<String>,
    pub institution: String,
    pub author: String,
    pub jurisdiction: String,
    pub status: String,
    pub outcome: Option<String>,
    pub review: Option<String>,
    pub kana: String,
    pub birth_date: String,
    pub paper: bool,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

fn escape_like(s: &str) -> String {
    s.chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

/// A bound parameter of the search.
enum SearchParam {
    Text(String),
    Int(i64),
}

/// The conditions and parameters every search of `program` within `scope` carries.
fn conditions(program: &str, scope: &Scope, filters: &Filters) -> (Vec<String>, Vec<SearchParam>) {
    let mut clauses = vec![];
    let mut params: Vec<SearchParam> = vec![];
    let mut bind = |p: SearchParam| {
        params.push(p);
        format!("${}", params.len())
    };
    clauses.push(format!(
        "program = {}",
        bind(SearchParam::Text(program.into()))
    ));
    match scope {
        Scope::Institutions(list) => {
            let list = if list.is_empty() {
                "NULL".to_owned()
            } else {
                list.iter()
                    .map(|i| bind(SearchParam::Text(i.clone())))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            clauses.push(format!("institution IN ({list})"));
        }
        Scope::Jurisdiction(j) => {
            clauses.push(format!(
                "jurisdiction = {}",
                bind(SearchParam::Text(j.clone()))
            ));
            clauses.push("status <> 'draft'".into());
        }
        Scope::Program => {}
    }
    let text_filters = [
        ("disease", &filters.disease),
        ("status", &filters.status),
        ("institution", &filters.institution),
        ("author", &filters.author),
        ("jurisdiction", &filters.jurisdiction),
        ("purpose", &filters.purpose),
        ("outcome", &filters.outcome),
        ("birth_date", &filters.birth_date),
    ];
    for (column, value) in text_filters {
        if let Some(v) = value {
            clauses.push(format!("{column} = {}", bind(SearchParam::Text(v.clone()))));
        }
    }
    if let Some(prefix) = &filters.kana_prefix {
        let p = bind(SearchParam::Text(format!(
            "{}%",
            escape_like(&normalize_kana(prefix))
        )));
        clauses.push(format!("kana LIKE {p} ESCAPE '\\'"));
    }
    if let Some(part) = &filters.kana_contains {
        let p = bind(SearchParam::Text(format!(
            "%{}%",
            escape_like(&normalize_kana(part))
        )));
        clauses.push(format!("kana LIKE {p} ESCAPE '\\'"));
    }
    if let Some(from) = filters.updated_from {
        clauses.push(format!("updated_at >= {}", bind(SearchParam::Int(from))));
    }
    if let Some(to) = filters.updated_to {
        clauses.push(format!("updated_at < {}", bind(SearchParam::Int(to))));
    }
    (clauses, params)
}

/// One page of forms of `program` within `scope`, in `sort` order after `after`.
pub async fn search(
    sql: &SqlPool,
    program: &str,
    scope: &Scope,
    filters: &Filters,
    sort: Sort,
    after: Option<&After>,
    limit: i64,
) -> Result<Vec<FormRow>, sqlx::Error> {
    let (mut clauses, mut params) = conditions(program, scope, filters);
    let mut bind = |p: SearchParam| {
        params.push(p);
        format!("${}", params.len())
    };
    let (key, direction) = match sort {
        Sort::UpdatedDesc => ("updated_at", "DESC"),
        Sort::UpdatedAsc => ("updated_at", "ASC"),
        Sort::KanaAsc => ("kana", "ASC"),
    };
    if let Some(after) = after {
        let k = match &after.key {
            AfterKey::Time(t) => bind(SearchParam::Int(*t)),
            AfterKey::Text(t) => bind(SearchParam::Text(t.clone())),
        };
        let id = bind(SearchParam::Text(after.form_id.clone()));
        let op = if direction == "DESC" { "<" } else { ">" };
        clauses.push(format!("({key}, form_id) {op} ({k}, {id})"));
    }
    let limit_param = bind(SearchParam::Int(limit));
    let query = format!(
        "SELECT form_id, disease, form_version, application, purpose, institution, author, \
         jurisdiction, status, outcome, review, kana, birth_date, paper, created_at, updated_at, \
         version FROM form_search WHERE {} ORDER BY {key} {direction}, form_id {direction} \
         LIMIT {limit_param}",
        clauses.join(" AND ")
    );
    eventstore::on_sql!(sql, reader, |p| {
        let mut q = sqlx::query_as::<_, FormRow>(&query);
        for param in &params {
            q = match param {
                SearchParam::Text(t) => q.bind(t.as_str()),
                SearchParam::Int(i) => q.bind(*i),
            };
        }
        q.fetch_all(p).await
    })
}

/// How many forms of `program` within `scope` match `filters`, by status (the filters'
/// own status aside: a worklist shows the count of every status).
pub async fn counts_by_status(
    sql: &SqlPool,
    program: &str,
    scope: &Scope,
    filters: &Filters,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let filters = Filters {
        status: None,
        ..filters.clone()
    };
    let (clauses, params) = conditions(program, scope, &filters);
    let query = format!(
        "SELECT status, count(*) FROM form_search WHERE {} GROUP BY status ORDER BY status",
        clauses.join(" AND ")
    );
    eventstore::on_sql!(sql, reader, |p| {
        let mut q = sqlx::query_as::<_, (String, i64)>(&query);
        for param in &params {
            q = match param {
                SearchParam::Text(t) => q.bind(t.as_str()),
                SearchParam::Int(i) => q.bind(*i),
            };
        }
        q.fetch_all(p).await
    })
}

/// The forms of one patient (by patient key) of a program, newest first: 前回値踏襲 and the
/// patient's history start from it.
pub async fn of_patient(
    sql: &SqlPool,
    program: &str,
    patient_key: &str,
) -> Result<Vec<FormRow>, sqlx::Error> {
    eventstore::on_sql!(sql, reader, |p| {
        sqlx::query_as::<_, FormRow>(
            "SELECT form_id, disease, form_version, application, purpose, institution, author, \
             jurisdiction, status, outcome, review, kana, birth_date, paper, created_at, \
             updated_at, version FROM form_search WHERE program = $1 AND patient_key = $2 \
             ORDER BY created_at DESC, form_id DESC",
        )
        .bind(program)
        .bind(patient_key)
        .fetch_all(p)
        .await
    })
}
