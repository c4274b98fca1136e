//! The event store conformance suite, run against a fresh PostgreSQL database and a fresh
//! SQLite file for every check.

use nanbyo_tests::{fresh_store, open_url, Db};

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
    append_many_appends_to_several_streams,
    append_many_conflict_appends_nothing,
    append_many_rejects_malformed_batches,
    append_many_is_seen_by_subscribers,
    read_streams_in_the_order_asked,
    concurrent_append_many_on_one_stream,
);

/// Checks that need two stores on one database, as two processes of the service.
macro_rules! two_processes {
    ($($check:ident),* $(,)?) => {
        mod two_processes {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $check() {
                    for db in [Db::Postgres, Db::Sqlite] {
                        let (store, url) = fresh_store(db).await;
                        let other = open_url(&url).await;
                        eventstore::conformance::$check(store, other).await;
                    }
                }
            )*
        }
    };
}

two_processes!(append_many_across_processes);
