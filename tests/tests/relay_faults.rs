//! The relay under faults, each test with a nats-server of its own (so stopping it disturbs
//! nobody): NATS stopped while commands keep coming, and the relay killed between publishing
//! and saving its checkpoint. The consumer ends with exactly the committed events. Both backends.

mod relay_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use domain::institution::InstitutionEvent;
use domain::pseudonym::PseudonymKey;
use domain::Role;
use eventstore::{EventStore, ExpectedVersion, Metadata, NewEvent, StreamId};
use nanbyo_tests::{fresh_store, Db};
use relay::follow::{Faults, FollowError};
use relay::RelayStats;
use relay_support::*;
use tokio::sync::watch;

fn key() -> PseudonymKey {
    PseudonymKey::from_bytes([5; 32])
}

/// One institution rename on stream `n % 7` (seven streams, so per-stream order is checked).
async fn append_one(store: &Arc<dyn EventStore>, n: usize) {
    let stream = StreamId::new("institution", &format!("inst-{}", n % 7)).expect("id");
    let event = NewEvent::from_domain(
        &InstitutionEvent::InstitutionRenamed {
            name: format!("病院 {n}"),
        },
        Metadata::new("op-1", Role::Operator, None),
    )
    .expect("event");
    store
        .append(&stream, ExpectedVersion::Any, vec![event], None)
        .await
        .expect("commands succeed whatever NATS does");
}

async fn nats_stopped_while_commands_keep_coming(db: Db) {
    let (store, _) = fresh_store(db).await;
    let mut nats = NatsServer::start().await;
    let config = relay_config(&nats.url());
    let stream = config.stream.name.clone();
    let (stop, stopped) = watch::channel(false);
    let (progress, moved) = watch::channel(0u64);
    let relay = tokio::spawn(relay::publisher::run(
        store.clone(),
        config,
        key(),
        Arc::new(RelayStats::default()),
        stopped,
        Some(progress),
    ));

    // Commands at a steady pace (about 200/s) for the whole test.
    const TOTAL: usize = 600;
    let written = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (store, written) = (store.clone(), written.clone());
        tokio::spawn(async move {
            for n in 0..TOTAL {
                append_one(&store, n).await;
                written.store(n + 1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };

    // Some events relayed, then NATS goes away while the writer goes on…
    let relayed_some = |moved: watch::Receiver<u64>| async move { *moved.borrow() > 0 };
    eventually("the first events relayed", Duration::from_secs(20), || {
        relayed_some(moved.clone())
    })
    .await;
    nats.stop();
    let at_stop = written.load(Ordering::SeqCst);
    let stopped_at = *moved.borrow();
    eventually(
        "100 commands committed while NATS is down",
        Duration::from_secs(30),
        || {
            let w = written.clone();
            async move { w.load(Ordering::SeqCst) >= at_stop + 100 }
        },
    )
    .await;
    // …while it is down nothing is acknowledged, so the checkpoint stays behind the events
    // committed since the stop: they wait in the store, not in some buffer that could be lost.
    let during = committed_at_least(&store, at_stop + 100).await;
    assert!(
        *moved.borrow() < during[at_stop + 99].position,
        "no event committed while NATS was down was checkpointed"
    );
    nats.restart().await;
    writer.await.expect("every command succeeded");

    let committed = committed_n(&store, TOTAL).await;
    let last = committed.last().expect("events").position;
    let mut moved = moved.clone();
    tokio::time::timeout(Duration::from_secs(60), moved.wait_for(|p| *p >= last))
        .await
        .expect("the relay caught up after NATS came back")
        .expect("relay running");
    assert!(last > stopped_at);
    let received = consume(&nats.url(), &stream, TOTAL, Duration::from_secs(30)).await;
    assert_exactly_committed(&received, &committed);
    assert_eq!(stream_messages(&nats.url(), &stream).await, TOTAL as u64);
    stop.send_replace(true);
    relay.await.expect("relay stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_stopped_while_commands_keep_coming_postgres() {
    nats_stopped_while_commands_keep_coming(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_stopped_while_commands_keep_coming_sqlite() {
    nats_stopped_while_commands_keep_coming(Db::Sqlite).await;
}

async fn relay_killed_between_publish_and_checkpoint(db: Db) {
    let (store, _) = fresh_store(db).await;
    let nats = NatsServer::start().await;
    let config = relay_config(&nats.url());
    let stream = config.stream.name.clone();
    for n in 0..120 {
        append_one(&store, n).await;
    }
    let committed = committed_n(&store, 120).await;
    let last = committed.last().expect("events").position;

    // The first relay publishes its first page (and JetStream acknowledges it), then dies
    // before it saves the checkpoint.
    let first = Arc::new(RelayStats::default());
    let (_stop, mut stopped) = watch::channel(false);
    let crashed = relay::publisher::run_once(
        &store,
        &config,
        &key(),
        &first,
        &mut stopped,
        None,
        &Faults {
            stop_before_checkpoint: true,
        },
    )
    .await;
    assert!(matches!(crashed, Err(FollowError::Injected)));
    assert_eq!(
        relay::follow::checkpoint(&store.sql(), relay::publisher::CHECKPOINT)
            .await
            .expect("checkpoint"),
        0,
        "the checkpoint did not move"
    );
    let published = first.published.load(Ordering::SeqCst);
    assert_eq!(
        published, 120,
        "the whole page was published and acknowledged"
    );

    // The next relay starts from the old checkpoint and republishes that page: JetStream's
    // duplicate window drops every copy.
    let second = Arc::new(RelayStats::default());
    let (stop, stopped) = watch::channel(false);
    let (progress, mut moved) = watch::channel(0u64);
    let relay = tokio::spawn(relay::publisher::run(
        store.clone(),
        config,
        key(),
        second.clone(),
        stopped,
        Some(progress),
    ));
    tokio::time::timeout(Duration::from_secs(30), moved.wait_for(|p| *p >= last))
        .await
        .expect("the second relay caught up")
        .expect("relay running");
    assert_eq!(second.duplicates.load(Ordering::SeqCst), 120);
    assert_eq!(second.published.load(Ordering::SeqCst), 0);
    assert_eq!(stream_messages(&nats.url(), &stream).await, 120);
    // A consumer that deduplicates by event id sees no duplicate; neither does one that does
    // not, because the server dropped them.
    let received = consume(&nats.url(), &stream, 120, Duration::from_secs(20)).await;
    assert_exactly_committed(&received, &committed);
    stop.send_replace(true);
    relay.await.expect("relay stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_killed_between_publish_and_checkpoint_postgres() {
    relay_killed_between_publish_and_checkpoint(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_killed_between_publish_and_checkpoint_sqlite() {
    relay_killed_between_publish_and_checkpoint(Db::Sqlite).await;
}
