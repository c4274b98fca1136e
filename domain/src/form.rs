//! The clinical form (`ClinicalForm`: 臨床調査個人票 for 難病, 医療意見書 for 小慢) and its life:
//! draft → submitted → received by the municipality (アクセスキー registered) → certified or not
//! (or, for registrant-certificate-only forms, certificate issued or not), or withdrawn.
//! Every edit is an event of field-level changes; the machine judgment runs on every save and
//! is recorded, with the master version it used, when its result changes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::aggregate::Aggregate;
use crate::codes::{InstitutionCode, LocalGovernmentCode, RecipientNumber};
use crate::disease::DiseaseForm;
use crate::event::{DomainEvent, EventKind};
use crate::judgment::{ItemError, Judgment, Purpose};
use crate::municipality::Municipalities;
use crate::program::{Program, Role};

/// 新規 or 更新.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Application {
    New,
    Renewal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

/// The patient as the form names them. Personal data: never logged, never in research extracts
/// or on the bus; `Debug` hides it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Patient {
    pub name_kanji: String,
    pub name_kana: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    pub sex: Sex,
    pub address: String,
    /// The municipality of the address (全国地方公共団体コード).
    pub municipality: LocalGovernmentCode,
    pub insurer_number: Option<String>,
    pub insured_symbol_number: Option<String>,
    /// 受給者番号, once the patient has one.
    pub recipient_number: Option<RecipientNumber>,
}

/// The longest 漢字氏名 a form takes.
pub const NAME_MAX_CHARS: usize = 50;
/// The longest カナ氏名.
pub const KANA_MAX_CHARS: usize = 100;
/// The longest 住所.
pub const ADDRESS_MAX_CHARS: usize = 200;
/// The longest 被保険者証の記号・番号.
pub const SYMBOL_NUMBER_MAX_CHARS: usize = 40;

impl Patient {
    /// The block as the registry stores it: the kana reading in full-width katakana with
    /// single spaces, numbers and codes in ASCII digits, the rest trimmed. The kanji name and
    /// the address are kept as written.
    pub fn normalized(&self) -> Patient {
        let code = |s: &Option<String>| {
            s.as_deref()
                .map(crate::text::normalize_code)
                .filter(|s| !s.is_empty())
        };
        Patient {
            name_kanji: self.name_kanji.trim().to_owned(),
            name_kana: crate::text::normalize_kana(&self.name_kana),
            birth_date: self.birth_date.trim().to_owned(),
            sex: self.sex,
            address: self.address.trim().to_owned(),
            municipality: self.municipality.clone(),
            insurer_number: code(&self.insurer_number),
            insured_symbol_number: self
                .insured_symbol_number
                .as_deref()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty()),
            recipient_number: self.recipient_number.clone(),
        }
    }

    /// The field-by-field rules of the national forms (see docs/masters.md, "The patient
    /// block"): one error per field that breaks them, named `patient.<field>`. Call it on the
    /// [`normalized`](Patient::normalized) block.
    pub fn problems(&self) -> Vec<ItemError> {
        use crate::text::{check_kana, check_line, check_name, TextProblem};
        let mut errors = Vec::new();
        let mut field = |name: &str, label: &str, result: Result<(), TextProblem>| {
            if let Err(problem) = result {
                let (ja, en) = problem.messages();
                let code = match problem {
                    TextProblem::Empty => "required",
                    TextProblem::TooLong(_) => "too_long",
                    TextProblem::Invisible => "invalid_characters",
                    TextProblem::NotAllowed => "invalid_characters",
                };
                errors.push(ItemError::new(
                    &format!("patient.{name}"),
                    code,
                    format!("{label}: {ja}"),
                    format!("patient.{name}: {en}"),
                ));
            }
        };
        field(
            "name_kanji",
            "氏名",
            check_name(&self.name_kanji, NAME_MAX_CHARS),
        );
        field(
            "name_kana",
            "氏名（カナ）",
            check_kana(&self.name_kana, KANA_MAX_CHARS),
        );
        field(
            "address",
            "住所",
            check_line(&self.address, ADDRESS_MAX_CHARS),
        );
        if let Some(n) = &self.insurer_number {
            // 保険者番号: 8 digits, or 6 for a 国民健康保険.
            let digits = n.bytes().all(|b| b.is_ascii_digit()) && matches!(n.len(), 6 | 8);
            field(
                "insurer_number",
                "保険者番号",
                if digits {
                    Ok(())
                } else {
                    Err(TextProblem::NotAllowed)
                },
            );
        }
        if let Some(s) = &self.insured_symbol_number {
            field(
                "insured_symbol_number",
                "被保険者証の記号・番号",
                check_line(s, SYMBOL_NUMBER_MAX_CHARS),
            );
        }
        if !crate::judgment::valid_date(&self.birth_date) {
            errors.push(ItemError::new(
                "patient.birth_date",
                "invalid_date",
                "生年月日: 日付を YYYY-MM-DD で入力してください。".into(),
                "patient.birth_date: must be a date YYYY-MM-DD".into(),
            ));
        }
        errors
    }

    /// A key shared by the forms of one patient within a program: a digest of the kana name
    /// (spaces removed), birth date and sex. It groups records for the read audit and the
    /// history; it is not a pseudonym for research (that one is keyed with a secret).
    pub fn key(&self, program: Program) -> String {
        use sha2::{Digest, Sha256};
        let kana: String = self
            .name_kana
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let sex = serde_json::to_string(&self.sex).unwrap_or_default();
        let digest = Sha256::digest(
            format!("patient/v1|{program}|{kana}|{}|{sex}", self.birth_date).as_bytes(),
        );
        hex::encode(&digest[..16])
    }
}

impl std::fmt::Debug for Patient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Patient(***)")
    }
}

/// The scan of an old-version paper form (旧様式の紙の臨個票), stored by content hash; the
/// municipality transcribes its items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaperScan {
    pub sha256: String,
    pub media_type: String,
    pub size: u64,
}

/// Where a carried-over form (前回値踏襲) came from, and which items the new form version no
/// longer has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CarryOver {
    pub from_form: String,
    pub dropped_items: Vec<String>,
}

/// Where an imported form came from (一括取込): the import job and row, the sending system's
/// reference for the form, and for a contractor import the contractor (委託業者) that prepared
/// it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportOrigin {
    pub job: String,
    pub row: u64,
    pub external_ref: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contractor: Option<String>,
}

/// One item's change, old → new (`null` for absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemChange {
    pub item: String,
    pub old: Value,
    pub new: Value,
}

/// One field of the patient block changed, old → new. Personal data: `Debug` names the field
/// only.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct PatientChange {
    pub field: String,
    pub old: Value,
    pub new: Value,
}

impl std::fmt::Debug for PatientChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PatientChange({}, ***)", self.field)
    }
}

/// The municipality's review result (審査結果).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum ReviewResult {
    /// Subsidy granted for a period (`YYYY-MM-DD`).
    Certified {
        from: String,
        to: String,
    },
    /// Subsidy refused; when the diagnostic criteria are met (only the severity is not), the
    /// 登録者証 is still issued.
    NotCertified {
        reason: String,
        #[serde(default)]
        certificate_issued: bool,
    },
    /// Registrant-certificate-only forms: 登録者証 issued (it does not expire).
    CertificateIssued,
    CertificateNotIssued {
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Submitted,
    Received,
    Decided,
    Withdrawn,
}

/// The master a judgment used: disease, form version and the master version id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MasterRef {
    pub disease: String,
    pub form_version: String,
    pub master_version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum FormEvent {
    FormDrafted {
        program: Program,
        disease: String,
        form_version: String,
        application: Application,
        purpose: Purpose,
        institution: InstitutionCode,
        author: String,
        /// The 実施主体 (prefecture or designated city) that reviews the form.
        jurisdiction: LocalGovernmentCode,
        patient: Box<Patient>,
        research_consent: bool,
        items: BTreeMap<String, Value>,
        carried_over: Option<CarryOver>,
        /// A paper form registered by the municipality: received at once.
        #[serde(default)]
        paper: Option<PaperScan>,
        /// A form created by a bulk import.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        imported: Option<ImportOrigin>,
    },
    ItemsEdited {
        changes: Vec<ItemChange>,
    },
    /// The whole machine judgment (outcome, each criterion, errors, auto-filled values) and the
    /// master version that produced it.
    JudgmentRecorded {
        judgment: Judgment,
        master: MasterRef,
    },
    /// Submitted; the アクセスキー is issued now, printed on the patient's copy of the form, and
    /// entered by the municipality when the application arrives.
    FormSubmitted {
        by: String,
        access_key: String,
    },
    FormReceived {
        access_key: String,
    },
    /// データ修正 by the municipality; the reason is in the event metadata.
    DataCorrected {
        changes: Vec<ItemChange>,
    },
    /// 行政記載欄: fields only the municipality fills (field, old → new).
    AdministrativeFieldsRecorded {
        changes: Vec<ItemChange>,
    },
    ReviewResultRecorded {
        result: ReviewResult,
    },
    FormWithdrawn {
        reason: String,
    },
    /// The patient's data corrected (a typo, a move within the jurisdiction, a new insurance):
    /// `changes` names each field (`name_kana`, `address`, …) with its old and new value, and
    /// `patient` is the whole patient block after the change, as `FormDrafted` carries it, so
    /// read models need not fold the form. Before submission by the institution; after it with
    /// a reason, by the doctor until receipt and by the municipality after (データ修正).
    PatientDataChanged {
        /// The form's program (the patient's key depends on it).
        program: Program,
        changes: Vec<PatientChange>,
        patient: Box<Patient>,
    },
}

impl DomainEvent for FormEvent {
    const KINDS: &'static [EventKind] = &[
        EventKind::new("FormDrafted"),
        EventKind::new("ItemsEdited"),
        EventKind::new("JudgmentRecorded"),
        EventKind::new("FormSubmitted"),
        EventKind::new("FormReceived"),
        EventKind::new("DataCorrected"),
        EventKind::new("AdministrativeFieldsRecorded"),
        EventKind::new("ReviewResultRecorded"),
        EventKind::new("FormWithdrawn"),
        EventKind::new("PatientDataChanged"),
    ];
}

/// Which kind of designated doctor an account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Designation {
    /// 難病指定医.
    Nanbyo,
    /// 協力難病指定医: renewals only.
    CooperatingNanbyo,
    /// 小慢指定医.
    Shoman,
}

/// Who is acting, with the scope their account has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    pub account: String,
    pub role: Role,
    pub program: Program,
    /// Primary and approved secondary institutions (doctors, clerks).
    pub institutions: Vec<InstitutionCode>,
    /// The prefecture or designated city (municipality users).
    pub jurisdiction: Option<LocalGovernmentCode>,
    pub designation: Option<Designation>,
    /// The institution this account is the 責任者 (responsible person) of.
    #[serde(default)]
    pub responsible_for: Option<InstitutionCode>,
}

/// What a form command wants, with the actor and, where the judgment runs, the master.
#[derive(Debug, Clone)]
pub struct FormCommand {
    pub actor: Actor,
    /// Mandatory for changes after submission.
    pub reason: Option<String>,
    /// Today (`YYYY-MM-DD`, Japan time), for transitional criteria; the domain has no clock.
    pub today: Option<String>,
    pub action: FormAction,
}

#[derive(Debug, Clone)]
pub enum FormAction {
    Draft {
        master: std::sync::Arc<(DiseaseForm, String)>,
        /// The 実施主体 list in force: the jurisdiction must be the patient's.
        municipalities: std::sync::Arc<Municipalities>,
        application: Application,
        purpose: Purpose,
        institution: InstitutionCode,
        jurisdiction: LocalGovernmentCode,
        patient: Box<Patient>,
        research_consent: bool,
        items: BTreeMap<String, Value>,
        carried_over: Option<CarryOver>,
        /// Registers an old-version paper form (municipality staff) instead of a doctor's draft.
        paper: Option<PaperScan>,
        /// Created by a bulk import; with a contractor, by an operator for any institution.
        imported: Option<Box<ImportOrigin>>,
    },
    Edit {
        master: std::sync::Arc<(DiseaseForm, String)>,
        items: BTreeMap<String, Value>,
    },
    /// `access_key`: a fresh key made by the caller (see `commands::forms::new_access_key`).
    Submit {
        access_key: String,
    },
    Receive {
        access_key: String,
    },
    Correct {
        master: std::sync::Arc<(DiseaseForm, String)>,
        items: BTreeMap<String, Value>,
    },
    Review {
        result: ReviewResult,
    },
    /// 行政記載欄: `null` clears a field.
    RecordAdministrative {
        fields: BTreeMap<String, Value>,
    },
    Withdraw {
        reason: String,
    },
    /// The whole corrected patient block; the event lists the fields that differ.
    ChangePatient {
        patient: Box<Patient>,
        municipalities: std::sync::Arc<Municipalities>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("the form already exists")]
    AlreadyExists,
    #[error("no such form")]
    NotFound,
    #[error("not permitted: {0}")]
    Forbidden(&'static str),
    #[error("not possible while the form is {0:?}")]
    WrongStatus(Status),
    #[error("a reason is required for a change after submission")]
    ReasonRequired,
    #[error("the form's items are not valid")]
    InvalidItems(Vec<ItemError>),
    #[error("the master is for another disease, program or form version")]
    WrongMaster,
    #[error("nothing changed")]
    Unchanged,
    #[error("{0}")]
    Invalid(&'static str),
    #[error("the disease or form version is not in the master")]
    UnknownDisease,
    #[error("the medical institution is not registered in the master")]
    UnknownInstitution,
    #[error("the access key does not match this form")]
    AccessKeyMismatch,
    #[error(
        "the previous form must be a form of the same patient and disease that was not withdrawn"
    )]
    CarryOverMismatch,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClinicalForm {
    pub exists: bool,
    pub program: Option<Program>,
    pub disease: String,
    pub form_version: String,
    pub application: Option<Application>,
    pub purpose: Option<Purpose>,
    pub institution: Option<InstitutionCode>,
    pub jurisdiction: Option<LocalGovernmentCode>,
    pub author: String,
    pub items: BTreeMap<String, Value>,
    pub status: Option<Status>,
    pub judgment: Option<(Judgment, MasterRef)>,
    pub access_key: Option<String>,
    pub review: Option<ReviewResult>,
    /// Set for an old-version paper form.
    pub paper: Option<PaperScan>,
    /// 行政記載欄.
    pub administrative: BTreeMap<String, Value>,
    /// Set for a form created by a bulk import.
    pub imported: Option<ImportOrigin>,
    /// The patient as drafted, with every correction since.
    pub patient: Option<Patient>,
}

/// The current form version (令和6年4月1日改訂版); paper forms are of an earlier one.
pub const CURRENT_FORM_VERSION: &str = "2024-04-01";

/// The 行政記載欄 fields: what the municipality records on a form.
pub const ADMINISTRATIVE_FIELDS: &[(&str, &str)] = &[
    ("application_date", "申請日 (YYYY-MM-DD)"),
    ("recipient_number", "受給者番号 (7 digits with check digit)"),
    ("mild_high_cost", "軽症高額該当 (true/false)"),
    ("high_cost_long_term", "高額かつ長期 (true/false)"),
    ("life_support", "人工呼吸器等装着者 (true/false)"),
    ("remarks", "備考 (text, at most 500 characters)"),
];

fn check_administrative(field: &str, value: &Value) -> Result<(), ItemError> {
    let bad = |en: &str| {
        Err(ItemError {
            item: field.to_owned(),
            code: "invalid_type".into(),
            message_ja: format!("{field}: 行政記載欄の値が正しくありません。"),
            message_en: format!("{field}: {en}"),
        })
    };
    if value.is_null() {
        return if ADMINISTRATIVE_FIELDS.iter().any(|(f, _)| *f == field) {
            Ok(())
        } else {
            bad("not an administrative field")
        };
    }
    match field {
        "application_date" if value.as_str().is_some_and(crate::judgment::valid_date) => Ok(()),
        "application_date" => bad("must be a date YYYY-MM-DD"),
        "recipient_number" => match value.as_str().map(RecipientNumber::parse) {
            Some(Ok(_)) => Ok(()),
            _ => bad("must be a 7-digit recipient number with a valid check digit"),
        },
        "mild_high_cost" | "high_cost_long_term" | "life_support" if value.is_boolean() => Ok(()),
        "mild_high_cost" | "high_cost_long_term" | "life_support" => bad("must be true or false"),
        "remarks" if value.as_str().is_some_and(|s| s.chars().count() <= 500) => Ok(()),
        "remarks" => bad("must be text of at most 500 characters"),
        _ => bad("not an administrative field"),
    }
}

/// The アクセスキー alphabet: letters and digits that cannot be misread (no 0/O, 1/I).
pub const ACCESS_KEY_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

pub fn valid_access_key(key: &str) -> bool {
    key.len() == 12 && key.bytes().all(|b| ACCESS_KEY_ALPHABET.contains(&b))
}

/// 前回値踏襲: the previous form's items that the new form version still has, and the ids of
/// those it dropped. Derived items are not carried: the judgment fills them again.
pub fn carry_over_items(
    previous: &BTreeMap<String, Value>,
    master: &DiseaseForm,
) -> (BTreeMap<String, Value>, Vec<String>) {
    let derived: Vec<&str> = master
        .rules
        .derived
        .iter()
        .map(|d| d.target.as_str())
        .collect();
    let mut kept = BTreeMap::new();
    let mut dropped = Vec::new();
    for (id, value) in previous {
        if derived.contains(&id.as_str()) {
            continue;
        }
        match master.item(id) {
            Some(def) if crate::judgment::check_value(def, value).is_ok() => {
                kept.insert(id.clone(), value.clone());
            }
            _ => dropped.push(id.clone()),
        }
    }
    (kept, dropped)
}

fn changes(old: &BTreeMap<String, Value>, new: &BTreeMap<String, Value>) -> Vec<ItemChange> {
    new.iter()
        .filter(|(k, v)| old.get(*k).unwrap_or(&Value::Null) != *v)
        .map(|(k, v)| ItemChange {
            item: k.clone(),
            old: old.get(k).cloned().unwrap_or(Value::Null),
            new: v.clone(),
        })
        .collect()
}

/// A patient block a form may carry: a valid birth date, both names, and a municipality whose
/// implementing body (its designated city, wards included, or else its prefecture) is the
/// form's jurisdiction.
/// `jurisdiction`: the form's, checked against the list in force — `None` when the
/// municipality is not being set (a correction that keeps it keeps the form where it is, even
/// if a later list would place it elsewhere).
fn check_patient(
    patient: &Patient,
    jurisdiction: Option<&LocalGovernmentCode>,
    municipalities: &Municipalities,
) -> Result<(), FormError> {
    let problems = patient.problems();
    if !problems.is_empty() {
        return Err(FormError::InvalidItems(problems));
    }
    let elsewhere = jurisdiction.is_some_and(|j| {
        municipalities
            .responsible_for(&patient.municipality)
            .as_ref()
            != Some(j)
    });
    if elsewhere {
        return Err(FormError::Invalid(
            "the jurisdiction must be the implementing body of the patient's municipality",
        ));
    }
    Ok(())
}

/// The longest reason a change carries (データ修正, withdrawal, a refusal).
pub const REASON_MAX_CHARS: usize = 1000;

/// Every reason a command carries is free text under the same rules as a text item: no
/// control or text-direction characters, at most [`REASON_MAX_CHARS`].
fn check_reason_texts(command: &FormCommand) -> Result<(), FormError> {
    let mut texts: Vec<(&str, &str)> = Vec::new();
    if let Some(r) = &command.reason {
        texts.push(("reason", r));
    }
    match &command.action {
        FormAction::Withdraw { reason } => texts.push(("reason", reason)),
        FormAction::Review {
            result:
                ReviewResult::NotCertified { reason, .. }
                | ReviewResult::CertificateNotIssued { reason },
        } => texts.push(("result.reason", reason)),
        _ => {}
    }
    let errors: Vec<ItemError> = texts
        .into_iter()
        .filter_map(|(field, text)| {
            crate::text::check_free_text(text, REASON_MAX_CHARS)
                .err()
                .map(|problem| {
                    let (ja, en) = problem.messages();
                    ItemError::new(
                        field,
                        if matches!(problem, crate::text::TextProblem::TooLong(_)) {
                            "too_long"
                        } else {
                            "invalid_characters"
                        },
                        format!("理由: {ja}"),
                        format!("{field}: {en}"),
                    )
                })
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(FormError::InvalidItems(errors))
    }
}

/// The fields of the patient block that differ, each as (field, old, new).
pub fn patient_changes(old: &Patient, new: &Patient) -> Vec<PatientChange> {
    let as_map = |p: &Patient| match serde_json::to_value(p) {
        Ok(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    let (old, new) = (as_map(old), as_map(new));
    new.iter()
        .filter(|(k, v)| old.get(*k).unwrap_or(&Value::Null) != *v)
        .map(|(k, v)| PatientChange {
            field: k.clone(),
            old: old.get(k).cloned().unwrap_or(Value::Null),
            new: v.clone(),
        })
        .collect()
}

/// Items whose type or range is wrong cannot be stored; requirement and consistency problems
/// can (a draft is incomplete) and show in the judgment.
fn check_items(master: &DiseaseForm, items: &BTreeMap<String, Value>) -> Result<(), FormError> {
    let errors: Vec<ItemError> = items
        .iter()
        .filter(|(_, v)| !v.is_null())
        .filter_map(|(id, v)| match master.item(id) {
            None => Some(ItemError {
                item: id.clone(),
                code: "unknown_item".into(),
                message_ja: format!("{id}: この様式にない項目です。"),
                message_en: format!("{id}: not an item of this form"),
            }),
            Some(def) => crate::judgment::check_value(def, v).err(),
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(FormError::InvalidItems(errors))
    }
}

impl ClinicalForm {
    /// The judgment of `items` under `master`, as an event when anything in it — or the master
    /// version — differs from the last one recorded.
    fn judged(
        &self,
        master: &(DiseaseForm, String),
        items: &BTreeMap<String, Value>,
        purpose: Purpose,
        today: Option<&str>,
    ) -> Option<FormEvent> {
        let judgment = master.0.judge_on(items, purpose, today);
        let master = MasterRef {
            disease: master.0.code.clone(),
            form_version: master.0.form_version.clone(),
            master_version: master.1.clone(),
        };
        // The day alone does not make a new judgment.
        let same = self.judgment.as_ref().is_some_and(|(j, m)| {
            *m == master
                && Judgment {
                    judged_on: judgment.judged_on.clone(),
                    ..j.clone()
                } == judgment
        });
        (!same).then_some(FormEvent::JudgmentRecorded { judgment, master })
    }

    /// Program, institution and jurisdiction scope of the actor for this form.
    /// Municipality users see a form once it has been submitted to them, not while it is the
    /// doctor's draft.
    pub fn in_scope(&self, actor: &Actor) -> bool {
        if self.program != Some(actor.program) {
            return false;
        }
        match actor.role {
            Role::DesignatedDoctor | Role::Clerk => self
                .institution
                .as_ref()
                .is_some_and(|i| actor.institutions.contains(i)),
            Role::MunicipalityStaff | Role::MunicipalityAdmin => {
                self.jurisdiction.is_some()
                    && self.jurisdiction == actor.jurisdiction
                    && !matches!(self.status, Some(Status::Draft) | None)
            }
            _ => false,
        }
    }

    fn same_master(&self, master: &DiseaseForm) -> bool {
        Some(master.program) == self.program
            && master.code == self.disease
            && master.form_version == self.form_version
    }
}

impl Aggregate for ClinicalForm {
    const STREAM_TYPE: &'static str = "form";
    type Event = FormEvent;
    type Command = FormCommand;
    type Error = FormError;

    fn decide(&self, command: &FormCommand) -> Result<Vec<FormEvent>, FormError> {
        let actor = &command.actor;
        let status = self.status;
        check_reason_texts(command)?;
        // Outside the actor's program, institution or jurisdiction a form does not exist for
        // them: answering "forbidden" would tell that it does. An auditor of the program reads
        // every form of it, so it is told that it may not change one (403), not that none exists.
        let audits = actor.role == Role::Auditor && self.program == Some(actor.program);
        // The operator who imports contractors' forms updates them (by re-importing, or the
        // patient on screen).
        let imports = actor.role == Role::Operator
            && matches!(
                command.action,
                FormAction::Edit { .. } | FormAction::ChangePatient { .. }
            )
            && self.program == Some(actor.program)
            && self
                .imported
                .as_ref()
                .is_some_and(|i| i.contractor.is_some());
        if self.exists
            && !self.in_scope(actor)
            && !audits
            && !imports
            && !matches!(command.action, FormAction::Draft { .. })
        {
            return Err(FormError::NotFound);
        }
        match &command.action {
            FormAction::Draft {
                master,
                municipalities,
                application,
                purpose,
                institution,
                jurisdiction,
                patient,
                research_consent,
                items,
                carried_over,
                paper,
                imported,
            } => {
                if self.exists {
                    return Err(FormError::AlreadyExists);
                }
                if master.0.program != actor.program {
                    return Err(FormError::Forbidden(
                        "the disease belongs to the other program",
                    ));
                }
                let by_contractor = imported.as_ref().is_some_and(|i| i.contractor.is_some());
                match paper {
                    // A form a contractor prepared, imported by an operator for any
                    // institution; the institution's doctor submits it.
                    None if by_contractor => {
                        if actor.role != Role::Operator {
                            return Err(FormError::Forbidden(
                                "only operators import contractors' forms",
                            ));
                        }
                        if carried_over.is_some() {
                            return Err(FormError::Invalid("an imported form is not carried over"));
                        }
                    }
                    // A doctor's (or clerk's) online form, at one of their institutions.
                    None => {
                        if !matches!(actor.role, Role::DesignatedDoctor | Role::Clerk) {
                            return Err(FormError::Forbidden(
                                "only doctors and clerks create forms",
                            ));
                        }
                        if !actor.institutions.contains(institution) {
                            return Err(FormError::Forbidden(
                                "the institution is not one of the actor's",
                            ));
                        }
                    }
                    // A paper form the municipality received and transcribes.
                    Some(_) if imported.as_ref().is_some_and(|i| i.contractor.is_some()) => {
                        return Err(FormError::Invalid(
                            "a contractor does not import paper forms",
                        ));
                    }
                    Some(scan) => {
                        if actor.role != Role::MunicipalityStaff
                            || actor.jurisdiction.as_ref() != Some(jurisdiction)
                        {
                            return Err(FormError::Forbidden(
                                "only municipality staff of the jurisdiction register paper forms",
                            ));
                        }
                        if carried_over.is_some() {
                            return Err(FormError::Invalid("a paper form is not carried over"));
                        }
                        if master.0.form_version.as_str() >= CURRENT_FORM_VERSION {
                            return Err(FormError::Invalid(
                                "paper is accepted for the previous form version only",
                            ));
                        }
                        let hex = scan.sha256.len() == 64
                            && scan.sha256.bytes().all(|b| b.is_ascii_hexdigit());
                        if !hex || scan.size == 0 {
                            return Err(FormError::Invalid("the scan reference is not valid"));
                        }
                    }
                }
                let patient = &patient.normalized();
                check_patient(patient, Some(jurisdiction), municipalities)?;
                check_items(&master.0, items)?;
                let drafted = FormEvent::FormDrafted {
                    program: master.0.program,
                    disease: master.0.code.clone(),
                    form_version: master.0.form_version.clone(),
                    application: *application,
                    purpose: *purpose,
                    institution: institution.clone(),
                    author: actor.account.clone(),
                    jurisdiction: jurisdiction.clone(),
                    patient: Box::new(patient.clone()),
                    research_consent: *research_consent,
                    items: items
                        .iter()
                        .filter(|(_, v)| !v.is_null())
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                    carried_over: carried_over.clone(),
                    paper: paper.clone(),
                    imported: imported.as_deref().cloned(),
                };
                let mut events = vec![drafted];
                events.extend(ClinicalForm::default().judged(
                    master,
                    items,
                    *purpose,
                    command.today.as_deref(),
                ));
                Ok(events)
            }
            FormAction::Edit { master, items } => {
                if !self.exists {
                    return Err(FormError::NotFound);
                }
                // An operator re-imports a contractor's form while it is still a draft.
                let contractor_draft = actor.role == Role::Operator
                    && self.program == Some(actor.program)
                    && status == Some(Status::Draft)
                    && self
                        .imported
                        .as_ref()
                        .is_some_and(|i| i.contractor.is_some());
                if !contractor_draft
                    && (!matches!(actor.role, Role::DesignatedDoctor | Role::Clerk)
                        || !self.in_scope(actor))
                {
                    return Err(FormError::Forbidden(
                        "not a doctor or clerk of the form's institution",
                    ));
                }
                match status {
                    Some(Status::Draft) => {}
                    Some(Status::Submitted) if actor.role == Role::DesignatedDoctor => {
                        if command
                            .reason
                            .as_deref()
                            .is_none_or(|r| r.trim().is_empty())
                        {
                            return Err(FormError::ReasonRequired);
                        }
                    }
                    Some(Status::Submitted) => {
                        return Err(FormError::Forbidden("a clerk may only edit drafts"))
                    }
                    Some(s) => return Err(FormError::WrongStatus(s)),
                    None => return Err(FormError::NotFound),
                }
                self.edit(master, items, command.today.as_deref(), |changes| {
                    FormEvent::ItemsEdited { changes }
                })
            }
            FormAction::ChangePatient {
                patient,
                municipalities,
            } => {
                if !self.exists {
                    return Err(FormError::NotFound);
                }
                let reason_given = command
                    .reason
                    .as_deref()
                    .is_some_and(|r| !r.trim().is_empty());
                match status {
                    Some(Status::Draft) | Some(Status::Submitted) => {
                        let contractor_draft = actor.role == Role::Operator
                            && self.program == Some(actor.program)
                            && status == Some(Status::Draft)
                            && self
                                .imported
                                .as_ref()
                                .is_some_and(|i| i.contractor.is_some());
                        if !contractor_draft
                            && (!matches!(actor.role, Role::DesignatedDoctor | Role::Clerk)
                                || !self.in_scope(actor))
                        {
                            return Err(FormError::Forbidden(
                                "not a doctor or clerk of the form's institution",
                            ));
                        }
                        if status == Some(Status::Submitted) {
                            if actor.role != Role::DesignatedDoctor {
                                return Err(FormError::Forbidden("a clerk may only edit drafts"));
                            }
                            if !reason_given {
                                return Err(FormError::ReasonRequired);
                            }
                        }
                    }
                    Some(Status::Received | Status::Decided) => {
                        if actor.role != Role::MunicipalityStaff || !self.in_scope(actor) {
                            return Err(FormError::Forbidden(
                                "not municipality staff of the form's jurisdiction",
                            ));
                        }
                        if !reason_given {
                            return Err(FormError::ReasonRequired);
                        }
                    }
                    Some(s) => return Err(FormError::WrongStatus(s)),
                    None => return Err(FormError::NotFound),
                }
                let (Some(current), Some(jurisdiction)) = (&self.patient, &self.jurisdiction)
                else {
                    return Err(FormError::NotFound);
                };
                // A patient who moved to another implementing body's area is that body's: a
                // form there, not a correction here.
                let patient = &patient.normalized();
                let moved = patient.municipality != current.municipality;
                check_patient(patient, moved.then_some(jurisdiction), municipalities)?;
                let changes = patient_changes(current, patient);
                if changes.is_empty() {
                    return Err(FormError::Unchanged);
                }
                let Some(program) = self.program else {
                    return Err(FormError::NotFound);
                };
                Ok(vec![FormEvent::PatientDataChanged {
                    program,
                    changes,
                    patient: Box::new(patient.clone()),
                }])
            }
            FormAction::Correct { master, items } => {
                if !self.exists {
                    return Err(FormError::NotFound);
                }
                if actor.role != Role::MunicipalityStaff || !self.in_scope(actor) {
                    return Err(FormError::Forbidden(
                        "not municipality staff of the form's jurisdiction",
                    ));
                }
                if !matches!(status, Some(Status::Received | Status::Decided)) {
                    return Err(FormError::WrongStatus(status.unwrap_or(Status::Draft)));
                }
                if command
                    .reason
                    .as_deref()
                    .is_none_or(|r| r.trim().is_empty())
                {
                    return Err(FormError::ReasonRequired);
                }
                self.edit(master, items, command.today.as_deref(), |changes| {
                    FormEvent::DataCorrected { changes }
                })
            }
            FormAction::RecordAdministrative { fields } => {
                if !self.exists {
                    return Err(FormError::NotFound);
                }
                if actor.role != Role::MunicipalityStaff {
                    return Err(FormError::Forbidden(
                        "only municipality staff fill the administrative fields",
                    ));
                }
                if !matches!(status, Some(Status::Received | Status::Decided)) {
                    return Err(FormError::WrongStatus(status.unwrap_or(Status::Draft)));
                }
                let errors: Vec<ItemError> = fields
                    .iter()
                    .filter_map(|(k, v)| check_administrative(k, v).err())
                    .collect();
                if !errors.is_empty() {
                    return Err(FormError::InvalidItems(errors));
                }
                let changes = changes(&self.administrative, fields);
                if changes.is_empty() {
                    return Err(FormError::Unchanged);
                }
                // Changing what was recorded keeps why.
                let overwrites = changes.iter().any(|c| !c.old.is_null());
                if overwrites
                    && command
                        .reason
                        .as_deref()
                        .is_none_or(|r| r.trim().is_empty())
                {
                    return Err(FormError::ReasonRequired);
                }
                Ok(vec![FormEvent::AdministrativeFieldsRecorded { changes }])
            }
            FormAction::Submit { access_key } => {
                if !self.exists {
                    return Err(FormError::NotFound);
                }
                if actor.role != Role::DesignatedDoctor || !self.in_scope(actor) {
                    return Err(FormError::Forbidden(
                        "only a designated doctor of the institution submits",
                    ));
                }
                let designated = matches!(
                    (actor.program, actor.designation),
                    (
                        Program::Nanbyo,
                        Some(Designation::Nanbyo | Designation::CooperatingNanbyo)
                    ) | (Program::Shoman, Some(Designation::Shoman))
                );
                if !designated {
                    return Err(FormError::Forbidden(
                        "a designation for this program is required to submit",
                    ));
                }
                if actor.designation == Some(Designation::CooperatingNanbyo)
                    && self.application != Some(Application::Renewal)
                {
                    return Err(FormError::Forbidden(
                        "a 協力難病指定医 may only submit renewals",
                    ));
                }
                if status != Some(Status::Draft) {
                    return Err(FormError::WrongStatus(status.unwrap_or(Status::Draft)));
                }
                if !valid_access_key(access_key) {
                    return Err(FormError::Invalid("an access key is 12 letters and digits"));
                }
                Ok(vec![FormEvent::FormSubmitted {
                    by: actor.account.clone(),
                    access_key: access_key.clone(),
                }])
            }
            FormAction::Receive { access_key } => {
                if !self.exists {
                    return Err(FormError::NotFound);
                }
                if actor.role != Role::MunicipalityStaff || !self.in_scope(actor) {
                    return Err(FormError::Forbidden(
                        "not municipality staff of the form's jurisdiction",
                    ));
                }
                if status != Some(Status::Submitted) {
                    return Err(FormError::WrongStatus(status.unwrap_or(Status::Draft)));
                }
                let key = access_key.trim().to_ascii_uppercase();
                if self.access_key.as_deref() != Some(key.as_str()) {
                    return Err(FormError::AccessKeyMismatch);
                }
                Ok(vec![FormEvent::FormReceived { access_key: key }])
            }
            FormAction::Review { result } => {
                if !self.exists {
                    return Err(FormError::NotFound);
                }
                if actor.role != Role::MunicipalityStaff || !self.in_scope(actor) {
                    return Err(FormError::Forbidden(
                        "not municipality staff of the form's jurisdiction",
                    ));
                }
                if status != Some(Status::Received) {
                    return Err(FormError::WrongStatus(status.unwrap_or(Status::Draft)));
                }
                let certificate_only = self.purpose == Some(Purpose::RegistrantCertificateOnly);
                let fits = match result {
                    ReviewResult::Certified { from, to } => {
                        !certificate_only
                            && crate::judgment::valid_date(from)
                            && crate::judgment::valid_date(to)
                            && from <= to
                    }
                    ReviewResult::NotCertified { reason, .. } => {
                        !certificate_only && !reason.trim().is_empty()
                    }
                    ReviewResult::CertificateIssued => certificate_only,
                    ReviewResult::CertificateNotIssued { reason } => {
                        certificate_only && !reason.trim().is_empty()
                    }
                };
                if !fits {
                    return Err(FormError::Invalid(
                        "the result does not fit the form's purpose, or lacks a period or reason",
                    ));
                }
                Ok(vec![FormEvent::ReviewResultRecorded {
                    result: result.clone(),
                }])
            }
            FormAction::Withdraw { reason } => {
                if !self.exists {
                    return Err(FormError::NotFound);
                }
                // Doctors withdraw their drafts and submitted forms; once received, only the
                // municipality's staff withdraw (an application the patient takes back).
                let allowed_status = match actor.role {
                    Role::DesignatedDoctor => {
                        matches!(status, Some(Status::Draft | Status::Submitted))
                    }
                    Role::MunicipalityStaff => matches!(status, Some(Status::Received)),
                    _ => {
                        return Err(FormError::Forbidden(
                            "only the doctor or the municipality's staff withdraw",
                        ))
                    }
                };
                if !self.in_scope(actor) {
                    return Err(FormError::Forbidden("not permitted to withdraw this form"));
                }
                if !allowed_status {
                    return Err(FormError::WrongStatus(status.unwrap_or(Status::Draft)));
                }
                if reason.trim().is_empty() {
                    return Err(FormError::ReasonRequired);
                }
                Ok(vec![FormEvent::FormWithdrawn {
                    reason: reason.clone(),
                }])
            }
        }
    }

    fn apply(mut self, event: &FormEvent) -> Self {
        match event {
            FormEvent::FormDrafted {
                program,
                disease,
                form_version,
                application,
                purpose,
                institution,
                author,
                jurisdiction,
                items,
                paper,
                imported,
                patient,
                ..
            } => {
                self.exists = true;
                self.patient = Some((**patient).clone());
                self.imported = imported.clone();
                self.program = Some(*program);
                self.disease = disease.clone();
                self.form_version = form_version.clone();
                self.application = Some(*application);
                self.purpose = Some(*purpose);
                self.institution = Some(institution.clone());
                self.jurisdiction = Some(jurisdiction.clone());
                self.author = author.clone();
                self.items = items.clone();
                self.paper = paper.clone();
                self.status = Some(if paper.is_some() {
                    Status::Received
                } else {
                    Status::Draft
                });
            }
            FormEvent::AdministrativeFieldsRecorded { changes } => {
                for c in changes {
                    if c.new.is_null() {
                        self.administrative.remove(&c.item);
                    } else {
                        self.administrative.insert(c.item.clone(), c.new.clone());
                    }
                }
            }
            FormEvent::ItemsEdited { changes } | FormEvent::DataCorrected { changes } => {
                for c in changes {
                    if c.new.is_null() {
                        self.items.remove(&c.item);
                    } else {
                        self.items.insert(c.item.clone(), c.new.clone());
                    }
                }
            }
            FormEvent::JudgmentRecorded { judgment, master } => {
                self.judgment = Some((judgment.clone(), master.clone()))
            }
            FormEvent::FormSubmitted { access_key, .. } => {
                self.access_key = Some(access_key.clone());
                self.status = Some(Status::Submitted);
            }
            FormEvent::FormReceived { .. } => self.status = Some(Status::Received),
            FormEvent::ReviewResultRecorded { result } => {
                self.review = Some(result.clone());
                self.status = Some(Status::Decided);
            }
            FormEvent::FormWithdrawn { .. } => self.status = Some(Status::Withdrawn),
            FormEvent::PatientDataChanged { patient, .. } => {
                self.patient = Some((**patient).clone())
            }
        }
        self
    }
}

impl ClinicalForm {
    /// An edit: the changed items as one event, then the judgment if its result changed.
    /// The judgment the form would get with `items` applied, and the values among them the
    /// registry would refuse (left out of that judgment): a preview that records nothing, for
    /// the live judgment of the web client. An item left empty (`null`) is cleared.
    pub fn preview(
        &self,
        master: &(DiseaseForm, String),
        items: &BTreeMap<String, Value>,
        today: Option<&str>,
    ) -> Result<(Judgment, Vec<ItemError>), FormError> {
        if !self.same_master(&master.0) {
            return Err(FormError::WrongMaster);
        }
        let mut after = self.items.clone();
        let mut refused = vec![];
        for (id, value) in items {
            if value.is_null() {
                after.remove(id);
                continue;
            }
            match check_items(&master.0, &BTreeMap::from([(id.clone(), value.clone())])) {
                Ok(()) => {
                    after.insert(id.clone(), value.clone());
                }
                Err(FormError::InvalidItems(errors)) => {
                    after.remove(id);
                    refused.extend(errors);
                }
                Err(e) => return Err(e),
            }
        }
        let purpose = self.purpose.unwrap_or(Purpose::Subsidy);
        Ok((master.0.judge_on(&after, purpose, today), refused))
    }

    fn edit(
        &self,
        master: &(DiseaseForm, String),
        items: &BTreeMap<String, Value>,
        today: Option<&str>,
        event: impl FnOnce(Vec<ItemChange>) -> FormEvent,
    ) -> Result<Vec<FormEvent>, FormError> {
        if !self.same_master(&master.0) {
            return Err(FormError::WrongMaster);
        }
        check_items(&master.0, items)?;
        let changes = changes(&self.items, items);
        if changes.is_empty() {
            return Err(FormError::Unchanged);
        }
        let mut after = self.items.clone();
        for c in &changes {
            if c.new.is_null() {
                after.remove(&c.item);
            } else {
                after.insert(c.item.clone(), c.new.clone());
            }
        }
        let purpose = self.purpose.unwrap_or(Purpose::Subsidy);
        let mut events = vec![event(changes)];
        events.extend(self.judged(master, &after, purpose, today));
        Ok(events)
    }
}
