//! The shapes that go into and come out of the store: stream ids, expected versions, metadata,
//! new events, recorded events and append results.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use domain::{DomainEvent, PayloadError, Program, Role};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::error::StoreError;

/// A stream: one aggregate instance, named by its type (`institution`, `form`, …) and its id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StreamId {
    pub stream_type: String,
    pub id: String,
}

impl StreamId {
    /// A stream type is lower-case ASCII letters, digits and `_` (it becomes part of NATS
    /// subjects); an id is 1–200 printable characters without `/`-free restrictions beyond that.
    pub fn new(stream_type: &str, id: &str) -> Result<Self, StoreError> {
        let type_ok = !stream_type.is_empty()
            && stream_type.len() <= 64
            && stream_type
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !type_ok {
            return Err(StoreError::InvalidStream(
                "stream type must be 1-64 characters of a-z, 0-9 and _".into(),
            ));
        }
        if id.is_empty() || id.chars().count() > 200 || id.chars().any(char::is_control) {
            return Err(StoreError::InvalidStream(
                "stream id must be 1-200 printable characters".into(),
            ));
        }
        Ok(StreamId {
            stream_type: stream_type.to_owned(),
            id: id.to_owned(),
        })
    }
}

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.stream_type, self.id)
    }
}

/// What the writer believes about the stream it appends to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// The stream must not exist yet.
    NoStream,
    /// The stream's last event must have exactly this version (1-based).
    Exact(u64),
    /// Append whatever the stream's version is.
    Any,
}

/// Who did it and why: carried by every event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// The account id of the actor (`system` for the registry itself).
    pub actor: String,
    pub role: Role,
    /// The program the actor worked in; `None` for program-independent actors (operator
    /// masters, the system).
    pub program: Option<Program>,
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
    /// Why the change was made; mandatory for corrections after submission.
    pub reason: Option<String>,
}

impl Metadata {
    pub fn new(actor: impl Into<String>, role: Role, program: Option<Program>) -> Self {
        Metadata {
            actor: actor.into(),
            role,
            program,
            correlation_id: Uuid::now_v7(),
            causation_id: None,
            reason: None,
        }
    }

    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
}

/// An event about to be appended.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: u32,
    pub payload: Value,
    pub metadata: Metadata,
}

impl NewEvent {
    /// Builds a new event from a domain event; the event id is a fresh UUID v7.
    pub fn from_domain<E: DomainEvent>(
        event: &E,
        metadata: Metadata,
    ) -> Result<Self, PayloadError> {
        let (event_type, schema_version, payload) = event.to_payload()?;
        Ok(NewEvent {
            event_id: Uuid::now_v7(),
            event_type,
            schema_version,
            payload,
            metadata,
        })
    }
}

/// One stream's part of an [`EventStore::append_many`](crate::EventStore::append_many).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamAppend {
    pub stream: StreamId,
    pub expected: ExpectedVersion,
    pub events: Vec<NewEvent>,
}

/// The shape rules of an `append_many`, the same on both backends and checked before anything
/// is encoded or read: 1..=`MAX_EVENTS_PER_APPEND` events in all, none of the streams empty,
/// no stream twice (its second part could chain from neither head correctly).
pub(crate) fn check_appends(appends: &[StreamAppend]) -> Result<(), StoreError> {
    let total: usize = appends.iter().map(|a| a.events.len()).sum();
    if total == 0 || total > crate::MAX_EVENTS_PER_APPEND {
        return Err(StoreError::BatchSize {
            max: crate::MAX_EVENTS_PER_APPEND,
        });
    }
    if appends.iter().any(|a| a.events.is_empty()) {
        return Err(StoreError::InvalidBatch(
            "every stream of an append_many needs at least one event",
        ));
    }
    let mut seen = HashSet::with_capacity(appends.len());
    if !appends.iter().all(|a| seen.insert(&a.stream)) {
        return Err(StoreError::InvalidBatch(
            "a stream may appear only once in an append_many",
        ));
    }
    Ok(())
}

/// For `read_streams`: the streams to query (each once) and how to hand the events back in
/// the order asked, a stream asked twice getting its events twice.
pub(crate) struct StreamsAsked<'a> {
    asked: &'a [StreamId],
    /// Stream → index of its first mention in `asked`.
    first: HashMap<&'a StreamId, usize>,
}

impl<'a> StreamsAsked<'a> {
    pub fn new(asked: &'a [StreamId]) -> Self {
        let mut first = HashMap::with_capacity(asked.len());
        for (i, s) in asked.iter().enumerate() {
            first.entry(s).or_insert(i);
        }
        StreamsAsked { asked, first }
    }

    /// Each stream asked for, once, in the order of its first mention.
    pub fn distinct(&self) -> Vec<&'a StreamId> {
        self.asked
            .iter()
            .enumerate()
            .filter(|(i, s)| self.first.get(s) == Some(i))
            .map(|(_, s)| s)
            .collect()
    }

    /// Sorts `events` (in version order within each stream) into one Vec per stream asked.
    pub fn answer(&self, events: Vec<RecordedEvent>) -> Vec<Vec<RecordedEvent>> {
        let mut out = vec![Vec::new(); self.asked.len()];
        for e in events {
            if let Some(&i) = self.first.get(&e.stream) {
                out[i].push(e);
            }
        }
        for (i, s) in self.asked.iter().enumerate() {
            let first = self.first[s];
            if first != i {
                out[i] = out[first].clone();
            }
        }
        out
    }
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    pub event_id: Uuid,
    pub stream: StreamId,
    /// 1-based position within the stream.
    pub version: u64,
    /// Position in the store's global order; gaps are possible (rolled-back appends),
    /// reordering is not.
    pub position: u64,
    pub event_type: String,
    /// The schema version of `payload` after upcasting (the current one for known types).
    pub schema_version: u32,
    pub payload: Value,
    pub metadata: Metadata,
    pub recorded_at: DateTime<Utc>,
    /// SHA-256 chained to the previous event of the stream.
    pub hash: [u8; 32],
}

impl RecordedEvent {
    /// Decodes the payload into the aggregate's event type.
    pub fn decode<E: DomainEvent>(&self) -> Result<E, PayloadError> {
        E::from_payload(&self.event_type, &self.payload)
    }
}

/// What an append did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendResult {
    /// Version of the first and last event appended.
    pub first_version: u64,
    pub last_version: u64,
    /// Global positions of the first and last event appended.
    pub first_position: u64,
    pub last_position: u64,
    /// True when the idempotency key had been used already and nothing was appended: the
    /// fields above are those of the first append.
    pub duplicate: bool,
}

/// A client-chosen key that makes a retried command append nothing twice, with an optional
/// fingerprint of the request it came with: the same key with another fingerprint is refused
/// (`IdempotencyKeyReused`) rather than answered with the first request's result.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey {
    key: String,
    fingerprint: Option<String>,
}

impl IdempotencyKey {
    pub fn parse(s: &str) -> Result<Self, StoreError> {
        if s.is_empty() || s.len() > 200 || !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(StoreError::InvalidIdempotencyKey);
        }
        Ok(IdempotencyKey {
            key: s.to_owned(),
            fingerprint: None,
        })
    }

    pub fn with_fingerprint(mut self, fingerprint: impl Into<String>) -> Self {
        self.fingerprint = Some(fingerprint.into());
        self
    }

    pub fn as_str(&self) -> &str {
        &self.key
    }

    pub fn fingerprint(&self) -> Option<&str> {
        self.fingerprint.as_deref()
    }

    /// Whether a stored fingerprint allows answering this key with the stored result.
    pub(crate) fn matches(&self, stored: Option<&str>) -> bool {
        match (self.fingerprint(), stored) {
            (Some(mine), Some(theirs)) => mine == theirs,
            _ => true,
        }
    }
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyReport {
    Ok {
        events: u64,
    },
    Broken {
        stream: StreamId,
        version: u64,
        reason: String,
    },
}
