//! The relay end to end against the real nats-server at 127.0.0.1:4222: commands from several
//! concurrent writers → events in the store → the relay → JetStream → a consumer, which gets
//! every committed event exactly once (by event id), each stream's events in version order,
//! and not one byte of the identifiers the events carried in the store. Both backends.

mod relay_support;

use std::sync::Arc;
use std::time::Duration;

use commands::execute;
use domain::institution::{Institution, InstitutionCommand};
use domain::pseudonym::PseudonymKey;
use domain::{InstitutionCode, Role};
use eventstore::{EventStore, ExpectedVersion, Metadata, NewEvent, StreamId};
use nanbyo_tests::{fresh_store, Db};
use relay::samples;
use relay_support::*;
use tokio::sync::watch;

/// A valid 医療機関コード (Hokkaido, 医科) numbered `n`.
fn institution_code(n: u32) -> String {
    domain::codes::append_check_digit(&format!("011{n:06}"))
}

async fn writer(store: Arc<dyn EventStore>, w: u32, institutions: u32, renames: u32) {
    for i in 0..institutions {
        let code = institution_code(w * 1000 + i);
        let meta = || Metadata::new("op-1", Role::Operator, None);
        execute::<Institution>(
            &store,
            &code,
            &InstitutionCommand::Register {
                code: InstitutionCode::parse(&code).expect("code"),
                name: format!("病院 {w}-{i}"),
            },
            meta(),
            None,
            None,
        )
        .await
        .expect("register");
        for r in 0..renames {
            execute::<Institution>(
                &store,
                &code,
                &InstitutionCommand::Rename {
                    name: format!("病院 {w}-{i} 改{r}"),
                },
                meta(),
                None,
                None,
            )
            .await
            .expect("rename");
        }
    }
}

/// Appends one event of every registered type, carrying known identifiers.
async fn append_samples(store: &Arc<dyn EventStore>) {
    for sample in samples::every_event() {
        let stream = StreamId::new(sample.stream_type, &samples::stream_id(&sample)).expect("id");
        let stream = StreamId::new(
            &stream.stream_type,
            &format!(
                "{}{}",
                stream.id,
                if sample.stream_type == "patient" {
                    ""
                } else {
                    "-s"
                }
            ),
        )
        .expect("id");
        let mut metadata = Metadata::new("doctor-1", Role::DesignatedDoctor, sample.program)
            .with_reason(samples::FREE_TEXT);
        metadata.causation_id = None;
        let event = NewEvent {
            event_id: uuid::Uuid::now_v7(),
            event_type: sample.event_type.clone(),
            schema_version: sample.schema_version,
            payload: sample.payload.clone(),
            metadata,
        };
        store
            .append(&stream, ExpectedVersion::Any, vec![event], None)
            .await
            .expect("sample appended");
    }
}

async fn every_committed_event_arrives_once_in_stream_order(db: Db) {
    let (store, _) = fresh_store(db).await;
    let url = shared_nats_url();
    let config = relay_config(&url);
    let stream = config.stream.name.clone();
    let (stop, stopped) = watch::channel(false);
    let (progress, mut moved) = watch::channel(0u64);
    let relay = tokio::spawn(relay::publisher::run(
        store.clone(),
        config,
        PseudonymKey::from_bytes([9; 32]),
        Arc::new(relay::RelayStats::default()),
        stopped,
        Some(progress),
    ));

    // Four writers on their own institutions while the relay runs, and one event of every type.
    let writers: Vec<_> = (0..4)
        .map(|w| tokio::spawn(writer(store.clone(), w, 10, 4)))
        .collect();
    append_samples(&store).await;
    for w in writers {
        w.await.expect("writer");
    }
    let committed = committed_n(&store, 4 * 10 * 5 + samples::every_event().len()).await;
    let last = committed.last().expect("events").position;

    // The checkpoint reaches the last committed event…
    tokio::time::timeout(Duration::from_secs(30), moved.wait_for(|p| *p >= last))
        .await
        .expect("the relay reached the last event in time")
        .expect("relay running");
    // …and the consumer gets exactly the committed events.
    let received = consume(&url, &stream, committed.len(), Duration::from_secs(30)).await;
    assert_exactly_committed(&received, &committed);
    assert_eq!(stream_messages(&url, &stream).await, committed.len() as u64);
    for r in &received {
        let text = String::from_utf8_lossy(&r.raw);
        for id in samples::identifiers() {
            assert!(
                !text.contains(&id) && !r.subject.contains(&id),
                "{id:?} reached the bus in {}",
                r.event.event_type
            );
        }
        assert!(r
            .subject
            .ends_with(&format!(".{}.{}", r.event.stream_type, r.event.event_type)));
    }
    stop.send_replace(true);
    relay.await.expect("relay stops");
    delete_stream(&url, &stream).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_committed_event_arrives_once_in_stream_order_postgres() {
    every_committed_event_arrives_once_in_stream_order(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_committed_event_arrives_once_in_stream_order_sqlite() {
    every_committed_event_arrives_once_in_stream_order(Db::Sqlite).await;
}

/// `serve` with NATS runs the relay: the disease master the service publishes at start reaches
/// JetStream, and the pseudonym key is created under the data directory.
async fn serve_with_nats_relays_what_it_commits(db: Db) {
    let (store, _) = fresh_store(db).await;
    let url = shared_nats_url();
    let config = relay_config(&url);
    let stream = config.stream.name.clone();
    let data_dir = std::env::temp_dir().join(format!("nanbyo-data-{}", uuid::Uuid::new_v4()));
    let app = api::startup::Application::bind(
        &api::config::ServeArgs {
            listen: "127.0.0.1:0".parse().expect("addr"),
            skip_migrations: false,
            no_projections: false,
            secure_cookies: false,
            demo: false,
        },
        store.clone(),
    )
    .await
    .expect("bind")
    .with_data_dir(data_dir.clone())
    .with_nats(
        Some(api::nats::NatsSettings {
            relay: config,
            linkage: None,
        }),
        data_dir.clone(),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    // The shipped master, published at start.
    let committed = committed_at_least(&store, 1).await;
    let received = consume(&url, &stream, committed.len(), Duration::from_secs(30)).await;
    assert_exactly_committed(&received, &committed);
    assert!(received
        .iter()
        .any(|r| r.event.event_type == "MasterVersionPublished"));
    assert!(data_dir.join("pseudonym.key").exists());
    let _ = stop.send(());
    server.await.expect("join").expect("stopped cleanly");
    delete_stream(&url, &stream).await;
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_nats_relays_what_it_commits_postgres() {
    serve_with_nats_relays_what_it_commits(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_nats_relays_what_it_commits_sqlite() {
    serve_with_nats_relays_what_it_commits(Db::Sqlite).await;
}
