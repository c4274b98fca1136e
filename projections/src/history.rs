//! The history inquiry view (履歴照会): one row per event of a form, a form read, an account or
//! an institution, with when, who (account and role), what (the event type), why (the reason)
//! and the details — for edits each item's old and new value — and one per read refused on a
//! form, an account or an institution (`ReadRefused`, under the record's program). Each row names the form, the
//! patient (by grouping key), the institution and the account it concerns, so that the history
//! of any of them is one indexed query.
//!
//! The details never carry the patient's identity (names, birth date, address, insurance
//! numbers) nor the アクセスキー: the drafting event is reduced to what the form is about.

use domain::account::AccountEvent;
use domain::audit::AccessEvent;
use domain::form::FormEvent;
use eventstore::{RecordedEvent, SqlPool};
use serde::Serialize;
use serde_json::{json, Value};

use std::collections::HashMap;

use crate::{insert_rows, millis, Param, Projection, ProjectionError, Tx};

pub const NAME: &str = "history";

/// The event type of a refused read: the auditors' entries.
pub const READ_REFUSED: &str = "ReadRefused";

pub struct History;

fn event_error(event: &RecordedEvent, reason: impl ToString) -> ProjectionError {
    ProjectionError::Event {
        position: event.position,
        reason: reason.to_string(),
    }
}

/// What a row is about, besides its own stream.
#[derive(Default)]
struct Subjects {
    form_id: Option<String>,
    patient_key: Option<String>,
    institution: Option<String>,
    account_id: Option<String>,
}

impl Projection for History {
    fn name(&self) -> &'static str {
        NAME
    }

    fn stream_types(&self) -> &'static [&'static str] {
        &[
            "form",
            domain::audit::FORM_READS,
            domain::audit::ACCOUNT_READS,
            domain::audit::INSTITUTION_READS,
            "account",
            "institution",
        ]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["history", "history_forms"]
    }

    async fn apply(&self, tx: &mut Tx<'_>, event: &RecordedEvent) -> Result<(), ProjectionError> {
        self.apply_all(tx, &[event]).await
    }

    /// One multi-row insert per page: the forms drafted in the page are known from the page
    /// itself, the others are looked up in one query.
    async fn apply_all(
        &self,
        tx: &mut Tx<'_>,
        events: &[&RecordedEvent],
    ) -> Result<(), ProjectionError> {
        // Each event decoded once, with the form it concerns (if any).
        let mut decoded = Vec::with_capacity(events.len());
        let mut forms: HashMap<String, (String, String)> = HashMap::new();
        let mut drafted = vec![];
        let mut rekeyed: Vec<(String, String)> = vec![];
        // A refused read's row is under the record's program, not the caller's.
        let mut programs: HashMap<u64, domain::Program> = HashMap::new();
        for event in events {
            let item = match event.stream.stream_type.as_str() {
                "form" => {
                    let e: FormEvent = event.decode().map_err(|e| event_error(event, e))?;
                    if let FormEvent::FormDrafted {
                        program,
                        institution,
                        patient,
                        ..
                    } = &e
                    {
                        let subjects = (patient.key(*program), institution.to_string());
                        drafted.push(vec![
                            Param::from(event.stream.id.clone()),
                            subjects.0.clone().into(),
                            subjects.1.clone().into(),
                        ]);
                        forms.insert(event.stream.id.clone(), subjects);
                    }
                    // A corrected patient moves the form's whole history to the patient's
                    // key after the change (applied after this page's rows are in).
                    if let FormEvent::PatientDataChanged {
                        program, patient, ..
                    } = &e
                    {
                        rekeyed.push((event.stream.id.clone(), patient.key(*program)));
                    }
                    let details = form_details(&e, event)?;
                    Decoded::Form(event.stream.id.clone(), details)
                }
                domain::audit::FORM_READS => {
                    match event.decode().map_err(|e| event_error(event, e))? {
                        AccessEvent::FormRead {
                            form, what, origin, ..
                        } => Decoded::Form(form, json!({ "what": what, "origin": origin })),
                        AccessEvent::ReadRefused {
                            record,
                            program,
                            what,
                            origin,
                            ..
                        } => {
                            programs.insert(event.position, program);
                            Decoded::Form(record, refused(&what, &origin))
                        }
                    }
                }
                // Refused reads of an account's or an institution's history.
                domain::audit::ACCOUNT_READS | domain::audit::INSTITUTION_READS => {
                    let AccessEvent::ReadRefused {
                        record,
                        program,
                        what,
                        origin,
                        ..
                    } = event.decode().map_err(|e| event_error(event, e))?
                    else {
                        return Err(event_error(event, "a read of an account or institution"));
                    };
                    programs.insert(event.position, program);
                    let mut subjects = Subjects::default();
                    if event.stream.stream_type == domain::audit::ACCOUNT_READS {
                        subjects.account_id = Some(record);
                    } else {
                        subjects.institution = Some(record);
                    }
                    Decoded::Other(subjects, Some(refused(&what, &origin)))
                }
                "account" => {
                    let e: AccountEvent = event.decode().map_err(|e| event_error(event, e))?;
                    let institution = match &e {
                        AccountEvent::AccountCreated { account, .. } => account
                            .primary_institution
                            .as_ref()
                            .or(account.responsible_for.as_ref())
                            .map(|i| i.to_string()),
                        _ => event
                            .payload
                            .get("institution")
                            .or_else(|| event.payload.get("to"))
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                    };
                    Decoded::Other(
                        Subjects {
                            account_id: Some(event.stream.id.clone()),
                            institution,
                            ..Subjects::default()
                        },
                        None,
                    )
                }
                // Institution master events: the stream id is the institution code.
                _ => Decoded::Other(
                    Subjects {
                        institution: Some(event.stream.id.clone()),
                        ..Subjects::default()
                    },
                    None,
                ),
            };
            decoded.push(item);
        }
        let unknown: Vec<String> = decoded
            .iter()
            .filter_map(|d| match d {
                Decoded::Form(f, _) if !forms.contains_key(f) => Some(f.clone()),
                _ => None,
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        for chunk in unknown.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let query = format!(
                "SELECT form_id, patient_key, institution FROM history_forms \
                 WHERE form_id IN ({})",
                marks.join(", ")
            );
            let sql = tx.sql(&query).into_owned();
            let rows: Vec<(String, String, String)> = match &mut tx.conn {
                crate::TxConn::Postgres(c) => {
                    let mut q = sqlx::query_as(&sql);
                    for f in chunk {
                        q = q.bind(f);
                    }
                    q.fetch_all(&mut **c).await?
                }
                crate::TxConn::Sqlite(c) => {
                    let mut q = sqlx::query_as(&sql);
                    for f in chunk {
                        q = q.bind(f);
                    }
                    q.fetch_all(&mut **c).await?
                }
            };
            for (form, patient, institution) in rows {
                forms.insert(form, (patient, institution));
            }
        }
        let mut rows = Vec::with_capacity(events.len());
        for (event, item) in events.iter().zip(decoded) {
            let (subjects, details) = match item {
                Decoded::Form(form, details) => {
                    let Some((patient, institution)) = forms.get(&form) else {
                        return Err(event_error(event, "an event of a form never drafted"));
                    };
                    let subjects = Subjects {
                        form_id: Some(form),
                        patient_key: Some(patient.clone()),
                        institution: Some(institution.clone()),
                        account_id: None,
                    };
                    (subjects, details)
                }
                Decoded::Other(subjects, details) => {
                    (subjects, details.unwrap_or_else(|| event.payload.clone()))
                }
            };
            let program = programs
                .get(&event.position)
                .copied()
                .or(event.metadata.program);
            rows.push(vec![
                Param::from(event.position as i64),
                Param::Text(program.map(|p| p.as_str().to_owned())),
                event.stream.stream_type.clone().into(),
                event.stream.id.clone().into(),
                (event.version as i64).into(),
                event.event_type.clone().into(),
                millis(event.recorded_at).into(),
                event.metadata.actor.clone().into(),
                event.metadata.role.as_str().into(),
                event.metadata.reason.clone().into(),
                subjects.form_id.into(),
                subjects.patient_key.into(),
                subjects.institution.into(),
                subjects.account_id.into(),
                details.to_string().into(),
            ]);
        }
        insert_rows(
            tx,
            "history_forms",
            &["form_id", "patient_key", "institution"],
            drafted,
            "",
        )
        .await?;
        insert_rows(
            tx,
            "history",
            &[
                "position",
                "program",
                "stream_type",
                "stream_id",
                "version",
                "event_type",
                "at",
                "actor",
                "role",
                "reason",
                "form_id",
                "patient_key",
                "institution",
                "account_id",
                "details",
            ],
            rows,
            "",
        )
        .await?;
        for (form, key) in rekeyed {
            for table in ["history_forms", "history"] {
                crate::exec_params(
                    tx,
                    &format!("UPDATE {table} SET patient_key = $2 WHERE form_id = $1"),
                    &[form.clone().into(), key.clone().into()],
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// An event of the page, decoded once.
enum Decoded {
    /// Of a form (its own event, a read of it or a refused one), with the details shown.
    Form(String, Value),
    /// Of an account or an institution, with the details shown (default: the payload).
    Other(Subjects, Option<Value>),
}

/// What the history shows of a refused read: the route and where it came from, marked.
fn refused(what: &str, origin: &Option<String>) -> Value {
    json!({ "what": what, "origin": origin, "refused": true })
}

/// What the history shows of a form event: everything but the patient's identity and the
/// アクセスキー.
fn form_details(e: &FormEvent, event: &RecordedEvent) -> Result<Value, ProjectionError> {
    Ok(match e {
        FormEvent::FormDrafted {
            disease,
            form_version,
            application,
            purpose,
            institution,
            jurisdiction,
            research_consent,
            items,
            carried_over,
            paper,
            ..
        } => json!({
            "disease": disease, "form_version": form_version, "application": application,
            "purpose": purpose, "institution": institution, "jurisdiction": jurisdiction,
            "research_consent": research_consent, "items": items,
            "carried_over": carried_over, "paper": paper.as_ref().map(|p| &p.sha256),
        }),
        FormEvent::FormSubmitted { by, .. } => json!({ "by": by }),
        FormEvent::FormReceived { .. } => json!({}),
        // Which fields changed, not their values: the patient's data are read (and the read
        // recorded) through the form itself, as of any version.
        FormEvent::PatientDataChanged { changes, .. } => json!({
            "fields": changes.iter().map(|c| c.field.as_str()).collect::<Vec<_>>(),
        }),
        other => {
            let mut value = serde_json::to_value(other).map_err(|e| event_error(event, e))?;
            if let Some(fields) = value.as_object_mut() {
                fields.remove("type");
            }
            value
        }
    })
}

/// One entry of a history.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Entry {
    pub position: i64,
    pub program: Option<String>,
    pub stream_type: String,
    pub stream_id: String,
    pub version: i64,
    pub event_type: String,
    /// Unix milliseconds.
    pub at: i64,
    pub actor: String,
    pub role: String,
    pub reason: Option<String>,
    pub form_id: Option<String>,
    pub institution: Option<String>,
    pub account_id: Option<String>,
    pub details: String,
}

/// Whose history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Form(String),
    /// By patient grouping key.
    Patient(String),
    Institution(String),
    /// What happened to the account and what it did.
    Account(String),
}

/// The history of `subject`, oldest first, after position `after`, at most `limit` entries.
pub async fn of(
    sql: &SqlPool,
    subject: &Subject,
    after: i64,
    limit: i64,
) -> Result<Vec<Entry>, sqlx::Error> {
    const COLUMNS: &str = "position, program, stream_type, stream_id, version, event_type, at, \
                           actor, role, reason, form_id, institution, account_id, details";
    let (condition, key) = match subject {
        Subject::Form(f) => ("form_id = $1", f),
        Subject::Patient(p) => ("patient_key = $1", p),
        Subject::Institution(i) => ("institution = $1", i),
        Subject::Account(a) => ("(account_id = $1 OR actor = $1)", a),
    };
    let query = format!(
        "SELECT {COLUMNS} FROM history WHERE {condition} AND position > $2 \
         ORDER BY position LIMIT $3"
    );
    eventstore::on_sql!(sql, reader, |p| {
        sqlx::query_as::<_, Entry>(&query)
            .bind(key)
            .bind(after)
            .bind(limit)
            .fetch_all(p)
            .await
    })
}
