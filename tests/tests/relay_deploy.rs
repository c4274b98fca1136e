//! The example NATS accounts and permissions (deploy/nats/accounts.conf) on a real nats-server
//! of the test's own: the registry's user runs the relay (creates NANBYO_EVENTS, publishes); a
//! downstream consumer reads the stream but may neither read the linkage inquiries (identity
//! data) nor publish events.

mod relay_support;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use async_nats::{Event, ServerError};
use domain::institution::InstitutionEvent;
use domain::pseudonym::PseudonymKey;
use domain::Role;
use eventstore::{ExpectedVersion, Metadata, NewEvent, StreamId};
use nanbyo_tests::{fresh_store, Db};
use relay::RelayConfig;
use relay_support::*;
use tokio::sync::{mpsc, watch};

struct Server(std::process::Child, std::path::PathBuf);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

async fn start(port: u16) -> Server {
    let dir = std::env::temp_dir().join(format!("nanbyo-nats-acl-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let accounts = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/nats/accounts.conf");
    std::fs::copy(accounts, dir.join("accounts.conf")).expect("copy accounts.conf");
    std::fs::write(
        dir.join("single.conf"),
        format!(
            "listen: 127.0.0.1:{port}\njetstream {{ store_dir: {:?} }}\ninclude ./accounts.conf\n",
            dir.join("js").display().to_string()
        ),
    )
    .expect("config");
    let child = Command::new(NATS_SERVER)
        .arg("-c")
        .arg(dir.join("single.conf"))
        .envs([
            ("NANBYO_NATS_PASSWORD", "registry-pw"),
            ("LINKAGE_NATS_PASSWORD", "linkage-pw"),
            ("CONSUMER_NATS_PASSWORD", "consumer-pw"),
            ("SYS_NATS_PASSWORD", "sys-pw"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server is installed");
    let server = Server(child, dir);
    let url = format!("nats://nanbyo:registry-pw@127.0.0.1:{port}");
    eventually(
        "nats-server with accounts.conf",
        Duration::from_secs(15),
        || {
            let url = url.clone();
            async move { relay::publisher::connect(&url).await.is_ok() }
        },
    )
    .await;
    server
}

/// A client whose server errors (permission violations) arrive on the returned channel.
async fn client_with_errors(
    url: String,
    user: &str,
    password: &str,
) -> (async_nats::Client, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let client = async_nats::ConnectOptions::new()
        .user_and_password(user.into(), password.into())
        .event_callback(move |event| {
            let tx = tx.clone();
            async move {
                if let Event::ServerError(ServerError::Other(e)) = event {
                    let _ = tx.send(e);
                }
            }
        })
        .connect(url)
        .await
        .expect("connect");
    (client, rx)
}

async fn violation(errors: &mut mpsc::UnboundedReceiver<String>, subject: &str) {
    let e = tokio::time::timeout(Duration::from_secs(10), errors.recv())
        .await
        .expect("the server refused")
        .expect("error");
    assert!(
        e.to_lowercase().contains("permissions violation") && e.contains(subject),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_permissions_keep_consumers_off_the_linkage_subjects() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let _server = start(port).await;
    let registry_url = format!("nats://nanbyo:registry-pw@127.0.0.1:{port}");
    let consumer_url = format!("nats://consumer:consumer-pw@127.0.0.1:{port}");

    // The registry's user runs the relay with the production stream name and subjects.
    let (store, _) = fresh_store(Db::Sqlite).await;
    for n in 0..10 {
        let event = NewEvent::from_domain(
            &InstitutionEvent::InstitutionRenamed {
                name: format!("病院 {n}"),
            },
            Metadata::new("op-1", Role::Operator, None),
        )
        .expect("event");
        store
            .append(
                &StreamId::new("institution", "i-1").expect("id"),
                ExpectedVersion::Any,
                vec![event],
                None,
            )
            .await
            .expect("append");
    }
    let last = committed_n(&store, 10)
        .await
        .last()
        .expect("events")
        .position;
    let (stop, stopped) = watch::channel(false);
    let (progress, mut moved) = watch::channel(0u64);
    let relay = tokio::spawn(relay::publisher::run(
        store.clone(),
        RelayConfig::new(registry_url),
        PseudonymKey::from_bytes([1; 32]),
        Arc::new(relay::RelayStats::default()),
        stopped,
        Some(progress),
    ));
    tokio::time::timeout(Duration::from_secs(30), moved.wait_for(|p| *p >= last))
        .await
        .expect("the registry user may create the stream and publish")
        .expect("relay running");

    // The consumer reads the events through its own JetStream consumer…
    let received = consume(&consumer_url, "NANBYO_EVENTS", 10, Duration::from_secs(20)).await;
    assert_eq!(received.len(), 10);

    // …but may not listen to the inquiries (identity data) nor publish events.
    let (client, mut errors) = client_with_errors(
        format!("nats://127.0.0.1:{port}"),
        "consumer",
        "consumer-pw",
    )
    .await;
    let _sub = client.subscribe("linkage.inquiry.*").await.expect("sent");
    client.flush().await.expect("flush");
    violation(&mut errors, "linkage.inquiry.*").await;
    client
        .publish("nanbyo.nanbyo.form.FormDrafted", "forged".into())
        .await
        .expect("sent");
    client.flush().await.expect("flush");
    violation(&mut errors, "nanbyo.nanbyo.form.FormDrafted").await;
    stop.send_replace(true);
    relay.await.expect("relay stops");
}
