//! The views of bulk imports: each job's progress and each row's outcome (`import_jobs`), and
//! the keys certification results are matched by (`form_keys`: アクセスキー and 受給者番号).

use domain::form::FormEvent;
use domain::import_job::{ImportEvent, JobStatus};
use eventstore::{RecordedEvent, SqlPool};
use serde::Serialize;

use crate::{exec, exec_params, insert_rows, millis, Param, Projection, ProjectionError, Tx};

pub const JOBS: &str = "import_jobs";
pub const KEYS: &str = "form_keys";

fn event_error(event: &RecordedEvent, reason: impl ToString) -> ProjectionError {
    ProjectionError::Event {
        position: event.position,
        reason: reason.to_string(),
    }
}

pub struct ImportJobs;

impl Projection for ImportJobs {
    fn name(&self) -> &'static str {
        JOBS
    }

    fn stream_types(&self) -> &'static [&'static str] {
        &[domain::import_job::STREAM_TYPE]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["import_jobs", "import_rows"]
    }

    async fn apply(&self, tx: &mut Tx<'_>, event: &RecordedEvent) -> Result<(), ProjectionError> {
        let job = event.stream.id.as_str();
        let at = millis(event.recorded_at);
        let version = event.version as i64;
        let decoded: ImportEvent = event.decode().map_err(|e| event_error(event, e))?;
        match decoded {
            ImportEvent::ImportFileReceived {
                use_,
                program,
                file,
                contractor,
            } => {
                exec!(
                    tx,
                    "INSERT INTO import_jobs (job_id, use_kind, program, account_id, role, \
                     file_name, file_size, sha256, format, contractor, status, done, \
                     through_row, applied, unchanged, rejected, received_at, updated_at, version) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, 0, 0, 0, 0, $12, $12, $13)",
                    job,
                    use_.as_str(),
                    program.as_str(),
                    event.metadata.actor.as_str(),
                    event.metadata.role.as_str(),
                    file.name,
                    file.size as i64,
                    file.sha256,
                    file.format,
                    contractor,
                    JobStatus::Received.as_str(),
                    at,
                    version,
                )?;
            }
            ImportEvent::ImportRowsValidated { total, valid, .. } => {
                exec!(
                    tx,
                    "UPDATE import_jobs SET status = $2, total = $3, valid = $4, updated_at = $5, \
                     version = $6 WHERE job_id = $1",
                    job,
                    JobStatus::Applying.as_str(),
                    total as i64,
                    valid as i64,
                    at,
                    version,
                )?;
            }
            ImportEvent::ImportRowsApplied {
                through_row,
                results,
            } => {
                let count = |o: domain::import_job::RowOutcome| {
                    results.iter().filter(|r| r.outcome == o).count() as i64
                };
                exec_params(
                    tx,
                    "UPDATE import_jobs SET done = done + $2, through_row = $3, \
                     applied = applied + $4, unchanged = unchanged + $5, \
                     rejected = rejected + $6, updated_at = $7, version = $8 WHERE job_id = $1",
                    &[
                        job.into(),
                        (results.len() as i64).into(),
                        (through_row as i64).into(),
                        count(domain::import_job::RowOutcome::Applied).into(),
                        count(domain::import_job::RowOutcome::Unchanged).into(),
                        count(domain::import_job::RowOutcome::Rejected).into(),
                        at.into(),
                        version.into(),
                    ],
                )
                .await?;
                let rows: Vec<Vec<Param>> = results
                    .iter()
                    .map(|r| {
                        let errors = (!r.errors.is_empty())
                            .then(|| serde_json::to_string(&r.errors).unwrap_or_default());
                        vec![
                            job.into(),
                            (r.row as i64).into(),
                            r.outcome.as_str().into(),
                            r.form.clone().into(),
                            r.action.clone().into(),
                            errors.into(),
                        ]
                    })
                    .collect();
                insert_rows(
                    tx,
                    "import_rows",
                    &["job_id", "row_no", "outcome", "form_id", "action", "errors"],
                    rows,
                    "",
                )
                .await?;
            }
            ImportEvent::ImportFinished { .. } => {
                exec!(
                    tx,
                    "UPDATE import_jobs SET status = $2, updated_at = $3, version = $4 \
                     WHERE job_id = $1",
                    job,
                    JobStatus::Finished.as_str(),
                    at,
                    version,
                )?;
            }
            ImportEvent::ImportFailed { failure } => {
                exec!(
                    tx,
                    "UPDATE import_jobs SET status = $2, failure_code = $3, failure_ja = $4, \
                     failure_en = $5, updated_at = $6, version = $7 WHERE job_id = $1",
                    job,
                    JobStatus::Failed.as_str(),
                    failure.code,
                    failure.message_ja,
                    failure.message_en,
                    at,
                    version,
                )?;
            }
        }
        Ok(())
    }
}

/// An import job as its uploader sees it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct JobRow {
    pub job_id: String,
    #[serde(rename = "use")]
    pub use_kind: String,
    pub program: String,
    pub account_id: String,
    pub role: String,
    pub file_name: String,
    pub file_size: i64,
    pub sha256: String,
    pub format: Option<String>,
    pub contractor: Option<String>,
    /// `received` (validating), `applying`, `finished` or `failed`.
    pub status: String,
    /// Data rows in the file, once validated.
    pub total: Option<i64>,
    pub valid: Option<i64>,
    /// Rows with a result.
    pub done: i64,
    pub through_row: i64,
    pub applied: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub failure_code: Option<String>,
    pub failure_ja: Option<String>,
    pub failure_en: Option<String>,
    /// Unix milliseconds.
    pub received_at: i64,
    pub updated_at: i64,
    /// The version of the job's stream this row reflects.
    #[serde(skip)]
    pub version: i64,
}

impl JobRow {
    /// Applies one later event of the job's stream, as the view will: the status route brings
    /// the row up to the stream's head with it, so a job's status never trails its stream.
    pub fn advance(&mut self, event: &RecordedEvent) -> Result<(), ProjectionError> {
        if event.version as i64 <= self.version {
            return Ok(());
        }
        match event
            .decode::<ImportEvent>()
            .map_err(|e| event_error(event, e))?
        {
            // The row exists: its stream began before.
            ImportEvent::ImportFileReceived { .. } => {}
            ImportEvent::ImportRowsValidated { total, valid, .. } => {
                self.status = JobStatus::Applying.as_str().to_owned();
                self.total = Some(total as i64);
                self.valid = Some(valid as i64);
            }
            ImportEvent::ImportRowsApplied {
                through_row,
                results,
            } => {
                self.done += results.len() as i64;
                self.through_row = through_row as i64;
                for r in &results {
                    match r.outcome {
                        domain::import_job::RowOutcome::Applied => self.applied += 1,
                        domain::import_job::RowOutcome::Unchanged => self.unchanged += 1,
                        domain::import_job::RowOutcome::Rejected => self.rejected += 1,
                    }
                }
            }
            ImportEvent::ImportFinished { .. } => {
                self.status = JobStatus::Finished.as_str().to_owned();
            }
            ImportEvent::ImportFailed { failure } => {
                self.status = JobStatus::Failed.as_str().to_owned();
                self.failure_code = Some(failure.code);
                self.failure_ja = Some(failure.message_ja);
                self.failure_en = Some(failure.message_en);
            }
        }
        self.updated_at = millis(event.recorded_at);
        self.version = event.version as i64;
        Ok(())
    }

    /// Neither finished nor failed: later events may follow.
    pub fn is_open(&self) -> bool {
        self.status != JobStatus::Finished.as_str() && self.status != JobStatus::Failed.as_str()
    }
}

const JOB_COLUMNS: &str = "job_id, use_kind, program, account_id, role, file_name, file_size, \
     sha256, format, contractor, status, total, valid, done, through_row, applied, unchanged, \
     rejected, failure_code, failure_ja, failure_en, received_at, updated_at, version";

pub async fn job(sql: &SqlPool, job_id: &str) -> Result<Option<JobRow>, sqlx::Error> {
    let query = format!("SELECT {JOB_COLUMNS} FROM import_jobs WHERE job_id = $1");
    eventstore::on_sql!(sql, reader, |p| {
        sqlx::query_as::<_, JobRow>(&query)
            .bind(job_id)
            .fetch_optional(p)
            .await
    })
}

/// An account's jobs, newest first.
pub async fn jobs_of(sql: &SqlPool, account: &str, limit: i64) -> Result<Vec<JobRow>, sqlx::Error> {
    let query = format!(
        "SELECT {JOB_COLUMNS} FROM import_jobs WHERE account_id = $1 \
         ORDER BY received_at DESC, job_id DESC LIMIT $2"
    );
    eventstore::on_sql!(sql, reader, |p| {
        sqlx::query_as::<_, JobRow>(&query)
            .bind(account)
            .bind(limit)
            .fetch_all(p)
            .await
    })
}

/// The jobs that are neither finished nor failed: the ones to resume after a restart.
pub async fn unfinished(sql: &SqlPool) -> Result<Vec<String>, sqlx::Error> {
    eventstore::on_sql!(sql, reader, |p| {
        sqlx::query_scalar::<_, String>(
            "SELECT job_id FROM import_jobs WHERE status IN ('received', 'applying') \
             ORDER BY received_at",
        )
        .fetch_all(p)
        .await
    })
}

/// One row's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct RowEntry {
    #[serde(rename = "row")]
    pub row_no: i64,
    pub outcome: String,
    pub form_id: Option<String>,
    pub action: Option<String>,
    /// JSON array of `{column, code, message_ja, message_en}`.
    #[serde(skip)]
    pub errors: Option<String>,
}

impl RowEntry {
    pub fn issues(&self) -> Vec<domain::import_job::RowIssue> {
        self.errors
            .as_deref()
            .and_then(|e| serde_json::from_str(e).ok())
            .unwrap_or_default()
    }
}

/// Row outcomes of a job after row `after`, in row order; `outcome` filters.
pub async fn rows(
    sql: &SqlPool,
    job_id: &str,
    after: i64,
    outcome: Option<&str>,
    limit: i64,
) -> Result<Vec<RowEntry>, sqlx::Error> {
    eventstore::on_sql!(sql, reader, |p| {
        sqlx::query_as::<_, RowEntry>(
            "SELECT row_no, outcome, form_id, action, errors FROM import_rows \
             WHERE job_id = $1 AND row_no > $2 AND ($3 IS NULL OR outcome = $3) \
             ORDER BY row_no LIMIT $4",
        )
        .bind(job_id)
        .bind(after)
        .bind(outcome)
        .bind(limit)
        .fetch_all(p)
        .await
    })
}

pub struct FormKeys;

impl Projection for FormKeys {
    fn name(&self) -> &'static str {
        KEYS
    }

    fn stream_types(&self) -> &'static [&'static str] {
        &["form"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["form_keys"]
    }

    async fn apply(&self, tx: &mut Tx<'_>, event: &RecordedEvent) -> Result<(), ProjectionError> {
        let form = event.stream.id.as_str();
        // Only the events that set a key are decoded: most form events are edits.
        match event.event_type.as_str() {
            "FormDrafted"
            | "FormSubmitted"
            | "AdministrativeFieldsRecorded"
            | "PatientDataChanged" => {}
            _ => return Ok(()),
        }
        let decoded: FormEvent = event.decode().map_err(|e| event_error(event, e))?;
        match decoded {
            FormEvent::FormDrafted {
                program,
                jurisdiction,
                patient,
                ..
            } => {
                exec!(
                    tx,
                    "INSERT INTO form_keys (form_id, program, jurisdiction, patient_recipient) \
                     VALUES ($1, $2, $3, $4)",
                    form,
                    program.as_str(),
                    jurisdiction.to_string(),
                    patient.recipient_number.map(|r| r.to_string()),
                )?;
            }
            FormEvent::FormSubmitted { access_key, .. } => {
                exec!(
                    tx,
                    "UPDATE form_keys SET access_key = $2 WHERE form_id = $1",
                    form,
                    access_key,
                )?;
            }
            FormEvent::PatientDataChanged { patient, .. } => {
                exec!(
                    tx,
                    "UPDATE form_keys SET patient_recipient = $2 WHERE form_id = $1",
                    form,
                    patient.recipient_number.map(|r| r.to_string()),
                )?;
            }
            FormEvent::AdministrativeFieldsRecorded { changes } => {
                // The municipality's 受給者番号 (null when it clears it); the patient's stays.
                for c in changes.iter().filter(|c| c.item == "recipient_number") {
                    exec!(
                        tx,
                        "UPDATE form_keys SET admin_recipient = $2 WHERE form_id = $1",
                        form,
                        c.new.as_str().map(str::to_owned),
                    )?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The form that carries アクセスキー `key` in `program`, with its jurisdiction.
pub async fn form_by_access_key(
    sql: &SqlPool,
    program: &str,
    key: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    eventstore::on_sql!(sql, reader, |p| {
        sqlx::query_as::<_, (String, String)>(
            "SELECT form_id, jurisdiction FROM form_keys WHERE access_key = $1 AND program = $2",
        )
        .bind(key)
        .bind(program)
        .fetch_optional(p)
        .await
    })
}

/// The forms of `jurisdiction` carrying 受給者番号 `number`, as the patient's or as the one the
/// municipality recorded (several when the patient has several forms: the caller picks the one
/// awaiting a result).
pub async fn forms_by_recipient_number(
    sql: &SqlPool,
    program: &str,
    jurisdiction: &str,
    number: &str,
) -> Result<Vec<String>, sqlx::Error> {
    eventstore::on_sql!(sql, reader, |p| {
        sqlx::query_scalar::<_, String>(
            "SELECT form_id FROM form_keys WHERE program = $1 AND jurisdiction = $2 \
             AND (patient_recipient = $3 OR admin_recipient = $3) ORDER BY form_id",
        )
        .bind(program)
        .bind(jurisdiction)
        .bind(number)
        .fetch_all(p)
        .await
    })
}
