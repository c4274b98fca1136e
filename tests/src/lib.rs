//! Shared test plumbing for the end-to-end tests: a fresh PostgreSQL database or SQLite file
//! per test, opened through the same `eventstore::open` the service uses. A missing
//! PostgreSQL fails the test loudly; it is never skipped.

use std::sync::Arc;

use domain::EventCatalog;
use eventstore::{EventStore, OpenOptions};

/// The server the tests create their databases on.
pub fn pg_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn with_database(url: &str, db: &str) -> String {
    let (base, _) = url
        .rsplit_once('/')
        .expect("TEST_DATABASE_URL has a database path");
    format!("{base}/{db}")
}

/// Creates an empty database and returns its URL. Databases are named `nanbyo_test_*`;
/// `scripts/test` drops the leftovers of earlier runs before it starts.
pub async fn fresh_pg_url() -> String {
    use sqlx::Connection;
    let name = format!("nanbyo_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&pg_admin_url())
        .await
        .expect("PostgreSQL must be running for the tests (scripts/test starts it)");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create test database");
    with_database(&pg_admin_url(), &name)
}

/// A URL for a new SQLite file in its own temporary directory.
pub fn fresh_sqlite_url() -> String {
    let dir = std::env::temp_dir().join(format!("nanbyo-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    format!("sqlite://{}", dir.join("nanbyo.db").display())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Postgres,
    Sqlite,
}

pub async fn fresh_url(db: Db) -> String {
    match db {
        Db::Postgres => fresh_pg_url().await,
        Db::Sqlite => fresh_sqlite_url(),
    }
}

pub async fn open_url(url: &str) -> Arc<dyn EventStore> {
    eventstore::open(
        url,
        Arc::new(EventCatalog::registry()),
        OpenOptions::default(),
    )
    .await
    .expect("open store")
}

pub async fn fresh_store(db: Db) -> (Arc<dyn EventStore>, String) {
    let url = fresh_url(db).await;
    (open_url(&url).await, url)
}
