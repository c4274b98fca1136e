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
    #[error("demo registry: {0}")]
    Demo(String),
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
    nats: Option<(crate::nats::NatsSettings, std::path::PathBuf)>,
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
        // The master shipped with this release, each edition published once (a new release
        // with changed masters publishes a new version; forms keep the version they used).
        match commands::forms::publish_shipped(&store, &masters).await {
            Ok(versions) => {
                for version in versions {
                    tracing::info!(version, "published the shipped disease master");
                }
            }
            Err(e) => return Err(StartupError::Master(e.to_string())),
        }
        Ok(Application {
            listener,
            state: AppState {
                research: Arc::new(crate::research::ResearchFiles::new(
                    crate::research::default_data_dir(store.as_ref()),
                )),
                imports: Arc::new(commands::import_runner::Imports::new(
                    crate::research::default_data_dir(store.as_ref()),
                )),
                store,
                masters,
                secure_cookies: args.secure_cookies,
            },
            projections: !args.no_projections,
            nats: None,
        })
    }

    /// Also runs the relay to JetStream and the 履歴照会・回答 linkage (NATS_URL set), with the
    /// pseudonym key from the environment or under `data_dir`.
    pub fn with_nats(
        mut self,
        settings: Option<crate::nats::NatsSettings>,
        data_dir: std::path::PathBuf,
    ) -> Self {
        self.nats = settings.map(|s| (s, data_dir));
        self
    }

    /// Keeps research extracts (and, by default, the research key) under `dir` instead of
    /// beside the SQLite database or in ./nanbyo-data.
    pub fn with_data_dir(mut self, dir: std::path::PathBuf) -> Self {
        self.state.research = Arc::new(crate::research::ResearchFiles::new(dir.clone()));
        self.state.imports = Arc::new(commands::import_runner::Imports::new(dir));
        self
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
        let mut runners = if self.projections {
            spawn_projections(&self.state.store, stopped.clone())
        } else {
            vec![]
        };
        if let Some((settings, data_dir)) = self.nats {
            runners.extend(
                crate::nats::start(&self.state.store, settings, &data_dir, stopped)
                    .map_err(|e| StartupError::Command(e.to_string()))?,
            );
        }
        // Import jobs that a stop interrupted carry on from their last recorded batch.
        {
            let state = self.state.clone();
            tokio::spawn(async move { state.imports.resume(&state.store, &state.masters).await });
        }
        let served = axum::serve(
            self.listener,
            router(self.state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(StartupError::Serve);
        // Refused reads answered before the stop are recorded after their answer: let those
        // appends finish (bounded: a database that is gone does not hold the stop).
        if tokio::time::timeout(
            std::time::Duration::from_secs(10),
            commands::audit::settled(),
        )
        .await
        .is_err()
        {
            tracing::warn!("stopped before every refused read was recorded");
        }
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
    projections::ALL
        .iter()
        .filter_map(|name| {
            projections::with_projection!(*name, |p| tokio::spawn(projections::run(
                store.clone(),
                p,
                stop.clone(),
                None
            )))
        })
        .collect()
}

/// Every projection's status.
pub async fn projection_status(
    store: &Arc<dyn EventStore>,
) -> Result<Vec<projections::Status>, projections::ProjectionError> {
    let mut all = vec![];
    for name in projections::ALL {
        all.push(projections::status(store, name).await?);
    }
    Ok(all)
}

/// Rebuilds one projection with a progress bar (events/s and ETA) on stderr.
pub async fn rebuild_projection(
    store: &Arc<dyn EventStore>,
    name: &str,
) -> Result<projections::Rebuilt, RebuildError> {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:>20} [{elapsed_precise}] {wide_bar} {pos}/{len} events {per_sec} ETA {eta}",
        )
        .expect("template"),
    );
    bar.set_message(name.to_owned());
    let progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let result = projections::with_projection!(name, |p| projections::rebuild(store, &p, progress)
        .await)
    .ok_or_else(|| RebuildError::Unknown {
        name: name.to_owned(),
    })?;
    bar.finish();
    let done = result?;
    eprintln!(
        "{name}: rebuilt from {} events, now at position {}",
        done.events, done.position
    );
    Ok(done)
}

#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error("no projection is named {name:?}; the projections are: {known}", known = projections::ALL.join(", "))]
    Unknown { name: String },
    #[error(transparent)]
    Failed(#[from] projections::ProjectionError),
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
