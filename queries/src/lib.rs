//! The read side's front door: every query of the JSON API and of the web client, with who may
//! ask it, over the projections. Both front ends call these functions and only render what
//! they return; what a caller may see is decided here, once (commands decide what a caller may
//! do). A refusal is a [`Problem`], as for a command.

pub mod accounts;
pub mod forms;
pub mod history;
pub mod imports;
pub mod masters;

use std::sync::Arc;
use std::time::Duration;

use commands::problem::{status, Problem};
use eventstore::EventStore;

/// How long a query waits for a view to reach what was committed (read-your-writes).
pub const CATCH_UP: Duration = Duration::from_secs(5);

/// Waits (at most [`CATCH_UP`]) until projection `view` has applied everything committed up
/// to `position`, or up to now when it is `None`: an answer that silently misses the latest
/// change would mislead. A view that does not get there is 503 `view_behind`.
pub async fn caught_up(
    store: &Arc<dyn EventStore>,
    view: &str,
    position: Option<u64>,
) -> Result<(), Problem> {
    let position = match position {
        Some(p) => p,
        None => projections::committed_head(store).await?,
    };
    let reached = projections::wait_for(&store.sql(), view, position, CATCH_UP)
        .await
        .map_err(|e| {
            tracing::warn!(view, error = %e, "a view cannot be read");
            Problem::database_unavailable()
        })?;
    if reached {
        Ok(())
    } else {
        Err(Problem::new(
            status::SERVICE_UNAVAILABLE,
            "view_behind",
            "集計が追いついていません。しばらくしてから再度お試しください。",
            format!("The {view} view has not caught up yet; try again shortly."),
        ))
    }
}

/// A database fault while reading a view: logged, told as "unavailable".
pub fn unavailable(what: &'static str) -> impl Fn(sqlx::Error) -> Problem {
    move |e| {
        tracing::warn!(error = %e, what, "a query failed");
        Problem::database_unavailable()
    }
}

/// 400 `invalid_query` with both messages.
pub fn invalid(ja: &str, en: impl Into<String>) -> Problem {
    Problem::new(status::BAD_REQUEST, "invalid_query", ja, en)
}
