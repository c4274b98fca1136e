//! The patient's record (患者の記録): one stream per patient and program, whose id is the
//! patient key of [`Patient::key`](crate::form::Patient::key). It holds what the registry learns
//! about the patient apart from any one form: the 履歴照会・回答 linkage (an inquiry to the
//! national history inquiry / response system and its answer). No event here carries identity
//! data: the inquiry's content is read from the form that caused it when it is sent.

use serde::{Deserialize, Serialize};

use crate::event::{DomainEvent, EventKind};
use crate::program::Program;

/// The stream type of a patient's record; the stream id is `Patient::key(program)`.
pub const PATIENT: &str = "patient";

/// Why an inquiry was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InquiryCause {
    /// The patient's identity and insurance data were recorded for the first time.
    FirstRecorded,
    /// A later form gave other identity or insurance data (a new insurer, a new number).
    IdentityChanged,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum PatientEvent {
    /// An inquiry (履歴照会) was decided. `form` is the form whose patient data it sends;
    /// `identity_digest` is a keyed digest (HMAC under the pseudonym key) of the identity and
    /// insurance data it sends, so a later form with the same data asks nothing again, and the
    /// digest cannot be recomputed from the data without the key.
    LinkageInquired {
        request_id: String,
        program: Program,
        form: String,
        cause: InquiryCause,
        identity_digest: String,
    },
    /// The history inquiry / response system answered with its pseudonymous linkage id.
    LinkageIdAssigned {
        request_id: String,
        linkage_id: String,
    },
    /// The history inquiry / response system knows no such patient (or refused the inquiry).
    LinkageNotFound { request_id: String, reason: String },
}

impl DomainEvent for PatientEvent {
    const KINDS: &'static [EventKind] = &[
        EventKind::new("LinkageInquired"),
        EventKind::new("LinkageIdAssigned"),
        EventKind::new("LinkageNotFound"),
    ];
}

/// What the linkage knows of a patient, folded from the record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatientRecord {
    /// The identity digest of the latest inquiry.
    pub identity_digest: Option<String>,
    /// Request ids that have an answer.
    pub answered: Vec<String>,
    /// The latest linkage id assigned.
    pub linkage_id: Option<String>,
}

impl PatientRecord {
    pub fn apply(mut self, event: &PatientEvent) -> Self {
        match event {
            PatientEvent::LinkageInquired {
                identity_digest, ..
            } => self.identity_digest = Some(identity_digest.clone()),
            PatientEvent::LinkageIdAssigned {
                request_id,
                linkage_id,
            } => {
                self.answered.push(request_id.clone());
                self.linkage_id = Some(linkage_id.clone());
            }
            PatientEvent::LinkageNotFound { request_id, .. } => {
                self.answered.push(request_id.clone())
            }
        }
        self
    }

    /// Whether data with `digest` needs an inquiry, and why.
    pub fn inquiry_needed(&self, digest: &str) -> Option<InquiryCause> {
        match &self.identity_digest {
            None => Some(InquiryCause::FirstRecorded),
            Some(d) if d != digest => Some(InquiryCause::IdentityChanged),
            Some(_) => None,
        }
    }

    /// A late or repeated answer changes nothing.
    pub fn is_answered(&self, request_id: &str) -> bool {
        self.answered.iter().any(|r| r == request_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inquired(digest: &str) -> PatientEvent {
        PatientEvent::LinkageInquired {
            request_id: "r1".into(),
            program: Program::Nanbyo,
            form: "f1".into(),
            cause: InquiryCause::FirstRecorded,
            identity_digest: digest.into(),
        }
    }

    #[test]
    fn a_new_patient_is_asked_about_once_and_again_only_when_the_data_change() {
        let record = PatientRecord::default();
        assert_eq!(
            record.inquiry_needed("a"),
            Some(InquiryCause::FirstRecorded)
        );
        let record = record.apply(&inquired("a"));
        assert_eq!(record.inquiry_needed("a"), None);
        assert_eq!(
            record.inquiry_needed("b"),
            Some(InquiryCause::IdentityChanged)
        );
    }

    #[test]
    fn an_answer_marks_its_request_answered() {
        let record = PatientRecord::default().apply(&inquired("a"));
        assert!(!record.is_answered("r1"));
        let record = record.apply(&PatientEvent::LinkageIdAssigned {
            request_id: "r1".into(),
            linkage_id: "L1".into(),
        });
        assert!(record.is_answered("r1"));
        assert_eq!(record.linkage_id.as_deref(), Some("L1"));
    }
}
