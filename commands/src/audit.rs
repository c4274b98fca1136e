//! The refused reads of the read audit (`domain::audit::AccessEvent::ReadRefused`): a read of
//! an existing record that the caller may not make is recorded for the auditors of the
//! record's program. The record is appended after the refusal has been answered, so that the
//! answer — status, body and time taken — is the one a record that does not exist gets; a
//! random id is never recorded. [`settled`] waits for the records still being appended
//! (graceful shutdown, tests).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use domain::account::Account;
use domain::audit::{AccessEvent, ACCOUNT_READS, FORM_READS, INSTITUTION_READS};
use domain::form::Actor;
use domain::institution::Institution;
use domain::{Aggregate, Program};
use eventstore::{EventStore, ExpectedVersion, Metadata, NewEvent, StoreError, StreamId};
use tokio::sync::Notify;

/// An existing record a read was refused on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The stream type of the record's read audit (`form_reads`, `account_reads`,
    /// `institution_reads`).
    stream_type: &'static str,
    record: String,
    program: Program,
    patient_key: Option<String>,
}

impl Refused {
    pub(crate) fn form(id: &str, program: Program, patient_key: Option<String>) -> Self {
        Refused {
            stream_type: FORM_READS,
            record: id.to_owned(),
            program,
            patient_key,
        }
    }
}

/// Records still being appended.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
static SETTLED: Notify = Notify::const_new();

/// Counts a record in flight until dropped (also when its task is cancelled).
struct InFlight;

impl InFlight {
    fn start() -> Self {
        IN_FLIGHT.fetch_add(1, Ordering::AcqRel);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if IN_FLIGHT.fetch_sub(1, Ordering::AcqRel) == 1 {
            SETTLED.notify_waiters();
        }
    }
}

/// Waits until every refused read answered so far in this process is recorded (or failed and
/// was logged).
pub async fn settled() {
    loop {
        let notified = SETTLED.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if IN_FLIGHT.load(Ordering::Acquire) == 0 {
            return;
        }
        notified.await;
    }
}

/// Runs `work` after the caller's answer, counted in flight.
fn in_background(work: impl std::future::Future<Output = Result<(), StoreError>> + Send + 'static) {
    let guard = InFlight::start();
    tokio::spawn(async move {
        let _guard = guard;
        if let Err(e) = work.await {
            // The store's messages never hold payloads.
            tracing::error!(error = %e, "a refused read could not be recorded");
        }
    });
}

/// Records that `actor` was refused `what` on `refused`, from `origin`.
pub(crate) fn record(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    refused: Refused,
    what: &str,
    origin: Option<&str>,
) {
    let store = store.clone();
    let event = event(actor, refused, what, origin);
    in_background(async move { append(&store, event).await });
}

fn event(
    actor: &Actor,
    refused: Refused,
    what: &str,
    origin: Option<&str>,
) -> (&'static str, String, AccessEvent, Metadata) {
    let metadata = Metadata::new(actor.account.clone(), actor.role, Some(actor.program));
    (
        refused.stream_type,
        refused.record.clone(),
        AccessEvent::ReadRefused {
            record: refused.record,
            program: refused.program,
            patient_key: refused.patient_key,
            what: what.to_owned(),
            origin: origin.map(|o| o.chars().take(64).collect()),
        },
        metadata,
    )
}

async fn append(
    store: &Arc<dyn EventStore>,
    (stream_type, id, event, metadata): (&'static str, String, AccessEvent, Metadata),
) -> Result<(), StoreError> {
    let stream = StreamId::new(stream_type, &id)?;
    let event = NewEvent::from_domain(&event, metadata).map_err(StoreError::InvalidEvent)?;
    store
        .append(&stream, ExpectedVersion::Any, vec![event], None)
        .await?;
    Ok(())
}

/// A read of form `id` refused before the form was looked at (a role that may not use the
/// route): the form is looked up after the answer and, if it exists, the attempt recorded.
pub fn refused_form_read(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    id: &str,
    what: &str,
    origin: Option<&str>,
) {
    let (store, actor, id, what) = (store.clone(), actor.clone(), id.to_owned(), what.to_owned());
    let origin = origin.map(str::to_owned);
    in_background(async move {
        let refused = match crate::forms::form_record(&store, &id).await {
            Ok(found) => found,
            Err(crate::CommandError::Store(e)) => return Err(e),
            // Not a form id, or a form that cannot be read back: nothing to record.
            Err(_) => None,
        };
        match refused {
            Some(refused) => append(&store, event(&actor, refused, &what, origin.as_deref())).await,
            None => Ok(()),
        }
    });
}

/// A refused read of the history of account `id` (`what`: `account_history`), recorded for the
/// auditors of the account's program if the account exists.
pub fn refused_account_read(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    id: &str,
    what: &str,
    origin: Option<&str>,
) {
    let (store, actor, id, what) = (store.clone(), actor.clone(), id.to_owned(), what.to_owned());
    let origin = origin.map(str::to_owned);
    in_background(async move {
        if StreamId::new(Account::STREAM_TYPE, &id).is_err() {
            return Ok(());
        }
        let account = match crate::load::<Account>(&store, &id).await {
            Ok((account, _)) => account,
            Err(crate::CommandError::Store(e)) => return Err(e),
            Err(_) => return Ok(()),
        };
        let Some(profile) = account.profile else {
            return Ok(());
        };
        let refused = Refused {
            stream_type: ACCOUNT_READS,
            record: id,
            program: profile.program,
            patient_key: None,
        };
        append(&store, event(&actor, refused, &what, origin.as_deref())).await
    });
}

/// A refused read of the history of institution `code` (`what`: `institution_history`),
/// recorded if the institution is registered. An institution belongs to both programs: the
/// attempt is for the auditors of the caller's program, in which the history would have been
/// read.
pub fn refused_institution_read(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    code: &str,
    what: &str,
    origin: Option<&str>,
) {
    let (store, actor, what) = (store.clone(), actor.clone(), what.to_owned());
    let origin = origin.map(str::to_owned);
    let Ok(code) = domain::InstitutionCode::parse(code) else {
        return;
    };
    in_background(async move {
        let institution = match crate::load::<Institution>(&store, code.as_str()).await {
            Ok((institution, _)) => institution,
            Err(crate::CommandError::Store(e)) => return Err(e),
            Err(_) => return Ok(()),
        };
        if institution.code.is_none() {
            return Ok(());
        }
        let refused = Refused {
            stream_type: INSTITUTION_READS,
            record: code.to_string(),
            program: actor.program,
            patient_key: None,
        };
        append(&store, event(&actor, refused, &what, origin.as_deref())).await
    });
}
