//! `nanbyo bench store`: the event store against raw SQL on the same database, same
//! concurrency, same row shape.
//!
//! - `store.append_single`: one event per append through the store API, N writers each on its
//!   own new stream; baseline: a raw single-row INSERT.
//! - `store.append_batch`: 100 events per append; baseline: one multi-row INSERT of 100 rows.
//! - `store.read_all`: every event in global order, deserialised and upcast; baseline: the same
//!   SELECT with the rows discarded.
//! - `store.follow_lag_p50` / `_p99`: commit to the live subscriber seeing the event while
//!   writers run; baseline: a raw row insert signalled to a raw reader (NOTIFY on PostgreSQL,
//!   an in-process channel on SQLite) that selects it.
//!
//! The benchmark never touches a real registry: it works in a scratch database (PostgreSQL,
//! created on the server of --database-url and dropped afterwards) or a scratch file (SQLite).

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use domain::institution::InstitutionEvent;
use domain::{EventCatalog, Program, Role};
use eventstore::{
    EventStore, ExpectedVersion, Metadata, NewEvent, OpenOptions, StreamId, Subscription,
};
use futures::TryStreamExt;
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::QueryBuilder;
use tokio::sync::watch;
use uuid::Uuid;

use super::{median, print_machine, quantile, ScratchPg};
use crate::config::{BenchBackends, BenchStoreArgs};

pub async fn run(args: &BenchStoreArgs, database_url: Option<&str>) -> Result<()> {
    print_machine();
    if args.backends != BenchBackends::Postgres {
        let dir = std::env::temp_dir().join(format!("nanbyo-bench-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir)?;
        let url = format!("sqlite://{}", dir.join("bench.db").display());
        let result = bench_backend("sqlite", &url, args).await;
        let _ = std::fs::remove_dir_all(&dir);
        result?;
    }
    if args.backends == BenchBackends::Sqlite {
        return Ok(());
    }
    match database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            let scratch = ScratchPg::create(url).await?;
            let result = bench_backend("postgres", &scratch.url, args).await;
            scratch.drop_database().await?;
            result?;
        }
        _ => println!("# PostgreSQL skipped: pass --database-url postgres://… to measure it too"),
    }
    Ok(())
}

/// Raw access to the same database for the baselines.
#[derive(Clone)]
enum Raw {
    Pg(PgPool),
    Sqlite(SqlitePool),
}

/// One row's worth of values, prepared once so that the baseline only measures the database.
#[derive(Clone)]
struct RawRow {
    payload: String,
    metadata: String,
    hash: Vec<u8>,
}

const RAW_COLUMNS: &str = "event_id, stream_type, stream_id, version, event_type, \
     schema_version, payload, metadata, recorded_at, hash";

impl Raw {
    async fn connect(url: &str, writers: usize) -> Result<Self> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(30));
            let pool = SqlitePoolOptions::new()
                .max_connections(writers as u32 + 1)
                .connect_with(options)
                .await?;
            sqlx::query(
                "CREATE TABLE bench_raw_events (
                    global_position INTEGER PRIMARY KEY,
                    event_id BLOB NOT NULL UNIQUE CHECK (length(event_id) = 16),
                    stream_type TEXT NOT NULL, stream_id TEXT NOT NULL,
                    version INTEGER NOT NULL CHECK (version >= 1),
                    event_type TEXT NOT NULL,
                    schema_version INTEGER NOT NULL CHECK (schema_version >= 1),
                    payload TEXT NOT NULL CHECK (json_valid(payload)),
                    metadata TEXT NOT NULL CHECK (json_valid(metadata)),
                    recorded_at INTEGER NOT NULL,
                    hash BLOB NOT NULL CHECK (length(hash) = 32),
                    UNIQUE (stream_type, stream_id, version)) STRICT",
            )
            .execute(&pool)
            .await?;
            Ok(Raw::Sqlite(pool))
        } else {
            let pool = PgPoolOptions::new()
                .max_connections(writers as u32 + 2)
                .connect(url)
                .await?;
            // Same columns, defaults and indexes; none of the store's CHECK constraints (its
            // positions come from a plain sequence, as a naive event table's would).
            sqlx::query(
                "CREATE TABLE bench_raw_events \
                 (LIKE events INCLUDING DEFAULTS INCLUDING INDEXES)",
            )
            .execute(&pool)
            .await?;
            sqlx::query("CREATE SEQUENCE bench_raw_positions")
                .execute(&pool)
                .await?;
            Ok(Raw::Pg(pool))
        }
    }

    /// One row, autocommitted; returns its position.
    async fn insert_one(&self, row: &RawRow, stream: &str, version: i64) -> Result<i64> {
        let now = chrono::Utc::now();
        Ok(match self {
            Raw::Pg(pool) => sqlx::query_scalar(&format!(
                "INSERT INTO bench_raw_events (global_position, {RAW_COLUMNS}) VALUES \
                 (nextval('bench_raw_positions'), $1, 'institution', $2, $3, 'InstitutionRenamed', 1, \
                 $4::json, $5::json, $6, $7) RETURNING global_position"
            ))
            .bind(Uuid::now_v7())
            .bind(stream)
            .bind(version)
            .bind(&row.payload)
            .bind(&row.metadata)
            .bind(now)
            .bind(&row.hash)
            .fetch_one(pool)
            .await?,
            Raw::Sqlite(pool) => sqlx::query_scalar(&format!(
                "INSERT INTO bench_raw_events ({RAW_COLUMNS}) VALUES \
                 (?1, 'institution', ?2, ?3, 'InstitutionRenamed', 1, ?4, ?5, ?6, ?7) \
                 RETURNING global_position"
            ))
            .bind(Uuid::now_v7())
            .bind(stream)
            .bind(version)
            .bind(&row.payload)
            .bind(&row.metadata)
            .bind(now.timestamp_micros())
            .bind(&row.hash)
            .fetch_one(pool)
            .await?,
        })
    }

    /// One multi-row INSERT of `n` rows.
    async fn insert_many(
        &self,
        row: &RawRow,
        stream: &str,
        first_version: i64,
        n: usize,
    ) -> Result<()> {
        let now = chrono::Utc::now();
        match self {
            Raw::Pg(pool) => {
                let mut q = QueryBuilder::new(format!(
                    "INSERT INTO bench_raw_events (global_position, {RAW_COLUMNS}) "
                ));
                q.push_values(0..n, |mut b, i| {
                    b.push("nextval('bench_raw_positions')")
                        .push_bind(Uuid::now_v7())
                        .push_bind("institution")
                        .push_bind(stream)
                        .push_bind(first_version + i as i64)
                        .push_bind("InstitutionRenamed")
                        .push_bind(1i32)
                        .push_bind(&row.payload)
                        .push_unseparated("::json")
                        .push_bind(&row.metadata)
                        .push_unseparated("::json")
                        .push_bind(now)
                        .push_bind(&row.hash);
                });
                q.build().execute(pool).await?;
            }
            Raw::Sqlite(pool) => {
                let mut q =
                    QueryBuilder::new(format!("INSERT INTO bench_raw_events ({RAW_COLUMNS}) "));
                q.push_values(0..n, |mut b, i| {
                    b.push_bind(Uuid::now_v7())
                        .push_bind("institution")
                        .push_bind(stream)
                        .push_bind(first_version + i as i64)
                        .push_bind("InstitutionRenamed")
                        .push_bind(1i32)
                        .push_bind(&row.payload)
                        .push_bind(&row.metadata)
                        .push_bind(now.timestamp_micros())
                        .push_bind(&row.hash);
                });
                q.build().execute(pool).await?;
            }
        }
        Ok(())
    }

    /// The store's read query on the events table, page by page, rows discarded.
    async fn select_all(&self, page: i64) -> Result<u64> {
        let mut count = 0u64;
        let mut after = 0i64;
        loop {
            let mut last = None;
            let mut n = 0;
            match self {
                Raw::Pg(pool) => {
                    let mut rows = sqlx::query(
                        "SELECT global_position, event_id, stream_type, stream_id, version, \
                         event_type, schema_version, payload::text, metadata::text, recorded_at, hash \
                         FROM events WHERE global_position > $1 \
                         AND transaction_id < pg_snapshot_xmin(pg_current_snapshot()) \
                         ORDER BY global_position LIMIT $2",
                    )
                    .bind(after)
                    .bind(page)
                    .fetch(pool);
                    while let Some(row) = rows.try_next().await? {
                        last = Some(sqlx::Row::try_get::<i64, _>(&row, 0)?);
                        n += 1;
                    }
                }
                Raw::Sqlite(pool) => {
                    let mut rows = sqlx::query(
                        "SELECT global_position, event_id, stream_type, stream_id, version, \
                         event_type, schema_version, payload, metadata, recorded_at, hash \
                         FROM events WHERE global_position > ?1 ORDER BY global_position LIMIT ?2",
                    )
                    .bind(after)
                    .bind(page)
                    .fetch(pool);
                    while let Some(row) = rows.try_next().await? {
                        last = Some(sqlx::Row::try_get::<i64, _>(&row, 0)?);
                        n += 1;
                    }
                }
            }
            count += n;
            match last {
                Some(p) => after = p,
                None => return Ok(count),
            }
        }
    }
}

fn event() -> NewEvent {
    NewEvent::from_domain(
        &InstitutionEvent::InstitutionRenamed {
            name: "ベンチマーク記念病院".into(),
        },
        Metadata::new("op-bench", Role::Operator, Some(Program::Nanbyo)).with_reason("benchmark"),
    )
    .expect("a valid event")
}

fn raw_row() -> RawRow {
    let e = event();
    RawRow {
        payload: serde_json::to_string(&e.payload).unwrap_or_default(),
        metadata: serde_json::to_string(&e.metadata).unwrap_or_default(),
        hash: vec![7; 32],
    }
}

fn stream(name: String) -> StreamId {
    StreamId::new("institution", &name).expect("a valid stream id")
}

fn line(name: &str, backend: &str, value: f64, unit: &str, baseline_name: &str, baseline: f64) {
    println!(
        "{name}[{backend}] {value:.0} {unit} {baseline_name}={baseline:.0} ratio={:.2}",
        value / baseline
    );
}

fn line_ms(name: &str, backend: &str, value: f64, baseline_name: &str, baseline: f64) {
    println!(
        "{name}[{backend}] {value:.2} ms {baseline_name}={baseline:.2} ratio={:.2}",
        value / baseline
    );
}

async fn bench_backend(backend: &str, url: &str, args: &BenchStoreArgs) -> Result<()> {
    let store = eventstore::open(
        url,
        Arc::new(EventCatalog::registry()),
        OpenOptions {
            migrate: true,
            max_connections: args.writers as u32 + 4,
        },
    )
    .await?;
    let raw = Raw::connect(url, args.writers).await?;
    let row = raw_row();
    let w = args.writers;

    // append_single
    let (mut ours, mut base) = (Vec::new(), Vec::new());
    for round in 0..args.rounds {
        let started = Instant::now();
        let mut tasks = Vec::new();
        for i in 0..w {
            let (raw, row) = (raw.clone(), row.clone());
            let n = args.appends;
            tasks.push(tokio::spawn(async move {
                for v in 1..=n {
                    raw.insert_one(&row, &format!("raw-single-{round}-{i}"), v as i64)
                        .await?;
                }
                anyhow::Ok(())
            }));
        }
        for t in tasks {
            t.await??;
        }
        base.push((w * args.appends) as f64 / started.elapsed().as_secs_f64());

        let started = Instant::now();
        let mut tasks = Vec::new();
        for i in 0..w {
            let store = store.clone();
            let n = args.appends;
            tasks.push(tokio::spawn(async move {
                let s = stream(format!("single-{round}-{i}"));
                let mut expected = ExpectedVersion::NoStream;
                for _ in 0..n {
                    let r = store.append(&s, expected, vec![event()], None).await?;
                    expected = ExpectedVersion::Exact(r.last_version);
                }
                anyhow::Ok(())
            }));
        }
        for t in tasks {
            t.await??;
        }
        ours.push((w * args.appends) as f64 / started.elapsed().as_secs_f64());
    }
    line(
        "store.append_single",
        backend,
        median(ours),
        "events/s",
        "baseline_raw_insert",
        median(base),
    );

    // append_batch
    let (mut ours, mut base) = (Vec::new(), Vec::new());
    for round in 0..args.rounds {
        let started = Instant::now();
        let mut tasks = Vec::new();
        for i in 0..w {
            let (raw, row) = (raw.clone(), row.clone());
            let n = args.batches;
            tasks.push(tokio::spawn(async move {
                for b in 0..n {
                    raw.insert_many(
                        &row,
                        &format!("raw-batch-{round}-{i}"),
                        (b * 100 + 1) as i64,
                        100,
                    )
                    .await?;
                }
                anyhow::Ok(())
            }));
        }
        for t in tasks {
            t.await??;
        }
        base.push((w * args.batches * 100) as f64 / started.elapsed().as_secs_f64());

        let started = Instant::now();
        let mut tasks = Vec::new();
        for i in 0..w {
            let store = store.clone();
            let n = args.batches;
            tasks.push(tokio::spawn(async move {
                let s = stream(format!("batch-{round}-{i}"));
                let mut expected = ExpectedVersion::NoStream;
                for _ in 0..n {
                    let events = (0..100).map(|_| event()).collect();
                    let r = store.append(&s, expected, events, None).await?;
                    expected = ExpectedVersion::Exact(r.last_version);
                }
                anyhow::Ok(())
            }));
        }
        for t in tasks {
            t.await??;
        }
        ours.push((w * args.batches * 100) as f64 / started.elapsed().as_secs_f64());
    }
    line(
        "store.append_batch",
        backend,
        median(ours),
        "events/s",
        "baseline_multirow_insert",
        median(base),
    );

    // read_all
    let (mut ours, mut base) = (Vec::new(), Vec::new());
    let mut total = 0;
    for _ in 0..args.rounds {
        let started = Instant::now();
        let n = raw.select_all(1000).await?;
        base.push(n as f64 / started.elapsed().as_secs_f64());

        let started = Instant::now();
        let mut after = 0;
        let mut count = 0u64;
        loop {
            let page = store.read_all(after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = last.position;
            count += page.len() as u64;
        }
        ours.push(count as f64 / started.elapsed().as_secs_f64());
        total = count;
    }
    println!("# read_all over {total} events");
    line(
        "store.read_all",
        backend,
        median(ours),
        "events/s",
        "baseline_raw_select",
        median(base),
    );

    // follow_lag
    let (ours, base) = follow_lag(store.clone(), &raw, &row, args).await?;
    line_ms(
        "store.follow_lag_p50",
        backend,
        quantile(ours.clone(), 0.5),
        "baseline_raw_signal",
        quantile(base.clone(), 0.5),
    );
    line_ms(
        "store.follow_lag_p99",
        backend,
        quantile(ours, 0.99),
        "baseline_raw_signal",
        quantile(base, 0.99),
    );
    Ok(())
}

/// Lag samples in milliseconds: (store, raw baseline).
async fn follow_lag(
    store: Arc<dyn EventStore>,
    raw: &Raw,
    row: &RawRow,
    args: &BenchStoreArgs,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let writers = 4;
    let pace = Duration::from_millis(10);
    let duration = Duration::from_secs(args.lag_seconds);

    // The store: writers append, a subscription follows.
    let committed: Arc<Mutex<HashMap<Uuid, Instant>>> = Arc::default();
    let start = store.last_position().await?;
    let mut sub = Subscription::new(store.clone(), start);
    let stop = Instant::now() + duration;
    let mut tasks = Vec::new();
    for i in 0..writers {
        let (store, committed) = (store.clone(), committed.clone());
        tasks.push(tokio::spawn(async move {
            let s = stream(format!("lag-{i}"));
            while Instant::now() < stop {
                let e = event();
                let id = e.event_id;
                store
                    .append(&s, ExpectedVersion::Any, vec![e], None)
                    .await?;
                committed
                    .lock()
                    .map_err(|_| anyhow::anyhow!("poisoned"))?
                    .insert(id, Instant::now());
                tokio::time::sleep(pace).await;
            }
            anyhow::Ok(())
        }));
    }
    let mut seen: Vec<(Uuid, Instant)> = Vec::new();
    let reader = async {
        while Instant::now() < stop + Duration::from_millis(500) {
            if let Ok(e) = tokio::time::timeout(Duration::from_millis(100), sub.next()).await {
                seen.push((e?.event_id, Instant::now()));
            }
        }
        anyhow::Ok(())
    };
    reader.await?;
    for t in tasks {
        t.await??;
    }
    let ours: Vec<f64> = {
        let committed = committed.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        seen.iter()
            .filter_map(|(id, at)| committed.get(id).map(|c| lag_ms(*c, *at)))
            .collect()
    };

    // The baseline: raw insert, raw signal, raw select.
    let committed: Arc<Mutex<HashMap<i64, Instant>>> = Arc::default();
    let (tx, mut rx) = watch::channel(0i64);
    let mut listener = match raw {
        Raw::Pg(pool) => {
            let mut l = PgListener::connect_with(pool).await?;
            l.listen("nanbyo_bench").await?;
            Some(l)
        }
        Raw::Sqlite(_) => None,
    };
    // Start after the rows of the earlier phases, as the store's subscription does.
    let mut after: i64 = match raw {
        Raw::Pg(pool) => {
            sqlx::query_scalar("SELECT coalesce(max(global_position), 0) FROM bench_raw_events")
                .fetch_one(pool)
                .await?
        }
        Raw::Sqlite(pool) => {
            sqlx::query_scalar("SELECT coalesce(max(global_position), 0) FROM bench_raw_events")
                .fetch_one(pool)
                .await?
        }
    };
    let stop = Instant::now() + duration;
    let mut tasks = Vec::new();
    for i in 0..writers {
        let (raw, row, committed, tx) = (raw.clone(), row.clone(), committed.clone(), tx.clone());
        tasks.push(tokio::spawn(async move {
            let mut version = 1_000_000;
            while Instant::now() < stop {
                version += 1;
                let p = match &raw {
                    // The textbook way: insert and NOTIFY in one statement.
                    Raw::Pg(pool) => {
                        sqlx::query_scalar(&format!(
                        "WITH i AS (INSERT INTO bench_raw_events (global_position, {RAW_COLUMNS}) \
                         VALUES (nextval('bench_raw_positions'), $1, 'institution', $2, $3, \
                         'InstitutionRenamed', 1, $4::json, $5::json, now(), $6) \
                         RETURNING global_position) \
                         SELECT global_position FROM i, \
                         LATERAL (SELECT pg_notify('nanbyo_bench', i.global_position::text)) n"
                    ))
                        .bind(Uuid::now_v7())
                        .bind(format!("lag-raw-{i}"))
                        .bind(version)
                        .bind(&row.payload)
                        .bind(&row.metadata)
                        .bind(&row.hash)
                        .fetch_one(pool)
                        .await?
                    }
                    Raw::Sqlite(_) => {
                        let p = raw
                            .insert_one(&row, &format!("lag-raw-{i}"), version)
                            .await?;
                        tx.send_modify(|v| *v = (*v).max(p));
                        p
                    }
                };
                committed
                    .lock()
                    .map_err(|_| anyhow::anyhow!("poisoned"))?
                    .insert(p, Instant::now());
                tokio::time::sleep(pace).await;
            }
            anyhow::Ok(())
        }));
    }
    let mut seen: Vec<(i64, Instant)> = Vec::new();
    while Instant::now() < stop + Duration::from_millis(500) {
        let woke = match listener.as_mut() {
            Some(l) => tokio::time::timeout(Duration::from_millis(100), l.recv())
                .await
                .is_ok(),
            None => tokio::time::timeout(Duration::from_millis(100), rx.changed())
                .await
                .is_ok(),
        };
        if !woke {
            continue;
        }
        let rows: Vec<i64> = match raw {
            Raw::Pg(pool) => sqlx::query_scalar(
                "SELECT global_position FROM bench_raw_events WHERE global_position > $1 ORDER BY global_position",
            )
            .bind(after)
            .fetch_all(pool)
            .await?,
            Raw::Sqlite(pool) => sqlx::query_scalar(
                "SELECT global_position FROM bench_raw_events WHERE global_position > ?1 ORDER BY global_position",
            )
            .bind(after)
            .fetch_all(pool)
            .await?,
        };
        let now = Instant::now();
        for p in rows {
            after = after.max(p);
            seen.push((p, now));
        }
    }
    for t in tasks {
        t.await??;
    }
    let committed = committed.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
    let base: Vec<f64> = seen
        .iter()
        .filter_map(|(p, at)| committed.get(p).map(|c| lag_ms(*c, *at)))
        .collect();
    Ok((ours, base))
}

/// Commit (the moment the writer got its answer) to seen; a reader can see an event before
/// the writer's task resumes, which counts as zero.
fn lag_ms(committed: Instant, seen: Instant) -> f64 {
    seen.saturating_duration_since(committed).as_secs_f64() * 1000.0
}
