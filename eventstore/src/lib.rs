//! The append-only event store: every form edit, judgment, review result, account change and
//! approval of the registry is an event here. One trait, [`EventStore`], and two backends that
//! pass one conformance suite: PostgreSQL (production) and SQLite (the embedded default).
//!
//! Guarantees, on both backends:
//! - an append is atomic and checks the expected version of its stream;
//! - a reader that follows global positions never skips a committed event (see `postgres.rs`
//!   for how, on a database where transactions commit out of order);
//! - the events table rejects UPDATE, DELETE and TRUNCATE in the database itself;
//! - each event is SHA-256 chained to its predecessor in the stream (see `hash.rs`);
//! - an idempotency key makes a retried append append nothing;
//! - payloads are validated against the event catalog before they are written and upcast to
//!   the current schema version when they are read.

pub mod conformance;
mod connect;
pub mod error;
pub mod hash;
pub mod model;
pub mod postgres;
mod row;
pub mod sql;
pub mod sqlite;
pub mod subscription;

use async_trait::async_trait;
use tokio::sync::watch;

pub use connect::{open, Backend, OpenError, OpenOptions};
pub use error::StoreError;
pub use model::{
    AppendResult, ExpectedVersion, IdempotencyKey, Metadata, NewEvent, RecordedEvent, StreamAppend,
    StreamId, VerifyReport,
};
pub use sql::SqlPool;
pub use subscription::Subscription;

/// Most events one append (or one `append_many`, all streams together) may carry: a bulk
/// import batches its rows below this. It must stay below the 16384 positions a PostgreSQL
/// transaction has (see the migration).
pub const MAX_EVENTS_PER_APPEND: usize = 10_000;
const _: () = assert!(MAX_EVENTS_PER_APPEND <= 16_384);

#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    fn backend(&self) -> Backend;

    /// Appends `events` to `stream` atomically if the stream is at `expected`. With an
    /// idempotency key that was used before, appends nothing and returns the first result
    /// (`duplicate: true`).
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<AppendResult, StoreError>;

    /// Appends to several streams in one transaction: all or nothing. Each stream's expected
    /// version is checked; positions are contiguous in the order given. No idempotency key: a
    /// bulk import makes its batches exactly-once by including its own job stream with an
    /// exact expected version.
    ///
    /// All streams together carry 1..=[`MAX_EVENTS_PER_APPEND`] events (else `BatchSize`);
    /// each stream has at least one event and appears once (else `InvalidBatch`). On a version
    /// conflict nothing is appended and the conflict of one conflicting stream is returned;
    /// `Any` takes the head read before the insert and is not retried. The results are in the
    /// order of `appends`.
    async fn append_many(
        &self,
        appends: Vec<StreamAppend>,
    ) -> Result<Vec<AppendResult>, StoreError>;

    /// The events of one stream from `from_version` (1-based, inclusive), in order.
    async fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// The events of several streams in one read: for each stream asked for, in the order
    /// asked, its events from version 1 (an empty Vec for a stream with no events).
    async fn read_streams(
        &self,
        streams: &[StreamId],
    ) -> Result<Vec<Vec<RecordedEvent>>, StoreError>;

    /// Up to `limit` events after global position `after`, in global order. Never returns an
    /// event while an event with a lower position may still be committed.
    async fn read_all(&self, after: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError>;

    /// The highest global position a reader may see now (0 for an empty store).
    async fn last_position(&self) -> Result<u64, StoreError>;

    /// The result of the append that used `key`, if any.
    async fn idempotent_result(
        &self,
        key: &IdempotencyKey,
    ) -> Result<Option<(StreamId, AppendResult)>, StoreError>;

    /// Recomputes every stream's hash chain; reports the first broken link in stream order.
    async fn verify(&self) -> Result<VerifyReport, StoreError>;

    /// Checks that the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Stores a file (a scanned paper form) under its SHA-256, once; returns the hex digest.
    /// Storing the same content again stores nothing new.
    async fn put_scan(&self, media_type: &str, content: &[u8]) -> Result<String, StoreError>;

    /// A stored file and its media type.
    async fn get_scan(&self, sha256: &str) -> Result<Option<(String, Vec<u8>)>, StoreError>;

    /// A signal carrying the highest position known to be committed; it changes when new
    /// events may be readable. Subscriptions wait on it instead of polling hard.
    fn signal(&self) -> watch::Receiver<u64>;

    /// The database itself, for the read models and credentials kept beside the events.
    fn sql(&self) -> SqlPool;
}
