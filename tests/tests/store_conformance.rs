//! The event store conformance suite, run against a fresh PostgreSQL database and a fresh
//! SQLite file for every check.

use nanbyo_tests::{fresh_store, Db};

macro_rules! conformance {
    ($($check:ident),* $(,)?) => {
        mod postgres {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $check() {
                    let (store, _) = fresh_store(Db::Postgres).await;
                    eventstore::conformance::$check(store).await;
                }
            )*
        }
        mod sqlite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $check() {
                    let (store, _) = fresh_store(Db::Sqlite).await;
                    eventstore::conformance::$check(store).await;
                }
            )*
        }
    };
}

conformance!(
    append_then_read_stream,
    expected_version_is_enforced,
    invalid_events_append_nothing,
    read_all_in_global_order,
    idempotency_key_appends_once,
    many_concurrent_appends_complete,
    concurrent_writers_never_overwrite,
    subscription_catches_up_then_follows,
    verify_counts_intact_chains,
    scans_are_stored_once_by_content,
);
