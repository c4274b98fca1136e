//! The projection runner on both backends: a rebuild fills fresh tables while the live
//! projection keeps following the store, swaps them in, and the live runner goes on without
//! applying anything twice; a projection that meets an event it cannot apply stops right before
//! it and says so.

use std::sync::Arc;
use std::time::Duration;

use domain::institution::InstitutionEvent;
use domain::Role;
use eventstore::{
    EventStore, ExpectedVersion, Metadata, NewEvent, RecordedEvent, SqlPool, StreamId,
};
use nanbyo_tests::{fresh_store, Db};
use projections::{exec, Projection, ProjectionError, Tx};

const STREAM_TYPE: &str = "test_thing";
const TABLE: &str = "test_rows";

/// One row per event, keyed by position: applying an event twice violates the primary key, so
/// a double application cannot go unnoticed. An event renamed "poison" cannot be applied.
struct Rows;

impl Projection for Rows {
    fn name(&self) -> &'static str {
        "test_rows"
    }
    fn stream_types(&self) -> &'static [&'static str] {
        &[STREAM_TYPE]
    }
    fn tables(&self) -> &'static [&'static str] {
        &[TABLE]
    }
    async fn apply(&self, tx: &mut Tx<'_>, event: &RecordedEvent) -> Result<(), ProjectionError> {
        if event.payload["name"] == "poison" {
            return Err(ProjectionError::Event {
                position: event.position,
                reason: "poison".into(),
            });
        }
        exec!(
            tx,
            "INSERT INTO test_rows (position, stream_id) VALUES ($1, $2)",
            event.position as i64,
            event.stream.id.clone()
        )?;
        Ok(())
    }
}

async fn create_table(store: &Arc<dyn EventStore>) {
    let sql = store.sql();
    let (table, index) = match &sql {
        SqlPool::Postgres(_) => (
            "CREATE TABLE test_rows (position bigint PRIMARY KEY, stream_id text NOT NULL)",
            "CREATE INDEX test_rows_stream ON test_rows (stream_id)",
        ),
        SqlPool::Sqlite { .. } => (
            "CREATE TABLE test_rows (position INTEGER PRIMARY KEY, stream_id TEXT NOT NULL) STRICT",
            "CREATE INDEX test_rows_stream ON test_rows (stream_id)",
        ),
    };
    for ddl in [table, index] {
        eventstore::on_sql!(&sql, writer, |p| sqlx::query(ddl)
            .execute(p)
            .await
            .expect("ddl")
            .rows_affected());
    }
}

async fn append(store: &Arc<dyn EventStore>, name: &str) -> u64 {
    let stream = StreamId::new(STREAM_TYPE, &uuid::Uuid::now_v7().to_string()).expect("stream");
    let event = NewEvent::from_domain(
        &InstitutionEvent::InstitutionRenamed { name: name.into() },
        Metadata::new("test", Role::Operator, None),
    )
    .expect("event");
    store
        .append(&stream, ExpectedVersion::NoStream, vec![event], None)
        .await
        .expect("append")
        .last_position
}

async fn rows(store: &Arc<dyn EventStore>) -> Vec<i64> {
    let sql = store.sql();
    let rows: Vec<(i64,)> = eventstore::on_sql!(&sql, reader, |p| sqlx::query_as(
        "SELECT position FROM test_rows ORDER BY position"
    )
    .fetch_all(p)
    .await
    .expect("rows"));
    rows.into_iter().map(|(p,)| p).collect()
}

/// Every position of a test event in the store.
async fn events(store: &Arc<dyn EventStore>) -> Vec<i64> {
    let mut all = vec![];
    let mut after = 0;
    loop {
        let page = store.read_all(after, 10_000).await.expect("read");
        let Some(last) = page.last() else { break };
        after = last.position;
        all.extend(
            page.iter()
                .filter(|e| e.stream.stream_type == STREAM_TYPE)
                .map(|e| e.position as i64),
        );
    }
    all
}

async fn wait_until_caught_up(store: &Arc<dyn EventStore>, name: &str) {
    let head = projections::committed_head(store).await.expect("head");
    let reached = projections::wait_for(&store.sql(), name, head, Duration::from_secs(30))
        .await
        .expect("checkpoint");
    assert!(reached, "{name} did not reach {head} within 30 s");
}

async fn rebuild_swaps_fresh_tables_in_while_the_live_runner_goes_on(db: Db) {
    let (store, _) = fresh_store(db).await;
    create_table(&store).await;
    for i in 0..1500 {
        append(&store, &format!("before {i}")).await;
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let live = tokio::spawn(projections::run(store.clone(), Rows, stopped, None));
    wait_until_caught_up(&store, "test_rows").await;
    assert_eq!(rows(&store).await, events(&store).await);

    // The live tables drift (as after a bug fix in a projection): only a rebuild repairs them.
    eventstore::on_sql!(&store.sql(), writer, |p| sqlx::query(
        "DELETE FROM test_rows WHERE position % 3 = 0"
    )
    .execute(p)
    .await
    .expect("drift")
    .rows_affected());
    assert_ne!(rows(&store).await, events(&store).await);

    // Writes go on during the rebuild; the live runner keeps following them.
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for i in 0..500 {
                append(&store, &format!("during {i}")).await;
            }
        })
    };
    let progress = std::sync::Mutex::new(vec![]);
    let rebuilt = projections::rebuild(&store, &Rows, |done, total| {
        progress.lock().unwrap().push((done, total))
    })
    .await
    .expect("rebuild");
    writer.await.expect("writer");
    assert!(rebuilt.events >= 1500, "{rebuilt:?}");
    let progress = progress.into_inner().unwrap();
    assert!(!progress.is_empty() && progress.windows(2).all(|w| w[0].0 < w[1].0));

    // After the swap the live runner continues from the rebuilt checkpoint: every event exactly
    // once (the primary key refuses a second application, which would stop the runner).
    wait_until_caught_up(&store, "test_rows").await;
    assert_eq!(rows(&store).await, events(&store).await);
    let status = projections::status(&store, "test_rows")
        .await
        .expect("status");
    assert_eq!(status.error, None);
    assert_eq!(status.behind, 0);

    // Nothing of the rebuild is left, and the index has its own name again.
    let sql = store.sql();
    let names: Vec<(String,)> = match &sql {
        SqlPool::Postgres(p) => sqlx::query_as(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() \
             UNION ALL SELECT indexname::text FROM pg_indexes \
             WHERE schemaname = current_schema() AND tablename = 'test_rows'",
        )
        .fetch_all(p)
        .await
        .expect("catalog"),
        SqlPool::Sqlite { reader, .. } => sqlx::query_as("SELECT name FROM sqlite_master")
            .fetch_all(reader)
            .await
            .expect("catalog"),
    };
    let names: Vec<String> = names.into_iter().map(|(n,)| n).collect();
    assert!(names.iter().all(|n| !n.contains("__rebuild")), "{names:?}");
    assert!(names.iter().any(|n| n == "test_rows_stream"), "{names:?}");
    let leftover = projections::checkpoint(&sql, "test_rows__rebuild")
        .await
        .expect("checkpoint");
    assert_eq!(leftover, 0, "the rebuild's own checkpoint is gone");

    stop.send_replace(true);
    live.await.expect("runner");
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_rebuild_swaps_fresh_tables_in_while_the_live_runner_goes_on() {
    rebuild_swaps_fresh_tables_in_while_the_live_runner_goes_on(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_rebuild_swaps_fresh_tables_in_while_the_live_runner_goes_on() {
    rebuild_swaps_fresh_tables_in_while_the_live_runner_goes_on(Db::Sqlite).await;
}

/// `culprit`: the index of the event that cannot be applied among ten. At 0 it is the first
/// of its page: nothing before it goes in, and the failed batch alone must let go of the
/// checkpoint row for the failure to be recorded.
async fn a_projection_stops_right_before_an_event_it_cannot_apply(db: Db, culprit: usize) {
    let (store, _) = fresh_store(db).await;
    create_table(&store).await;
    let mut positions = vec![];
    for i in 0..10 {
        let name = if i == culprit {
            "poison".to_owned()
        } else {
            format!("ok {i}")
        };
        positions.push(append(&store, &name).await);
    }
    let poison = positions[culprit];
    let stopped_at = culprit.checked_sub(1).map_or(0, |i| positions[i]);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let live = tokio::spawn(projections::run(store.clone(), Rows, stopped, None));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        let s = projections::status(&store, "test_rows")
            .await
            .expect("status");
        if s.error.is_some() {
            break s;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no failure reported: {s:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(status.error_position, Some(poison));
    assert_eq!(
        status.position, stopped_at,
        "stopped right before the culprit"
    );
    assert_eq!(
        status.behind,
        (10 - culprit) as u64,
        "the culprit and the ones after it"
    );
    let expected: Vec<i64> = positions[..culprit].iter().map(|p| *p as i64).collect();
    assert_eq!(rows(&store).await, expected);
    let reason = status.error.unwrap();
    assert!(
        !reason.contains("poison"),
        "the reason names no content: {reason}"
    );
    stop.send_replace(true);
    live.await.expect("runner");
    // It did not advance past the culprit while retrying.
    let after = projections::status(&store, "test_rows")
        .await
        .expect("status");
    assert_eq!(after.position, stopped_at);
    assert_eq!(after.error_position, Some(poison));
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_a_projection_stops_right_before_an_event_it_cannot_apply() {
    a_projection_stops_right_before_an_event_it_cannot_apply(Db::Postgres, 6).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_a_projection_stops_right_before_an_event_it_cannot_apply() {
    a_projection_stops_right_before_an_event_it_cannot_apply(Db::Sqlite, 6).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_a_projection_stops_at_a_culprit_that_opens_its_page() {
    a_projection_stops_right_before_an_event_it_cannot_apply(Db::Postgres, 0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_a_projection_stops_at_a_culprit_that_opens_its_page() {
    a_projection_stops_right_before_an_event_it_cannot_apply(Db::Sqlite, 0).await;
}

/// PostgreSQL: among several processes (here two stores with their own pools), exactly one
/// runs a projection; when it stops, its connection closes and the other takes over.
#[tokio::test(flavor = "multi_thread")]
async fn postgres_one_runner_per_projection_and_another_takes_over() {
    let (first, url) = fresh_store(Db::Postgres).await;
    create_table(&first).await;
    let second = nanbyo_tests::open_url(&url).await;
    for i in 0..50 {
        append(&first, &format!("a {i}")).await;
    }
    let (stop_first, stopped_first) = tokio::sync::watch::channel(false);
    let (stop_second, stopped_second) = tokio::sync::watch::channel(false);
    let (first_progress, mut first_seen) = tokio::sync::watch::channel(0u64);
    let (second_progress, second_seen) = tokio::sync::watch::channel(0u64);
    let a = tokio::spawn(projections::run(
        first.clone(),
        Rows,
        stopped_first,
        Some(first_progress),
    ));
    // The first holds the lock before the second starts.
    tokio::time::timeout(Duration::from_secs(10), first_seen.changed())
        .await
        .expect("the first runner starts")
        .expect("progress");
    let b = tokio::spawn(projections::run(
        second.clone(),
        Rows,
        stopped_second,
        Some(second_progress),
    ));
    wait_until_caught_up(&first, "test_rows").await;
    for i in 0..50 {
        append(&first, &format!("b {i}")).await;
    }
    wait_until_caught_up(&first, "test_rows").await;
    assert_eq!(rows(&first).await, events(&first).await);
    assert!(
        !second_seen.has_changed().unwrap_or(true),
        "the second runner waited"
    );

    stop_first.send_replace(true);
    a.await.expect("first runner");
    for i in 0..50 {
        append(&second, &format!("c {i}")).await;
    }
    wait_until_caught_up(&second, "test_rows").await;
    assert!(
        second_seen.has_changed().unwrap_or(false),
        "the second runner took over"
    );
    assert_eq!(rows(&second).await, events(&second).await);
    stop_second.send_replace(true);
    b.await.expect("second runner");
}
