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
        if args.dev_actor_header {
            tracing::warn!(
                "the development actor header is accepted: never expose this server to users"
            );
        }
        Ok(Application {
            listener,
            state: AppState {
                store,
                masters,
                dev_actor_header: args.dev_actor_header,
            },
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
        axum::serve(self.listener, router(self.state))
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(StartupError::Serve)?;
        tracing::info!("stopped");
        Ok(())
    }
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
