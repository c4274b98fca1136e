//! The read side: projections that follow the event store by global position and build the
//! views that queries read (the account directory, the read audit; search, history and
//! research extracts follow). A projection's rows and its checkpoint change in one
//! transaction, so a crash never applies an event twice or skips one; any projection can be
//! rebuilt by replaying the store from position 0.

pub mod directory;
pub mod reads;
mod runner;

pub use runner::{
    checkpoint, committed_head, run, wait_for, Checkpoint, Projection, ProjectionError, Tx,
};

/// Runs an SQL statement (same text on both backends, `$1` placeholders) inside a projection's
/// transaction and returns the number of rows it changed.
#[macro_export]
macro_rules! exec {
    ($tx:expr, $sql:expr $(, $arg:expr)* $(,)?) => {
        match $tx {
            $crate::Tx::Postgres(c) => sqlx::query($sql)$(.bind($arg))*.execute(&mut **c).await.map(|r| r.rows_affected()),
            $crate::Tx::Sqlite(c) => sqlx::query($sql)$(.bind($arg))*.execute(&mut **c).await.map(|r| r.rows_affected()),
        }
    };
}

/// Milliseconds since the Unix epoch: how the read models store times on both backends.
pub fn millis(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}
