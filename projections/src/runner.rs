//! Runs one projection: catch up from its checkpoint, then follow the store live. On
//! PostgreSQL the runner holds an advisory lock on the connection it writes with, so among
//! several `nanbyo` processes exactly one runs each projection; when it dies its connection
//! closes, the lock is released and another process takes over.

use std::borrow::Cow;
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
    /// The read tables it owns and writes (all through [`exec!`](crate::exec)): a rebuild
    /// fills copies of them and swaps them in.
    fn tables(&self) -> &'static [&'static str];
    /// Applies one event inside the batch's transaction.
    fn apply(
        &self,
        tx: &mut Tx<'_>,
        event: &RecordedEvent,
    ) -> impl std::future::Future<Output = Result<(), ProjectionError>> + Send;
    /// Applies a page of its events (in order) inside one transaction. The default applies
    /// them one by one; a projection may override it with set-based statements (a rebuild
    /// reads pages of thousands of events). An event that cannot be applied fails the page
    /// with its own position.
    fn apply_all(
        &self,
        tx: &mut Tx<'_>,
        events: &[&RecordedEvent],
    ) -> impl std::future::Future<Output = Result<(), ProjectionError>> + Send {
        async move {
            for event in events {
                self.apply(tx, event).await?;
            }
            Ok(())
        }
    }
}

/// The transaction a batch is applied in. During a rebuild its statements go to the copies of
/// the projection's tables ([`Tx::sql`]), so the projection's code is the same either way.
pub struct Tx<'a> {
    #[doc(hidden)]
    pub conn: TxConn<'a>,
    /// The tables renamed to their rebuild copies, or none.
    shadow: &'a [&'static str],
}

#[doc(hidden)]
pub enum TxConn<'a> {
    Postgres(&'a mut PgConnection),
    Sqlite(&'a mut SqliteConnection),
}

/// The name of a table's copy while a rebuild fills it.
pub fn shadow_name(table: &str) -> String {
    format!("{table}__rebuild")
}

impl<'a> Tx<'a> {
    fn new(conn: TxConn<'a>, shadow: &'a [&'static str]) -> Self {
        Tx { conn, shadow }
    }

    /// The statement as it must run: with each owned table replaced by its rebuild copy while
    /// rebuilding (whole identifiers only).
    pub fn sql<'s>(&self, sql: &'s str) -> Cow<'s, str> {
        if self.shadow.is_empty() {
            return Cow::Borrowed(sql);
        }
        let copies: Vec<(&str, String)> =
            self.shadow.iter().map(|t| (*t, shadow_name(t))).collect();
        let pairs: Vec<(&str, &str)> = copies.iter().map(|(t, c)| (*t, c.as_str())).collect();
        Cow::Owned(rename_words(sql, &pairs))
    }
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
    /// Another rebuild of this projection is running.
    #[error("projection {0} is being rebuilt by another process")]
    Busy(&'static str),
}

/// The most events one live batch applies.
const BATCH: usize = 500;
/// The fewest: below it the per-batch cost (lock, checkpoint, commit) would dominate.
const MIN_BATCH: usize = 32;
/// How long one live batch's transaction should stay open. On PostgreSQL every follower of the
/// store (the relay, the other projections) sees only events of transactions older than the
/// oldest one still open, and a batch is a transaction: a batch of 500 catching up took
/// 100–200 ms and held every follower back by as much (`nanbyo bench relay`,
/// relay.commit_to_publish_projections_catching_up). On SQLite it holds the one writer that
/// commands append through.
const BATCH_TARGET: Duration = Duration::from_millis(50);
/// A rebuild reads and applies in larger batches: nobody waits for its individual events.
const REBUILD_BATCH: usize = 5_000;
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
    let mut batch = BATCH;
    loop {
        if *shutdown.borrow() {
            return Ok(());
        }
        let signalled = *signal.borrow_and_update();
        let page = store.read_all(position, batch).await?;
        if let Some(last) = page.last() {
            let last = last.position;
            let began = std::time::Instant::now();
            match apply_batch(
                projection,
                writer,
                &page,
                position,
                last,
                &[],
                projection.name(),
            )
            .await
            {
                Ok(true) => {
                    position = last;
                    batch = next_batch(batch, page.len(), began.elapsed());
                }
                // A rebuild swapped its tables in (with their own checkpoint) meanwhile: the
                // batch was rolled back; go on from where the rebuilt tables are.
                Ok(false) => position = checkpoint(&sql, projection.name()).await?,
                Err(e) => {
                    // Stop right before the event that cannot be applied: the events before it
                    // in this page go in, so the checkpoint names the culprit's predecessor.
                    if let ProjectionError::Event { position: bad, .. } = &e {
                        let before: Vec<RecordedEvent> = page
                            .iter()
                            .filter(|ev| ev.position < *bad)
                            .cloned()
                            .collect();
                        if let Some(upto) = before.last().map(|ev| ev.position) {
                            if apply_batch(
                                projection,
                                writer,
                                &before,
                                position,
                                upto,
                                &[],
                                projection.name(),
                            )
                            .await?
                            {
                                position = upto;
                            }
                        }
                    }
                    record_failure(&sql, projection.name(), position, &e).await;
                    return Err(Stop::Failed(e));
                }
            }
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

/// The size of the next live batch after one of `applied` events (of at most `batch`) took
/// `took`: as many as fit in [`BATCH_TARGET`] at that pace when it took longer, twice as many
/// (up to [`BATCH`]) when a full batch took under a quarter of it.
fn next_batch(batch: usize, applied: usize, took: Duration) -> usize {
    if took > BATCH_TARGET {
        let fit = applied as f64 * BATCH_TARGET.as_secs_f64() / took.as_secs_f64();
        (fit as usize).clamp(MIN_BATCH, BATCH)
    } else if applied == batch && took < BATCH_TARGET / 4 {
        (batch * 2).min(BATCH)
    } else {
        batch
    }
}

/// Saves the checkpoint only if it is still where this batch started (compare and set), and
/// clears a recorded failure. False: another writer (a rebuild's swap) moved it.
const SAVE: &str = "INSERT INTO projection_checkpoints (name, position, updated_at) \
                    VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE \
                    SET position = excluded.position, updated_at = excluded.updated_at, \
                        error = NULL, error_position = NULL \
                    WHERE projection_checkpoints.position = $4";

/// Takes the checkpoint row (creating it at 0) and returns its position: the first statement of
/// every batch and of a rebuild's swap, so the two are ordered on this row. Without it a live
/// batch could wait on a table the swap holds and then write into the table swapped in.
const HOLD: &str = "INSERT INTO projection_checkpoints (name, position, updated_at) \
                    VALUES ($1, 0, $2) ON CONFLICT (name) DO UPDATE SET name = excluded.name \
                    RETURNING position";

/// HOLD for a row that exists (PostgreSQL): the same lock, no new row version.
const LOCK: &str = "SELECT position FROM projection_checkpoints WHERE name = $1 FOR UPDATE";

/// Applies one page in one transaction with the checkpoint `checkpoint_name`, into the tables
/// or (with `shadow`) into their rebuild copies. False when the checkpoint was not at `from`
/// (nothing applied).
async fn apply_batch<P: Projection>(
    projection: &P,
    writer: &mut Writer<'_>,
    page: &[RecordedEvent],
    from: u64,
    last: u64,
    shadow: &[&'static str],
    checkpoint_name: &str,
) -> Result<bool, ProjectionError> {
    let now = chrono::Utc::now().timestamp_millis();
    match writer {
        Writer::Postgres(conn) => {
            let mut tx = conn.begin().await?;
            let outcome: Result<bool, ProjectionError> = async {
                // The row exists after the first batch: lock it without writing a new version
                // of it; create it (HOLD) only the first time.
                let locked: Option<(i64,)> = sqlx::query_as(LOCK)
                    .bind(checkpoint_name)
                    .fetch_optional(&mut *tx)
                    .await?;
                let held = match locked {
                    Some((held,)) => held,
                    None => {
                        sqlx::query_as::<_, (i64,)>(HOLD)
                            .bind(checkpoint_name)
                            .bind(now)
                            .fetch_one(&mut *tx)
                            .await?
                            .0
                    }
                };
                if held != from as i64 {
                    return Ok(false);
                }
                apply_page(projection, TxConn::Postgres(&mut tx), shadow, page).await?;
                let saved = sqlx::query(SAVE)
                    .bind(checkpoint_name)
                    .bind(last as i64)
                    .bind(now)
                    .bind(from as i64)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                Ok(saved == 1)
            }
            .await;
            if let Ok(true) = outcome {
                tx.commit().await?;
            } else {
                // Now, not when the transaction is dropped: sqlx only queues that rollback
                // until the connection is used again, and until then the checkpoint row stays
                // locked — recording the failure on another connection would wait forever.
                let _ = tx.rollback().await;
            }
            if !outcome? {
                return Ok(false);
            }
        }
        Writer::Sqlite(pool) => {
            let mut tx = pool.begin().await?;
            let outcome: Result<bool, ProjectionError> = async {
                let (held,): (i64,) = sqlx::query_as(HOLD)
                    .bind(checkpoint_name)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                if held != from as i64 {
                    return Ok(false);
                }
                apply_page(projection, TxConn::Sqlite(&mut tx), shadow, page).await?;
                let saved = sqlx::query(SAVE)
                    .bind(checkpoint_name)
                    .bind(last as i64)
                    .bind(now)
                    .bind(from as i64)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                Ok(saved == 1)
            }
            .await;
            if let Ok(true) = outcome {
                tx.commit().await?;
            } else {
                // Now, not when the transaction is dropped: sqlx only queues that rollback
                // until the connection is used again, and until then the checkpoint row stays
                // locked — recording the failure on another connection would wait forever.
                let _ = tx.rollback().await;
            }
            if !outcome? {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

async fn apply_page<P: Projection>(
    projection: &P,
    conn: TxConn<'_>,
    shadow: &[&'static str],
    page: &[RecordedEvent],
) -> Result<(), ProjectionError> {
    let mut tx = Tx::new(conn, shadow);
    let wanted: Vec<&RecordedEvent> = page
        .iter()
        .filter(|event| {
            projection
                .stream_types()
                .contains(&event.stream.stream_type.as_str())
        })
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    projection.apply_all(&mut tx, &wanted).await
}

/// Records why a projection stopped, for `status` and the metrics. The reason names the
/// position and the kind of failure, never an event's content.
async fn record_failure(sql: &SqlPool, name: &str, position: u64, error: &ProjectionError) {
    let (at, reason) = match error {
        ProjectionError::Event { position, .. } => {
            (*position, "an event cannot be applied".to_owned())
        }
        ProjectionError::Database(e) => (position, format!("database: {}", db_kind(e))),
        ProjectionError::Store(_) => (position, "the event store cannot be read".to_owned()),
        ProjectionError::Busy(_) => (position, "being rebuilt".to_owned()),
    };
    tracing::error!(projection = name, position = at, reason = %reason, "projection stopped");
    let now = chrono::Utc::now().timestamp_millis();
    let result: Result<_, sqlx::Error> = async {
        eventstore::on_sql!(sql, writer, |p| {
            sqlx::query(
                "INSERT INTO projection_checkpoints (name, position, updated_at, error, \
                 error_position) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO UPDATE \
                 SET error = excluded.error, error_position = excluded.error_position",
            )
            .bind(name)
            .bind(position as i64)
            .bind(now)
            .bind(&reason)
            .bind(at as i64)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(())
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(projection = name, error = %db_kind(&e), "cannot record the failure");
    }
}

/// A database error without its detail text (which may quote values).
fn db_kind(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) => format!(
            "{} ({})",
            d.message(),
            d.code().as_deref().unwrap_or("no code")
        ),
        other => other.to_string(),
    }
}

/// Where a projection stands, for `nanbyo projections status` and the metrics.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Status {
    pub name: &'static str,
    pub position: u64,
    /// Committed events after the checkpoint (counted: positions are sparse on PostgreSQL).
    pub behind: u64,
    /// Seconds since the oldest event not yet applied was recorded (0 when caught up).
    pub lag_seconds: f64,
    /// Why it stopped, if it did, and at which position.
    pub error: Option<String>,
    pub error_position: Option<u64>,
}

/// The status of projection `name`.
pub async fn status(
    store: &Arc<dyn EventStore>,
    name: &'static str,
) -> Result<Status, ProjectionError> {
    let sql = store.sql();
    let row: Option<(i64, Option<String>, Option<i64>)> = eventstore::on_sql!(&sql, reader, |p| {
        sqlx::query_as(
            "SELECT position, error, error_position FROM projection_checkpoints WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(p)
        .await?
    });
    let (position, error, error_position) = row.unwrap_or((0, None, None));
    let (behind, oldest_micros): (i64, Option<i64>) = match &sql {
        SqlPool::Postgres(p) => {
            sqlx::query_as(
                "SELECT count(*), (extract(epoch FROM min(recorded_at)) * 1000000)::bigint \
             FROM events WHERE global_position > $1",
            )
            .bind(position)
            .fetch_one(p)
            .await?
        }
        SqlPool::Sqlite { reader, .. } => {
            sqlx::query_as(
                "SELECT count(*), min(recorded_at) FROM events WHERE global_position > $1",
            )
            .bind(position)
            .fetch_one(reader)
            .await?
        }
    };
    let now = chrono::Utc::now().timestamp_micros();
    Ok(Status {
        name,
        position: position as u64,
        behind: behind as u64,
        lag_seconds: oldest_micros.map_or(0.0, |t| (now - t).max(0) as f64 / 1e6),
        error,
        error_position: error_position.map(|p| p as u64),
    })
}

/// What a rebuild did.
#[derive(Debug, Clone, Copy)]
pub struct Rebuilt {
    pub events: u64,
    pub position: u64,
}

/// Rebuilds `projection` from position 0 into copies of its tables while the live tables keep
/// serving reads (and keep following the store), then swaps the copies in, in one
/// transaction that first applies whatever arrived meanwhile. `progress` gets (events done,
/// events in the store when the rebuild started).
pub async fn rebuild<P: Projection>(
    store: &Arc<dyn EventStore>,
    projection: &P,
    progress: impl Fn(u64, u64),
) -> Result<Rebuilt, ProjectionError> {
    let sql = store.sql();
    let tables = projection.tables();
    let copy_checkpoint = shadow_name(projection.name());
    let total = status(store, projection.name()).await?;
    let total = total.behind + count_until(&sql, total.position).await?;
    match &sql {
        SqlPool::Postgres(pool) => {
            let mut conn = pool.acquire().await?;
            // One rebuild of a projection at a time.
            let (locked,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_lock($1)")
                .bind(lock_key(&copy_checkpoint))
                .fetch_one(&mut *conn)
                .await?;
            if !locked {
                return Err(ProjectionError::Busy(projection.name()));
            }
            let result = async {
                for t in tables {
                    let copy = shadow_name(t);
                    sqlx::query(&format!("DROP TABLE IF EXISTS {copy}"))
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query(&format!("CREATE TABLE {copy} (LIKE {t} INCLUDING ALL)"))
                        .execute(&mut *conn)
                        .await?;
                    // Bulk load first, index after: the copy keeps only the indexes of its
                    // constraints (its primary key) while it is filled.
                    for (index, _) in secondary_indexes(&mut conn, &copy).await? {
                        sqlx::query(&format!("DROP INDEX {index}"))
                            .execute(&mut *conn)
                            .await?;
                    }
                }
                let mut writer = Writer::Postgres(&mut conn);
                let done = fill(
                    store,
                    projection,
                    &mut writer,
                    &copy_checkpoint,
                    &progress,
                    total,
                )
                .await?;
                let Writer::Postgres(conn) = writer else {
                    unreachable!()
                };
                for t in tables {
                    let copy = shadow_name(t);
                    for (index, def) in secondary_indexes(conn, t).await? {
                        let def = rename_words(&def, &[(t, &copy), (&index, &shadow_name(&index))]);
                        sqlx::query(&def).execute(&mut *conn).await?;
                    }
                    // Statistics now, so that the first queries after the swap are planned on
                    // the real table rather than on an empty one.
                    sqlx::query(&format!("ANALYZE {copy}"))
                        .execute(&mut *conn)
                        .await?;
                }
                let mut tx = conn.begin().await?;
                // The live runner's checkpoint first, as its batches take it: a batch under
                // way finishes before the swap, and one after it finds the checkpoint moved.
                sqlx::query(HOLD)
                    .bind(projection.name())
                    .bind(chrono::Utc::now().timestamp_millis())
                    .execute(&mut *tx)
                    .await?;
                for t in tables {
                    // Reads wait only for the swap itself.
                    sqlx::query(&format!("LOCK TABLE {t} IN ACCESS EXCLUSIVE MODE"))
                        .execute(&mut *tx)
                        .await?;
                }
                let (position, extra) = catch_up(
                    store,
                    projection,
                    TxConn::Postgres(&mut tx),
                    &copy_checkpoint,
                )
                .await?;
                for t in tables {
                    let copy = shadow_name(t);
                    let index_defs = "SELECT indexname::text, indexdef FROM pg_indexes \
                                      WHERE schemaname = current_schema() AND tablename = $1";
                    let originals: Vec<(String, String)> = sqlx::query_as(index_defs)
                        .bind(t)
                        .fetch_all(&mut *tx)
                        .await?;
                    // The service's role was granted rights on the table (deploy/); the copy
                    // gets the same.
                    let grants: Vec<(String, String)> = sqlx::query_as(
                        "SELECT grantee::text, privilege_type::text \
                         FROM information_schema.role_table_grants \
                         WHERE table_schema = current_schema() AND table_name = $1 \
                         AND grantee <> current_user",
                    )
                    .bind(t)
                    .fetch_all(&mut *tx)
                    .await?;
                    sqlx::query(&format!("DROP TABLE {t}"))
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(&format!("ALTER TABLE {copy} RENAME TO {t}"))
                        .execute(&mut *tx)
                        .await?;
                    for (grantee, privilege) in grants {
                        let grantee = grantee.replace('"', "\"\"");
                        sqlx::query(&format!("GRANT {privilege} ON {t} TO \"{grantee}\""))
                            .execute(&mut *tx)
                            .await?;
                    }
                    // The copy's indexes got generated names: give each the name of the
                    // original index with the same definition.
                    let copies: Vec<(String, String)> = sqlx::query_as(index_defs)
                        .bind(t)
                        .fetch_all(&mut *tx)
                        .await?;
                    let shape = |name: &str, def: &str| rename_words(def, &[(name, "")]);
                    for (name, def) in &copies {
                        let wanted = originals
                            .iter()
                            .find(|(o, odef)| shape(o, odef) == shape(name, def))
                            .map(|(o, _)| o);
                        if let Some(original) = wanted.filter(|o| *o != name) {
                            sqlx::query(&format!("ALTER INDEX {name} RENAME TO {original}"))
                                .execute(&mut *tx)
                                .await?;
                        }
                    }
                }
                swap_checkpoints(
                    TxConn::Postgres(&mut tx),
                    projection.name(),
                    &copy_checkpoint,
                    position,
                )
                .await?;
                tx.commit().await?;
                Ok(Rebuilt {
                    events: done + extra,
                    position,
                })
            }
            .await;
            let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(lock_key(&copy_checkpoint))
                .execute(&mut *conn)
                .await;
            result
        }
        SqlPool::Sqlite { writer, .. } => {
            let mut definitions = vec![];
            for t in tables {
                let copy = shadow_name(t);
                let ddl: Vec<(String, String, String)> = sqlx::query_as(
                    "SELECT type, name, sql FROM sqlite_master \
                     WHERE tbl_name = $1 AND sql IS NOT NULL ORDER BY type DESC",
                )
                .bind(t)
                .fetch_all(writer)
                .await?;
                sqlx::query(&format!("DROP TABLE IF EXISTS {copy}"))
                    .execute(writer)
                    .await?;
                // The table only: its indexes are created once, at the swap, on the full table
                // (`CREATE TABLE t (` becomes `CREATE TABLE t__rebuild (`).
                for (_, _, ddl) in ddl.iter().filter(|(kind, ..)| kind == "table") {
                    let renamed = rename_words(ddl, &[(t, &copy)]);
                    sqlx::query(&renamed).execute(writer).await?;
                }
                definitions.push(ddl);
            }
            let mut w = Writer::Sqlite(writer.clone());
            let done = fill(
                store,
                projection,
                &mut w,
                &copy_checkpoint,
                &progress,
                total,
            )
            .await?;
            let mut tx = writer.begin().await?;
            let (position, extra) =
                catch_up(store, projection, TxConn::Sqlite(&mut tx), &copy_checkpoint).await?;
            for (t, ddl) in tables.iter().zip(&definitions) {
                sqlx::query(&format!("DROP TABLE {t}"))
                    .execute(&mut *tx)
                    .await?;
                for (_, name, _) in ddl.iter().filter(|(k, ..)| k == "index") {
                    sqlx::query(&format!("DROP INDEX IF EXISTS {}", shadow_name(name)))
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(&format!("ALTER TABLE {} RENAME TO {t}", shadow_name(t)))
                    .execute(&mut *tx)
                    .await?;
                for (_, _, index) in ddl.iter().filter(|(k, ..)| k == "index") {
                    sqlx::query(index).execute(&mut *tx).await?;
                }
            }
            swap_checkpoints(
                TxConn::Sqlite(&mut tx),
                projection.name(),
                &copy_checkpoint,
                position,
            )
            .await?;
            tx.commit().await?;
            Ok(Rebuilt {
                events: done + extra,
                position,
            })
        }
    }
}

/// The indexes of `table` that back no constraint: (name, definition).
async fn secondary_indexes(
    conn: &mut PgConnection,
    table: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT i.indexname::text, i.indexdef FROM pg_indexes i \
         WHERE i.schemaname = current_schema() AND i.tablename = $1 \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
                         WHERE c.conrelid = to_regclass($1) AND c.conname = i.indexname)",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await
}

/// Events at or before `position` (the part of the store a checkpoint has passed).
async fn count_until(sql: &SqlPool, position: u64) -> Result<u64, ProjectionError> {
    let (n,): (i64,) = eventstore::on_sql!(sql, reader, |p| {
        sqlx::query_as("SELECT count(*) FROM events WHERE global_position <= $1")
            .bind(position as i64)
            .fetch_one(p)
            .await?
    });
    Ok(n as u64)
}

/// Replaces whole identifiers in a statement.
fn rename_words(sql: &str, pairs: &[(&str, &str)]) -> String {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(sql.len() + 32);
    let mut word = String::new();
    let mut quoted = false;
    for c in sql.chars().chain(std::iter::once('\0')) {
        if c == '\'' {
            quoted = !quoted;
        }
        if ident(c) && !quoted {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            match pairs.iter().find(|(from, _)| *from == word) {
                Some((_, to)) => out.push_str(to),
                None => out.push_str(&word),
            }
            word.clear();
        }
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

/// Applies the whole store into the copies, batch by batch with their own checkpoint, until
/// caught up. Returns the number of events read.
async fn fill<P: Projection>(
    store: &Arc<dyn EventStore>,
    projection: &P,
    writer: &mut Writer<'_>,
    copy_checkpoint: &str,
    progress: &impl Fn(u64, u64),
    total: u64,
) -> Result<u64, ProjectionError> {
    let sql = store.sql();
    eventstore::on_sql!(&sql, writer, |p| {
        sqlx::query("DELETE FROM projection_checkpoints WHERE name = $1")
            .bind(copy_checkpoint)
            .execute(p)
            .await?
            .rows_affected()
    });
    let mut position = 0;
    let mut done = 0u64;
    loop {
        let page = store.read_all(position, REBUILD_BATCH).await?;
        let Some(last) = page.last().map(|e| e.position) else {
            return Ok(done);
        };
        if !apply_batch(
            projection,
            writer,
            &page,
            position,
            last,
            projection.tables(),
            copy_checkpoint,
        )
        .await?
        {
            return Err(ProjectionError::Busy(projection.name()));
        }
        position = last;
        done += page.len() as u64;
        progress(done, total.max(done));
    }
}

/// Inside the swap transaction: applies to the copies what arrived since the fill ended.
async fn catch_up<P: Projection>(
    store: &Arc<dyn EventStore>,
    projection: &P,
    mut conn: TxConn<'_>,
    copy_checkpoint: &str,
) -> Result<(u64, u64), ProjectionError> {
    let sql = store.sql();
    let mut position = checkpoint(&sql, copy_checkpoint).await?;
    let mut extra = 0;
    loop {
        let page = store.read_all(position, REBUILD_BATCH).await?;
        let Some(last) = page.last().map(|e| e.position) else {
            return Ok((position, extra));
        };
        let reborrowed = match &mut conn {
            TxConn::Postgres(c) => TxConn::Postgres(c),
            TxConn::Sqlite(c) => TxConn::Sqlite(c),
        };
        apply_page(projection, reborrowed, projection.tables(), &page).await?;
        position = last;
        extra += page.len() as u64;
    }
}

/// The live checkpoint takes the copies' position; the copies' checkpoint goes.
async fn swap_checkpoints(
    conn: TxConn<'_>,
    name: &str,
    copy_checkpoint: &str,
    position: u64,
) -> Result<(), ProjectionError> {
    let now = chrono::Utc::now().timestamp_millis();
    let set = "INSERT INTO projection_checkpoints (name, position, updated_at) \
               VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE \
               SET position = excluded.position, updated_at = excluded.updated_at, \
                   error = NULL, error_position = NULL";
    let drop = "DELETE FROM projection_checkpoints WHERE name = $1";
    let mut tx = Tx::new(conn, &[]);
    crate::exec_params(
        &mut tx,
        set,
        &[name.into(), (position as i64).into(), now.into()],
    )
    .await?;
    crate::exec_params(&mut tx, drop, &[copy_checkpoint.into()]).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_batch_makes_the_next_one_fit_the_target_and_a_quick_one_grows_it() {
        let ms = Duration::from_millis;
        // 500 events in 200 ms: 125 fit in 50 ms.
        assert_eq!(next_batch(500, 500, ms(200)), 125);
        // Never below the floor, however slow.
        assert_eq!(next_batch(50, 50, ms(5_000)), MIN_BATCH);
        // A full batch well under the target doubles, up to BATCH.
        assert_eq!(next_batch(50, 50, ms(2)), 100);
        assert_eq!(next_batch(400, 400, ms(1)), BATCH);
        // A partial page (the view is live) or one near the target keeps the size.
        assert_eq!(next_batch(100, 3, ms(1)), 100);
        assert_eq!(next_batch(100, 100, ms(40)), 100);
    }

    #[test]
    fn a_rebuild_renames_whole_identifiers_only() {
        let sql = "INSERT INTO form_reads (position) SELECT x FROM form_reads_old, \"form_reads\" \
                   WHERE a.form_reads = 'form_reads'";
        assert_eq!(
            rename_words(sql, &[("form_reads", "form_reads__rebuild")]),
            "INSERT INTO form_reads__rebuild (position) SELECT x FROM form_reads_old, \
             \"form_reads__rebuild\" WHERE a.form_reads__rebuild = 'form_reads'"
        );
        assert_eq!(
            rename_words("CREATE INDEX i ON t(a)", &[("t", "c"), ("i", "j")]),
            "CREATE INDEX j ON c(a)"
        );
    }
}
