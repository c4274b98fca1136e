//! The PostgreSQL backend (production).
//!
//! Global order without skips: an event's position is its writing transaction's id × 16384
//! plus its index in the append (see the migration), so position order is transaction-id
//! order; readers return only events whose transaction id is below
//! `pg_snapshot_xmin(pg_current_snapshot())`, i.e. of transactions that have all ended.
//! Together: when a reader returns position p, every position below p belongs to a transaction
//! that has already committed (and is returned too) or rolled back (and left a gap that nobody
//! waits for). An append is one statement, so it is atomic without an explicit transaction and
//! costs one round trip when the stream head is cached. So is an `append_many`, whatever the
//! number of streams: its positions, too, come from one transaction id, and a second statement
//! in one transaction would collide with the first one's positions.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use domain::EventCatalog;
use futures::TryStreamExt;
use lru::LruCache;
use sha2::Digest;
use sqlx::postgres::{PgConnection, PgListener, PgPool, PgRow};
use sqlx::Row;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::StoreError;
use crate::hash::GENESIS;
use crate::model::{
    check_appends, AppendResult, ExpectedVersion, IdempotencyKey, NewEvent, RecordedEvent,
    StreamAppend, StreamId, StreamsAsked, VerifyReport,
};
use crate::row::{decode_stream, encode, now_micros, ChainVerifier, Encoded, RawEvent};
use crate::{Backend, EventStore};

const CHANNEL: &str = "nanbyo_events";

/// The shortest time between two NOTIFYs of one process: what a subscriber in another process
/// may wait at most beyond the commit, traded for not notifying on every append.
const NOTIFY_INTERVAL: std::time::Duration = std::time::Duration::from_millis(5);

/// How many (stream, version) → hash entries are kept to skip the head lookup of an append.
const HEAD_CACHE: usize = 100_000;

pub struct PgStore {
    pool: PgPool,
    catalog: Arc<EventCatalog>,
    /// (stream, version) → hash of that event. Events are immutable, so an entry is never
    /// stale; it may only be missing.
    heads: Mutex<LruCache<(StreamId, u64), [u8; 32]>>,
    /// Highest position known committed, from this process's appends and from NOTIFY.
    signal: watch::Sender<u64>,
    listener: OnceLock<JoinHandle<()>>,
    /// Highest position this process appended and has not yet announced with NOTIFY.
    announce: watch::Sender<u64>,
    notifier: OnceLock<JoinHandle<()>>,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        for task in [self.listener.get(), self.notifier.get()]
            .into_iter()
            .flatten()
        {
            task.abort();
        }
    }
}

const SELECT_EVENT: &str = "SELECT global_position, event_id, stream_type, stream_id, version, \
     event_type, schema_version, payload::text, metadata::text, recorded_at, hash FROM events";

/// The same columns for a join of `events e` with the streams asked for.
const SELECT_EVENT_E: &str = "SELECT e.global_position, e.event_id, e.stream_type, e.stream_id, \
     e.version, e.event_type, e.schema_version, e.payload::text, e.metadata::text, \
     e.recorded_at, e.hash FROM events e";

fn raw(row: &PgRow) -> Result<RawEvent<'_>, sqlx::Error> {
    let recorded_at: chrono::DateTime<chrono::Utc> = row.try_get(9)?;
    Ok(RawEvent {
        position: row.try_get(0)?,
        event_id: row.try_get(1)?,
        stream_type: row.try_get(2)?,
        stream_id: row.try_get(3)?,
        version: row.try_get(4)?,
        event_type: row.try_get(5)?,
        schema_version: row.try_get(6)?,
        payload: row.try_get(7)?,
        metadata: row.try_get(8)?,
        recorded_at_micros: recorded_at.timestamp_micros(),
        hash: row.try_get(10)?,
    })
}

fn constraint(e: &sqlx::Error) -> Option<&str> {
    e.as_database_error().and_then(|d| d.constraint())
}

impl PgStore {
    pub fn new(pool: PgPool, catalog: Arc<EventCatalog>) -> Self {
        PgStore {
            pool,
            catalog,
            heads: Mutex::new(LruCache::new(
                NonZeroUsize::new(HEAD_CACHE).unwrap_or(NonZeroUsize::MIN),
            )),
            signal: watch::Sender::new(0),
            listener: OnceLock::new(),
            announce: watch::Sender::new(0),
            notifier: OnceLock::new(),
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
        sqlx::migrate!("../migrations/postgres").run(pool).await?;
        Ok(())
    }

    async fn head(&self, stream: &StreamId) -> Result<(u64, [u8; 32]), StoreError> {
        let row = sqlx::query(
            "SELECT version, hash FROM events WHERE stream_type = $1 AND stream_id = $2 \
             ORDER BY version DESC LIMIT 1",
        )
        .bind(&stream.stream_type)
        .bind(&stream.id)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            None => Ok((0, GENESIS)),
            Some(row) => {
                let version: i64 = row.try_get(0)?;
                let hash: Vec<u8> = row.try_get(1)?;
                let hash = hash.try_into().map_err(|_| StoreError::Corrupt {
                    position: 0,
                    reason: format!("hash of {stream} v{version} is not 32 bytes"),
                })?;
                Ok((version as u64, hash))
            }
        }
    }

    /// The heads of several streams in one round trip: one backward index probe per stream.
    /// A stream without events is absent from the map.
    async fn heads_of(
        &self,
        streams: &[&StreamId],
    ) -> Result<HashMap<StreamId, (u64, [u8; 32])>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.stream_type, s.stream_id, h.version, h.hash \
             FROM unnest($1::text[], $2::text[]) AS s(stream_type, stream_id) \
             CROSS JOIN LATERAL (SELECT version, hash FROM events \
                 WHERE events.stream_type = s.stream_type AND events.stream_id = s.stream_id \
                 ORDER BY version DESC LIMIT 1) h",
        )
        .bind(
            streams
                .iter()
                .map(|s| s.stream_type.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(streams.iter().map(|s| s.id.as_str()).collect::<Vec<_>>())
        .fetch_all(&self.pool)
        .await?;
        let mut heads = HashMap::with_capacity(rows.len());
        for row in rows {
            let stream = StreamId {
                stream_type: row.try_get(0)?,
                id: row.try_get(1)?,
            };
            let version: i64 = row.try_get(2)?;
            let hash: Vec<u8> = row.try_get(3)?;
            let hash = hash.try_into().map_err(|_| StoreError::Corrupt {
                position: 0,
                reason: format!("hash of {stream} v{version} is not 32 bytes"),
            })?;
            heads.insert(stream, (version as u64, hash));
        }
        Ok(heads)
    }

    fn cached(&self, stream: &StreamId, version: u64) -> Option<[u8; 32]> {
        let mut heads = self.heads.lock().unwrap_or_else(|p| p.into_inner());
        heads.get(&(stream.clone(), version)).copied()
    }

    fn forget_heads(&self) {
        self.heads.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    fn remember(&self, stream: &StreamId, version: u64, hash: [u8; 32]) {
        let mut heads = self.heads.lock().unwrap_or_else(|p| p.into_inner());
        heads.put((stream.clone(), version), hash);
    }

    /// Appends inside a transaction the caller controls, so that other writes can commit
    /// or roll back together with the events. One append per transaction (positions derive
    /// from the transaction id), and readers wait for the transaction to end, so keep it
    /// short. On any error the transaction is aborted
    /// and must be rolled back; a conflict is never retried here. After committing, call
    /// [`PgStore::committed`] so that subscribers wake at once.
    pub async fn append_in_transaction(
        &self,
        tx: &mut PgConnection,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<AppendResult, StoreError> {
        self.append_on(Some(tx), stream, expected, events, idempotency_key)
            .await
    }

    /// The append. `tx` is the caller's transaction, if any; without one the statement runs on
    /// a pooled connection taken only for it, so an append never holds one connection while
    /// waiting for another (which would starve the pool under load).
    async fn append_on(
        &self,
        mut tx: Option<&mut PgConnection>,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<AppendResult, StoreError> {
        let in_transaction = tx.is_some();
        let encoded = encode(&self.catalog, events)?;
        if let Some(key) = idempotency_key {
            if let Some(first) = replay(self, stream, key).await? {
                return Ok(first);
            }
        }
        // `Any` retries when another writer takes the next version first (outside a caller's
        // transaction: a failed statement aborts that transaction); the others report the
        // conflict to the caller.
        for _attempt in 0..100 {
            let (version, previous) = match expected {
                ExpectedVersion::NoStream | ExpectedVersion::Exact(0) => (0, GENESIS),
                ExpectedVersion::Exact(v) => {
                    match self.cached(stream, v).filter(|_| !in_transaction) {
                        Some(hash) => (v, hash),
                        None => {
                            let (current, hash) = self.head(stream).await?;
                            if current != v {
                                return Err(StoreError::conflict(stream, expected, current));
                            }
                            (current, hash)
                        }
                    }
                }
                ExpectedVersion::Any => self.head(stream).await?,
            };
            let recorded_at = now_micros();
            let prepared = encoded.chain(stream, version, previous, recorded_at);
            let n = prepared.len();
            let first_version = version + 1;
            let last_version = version + n as u64;
            let last_hash = prepared[n - 1].hash;
            let recorded_at = crate::row::micros_to_time(recorded_at);
            let start = |sql| {
                sqlx::query(sql)
                    .bind(&stream.stream_type)
                    .bind(&stream.id)
                    .bind(recorded_at)
            };
            let query = match (prepared.as_slice(), idempotency_key) {
                ([p], key) => {
                    let q = start(if key.is_some() {
                        APPEND_ONE_KEYED
                    } else {
                        APPEND_ONE
                    })
                    .bind(p.event_id)
                    .bind(p.version as i64)
                    .bind(&p.event_type)
                    .bind(p.schema_version as i32)
                    .bind(&p.payload)
                    .bind(&p.metadata)
                    .bind(&p.hash[..]);
                    match key {
                        Some(key) => q
                            .bind(key.as_str())
                            .bind(first_version as i64)
                            .bind(last_version as i64)
                            .bind(key.fingerprint()),
                        None => q,
                    }
                }
                (batch, key) => start(APPEND)
                    .bind(batch.iter().map(|p| p.event_id).collect::<Vec<_>>())
                    .bind(batch.iter().map(|p| p.version as i64).collect::<Vec<_>>())
                    .bind(
                        batch
                            .iter()
                            .map(|p| p.event_type.as_str())
                            .collect::<Vec<_>>(),
                    )
                    .bind(
                        batch
                            .iter()
                            .map(|p| p.schema_version as i32)
                            .collect::<Vec<_>>(),
                    )
                    .bind(batch.iter().map(|p| p.payload.as_str()).collect::<Vec<_>>())
                    .bind(
                        batch
                            .iter()
                            .map(|p| p.metadata.as_str())
                            .collect::<Vec<_>>(),
                    )
                    .bind(batch.iter().map(|p| &p.hash[..]).collect::<Vec<_>>())
                    .bind(key.map(IdempotencyKey::as_str))
                    .bind(first_version as i64)
                    .bind(last_version as i64)
                    .bind(key.and_then(IdempotencyKey::fingerprint)),
            };
            let result = match tx.as_deref_mut() {
                Some(conn) => query.fetch_one(conn).await,
                None => query.fetch_one(&self.pool).await,
            };
            let e = match result {
                Ok(row) => {
                    let first_position: i64 = row.try_get(0)?;
                    let last_position: i64 = row.try_get(1)?;
                    // Inside a caller's transaction the event may still be rolled back: only
                    // remember heads that are committed.
                    if !in_transaction {
                        self.remember(stream, last_version, last_hash);
                        self.committed(last_position as u64);
                    }
                    return Ok(AppendResult {
                        first_version,
                        last_version,
                        first_position: first_position as u64,
                        last_position: last_position as u64,
                        duplicate: false,
                    });
                }
                Err(e) => e,
            };
            match constraint(&e) {
                Some("events_stream_version_unique") | Some("idempotency_keys_pkey") => {
                    // Another append took the version first. If it was this very command
                    // (a retry racing its first attempt), answer with the first result.
                    if let Some(key) = idempotency_key {
                        if let Some(first) = replay(self, stream, key).await? {
                            if !in_transaction {
                                return Ok(first);
                            }
                        }
                    }
                    if expected == ExpectedVersion::Any && !in_transaction {
                        continue;
                    }
                    // Inside a caller's transaction the transaction is now aborted: report
                    // the conflict; the caller rolls back and may retry.
                    let (current, _) = self.head(stream).await?;
                    return Err(StoreError::conflict(stream, expected, current));
                }
                Some("events_pkey") if in_transaction => {
                    return Err(StoreError::OneAppendPerTransaction);
                }
                Some("events_event_id_key") => {
                    return Err(StoreError::InvalidEvent(domain::PayloadError::Invalid {
                        event_type: "?".into(),
                        reason: "an event with this event id is already stored".into(),
                    }));
                }
                _ => {
                    // The database may have been restored or failed over: trust no cached
                    // head after an unexplained failure.
                    self.forget_heads();
                    return Err(e.into());
                }
            }
        }
        let (current, _) = self.head(stream).await?;
        Err(StoreError::conflict(stream, expected, current))
    }

    /// `append_many`: the heads it needs in one query, then one INSERT for all streams.
    async fn append_many_on_pool(
        &self,
        appends: Vec<StreamAppend>,
    ) -> Result<Vec<AppendResult>, StoreError> {
        check_appends(&appends)?;
        let total: usize = appends.iter().map(|a| a.events.len()).sum();
        let parts = appends
            .into_iter()
            .map(|a| Ok((a.stream, a.expected, encode(&self.catalog, a.events)?)))
            .collect::<Result<Vec<(StreamId, ExpectedVersion, Encoded)>, StoreError>>()?;

        // Where each stream's chain continues from: new streams from GENESIS (the unique
        // constraint catches one that exists after all), exact versions from the head cache,
        // the rest from the database in one query.
        let mut after: Vec<Option<(u64, [u8; 32])>> = {
            let mut heads = self.heads.lock().unwrap_or_else(|p| p.into_inner());
            parts
                .iter()
                .map(|(stream, expected, _)| match *expected {
                    ExpectedVersion::NoStream | ExpectedVersion::Exact(0) => Some((0, GENESIS)),
                    ExpectedVersion::Exact(v) => {
                        heads.get(&(stream.clone(), v)).map(|hash| (v, *hash))
                    }
                    ExpectedVersion::Any => None,
                })
                .collect()
        };
        let missing: Vec<&StreamId> = parts
            .iter()
            .zip(&after)
            .filter(|(_, a)| a.is_none())
            .map(|((stream, _, _), _)| stream)
            .collect();
        if !missing.is_empty() {
            let heads = self.heads_of(&missing).await?;
            for ((stream, expected, _), slot) in parts.iter().zip(after.iter_mut()) {
                if slot.is_some() {
                    continue;
                }
                let (current, hash) = heads.get(stream).copied().unwrap_or((0, GENESIS));
                if let ExpectedVersion::Exact(v) = *expected {
                    if current != v {
                        return Err(StoreError::conflict(stream, *expected, current));
                    }
                }
                *slot = Some((current, hash));
            }
        }
        let after: Vec<(u64, [u8; 32])> = after.into_iter().flatten().collect();

        let recorded_at = now_micros();
        let mut columns = ManyColumns::with_capacity(total);
        let mut spans = Vec::with_capacity(parts.len());
        for ((stream, _, encoded), &(version, previous)) in parts.iter().zip(&after) {
            let prepared = encoded.chain(stream, version, previous, recorded_at);
            let n = prepared.len();
            let last_hash = prepared[n - 1].hash;
            spans.push((columns.len(), version, n, last_hash));
            columns.push(stream, prepared);
        }
        let result = sqlx::query(APPEND_MANY)
            .bind(crate::row::micros_to_time(recorded_at))
            .bind(columns.stream_types)
            .bind(columns.stream_ids)
            .bind(columns.event_ids)
            .bind(columns.versions)
            .bind(columns.event_types)
            .bind(columns.schema_versions)
            .bind(columns.payloads)
            .bind(columns.metadata)
            .bind(columns.hashes)
            .fetch_one(&self.pool)
            .await;
        let e = match result {
            Ok(row) => {
                let first_position = row.try_get::<i64, _>(0)? as u64;
                let last_position = row.try_get::<i64, _>(1)? as u64;
                let results = parts
                    .iter()
                    .zip(&spans)
                    .map(|((stream, _, _), &(offset, version, n, last_hash))| {
                        self.remember(stream, version + n as u64, last_hash);
                        AppendResult {
                            first_version: version + 1,
                            last_version: version + n as u64,
                            first_position: first_position + offset as u64,
                            last_position: first_position + (offset + n - 1) as u64,
                            duplicate: false,
                        }
                    })
                    .collect();
                self.committed(last_position);
                return Ok(results);
            }
            Err(e) => e,
        };
        match constraint(&e) {
            Some("events_stream_version_unique") => {
                // Some stream moved since its head was read (or a "new" stream exists): find
                // which one to name in the conflict. Nothing was appended.
                let streams: Vec<&StreamId> = parts.iter().map(|(s, _, _)| s).collect();
                let heads = self.heads_of(&streams).await?;
                let current = |s: &StreamId| heads.get(s).map_or(0, |h| h.0);
                let (stream, expected, _) = parts
                    .iter()
                    .zip(&after)
                    .find(|((s, _, _), (version, _))| current(s) != *version)
                    .map(|(part, _)| part)
                    .unwrap_or(&parts[0]);
                Err(StoreError::conflict(stream, *expected, current(stream)))
            }
            Some("events_event_id_key") => {
                Err(StoreError::InvalidEvent(domain::PayloadError::Invalid {
                    event_type: "?".into(),
                    reason: "an event with this event id is already stored".into(),
                }))
            }
            _ => {
                self.forget_heads();
                Err(e.into())
            }
        }
    }

    /// After an append commits: wake this process's subscribers at once and have the notifier
    /// tell other processes. Callers of `append_in_transaction` call it after their commit.
    pub fn committed(&self, position: u64) {
        let raise = |v: &mut u64| {
            let moved = position > *v;
            if moved {
                *v = position;
            }
            moved
        };
        self.signal.send_if_modified(raise);
        self.notifier.get_or_init(|| self.start_notifier());
        self.announce.send_if_modified(raise);
    }

    /// NOTIFY is sent by this task, not by the append: a transaction that notifies takes a
    /// database-wide lock at commit, which would serialise every append's commit (and fsync).
    /// One notifier per process announces the highest position appended since its last
    /// NOTIFY, at most once per `NOTIFY_INTERVAL`, so a burst of appends costs one
    /// notification. Subscribers in this process do not wait for it: `committed` wakes them.
    fn start_notifier(&self) -> JoinHandle<()> {
        let pool = self.pool.clone();
        let mut announce = self.announce.subscribe();
        tokio::spawn(async move {
            while announce.changed().await.is_ok() {
                let position = *announce.borrow_and_update();
                // The notification needs no durable commit of its own: skip the WAL flush.
                if let Err(e) = sqlx::query(
                    "SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, $2)",
                )
                .bind(CHANNEL)
                .bind(position.to_string())
                .execute(&pool)
                .await
                {
                    // Subscribers elsewhere fall back to their safety poll.
                    tracing::warn!(error = %e, "cannot announce new events");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                tokio::time::sleep(NOTIFY_INTERVAL).await;
            }
        })
    }

    fn start_listener(&self) -> JoinHandle<()> {
        let pool = self.pool.clone();
        let signal = self.signal.clone();
        tokio::spawn(async move {
            loop {
                let mut listener = match PgListener::connect_with(&pool).await {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::warn!(error = %e, "event notification listener cannot connect; retrying");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        continue;
                    }
                };
                if let Err(e) = listener.listen(CHANNEL).await {
                    tracing::warn!(error = %e, "LISTEN failed; retrying");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    continue;
                }
                // Notifications sent while we were not listening are lost: wake everyone so they
                // read once; subscriptions also poll as a safety net.
                signal.send_modify(|_| {});
                loop {
                    match listener.try_recv().await {
                        Ok(Some(n)) => {
                            let p: u64 = n.payload().parse().unwrap_or(0);
                            signal.send_if_modified(|v| {
                                if p > *v {
                                    *v = p;
                                    true
                                } else {
                                    false
                                }
                            });
                        }
                        Ok(None) => {
                            tracing::warn!("event notification connection lost; reconnecting");
                            signal.send_modify(|_| {});
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "event notification listener failed; reconnecting");
                            break;
                        }
                    }
                }
            }
        })
    }
}

// The append statements. Parameters: $1 stream type, $2 stream id, $3 recorded at, then the
// event columns ($4 id, $5 version, $6 type, $7 schema version, $8 payload, $9 metadata,
// $10 hash; arrays for a batch), then, where the statement remembers an idempotency key,
// $11 key, $12 first and $13 last version, $14 the request's fingerprint. Positions: transaction id × 16384 + index (see the
// migration).

/// A batch: insert the events and remember the idempotency key in one statement, so it is
/// atomic without an explicit transaction.
const APPEND: &str = r#"
WITH inserted AS (
    INSERT INTO events (global_position, event_id, stream_type, stream_id, version, event_type,
                        schema_version, payload, metadata, recorded_at, hash)
    SELECT pg_current_xact_id()::text::bigint * 16384 + e.ord - 1, e.event_id, $1, $2,
           e.version, e.event_type, e.schema_version, e.payload::json, e.metadata::json, $3,
           e.hash
    FROM unnest($4::uuid[], $5::int8[], $6::text[], $7::int4[], $8::text[], $9::text[], $10::bytea[])
             WITH ORDINALITY AS e(event_id, version, event_type, schema_version, payload, metadata, hash, ord)
    RETURNING global_position
),
summary AS MATERIALIZED (
    SELECT min(global_position) AS first_position, max(global_position) AS last_position
    FROM inserted
),
remembered AS (
    INSERT INTO idempotency_keys (key, stream_type, stream_id, first_version, last_version,
                                  first_position, last_position, request_hash)
    SELECT $11, $1, $2, $12, $13, first_position, last_position, $14
    FROM summary WHERE $11::text IS NOT NULL
)
SELECT first_position, last_position FROM summary
"#;

/// Several streams in one statement (one transaction id, so one position range): the stream
/// columns come per event. Parameters: $1 recorded at, then arrays of $2 stream type,
/// $3 stream id, $4 event id, $5 version, $6 type, $7 schema version, $8 payload,
/// $9 metadata, $10 hash.
const APPEND_MANY: &str = r#"
WITH inserted AS (
    INSERT INTO events (global_position, event_id, stream_type, stream_id, version, event_type,
                        schema_version, payload, metadata, recorded_at, hash)
    SELECT pg_current_xact_id()::text::bigint * 16384 + e.ord - 1, e.event_id, e.stream_type,
           e.stream_id, e.version, e.event_type, e.schema_version, e.payload::json,
           e.metadata::json, $1, e.hash
    FROM unnest($2::text[], $3::text[], $4::uuid[], $5::int8[], $6::text[], $7::int4[],
                $8::text[], $9::text[], $10::bytea[])
             WITH ORDINALITY AS e(stream_type, stream_id, event_id, version, event_type,
                                  schema_version, payload, metadata, hash, ord)
    RETURNING global_position
)
SELECT min(global_position), max(global_position) FROM inserted
"#;

/// The event columns of an `append_many`, one array per column for [`APPEND_MANY`].
struct ManyColumns<'a> {
    stream_types: Vec<&'a str>,
    stream_ids: Vec<&'a str>,
    event_ids: Vec<uuid::Uuid>,
    versions: Vec<i64>,
    event_types: Vec<String>,
    schema_versions: Vec<i32>,
    payloads: Vec<String>,
    metadata: Vec<String>,
    hashes: Vec<Vec<u8>>,
}

impl<'a> ManyColumns<'a> {
    fn with_capacity(n: usize) -> Self {
        ManyColumns {
            stream_types: Vec::with_capacity(n),
            stream_ids: Vec::with_capacity(n),
            event_ids: Vec::with_capacity(n),
            versions: Vec::with_capacity(n),
            event_types: Vec::with_capacity(n),
            schema_versions: Vec::with_capacity(n),
            payloads: Vec::with_capacity(n),
            metadata: Vec::with_capacity(n),
            hashes: Vec::with_capacity(n),
        }
    }

    fn len(&self) -> usize {
        self.event_ids.len()
    }

    fn push(&mut self, stream: &'a StreamId, prepared: Vec<crate::row::Prepared>) {
        for p in prepared {
            self.stream_types.push(&stream.stream_type);
            self.stream_ids.push(&stream.id);
            self.event_ids.push(p.event_id);
            self.versions.push(p.version as i64);
            self.event_types.push(p.event_type);
            self.schema_versions.push(p.schema_version as i32);
            self.payloads.push(p.payload);
            self.metadata.push(p.metadata);
            self.hashes.push(p.hash.to_vec());
        }
    }
}

/// The most common case, one event without a key: a plain INSERT … VALUES, as cheap for the
/// server as a raw insert.
const APPEND_ONE: &str = r#"
INSERT INTO events (global_position, event_id, stream_type, stream_id, version, event_type,
                    schema_version, payload, metadata, recorded_at, hash)
VALUES (pg_current_xact_id()::text::bigint * 16384, $4, $1, $2, $5, $6, $7, $8::json,
        $9::json, $3, $10)
RETURNING global_position, global_position
"#;

/// One event with an idempotency key.
const APPEND_ONE_KEYED: &str = r#"
WITH inserted AS (
    INSERT INTO events (global_position, event_id, stream_type, stream_id, version, event_type,
                        schema_version, payload, metadata, recorded_at, hash)
    VALUES (pg_current_xact_id()::text::bigint * 16384, $4, $1, $2, $5, $6, $7, $8::json,
            $9::json, $3, $10)
    RETURNING global_position
),
remembered AS (
    INSERT INTO idempotency_keys (key, stream_type, stream_id, first_version, last_version,
                                  first_position, last_position, request_hash)
    SELECT $11, $1, $2, $12, $13, global_position, global_position, $14 FROM inserted
)
SELECT global_position, global_position FROM inserted
"#;

#[async_trait]
impl EventStore for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<AppendResult, StoreError> {
        self.append_on(None, stream, expected, events, idempotency_key)
            .await
    }

    async fn append_many(
        &self,
        appends: Vec<StreamAppend>,
    ) -> Result<Vec<AppendResult>, StoreError> {
        self.append_many_on_pool(appends).await
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let sql = format!(
            "{SELECT_EVENT} WHERE stream_type = $1 AND stream_id = $2 AND version >= $3 ORDER BY version"
        );
        let rows = sqlx::query(&sql)
            .bind(&stream.stream_type)
            .bind(&stream.id)
            .bind(from_version as i64)
            .fetch(&self.pool);
        decode_stream(rows, raw, &self.catalog).await
    }

    async fn read_streams(
        &self,
        streams: &[StreamId],
    ) -> Result<Vec<Vec<RecordedEvent>>, StoreError> {
        if streams.is_empty() {
            return Ok(Vec::new());
        }
        let asked = StreamsAsked::new(streams);
        let distinct = asked.distinct();
        let sql = format!(
            "{SELECT_EVENT_E} JOIN unnest($1::text[], $2::text[]) AS s(stream_type, stream_id) \
             ON e.stream_type = s.stream_type AND e.stream_id = s.stream_id \
             ORDER BY e.stream_type, e.stream_id, e.version"
        );
        let rows = sqlx::query(&sql)
            .bind(
                distinct
                    .iter()
                    .map(|s| s.stream_type.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(distinct.iter().map(|s| s.id.as_str()).collect::<Vec<_>>())
            .fetch(&self.pool);
        let events = decode_stream(rows, raw, &self.catalog).await?;
        Ok(asked.answer(events))
    }

    async fn read_all(&self, after: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        // Only events of transactions older than the oldest one still running: see the module
        // comment. A plain `global_position > $1` would skip events of slow transactions.
        let sql = format!(
            "{SELECT_EVENT} WHERE global_position > $1 \
             AND transaction_id < pg_snapshot_xmin(pg_current_snapshot()) \
             ORDER BY global_position LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(after as i64)
            .bind(limit.min(100_000) as i64)
            .fetch(&self.pool);
        decode_stream(rows, raw, &self.catalog).await
    }

    async fn last_position(&self) -> Result<u64, StoreError> {
        let p: Option<i64> = sqlx::query_scalar(
            "SELECT max(global_position) FROM events \
             WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(p.unwrap_or(0) as u64)
    }

    async fn idempotent_result(
        &self,
        key: &IdempotencyKey,
    ) -> Result<Option<(StreamId, AppendResult)>, StoreError> {
        let row = sqlx::query(
            "SELECT stream_type, stream_id, first_version, last_version, first_position, \
             last_position, request_hash FROM idempotency_keys WHERE key = $1",
        )
        .bind(key.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let stored: Option<String> = row.try_get(6)?;
        if !key.matches(stored.as_deref()) {
            return Err(StoreError::IdempotencyKeyReused);
        }
        let stream = StreamId {
            stream_type: row.try_get(0)?,
            id: row.try_get(1)?,
        };
        let get = |i: usize| -> Result<u64, sqlx::Error> { Ok(row.try_get::<i64, _>(i)? as u64) };
        Ok(Some((
            stream,
            AppendResult {
                first_version: get(2)?,
                last_version: get(3)?,
                first_position: get(4)?,
                last_position: get(5)?,
                duplicate: true,
            },
        )))
    }

    async fn verify(&self) -> Result<VerifyReport, StoreError> {
        let sql = format!("{SELECT_EVENT} ORDER BY stream_type, stream_id, version");
        let mut rows = sqlx::query(&sql).fetch(&self.pool);
        let mut verifier = ChainVerifier::default();
        while let Some(row) = rows.try_next().await? {
            if let Some(broken) = verifier.check(&raw(&row)?) {
                return Ok(broken);
            }
        }
        Ok(verifier.finish())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn put_scan(&self, media_type: &str, content: &[u8]) -> Result<String, StoreError> {
        let digest = hex::encode(sha2::Sha256::digest(content));
        sqlx::query(
            "INSERT INTO scans (sha256, media_type, size, content) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(&digest)
        .bind(media_type)
        .bind(content.len() as i64)
        .bind(content)
        .execute(&self.pool)
        .await?;
        Ok(digest)
    }

    async fn get_scan(&self, sha256: &str) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let row = sqlx::query("SELECT media_type, content FROM scans WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some((r.try_get(0)?, r.try_get(1)?)),
            None => None,
        })
    }

    fn signal(&self) -> watch::Receiver<u64> {
        self.listener.get_or_init(|| self.start_listener());
        self.signal.subscribe()
    }

    fn sql(&self) -> crate::SqlPool {
        crate::SqlPool::Postgres(self.pool.clone())
    }
}

/// The first result for `key`, if it was used: for the same stream a duplicate, for another
/// stream an error (a client reusing keys across commands would otherwise lose a command).
async fn replay(
    store: &dyn EventStore,
    stream: &StreamId,
    key: &IdempotencyKey,
) -> Result<Option<AppendResult>, StoreError> {
    match store.idempotent_result(key).await? {
        None => Ok(None),
        Some((s, _)) if s != *stream => Err(StoreError::IdempotencyKeyReused),
        Some((_, first)) => Ok(Some(first)),
    }
}
