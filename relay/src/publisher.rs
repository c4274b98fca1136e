//! The relay: the event store is the outbox. It follows the store by global position, publishes
//! each event's bus copy to JetStream with the event id as `Nats-Msg-Id`, waits for the
//! acknowledgements of a page, and only then advances its checkpoint (`relay.nats` in
//! `projection_checkpoints`). A crash after publishing and before the checkpoint republishes at
//! most one page: the stream's duplicate window drops those by message id, and consumers
//! deduplicate by event id for republishes older than the window.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use std::future::IntoFuture;

use async_nats::jetstream::{self, message::PublishMessage};
use domain::pseudonym::PseudonymKey;
use eventstore::{EventStore, RecordedEvent};
use futures::future::join_all;
use tokio::sync::watch;

use crate::bus;
use crate::follow::{self, Faults, FollowError, Step};

/// The checkpoint name of the relay.
pub const CHECKPOINT: &str = "relay.nats";

/// The JetStream stream the relay keeps.
#[derive(Debug, Clone)]
pub struct StreamSettings {
    pub name: String,
    /// The first subject token: `nanbyo` (tests and benchmarks use their own, so that their
    /// streams do not overlap a real one on a shared server).
    pub subject_prefix: String,
    /// How long events stay in the stream (zero: forever).
    pub max_age: Duration,
    /// How long JetStream remembers message ids to drop duplicates.
    pub duplicate_window: Duration,
    /// 1 for a single server, 3 for a 3-node cluster.
    pub replicas: usize,
}

impl Default for StreamSettings {
    fn default() -> Self {
        StreamSettings {
            name: bus::DEFAULT_STREAM.to_owned(),
            subject_prefix: bus::SUBJECT_PREFIX.to_owned(),
            max_age: Duration::ZERO,
            duplicate_window: Duration::from_secs(3600),
            replicas: 1,
        }
    }
}

#[derive(Debug, Clone)]
pub struct RelayConfig {
    pub nats_url: String,
    pub stream: StreamSettings,
    /// How long to wait for JetStream's acknowledgement of a message.
    pub ack_timeout: Duration,
    /// The longest pause between attempts while NATS or the database is away.
    pub max_backoff: Duration,
}

impl RelayConfig {
    pub fn new(nats_url: impl Into<String>) -> Self {
        RelayConfig {
            nats_url: nats_url.into(),
            stream: StreamSettings::default(),
            ack_timeout: Duration::from_secs(5),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// What the relay did, for status and tests.
#[derive(Debug, Default)]
pub struct RelayStats {
    /// Messages JetStream stored.
    pub published: AtomicU64,
    /// Messages JetStream acknowledged as duplicates (a republish inside the window).
    pub duplicates: AtomicU64,
}

/// The stream configuration the relay creates or updates.
pub fn stream_config(s: &StreamSettings) -> jetstream::stream::Config {
    jetstream::stream::Config {
        name: s.name.clone(),
        subjects: vec![format!("{}.>", s.subject_prefix)],
        max_age: s.max_age,
        duplicate_window: s.duplicate_window,
        num_replicas: s.replicas,
        storage: jetstream::stream::StorageType::File,
        retention: jetstream::stream::RetentionPolicy::Limits,
        ..Default::default()
    }
}

/// Connects to NATS (`url`: one or several comma-separated server URLs, credentials as
/// `nats://user:password@host:port`); the client reconnects by itself afterwards.
pub async fn connect(url: &str) -> Result<async_nats::Client, async_nats::ConnectError> {
    let mut options = async_nats::ConnectOptions::new()
        .name("nanbyo")
        .connection_timeout(Duration::from_secs(3));
    // async-nats does not send the credentials of the URL itself: pass them on.
    let credentials = url
        .split(',')
        .filter_map(|u| u.trim().parse::<async_nats::ServerAddr>().ok())
        .find(|a| a.has_user_pass());
    if let Some(addr) = credentials {
        options = options.user_and_password(
            addr.username().unwrap_or_default().to_owned(),
            addr.password().unwrap_or_default().to_owned(),
        );
    }
    options.connect(url).await
}

pub fn context(client: async_nats::Client, ack_timeout: Duration) -> jetstream::Context {
    jetstream::ContextBuilder::new()
        .ack_timeout(ack_timeout)
        .timeout(ack_timeout)
        .build(client)
}

struct Publishing {
    js: jetstream::Context,
    prefix: String,
    key: PseudonymKey,
    stats: Arc<RelayStats>,
}

impl Step for Publishing {
    async fn handle(&mut self, page: &[RecordedEvent]) -> (usize, Option<anyhow::Error>) {
        // Pipelined: send the whole page, then collect the acknowledgements in order; the
        // checkpoint moves to the last event of the acknowledged prefix.
        let mut pending = Vec::with_capacity(page.len());
        let mut stop = None;
        for event in page {
            let message = match bus::redact(event, &self.key) {
                Ok(m) => m,
                Err(e) => {
                    stop = Some(anyhow::Error::from(e));
                    break;
                }
            };
            let body = match serde_json::to_vec(&message) {
                Ok(b) => b,
                Err(e) => {
                    stop = Some(e.into());
                    break;
                }
            };
            let publish = PublishMessage::build()
                .payload(body.into())
                .message_id(event.event_id.to_string());
            match self
                .js
                .send_publish(bus::subject(&self.prefix, event), publish)
                .await
            {
                Ok(ack) => pending.push(ack),
                Err(e) => {
                    stop = Some(e.into());
                    break;
                }
            }
        }
        let acks = join_all(pending.into_iter().map(|a| a.into_future())).await;
        let mut done = 0;
        for ack in acks {
            match ack {
                Ok(ack) => {
                    if ack.duplicate {
                        self.stats.duplicates.fetch_add(1, Ordering::Relaxed);
                    } else {
                        self.stats.published.fetch_add(1, Ordering::Relaxed);
                    }
                    done += 1;
                }
                Err(e) => {
                    stop = Some(e.into());
                    break;
                }
            }
        }
        (done, stop)
    }
}

/// One attempt: connect, create or update the stream, follow until shutdown or an error.
pub async fn run_once(
    store: &Arc<dyn EventStore>,
    config: &RelayConfig,
    key: &PseudonymKey,
    stats: &Arc<RelayStats>,
    shutdown: &mut watch::Receiver<bool>,
    progress: Option<&watch::Sender<u64>>,
    faults: &Faults,
) -> Result<(), FollowError> {
    let client = connect(&config.nats_url)
        .await
        .map_err(|e| FollowError::Step(e.into()))?;
    let js = context(client, config.ack_timeout);
    js.create_or_update_stream(stream_config(&config.stream))
        .await
        .map_err(|e| FollowError::Step(e.into()))?;
    let mut step = Publishing {
        js,
        prefix: config.stream.subject_prefix.clone(),
        key: key.clone(),
        stats: stats.clone(),
    };
    follow::follow(store, CHECKPOINT, &mut step, shutdown, progress, faults).await
}

/// Runs the relay until `shutdown`, restarting after errors (NATS away, the database away,
/// another process holding the relay's lock).
pub async fn run(
    store: Arc<dyn EventStore>,
    config: RelayConfig,
    key: PseudonymKey,
    stats: Arc<RelayStats>,
    shutdown: watch::Receiver<bool>,
    progress: Option<watch::Sender<u64>>,
) {
    let faults = Faults::default();
    let max = config.max_backoff;
    let inner = shutdown.clone();
    follow::restarting("relay", shutdown, max, || {
        let mut rx = inner.clone();
        let (store, config, key, stats, progress, faults) = (
            store.clone(),
            config.clone(),
            key.clone(),
            stats.clone(),
            progress.clone(),
            faults.clone(),
        );
        async move {
            run_once(
                &store,
                &config,
                &key,
                &stats,
                &mut rx,
                progress.as_ref(),
                &faults,
            )
            .await
        }
    })
    .await;
}
