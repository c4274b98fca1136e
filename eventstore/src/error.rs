//! The store's one error type. Messages never contain payloads: they may hold personal data.

use crate::model::{ExpectedVersion, StreamId};
use domain::PayloadError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("concurrency conflict on {stream}: expected {expected}, current version is {current}")]
    Conflict {
        stream: StreamId,
        expected: String,
        current: u64,
    },
    #[error("the idempotency key was already used for a different stream")]
    IdempotencyKeyReused,
    #[error("idempotency key must be 1-200 visible ASCII characters")]
    InvalidIdempotencyKey,
    #[error("invalid stream: {0}")]
    InvalidStream(String),
    #[error("invalid event: {0}")]
    InvalidEvent(#[from] PayloadError),
    #[error("a transaction may append to the store only once")]
    OneAppendPerTransaction,
    #[error("an append needs at least one and at most {max} events")]
    BatchSize { max: usize },
    /// An `append_many` whose shape is wrong (a stream without events, a stream twice).
    #[error("invalid batch: {0}")]
    InvalidBatch(&'static str),
    #[error("stored event at position {position} cannot be read: {reason}")]
    Corrupt { position: u64, reason: String },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// The conflict error both backends report when a stream is not where the writer expected.
    pub(crate) fn conflict(stream: &StreamId, expected: ExpectedVersion, current: u64) -> Self {
        StoreError::Conflict {
            stream: stream.clone(),
            expected: match expected {
                ExpectedVersion::NoStream => "no stream".into(),
                ExpectedVersion::Exact(v) => format!("version {v}"),
                ExpectedVersion::Any => "any version".into(),
            },
            current,
        }
    }

    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::Conflict { .. })
    }
}
