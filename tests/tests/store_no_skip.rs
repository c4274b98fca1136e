//! The property that event stores on PostgreSQL most often get wrong: a follower that reads by
//! global position must see every committed event exactly once, in order, even when
//! transactions commit out of position order, some roll back and some stay open for seconds,
//! and it must not stall on the gaps that rolled-back transactions leave.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::institution::InstitutionEvent;
use domain::{EventCatalog, Program, Role};
use eventstore::postgres::PgStore;
use eventstore::{EventStore, ExpectedVersion, Metadata, NewEvent, StreamId, Subscription};
use sqlx::Row;
use uuid::Uuid;

fn events(n: usize) -> Vec<NewEvent> {
    (0..n)
        .map(|i| {
            NewEvent::from_domain(
                &InstitutionEvent::InstitutionRenamed {
                    name: format!("n{i}"),
                },
                Metadata::new("system", Role::System, Some(Program::Nanbyo)),
            )
            .expect("event")
        })
        .collect()
}

fn stream(id: String) -> StreamId {
    StreamId::new("institution", &id).expect("stream")
}

/// What the writers committed, and what the follower saw.
#[derive(Default)]
struct Ledger {
    committed: Mutex<HashMap<Uuid, u64>>,
    rolled_back: Mutex<HashSet<Uuid>>,
    max_committed: AtomicU64,
    out_of_order_commits: AtomicUsize,
}

impl Ledger {
    fn commit(&self, ids: &[Uuid], first_position: u64) {
        let mut c = self.committed.lock().unwrap();
        for (i, id) in ids.iter().enumerate() {
            c.insert(*id, first_position + i as u64);
        }
        self.max_committed
            .fetch_max(first_position + ids.len() as u64 - 1, Ordering::SeqCst);
    }
}

async fn follow(store: Arc<dyn EventStore>, until: Arc<AtomicU64>) -> Vec<(u64, Uuid)> {
    let mut sub = Subscription::new(store, 0).with_page_size(50);
    let mut seen = Vec::new();
    loop {
        let target = until.load(Ordering::SeqCst);
        if target != 0 && sub.position() >= target {
            return seen;
        }
        if let Ok(next) = tokio::time::timeout(Duration::from_millis(200), sub.next()).await {
            let e = next.expect("follower read");
            seen.push((e.position, e.event_id));
        }
    }
}

/// A deliberately naive follower: `global_position > checkpoint` with no regard for
/// transactions still in flight. It shows that the scenario really reorders commits.
async fn naive_follow(pool: sqlx::PgPool, stop: Arc<AtomicU64>) -> HashSet<Uuid> {
    let mut checkpoint = 0i64;
    let mut seen = HashSet::new();
    while stop.load(Ordering::SeqCst) == 0 {
        let rows = sqlx::query(
            "SELECT global_position, event_id FROM events WHERE global_position > $1 \
             ORDER BY global_position",
        )
        .bind(checkpoint)
        .fetch_all(&pool)
        .await
        .expect("naive read");
        for r in rows {
            checkpoint = r.get(0);
            seen.insert(r.get::<Uuid, _>(1));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    seen
}

fn check_follower(seen: &[(u64, Uuid)], ledger: &Ledger) {
    let committed = ledger.committed.lock().unwrap();
    let rolled_back = ledger.rolled_back.lock().unwrap();
    assert!(
        seen.windows(2).all(|w| w[0].0 < w[1].0),
        "positions strictly increase"
    );
    let ids: HashSet<Uuid> = seen.iter().map(|(_, id)| *id).collect();
    assert_eq!(ids.len(), seen.len(), "no event seen twice");
    let missing = committed.keys().filter(|id| !ids.contains(id)).count();
    assert_eq!(missing, 0, "committed events the follower never saw");
    assert!(ids.iter().all(|id| !rolled_back.contains(id)));
    assert_eq!(ids.len(), committed.len());
    for (position, id) in seen {
        assert_eq!(
            committed.get(id),
            Some(position),
            "seen at its committed position"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_follower_never_skips_or_stalls_with_out_of_order_commits() {
    let url = nanbyo_tests::fresh_pg_url().await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(40)
        .connect(&url)
        .await
        .expect("connect");
    PgStore::migrate(&pool).await.expect("migrate");
    let pg = Arc::new(PgStore::new(
        pool.clone(),
        Arc::new(EventCatalog::registry()),
    ));
    let store: Arc<dyn EventStore> = pg.clone();
    let ledger = Arc::new(Ledger::default());
    let until = Arc::new(AtomicU64::new(0));
    let follower = tokio::spawn(follow(store.clone(), until.clone()));
    let naive_stop = Arc::new(AtomicU64::new(0));
    let naive = tokio::spawn(naive_follow(pool.clone(), naive_stop.clone()));

    let mut writers = Vec::new();
    // Fast writers: short appends of 1-3 events, committed at once.
    for w in 0..12 {
        let (store, ledger) = (store.clone(), ledger.clone());
        writers.push(tokio::spawn(async move {
            for i in 0..40 {
                let batch = events(i % 3 + 1);
                let ids: Vec<Uuid> = batch.iter().map(|e| e.event_id).collect();
                let r = store
                    .append(
                        &stream(format!("fast-{w}")),
                        ExpectedVersion::Any,
                        batch,
                        None,
                    )
                    .await
                    .expect("fast append");
                ledger.commit(&ids, r.first_position);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }));
    }
    // Slow writers: reserve positions, then stay open for up to 2.5 s before committing, or
    // roll back (at once or after a while) and leave a gap behind.
    for w in 0..6u64 {
        let (pg, ledger) = (pg.clone(), ledger.clone());
        writers.push(tokio::spawn(async move {
            for round in 0..3u64 {
                let mut tx = pg.pool().begin().await.expect("begin");
                let batch = events((round % 2 + 1) as usize);
                let ids: Vec<Uuid> = batch.iter().map(|e| e.event_id).collect();
                let r = pg
                    .append_in_transaction(
                        &mut tx,
                        &stream(format!("slow-{w}-{round}")),
                        ExpectedVersion::NoStream,
                        batch,
                        None,
                    )
                    .await
                    .expect("slow append");
                let hold = Duration::from_millis(300 + (w * 370 + round * 530) % 2200);
                match (w + round) % 3 {
                    0 => {
                        tx.rollback().await.expect("rollback");
                        ledger.rolled_back.lock().unwrap().extend(ids);
                    }
                    1 => {
                        tokio::time::sleep(hold).await;
                        tx.rollback().await.expect("rollback");
                        ledger.rolled_back.lock().unwrap().extend(ids);
                    }
                    _ => {
                        tokio::time::sleep(hold).await;
                        if ledger.max_committed.load(Ordering::SeqCst) > r.last_position {
                            ledger.out_of_order_commits.fetch_add(1, Ordering::SeqCst);
                        }
                        tx.commit().await.expect("commit");
                        ledger.commit(&ids, r.first_position);
                    }
                }
            }
        }));
    }
    for w in writers {
        w.await.expect("writer");
    }
    let last = ledger.max_committed.load(Ordering::SeqCst);
    until.store(last, Ordering::SeqCst);
    // Every writer has ended: the follower must reach the last committed position promptly,
    // whatever gaps the rollbacks left.
    let seen = tokio::time::timeout(Duration::from_secs(10), follower)
        .await
        .expect("follower caught up within 10 s of the last commit (no stall on gaps)")
        .expect("follower task");
    tokio::time::sleep(Duration::from_millis(50)).await;
    naive_stop.store(1, Ordering::SeqCst);
    let naive_seen = naive.await.expect("naive follower");

    assert!(
        ledger.out_of_order_commits.load(Ordering::SeqCst) > 0,
        "the scenario must commit transactions after higher positions were committed"
    );
    assert!(!ledger.rolled_back.lock().unwrap().is_empty());
    check_follower(&seen, &ledger);
    let naive_missed = ledger
        .committed
        .lock()
        .unwrap()
        .keys()
        .filter(|id| !naive_seen.contains(id))
        .count();
    assert!(
        naive_missed > 0,
        "a plain position follower skips events in this scenario (it missed {naive_missed})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_follower_never_skips_with_concurrent_writers_and_held_locks() {
    let url = nanbyo_tests::fresh_sqlite_url();
    let store = nanbyo_tests::open_url(&url).await;
    let ledger = Arc::new(Ledger::default());
    let until = Arc::new(AtomicU64::new(0));
    let follower = tokio::spawn(follow(store.clone(), until.clone()));
    let mut writers = Vec::new();
    for w in 0..8 {
        let (store, ledger) = (store.clone(), ledger.clone());
        writers.push(tokio::spawn(async move {
            for i in 0..30 {
                let batch = events(i % 3 + 1);
                let ids: Vec<Uuid> = batch.iter().map(|e| e.event_id).collect();
                // Half of the appends race on one stream with the version they just read:
                // the losers roll back.
                let (s, expected) = if i % 2 == 0 {
                    (stream(format!("own-{w}")), ExpectedVersion::Any)
                } else {
                    let s = stream("shared".to_owned());
                    let v = store.read_stream(&s, 1).await.expect("read").len() as u64;
                    (
                        s,
                        if v == 0 {
                            ExpectedVersion::NoStream
                        } else {
                            ExpectedVersion::Exact(v)
                        },
                    )
                };
                match store.append(&s, expected, batch, None).await {
                    Ok(r) => ledger.commit(&ids, r.first_position),
                    Err(e) if e.is_conflict() => ledger.rolled_back.lock().unwrap().extend(ids),
                    Err(e) => panic!("append failed: {e}"),
                }
            }
        }));
    }
    // Another process-like connection holds the write lock for a while, twice.
    let holder = tokio::spawn({
        let url = url.clone();
        async move {
            use sqlx::Connection;
            let mut conn = sqlx::SqliteConnection::connect(&url)
                .await
                .expect("connect");
            for _ in 0..2 {
                sqlx::query("BEGIN IMMEDIATE")
                    .execute(&mut conn)
                    .await
                    .expect("lock");
                tokio::time::sleep(Duration::from_millis(400)).await;
                sqlx::query("ROLLBACK")
                    .execute(&mut conn)
                    .await
                    .expect("unlock");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    });
    for w in writers {
        w.await.expect("writer");
    }
    holder.await.expect("lock holder");
    until.store(
        ledger.max_committed.load(Ordering::SeqCst),
        Ordering::SeqCst,
    );
    let seen = tokio::time::timeout(Duration::from_secs(10), follower)
        .await
        .expect("follower caught up")
        .expect("follower task");
    // The race on the shared stream had winners and losers.
    let shared = store
        .read_stream(&stream("shared".to_owned()), 1)
        .await
        .expect("read");
    assert!(!shared.is_empty());
    assert!(!ledger.rolled_back.lock().unwrap().is_empty());
    check_follower(&seen, &ledger);
}
