//! Read audit (閲覧記録): every read of a patient's form is an event of its own stream, so a
//! read never moves the form's version (and never conflicts with an edit), and the record of
//! who looked is as append-only as the form itself.

use serde::{Deserialize, Serialize};

use crate::event::{DomainEvent, EventKind};
use crate::program::Program;

/// The stream type of a form's read record; the stream id is the form id.
pub const FORM_READS: &str = "form_reads";

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
        /// What was read: `form`, `form_as_of`, `scan`.
        what: String,
        /// The client address the request came from, when known.
        origin: Option<String>,
    },
}

impl DomainEvent for AccessEvent {
    const KINDS: &'static [EventKind] = &[EventKind::new("FormRead")];
}
