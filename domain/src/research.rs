//! Research extraction (研究利用データの抽出, SPEC 12): who may ask for an extract, what a valid
//! request is, and the event that records each extract (who — in the metadata —, why, under
//! which approval, with which filter, how many rows and the SHA-256 of every file written).
//! The event never carries personal data: it describes the extract, not its rows.

use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::event::{DomainEvent, EventKind};
use crate::form::Actor;
use crate::program::{Program, Role};

/// Most diseases one request may name.
pub const MAX_DISEASES: usize = 100;
/// Most characters of the purpose (研究目的) and of the approval reference (承認番号).
pub const MAX_PURPOSE_CHARS: usize = 500;
pub const MAX_APPROVAL_CHARS: usize = 100;
/// The earliest form date a period may name: the 小慢 part of the online system went live on
/// 2023-10-01 and nothing was registered before; an earlier date is a typo, not a filter.
pub const EARLIEST_FORM_DATE: &str = "2023-10-01";

/// Which forms an extract takes. Empty `diseases` means every disease of the program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractFilter {
    pub diseases: Vec<String>,
    /// First and last form date (`YYYY-MM-DD`, Japan), inclusive; the form date is the day
    /// the form was drafted (for a paper form, the day it was registered).
    pub from: Option<String>,
    pub to: Option<String>,
    /// Only forms whose review result is `certified` (認定).
    pub certified_only: bool,
}

/// What an operator asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractRequest {
    pub program: Program,
    /// Why (研究目的): shown to auditors; free text written by the operator.
    pub purpose: String,
    /// The ethics / data-use approval the extract is made under (承認番号).
    pub approval: String,
    pub filter: ExtractFilter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    Csv,
    Parquet,
}

impl FileFormat {
    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Parquet => "parquet",
        }
    }
}

/// One file of an extract, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractFile {
    pub format: FileFormat,
    /// Lower-case hexadecimal SHA-256 of the whole file.
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ResearchEvent {
    /// An extract was written. The account that asked is the event's metadata actor.
    ResearchExtractRecorded {
        program: Program,
        purpose: String,
        approval: String,
        filter: ExtractFilter,
        rows: u64,
        /// The event-store position the read model had reached when the extract was read:
        /// the extract reflects every event up to it.
        as_of_position: u64,
        files: Vec<ExtractFile>,
    },
}

impl DomainEvent for ResearchEvent {
    const KINDS: &'static [EventKind] = &[EventKind::new("ResearchExtractRecorded")];
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResearchError {
    #[error("not permitted: {0}")]
    Forbidden(&'static str),
    #[error("the purpose of the extract is required (at most {MAX_PURPOSE_CHARS} characters)")]
    PurposeRequired,
    #[error("the approval reference is required (at most {MAX_APPROVAL_CHARS} characters)")]
    ApprovalRequired,
    #[error("the period is not valid: {0}")]
    InvalidPeriod(&'static str),
    #[error("at most {MAX_DISEASES} diseases, each named once")]
    TooManyDiseases,
    #[error("disease {0} is not in the program's master")]
    UnknownDisease(String),
    #[error("this extract is already recorded")]
    AlreadyRecorded,
}

/// Only the program's operator extracts research data.
pub fn authorize(actor: &Actor, program: Program) -> Result<(), ResearchError> {
    if actor.role != Role::Operator {
        return Err(ResearchError::Forbidden(
            "research extraction is for the operator of the program",
        ));
    }
    if actor.program != program {
        return Err(ResearchError::Forbidden(
            "research extraction is for the operator of the program; this account is of the other program",
        ));
    }
    Ok(())
}

fn text_ok(s: &str, max: usize) -> bool {
    let t = s.trim();
    !t.is_empty() && t == s && s.chars().count() <= max && !s.chars().any(char::is_control)
}

impl ExtractRequest {
    /// Checks what can be checked without the master: purpose, approval, period, the disease
    /// list's shape. `is_disease` says whether a code is a disease of the program's master.
    pub fn validate(&self, is_disease: impl Fn(&str) -> bool) -> Result<(), ResearchError> {
        if !text_ok(&self.purpose, MAX_PURPOSE_CHARS) {
            return Err(ResearchError::PurposeRequired);
        }
        if !text_ok(&self.approval, MAX_APPROVAL_CHARS) {
            return Err(ResearchError::ApprovalRequired);
        }
        let f = &self.filter;
        for d in [&f.from, &f.to].into_iter().flatten() {
            if !crate::judgment::valid_date(d) {
                return Err(ResearchError::InvalidPeriod("dates are YYYY-MM-DD"));
            }
            if d.as_str() < EARLIEST_FORM_DATE {
                return Err(ResearchError::InvalidPeriod(
                    "no form is dated before 2023-10-01, when the online system started",
                ));
            }
        }
        if let (Some(from), Some(to)) = (&f.from, &f.to) {
            if from > to {
                return Err(ResearchError::InvalidPeriod("from is after to"));
            }
        }
        if f.diseases.len() > MAX_DISEASES {
            return Err(ResearchError::TooManyDiseases);
        }
        for (i, d) in f.diseases.iter().enumerate() {
            if f.diseases[..i].contains(d) {
                return Err(ResearchError::TooManyDiseases);
            }
            if !is_disease(d) {
                return Err(ResearchError::UnknownDisease(d.chars().take(40).collect()));
            }
        }
        Ok(())
    }
}

/// One extract: a stream of one event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResearchExtract {
    pub recorded: Option<ResearchEvent>,
}

/// Records a finished extract.
#[derive(Debug, Clone)]
pub struct RecordExtract {
    pub actor: Actor,
    pub request: ExtractRequest,
    pub rows: u64,
    pub as_of_position: u64,
    pub files: Vec<ExtractFile>,
}

impl Aggregate for ResearchExtract {
    const STREAM_TYPE: &'static str = "research_extract";
    type Event = ResearchEvent;
    type Command = RecordExtract;
    type Error = ResearchError;

    fn decide(&self, c: &RecordExtract) -> Result<Vec<ResearchEvent>, ResearchError> {
        authorize(&c.actor, c.request.program)?;
        // The diseases were checked against the master before the extract was read.
        c.request.validate(|_| true)?;
        if self.recorded.is_some() {
            return Err(ResearchError::AlreadyRecorded);
        }
        Ok(vec![ResearchEvent::ResearchExtractRecorded {
            program: c.request.program,
            purpose: c.request.purpose.clone(),
            approval: c.request.approval.clone(),
            filter: c.request.filter.clone(),
            rows: c.rows,
            as_of_position: c.as_of_position,
            files: c.files.clone(),
        }])
    }

    fn apply(mut self, event: &ResearchEvent) -> Self {
        self.recorded = Some(event.clone());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, program: Program) -> Actor {
        Actor {
            account: "a".into(),
            role,
            program,
            institutions: vec![],
            jurisdiction: None,
            designation: None,
            responsible_for: None,
        }
    }

    fn request() -> ExtractRequest {
        ExtractRequest {
            program: Program::Nanbyo,
            purpose: "パーキンソン病の重症度分布".into(),
            approval: "IRB-2026-001".into(),
            filter: ExtractFilter {
                diseases: vec!["6".into()],
                from: Some("2024-04-01".into()),
                to: Some("2025-03-31".into()),
                certified_only: true,
            },
        }
    }

    fn record(role: Role, program: Program, request: ExtractRequest) -> RecordExtract {
        RecordExtract {
            actor: actor(role, program),
            request,
            rows: 3,
            as_of_position: 10,
            files: vec![ExtractFile {
                format: FileFormat::Csv,
                sha256: "0".repeat(64),
                bytes: 1,
            }],
        }
    }

    #[test]
    fn the_programs_operator_records_an_extract_once() {
        let c = record(Role::Operator, Program::Nanbyo, request());
        let events = ResearchExtract::default().decide(&c).expect("recorded");
        assert!(matches!(
            &events[..],
            [ResearchEvent::ResearchExtractRecorded { rows: 3, .. }]
        ));
        let done = ResearchExtract::fold(&events);
        assert_eq!(done.decide(&c), Err(ResearchError::AlreadyRecorded));
    }

    #[test]
    fn everyone_else_is_refused() {
        for role in [
            Role::DesignatedDoctor,
            Role::Clerk,
            Role::ResponsiblePerson,
            Role::MunicipalityAdmin,
            Role::MunicipalityStaff,
            Role::Auditor,
        ] {
            let c = record(role, Program::Nanbyo, request());
            assert!(matches!(
                ResearchExtract::default().decide(&c),
                Err(ResearchError::Forbidden(_))
            ));
        }
        let other_program = record(Role::Operator, Program::Shoman, request());
        assert!(matches!(
            ResearchExtract::default().decide(&other_program),
            Err(ResearchError::Forbidden(_))
        ));
    }

    #[test]
    fn bad_requests_are_refused_with_their_reason() {
        let known = |d: &str| d == "6";
        let with = |f: fn(&mut ExtractRequest)| {
            let mut r = request();
            f(&mut r);
            r.validate(known)
        };
        assert_eq!(with(|_| {}), Ok(()));
        assert_eq!(
            with(|r| r.purpose = "  ".into()),
            Err(ResearchError::PurposeRequired)
        );
        assert_eq!(
            with(|r| r.approval = String::new()),
            Err(ResearchError::ApprovalRequired)
        );
        assert!(matches!(
            with(|r| r.filter.from = Some("2025-04-01".into())),
            Err(ResearchError::InvalidPeriod(_))
        ));
        assert!(matches!(
            with(|r| r.filter.to = Some("2024-02-30".into())),
            Err(ResearchError::InvalidPeriod(_))
        ));
        assert!(matches!(
            with(|r| r.filter.from = Some("1999-01-01".into())),
            Err(ResearchError::InvalidPeriod(_))
        ));
        assert_eq!(
            with(|r| r.filter.diseases = vec!["999".into()]),
            Err(ResearchError::UnknownDisease("999".into()))
        );
        assert_eq!(
            with(|r| r.filter.diseases = vec!["6".into(), "6".into()]),
            Err(ResearchError::TooManyDiseases)
        );
    }
}
