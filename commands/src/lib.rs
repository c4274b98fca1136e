//! The write side: load a stream, fold it, decide, append with the expected version. Every
//! command of every aggregate goes through [`execute`], so the rules of the store (atomic
//! append, optimistic concurrency, idempotency) hold for all of them in one place.

pub mod accounts;
pub mod audit;
pub mod credentials;
pub mod forms;
pub mod import_runner;
pub mod imports;
pub mod ingest;
pub mod problem;
pub mod request_keys;
pub mod research;
pub mod secrets;

use std::borrow::Borrow;
use std::sync::Arc;

use domain::{Aggregate, PayloadError};
use eventstore::{
    EventStore, ExpectedVersion, IdempotencyKey, Metadata, NewEvent, StoreError, StreamId,
};

/// Waits (bounded by `timeout`) until projection `view` has applied every event committed now,
/// for a command that looks something up in it. True when it has; a view that is stopped or
/// behind is logged and answers false (the lookup then finds less, never something else).
pub async fn view_caught_up(
    store: &Arc<dyn EventStore>,
    view: &str,
    timeout: std::time::Duration,
) -> Result<bool, StoreError> {
    let head = projections::committed_head(store).await?;
    match projections::wait_for(&store.sql(), view, head, timeout).await {
        Ok(reached) => Ok(reached),
        Err(projections::ProjectionError::Store(e)) => Err(e),
        Err(projections::ProjectionError::Database(e)) => Err(e.into()),
        Err(e) => {
            tracing::warn!(view, error = %e, "view unavailable");
            Ok(false)
        }
    }
}

/// Why a command was not carried out. Nothing was appended in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error + 'static> {
    /// The domain refused the command.
    #[error(transparent)]
    Rejected(E),
    /// The store refused the append (a conflict, a reused idempotency key) or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored event of this stream could not be read back into the aggregate.
    #[error("stored event cannot be read: {0}")]
    Unreadable(PayloadError),
}

/// What a command did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The stream's version after the command.
    pub version: u64,
    /// The global position of the last event appended: a query may wait for its projection to
    /// reach it (read-your-writes).
    pub position: u64,
    /// Events appended (0 when the command changed nothing).
    pub appended: usize,
    /// True when the idempotency key had been used: nothing was decided or appended again and
    /// the first outcome is returned.
    pub duplicate: bool,
}

/// Loads the aggregate of `stream_id`, decides `command` and appends the resulting events.
///
/// `expected` is the version the caller last saw (HTTP `If-Match`): when given, the command is
/// refused with a conflict if the stream moved on, so a user never overwrites a change they did
/// not see. Without it the command is decided on the current state, and a concurrent append
/// between load and append still fails with a conflict rather than being lost.
pub async fn execute<A: Aggregate>(
    store: &Arc<dyn EventStore>,
    stream_id: &str,
    command: &A::Command,
    metadata: Metadata,
    expected: Option<u64>,
    idempotency_key: Option<&IdempotencyKey>,
) -> Result<Outcome, CommandError<A::Error>> {
    execute_with::<A, _, _>(
        store,
        stream_id,
        async |_: &A| Ok(command),
        metadata,
        expected,
        idempotency_key,
    )
    .await
}

/// As [`execute`], for a command that depends on the loaded state (for example the master of
/// the form's own disease): `prepare` builds it from the state, so the stream is read once.
pub async fn execute_with<A, C, F>(
    store: &Arc<dyn EventStore>,
    stream_id: &str,
    prepare: F,
    metadata: Metadata,
    expected: Option<u64>,
    idempotency_key: Option<&IdempotencyKey>,
) -> Result<Outcome, CommandError<A::Error>>
where
    A: Aggregate,
    C: Borrow<A::Command>,
    F: AsyncFnOnce(&A) -> Result<C, CommandError<A::Error>>,
{
    let stream = StreamId::new(A::STREAM_TYPE, stream_id)?;
    // A retry is answered from the first execution, before deciding again: the state has
    // moved on since, and deciding on it could refuse what was already done.
    if let Some(first) = first_outcome(store, &stream, idempotency_key).await? {
        return Ok(first);
    }
    match decide_and_append::<A, C, F>(store, &stream, prepare, metadata, expected, idempotency_key)
        .await
    {
        // The first attempt of this very command may have committed while this retry was
        // loading or deciding: then its refusal or conflict is the retry's own effect.
        Err(e @ (CommandError::Rejected(_) | CommandError::Store(StoreError::Conflict { .. }))) => {
            match first_outcome(store, &stream, idempotency_key).await? {
                Some(first) => Ok(first),
                None => Err(e),
            }
        }
        other => other,
    }
}

/// The outcome of the first execution under `key`, if there was one.
async fn first_outcome<E: std::error::Error + 'static>(
    store: &Arc<dyn EventStore>,
    stream: &StreamId,
    key: Option<&IdempotencyKey>,
) -> Result<Option<Outcome>, CommandError<E>> {
    let Some(key) = key else { return Ok(None) };
    match store.idempotent_result(key).await? {
        None => Ok(None),
        Some((first_stream, _)) if first_stream != *stream => {
            Err(StoreError::IdempotencyKeyReused.into())
        }
        Some((_, first)) => Ok(Some(Outcome {
            version: first.last_version,
            position: first.last_position,
            appended: 0,
            duplicate: true,
        })),
    }
}

async fn decide_and_append<A, C, F>(
    store: &Arc<dyn EventStore>,
    stream: &StreamId,
    prepare: F,
    metadata: Metadata,
    expected: Option<u64>,
    idempotency_key: Option<&IdempotencyKey>,
) -> Result<Outcome, CommandError<A::Error>>
where
    A: Aggregate,
    C: Borrow<A::Command>,
    F: AsyncFnOnce(&A) -> Result<C, CommandError<A::Error>>,
{
    let (state, version, position) = fold_stream::<A>(store, stream).await?;
    let command = prepare(&state).await?;
    // Decide before comparing versions: a stream the actor may not see answers as the domain
    // says (not found), never with its current version.
    let decided = state
        .decide(command.borrow())
        .map_err(CommandError::Rejected)?;
    if let Some(expected) = expected {
        if expected != version {
            return Err(StoreError::Conflict {
                stream: stream.clone(),
                expected: format!("version {expected}"),
                current: version,
            }
            .into());
        }
    }
    if decided.is_empty() {
        return Ok(Outcome {
            version,
            position,
            appended: 0,
            duplicate: false,
        });
    }
    let mut causation = None;
    let new_events = decided
        .iter()
        .map(|e| {
            let mut m = metadata.clone();
            m.causation_id = causation;
            let event = NewEvent::from_domain(e, m)?;
            causation = Some(event.event_id);
            Ok(event)
        })
        .collect::<Result<Vec<_>, PayloadError>>()
        .map_err(|e| CommandError::Store(StoreError::InvalidEvent(e)))?;
    let expected = if version == 0 {
        ExpectedVersion::NoStream
    } else {
        ExpectedVersion::Exact(version)
    };
    let appended = new_events.len();
    let result = store
        .append(stream, expected, new_events, idempotency_key)
        .await?;
    Ok(Outcome {
        version: result.last_version,
        position: result.last_position,
        appended: if result.duplicate { 0 } else { appended },
        duplicate: result.duplicate,
    })
}

/// Loads and folds an aggregate as of now; returns it with its stream version.
pub async fn load<A: Aggregate>(
    store: &Arc<dyn EventStore>,
    stream_id: &str,
) -> Result<(A, u64), CommandError<A::Error>> {
    let stream = StreamId::new(A::STREAM_TYPE, stream_id)?;
    let (state, version, _) = fold_stream::<A>(store, &stream).await?;
    Ok((state, version))
}

/// The aggregate, its version and the global position of its last event.
async fn fold_stream<A: Aggregate>(
    store: &Arc<dyn EventStore>,
    stream: &StreamId,
) -> Result<(A, u64, u64), CommandError<A::Error>> {
    let recorded = store.read_stream(stream, 1).await?;
    let events = recorded
        .iter()
        .map(|e| e.decode::<A::Event>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(CommandError::Unreadable)?;
    let (version, position) = recorded.last().map_or((0, 0), |e| (e.version, e.position));
    Ok((A::fold(&events), version, position))
}
