//! Events on NATS JetStream and the 履歴照会・回答 linkage (issue 6): the relay that publishes
//! the store's events (redacted for the bus) to JetStream, the linkage with the national history
//! inquiry / response system, the reference responder that stands in for that system, and the
//! AsyncAPI document of every subject.

pub mod asyncapi;
pub mod bus;
pub mod follow;
pub mod linkage;
pub mod publisher;
pub mod responder;
#[doc(hidden)]
pub mod samples;

use std::sync::Arc;

use domain::pseudonym::PseudonymKey;
use eventstore::EventStore;
use tokio::sync::watch;

pub use linkage::LinkageConfig;
pub use publisher::{RelayConfig, RelayStats, StreamSettings};

/// The NATS servers: one setting, `--nats-url` / `NATS_URL`, read alike by `nanbyo` and by
/// `linkage-responder` (no default: without it `nanbyo serve` runs no relay and the responder
/// does not start). Several URLs, comma-separated, for a cluster; credentials in the URL are
/// passed on ([`publisher::connect`]) and never shown in `--help`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct NatsServerArgs {
    /// nats://host:port of a NATS server with JetStream (several, comma-separated, for a
    /// cluster).
    #[arg(long, env = "NATS_URL", global = true, hide_env_values = true)]
    pub nats_url: Option<String>,
}

/// Starts the relay and the linkage; every task stops when `shutdown` turns true.
pub fn spawn(
    store: &Arc<dyn EventStore>,
    relay: RelayConfig,
    linkage: Option<LinkageConfig>,
    key: PseudonymKey,
    stats: Arc<RelayStats>,
    shutdown: watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = vec![tokio::spawn(publisher::run(
        store.clone(),
        relay,
        key.clone(),
        stats,
        shutdown.clone(),
        None,
    ))];
    if let Some(linkage) = linkage {
        tasks.extend(linkage::spawn(store.clone(), linkage, key, shutdown));
    }
    tasks
}
