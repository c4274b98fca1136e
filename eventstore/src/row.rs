//! What both backends share between the database and the model: preparing events for insert
//! (JSON text, hash chain) and turning stored rows back into recorded events.

use chrono::{DateTime, Utc};
use domain::EventCatalog;

use crate::error::StoreError;
use crate::hash::{chain_hash, HashInput};
use crate::model::{Metadata, NewEvent, RecordedEvent, StreamId, VerifyReport};

/// An event ready to insert: its JSON texts and its chained hash.
pub(crate) struct Prepared {
    pub event_id: uuid::Uuid,
    pub version: u64,
    pub event_type: String,
    pub schema_version: u32,
    pub payload: String,
    pub metadata: String,
    pub hash: [u8; 32],
}

/// The JSON texts of a batch, computed once per append (they do not depend on the version).
pub(crate) struct Encoded {
    events: Vec<(NewEvent, String, String)>,
}

pub(crate) fn encode(catalog: &EventCatalog, events: Vec<NewEvent>) -> Result<Encoded, StoreError> {
    if events.is_empty() || events.len() > crate::MAX_EVENTS_PER_APPEND {
        return Err(StoreError::BatchSize {
            max: crate::MAX_EVENTS_PER_APPEND,
        });
    }
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        // Time-ordered ids keep the event-id index append-mostly and tell when an id was made.
        if e.event_id.get_version_num() != 7 {
            return Err(StoreError::InvalidEvent(domain::PayloadError::Invalid {
                event_type: e.event_type,
                reason: "event id must be a UUID v7".into(),
            }));
        }
        catalog.validate(&e.event_type, e.schema_version, &e.payload)?;
        let payload = serde_json::to_string(&e.payload).map_err(invalid)?;
        let metadata = serde_json::to_string(&e.metadata).map_err(invalid)?;
        out.push((e, payload, metadata));
    }
    Ok(Encoded { events: out })
}

fn invalid(e: serde_json::Error) -> StoreError {
    StoreError::InvalidEvent(domain::PayloadError::Invalid {
        event_type: "?".into(),
        reason: e.to_string(),
    })
}

/// The store's clock: microseconds, because both databases keep microseconds and the hash must
/// be over exactly what is kept.
pub(crate) fn now_micros() -> i64 {
    Utc::now().timestamp_micros()
}

pub(crate) fn micros_to_time(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

impl Encoded {
    /// Versions `after_version + 1 …` and hashes chained from `previous`.
    pub fn chain(
        &self,
        stream: &StreamId,
        after_version: u64,
        previous: [u8; 32],
        recorded_at_micros: i64,
    ) -> Vec<Prepared> {
        let mut prev = previous;
        self.events
            .iter()
            .enumerate()
            .map(|(i, (e, payload, metadata))| {
                let version = after_version + 1 + i as u64;
                let hash = chain_hash(
                    &prev,
                    &HashInput {
                        event_id: e.event_id,
                        stream_type: &stream.stream_type,
                        stream_id: &stream.id,
                        version,
                        event_type: &e.event_type,
                        schema_version: e.schema_version,
                        payload_json: payload,
                        metadata_json: metadata,
                        recorded_at_micros,
                    },
                );
                prev = hash;
                Prepared {
                    event_id: e.event_id,
                    version,
                    event_type: e.event_type.clone(),
                    schema_version: e.schema_version,
                    payload: payload.clone(),
                    metadata: metadata.clone(),
                    hash,
                }
            })
            .collect()
    }
}

/// A stored row, borrowed from the database driver's buffer, before upcasting.
pub(crate) struct RawEvent<'r> {
    pub position: i64,
    pub event_id: uuid::Uuid,
    pub stream_type: &'r str,
    pub stream_id: &'r str,
    pub version: i64,
    pub event_type: &'r str,
    pub schema_version: i32,
    pub payload: &'r str,
    pub metadata: &'r str,
    pub recorded_at_micros: i64,
    pub hash: &'r [u8],
}

impl RawEvent<'_> {
    pub fn into_recorded(self, catalog: &EventCatalog) -> Result<RecordedEvent, StoreError> {
        let position = self.position as u64;
        let corrupt = |reason: String| StoreError::Corrupt { position, reason };
        let payload: serde_json::Value =
            serde_json::from_str(self.payload).map_err(|e| corrupt(e.to_string()))?;
        let metadata: Metadata =
            serde_json::from_str(self.metadata).map_err(|e| corrupt(e.to_string()))?;
        let (schema_version, payload) = catalog
            .upcast(self.event_type, self.schema_version as u32, payload)
            .map_err(|e| corrupt(e.to_string()))?;
        let hash: [u8; 32] = self
            .hash
            .try_into()
            .map_err(|_| corrupt("hash is not 32 bytes".into()))?;
        Ok(RecordedEvent {
            event_id: self.event_id,
            stream: StreamId {
                stream_type: self.stream_type.to_owned(),
                id: self.stream_id.to_owned(),
            },
            version: self.version as u64,
            position,
            event_type: self.event_type.to_owned(),
            schema_version,
            payload,
            metadata,
            recorded_at: micros_to_time(self.recorded_at_micros),
            hash,
        })
    }
}

/// Decodes rows as the driver streams them in, so that decoding overlaps with the database
/// sending the rest of the page.
pub(crate) async fn decode_stream<R, S>(
    mut rows: S,
    raw: for<'a> fn(&'a R) -> Result<RawEvent<'a>, sqlx::Error>,
    catalog: &EventCatalog,
) -> Result<Vec<RecordedEvent>, StoreError>
where
    S: futures::Stream<Item = Result<R, sqlx::Error>> + Unpin,
{
    use futures::TryStreamExt;
    let mut out = Vec::new();
    while let Some(row) = rows.try_next().await? {
        out.push(raw(&row)?.into_recorded(catalog)?);
    }
    Ok(out)
}

/// Walks rows ordered by (stream type, stream id, version) and checks every chain link.
#[derive(Default)]
pub(crate) struct ChainVerifier {
    current: Option<(String, String)>,
    version: u64,
    previous: [u8; 32],
    count: u64,
}

impl ChainVerifier {
    /// Checks the next row; returns the broken link if this row breaks its chain.
    pub fn check(&mut self, r: &RawEvent<'_>) -> Option<VerifyReport> {
        let same_stream = self
            .current
            .as_ref()
            .is_some_and(|(t, i)| t == r.stream_type && i == r.stream_id);
        if !same_stream {
            self.current = Some((r.stream_type.to_owned(), r.stream_id.to_owned()));
            self.version = 0;
            self.previous = crate::hash::GENESIS;
        }
        let broken = |reason: &str| {
            Some(VerifyReport::Broken {
                stream: StreamId {
                    stream_type: r.stream_type.to_owned(),
                    id: r.stream_id.to_owned(),
                },
                version: r.version as u64,
                reason: reason.to_owned(),
            })
        };
        if r.version as u64 != self.version + 1 {
            return broken("version does not follow its predecessor (an event is missing)");
        }
        let expected = chain_hash(
            &self.previous,
            &HashInput {
                event_id: r.event_id,
                stream_type: r.stream_type,
                stream_id: r.stream_id,
                version: r.version as u64,
                event_type: r.event_type,
                schema_version: r.schema_version as u32,
                payload_json: r.payload,
                metadata_json: r.metadata,
                recorded_at_micros: r.recorded_at_micros,
            },
        );
        if r.hash != expected {
            return broken("hash does not match the event's content and its predecessor");
        }
        self.version += 1;
        self.previous = expected;
        self.count += 1;
        None
    }

    pub fn finish(self) -> VerifyReport {
        VerifyReport::Ok { events: self.count }
    }
}
