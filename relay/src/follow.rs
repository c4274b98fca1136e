//! Following the store for a side effect outside the database (publishing to JetStream,
//! appending a linkage inquiry): read a page after the checkpoint, do the effect, and only then
//! advance the checkpoint. A crash between the two repeats the effect for that page, never skips
//! it (at least once); each effect is made idempotent where it lands (the event id as
//! `Nats-Msg-Id`, an idempotency key on the append). Like the projection runner, one process at
//! a time follows under a name: a PostgreSQL advisory lock held by the connection that writes
//! the checkpoint; on SQLite one process owns the file.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use eventstore::{EventStore, RecordedEvent, SqlPool, StoreError};
use sqlx::{Connection, PgConnection};
use tokio::sync::watch;

/// One page's side effect.
pub trait Step: Send {
    /// Does the effect of `page` in order; returns how many events from the front are done,
    /// and the error that stopped it early, if any.
    fn handle(
        &mut self,
        page: &[RecordedEvent],
    ) -> impl Future<Output = (usize, Option<anyhow::Error>)> + Send;
}

#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error("another process follows {0}")]
    Locked(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Step(anyhow::Error),
    /// The test hook `stop_before_checkpoint`: the effect happened, the checkpoint did not move.
    #[error("stopped before the checkpoint (injected fault)")]
    Injected,
}

/// Test hooks.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// After the first page's effect, stop as a crash would: without saving the checkpoint.
    pub stop_before_checkpoint: bool,
}

pub const PAGE: usize = 2000;
const SAFETY_POLL: Duration = Duration::from_millis(1000);

/// The checkpoint of follower `name` (0 before its first page).
pub async fn checkpoint(sql: &SqlPool, name: &str) -> Result<u64, sqlx::Error> {
    let row: Option<(i64,)> = eventstore::on_sql!(sql, reader, |p| {
        sqlx::query_as("SELECT position FROM projection_checkpoints WHERE name = $1")
            .bind(name)
            .fetch_optional(p)
            .await?
    });
    Ok(row.map_or(0, |(p,)| p as u64))
}

/// Events after `name`'s checkpoint (counted: positions are sparse).
pub async fn behind(store: &Arc<dyn EventStore>, name: &str) -> anyhow::Result<(u64, usize)> {
    let position = checkpoint(&store.sql(), name).await?;
    let mut count = 0usize;
    let mut after = position;
    loop {
        let page = store.read_all(after, 10_000).await?;
        let Some(last) = page.last() else { break };
        after = last.position;
        count += page.len();
    }
    Ok((position, count))
}

const SAVE: &str = "INSERT INTO projection_checkpoints (name, position, updated_at) \
                    VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE \
                    SET position = excluded.position, updated_at = excluded.updated_at";

fn lock_key(name: &str) -> i64 {
    // FNV-1a, stable across builds; another namespace than the projections' locks.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("nanbyo.follower.{name}").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

enum Writer {
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
    Sqlite(sqlx::SqlitePool),
}

impl Writer {
    async fn save(&mut self, name: &str, position: u64) -> Result<(), sqlx::Error> {
        let now = chrono::Utc::now().timestamp_millis();
        match self {
            Writer::Postgres(c) => {
                let c: &mut PgConnection = c;
                sqlx::query(SAVE)
                    .bind(name)
                    .bind(position as i64)
                    .bind(now)
                    .execute(c)
                    .await?;
            }
            Writer::Sqlite(p) => {
                sqlx::query(SAVE)
                    .bind(name)
                    .bind(position as i64)
                    .bind(now)
                    .execute(&*p)
                    .await?;
            }
        }
        Ok(())
    }
}

/// Follows the store under `name` until `shutdown` turns true or an error stops it (the caller
/// restarts). Reports the checkpoint on `progress`.
pub async fn follow<S: Step>(
    store: &Arc<dyn EventStore>,
    name: &str,
    step: &mut S,
    shutdown: &mut watch::Receiver<bool>,
    progress: Option<&watch::Sender<u64>>,
    faults: &Faults,
) -> Result<(), FollowError> {
    let sql = store.sql();
    let mut writer = match &sql {
        SqlPool::Postgres(pool) => {
            let mut conn = pool.acquire().await?;
            let (locked,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_lock($1)")
                .bind(lock_key(name))
                .fetch_one(&mut *conn)
                .await?;
            if !locked {
                return Err(FollowError::Locked(name.to_owned()));
            }
            Writer::Postgres(conn)
        }
        SqlPool::Sqlite { writer, .. } => Writer::Sqlite(writer.clone()),
    };
    let result = follow_locked(store, name, step, shutdown, progress, faults, &mut writer).await;
    if let Writer::Postgres(conn) = writer {
        // Close rather than return a connection that still holds the session lock.
        let _ = conn.detach().close().await;
    }
    result
}

async fn follow_locked<S: Step>(
    store: &Arc<dyn EventStore>,
    name: &str,
    step: &mut S,
    shutdown: &mut watch::Receiver<bool>,
    progress: Option<&watch::Sender<u64>>,
    faults: &Faults,
    writer: &mut Writer,
) -> Result<(), FollowError> {
    let mut position = checkpoint(&store.sql(), name).await?;
    if let Some(p) = progress {
        p.send_replace(position);
    }
    let mut signal = store.signal();
    let mut hidden_wait = Duration::from_millis(2);
    let mut prefetched: Option<Vec<RecordedEvent>> = None;
    loop {
        if *shutdown.borrow() {
            return Ok(());
        }
        let signalled = *signal.borrow_and_update();
        let page = match prefetched.take() {
            Some(page) => page,
            None => store.read_all(position, PAGE).await?,
        };
        if let Some(last) = page.last().map(|e| e.position) {
            // While the effect of this page is under way (JetStream acknowledging), read the
            // next one: catching up is then bound by the slower of the two, not their sum.
            let ((done, error), next) =
                tokio::join!(step.handle(&page), store.read_all(last, PAGE));
            if faults.stop_before_checkpoint && done > 0 {
                return Err(FollowError::Injected);
            }
            if done > 0 {
                position = page[done - 1].position;
                writer.save(name, position).await?;
                if let Some(p) = progress {
                    p.send_replace(position);
                }
            }
            if let Some(e) = error {
                return Err(FollowError::Step(e));
            }
            // Only a whole page done lets the read-ahead stand (its start is the page's end).
            if done == page.len() {
                prefetched = next.ok().filter(|n| !n.is_empty());
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

/// Runs `attempt` until `shutdown`, restarting after errors with a backoff (from 200 ms, doubling,
/// at most `max_backoff`; back to 200 ms after an attempt that ran 30 s). `attempt` returning Ok
/// means it stopped for shutdown.
pub async fn restarting<F, Fut>(
    what: &'static str,
    mut shutdown: watch::Receiver<bool>,
    max_backoff: Duration,
    mut attempt: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), FollowError>>,
{
    let mut backoff = Duration::from_millis(200);
    loop {
        if *shutdown.borrow() {
            return;
        }
        let started = tokio::time::Instant::now();
        let result = attempt().await;
        if started.elapsed() > Duration::from_secs(30) {
            // It ran for a while before stopping: a new fault, not the same one again.
            backoff = Duration::from_millis(200);
        }
        match result {
            Ok(()) => return,
            Err(FollowError::Locked(_)) => {
                backoff = max_backoff.min(Duration::from_secs(2));
            }
            Err(e) => {
                tracing::warn!(what, error = %e, "stopped; retrying");
                backoff = (backoff * 2).min(max_backoff);
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = shutdown.changed() => {}
        }
    }
}
