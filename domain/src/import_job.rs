//! Bulk imports (一括取込, SPEC 4, 7 and 10): a file of forms from an in-hospital system, of
//! forms prepared by an outsourced contractor, or of certification results from the
//! municipality's certification office system. An import job is a stream of its own: the file
//! received (name, size, SHA-256, who, which use), its rows validated, its rows applied batch
//! by batch — each batch appended in the same transaction as the forms it changed, so a job
//! resumed after a crash carries on from its last applied row — and finished (or failed, when
//! the file itself cannot be read).
//!
//! Row results name a row, the form it touched and, for a rejected row, its errors (column,
//! code, message in Japanese and English). They never quote a cell: files carry personal data.

use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::event::{DomainEvent, EventKind};
use crate::form::Actor;
use crate::program::{Program, Role};

/// The stream type of import jobs.
pub const STREAM_TYPE: &str = "import_job";

/// What a file is imported for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportUse {
    /// Forms from an institution's in-hospital system (a designated doctor or a clerk of the
    /// institution): drafts, which the doctor still submits.
    Hospital,
    /// Forms prepared by an outsourced contractor (operator), for any institution.
    Contractor,
    /// Certification results (審査結果) from the municipality's certification office system
    /// (municipality staff, own jurisdiction).
    Certification,
    /// Old-version forms the municipality received on paper, reviewed and transcribed
    /// (旧様式の紙の臨個票のファイルアップロード): each row is registered as a paper form of the
    /// previous form version, received at once (municipality staff, own jurisdiction).
    Paper,
}

impl ImportUse {
    pub const ALL: [ImportUse; 4] = [
        ImportUse::Hospital,
        ImportUse::Contractor,
        ImportUse::Certification,
        ImportUse::Paper,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ImportUse::Hospital => "hospital",
            ImportUse::Contractor => "contractor",
            ImportUse::Certification => "certification",
            ImportUse::Paper => "paper",
        }
    }

    pub fn parse(s: &str) -> Option<ImportUse> {
        ImportUse::ALL.into_iter().find(|u| u.as_str() == s)
    }

    /// The role that may run an import of this use.
    pub fn role(self) -> Role {
        match self {
            ImportUse::Hospital => Role::DesignatedDoctor,
            ImportUse::Contractor => Role::Operator,
            ImportUse::Certification | ImportUse::Paper => Role::MunicipalityStaff,
        }
    }

    /// Whether `role` may run an import of this use (a clerk imports for the institution too).
    pub fn allows(self, role: Role) -> bool {
        role == self.role() || (self == ImportUse::Hospital && role == Role::Clerk)
    }
}

impl std::fmt::Display for ImportUse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowOutcome {
    /// The row's events were appended.
    Applied,
    /// The row asks for what is already recorded (a file uploaded again): nothing appended.
    Unchanged,
    /// The row was not applied; `errors` says why.
    Rejected,
}

impl RowOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RowOutcome::Applied => "applied",
            RowOutcome::Unchanged => "unchanged",
            RowOutcome::Rejected => "rejected",
        }
    }
}

/// One reason a row was rejected. `column` is the header of the cell at fault, when one is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowIssue {
    pub column: Option<String>,
    pub code: String,
    pub message_ja: String,
    pub message_en: String,
}

/// The result of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowResult {
    /// The row number as the user sees it (the header is row 1; a JSON Lines file counts
    /// lines).
    pub row: u64,
    pub outcome: RowOutcome,
    /// The form the row created, updated or decided (or would have).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
    /// What was done: `created`, `updated`, `received_and_reviewed`, `reviewed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<RowIssue>,
}

/// A file-level failure: the file could not be read, or its header does not fit the use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileFailure {
    pub code: String,
    pub message_ja: String,
    pub message_en: String,
}

/// The uploaded file, as received. The content is kept by its SHA-256 outside the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedFile {
    /// As the uploader named it. It may contain personal data (a patient's name): shown to
    /// the uploader and auditors only, never logged and never on the bus.
    pub name: String,
    pub size: u64,
    pub sha256: String,
    /// `csv_utf8`, `csv_utf8_bom`, `csv_shift_jis`, `xlsx` or `jsonl`, as detected; `null`
    /// when the format was not recognised (the job then fails).
    pub format: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ImportEvent {
    ImportFileReceived {
        #[serde(rename = "use")]
        use_: ImportUse,
        program: Program,
        file: ReceivedFile,
        /// The contractor (委託業者) that prepared the forms (contractor imports).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        contractor: Option<String>,
    },
    /// Every row was read and checked against the master and the uploader's permissions.
    ImportRowsValidated {
        total: u64,
        valid: u64,
        rejected: u64,
    },
    /// One batch: the results of the rows after the previous batch up to `through_row`,
    /// appended in the same transaction as the events of its applied rows.
    ImportRowsApplied {
        through_row: u64,
        results: Vec<RowResult>,
    },
    ImportFinished {
        total: u64,
        applied: u64,
        unchanged: u64,
        rejected: u64,
    },
    ImportFailed {
        failure: FileFailure,
    },
}

impl DomainEvent for ImportEvent {
    const KINDS: &'static [EventKind] = &[
        EventKind::new("ImportFileReceived"),
        EventKind::new("ImportRowsValidated"),
        EventKind::new("ImportRowsApplied"),
        EventKind::new("ImportFinished"),
        EventKind::new("ImportFailed"),
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Received; its rows are being validated.
    Received,
    /// Validated; its rows are being applied.
    Applying,
    Finished,
    Failed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Received => "received",
            JobStatus::Applying => "applying",
            JobStatus::Finished => "finished",
            JobStatus::Failed => "failed",
        }
    }

    pub fn is_done(self) -> bool {
        matches!(self, JobStatus::Finished | JobStatus::Failed)
    }
}

/// An import job.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportJob {
    pub status: Option<JobStatus>,
    pub use_: Option<ImportUse>,
    pub program: Option<Program>,
    /// The uploader: the job acts on their behalf and in their scope.
    pub by: String,
    pub file: Option<ReceivedFile>,
    pub contractor: Option<String>,
    /// Rows counted by the validation (data rows; blank rows are not rows).
    pub total: u64,
    /// The last row number whose result is recorded.
    pub through_row: u64,
    pub done: u64,
    pub applied: u64,
    pub unchanged: u64,
    pub rejected: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ImportCommand {
    Receive {
        actor: Actor,
        use_: ImportUse,
        file: ReceivedFile,
        contractor: Option<String>,
    },
    Validated {
        total: u64,
        valid: u64,
        rejected: u64,
    },
    Apply {
        through_row: u64,
        results: Vec<RowResult>,
    },
    Finish,
    Fail {
        failure: FileFailure,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("not permitted: {0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    Invalid(&'static str),
    #[error("no such import job")]
    NotFound,
    #[error("the import job is {0:?}")]
    WrongStatus(JobStatus),
}

/// Rows per batch: one read of their forms and one append (with the job's results).
pub const BATCH_ROWS: usize = 1000;

/// Most errors one row records: a malformed line could otherwise fill an event with thousands.
pub const MAX_ISSUES_PER_ROW: usize = 20;

/// Most characters of a contractor's name and of a file name.
pub const MAX_NAME_CHARS: usize = 200;

impl Aggregate for ImportJob {
    const STREAM_TYPE: &'static str = STREAM_TYPE;
    type Event = ImportEvent;
    type Command = ImportCommand;
    type Error = ImportError;

    fn decide(&self, command: &ImportCommand) -> Result<Vec<ImportEvent>, ImportError> {
        let status = match (command, self.status) {
            (ImportCommand::Receive { .. }, None) => None,
            (ImportCommand::Receive { .. }, Some(_)) => {
                return Err(ImportError::Invalid("the import job already exists"))
            }
            (_, None) => return Err(ImportError::NotFound),
            (_, Some(s)) if s.is_done() => return Err(ImportError::WrongStatus(s)),
            (_, Some(s)) => Some(s),
        };
        match command {
            ImportCommand::Receive {
                actor,
                use_,
                file,
                contractor,
            } => {
                if !use_.allows(actor.role) {
                    return Err(ImportError::Forbidden(
                        "this role may not run an import of this use",
                    ));
                }
                match (use_, contractor.as_deref().map(str::trim)) {
                    (ImportUse::Contractor, None | Some("")) => {
                        return Err(ImportError::Invalid(
                            "a contractor import names the contractor",
                        ))
                    }
                    (ImportUse::Contractor, Some(name))
                        if name.chars().count() > MAX_NAME_CHARS =>
                    {
                        return Err(ImportError::Invalid("the contractor's name is too long"))
                    }
                    (ImportUse::Contractor, _) => {}
                    (_, Some(_)) => {
                        return Err(ImportError::Invalid(
                            "only a contractor import names a contractor",
                        ))
                    }
                    (_, None) => {}
                }
                let hex = file.sha256.len() == 64
                    && file
                        .sha256
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
                if !hex {
                    return Err(ImportError::Invalid("the file digest is not a SHA-256"));
                }
                if file.name.chars().count() > MAX_NAME_CHARS {
                    return Err(ImportError::Invalid("the file name is too long"));
                }
                Ok(vec![ImportEvent::ImportFileReceived {
                    use_: *use_,
                    program: actor.program,
                    file: file.clone(),
                    contractor: contractor.as_ref().map(|c| c.trim().to_owned()),
                }])
            }
            ImportCommand::Validated {
                total,
                valid,
                rejected,
            } => {
                if status != Some(JobStatus::Received) {
                    return Err(ImportError::WrongStatus(
                        status.unwrap_or(JobStatus::Received),
                    ));
                }
                if valid + rejected != *total {
                    return Err(ImportError::Invalid(
                        "valid and rejected rows must add up to the total",
                    ));
                }
                Ok(vec![ImportEvent::ImportRowsValidated {
                    total: *total,
                    valid: *valid,
                    rejected: *rejected,
                }])
            }
            ImportCommand::Apply {
                through_row,
                results,
            } => {
                if status != Some(JobStatus::Applying) {
                    return Err(ImportError::WrongStatus(
                        status.unwrap_or(JobStatus::Received),
                    ));
                }
                // Rows in increasing order after the last recorded one, none beyond
                // `through_row`: a batch applied twice is refused, never recorded twice.
                let mut last = self.through_row;
                for r in results {
                    if r.row <= last || r.row > *through_row {
                        return Err(ImportError::Invalid(
                            "row results must follow the last recorded row, in order",
                        ));
                    }
                    last = r.row;
                }
                if *through_row <= self.through_row {
                    return Err(ImportError::Invalid("the batch is already recorded"));
                }
                if self.done + results.len() as u64 > self.total {
                    return Err(ImportError::Invalid(
                        "more rows than the file was validated with",
                    ));
                }
                Ok(vec![ImportEvent::ImportRowsApplied {
                    through_row: *through_row,
                    results: results.clone(),
                }])
            }
            ImportCommand::Finish => {
                if status != Some(JobStatus::Applying) || self.done != self.total {
                    return Err(ImportError::Invalid(
                        "a job finishes once every validated row has a result",
                    ));
                }
                Ok(vec![ImportEvent::ImportFinished {
                    total: self.total,
                    applied: self.applied,
                    unchanged: self.unchanged,
                    rejected: self.rejected,
                }])
            }
            ImportCommand::Fail { failure } => Ok(vec![ImportEvent::ImportFailed {
                failure: failure.clone(),
            }]),
        }
    }

    fn apply(mut self, event: &ImportEvent) -> Self {
        match event {
            ImportEvent::ImportFileReceived {
                use_,
                program,
                file,
                contractor,
            } => {
                self.status = Some(JobStatus::Received);
                self.use_ = Some(*use_);
                self.program = Some(*program);
                self.file = Some(file.clone());
                self.contractor = contractor.clone();
            }
            ImportEvent::ImportRowsValidated { total, .. } => {
                self.status = Some(JobStatus::Applying);
                self.total = *total;
            }
            ImportEvent::ImportRowsApplied {
                through_row,
                results,
            } => {
                self.through_row = *through_row;
                self.done += results.len() as u64;
                for r in results {
                    match r.outcome {
                        RowOutcome::Applied => self.applied += 1,
                        RowOutcome::Unchanged => self.unchanged += 1,
                        RowOutcome::Rejected => self.rejected += 1,
                    }
                }
            }
            ImportEvent::ImportFinished { .. } => self.status = Some(JobStatus::Finished),
            ImportEvent::ImportFailed { .. } => self.status = Some(JobStatus::Failed),
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::Program;

    fn actor(role: Role) -> Actor {
        Actor {
            account: "acct-1".into(),
            role,
            program: Program::Nanbyo,
            institutions: vec![],
            jurisdiction: None,
            designation: None,
            responsible_for: None,
        }
    }

    fn file() -> ReceivedFile {
        ReceivedFile {
            name: "forms.csv".into(),
            size: 10,
            sha256: "a".repeat(64),
            format: Some("csv_utf8".into()),
        }
    }

    fn fold(events: &[ImportEvent]) -> ImportJob {
        events
            .iter()
            .fold(ImportJob::default(), |job, e| job.apply(e))
    }

    fn received(
        use_: ImportUse,
        role: Role,
        contractor: Option<&str>,
    ) -> Result<ImportJob, ImportError> {
        let events = ImportJob::default().decide(&ImportCommand::Receive {
            actor: actor(role),
            use_,
            file: file(),
            contractor: contractor.map(str::to_owned),
        })?;
        Ok(fold(&events))
    }

    fn row(row: u64, outcome: RowOutcome) -> RowResult {
        RowResult {
            row,
            outcome,
            form: None,
            action: None,
            errors: vec![],
        }
    }

    #[test]
    fn each_use_is_run_by_its_role_only() {
        assert!(received(ImportUse::Hospital, Role::DesignatedDoctor, None).is_ok());
        assert!(received(ImportUse::Hospital, Role::Clerk, None).is_ok());
        assert!(received(ImportUse::Contractor, Role::Operator, Some("株式会社入力")).is_ok());
        assert!(received(ImportUse::Certification, Role::MunicipalityStaff, None).is_ok());
        for (use_, role) in [
            (ImportUse::Hospital, Role::MunicipalityStaff),
            (ImportUse::Contractor, Role::DesignatedDoctor),
            (ImportUse::Certification, Role::MunicipalityAdmin),
            (ImportUse::Certification, Role::Auditor),
        ] {
            let contractor = (use_ == ImportUse::Contractor).then_some("X");
            assert!(
                matches!(
                    received(use_, role, contractor),
                    Err(ImportError::Forbidden(_))
                ),
                "{use_} by {role:?}"
            );
        }
    }

    #[test]
    fn a_contractor_import_names_its_contractor_and_no_other_does() {
        assert!(received(ImportUse::Contractor, Role::Operator, None).is_err());
        assert!(received(ImportUse::Contractor, Role::Operator, Some("  ")).is_err());
        assert!(received(ImportUse::Hospital, Role::Clerk, Some("X")).is_err());
    }

    #[test]
    fn batches_follow_each_other_and_the_job_finishes_when_every_row_has_a_result() {
        let job = received(ImportUse::Hospital, Role::Clerk, None).expect("received");
        let validated = job
            .decide(&ImportCommand::Validated {
                total: 3,
                valid: 2,
                rejected: 1,
            })
            .expect("validated");
        let job = validated.iter().fold(job, |j, e| j.apply(e));
        assert!(job.decide(&ImportCommand::Finish).is_err(), "no result yet");
        let batch = ImportCommand::Apply {
            through_row: 3,
            results: vec![row(2, RowOutcome::Applied), row(3, RowOutcome::Rejected)],
        };
        let job = job
            .decide(&batch)
            .expect("first batch")
            .iter()
            .fold(job.clone(), |j, e| j.apply(e));
        assert_eq!((job.through_row, job.applied, job.rejected), (3, 1, 1));
        assert!(job.decide(&batch).is_err(), "the same batch twice");
        let job = job
            .decide(&ImportCommand::Apply {
                through_row: 5,
                results: vec![row(5, RowOutcome::Unchanged)],
            })
            .expect("second batch")
            .iter()
            .fold(job.clone(), |j, e| j.apply(e));
        let finished = job.decide(&ImportCommand::Finish).expect("finish");
        assert_eq!(
            finished,
            vec![ImportEvent::ImportFinished {
                total: 3,
                applied: 1,
                unchanged: 1,
                rejected: 1
            }]
        );
        let job = finished.iter().fold(job, |j, e| j.apply(e));
        assert!(matches!(
            job.decide(&ImportCommand::Finish),
            Err(ImportError::WrongStatus(JobStatus::Finished))
        ));
    }

    #[test]
    fn results_out_of_order_or_beyond_the_batch_are_refused() {
        let job = fold(&[
            ImportEvent::ImportFileReceived {
                use_: ImportUse::Hospital,
                program: Program::Nanbyo,
                file: file(),
                contractor: None,
            },
            ImportEvent::ImportRowsValidated {
                total: 5,
                valid: 5,
                rejected: 0,
            },
        ])
        .apply(&ImportEvent::ImportRowsApplied {
            through_row: 1,
            results: vec![],
        });
        for results in [
            vec![row(3, RowOutcome::Applied), row(2, RowOutcome::Applied)],
            vec![row(1, RowOutcome::Applied)],
            vec![row(9, RowOutcome::Applied)],
        ] {
            assert!(job
                .decide(&ImportCommand::Apply {
                    through_row: 4,
                    results
                })
                .is_err());
        }
    }
}
