//! Opening a store from a database URL: `postgres://…` for PostgreSQL, `sqlite:…` for the
//! embedded store. Errors say what is wrong in one line and never repeat the URL, which may
//! hold a password.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use domain::EventCatalog;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::error::StoreError;
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::EventStore;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("DATABASE_URL is not valid: {0}")]
    InvalidUrl(String),
    #[error("the database cannot be reached: {0}")]
    Unreachable(String),
    #[error("the SQLite database file is locked by another process: {0}")]
    Locked(String),
    #[error("the database cannot be migrated: {0}")]
    Migration(String),
}

/// How a store is opened.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Apply pending migrations before returning.
    pub migrate: bool,
    /// Most connections to PostgreSQL (readers for SQLite).
    pub max_connections: u32,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            migrate: true,
            max_connections: 16,
        }
    }
}

fn describe(e: &sqlx::Error) -> String {
    match e {
        // Database messages can quote values; keep only the code and the server's text,
        // which for connection-level errors names no data.
        sqlx::Error::Database(d) => match d.code() {
            Some(code) => format!("{} ({code})", d.message()),
            None => d.message().to_owned(),
        },
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::PoolTimedOut => "timed out waiting for a connection".into(),
        sqlx::Error::Tls(t) => format!("TLS: {t}"),
        other => other.to_string(),
    }
}

/// SQLITE_BUSY (5) or SQLITE_LOCKED (6), including their extended codes (low byte).
fn is_sqlite_locked(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .and_then(|c| c.parse::<u32>().ok())
        .is_some_and(|n| matches!(n & 0xff, 5 | 6))
}

fn open_error(e: sqlx::Error) -> OpenError {
    match &e {
        sqlx::Error::Configuration(c) => OpenError::InvalidUrl(c.to_string()),
        _ => OpenError::Unreachable(describe(&e)),
    }
}

fn sqlite_open_error(e: sqlx::Error) -> OpenError {
    if is_sqlite_locked(&e) {
        OpenError::Locked(describe(&e))
    } else {
        open_error(e)
    }
}

fn sqlite_migrate_error(e: StoreError) -> OpenError {
    match e {
        StoreError::Migrate(sqlx::migrate::MigrateError::Execute(inner))
        | StoreError::Database(inner)
            if is_sqlite_locked(&inner) =>
        {
            OpenError::Locked(describe(&inner))
        }
        other => OpenError::Migration(other.to_string()),
    }
}

/// Opens (and by default migrates) the store the URL names.
pub async fn open(
    url: &str,
    catalog: Arc<EventCatalog>,
    options: OpenOptions,
) -> Result<Arc<dyn EventStore>, OpenError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let connect = PgConnectOptions::from_str(url)
            .map_err(|e| OpenError::InvalidUrl(describe(&e)))?
            .application_name("nanbyo");
        // One direct connection first: a pool would retry until its timeout and then only say
        // that it timed out, where the operator needs "connection refused" or "password
        // authentication failed".
        {
            use sqlx::{ConnectOptions, Connection};
            let conn = connect.connect().await.map_err(open_error)?;
            conn.close().await.map_err(open_error)?;
        }
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(connect)
            .await
            .map_err(open_error)?;
        if options.migrate {
            PgStore::migrate(&pool)
                .await
                .map_err(|e| OpenError::Migration(e.to_string()))?;
        }
        Ok(Arc::new(PgStore::new(pool, catalog)))
    } else if let Some(rest) = url.strip_prefix("sqlite:") {
        if rest.contains(":memory:") || rest.contains("mode=memory") {
            // The writer and reader pools would each get a database of their own.
            return Err(OpenError::InvalidUrl(
                "an in-memory SQLite database is not supported: name a file".into(),
            ));
        }
        let connect = SqliteConnectOptions::from_str(url)
            .map_err(|e| OpenError::InvalidUrl(describe(&e)))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a committed event survives a power cut, not only a crash.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let path = rest.trim_start_matches("//");
        let path = path.split('?').next().unwrap_or(path);
        if let Some(dir) = Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                OpenError::Unreachable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(connect.clone())
            .await
            .map_err(sqlite_open_error)?;
        if options.migrate {
            SqliteStore::migrate(&writer)
                .await
                .map_err(sqlite_migrate_error)?;
        }
        // Check the write lock once, so a file held by another process fails now and clearly
        // rather than at the first append.
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(sqlite_open_error)?;
        sqlx::query("SELECT 1")
            .execute(&mut *tx)
            .await
            .map_err(sqlite_open_error)?;
        tx.rollback().await.map_err(sqlite_open_error)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(options.max_connections.clamp(1, 8))
            .connect_with(connect.read_only(true))
            .await
            .map_err(sqlite_open_error)?;
        Ok(Arc::new(SqliteStore::new(writer, reader, catalog)))
    } else {
        Err(OpenError::InvalidUrl(
            "expected a URL starting with postgres:// or sqlite:".into(),
        ))
    }
}
