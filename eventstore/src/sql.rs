//! The database behind the store, for what lives beside the events: the read models of the
//! projections and the credential store. Their SQL is written once, valid on both backends
//! (`$1` placeholders, portable types, times as Unix milliseconds); [`on_sql!`] runs the same
//! code against whichever pool this is.

use sqlx::{PgPool, SqlitePool};

#[derive(Debug, Clone)]
pub enum SqlPool {
    Postgres(PgPool),
    /// SQLite: writes go through the store's single writer connection (so they serialise with
    /// appends instead of failing with SQLITE_BUSY), reads through the read-only pool.
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
    },
}

/// Runs `$body` with `$p` bound to the pool for writing (`writer`) or for reading (`reader`).
/// The body is compiled once per backend.
#[macro_export]
macro_rules! on_sql {
    ($pool:expr, writer, |$p:ident| $body:expr) => {
        match $pool {
            $crate::SqlPool::Postgres($p) => $body,
            $crate::SqlPool::Sqlite { writer: $p, .. } => $body,
        }
    };
    ($pool:expr, reader, |$p:ident| $body:expr) => {
        match $pool {
            $crate::SqlPool::Postgres($p) => $body,
            $crate::SqlPool::Sqlite { reader: $p, .. } => $body,
        }
    };
}
