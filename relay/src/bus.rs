//! What an event looks like on the bus: the envelope, one payload type per event type, the
//! subject it goes to, and the redaction that turns a stored event into it. Redaction is one
//! explicit rule per event type (an exhaustive `match` on each aggregate's enum), so a new
//! event type does not compile into the relay until someone decides what of it may leave.
//!
//! Rules (see docs/relay.md):
//! - patients: no name, kana, birth date, sex, address, municipality, insurer or insured number,
//!   recipient number; the patient appears only as the keyed pseudonym
//!   (`domain::pseudonym`), never as the unkeyed patient key (it can be brute-forced);
//! - アクセスキー: never; 受給者番号 and 備考 in 行政記載欄 changes: value withheld;
//! - free text written by people (reasons, remarks, the metadata reason): withheld, because
//!   nothing stops a user from typing a name into it; item values are kept only when they are
//!   numbers, booleans or lower-case code tokens (enum codes, dates), anything else is withheld
//!   and its item listed in `withheld_items`;
//! - staff accounts: no display name, no 指定医番号, no client address of a read.

use std::collections::BTreeMap;

use domain::account::AccountEvent;
use domain::audit::AccessEvent;
use domain::form::{FormEvent, ItemChange, ReviewResult};
use domain::import_job::ImportEvent;
use domain::institution::InstitutionEvent;
use domain::master::MasterEvent;
use domain::municipality::{Kind, MunicipalityEvent};
use domain::patient::PatientEvent;
use domain::pseudonym::PseudonymKey;
use domain::research::ResearchEvent;
use domain::Program;
use eventstore::RecordedEvent;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

/// The JetStream stream the relay publishes to.
pub const DEFAULT_STREAM: &str = "NANBYO_EVENTS";
/// The first token of every event subject.
pub const SUBJECT_PREFIX: &str = "nanbyo";
/// The subject token for events that belong to no program.
pub const NO_PROGRAM: &str = "registry";

/// One event on the bus. `Nats-Msg-Id` carries `event_id` too.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BusEvent {
    /// UUID v7, unique: consumers deduplicate by it.
    pub event_id: String,
    /// `form`, `account`, `institution`, `master`, `municipality_master`, `form_reads`,
    /// `account_reads`, `institution_reads`, `patient`, `research_extract`, `import_job`.
    pub stream_type: String,
    /// The stream's id; for `patient` streams the patient pseudonym, never the patient key.
    pub stream_id: String,
    /// 1-based version within the stream: per-stream order.
    pub version: u64,
    /// The store's global position: an ordering token (sparse), not a count.
    pub position: u64,
    pub event_type: String,
    pub schema_version: u32,
    /// RFC 3339.
    pub recorded_at: String,
    pub metadata: BusMetadata,
    /// The redacted payload; its shape is given per event type. Serialised once, as it is
    /// built (the relay is bound by the CPU it spends per event).
    #[schemars(with = "Value")]
    pub payload: Box<RawValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BusMetadata {
    /// The actor's account id (`system` for the registry itself).
    pub actor: String,
    pub role: String,
    /// `nanbyo`, `shoman`, or null.
    pub program: Option<String>,
    pub correlation_id: String,
    pub causation_id: Option<String>,
    /// Whether the change came with a reason; the reason itself is free text and stays home.
    pub has_reason: bool,
}

/// An event could not be put on the bus.
#[derive(Debug, thiserror::Error)]
pub enum RedactError {
    /// No redaction rule: written by a newer release. The relay stops rather than publish
    /// something nobody decided may leave.
    #[error("event type {0} has no redaction rule")]
    NoRule(String),
    #[error("event at position {position} cannot be decoded: {reason}")]
    Decode { position: u64, reason: String },
}

/// `nanbyo.<program>.<aggregate>.<event_type>` (`prefix` is `nanbyo` but in tests and
/// benchmarks). The program is the actor's (`registry` for events without one).
pub fn subject(prefix: &str, event: &RecordedEvent) -> String {
    let program = event.metadata.program.map_or(NO_PROGRAM, Program::as_str);
    format!(
        "{prefix}.{program}.{}.{}",
        event.stream.stream_type, event.event_type
    )
}

fn decode<E: domain::DomainEvent>(event: &RecordedEvent) -> Result<E, RedactError> {
    event.decode::<E>().map_err(|e| RedactError::Decode {
        position: event.position,
        reason: e.to_string(),
    })
}

fn to_value<T: Serialize>(t: &T) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

fn raw<T: Serialize>(t: &T) -> Box<RawValue> {
    // Serialising these plain structs cannot fail; `null` keeps the type total.
    serde_json::value::to_raw_value(t)
        .unwrap_or_else(|_| RawValue::from_string("null".into()).expect("null is JSON"))
}

/// The bus copy of `event`.
pub fn redact(event: &RecordedEvent, key: &PseudonymKey) -> Result<BusEvent, RedactError> {
    let program = event.metadata.program;
    let payload = redact_payload(event, key)?;
    let stream_id = if event.stream.stream_type == domain::patient::PATIENT {
        key.pseudonym(program.unwrap_or(Program::Nanbyo), &event.stream.id)
    } else {
        event.stream.id.clone()
    };
    let m = &event.metadata;
    Ok(BusEvent {
        event_id: event.event_id.to_string(),
        stream_type: event.stream.stream_type.clone(),
        stream_id,
        version: event.version,
        position: event.position,
        event_type: event.event_type.clone(),
        schema_version: event.schema_version,
        recorded_at: event.recorded_at.to_rfc3339(),
        metadata: BusMetadata {
            actor: m.actor.clone(),
            role: m.role.as_str().to_owned(),
            program: program.map(|p| p.as_str().to_owned()),
            correlation_id: m.correlation_id.to_string(),
            causation_id: m.causation_id.map(|c| c.to_string()),
            has_reason: m.reason.is_some(),
        },
        payload,
    })
}

fn redact_payload(event: &RecordedEvent, key: &PseudonymKey) -> Result<Box<RawValue>, RedactError> {
    let v = match event.stream.stream_type.as_str() {
        "form" => form(decode(event)?, key),
        "account" => account(decode(event)?),
        "institution" => institution(decode(event)?),
        "master" => master(decode(event)?),
        "municipality_master" => municipalities(decode(event)?),
        "form_reads" | "account_reads" | "institution_reads" => access(decode(event)?, key),
        "patient" => patient(decode(event)?),
        "research_extract" => research(decode(event)?),
        domain::import_job::STREAM_TYPE => import(decode(event)?),
        _ => return Err(RedactError::NoRule(event.event_type.clone())),
    };
    Ok(v)
}

/// Item values that may leave: numbers, booleans, null, and lower-case code tokens (enum
/// codes, dates, year-months). Anything else may be free text.
fn shareable(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => true,
        Value::String(s) => {
            !s.is_empty()
                && s.len() <= 64
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.".contains(&b))
        }
        Value::Array(a) => a.iter().all(shareable),
        Value::Object(_) => false,
    }
}

fn items(items: &BTreeMap<String, Value>) -> (BTreeMap<String, Value>, Vec<String>) {
    let mut kept = BTreeMap::new();
    let mut withheld = vec![];
    for (k, v) in items {
        if shareable(v) {
            kept.insert(k.clone(), v.clone());
        } else {
            kept.insert(k.clone(), Value::Null);
            withheld.push(k.clone());
        }
    }
    (kept, withheld)
}

/// 行政記載欄 fields whose values never leave: the 受給者番号 identifies the patient, 備考 is
/// free text.
const WITHHELD_ADMINISTRATIVE: &[&str] = &["recipient_number", "remarks"];

fn changes(changes: &[ItemChange], withhold: &[&str]) -> Box<RawValue> {
    let out: Vec<BusItemChange> = changes
        .iter()
        .map(|c| {
            let keep =
                !withhold.contains(&c.item.as_str()) && shareable(&c.old) && shareable(&c.new);
            BusItemChange {
                item: c.item.clone(),
                old: if keep { c.old.clone() } else { Value::Null },
                new: if keep { c.new.clone() } else { Value::Null },
                withheld: !keep,
            }
        })
        .collect();
    raw(&BusChanges { changes: out })
}

fn form(e: FormEvent, key: &PseudonymKey) -> Box<RawValue> {
    match e {
        FormEvent::FormDrafted {
            program,
            disease,
            form_version,
            application,
            purpose,
            institution,
            author,
            jurisdiction,
            patient,
            research_consent,
            items: its,
            carried_over,
            paper,
            imported,
        } => {
            let (items, withheld_items) = items(&its);
            raw(&BusFormDrafted {
                program: program.as_str().to_owned(),
                disease,
                form_version,
                application: to_value(&application),
                purpose: to_value(&purpose),
                institution: institution.to_string(),
                author,
                jurisdiction: jurisdiction.to_string(),
                patient: key.pseudonym(program, &patient.key(program)),
                research_consent,
                items,
                withheld_items,
                carried_over_from: carried_over.map(|c| c.from_form),
                paper: paper.is_some(),
                // The sending system's reference may be its own patient id: withheld.
                imported: imported.map(|i| BusImportOrigin {
                    job: i.job,
                    row: i.row,
                    contractor: i.contractor,
                }),
            })
        }
        FormEvent::ItemsEdited { changes: c } => changes(&c, &[]),
        FormEvent::DataCorrected { changes: c } => changes(&c, &[]),
        FormEvent::AdministrativeFieldsRecorded { changes: c } => {
            changes(&c, WITHHELD_ADMINISTRATIVE)
        }
        FormEvent::JudgmentRecorded { judgment, master } => raw(&BusJudgmentRecorded {
            judgment: to_value(&judgment),
            master: to_value(&master),
        }),
        FormEvent::FormSubmitted { by, access_key: _ } => raw(&BusFormSubmitted { by }),
        FormEvent::FormReceived { access_key: _ } => raw(&BusEmpty {}),
        // The result and its dates; reasons are free text.
        FormEvent::ReviewResultRecorded { result } => raw(&match result {
            ReviewResult::Certified { from, to } => BusReviewResultRecorded {
                result: "certified".into(),
                from: Some(from),
                to: Some(to),
                certificate_issued: None,
            },
            ReviewResult::NotCertified {
                reason: _,
                certificate_issued,
            } => BusReviewResultRecorded {
                result: "not_certified".into(),
                from: None,
                to: None,
                certificate_issued: Some(certificate_issued),
            },
            ReviewResult::CertificateIssued => BusReviewResultRecorded {
                result: "certificate_issued".into(),
                from: None,
                to: None,
                certificate_issued: Some(true),
            },
            ReviewResult::CertificateNotIssued { reason: _ } => BusReviewResultRecorded {
                result: "certificate_not_issued".into(),
                from: None,
                to: None,
                certificate_issued: Some(false),
            },
        }),
        FormEvent::FormWithdrawn { reason: _ } => raw(&BusEmpty {}),
        // Which fields changed, never their values; the patient's pseudonym after the change
        // (it follows the kana name, birth date and sex).
        FormEvent::PatientDataChanged {
            program,
            changes,
            patient,
        } => raw(&BusPatientDataChanged {
            fields: changes.into_iter().map(|c| c.field).collect(),
            patient: key.pseudonym(program, &patient.key(program)),
        }),
    }
}

fn account(e: AccountEvent) -> Box<RawValue> {
    match e {
        AccountEvent::AccountCreated { id, account } => raw(&BusAccountCreated {
            id,
            login_id: account.login_id,
            role: account.role.as_str().to_owned(),
            program: account.program.as_str().to_owned(),
            designation: account.designation.map(|d| BusDesignation {
                kind: to_value(&d.kind),
                valid_from: d.valid_from,
                valid_to: d.valid_to,
            }),
            primary_institution: account.primary_institution.map(|c| c.to_string()),
            responsible_for: account.responsible_for.map(|c| c.to_string()),
            jurisdiction: account.jurisdiction.map(|c| c.to_string()),
        }),
        AccountEvent::PasswordIssued {}
        | AccountEvent::PasswordChanged {}
        | AccountEvent::AccountSuspended {}
        | AccountEvent::AccountReactivated {} => raw(&BusEmpty {}),
        AccountEvent::AccountLockedOut { until } => raw(&BusLockedOut { until }),
        AccountEvent::AffiliationRequested { institution }
        | AccountEvent::AffiliationApproved { institution }
        | AccountEvent::AffiliationRejected { institution }
        | AccountEvent::AffiliationRevoked { institution } => raw(&BusAffiliation {
            institution: institution.to_string(),
        }),
        AccountEvent::InstitutionSwitchScheduled { from, to }
        | AccountEvent::InstitutionSwitched { from, to } => raw(&BusSwitch {
            from: from.to_string(),
            to: to.to_string(),
        }),
    }
}

fn institution(e: InstitutionEvent) -> Box<RawValue> {
    // The institution master is public data.
    match e {
        InstitutionEvent::InstitutionRegistered {
            code,
            name,
            prefecture,
        } => raw(&BusInstitutionRegistered {
            code: code.to_string(),
            name,
            prefecture: prefecture.to_string(),
        }),
        InstitutionEvent::InstitutionRenamed { name } => raw(&BusInstitutionRenamed { name }),
        InstitutionEvent::InstitutionSucceeded { successor } => raw(&BusInstitutionSucceeded {
            successor: successor.to_string(),
        }),
    }
}

fn municipalities(e: MunicipalityEvent) -> Box<RawValue> {
    // The 実施主体 list is public data, and small (67 entries).
    match e {
        MunicipalityEvent::MunicipalityVersionPublished { version, bodies } => {
            raw(&BusMunicipalityVersionPublished {
                version,
                bodies: bodies
                    .into_iter()
                    .map(|b| BusImplementingBody {
                        code: b.code.to_string(),
                        name: b.name,
                        kind: match b.kind {
                            Kind::Prefecture => "prefecture",
                            Kind::DesignatedCity => "designated_city",
                        }
                        .to_owned(),
                    })
                    .collect(),
            })
        }
    }
}

fn master(e: MasterEvent) -> Box<RawValue> {
    // Public, but a full master is megabytes (above NATS's 1 MiB message limit): the bus says
    // which diseases changed; `GET /api/masters/...` serves them.
    match e {
        MasterEvent::MasterVersionPublished { version, diseases } => {
            raw(&BusMasterVersionPublished {
                version,
                diseases: diseases
                    .into_iter()
                    .map(|d| BusMasterDisease {
                        program: d.program.as_str().to_owned(),
                        code: d.code,
                        form_version: d.form_version,
                    })
                    .collect(),
            })
        }
    }
}

fn access(e: AccessEvent, key: &PseudonymKey) -> Box<RawValue> {
    match e {
        AccessEvent::FormRead {
            form,
            program,
            patient_key,
            what,
            origin: _,
        } => raw(&BusFormRead {
            form,
            program: program.as_str().to_owned(),
            patient: key.pseudonym(program, &patient_key),
            what,
        }),
        // As a read: the patient as the pseudonym, never the caller's address.
        AccessEvent::ReadRefused {
            record,
            program,
            patient_key,
            what,
            origin: _,
        } => raw(&BusReadRefused {
            record,
            program: program.as_str().to_owned(),
            patient: patient_key.map(|k| key.pseudonym(program, &k)),
            what,
        }),
    }
}

fn patient(e: PatientEvent) -> Box<RawValue> {
    match e {
        PatientEvent::LinkageInquired {
            request_id,
            program,
            form,
            cause,
            identity_digest: _,
        } => raw(&BusLinkageInquired {
            request_id,
            program: program.as_str().to_owned(),
            form,
            cause: to_value(&cause),
        }),
        // The linkage id joins this registry to the national system: it goes to the research
        // extract, not to every consumer of the bus.
        PatientEvent::LinkageIdAssigned {
            request_id,
            linkage_id: _,
        } => raw(&BusLinkageIdAssigned { request_id }),
        PatientEvent::LinkageNotFound { request_id, reason } => {
            raw(&BusLinkageNotFound { request_id, reason })
        }
    }
}

fn research(e: ResearchEvent) -> Box<RawValue> {
    match e {
        // The purpose is free text written by the operator: withheld.
        ResearchEvent::ResearchExtractRecorded {
            program,
            purpose: _,
            approval,
            filter,
            rows,
            as_of_position,
            files,
        } => raw(&BusResearchExtractRecorded {
            program: program.as_str().to_owned(),
            approval,
            filter: to_value(&filter),
            rows,
            as_of_position,
            files: files
                .into_iter()
                .map(|f| BusExtractFile {
                    format: to_value(&f.format),
                    sha256: f.sha256,
                    bytes: f.bytes,
                })
                .collect(),
        }),
    }
}

fn import(e: ImportEvent) -> Box<RawValue> {
    match e {
        // The file name may name a patient: withheld.
        ImportEvent::ImportFileReceived {
            use_,
            program,
            file,
            contractor,
        } => raw(&BusImportFileReceived {
            use_: use_.as_str().to_owned(),
            program: program.as_str().to_owned(),
            size: file.size,
            sha256: file.sha256,
            format: file.format,
            contractor,
        }),
        ImportEvent::ImportRowsValidated {
            total,
            valid,
            rejected,
        } => raw(&BusImportRowsValidated {
            total,
            valid,
            rejected,
        }),
        // Row errors name columns and codes, never cells, but a batch can be large and its
        // consumers need the forms, not the reasons: outcomes and forms only.
        ImportEvent::ImportRowsApplied {
            through_row,
            results,
        } => raw(&BusImportRowsApplied {
            through_row,
            results: results
                .into_iter()
                .map(|r| BusImportRow {
                    row: r.row,
                    outcome: r.outcome.as_str().to_owned(),
                    form: r.form,
                    action: r.action,
                    error_codes: r.errors.into_iter().map(|e| e.code).collect(),
                })
                .collect(),
        }),
        ImportEvent::ImportFinished {
            total,
            applied,
            unchanged,
            rejected,
        } => raw(&BusImportFinished {
            total,
            applied,
            unchanged,
            rejected,
        }),
        ImportEvent::ImportFailed { failure } => raw(&BusImportFailed { code: failure.code }),
    }
}

// ---- payload shapes (one per event type; their JSON Schemas are in docs/asyncapi.json) ----

/// No payload fields.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BusEmpty {}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusItemChange {
    pub item: String,
    /// Null when withheld.
    pub old: Value,
    pub new: Value,
    /// The values may identify the patient or be free text: not on the bus.
    pub withheld: bool,
}

/// ItemsEdited, DataCorrected, AdministrativeFieldsRecorded.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BusChanges {
    pub changes: Vec<BusItemChange>,
}

/// A patient correction: the fields that changed (`name_kana`, `address`, …), no values.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BusPatientDataChanged {
    pub fields: Vec<String>,
    /// The keyed patient pseudonym after the change.
    pub patient: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusFormDrafted {
    pub program: String,
    pub disease: String,
    pub form_version: String,
    /// `new` or `renewal`.
    pub application: Value,
    /// `subsidy` or `registrant_certificate_only`.
    pub purpose: Value,
    /// 医療機関コード.
    pub institution: String,
    /// The author's account id.
    pub author: String,
    /// 実施主体 (全国地方公共団体コード).
    pub jurisdiction: String,
    /// The keyed patient pseudonym (HMAC-SHA256, 32 hex digits).
    pub patient: String,
    pub research_consent: bool,
    /// Item values; withheld ones are null.
    pub items: BTreeMap<String, Value>,
    pub withheld_items: Vec<String>,
    pub carried_over_from: Option<String>,
    /// Registered from an old-version paper form.
    pub paper: bool,
    /// Created by a bulk import (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imported: Option<BusImportOrigin>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusJudgmentRecorded {
    /// The machine judgment (一次判定) as the registry records it.
    pub judgment: Value,
    /// `{disease, form_version, master_version}`.
    pub master: Value,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusFormSubmitted {
    /// The submitting account id (the アクセスキー stays home).
    pub by: String,
}

/// `result`: certified (`from`, `to`), not_certified (`certificate_issued`),
/// certificate_issued, certificate_not_issued. Reasons are withheld.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BusReviewResultRecorded {
    pub result: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub certificate_issued: Option<bool>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusDesignation {
    /// `nanbyo`, `cooperating_nanbyo`, `shoman`.
    pub kind: Value,
    pub valid_from: String,
    pub valid_to: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusAccountCreated {
    pub id: String,
    pub login_id: String,
    pub role: String,
    pub program: String,
    pub designation: Option<BusDesignation>,
    pub primary_institution: Option<String>,
    pub responsible_for: Option<String>,
    pub jurisdiction: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusLockedOut {
    pub until: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusAffiliation {
    pub institution: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusSwitch {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusInstitutionRegistered {
    pub code: String,
    pub name: String,
    pub prefecture: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusInstitutionRenamed {
    pub name: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusInstitutionSucceeded {
    pub successor: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusMasterDisease {
    pub program: String,
    pub code: String,
    pub form_version: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusMasterVersionPublished {
    pub version: String,
    pub diseases: Vec<BusMasterDisease>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusImplementingBody {
    /// 全国地方公共団体コード (6 digits with the check digit).
    pub code: String,
    pub name: String,
    /// `prefecture` or `designated_city`.
    pub kind: String,
}

/// A whole version of the 実施主体 list; the latest is in force.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BusMunicipalityVersionPublished {
    pub version: String,
    pub bodies: Vec<BusImplementingBody>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusFormRead {
    pub form: String,
    pub program: String,
    /// The keyed patient pseudonym.
    pub patient: String,
    pub what: String,
}

/// A read of an existing record refused for the caller's scope (the caller is the metadata's
/// actor; the subject's program is the caller's).
#[derive(Debug, Serialize, JsonSchema)]
pub struct BusReadRefused {
    /// The form id, account id or institution code asked for (the stream type says which).
    pub record: String,
    /// The record's program, whose auditors see the attempt.
    pub program: String,
    /// For a form, the keyed patient pseudonym.
    pub patient: Option<String>,
    /// The route: `form`, `form_as_of`, `judgment`, `history`, `diff`, `scan`,
    /// `patient_history`, `read_audit`, `carry_over`, `account_history`, `institution_history`.
    pub what: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusLinkageInquired {
    pub request_id: String,
    pub program: String,
    pub form: String,
    /// `first_recorded` or `identity_changed`.
    pub cause: Value,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusLinkageIdAssigned {
    pub request_id: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusLinkageNotFound {
    pub request_id: String,
    pub reason: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusExtractFile {
    /// `csv` or `parquet`.
    pub format: Value,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusResearchExtractRecorded {
    pub program: String,
    /// The approval reference (承認番号); the purpose (free text) is withheld.
    pub approval: String,
    /// `{diseases, from, to, certified_only}`.
    pub filter: Value,
    pub rows: u64,
    pub as_of_position: u64,
    pub files: Vec<BusExtractFile>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusImportOrigin {
    pub job: String,
    pub row: u64,
    /// The contractor (委託業者) of a contractor import.
    pub contractor: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusImportFileReceived {
    /// `hospital`, `contractor`, `certification` or `paper`.
    #[serde(rename = "use")]
    pub use_: String,
    pub program: String,
    pub size: u64,
    pub sha256: String,
    /// `csv_utf8`, `csv_utf8_bom`, `csv_shift_jis`, `xlsx`, `jsonl`, or null when unrecognised.
    pub format: Option<String>,
    pub contractor: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusImportRowsValidated {
    pub total: u64,
    pub valid: u64,
    pub rejected: u64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusImportRow {
    pub row: u64,
    /// `applied`, `unchanged` or `rejected`.
    pub outcome: String,
    pub form: Option<String>,
    pub action: Option<String>,
    pub error_codes: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusImportRowsApplied {
    pub through_row: u64,
    pub results: Vec<BusImportRow>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusImportFinished {
    pub total: u64,
    pub applied: u64,
    pub unchanged: u64,
    pub rejected: u64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BusImportFailed {
    pub code: String,
}

/// Adds a payload type to a generator and returns its schema (a `$ref`).
pub type SchemaFn = fn(&mut schemars::SchemaGenerator) -> schemars::Schema;

/// The payload schema of each event type: what docs/asyncapi.json lists, one message per
/// event type. Every type in `EventCatalog::registry()` must have a row (tested).
pub fn payload_schemas() -> Vec<(&'static str, &'static str, SchemaFn)> {
    macro_rules! s {
        ($t:ty) => {
            (|g: &mut schemars::SchemaGenerator| g.subschema_for::<$t>()) as SchemaFn
        };
    }
    vec![
        ("form", "FormDrafted", s!(BusFormDrafted)),
        ("form", "ItemsEdited", s!(BusChanges)),
        ("form", "JudgmentRecorded", s!(BusJudgmentRecorded)),
        ("form", "FormSubmitted", s!(BusFormSubmitted)),
        ("form", "FormReceived", s!(BusEmpty)),
        ("form", "DataCorrected", s!(BusChanges)),
        ("form", "AdministrativeFieldsRecorded", s!(BusChanges)),
        ("form", "ReviewResultRecorded", s!(BusReviewResultRecorded)),
        ("form", "FormWithdrawn", s!(BusEmpty)),
        ("form", "PatientDataChanged", s!(BusPatientDataChanged)),
        ("account", "AccountCreated", s!(BusAccountCreated)),
        ("account", "PasswordIssued", s!(BusEmpty)),
        ("account", "PasswordChanged", s!(BusEmpty)),
        ("account", "AccountLockedOut", s!(BusLockedOut)),
        ("account", "AccountSuspended", s!(BusEmpty)),
        ("account", "AccountReactivated", s!(BusEmpty)),
        ("account", "AffiliationRequested", s!(BusAffiliation)),
        ("account", "AffiliationApproved", s!(BusAffiliation)),
        ("account", "AffiliationRejected", s!(BusAffiliation)),
        ("account", "AffiliationRevoked", s!(BusAffiliation)),
        ("account", "InstitutionSwitchScheduled", s!(BusSwitch)),
        ("account", "InstitutionSwitched", s!(BusSwitch)),
        (
            "institution",
            "InstitutionRegistered",
            s!(BusInstitutionRegistered),
        ),
        (
            "institution",
            "InstitutionRenamed",
            s!(BusInstitutionRenamed),
        ),
        (
            "institution",
            "InstitutionSucceeded",
            s!(BusInstitutionSucceeded),
        ),
        (
            "master",
            "MasterVersionPublished",
            s!(BusMasterVersionPublished),
        ),
        (
            "municipality_master",
            "MunicipalityVersionPublished",
            s!(BusMunicipalityVersionPublished),
        ),
        ("form_reads", "FormRead", s!(BusFormRead)),
        ("form_reads", "ReadRefused", s!(BusReadRefused)),
        ("account_reads", "ReadRefused", s!(BusReadRefused)),
        ("institution_reads", "ReadRefused", s!(BusReadRefused)),
        ("patient", "LinkageInquired", s!(BusLinkageInquired)),
        ("patient", "LinkageIdAssigned", s!(BusLinkageIdAssigned)),
        ("patient", "LinkageNotFound", s!(BusLinkageNotFound)),
        (
            "research_extract",
            "ResearchExtractRecorded",
            s!(BusResearchExtractRecorded),
        ),
        (
            "import_job",
            "ImportFileReceived",
            s!(BusImportFileReceived),
        ),
        (
            "import_job",
            "ImportRowsValidated",
            s!(BusImportRowsValidated),
        ),
        ("import_job", "ImportRowsApplied", s!(BusImportRowsApplied)),
        ("import_job", "ImportFinished", s!(BusImportFinished)),
        ("import_job", "ImportFailed", s!(BusImportFailed)),
    ]
}
