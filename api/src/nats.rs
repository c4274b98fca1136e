//! NATS in the service: the relay to JetStream and the 履歴照会・回答 linkage (crate `relay`),
//! configured from the command line, started by `serve` (with NATS_URL) or `nanbyo relay`, and
//! their status for operators (`nanbyo relay status`). No personal data in anything printed.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use eventstore::EventStore;
use relay::{LinkageConfig, RelayConfig, RelayStats, StreamSettings};
use tokio::sync::watch;

use crate::config::NatsArgs;

/// What to start: the relay, and the linkage unless turned off.
#[derive(Debug, Clone)]
pub struct NatsSettings {
    pub relay: RelayConfig,
    pub linkage: Option<LinkageConfig>,
}

/// The settings, or `None` without NATS_URL.
pub fn settings(args: &NatsArgs) -> Option<NatsSettings> {
    let url = args.server.nats_url.clone()?;
    let mut relay = RelayConfig::new(url.clone());
    relay.stream = StreamSettings {
        name: args.nats_stream.clone(),
        max_age: Duration::from_secs(args.nats_max_age),
        duplicate_window: Duration::from_secs(args.nats_duplicate_window),
        replicas: args.nats_replicas,
        ..StreamSettings::default()
    };
    let linkage = (!args.no_linkage).then(|| {
        let mut l = LinkageConfig::new(url);
        l.retry_base = Duration::from_secs(args.linkage_retry.max(1));
        l
    });
    Some(NatsSettings { relay, linkage })
}

/// Starts the relay and the linkage; the pseudonym key comes from the environment or from
/// `data_dir/pseudonym.key` (created on first use, see `commands::secrets`).
pub fn start(
    store: &Arc<dyn EventStore>,
    settings: NatsSettings,
    data_dir: &Path,
    stop: watch::Receiver<bool>,
) -> Result<Vec<tokio::task::JoinHandle<()>>, commands::secrets::SecretError> {
    let key = commands::secrets::pseudonym_key(&data_dir.join("pseudonym.key"))?;
    tracing::info!(
        stream = settings.relay.stream.name,
        linkage = settings.linkage.is_some(),
        "relaying events to NATS JetStream"
    );
    Ok(relay::spawn(
        store,
        settings.relay,
        settings.linkage,
        key,
        Arc::new(RelayStats::default()),
        stop,
    ))
}

/// Lines for `nanbyo relay status`: the relay's and the inquirer's checkpoints and backlogs
/// (counted: positions are sparse), then one line per unanswered inquiry.
pub async fn status(store: &Arc<dyn EventStore>) -> anyhow::Result<Vec<String>> {
    let mut lines = vec![];
    for name in [relay::publisher::CHECKPOINT, relay::linkage::INQUIRER] {
        let (position, behind) = relay::follow::behind(store, name).await?;
        lines.push(format!("{name} position={position} behind={behind}"));
    }
    let unanswered = relay::linkage::unanswered(&store.sql()).await?;
    lines.push(format!("linkage unanswered={}", unanswered.len()));
    let at = |ms: Option<i64>| {
        ms.and_then(chrono::DateTime::from_timestamp_millis)
            .map_or_else(|| "-".to_owned(), |t| t.to_rfc3339())
    };
    for u in unanswered {
        lines.push(format!(
            "  inquiry {} program={} form={} inquired_at={} attempts={} last_attempt_at={} next_attempt_at={}",
            u.request_id,
            u.program,
            u.form_id,
            at(Some(u.inquired_at)),
            u.attempts,
            at(u.last_attempt_at),
            at(Some(u.next_attempt_at)),
        ));
    }
    Ok(lines)
}
