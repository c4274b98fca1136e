//! Runs one projection: catch up from its checkpoint, then follow the store live. On
//! PostgreSQL the runner holds an advisory lock on the connection it writes with, so among
//! several `nanbyo` processes exactly one runs each projection; when it dies its connection
//! closes, the lock is released and another process takes over.

use std::sync::Arc;
use std::time::Duration;

use eventstore::{EventStore, RecordedEvent, SqlPool, StoreError};
use sqlx::{Connection, PgConnection, SqliteConnection};
use tokio::sync::watch;

/// A read model built from events.
pub trait Projection: Send + Sync + 'static {
    /// Stable name: the key of its checkpoint (and of its lock).
    fn name(&self) -> &'static str;
    /// The stream types it reads; other events only move the checkpoint.
    fn stream_types(&self) -> &'static [&'static str];
    /// Applies one event inside the batch's transaction.
    fn apply(
        &self,
        tx: &mut Tx<'_>,
        event: &RecordedEvent,
    ) -> impl std::future::Future<Output = Result<(), ProjectionError>> + Send;
}

/// The transaction a batch is applied in.
pub enum Tx<'a> {
    Postgres(&'a mut PgConnection),
    Sqlite(&'a mut SqliteConnection),
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// An event this projection reads could not be decoded: a bug, the projection stops
    /// rather than build a wrong view.
    #[error("event {position} cannot be projected: {reason}")]
    Event { position: u64, reason: String },
}

const BATCH: usize = 500;
const SAFETY_POLL: Duration = Duration::from_millis(1000);
const RETRY: Duration = Duration::from_secs(2);

/// Where a projection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    pub position: u64,
}

/// Reads a projection's checkpoint (0 before its first batch).
pub async fn checkpoint(sql: &SqlPool, name: &str) -> Result<u64, ProjectionError> {
    let row: Option<(i64,)> = eventstore::on_sql!(sql, reader, |p| {
        sqlx::query_as("SELECT position FROM projection_checkpoints WHERE name = $1")
            .bind(name)
            .fetch_optional(p)
            .await?
    });
    Ok(row.map_or(0, |(p,)| p as u64))
}

/// The position a read-your-writes query waits for: everything committed so far. The store's
/// `last_position` alone is the readers' horizon, which on PostgreSQL stays below every
/// transaction still open on the server and so can lag a write this process committed a
/// moment ago; the store's signal carries the positions it knows committed.
pub async fn committed_head(store: &Arc<dyn EventStore>) -> Result<u64, eventstore::StoreError> {
    let signalled = *store.signal().borrow();
    Ok(store.last_position().await?.max(signalled))
}

/// Waits (bounded) until projection `name` has applied the event at `position`: a query after
/// a command reads its own write. True when reached.
pub async fn wait_for(
    sql: &SqlPool,
    name: &str,
    position: u64,
    timeout: Duration,
) -> Result<bool, ProjectionError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        if checkpoint(sql, name).await? >= position {
            return Ok(true);
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// Runs `projection` until `shutdown` turns true, restarting after errors (a lost database
/// connection, a lock held by another process). Reports its position on `progress`.
pub async fn run<P: Projection>(
    store: Arc<dyn EventStore>,
    projection: P,
    mut shutdown: watch::Receiver<bool>,
    progress: Option<watch::Sender<u64>>,
) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        match run_once(&store, &projection, &mut shutdown, progress.as_ref()).await {
            Ok(()) => return,
            Err(Stop::Waiting) => {}
            Err(Stop::Failed(e)) => tracing::warn!(
                projection = projection.name(),
                error = %e,
                "projection stopped; retrying"
            ),
        }
        tokio::select! {
            _ = tokio::time::sleep(RETRY) => {}
            _ = shutdown.changed() => {}
        }
    }
}

enum Stop {
    /// Another process runs this projection.
    Waiting,
    Failed(ProjectionError),
}

impl<E: Into<ProjectionError>> From<E> for Stop {
    fn from(e: E) -> Self {
        Stop::Failed(e.into())
    }
}

/// The advisory-lock key of a projection (FNV-1a of its name, stable across builds).
fn lock_key(name: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("nanbyo.projection.{name}").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

async fn run_once<P: Projection>(
    store: &Arc<dyn EventStore>,
    projection: &P,
    shutdown: &mut watch::Receiver<bool>,
    progress: Option<&watch::Sender<u64>>,
) -> Result<(), Stop> {
    let sql = store.sql();
    match &sql {
        SqlPool::Postgres(pool) => {
            let mut conn = pool.acquire().await.map_err(ProjectionError::from)?;
            let (locked,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_lock($1)")
                .bind(lock_key(projection.name()))
                .fetch_one(&mut *conn)
                .await
                .map_err(ProjectionError::from)?;
            if !locked {
                return Err(Stop::Waiting);
            }
            // Applied on the locked connection: if it breaks, the batch fails with it and
            // another process may take over; nobody ever writes without holding the lock.
            let result = follow(
                store,
                projection,
                shutdown,
                progress,
                &mut Writer::Postgres(&mut conn),
            )
            .await;
            // Detach rather than return the connection with the session lock still held.
            let _ = conn.detach().close().await;
            result
        }
        SqlPool::Sqlite { writer, .. } => {
            // One process owns an SQLite file; its single writer connection serialises us.
            follow(
                store,
                projection,
                shutdown,
                progress,
                &mut Writer::Sqlite(writer.clone()),
            )
            .await
        }
    }
}

enum Writer<'a> {
    Postgres(&'a mut PgConnection),
    /// The store's single writer connection is taken per batch, between appends.
    Sqlite(sqlx::SqlitePool),
}

async fn follow<P: Projection>(
    store: &Arc<dyn EventStore>,
    projection: &P,
    shutdown: &mut watch::Receiver<bool>,
    progress: Option<&watch::Sender<u64>>,
    writer: &mut Writer<'_>,
) -> Result<(), Stop> {
    let sql = store.sql();
    let mut position = checkpoint(&sql, projection.name()).await?;
    if let Some(p) = progress {
        p.send_replace(position);
    }
    let mut signal = store.signal();
    let mut hidden_wait = Duration::from_millis(2);
    loop {
        if *shutdown.borrow() {
            return Ok(());
        }
        let signalled = *signal.borrow_and_update();
        let page = store.read_all(position, BATCH).await?;
        if let Some(last) = page.last() {
            let last = last.position;
            apply_batch(projection, writer, &page, last).await?;
            position = last;
            if let Some(p) = progress {
                p.send_replace(position);
            }
            hidden_wait = Duration::from_millis(2);
            continue;
        }
        if signalled > position {
            // Committed events an older transaction still hides (PostgreSQL): back off.
            tokio::time::sleep(hidden_wait).await;
            hidden_wait = (hidden_wait * 2).min(Duration::from_millis(100));
            continue;
        }
        tokio::select! {
            _ = signal.changed() => {}
            _ = tokio::time::sleep(SAFETY_POLL) => {}
            _ = shutdown.changed() => {}
        }
    }
}

async fn apply_batch<P: Projection>(
    projection: &P,
    writer: &mut Writer<'_>,
    page: &[RecordedEvent],
    last: u64,
) -> Result<(), ProjectionError> {
    let wanted = |e: &&RecordedEvent| {
        projection
            .stream_types()
            .contains(&e.stream.stream_type.as_str())
    };
    let now = chrono::Utc::now().timestamp_millis();
    const SAVE: &str = "INSERT INTO projection_checkpoints (name, position, updated_at) \
                        VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE \
                        SET position = excluded.position, updated_at = excluded.updated_at";
    match writer {
        Writer::Postgres(conn) => {
            let mut tx = conn.begin().await?;
            for event in page.iter().filter(wanted) {
                projection.apply(&mut Tx::Postgres(&mut tx), event).await?;
            }
            sqlx::query(SAVE)
                .bind(projection.name())
                .bind(last as i64)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Writer::Sqlite(pool) => {
            let mut tx = pool.begin().await?;
            for event in page.iter().filter(wanted) {
                projection.apply(&mut Tx::Sqlite(&mut tx), event).await?;
            }
            sqlx::query(SAVE)
                .bind(projection.name())
                .bind(last as i64)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
    }
    Ok(())
}
