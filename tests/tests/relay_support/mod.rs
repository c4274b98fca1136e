//! Shared plumbing of the relay tests: a private nats-server (own port, own JetStream
//! directory) that a test may stop and start, the shared one at 127.0.0.1:4222, a consumer that
//! reads a stream through a real JetStream consumer, and the relay's settings for a test.
//! A missing nats-server fails the test; it is never skipped.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull};
use eventstore::{EventStore, RecordedEvent};
use futures::StreamExt;
use relay::bus::BusEvent;
use relay::{RelayConfig, StreamSettings};

pub const NATS_SERVER: &str = "/usr/sbin/nats-server";

/// The shared server (scripts/test starts it).
pub fn shared_nats_url() -> String {
    std::env::var("TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

/// A nats-server of this test alone.
pub struct NatsServer {
    child: Option<Child>,
    pub port: u16,
    dir: PathBuf,
}

impl NatsServer {
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("free port")
            .local_addr()
            .expect("addr")
            .port();
        let dir = std::env::temp_dir().join(format!("nanbyo-nats-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let mut server = NatsServer {
            child: None,
            port,
            dir,
        };
        server.launch().await;
        server
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    async fn launch(&mut self) {
        let child = Command::new(NATS_SERVER)
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{NATS_SERVER} must be installed for the tests: {e}"));
        self.child = Some(child);
        // Bounded polling until JetStream answers.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            // JetStream answers (a stream that does not exist is an answer).
            if let Ok(client) = async_nats::connect(self.url()).await {
                match jetstream::new(client).get_stream("NO_SUCH_STREAM").await {
                    Err(e)
                        if matches!(
                            e.kind(),
                            jetstream::context::GetStreamErrorKind::JetStream(_)
                        ) =>
                    {
                        return
                    }
                    Ok(_) => return,
                    Err(_) => {}
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "nats-server on port {} did not start",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the server as an operator would (SIGTERM), and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            child.wait().expect("nats-server exits");
        }
    }

    /// Starts it again on the same port with the same JetStream directory.
    pub async fn restart(&mut self) {
        self.stop();
        self.launch().await;
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Relay settings for a test: its own stream and subject prefix (so tests sharing a server do
/// not overlap), short timeouts.
pub fn relay_config(url: &str) -> RelayConfig {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let mut config = RelayConfig::new(url);
    config.stream = StreamSettings {
        name: format!("T_{id}"),
        subject_prefix: format!("t{id}"),
        ..StreamSettings::default()
    };
    config.ack_timeout = Duration::from_secs(2);
    config.max_backoff = Duration::from_millis(500);
    config
}

/// One message as a consumer got it.
pub struct Received {
    pub msg_id: String,
    pub subject: String,
    pub raw: Vec<u8>,
    pub event: BusEvent,
}

/// Reads the stream from its start through an ephemeral pull consumer until `expected`
/// messages arrived or `timeout` passed (then returns what arrived).
pub async fn consume(url: &str, stream: &str, expected: usize, timeout: Duration) -> Vec<Received> {
    let client = relay::publisher::connect(url)
        .await
        .expect("consumer connects");
    let js = jetstream::new(client);
    let deadline = tokio::time::Instant::now() + timeout;
    // The relay creates its stream when it starts, which may be after the events it will
    // publish were committed: wait for it (within the same deadline) rather than race it.
    let stream = loop {
        match js.get_stream(stream).await {
            Ok(found) => break found,
            Err(error) if tokio::time::Instant::now() >= deadline => {
                panic!("the relay created the stream {stream} within {timeout:?}: {error}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    let consumer: jetstream::consumer::PullConsumer = stream
        .create_consumer(pull::Config {
            ack_policy: jetstream::consumer::AckPolicy::None,
            deliver_policy: jetstream::consumer::DeliverPolicy::All,
            ..Default::default()
        })
        .await
        .expect("consumer");
    let mut out = vec![];
    while out.len() < expected && tokio::time::Instant::now() < deadline {
        let mut batch = consumer
            .fetch()
            .max_messages(500)
            .expires(Duration::from_millis(300))
            .messages()
            .await
            .expect("fetch");
        while let Some(message) = batch.next().await {
            let message = message.expect("message");
            let msg_id = message
                .headers
                .as_ref()
                .and_then(|h| h.get(async_nats::header::NATS_MESSAGE_ID))
                .map(|v| v.as_str().to_owned())
                .unwrap_or_else(|| {
                    panic!(
                        "every message carries Nats-Msg-Id: {:?} {:?}",
                        message.headers, message.subject
                    )
                });
            let event: BusEvent = serde_json::from_slice(&message.payload).expect("a bus event");
            out.push(Received {
                msg_id,
                subject: message.subject.to_string(),
                raw: message.payload.to_vec(),
                event,
            });
        }
    }
    out
}

/// How many messages the stream holds.
pub async fn stream_messages(url: &str, stream: &str) -> u64 {
    let client = relay::publisher::connect(url).await.expect("connect");
    let mut stream = jetstream::new(client)
        .get_stream(stream)
        .await
        .expect("stream");
    stream.info().await.expect("info").state.messages
}

/// Every committed event, in global order.
pub async fn committed(store: &Arc<dyn EventStore>) -> Vec<RecordedEvent> {
    let mut all = vec![];
    let mut after = 0;
    loop {
        let page = store.read_all(after, 10_000).await.expect("read");
        let Some(last) = page.last() else { break };
        after = last.position;
        all.extend(page);
    }
    all
}

/// Checks what a consumer got against the store: each committed event exactly once (by event
/// id, which is also the message id), nothing else, and each stream's events in version order.
pub fn assert_exactly_committed(received: &[Received], committed: &[RecordedEvent]) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for r in received {
        assert_eq!(r.msg_id, r.event.event_id, "Nats-Msg-Id is the event id");
        *seen.entry(r.event.event_id.as_str()).or_default() += 1;
    }
    let duplicates: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        duplicates.is_empty(),
        "duplicates reached the consumer: {duplicates:?}"
    );
    let ids: std::collections::HashSet<String> =
        committed.iter().map(|e| e.event_id.to_string()).collect();
    let missing = ids
        .iter()
        .filter(|id| !seen.contains_key(id.as_str()))
        .count();
    let extra = seen.keys().filter(|id| !ids.contains(**id)).count();
    assert_eq!(
        (missing, extra),
        (0, 0),
        "missing / extra events on the bus"
    );
    assert_eq!(received.len(), committed.len());
    // Per-stream order: versions arrive 1, 2, 3, … for each stream.
    let mut last: HashMap<(String, String), u64> = HashMap::new();
    for r in received {
        let key = (r.event.stream_type.clone(), r.event.stream_id.clone());
        let previous = last.insert(key.clone(), r.event.version).unwrap_or(0);
        assert_eq!(
            r.event.version,
            previous + 1,
            "stream {key:?} arrived out of order"
        );
    }
}

/// Waits (bounded polling) until `check` holds.
pub async fn eventually<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Removes a test's stream from a shared server.
pub async fn delete_stream(url: &str, stream: &str) {
    let client = async_nats::connect(url).await.expect("connect");
    jetstream::new(client)
        .delete_stream(stream)
        .await
        .expect("delete the test's stream");
}

/// Every committed event once `expected` of them are readable. On PostgreSQL a reader sees an
/// event only when no older transaction in the cluster is still open (the no-skip rule), so
/// events this test committed a moment ago may stay hidden briefly: bounded polling.
pub async fn committed_n(store: &Arc<dyn EventStore>, expected: usize) -> Vec<RecordedEvent> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let all = committed(store).await;
        assert!(
            all.len() <= expected,
            "more events than committed: {}",
            all.len()
        );
        if all.len() == expected {
            return all;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {expected} committed events became readable",
            all.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every readable committed event once there are at least `at_least` (bounded polling).
pub async fn committed_at_least(
    store: &Arc<dyn EventStore>,
    at_least: usize,
) -> Vec<RecordedEvent> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let all = committed(store).await;
        if all.len() >= at_least {
            return all;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of at least {at_least} committed events became readable",
            all.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
