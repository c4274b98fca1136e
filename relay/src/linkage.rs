//! 履歴照会・回答: the linkage with the national history inquiry / response system.
//!
//! - The **inquirer** follows the store (checkpoint `linkage.inquirer`) and, for each
//!   `FormDrafted` or `PatientDataChanged` whose identity or insurance data are new for the
//!   patient (no inquiry yet, or a different keyed identity digest), appends `LinkageInquired`
//!   to the patient's record (stream `patient/<Patient::key>`), idempotently keyed by the form
//!   event.
//! - The **inquiries view** (projection `linkage.inquiries`) lists every inquiry and whether it
//!   was answered; an inquiry made for newer data supersedes an older unanswered one.
//! - The **sender** publishes each unanswered inquiry on `linkage.inquiry.<program>` (core NATS,
//!   never JetStream: the message carries identity data and must not be stored on the bus),
//!   reading the identity from the form that caused it (the data the inquiry was made for:
//!   those with its identity digest), and retries with exponential backoff; an inquiry that a
//!   later one on the patient's record superseded is not sent.
//! - The **listener** consumes `linkage.response.<program>` and appends `LinkageIdAssigned` or
//!   `LinkageNotFound`; a repeated or late answer for an answered request appends nothing.

use std::sync::Arc;
use std::time::Duration;

use domain::form::{FormEvent, Patient};
use domain::patient::{PatientEvent, PatientRecord, PATIENT};
use domain::pseudonym::PseudonymKey;
use domain::{Program, Role};
use eventstore::{
    EventStore, ExpectedVersion, IdempotencyKey, Metadata, NewEvent, RecordedEvent, SqlPool,
    StoreError, StreamId,
};
use futures::StreamExt;
use projections::{exec, Projection, ProjectionError, Tx};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use uuid::Uuid;

use crate::follow::{self, Faults, FollowError, Step};

/// The checkpoint of the inquirer.
pub const INQUIRER: &str = "linkage.inquirer";
/// The projection listing inquiries.
pub const INQUIRIES: &str = "linkage.inquiries";

/// `linkage.inquiry.<program>`.
pub fn inquiry_subject(program: Program) -> String {
    format!("linkage.inquiry.{program}")
}

/// `linkage.response.<program>`.
pub fn response_subject(program: Program) -> String {
    format!("linkage.response.{program}")
}

/// An inquiry (履歴照会) as sent to the history inquiry / response system. Personal data: only
/// on `linkage.inquiry.*`, which a deployment restricts to the registry and the responder.
#[derive(Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkageInquiry {
    pub request_id: String,
    /// `nanbyo` or `shoman`.
    pub program: String,
    /// The registry's keyed patient pseudonym.
    pub patient: String,
    /// カナ氏名 as written on the form.
    pub name_kana: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// `male` or `female`.
    pub sex: String,
    /// 保険者番号.
    pub insurer_number: Option<String>,
    /// 被保険者記号・番号.
    pub insured_symbol_number: Option<String>,
}

impl std::fmt::Debug for LinkageInquiry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkageInquiry")
            .field("request_id", &self.request_id)
            .field("program", &self.program)
            .finish_non_exhaustive()
    }
}

/// An answer (回答) on `linkage.response.<program>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "result", rename_all = "snake_case", deny_unknown_fields)]
pub enum LinkageResponse {
    /// The system's pseudonymous linkage id for the patient.
    Assigned {
        request_id: String,
        linkage_id: String,
    },
    /// No such patient, or the inquiry was refused; `reason` is a code of the system's.
    NotFound { request_id: String, reason: String },
}

impl LinkageResponse {
    pub fn request_id(&self) -> &str {
        match self {
            LinkageResponse::Assigned { request_id, .. }
            | LinkageResponse::NotFound { request_id, .. } => request_id,
        }
    }
}

#[derive(Debug, Clone)]
pub struct LinkageConfig {
    pub nats_url: String,
    /// The first retry of an unanswered inquiry; each later one waits twice as long.
    pub retry_base: Duration,
    /// The longest wait between two sends of one inquiry.
    pub retry_max: Duration,
}

impl LinkageConfig {
    pub fn new(nats_url: impl Into<String>) -> Self {
        LinkageConfig {
            nats_url: nats_url.into(),
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(3600),
        }
    }
}

/// A keyed digest of what an inquiry sends (kana without spaces, birth date, sex, insurer,
/// insured symbol/number): equal data give equal digests; without the key it reveals nothing.
pub fn identity_digest(key: &PseudonymKey, program: Program, patient: &Patient) -> String {
    let kana: String = patient
        .name_kana
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let sex = serde_json::to_string(&patient.sex).unwrap_or_default();
    // Another input domain than patient keys (hex digits only), under the same keyed HMAC.
    key.pseudonym(
        program,
        &format!(
            "identity/v1|{kana}|{}|{sex}|{}|{}",
            patient.birth_date,
            patient.insurer_number.as_deref().unwrap_or(""),
            patient.insured_symbol_number.as_deref().unwrap_or("")
        ),
    )
}

fn system(program: Program, correlation: Uuid, causation: Option<Uuid>) -> Metadata {
    let mut m = Metadata::new("system", Role::System, Some(program));
    m.correlation_id = correlation;
    m.causation_id = causation;
    m
}

fn record(events: &[RecordedEvent]) -> Result<PatientRecord, StoreError> {
    let mut record = PatientRecord::default();
    for e in events {
        let event: PatientEvent = e.decode().map_err(|err| StoreError::Corrupt {
            position: e.position,
            reason: err.to_string(),
        })?;
        record = record.apply(&event);
    }
    Ok(record)
}

// ---- inquirer ----

struct Inquirer {
    store: Arc<dyn EventStore>,
    key: PseudonymKey,
}

impl Inquirer {
    async fn inquire(&self, event: &RecordedEvent) -> anyhow::Result<()> {
        if event.stream.stream_type != "form"
            || !matches!(
                event.event_type.as_str(),
                "FormDrafted" | "PatientDataChanged"
            )
        {
            return Ok(());
        }
        let (program, patient) = match event.decode::<FormEvent>()? {
            FormEvent::FormDrafted {
                program, patient, ..
            } => (program, patient),
            FormEvent::PatientDataChanged {
                program, patient, ..
            } => (program, patient),
            _ => return Ok(()),
        };
        let digest = identity_digest(&self.key, program, &patient);
        let stream = StreamId::new(PATIENT, &patient.key(program))?;
        // Deterministic, so a repeated attempt appends the same event (and the idempotency key
        // makes it append nothing).
        let request_id = Uuid::new_v5(&event.event_id, b"linkage-inquiry").to_string();
        let idempotency = IdempotencyKey::parse(&format!("linkage-inquiry:{}", event.event_id))?;
        loop {
            let events = self.store.read_stream(&stream, 1).await?;
            let Some(cause) = record(&events)?.inquiry_needed(&digest) else {
                return Ok(());
            };
            let expected = events.last().map_or(ExpectedVersion::NoStream, |e| {
                ExpectedVersion::Exact(e.version)
            });
            let new = NewEvent::from_domain(
                &PatientEvent::LinkageInquired {
                    request_id: request_id.clone(),
                    program,
                    form: event.stream.id.clone(),
                    cause,
                    identity_digest: digest.clone(),
                },
                system(program, event.metadata.correlation_id, Some(event.event_id)),
            )?;
            match self
                .store
                .append(&stream, expected, vec![new], Some(&idempotency))
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if e.is_conflict() => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl Step for Inquirer {
    async fn handle(&mut self, page: &[RecordedEvent]) -> (usize, Option<anyhow::Error>) {
        for (i, event) in page.iter().enumerate() {
            if let Err(e) = self.inquire(event).await {
                return (i, Some(e));
            }
        }
        (page.len(), None)
    }
}

// ---- inquiries view ----

/// The inquiries and their answers (table `linkage_inquiries`). The sender keeps its attempt
/// counters in the same rows; a rebuild starts them again.
pub struct Inquiries;

fn millis(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

impl Projection for Inquiries {
    fn name(&self) -> &'static str {
        INQUIRIES
    }

    fn stream_types(&self) -> &'static [&'static str] {
        &[PATIENT]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["linkage_inquiries"]
    }

    async fn apply(&self, tx: &mut Tx<'_>, event: &RecordedEvent) -> Result<(), ProjectionError> {
        let decoded: PatientEvent = event.decode().map_err(|e| ProjectionError::Event {
            position: event.position,
            reason: e.to_string(),
        })?;
        let at = millis(event.recorded_at);
        match decoded {
            PatientEvent::LinkageInquired {
                request_id,
                program,
                form,
                ..
            } => {
                exec!(
                    tx,
                    "UPDATE linkage_inquiries SET answered_at = $1, outcome = 'superseded' \
                     WHERE patient_key = $2 AND answered_at IS NULL",
                    at,
                    event.stream.id.as_str(),
                )?;
                exec!(
                    tx,
                    "INSERT INTO linkage_inquiries (request_id, program, patient_key, form_id, \
                     inquired_at, attempts, next_attempt_at) VALUES ($1, $2, $3, $4, $5, 0, $5) \
                     ON CONFLICT (request_id) DO NOTHING",
                    request_id,
                    program.as_str(),
                    event.stream.id.as_str(),
                    form,
                    at,
                )?;
            }
            PatientEvent::LinkageIdAssigned { request_id, .. } => {
                exec!(
                    tx,
                    "UPDATE linkage_inquiries SET answered_at = $1, outcome = 'assigned' \
                     WHERE request_id = $2",
                    at,
                    request_id,
                )?;
            }
            PatientEvent::LinkageNotFound { request_id, .. } => {
                exec!(
                    tx,
                    "UPDATE linkage_inquiries SET answered_at = $1, outcome = 'not_found' \
                     WHERE request_id = $2",
                    at,
                    request_id,
                )?;
            }
        }
        Ok(())
    }
}

/// An inquiry without an answer yet (no personal data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Unanswered {
    pub request_id: String,
    pub program: String,
    pub form_id: String,
    /// Unix milliseconds.
    pub inquired_at: i64,
    pub attempts: i64,
    pub last_attempt_at: Option<i64>,
    pub next_attempt_at: i64,
}

/// Every unanswered inquiry, oldest first.
pub async fn unanswered(sql: &SqlPool) -> Result<Vec<Unanswered>, sqlx::Error> {
    Ok(eventstore::on_sql!(sql, reader, |p| {
        sqlx::query_as::<_, Unanswered>(
            "SELECT request_id, program, form_id, inquired_at, attempts, last_attempt_at, \
             next_attempt_at FROM linkage_inquiries WHERE answered_at IS NULL \
             ORDER BY inquired_at, request_id",
        )
        .fetch_all(p)
        .await?
    }))
}

/// The outcome recorded for `request_id` (`assigned`, `not_found`, `superseded`), if any.
pub async fn outcome(sql: &SqlPool, request_id: &str) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(Option<String>,)> = eventstore::on_sql!(sql, reader, |p| {
        sqlx::query_as("SELECT outcome FROM linkage_inquiries WHERE request_id = $1")
            .bind(request_id)
            .fetch_optional(p)
            .await?
    });
    Ok(row.and_then(|(o,)| o))
}

// ---- sender ----

/// The inquiry for one row, or `None` when the patient's record holds a later inquiry (the row
/// is superseded; the view marks it so once it applies that inquiry).
///
/// The identity sent is the one the inquiry was made for: the form's patient data whose keyed
/// digest is the inquiry's `identity_digest` (the latest such, under the row's patient key). A
/// correction made before the inquiry went out (a new insurer) made an inquiry of its own; had
/// this one read the form as it stands now, both would have sent the same corrected data — two
/// identical inquiries. A correction that changed the key (kana, birth date, sex) asks under
/// the new key; this one keeps asking about the data it was made for, so no answer lands on
/// another key's record.
async fn build_inquiry(
    store: &Arc<dyn EventStore>,
    key: &PseudonymKey,
    request_id: &str,
    form_id: &str,
    patient_key: &str,
) -> anyhow::Result<Option<(Program, LinkageInquiry)>> {
    let mut digest = None;
    let mut superseded = false;
    for e in store
        .read_stream(&StreamId::new(PATIENT, patient_key)?, 1)
        .await?
    {
        if let PatientEvent::LinkageInquired {
            request_id: r,
            identity_digest,
            ..
        } = e.decode::<PatientEvent>()?
        {
            if r == request_id {
                digest = Some(identity_digest);
            } else if digest.is_some() {
                superseded = true;
            }
        }
    }
    let Some(digest) = digest else {
        anyhow::bail!("inquiry {request_id}: not on the record of its patient key");
    };
    if superseded {
        return Ok(None);
    }
    let stream = StreamId::new("form", form_id)?;
    let mut program = None;
    let mut asked: Option<Box<Patient>> = None;
    for e in store.read_stream(&stream, 1).await? {
        let patient = match e.event_type.as_str() {
            "FormDrafted" | "PatientDataChanged" => match e.decode::<FormEvent>()? {
                FormEvent::FormDrafted {
                    program: p,
                    patient,
                    ..
                } => {
                    program = Some(p);
                    patient
                }
                FormEvent::PatientDataChanged { patient, .. } => patient,
                _ => continue,
            },
            _ => continue,
        };
        if program.is_some_and(|p| {
            patient.key(p) == patient_key && identity_digest(key, p, &patient) == digest
        }) {
            asked = Some(patient);
        }
    }
    let (Some(program), Some(patient)) = (program, asked) else {
        anyhow::bail!("inquiry {request_id}: its form never named the data it asks about");
    };
    let sex = serde_json::to_value(patient.sex)?
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Ok(Some((
        program,
        LinkageInquiry {
            request_id: request_id.to_owned(),
            program: program.as_str().to_owned(),
            patient: key.pseudonym(program, &patient.key(program)),
            name_kana: patient.name_kana.clone(),
            birth_date: patient.birth_date.clone(),
            sex,
            insurer_number: patient.insurer_number.clone(),
            insured_symbol_number: patient.insured_symbol_number.clone(),
        },
    )))
}

fn backoff(config: &LinkageConfig, attempts: i64) -> Duration {
    let factor = 2u32.saturating_pow(attempts.clamp(0, 20) as u32);
    config
        .retry_base
        .saturating_mul(factor)
        .min(config.retry_max)
}

/// Sends every due inquiry once; returns how many were sent.
pub async fn send_due(
    store: &Arc<dyn EventStore>,
    client: &async_nats::Client,
    key: &PseudonymKey,
    config: &LinkageConfig,
) -> anyhow::Result<usize> {
    let sql = store.sql();
    let now = chrono::Utc::now().timestamp_millis();
    let due: Vec<(String, String, String, i64)> = eventstore::on_sql!(&sql, reader, |p| {
        sqlx::query_as(
            "SELECT request_id, form_id, patient_key, attempts FROM linkage_inquiries \
             WHERE answered_at IS NULL AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at LIMIT 200",
        )
        .bind(now)
        .fetch_all(p)
        .await?
    });
    let mut sent = 0;
    for (request_id, form_id, patient_key, attempts) in due {
        let next = now + backoff(config, attempts).as_millis() as i64;
        // Claim this attempt: of several processes, one sends it.
        let claimed = eventstore::on_sql!(&sql, writer, |p| {
            sqlx::query(
                "UPDATE linkage_inquiries SET attempts = attempts + 1, last_attempt_at = $1, \
                 next_attempt_at = $2 WHERE request_id = $3 AND attempts = $4 \
                 AND answered_at IS NULL",
            )
            .bind(now)
            .bind(next)
            .bind(&request_id)
            .bind(attempts)
            .execute(p)
            .await?
            .rows_affected()
        });
        if claimed != 1 {
            continue;
        }
        let Some((program, inquiry)) =
            build_inquiry(store, key, &request_id, &form_id, &patient_key).await?
        else {
            continue;
        };
        client
            .publish(
                inquiry_subject(program),
                serde_json::to_vec(&inquiry)?.into(),
            )
            .await?;
        sent += 1;
    }
    if sent > 0 {
        client.flush().await?;
    }
    Ok(sent)
}

/// What an answer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    Recorded,
    /// The request had an answer already: nothing appended.
    Duplicate,
    /// Not a request of this registry (or of another program): ignored.
    Unknown,
}

/// Records an answer on the patient's record.
pub async fn record_answer(
    store: &Arc<dyn EventStore>,
    program: Program,
    answer: &LinkageResponse,
) -> anyhow::Result<Answered> {
    let request_id = answer.request_id();
    let row: Option<(String, String)> = eventstore::on_sql!(&store.sql(), reader, |p| {
        sqlx::query_as("SELECT patient_key, program FROM linkage_inquiries WHERE request_id = $1")
            .bind(request_id)
            .fetch_optional(p)
            .await?
    });
    let Some((patient_key, row_program)) = row else {
        return Ok(Answered::Unknown);
    };
    if row_program != program.as_str() {
        return Ok(Answered::Unknown);
    }
    let stream = StreamId::new(PATIENT, &patient_key)?;
    let events = store.read_stream(&stream, 1).await?;
    if record(&events)?.is_answered(request_id) {
        return Ok(Answered::Duplicate);
    }
    let event = match answer {
        LinkageResponse::Assigned {
            request_id,
            linkage_id,
        } => PatientEvent::LinkageIdAssigned {
            request_id: request_id.clone(),
            linkage_id: linkage_id.clone(),
        },
        LinkageResponse::NotFound { request_id, reason } => PatientEvent::LinkageNotFound {
            request_id: request_id.clone(),
            reason: reason.clone(),
        },
    };
    let correlation = Uuid::parse_str(request_id).unwrap_or_else(|_| Uuid::now_v7());
    let new = NewEvent::from_domain(&event, system(program, correlation, None))?;
    // Two copies of one answer racing each other: the idempotency key lets one append.
    let key = IdempotencyKey::parse(&format!("linkage-answer:{request_id}"))?;
    let result = store
        .append(&stream, ExpectedVersion::Any, vec![new], Some(&key))
        .await?;
    Ok(if result.duplicate {
        Answered::Duplicate
    } else {
        Answered::Recorded
    })
}

async fn listen(
    store: &Arc<dyn EventStore>,
    client: &async_nats::Client,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), FollowError> {
    let mut answers = client
        .queue_subscribe("linkage.response.*", "nanbyo-linkage".into())
        .await
        .map_err(|e| FollowError::Step(e.into()))?;
    loop {
        let message = tokio::select! {
            m = answers.next() => m,
            _ = shutdown.changed() => return Ok(()),
        };
        let Some(message) = message else {
            return Err(FollowError::Step(anyhow::anyhow!("subscription closed")));
        };
        let program = message
            .subject
            .as_str()
            .rsplit('.')
            .next()
            .and_then(|p| p.parse::<Program>().ok());
        let (Some(program), Ok(answer)) = (
            program,
            serde_json::from_slice::<LinkageResponse>(&message.payload),
        ) else {
            tracing::warn!(subject = %message.subject, "linkage answer not understood; ignored");
            continue;
        };
        match record_answer(store, program, &answer).await {
            Ok(Answered::Recorded) => {
                tracing::info!(request_id = answer.request_id(), "linkage answer recorded")
            }
            Ok(Answered::Duplicate) => {
                tracing::info!(request_id = answer.request_id(), "duplicate linkage answer")
            }
            Ok(Answered::Unknown) => {
                tracing::warn!(
                    request_id = answer.request_id(),
                    "answer to an unknown request"
                )
            }
            // The inquiry stays unanswered and is sent again: the answer comes back.
            Err(e) => tracing::warn!(request_id = answer.request_id(), error = %e,
                "cannot record a linkage answer"),
        }
    }
}

async fn send_loop(
    store: &Arc<dyn EventStore>,
    client: &async_nats::Client,
    key: &PseudonymKey,
    config: &LinkageConfig,
    shutdown: &mut watch::Receiver<bool>,
    mut inquiries: watch::Receiver<u64>,
) -> Result<(), FollowError> {
    let tick = config.retry_base.min(Duration::from_secs(1));
    loop {
        if *shutdown.borrow() {
            return Ok(());
        }
        inquiries.borrow_and_update();
        send_due(store, client, key, config)
            .await
            .map_err(FollowError::Step)?;
        tokio::select! {
            _ = inquiries.changed() => {}
            _ = tokio::time::sleep(tick) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Starts the inquirer, the inquiries view, the sender and the listener.
pub fn spawn(
    store: Arc<dyn EventStore>,
    config: LinkageConfig,
    key: PseudonymKey,
    shutdown: watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let (view_progress, view_moved) = watch::channel(0u64);
    let mut tasks = vec![tokio::spawn(projections::run(
        store.clone(),
        Inquiries,
        shutdown.clone(),
        Some(view_progress),
    ))];
    {
        let (store, key, stop) = (store.clone(), key.clone(), shutdown.clone());
        tasks.push(tokio::spawn(async move {
            follow::restarting(
                "linkage inquirer",
                stop.clone(),
                Duration::from_secs(5),
                || {
                    let mut stop = stop.clone();
                    let mut step = Inquirer {
                        store: store.clone(),
                        key: key.clone(),
                    };
                    let store = store.clone();
                    async move {
                        follow::follow(
                            &store,
                            INQUIRER,
                            &mut step,
                            &mut stop,
                            None,
                            &Faults::default(),
                        )
                        .await
                    }
                },
            )
            .await
        }));
    }
    {
        let (store, config, stop) = (store.clone(), config.clone(), shutdown.clone());
        tasks.push(tokio::spawn(async move {
            follow::restarting("linkage", stop.clone(), Duration::from_secs(5), || {
                let (store, config, key, moved) = (
                    store.clone(),
                    config.clone(),
                    key.clone(),
                    view_moved.clone(),
                );
                let mut stop_send = stop.clone();
                let mut stop_listen = stop.clone();
                async move {
                    let client = crate::publisher::connect(&config.nats_url)
                        .await
                        .map_err(|e| FollowError::Step(e.into()))?;
                    // Both on one connection; either ending restarts both.
                    tokio::select! {
                        r = send_loop(&store, &client, &key, &config, &mut stop_send, moved) => r,
                        r = listen(&store, &client, &mut stop_listen) => r,
                    }
                }
            })
            .await
        }));
    }
    tasks
}
