//! Read audit (閲覧記録): every read of a patient's form is an event of its own stream, so a
//! read never moves the form's version (and never conflicts with an edit), and the record of
//! who looked is as append-only as the form itself. So is every read refused on an existing
//! record: the attempts outside one's scope are what an auditor looks for first.

use serde::{Deserialize, Serialize};

use crate::event::{DomainEvent, EventKind};
use crate::program::Program;

/// The stream type of a form's read record; the stream id is the form id.
pub const FORM_READS: &str = "form_reads";
/// The stream type of the refused reads of an account's history; the stream id is the account.
pub const ACCOUNT_READS: &str = "account_reads";
/// The stream type of the refused reads of an institution's history; the stream id is the
/// institution code.
pub const INSTITUTION_READS: &str = "institution_reads";

/// Every stream type of the read audit.
pub const READ_STREAMS: &[&str] = &[FORM_READS, ACCOUNT_READS, INSTITUTION_READS];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum AccessEvent {
    /// A form was read (its state, a past state or its scan). Who and when are the event's
    /// metadata and time.
    FormRead {
        form: String,
        program: Program,
        /// Groups the forms of one patient (a digest of the patient's identity, see
        /// `form::Patient::key`), so an auditor can ask who looked at a patient.
        patient_key: String,
        /// What was read: `form`, `form_as_of`, `judgment`, `history`, `diff`, `scan`.
        what: String,
        /// The client address the request came from, when known.
        origin: Option<String>,
    },
    /// A read of an existing record was refused: the caller asked outside its program,
    /// institution or jurisdiction, or for what its role may not read, and was answered as if
    /// the record did not exist (404) or forbidden (403), as before. Who asked (account, role,
    /// the caller's program) and when are the event's metadata and time; the stream says which
    /// kind of record (`form_reads`, `account_reads`, `institution_reads`).
    ReadRefused {
        /// The record asked for: a form id, an account id or an institution code.
        record: String,
        /// The program of the record: its auditors see the attempt. An institution belongs to
        /// both programs; its history would have been read in the caller's program.
        program: Program,
        /// For a form, its patient's key (who tried to read this patient).
        patient_key: Option<String>,
        /// The route: `form`, `form_as_of`, `judgment`, `history`, `diff`, `scan`,
        /// `patient_history`, `read_audit`, `carry_over`, `account_history`,
        /// `institution_history`.
        what: String,
        /// The client address the request came from, when known.
        origin: Option<String>,
    },
}

impl DomainEvent for AccessEvent {
    const KINDS: &'static [EventKind] =
        &[EventKind::new("FormRead"), EventKind::new("ReadRefused")];
}
