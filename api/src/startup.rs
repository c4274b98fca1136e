//! Building and running the service: open the store, bind the listener, serve until a
//! shutdown signal, letting requests in flight finish.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use domain::EventCatalog;
use eventstore::{EventStore, OpenError, OpenOptions, StoreError};
use tokio::net::TcpListener;

use crate::config::ServeArgs;
use crate::http::{router, AppState};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("{0}")]
    Open(#[from] OpenError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(std::io::Error),
    #[error("{0}")]
    Store(StoreError),
    #[error("cannot publish the shipped master: {0}")]
    Master(String),
    #[error("{0}")]
    Command(String),
    #[error("benchmark failed: {0}")]
    Bench(anyhow::Error),
}

pub async fn open_store(url: &str, migrate: bool) -> Result<Arc<dyn EventStore>, StartupError> {
    let options = OpenOptions {
        migrate,
        ..OpenOptions::default()
    };
    Ok(eventstore::open(url, Arc::new(EventCatalog::registry()), options).await?)
}

/// The service, bound to its address and ready to serve.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    projections: bool,
}

impl Application {
    pub async fn bind(args: &ServeArgs, store: Arc<dyn EventStore>) -> Result<Self, StartupError> {
        let listener =
            TcpListener::bind(args.listen)
                .await
                .map_err(|source| StartupError::Bind {
                    addr: args.listen,
                    source,
                })?;
        let masters = Arc::new(commands::forms::MasterCache::default());
        // The master shipped with this release, published once (a new release with changed
        // masters publishes a new version; forms keep the version they used).
        match commands::forms::publish_shipped(&store, &masters).await {
            Ok(Some(version)) => tracing::info!(version, "published the shipped disease master"),
            Ok(None) => {}
            Err(e) => return Err(StartupError::Master(e.to_string())),
        }
        Ok(Application {
            listener,
            state: AppState { store, masters },
            projections: !args.no_projections,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        let addr = self.local_addr();
        tracing::info!(%addr, database = self.state.store.backend().as_str(), "serving");
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let runners = if self.projections {
            spawn_projections(&self.state.store, stopped)
        } else {
            vec![]
        };
        let served = axum::serve(
            self.listener,
            router(self.state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(StartupError::Serve);
        stop.send_replace(true);
        for r in runners {
            let _ = r.await;
        }
        served?;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Starts every projection of this release; each stops when `stop` turns true.
pub fn spawn_projections(
    store: &Arc<dyn EventStore>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    vec![
        tokio::spawn(projections::run(
            store.clone(),
            projections::directory::Directory,
            stop.clone(),
            None,
        )),
        tokio::spawn(projections::run(
            store.clone(),
            projections::reads::Reads,
            stop,
            None,
        )),
    ]
}

/// One line per projection: name, position, events behind the store (counted, since
/// positions are sparse), and when it last moved.
pub async fn projection_status(store: &Arc<dyn EventStore>) -> anyhow::Result<Vec<String>> {
    let mut lines = vec![];
    for name in [projections::directory::NAME, projections::reads::NAME] {
        let position = projections::checkpoint(&store.sql(), name).await?;
        let mut behind = 0usize;
        let mut after = position;
        loop {
            let page = store.read_all(after, 10_000).await?;
            let Some(last) = page.last() else { break };
            after = last.position;
            behind += page.len();
        }
        lines.push(format!("{name} position={position} behind={behind}"));
    }
    Ok(lines)
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown requested; finishing requests in flight");
}
