//! The SQLite backend: the embedded default, so the service runs with nothing installed.
//!
//! SQLite allows one writer at a time. Appends go through a one-connection writer pool and
//! `BEGIN IMMEDIATE` (which also serialises writers of other processes), take their positions
//! as `max + 1` inside that transaction, and therefore commit in position order: a reader that
//! follows positions cannot skip an event. Readers use their own pool and, in WAL mode, never
//! block the writer. After a commit the writer raises an in-process signal for subscribers;
//! other processes' appends are found by the subscribers' safety poll.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use domain::EventCatalog;
use futures::TryStreamExt;
use sha2::Digest;
use sqlx::sqlite::{SqliteConnection, SqlitePool, SqliteRow};
use sqlx::{QueryBuilder, Row};
use tokio::sync::watch;

use crate::error::StoreError;
use crate::hash::GENESIS;
use crate::model::{
    check_appends, AppendResult, ExpectedVersion, IdempotencyKey, NewEvent, RecordedEvent,
    StreamAppend, StreamId, StreamsAsked, VerifyReport,
};
use crate::row::{decode_stream, encode, now_micros, ChainVerifier, Encoded, Prepared, RawEvent};
use crate::{Backend, EventStore};

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    catalog: Arc<EventCatalog>,
    signal: watch::Sender<u64>,
}

const SELECT_EVENT: &str = "SELECT global_position, event_id, stream_type, stream_id, version, \
     event_type, schema_version, payload, metadata, recorded_at, hash FROM events";

/// The same columns for a join of `events e` with the streams asked for.
const SELECT_EVENT_E: &str = "SELECT e.global_position, e.event_id, e.stream_type, e.stream_id, \
     e.version, e.event_type, e.schema_version, e.payload, e.metadata, e.recorded_at, e.hash \
     FROM events e";

/// Rows per multi-row INSERT: 500 rows are 5,500 parameters, below SQLite's limit.
const INSERT_CHUNK: usize = 500;
/// Streams per lookup of several streams (two parameters each).
const STREAM_CHUNK: usize = 1000;

fn raw(row: &SqliteRow) -> Result<RawEvent<'_>, sqlx::Error> {
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
        recorded_at_micros: row.try_get(9)?,
        hash: row.try_get(10)?,
    })
}

impl SqliteStore {
    /// `writer` must have exactly one connection; `reader` may have several.
    pub fn new(writer: SqlitePool, reader: SqlitePool, catalog: Arc<EventCatalog>) -> Self {
        SqliteStore {
            writer,
            reader,
            catalog,
            signal: watch::Sender::new(0),
        }
    }

    pub fn writer_pool(&self) -> &SqlitePool {
        &self.writer
    }

    pub async fn migrate(pool: &SqlitePool) -> Result<(), StoreError> {
        sqlx::migrate!("../migrations/sqlite").run(pool).await?;
        Ok(())
    }

    /// Whether a stream at version `current` may be appended to with `expected`.
    fn at_expected(expected: ExpectedVersion, current: u64) -> bool {
        match expected {
            ExpectedVersion::NoStream => current == 0,
            ExpectedVersion::Exact(v) => current == v,
            ExpectedVersion::Any => true,
        }
    }

    fn head_of(
        stream: &StreamId,
        version: i64,
        hash: Vec<u8>,
    ) -> Result<(u64, [u8; 32]), StoreError> {
        let hash: [u8; 32] = hash.try_into().map_err(|_| StoreError::Corrupt {
            position: 0,
            reason: format!("hash of {stream} v{version} is not 32 bytes"),
        })?;
        Ok((version as u64, hash))
    }

    /// The heads of several streams, inside the writer's transaction: one index probe per
    /// stream, a thousand streams per statement. A stream without events is absent.
    async fn heads_in(
        conn: &mut SqliteConnection,
        streams: &[&StreamId],
    ) -> Result<HashMap<StreamId, (u64, [u8; 32])>, StoreError> {
        let mut heads = HashMap::with_capacity(streams.len());
        for chunk in streams.chunks(STREAM_CHUNK) {
            let mut query = QueryBuilder::new("WITH wanted(stream_type, stream_id) AS (");
            query.push_values(chunk, |mut row, s| {
                row.push_bind(&s.stream_type).push_bind(&s.id);
            });
            query.push(
                ") SELECT e.stream_type, e.stream_id, e.version, e.hash FROM wanted w \
                 JOIN events e ON e.stream_type = w.stream_type AND e.stream_id = w.stream_id \
                 AND e.version = (SELECT max(m.version) FROM events m \
                     WHERE m.stream_type = w.stream_type AND m.stream_id = w.stream_id)",
            );
            for row in query.build().fetch_all(&mut *conn).await? {
                let stream = StreamId {
                    stream_type: row.try_get(0)?,
                    id: row.try_get(1)?,
                };
                let head = Self::head_of(&stream, row.try_get(2)?, row.try_get(3)?)?;
                heads.insert(stream, head);
            }
        }
        Ok(heads)
    }

    /// Inserts `rows` at positions `first_position …` in multi-row INSERTs.
    async fn insert_events(
        conn: &mut SqliteConnection,
        first_position: i64,
        rows: &[(&StreamId, Prepared)],
        recorded_at: i64,
    ) -> Result<(), StoreError> {
        for (c, chunk) in rows.chunks(INSERT_CHUNK).enumerate() {
            let mut insert = QueryBuilder::new(
                "INSERT INTO events (global_position, event_id, stream_type, stream_id, version, \
                 event_type, schema_version, payload, metadata, recorded_at, hash) ",
            );
            insert.push_values(chunk.iter().enumerate(), |mut row, (i, (stream, p))| {
                row.push_bind(first_position + (c * INSERT_CHUNK + i) as i64)
                    .push_bind(p.event_id)
                    .push_bind(&stream.stream_type)
                    .push_bind(&stream.id)
                    .push_bind(p.version as i64)
                    .push_bind(&p.event_type)
                    .push_bind(p.schema_version as i64)
                    .push_bind(&p.payload)
                    .push_bind(&p.metadata)
                    .push_bind(recorded_at)
                    .push_bind(&p.hash[..]);
            });
            insert.build().execute(&mut *conn).await.map_err(|e| {
                // SQLite names no constraint, only the columns.
                match e.as_database_error().map(|d| d.message()) {
                    Some(m) if m.contains("events.event_id") => {
                        StoreError::InvalidEvent(domain::PayloadError::Invalid {
                            event_type: "?".into(),
                            reason: "an event with this event id is already stored".into(),
                        })
                    }
                    _ => e.into(),
                }
            })?;
        }
        Ok(())
    }

    /// After a commit: wake this process's subscribers.
    fn committed(&self, position: u64) {
        self.signal.send_if_modified(|v| {
            let moved = position > *v;
            if moved {
                *v = position;
            }
            moved
        });
    }

    async fn idempotent_in(
        conn: &mut sqlx::SqliteConnection,
        key: &IdempotencyKey,
    ) -> Result<Option<(StreamId, AppendResult)>, StoreError> {
        let row = sqlx::query(
            "SELECT stream_type, stream_id, first_version, last_version, first_position, \
             last_position, request_hash FROM idempotency_keys WHERE key = ?1",
        )
        .bind(key.as_str())
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let stored: Option<String> = row.try_get(6)?;
        if !key.matches(stored.as_deref()) {
            return Err(StoreError::IdempotencyKeyReused);
        }
        let get = |i: usize| -> Result<u64, sqlx::Error> { Ok(row.try_get::<i64, _>(i)? as u64) };
        Ok(Some((
            StreamId {
                stream_type: row.try_get(0)?,
                id: row.try_get(1)?,
            },
            AppendResult {
                first_version: get(2)?,
                last_version: get(3)?,
                first_position: get(4)?,
                last_position: get(5)?,
                duplicate: true,
            },
        )))
    }
}

#[async_trait]
impl EventStore for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<AppendResult, StoreError> {
        let encoded = encode(&self.catalog, events)?;
        // Dropping `tx` before commit (an error, a cancelled request) rolls everything back.
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        if let Some(key) = idempotency_key {
            match Self::idempotent_in(&mut tx, key).await? {
                Some((s, _)) if s != *stream => return Err(StoreError::IdempotencyKeyReused),
                Some((_, first)) => return Ok(first),
                None => {}
            }
        }
        let head = sqlx::query(
            "SELECT version, hash FROM events WHERE stream_type = ?1 AND stream_id = ?2 \
             ORDER BY version DESC LIMIT 1",
        )
        .bind(&stream.stream_type)
        .bind(&stream.id)
        .fetch_optional(&mut *tx)
        .await?;
        let (current, previous) = match head {
            None => (0u64, GENESIS),
            Some(row) => Self::head_of(stream, row.try_get(0)?, row.try_get(1)?)?,
        };
        if !Self::at_expected(expected, current) {
            return Err(StoreError::conflict(stream, expected, current));
        }
        let last: i64 = sqlx::query_scalar("SELECT coalesce(max(global_position), 0) FROM events")
            .fetch_one(&mut *tx)
            .await?;
        let recorded_at = now_micros();
        let rows: Vec<(&StreamId, Prepared)> = encoded
            .chain(stream, current, previous, recorded_at)
            .into_iter()
            .map(|p| (stream, p))
            .collect();
        let n = rows.len() as i64;
        Self::insert_events(&mut tx, last + 1, &rows, recorded_at).await?;
        let result = AppendResult {
            first_version: current + 1,
            last_version: current + n as u64,
            first_position: (last + 1) as u64,
            last_position: (last + n) as u64,
            duplicate: false,
        };
        if let Some(key) = idempotency_key {
            sqlx::query(
                "INSERT INTO idempotency_keys (key, stream_type, stream_id, first_version, \
                 last_version, first_position, last_position, recorded_at, request_hash) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .bind(key.as_str())
            .bind(&stream.stream_type)
            .bind(&stream.id)
            .bind(result.first_version as i64)
            .bind(result.last_version as i64)
            .bind(result.first_position as i64)
            .bind(result.last_position as i64)
            .bind(recorded_at)
            .bind(key.fingerprint())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.committed(result.last_position);
        Ok(result)
    }

    async fn append_many(
        &self,
        appends: Vec<StreamAppend>,
    ) -> Result<Vec<AppendResult>, StoreError> {
        check_appends(&appends)?;
        let total: usize = appends.iter().map(|a| a.events.len()).sum();
        let parts = appends
            .into_iter()
            .map(|a| Ok((a.stream, a.expected, encode(&self.catalog, a.events)?)))
            .collect::<Result<Vec<(StreamId, ExpectedVersion, Encoded)>, StoreError>>()?;
        // Dropping `tx` before commit (an error, a cancelled request) rolls everything back.
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let streams: Vec<&StreamId> = parts.iter().map(|(s, _, _)| s).collect();
        let heads = Self::heads_in(&mut tx, &streams).await?;
        // Every stream is checked before anything is inserted: a conflict appends nothing.
        let mut after = Vec::with_capacity(parts.len());
        for (stream, expected, _) in &parts {
            let (current, previous) = heads.get(stream).copied().unwrap_or((0, GENESIS));
            if !Self::at_expected(*expected, current) {
                return Err(StoreError::conflict(stream, *expected, current));
            }
            after.push((current, previous));
        }
        let last: i64 = sqlx::query_scalar("SELECT coalesce(max(global_position), 0) FROM events")
            .fetch_one(&mut *tx)
            .await?;
        let recorded_at = now_micros();
        let mut rows: Vec<(&StreamId, Prepared)> = Vec::with_capacity(total);
        let mut results = Vec::with_capacity(parts.len());
        for ((stream, _, encoded), (current, previous)) in parts.iter().zip(after) {
            let first_position = (last + 1) as u64 + rows.len() as u64;
            rows.extend(
                encoded
                    .chain(stream, current, previous, recorded_at)
                    .into_iter()
                    .map(|p| (stream, p)),
            );
            let n = (last + 1) as u64 + rows.len() as u64 - first_position;
            results.push(AppendResult {
                first_version: current + 1,
                last_version: current + n,
                first_position,
                last_position: first_position + n - 1,
                duplicate: false,
            });
        }
        Self::insert_events(&mut tx, last + 1, &rows, recorded_at).await?;
        tx.commit().await?;
        self.committed(last as u64 + rows.len() as u64);
        Ok(results)
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let sql = format!(
            "{SELECT_EVENT} WHERE stream_type = ?1 AND stream_id = ?2 AND version >= ?3 ORDER BY version"
        );
        let rows = sqlx::query(&sql)
            .bind(&stream.stream_type)
            .bind(&stream.id)
            .bind(from_version as i64)
            .fetch(&self.reader);
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
        // More streams than one statement takes: read every chunk in one snapshot.
        let mut snapshot = if distinct.len() > STREAM_CHUNK {
            Some(self.reader.begin().await?)
        } else {
            None
        };
        let mut events = Vec::new();
        for chunk in distinct.chunks(STREAM_CHUNK) {
            let mut query = QueryBuilder::new("WITH wanted(stream_type, stream_id) AS (");
            query.push_values(chunk, |mut row, s| {
                row.push_bind(&s.stream_type).push_bind(&s.id);
            });
            query.push(format!(
                ") {SELECT_EVENT_E} JOIN wanted w \
                 ON e.stream_type = w.stream_type AND e.stream_id = w.stream_id \
                 ORDER BY e.stream_type, e.stream_id, e.version"
            ));
            let query = query.build();
            let read = match snapshot.as_mut() {
                Some(tx) => decode_stream(query.fetch(&mut **tx), raw, &self.catalog).await?,
                None => decode_stream(query.fetch(&self.reader), raw, &self.catalog).await?,
            };
            events.extend(read);
        }
        Ok(asked.answer(events))
    }

    async fn read_all(&self, after: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        let sql =
            format!("{SELECT_EVENT} WHERE global_position > ?1 ORDER BY global_position LIMIT ?2");
        let rows = sqlx::query(&sql)
            .bind(after as i64)
            .bind(limit.min(100_000) as i64)
            .fetch(&self.reader);
        decode_stream(rows, raw, &self.catalog).await
    }

    async fn last_position(&self) -> Result<u64, StoreError> {
        let p: i64 = sqlx::query_scalar("SELECT coalesce(max(global_position), 0) FROM events")
            .fetch_one(&self.reader)
            .await?;
        Ok(p as u64)
    }

    async fn idempotent_result(
        &self,
        key: &IdempotencyKey,
    ) -> Result<Option<(StreamId, AppendResult)>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        Self::idempotent_in(&mut conn, key).await
    }

    async fn verify(&self) -> Result<VerifyReport, StoreError> {
        let sql = format!("{SELECT_EVENT} ORDER BY stream_type, stream_id, version");
        let mut rows = sqlx::query(&sql).fetch(&self.reader);
        let mut verifier = ChainVerifier::default();
        while let Some(row) = rows.try_next().await? {
            if let Some(broken) = verifier.check(&raw(&row)?) {
                return Ok(broken);
            }
        }
        Ok(verifier.finish())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn put_scan(&self, media_type: &str, content: &[u8]) -> Result<String, StoreError> {
        let digest = hex::encode(sha2::Sha256::digest(content));
        sqlx::query(
            "INSERT INTO scans (sha256, media_type, size, content, stored_at) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(&digest)
        .bind(media_type)
        .bind(content.len() as i64)
        .bind(content)
        .bind(now_micros())
        .execute(&self.writer)
        .await?;
        Ok(digest)
    }

    async fn get_scan(&self, sha256: &str) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let row = sqlx::query("SELECT media_type, content FROM scans WHERE sha256 = ?1")
            .bind(sha256)
            .fetch_optional(&self.reader)
            .await?;
        Ok(match row {
            Some(r) => Some((r.try_get(0)?, r.try_get(1)?)),
            None => None,
        })
    }

    fn signal(&self) -> watch::Receiver<u64> {
        self.signal.subscribe()
    }

    fn sql(&self) -> crate::SqlPool {
        crate::SqlPool::Sqlite {
            writer: self.writer.clone(),
            reader: self.reader.clone(),
        }
    }
}
