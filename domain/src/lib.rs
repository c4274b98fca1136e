//! The registry's domain: what a program, a role, a code with a check digit, an event and an
//! aggregate are. Pure: no database, no async runtime, no clock (time comes in as an argument),
//! so everything here is testable in microseconds.

pub mod account;
pub mod aggregate;
pub mod audit;
pub mod catalogue;
pub mod codes;
pub mod disease;
pub mod event;
pub mod form;
pub mod import_job;
pub mod institution;
pub mod judgment;
pub mod master;
pub mod municipality;
pub mod patient;
pub mod program;
pub mod pseudonym;
pub mod research;
pub mod text;

pub use aggregate::Aggregate;
pub use codes::{
    CodeError, InstitutionCode, LocalGovernmentCode, PayerNumber, PrefectureCode, RecipientNumber,
};
pub use event::{DomainEvent, EventCatalog, EventKind, PayloadError};
pub use program::{Program, Role};
