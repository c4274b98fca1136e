//! The research view (SPEC 12): per form of a patient who consented to research use, only what
//! a research extract may carry, already de-identified where that needs no secret — the age at
//! the form date instead of the birth date, the prefecture instead of the address, the items
//! without free text, no administrative field (行政記載欄), no access key. It also keeps the
//! linkage id (履歴照会・回答) of each patient key, and reads extracts page by page (keyset) from
//! one consistent snapshot.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{FixedOffset, TimeZone};
use domain::form::{FormEvent, ReviewResult};
use domain::master::MasterEvent;
use domain::Program;
use eventstore::{RecordedEvent, SqlPool};
use serde_json::Value;

use crate::{exec, millis, Projection, ProjectionError, Tx, TxConn};

pub const NAME: &str = "research_forms";

/// The stream of a patient's record (issue 6 writes `LinkageIdAssigned` there); read by event
/// type name and payload field so that this view does not depend on that module's types.
const PATIENT_STREAM: &str = "patient";
const LINKAGE_ASSIGNED: &str = "LinkageIdAssigned";

/// (program, disease, form version) → the item ids that may be extracted.
type AllowedItems = HashMap<(String, String, String), Arc<HashSet<String>>>;

/// The research view. The allowed-item sets are cached per (program, disease, form version);
/// a master event empties the cache.
#[derive(Default)]
pub struct Research {
    allowed: Mutex<AllowedItems>,
}

fn bad(event: &RecordedEvent, reason: impl std::fmt::Display) -> ProjectionError {
    ProjectionError::Event {
        position: event.position,
        reason: reason.to_string(),
    }
}

/// The day in Japan (UTC+9, no daylight saving) of an instant, `YYYY-MM-DD`.
pub fn japan_date(t: chrono::DateTime<chrono::Utc>) -> String {
    let jst = FixedOffset::east_opt(9 * 3600).expect("UTC+9 is a valid offset");
    jst.from_utc_datetime(&t.naive_utc())
        .format("%Y-%m-%d")
        .to_string()
}

/// Full years from `birth` to `on` (both `YYYY-MM-DD`); never negative.
pub fn age_on(birth: &str, on: &str) -> Option<i64> {
    let year = |d: &str| d.get(..4)?.parse::<i64>().ok();
    let (by, oy) = (year(birth)?, year(on)?);
    let (bmd, omd) = (birth.get(5..)?, on.get(5..)?);
    let age = oy - by - i64::from(omd < bmd);
    Some(age.max(0))
}

fn review_columns(result: &ReviewResult) -> (&'static str, Option<bool>) {
    match result {
        ReviewResult::Certified { .. } => ("certified", None),
        ReviewResult::NotCertified {
            certificate_issued, ..
        } => ("not_certified", Some(*certificate_issued)),
        ReviewResult::CertificateIssued => ("certificate_issued", Some(true)),
        ReviewResult::CertificateNotIssued { .. } => ("certificate_not_issued", Some(false)),
    }
}

/// The `snake_case` name serde gives a unit-like enum value.
fn name_of<T: serde::Serialize>(value: &T) -> Option<String> {
    match serde_json::to_value(value).ok()? {
        Value::String(s) => Some(s),
        Value::Object(m) => m.get("outcome").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

impl Research {
    /// The item ids of a disease form that may leave in an extract: defined by a published
    /// master and never defined as free text by any version of it.
    async fn allowed_items(
        &self,
        tx: &mut Tx<'_>,
        program: &str,
        disease: &str,
        form_version: &str,
    ) -> Result<Arc<HashSet<String>>, ProjectionError> {
        let key = (
            program.to_owned(),
            disease.to_owned(),
            form_version.to_owned(),
        );
        if let Some(hit) = self
            .allowed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(hit.clone());
        }
        let sql = tx.sql(
            "SELECT item_id FROM research_items WHERE program = $1 AND disease = $2 \
             AND form_version = $3 AND free_text = $4",
        );
        let ids: Vec<String> = match &mut tx.conn {
            TxConn::Postgres(c) => {
                sqlx::query_scalar(&sql)
                    .bind(program)
                    .bind(disease)
                    .bind(form_version)
                    .bind(false)
                    .fetch_all(&mut **c)
                    .await?
            }
            TxConn::Sqlite(c) => {
                sqlx::query_scalar(&sql)
                    .bind(program)
                    .bind(disease)
                    .bind(form_version)
                    .bind(false)
                    .fetch_all(&mut **c)
                    .await?
            }
        };
        let set = Arc::new(ids.into_iter().collect::<HashSet<_>>());
        self.allowed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, set.clone());
        Ok(set)
    }

    /// The row's program, disease, form version and items, if the form is in this view.
    async fn row(
        tx: &mut Tx<'_>,
        form_id: &str,
    ) -> Result<Option<(String, String, String, String)>, ProjectionError> {
        let sql = tx.sql(
            "SELECT program, disease, form_version, items FROM research_forms WHERE form_id = $1",
        );
        Ok(match &mut tx.conn {
            TxConn::Postgres(c) => {
                sqlx::query_as(&sql)
                    .bind(form_id)
                    .fetch_optional(&mut **c)
                    .await?
            }
            TxConn::Sqlite(c) => {
                sqlx::query_as(&sql)
                    .bind(form_id)
                    .fetch_optional(&mut **c)
                    .await?
            }
        })
    }

    /// The form date of a form in the view.
    async fn dated(tx: &mut Tx<'_>, form_id: &str) -> Result<Option<(String,)>, ProjectionError> {
        let sql = tx.sql("SELECT form_date FROM research_forms WHERE form_id = $1");
        Ok(match &mut tx.conn {
            TxConn::Postgres(c) => {
                sqlx::query_as(&sql)
                    .bind(form_id)
                    .fetch_optional(&mut **c)
                    .await?
            }
            TxConn::Sqlite(c) => {
                sqlx::query_as(&sql)
                    .bind(form_id)
                    .fetch_optional(&mut **c)
                    .await?
            }
        })
    }

    async fn apply_form(
        &self,
        tx: &mut Tx<'_>,
        event: &RecordedEvent,
    ) -> Result<(), ProjectionError> {
        let id = event.stream.id.as_str();
        let at = millis(event.recorded_at);
        let decoded: FormEvent = event.decode().map_err(|e| bad(event, e))?;
        match decoded {
            FormEvent::FormDrafted {
                program,
                disease,
                form_version,
                application,
                purpose,
                patient,
                research_consent,
                items,
                paper,
                ..
            } => {
                // A patient who did not consent never enters this view.
                if !research_consent {
                    return Ok(());
                }
                let form_date = japan_date(event.recorded_at);
                let age = age_on(&patient.birth_date, &form_date)
                    .ok_or_else(|| bad(event, "the birth date is not YYYY-MM-DD"))?;
                let allowed = self
                    .allowed_items(tx, program.as_str(), &disease, &form_version)
                    .await?;
                let kept: BTreeMap<&String, &Value> = items
                    .iter()
                    .filter(|(k, v)| allowed.contains(k.as_str()) && !v.is_null())
                    .collect();
                let items = serde_json::to_string(&kept).map_err(|e| bad(event, e))?;
                let status = if paper.is_some() { "received" } else { "draft" };
                exec!(
                    tx,
                    "INSERT INTO research_forms (form_id, program, patient_key, status, form_date, \
                     age_years, sex, prefecture, disease, form_version, application, purpose, \
                     items, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
                     $12, $13, $14) ON CONFLICT (form_id) DO NOTHING",
                    id,
                    program.as_str(),
                    patient.key(program),
                    status,
                    form_date,
                    age,
                    name_of(&patient.sex).unwrap_or_default(),
                    patient.municipality.prefecture().as_str().to_owned(),
                    disease.as_str(),
                    form_version.as_str(),
                    name_of(&application).unwrap_or_default(),
                    name_of(&purpose).unwrap_or_default(),
                    items,
                    at,
                )?;
            }
            FormEvent::ItemsEdited { changes } | FormEvent::DataCorrected { changes } => {
                let Some((program, disease, form_version, items)) = Self::row(tx, id).await? else {
                    return Ok(());
                };
                let allowed = self
                    .allowed_items(tx, &program, &disease, &form_version)
                    .await?;
                let mut items: BTreeMap<String, Value> =
                    serde_json::from_str(&items).map_err(|e| bad(event, e))?;
                for c in changes.iter().filter(|c| allowed.contains(&c.item)) {
                    if c.new.is_null() {
                        items.remove(&c.item);
                    } else {
                        items.insert(c.item.clone(), c.new.clone());
                    }
                }
                let items = serde_json::to_string(&items).map_err(|e| bad(event, e))?;
                exec!(
                    tx,
                    "UPDATE research_forms SET items = $2, updated_at = $3 WHERE form_id = $1",
                    id,
                    items,
                    at
                )?;
            }
            FormEvent::JudgmentRecorded { judgment, master } => {
                exec!(
                    tx,
                    "UPDATE research_forms SET judgment = $2, diagnosis = $3, severity = $4, \
                     master_version = $5, updated_at = $6 WHERE form_id = $1",
                    id,
                    name_of(&judgment.outcome),
                    name_of(&judgment.diagnosis),
                    name_of(&judgment.severity),
                    master.master_version.as_str(),
                    at
                )?;
            }
            FormEvent::FormSubmitted { .. } => self.status(tx, id, "submitted", at).await?,
            FormEvent::FormReceived { .. } => self.status(tx, id, "received", at).await?,
            FormEvent::FormWithdrawn { .. } => self.status(tx, id, "withdrawn", at).await?,
            FormEvent::ReviewResultRecorded { result } => {
                let (result, certificate) = review_columns(&result);
                exec!(
                    tx,
                    "UPDATE research_forms SET status = 'decided', review_result = $2, \
                     certificate_issued = $3, updated_at = $4 WHERE form_id = $1",
                    id,
                    result,
                    certificate,
                    at
                )?;
            }
            // 行政記載欄 (受給者番号, remarks …) never enter the research view.
            FormEvent::AdministrativeFieldsRecorded { .. } => {}
            // A corrected patient: the key (hence the pseudonym), age, sex and prefecture follow.
            FormEvent::PatientDataChanged {
                program, patient, ..
            } => {
                let Some((form_date,)) = Self::dated(tx, id).await? else {
                    return Ok(());
                };
                let age = age_on(&patient.birth_date, &form_date)
                    .ok_or_else(|| bad(event, "the birth date is not YYYY-MM-DD"))?;
                exec!(
                    tx,
                    "UPDATE research_forms SET patient_key = $2, age_years = $3, sex = $4, \
                     prefecture = $5, updated_at = $6 WHERE form_id = $1",
                    id,
                    patient.key(program),
                    age,
                    name_of(&patient.sex).unwrap_or_default(),
                    patient.municipality.prefecture().as_str().to_owned(),
                    at
                )?;
            }
        }
        Ok(())
    }

    async fn status(
        &self,
        tx: &mut Tx<'_>,
        id: &str,
        status: &str,
        at: i64,
    ) -> Result<(), ProjectionError> {
        exec!(
            tx,
            "UPDATE research_forms SET status = $2, updated_at = $3 WHERE form_id = $1",
            id,
            status,
            at
        )?;
        Ok(())
    }

    async fn apply_master(
        &self,
        tx: &mut Tx<'_>,
        event: &RecordedEvent,
    ) -> Result<(), ProjectionError> {
        let MasterEvent::MasterVersionPublished { diseases, .. } =
            event.decode().map_err(|e| bad(event, e))?;
        self.allowed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        for d in &diseases {
            for item in &d.items {
                let free_text = matches!(item.kind, domain::judgment::ItemKind::Text { .. });
                // Free text in any version stays free text: the item is never extracted.
                exec!(
                    tx,
                    "INSERT INTO research_items (program, disease, form_version, item_id, \
                     free_text) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (program, disease, form_version, item_id) DO UPDATE \
                     SET free_text = CASE WHEN research_items.free_text = $6 \
                     THEN research_items.free_text ELSE excluded.free_text END",
                    d.program.as_str(),
                    d.code.as_str(),
                    d.form_version.as_str(),
                    item.id.as_str(),
                    free_text,
                    true,
                )?;
            }
        }
        Ok(())
    }

    async fn apply_patient(
        &self,
        tx: &mut Tx<'_>,
        event: &RecordedEvent,
    ) -> Result<(), ProjectionError> {
        if event.event_type != LINKAGE_ASSIGNED {
            return Ok(());
        }
        let linkage = event.payload["linkage_id"]
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| bad(event, "LinkageIdAssigned without a linkage_id"))?;
        exec!(
            tx,
            "INSERT INTO research_linkage (patient_key, linkage_id, updated_at) \
             VALUES ($1, $2, $3) ON CONFLICT (patient_key) DO UPDATE \
             SET linkage_id = excluded.linkage_id, updated_at = excluded.updated_at",
            event.stream.id.as_str(),
            linkage,
            millis(event.recorded_at),
        )?;
        Ok(())
    }
}

impl Projection for Research {
    fn name(&self) -> &'static str {
        NAME
    }

    fn stream_types(&self) -> &'static [&'static str] {
        &["form", "master", PATIENT_STREAM]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["research_forms", "research_items", "research_linkage"]
    }

    async fn apply(&self, tx: &mut Tx<'_>, event: &RecordedEvent) -> Result<(), ProjectionError> {
        match event.stream.stream_type.as_str() {
            "form" => self.apply_form(tx, event).await,
            "master" => self.apply_master(tx, event).await,
            PATIENT_STREAM => self.apply_patient(tx, event).await,
            _ => Ok(()),
        }
    }
}

/// Which rows an extract reads.
#[derive(Debug, Clone)]
pub struct Selection {
    pub program: Program,
    /// Empty: every disease.
    pub diseases: Vec<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub certified_only: bool,
}

/// One row as the extract reads it: still with the plain patient key, which the extract
/// replaces by the keyed pseudonym and never writes.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SourceRow {
    pub form_id: String,
    pub patient_key: String,
    pub linkage_id: Option<String>,
    pub age_years: i64,
    pub sex: String,
    pub prefecture: String,
    pub disease: String,
    pub form_version: String,
    pub form_date: String,
    pub application: String,
    pub purpose: String,
    pub items: String,
    pub judgment: Option<String>,
    pub diagnosis: Option<String>,
    pub severity: Option<String>,
    pub master_version: Option<String>,
    pub review_result: Option<String>,
    pub certificate_issued: Option<bool>,
}

impl Selection {
    /// The WHERE clause (placeholders from `$first`) and its text arguments in order.
    fn filter(&self, first: usize) -> (String, Vec<Option<String>>) {
        let mut args: Vec<Option<String>> = vec![
            Some(self.program.as_str().to_owned()),
            self.from.clone(),
            self.to.clone(),
        ];
        let n = first;
        let mut sql = format!(
            "f.program = ${n} AND f.status IN ('submitted', 'received', 'decided') \
             AND (CAST(${} AS TEXT) IS NULL OR f.form_date >= ${}) \
             AND (CAST(${} AS TEXT) IS NULL OR f.form_date <= ${})",
            n + 1,
            n + 1,
            n + 2,
            n + 2
        );
        if self.certified_only {
            sql.push_str(" AND f.review_result = 'certified'");
        }
        if !self.diseases.is_empty() {
            let marks: Vec<String> = (0..self.diseases.len())
                .map(|i| format!("${}", n + 3 + i))
                .collect();
            sql.push_str(&format!(" AND f.disease IN ({})", marks.join(", ")));
            args.extend(self.diseases.iter().cloned().map(Some));
        }
        (sql, args)
    }
}

/// A consistent view of the research table for the length of one extract: every page and the
/// count are read in one read-only transaction (REPEATABLE READ on PostgreSQL; on SQLite a
/// read transaction sees one snapshot of the WAL), so a form projected meanwhile is either in
/// every page or in none.
pub enum Snapshot {
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
}

impl Snapshot {
    pub async fn open(sql: &SqlPool) -> Result<Self, sqlx::Error> {
        Ok(match sql {
            SqlPool::Postgres(p) => {
                let mut tx = p.begin().await?;
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut *tx)
                    .await?;
                // A keyset page must be an index range scan in form-id order whatever the
                // statistics say: with stale ones (a fresh or just rebuilt table) the planner
                // otherwise scans the rest of the table and sorts it, for every page.
                sqlx::query("SET LOCAL enable_sort = off")
                    .execute(&mut *tx)
                    .await?;
                Snapshot::Postgres(tx)
            }
            SqlPool::Sqlite { reader, .. } => Snapshot::Sqlite(reader.begin().await?),
        })
    }

    /// The research view's checkpoint as this snapshot sees it: the extract reflects every
    /// event up to this position.
    pub async fn position(&mut self) -> Result<u64, sqlx::Error> {
        const Q: &str = "SELECT position FROM projection_checkpoints WHERE name = $1";
        let row: Option<i64> = match self {
            Snapshot::Postgres(tx) => {
                sqlx::query_scalar(Q)
                    .bind(NAME)
                    .fetch_optional(&mut **tx)
                    .await?
            }
            Snapshot::Sqlite(tx) => {
                sqlx::query_scalar(Q)
                    .bind(NAME)
                    .fetch_optional(&mut **tx)
                    .await?
            }
        };
        Ok(row.map_or(0, |p| p as u64))
    }

    /// How many rows the selection has.
    pub async fn count(&mut self, s: &Selection) -> Result<u64, sqlx::Error> {
        let (filter, args) = s.filter(1);
        let q = format!("SELECT count(*) FROM research_forms f WHERE {filter}");
        let n: i64 = match self {
            Snapshot::Postgres(tx) => {
                let mut query = sqlx::query_scalar(&q);
                for a in &args {
                    query = query.bind(a);
                }
                query.fetch_one(&mut **tx).await?
            }
            Snapshot::Sqlite(tx) => {
                let mut query = sqlx::query_scalar(&q);
                for a in &args {
                    query = query.bind(a);
                }
                query.fetch_one(&mut **tx).await?
            }
        };
        Ok(n as u64)
    }

    /// Up to `limit` rows after form id `after`, in form-id order (keyset paging: each page is
    /// an index range scan, however deep into the extract).
    pub async fn page(
        &mut self,
        s: &Selection,
        after: &str,
        limit: i64,
    ) -> Result<Vec<SourceRow>, sqlx::Error> {
        let (filter, args) = s.filter(3);
        // The page is cut first (an index range scan on (program, form_id)) and joined to the
        // linkage ids after: joined before, a planner may hash-join the whole table and sort it
        // for every page.
        let q = format!(
            "SELECT f.form_id, f.patient_key, l.linkage_id, f.age_years, f.sex, f.prefecture, \
             f.disease, f.form_version, f.form_date, f.application, f.purpose, f.items, \
             f.judgment, f.diagnosis, f.severity, f.master_version, f.review_result, \
             f.certificate_issued FROM (SELECT * FROM research_forms f \
             WHERE f.form_id > $1 AND {filter} ORDER BY f.form_id LIMIT $2) f \
             LEFT JOIN research_linkage l ON l.patient_key = f.patient_key ORDER BY f.form_id"
        );
        match self {
            Snapshot::Postgres(tx) => {
                let mut query = sqlx::query_as::<_, SourceRow>(&q).bind(after).bind(limit);
                for a in &args {
                    query = query.bind(a);
                }
                query.fetch_all(&mut **tx).await
            }
            Snapshot::Sqlite(tx) => {
                let mut query = sqlx::query_as::<_, SourceRow>(&q).bind(after).bind(limit);
                for a in &args {
                    query = query.bind(a);
                }
                query.fetch_all(&mut **tx).await
            }
        }
    }

    /// Ends the read transaction.
    pub async fn close(self) -> Result<(), sqlx::Error> {
        match self {
            Snapshot::Postgres(tx) => tx.rollback().await,
            Snapshot::Sqlite(tx) => tx.rollback().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_counts_full_years_at_the_form_date() {
        assert_eq!(age_on("1950-04-01", "2024-03-31"), Some(73));
        assert_eq!(age_on("1950-04-01", "2024-04-01"), Some(74));
        assert_eq!(age_on("2012-12-31", "2024-01-01"), Some(11));
        assert_eq!(age_on("2030-01-01", "2024-01-01"), Some(0));
        assert_eq!(age_on("x", "2024-01-01"), None);
    }

    #[test]
    fn the_form_date_is_the_day_in_japan() {
        let t = chrono::DateTime::parse_from_rfc3339("2024-03-31T15:30:00Z")
            .expect("time")
            .with_timezone(&chrono::Utc);
        assert_eq!(japan_date(t), "2024-04-01");
    }
}
