//! One event of every registered type, filled with known identifiers (names, kana, birth date,
//! address, insurance and recipient numbers, access key, staff names, free text, a client
//! address, the unkeyed patient key), for the redaction tests: none of [`identifiers`] may
//! appear in any byte the relay publishes. Test support; not used by the service.

use std::collections::BTreeMap;

use domain::account::{AccountEvent, DesignationRecord, NewAccount};
use domain::audit::AccessEvent;
use domain::disease::DiseaseForm;
use domain::form::{
    Actor, Application, ClinicalForm, Designation, FormAction, FormCommand, FormEvent,
    ImportOrigin, ItemChange, Patient, ReviewResult, Sex,
};
use domain::import_job::{
    FileFailure, ImportEvent, ImportUse, ReceivedFile, RowIssue, RowOutcome, RowResult,
};
use domain::institution::InstitutionEvent;
use domain::judgment::Purpose;
use domain::master::MasterEvent;
use domain::patient::{InquiryCause, PatientEvent};
use domain::research::{ExtractFile, ExtractFilter, FileFormat, ResearchEvent};
use domain::{
    Aggregate, DomainEvent, InstitutionCode, LocalGovernmentCode, PrefectureCode, Program,
    RecipientNumber, Role,
};
use serde_json::{json, Value};

pub const HOSPITAL: &str = "0110113719";
pub const HOKKAIDO: &str = "010006";
pub const NAME_KANJI: &str = "鈴木 花子";
pub const NAME_KANA: &str = "スズキ ハナコ";
pub const BIRTH_DATE: &str = "1961-02-03";
pub const ADDRESS: &str = "小樽市花園二丁目七番";
pub const INSURER: &str = "06137018";
pub const INSURED: &str = "記号98・番号7654";
pub const ACCESS_KEY: &str = "QWER2345TYUP";
pub const DOCTOR_NAME: &str = "山本 一郎";
pub const DOCTOR_NUMBER: &str = "DR-778899";
pub const ORIGIN: &str = "203.0.113.77";
pub const FREE_TEXT: &str = "鈴木花子さんから電話あり";
/// A hospital system's reference for a form: often its own patient id.
pub const EXTERNAL_REF: &str = "HIS-PT-00451-2024";

/// A valid 受給者番号 (check digit computed).
pub fn recipient_number() -> String {
    let body = [3u8, 1, 4, 1, 5, 9];
    let check = domain::codes::mod10_w21(&body);
    format!("314159{check}")
}

pub fn patient() -> Patient {
    Patient {
        name_kanji: NAME_KANJI.into(),
        name_kana: NAME_KANA.into(),
        birth_date: BIRTH_DATE.into(),
        sex: Sex::Female,
        address: ADDRESS.into(),
        municipality: LocalGovernmentCode::parse("012025").expect("Otaru"),
        insurer_number: Some(INSURER.into()),
        insured_symbol_number: Some(INSURED.into()),
        recipient_number: Some(RecipientNumber::parse(&recipient_number()).expect("valid")),
    }
}

/// Every string that must never reach the bus (and the unkeyed patient key).
pub fn identifiers() -> Vec<String> {
    let kana_joined: String = NAME_KANA.chars().filter(|c| !c.is_whitespace()).collect();
    vec![
        NAME_KANJI.into(),
        "鈴木".into(),
        NAME_KANA.into(),
        kana_joined,
        BIRTH_DATE.into(),
        ADDRESS.into(),
        INSURER.into(),
        INSURED.into(),
        recipient_number(),
        ACCESS_KEY.into(),
        DOCTOR_NAME.into(),
        DOCTOR_NUMBER.into(),
        ORIGIN.into(),
        FREE_TEXT.into(),
        patient().key(Program::Nanbyo),
        // Not a direct identifier, but it joins the registry to the national system: kept off
        // the bus too.
        "REF-SAMPLE-LINK".into(),
        EXTERNAL_REF.into(),
    ]
}

fn doctor() -> Actor {
    Actor {
        account: "doctor-1".into(),
        role: Role::DesignatedDoctor,
        program: Program::Nanbyo,
        institutions: vec![InstitutionCode::parse(HOSPITAL).expect("code")],
        jurisdiction: None,
        designation: Some(Designation::Nanbyo),
        responsible_for: None,
    }
}

/// The shipped Parkinson master (告示番号 6), composed with the shared layout.
pub fn parkinson() -> DiseaseForm {
    domain::disease::shipped()
        .into_iter()
        .find(|d| d.program == Program::Nanbyo && d.code == "6")
        .expect("the shipped Parkinson master is valid")
}

/// The draft of a Parkinson form (告示番号 6) for `patient`, decided by the aggregate: the
/// `FormDrafted` and `JudgmentRecorded` events a real draft produces.
pub fn draft_events(patient: Patient) -> Vec<FormEvent> {
    let parkinson = parkinson();
    let items: BTreeMap<String, Value> = serde_json::from_value(json!({
        "basic.onset_ym": "2019-06", "basic.diagnosis_ym": "2020-02",
        "dx.parkinsonism": true, "dx.imaging_no_cause": true,
        "dx.no_drug_toxin_exposure": true, "dx.antiparkinson_response": true,
        "sev.hoehn_yahr": "3", "sev.daily_life_disability": "2"
    }))
    .expect("items");
    let command = FormCommand {
        actor: doctor(),
        reason: None,
        today: Some("2024-06-01".into()),
        action: FormAction::Draft {
            master: std::sync::Arc::new((parkinson, "master-2024-04-01".into())),
            municipalities: std::sync::Arc::new(domain::municipality::Municipalities {
                version: "shipped".into(),
                bodies: domain::municipality::shipped(),
            }),
            application: Application::New,
            purpose: Purpose::Subsidy,
            institution: InstitutionCode::parse(HOSPITAL).expect("code"),
            jurisdiction: LocalGovernmentCode::parse(HOKKAIDO).expect("code"),
            patient: Box::new(patient),
            research_consent: true,
            items,
            carried_over: None,
            paper: None,
            imported: None,
        },
    };
    ClinicalForm::default()
        .decide(&command)
        .expect("the sample draft is accepted")
}

/// One sample event: stream type, the actor's program, event type, payload.
pub struct Sample {
    pub stream_type: &'static str,
    pub program: Option<Program>,
    pub event_type: String,
    pub schema_version: u32,
    pub payload: Value,
}

fn sample<E: DomainEvent>(stream_type: &'static str, program: Option<Program>, e: &E) -> Sample {
    let (event_type, schema_version, payload) = e.to_payload().expect("payload");
    Sample {
        stream_type,
        program,
        event_type,
        schema_version,
        payload,
    }
}

/// One event of every registered type.
pub fn every_event() -> Vec<Sample> {
    let n = Some(Program::Nanbyo);
    let code = |c: &str| InstitutionCode::parse(c).expect("code");
    let mut out: Vec<Sample> = draft_events(patient())
        .iter()
        .map(|e| sample("form", n, e))
        .collect();
    let change = |item: &str, old: Value, new: Value| ItemChange {
        item: item.into(),
        old,
        new,
    };
    let form_events = [
        FormEvent::ItemsEdited {
            changes: vec![
                change("sev.hoehn_yahr", json!("3"), json!("4")),
                change("other.notes", Value::Null, json!(FREE_TEXT)),
            ],
        },
        FormEvent::FormSubmitted {
            by: "doctor-1".into(),
            access_key: ACCESS_KEY.into(),
        },
        FormEvent::FormReceived {
            access_key: ACCESS_KEY.into(),
        },
        FormEvent::DataCorrected {
            changes: vec![change("basic.onset_ym", json!("2019-06"), json!("2019-05"))],
        },
        FormEvent::AdministrativeFieldsRecorded {
            changes: vec![
                change("application_date", Value::Null, json!("2024-06-10")),
                change("recipient_number", Value::Null, json!(recipient_number())),
                change("remarks", Value::Null, json!(FREE_TEXT)),
                change("life_support", Value::Null, json!(false)),
            ],
        },
        FormEvent::ReviewResultRecorded {
            result: ReviewResult::NotCertified {
                reason: FREE_TEXT.into(),
                certificate_issued: true,
            },
        },
        FormEvent::FormWithdrawn {
            reason: FREE_TEXT.into(),
        },
        // The name was misspelt and the patient has moved: old and new values are identifiers.
        FormEvent::PatientDataChanged {
            program: Program::Nanbyo,
            changes: domain::form::patient_changes(
                &Patient {
                    name_kanji: "鈴木".into(),
                    address: "北海道札幌市北区北8条西5丁目".into(),
                    insurer_number: None,
                    ..patient()
                },
                &patient(),
            ),
            patient: Box::new(patient()),
        },
    ];
    out.extend(form_events.iter().map(|e| sample("form", n, e)));
    let account = NewAccount {
        login_id: "D0000123".into(),
        role: Role::DesignatedDoctor,
        program: Program::Nanbyo,
        display_name: DOCTOR_NAME.into(),
        designation: Some(DesignationRecord {
            number: DOCTOR_NUMBER.into(),
            kind: Designation::Nanbyo,
            valid_from: "2024-04-01".into(),
            valid_to: None,
        }),
        primary_institution: Some(code(HOSPITAL)),
        responsible_for: None,
        jurisdiction: None,
    };
    let account_events = [
        AccountEvent::AccountCreated {
            id: "doctor-1".into(),
            account,
        },
        AccountEvent::PasswordIssued {},
        AccountEvent::PasswordChanged {},
        AccountEvent::AccountLockedOut {
            until: "2026-11-30T10:00:00Z".into(),
        },
        AccountEvent::AccountSuspended {},
        AccountEvent::AccountReactivated {},
        AccountEvent::AffiliationRequested {
            institution: code("1310112345"),
        },
        AccountEvent::AffiliationApproved {
            institution: code("1310112345"),
        },
        AccountEvent::AffiliationRejected {
            institution: code("1310112345"),
        },
        AccountEvent::AffiliationRevoked {
            institution: code("1310112345"),
        },
        AccountEvent::InstitutionSwitchScheduled {
            from: code(HOSPITAL),
            to: code("1310112345"),
        },
        AccountEvent::InstitutionSwitched {
            from: code(HOSPITAL),
            to: code("1310112345"),
        },
    ];
    out.extend(account_events.iter().map(|e| sample("account", n, e)));
    let institution_events = [
        InstitutionEvent::InstitutionRegistered {
            code: code(HOSPITAL),
            name: "小樽中央病院".into(),
            prefecture: PrefectureCode::parse("01").expect("01"),
        },
        InstitutionEvent::InstitutionRenamed {
            name: "小樽中央総合病院".into(),
        },
        InstitutionEvent::InstitutionSucceeded {
            successor: code("1310112345"),
        },
    ];
    out.extend(
        institution_events
            .iter()
            .map(|e| sample("institution", None, e)),
    );
    let parkinson = parkinson();
    out.push(sample(
        "master",
        None,
        &MasterEvent::MasterVersionPublished {
            version: "sample-1".into(),
            diseases: vec![parkinson],
        },
    ));
    out.push(sample(
        "municipality_master",
        None,
        &domain::municipality::MunicipalityEvent::MunicipalityVersionPublished {
            version: "sample-1".into(),
            bodies: domain::municipality::shipped(),
        },
    ));
    out.push(sample(
        "form_reads",
        n,
        &AccessEvent::FormRead {
            form: "form-1".into(),
            program: Program::Nanbyo,
            patient_key: patient().key(Program::Nanbyo),
            what: "form".into(),
            origin: Some(ORIGIN.into()),
        },
    ));
    // Refused reads: of a form (by a 小慢 account), of an account's and an institution's
    // history.
    out.push(sample(
        "form_reads",
        Some(Program::Shoman),
        &AccessEvent::ReadRefused {
            record: "form-1".into(),
            program: Program::Nanbyo,
            patient_key: Some(patient().key(Program::Nanbyo)),
            what: "form".into(),
            origin: Some(ORIGIN.into()),
        },
    ));
    out.push(sample(
        "account_reads",
        n,
        &AccessEvent::ReadRefused {
            record: "doctor-1".into(),
            program: Program::Nanbyo,
            patient_key: None,
            what: "account_history".into(),
            origin: Some(ORIGIN.into()),
        },
    ));
    out.push(sample(
        "institution_reads",
        n,
        &AccessEvent::ReadRefused {
            record: HOSPITAL.into(),
            program: Program::Nanbyo,
            patient_key: None,
            what: "institution_history".into(),
            origin: Some(ORIGIN.into()),
        },
    ));
    let patient_events = [
        PatientEvent::LinkageInquired {
            request_id: "req-1".into(),
            program: Program::Nanbyo,
            form: "form-1".into(),
            cause: InquiryCause::FirstRecorded,
            identity_digest: "00".repeat(16),
        },
        PatientEvent::LinkageIdAssigned {
            request_id: "req-1".into(),
            linkage_id: "REF-SAMPLE-LINK".into(),
        },
        PatientEvent::LinkageNotFound {
            request_id: "req-2".into(),
            reason: "no_record".into(),
        },
    ];
    out.extend(patient_events.iter().map(|e| sample("patient", n, e)));
    out.push(sample(
        "research_extract",
        n,
        &ResearchEvent::ResearchExtractRecorded {
            program: Program::Nanbyo,
            purpose: FREE_TEXT.into(),
            approval: "IRB-2026-001".into(),
            filter: ExtractFilter {
                diseases: vec!["6".into()],
                from: Some("2024-04-01".into()),
                to: None,
                certified_only: false,
            },
            rows: 12,
            as_of_position: 99,
            files: vec![ExtractFile {
                format: FileFormat::Csv,
                sha256: "ab".repeat(32),
                bytes: 1234,
            }],
        },
    ));
    // An imported draft, and a job whose file is named after the patient.
    let mut imported = draft_events(patient());
    if let Some(FormEvent::FormDrafted {
        imported: origin, ..
    }) = imported.first_mut()
    {
        *origin = Some(ImportOrigin {
            job: "job-1".into(),
            row: 2,
            external_ref: EXTERNAL_REF.into(),
            contractor: Some("株式会社入力センター".into()),
        });
    }
    out.push(sample("form", n, &imported[0]));
    let failure = FileFailure {
        code: "header_mismatch".into(),
        message_ja: NAME_KANJI.into(),
        message_en: FREE_TEXT.into(),
    };
    let job_events = [
        ImportEvent::ImportFileReceived {
            use_: ImportUse::Hospital,
            program: Program::Nanbyo,
            file: ReceivedFile {
                name: format!("{NAME_KANJI}_{BIRTH_DATE}.csv"),
                size: 1234,
                sha256: "cd".repeat(32),
                format: Some("csv_shift_jis".into()),
            },
            contractor: None,
        },
        ImportEvent::ImportRowsValidated {
            total: 2,
            valid: 1,
            rejected: 1,
        },
        ImportEvent::ImportRowsApplied {
            through_row: 3,
            results: vec![
                RowResult {
                    row: 2,
                    outcome: RowOutcome::Applied,
                    form: Some("form-1".into()),
                    action: Some("created".into()),
                    errors: vec![],
                },
                RowResult {
                    row: 3,
                    outcome: RowOutcome::Rejected,
                    form: None,
                    action: None,
                    errors: vec![RowIssue {
                        column: Some(NAME_KANA.into()),
                        code: "invalid_type".into(),
                        message_ja: FREE_TEXT.into(),
                        message_en: ADDRESS.into(),
                    }],
                },
            ],
        },
        ImportEvent::ImportFinished {
            total: 2,
            applied: 1,
            unchanged: 0,
            rejected: 1,
        },
        ImportEvent::ImportFailed { failure },
    ];
    out.extend(
        job_events
            .iter()
            .map(|e| sample(domain::import_job::STREAM_TYPE, n, e)),
    );
    out
}

/// The stream id a sample goes to (patient streams: the unkeyed patient key, as in the store).
pub fn stream_id(sample: &Sample) -> String {
    match sample.stream_type {
        "patient" => patient().key(Program::Nanbyo),
        "institution" => HOSPITAL.into(),
        "master" => "diseases".into(),
        "municipality_master" => domain::municipality::MUNICIPALITY_MASTER_STREAM.into(),
        "account" | "account_reads" => "doctor-1".into(),
        "institution_reads" => HOSPITAL.into(),
        "research_extract" => "extract-1".into(),
        domain::import_job::STREAM_TYPE => "job-1".into(),
        _ => "form-1".into(),
    }
}
