//! The service on a random port with a fresh database, as the HTTP tests use it.
#![allow(dead_code)]

use std::future::IntoFuture;
use std::sync::Arc;

use eventstore::EventStore;

use api::config::ServeArgs;
use api::startup::Application;
use nanbyo_tests::{fresh_store, Db};

/// Starts the real router; returns its base URL and the database URL.
pub async fn spawn(db: Db) -> (String, String) {
    let (base, url, _) = spawn_with_store(db).await;
    (base, url)
}

/// As [`spawn`], also returning the store (to provision accounts through the commands).
pub async fn spawn_with_store(db: Db) -> (String, String, Arc<dyn EventStore>) {
    let (store, url) = fresh_store(db).await;
    let app = Application::bind(
        &ServeArgs {
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
    // Research extracts and the pseudonym key of this test alone, never the working directory.
    .with_data_dir(
        std::env::temp_dir().join(format!("nanbyo-data-{}", uuid::Uuid::new_v4().simple())),
    );
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped(std::future::pending()).into_future());
    (base, url, store)
}
