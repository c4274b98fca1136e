//! Bulk imports (SPEC 4, 7, 10): one mechanism for forms from in-hospital systems, forms
//! prepared by contractors, and certification results from the municipality's certification
//! office system.
//!
//! A job runs in two passes over the stored file, streaming, so memory does not grow with
//! the file:
//! 1. **validate**: every row is read and checked against the master and the uploader's
//!    permissions; the job records how many rows there are (its progress total);
//! 2. **apply**: rows are read again in batches of [`BATCH_ROWS`]; each batch's forms are
//!    read in one query, each row is decided on them, and the batch's events — of every form
//!    it touched **and** the job's own `ImportRowsApplied` with the results of those rows —
//!    are appended in one transaction ([`EventStore::append_many`]) with the job stream's
//!    exact version. A batch is therefore recorded exactly once: a crash loses a whole batch
//!    or none of it, and a job resumed after a restart carries on after its last recorded row.
//!
//! A row applies completely or not at all; valid rows apply when others fail; a row that asks
//! for what is already recorded (the same file uploaded again) is `unchanged` and appends
//! nothing. Row errors name a column and a code with a message in Japanese and English, never a
//! cell's content.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use domain::disease::DiseaseForm;
use domain::form::{
    Actor, Application, ClinicalForm, FormAction, FormCommand, FormError, FormEvent, ImportOrigin,
    Patient, ReviewResult, Sex, Status,
};
use domain::import_job::{
    FileFailure, ImportCommand, ImportError, ImportEvent, ImportJob, ImportUse, ReceivedFile,
    RowIssue, RowOutcome, RowResult,
};
use domain::institution::Institution;
use domain::judgment::{ItemKind, Purpose};
use domain::{Aggregate, InstitutionCode, LocalGovernmentCode, RecipientNumber};
use eventstore::{
    EventStore, ExpectedVersion, IdempotencyKey, Metadata, NewEvent, RecordedEvent, StoreError,
    StreamAppend, StreamId,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::forms::{scoped_key, today_in_japan, MasterCache};
use crate::ingest::header::{list_cells, HeaderCell, LISTED_HEADERS};
use crate::ingest::{normalize, Cell, RowReader, SourceRow};
use crate::{execute, CommandError, Outcome};

/// Rows per batch: one read of their forms and one append.
pub const BATCH_ROWS: usize = domain::import_job::BATCH_ROWS;

/// Largest file accepted (a million rows of a wide form fit).
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// How often a batch is retried when a form it touches changed meanwhile.
const CONFLICT_RETRIES: usize = 5;

/// A column with a fixed meaning (the other columns of a form import are the master's item
/// ids).
struct Column {
    id: &'static str,
    ja: &'static str,
    required: bool,
}

const fn col(id: &'static str, ja: &'static str, required: bool) -> Column {
    Column { id, ja, required }
}

/// The columns of a form import (hospital or contractor) besides the items.
const FORM_COLUMNS: &[Column] = &[
    col("external_ref", "外部参照ID", true),
    col("institution", "医療機関コード", true),
    col("disease", "疾病番号", true),
    col("form_version", "様式版", false),
    col("application", "新規更新区分", true),
    col("purpose", "申請目的", true),
    col("research_consent", "研究利用同意", true),
    col("patient_name_kanji", "患者氏名", true),
    col("patient_name_kana", "患者氏名カナ", true),
    col("patient_birth_date", "生年月日", true),
    col("patient_sex", "性別", true),
    col("patient_address", "住所", true),
    col("patient_municipality", "市区町村コード", true),
    col("insurer_number", "保険者番号", false),
    col("insured_symbol_number", "被保険者記号番号", false),
    col("recipient_number", "受給者番号", false),
];

/// The columns of a certification results import.
const RESULT_COLUMNS: &[Column] = &[
    col("access_key", "アクセスキー", false),
    col("recipient_number", "受給者番号", false),
    col("result", "審査結果", true),
    col("period_from", "有効期間開始日", false),
    col("period_to", "有効期間終了日", false),
    col("reason", "理由", false),
    col("certificate_issued", "登録者証交付", false),
];

fn columns(use_: ImportUse) -> &'static [Column] {
    match use_ {
        ImportUse::Hospital | ImportUse::Contractor | ImportUse::Paper => FORM_COLUMNS,
        ImportUse::Certification => RESULT_COLUMNS,
    }
}

/// The fixed columns of a use, for the layout documentation: (id, Japanese name, required).
pub fn layout(use_: ImportUse) -> Vec<(&'static str, &'static str, bool)> {
    columns(use_)
        .iter()
        .map(|c| (c.id, c.ja, c.required))
        .collect()
}

/// The column id a header names: its id or its Japanese name (ASCII case ignored, spaces
/// trimmed), or for a form import any item id of the program's master.
fn column_id(use_: ImportUse, header: &str) -> Option<&'static str> {
    let header = header.trim();
    columns(use_)
        .iter()
        .find(|c| c.id.eq_ignore_ascii_case(header) || c.ja == header)
        .map(|c| c.id)
}

/// A column name as a row error may quote it: the header of a CSV or XLSX file was checked
/// against the master, but a JSON Lines key is whatever the line holds (it could be a name or a
/// birth date if the line is malformed), so only a key shaped like an item id is repeated.
fn quotable(column: &str) -> &str {
    let id_like = column.len() <= 64
        && column.starts_with(|c: char| c.is_ascii_lowercase())
        && column
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'));
    if id_like {
        column
    } else {
        "(…)"
    }
}

use domain::import_job::MAX_ISSUES_PER_ROW;

/// `issues`, at most [`MAX_ISSUES_PER_ROW`], the last saying how many more there were.
fn capped(mut issues: Vec<RowIssue>) -> Vec<RowIssue> {
    if issues.len() > MAX_ISSUES_PER_ROW {
        let more = issues.len() - (MAX_ISSUES_PER_ROW - 1);
        issues.truncate(MAX_ISSUES_PER_ROW - 1);
        issues.push(issue(
            None,
            "more_errors",
            format!("ほかに{more}件の誤りがあります。"),
            format!("{more} more errors in this row"),
        ));
    }
    issues
}

fn issue(column: Option<&str>, code: &str, ja: String, en: String) -> RowIssue {
    RowIssue {
        column: column.map(str::to_owned),
        code: code.to_owned(),
        message_ja: ja,
        message_en: en,
    }
}

fn missing(column: &str) -> RowIssue {
    issue(
        Some(column),
        "missing_value",
        format!("{column}: 値がありません。"),
        format!("{column}: a value is required"),
    )
}

fn invalid(column: &str, ja: &str, en: &str) -> RowIssue {
    issue(
        Some(column),
        "invalid_value",
        format!("{column}: {ja}"),
        format!("{column}: {en}"),
    )
}

/// A file-level problem, in both languages.
fn failure(code: &str, ja: impl Into<String>, en: impl Into<String>) -> FileFailure {
    FileFailure {
        code: code.to_owned(),
        message_ja: ja.into(),
        message_en: en.into(),
    }
}

// ---- reading cells ----

fn text_of(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Text(t) => Some(t.clone()),
        Cell::Json(Value::Number(n)) => Some(n.to_string()),
        Cell::Json(Value::Bool(b)) => Some(b.to_string()),
        Cell::Json(_) => None,
    }
}

/// A cell as the JSON value of an item of `kind`; `Err` when it cannot be one. Ranges are the
/// domain's business (it reports them per item).
fn item_value(kind: &ItemKind, cell: &Cell) -> Result<Value, ()> {
    let choice = |options: &[domain::judgment::Choice], text: &str| {
        let text = normalize::code(text);
        options
            .iter()
            .find(|o| o.code == text || normalize::code(&o.label_ja) == text)
            .map(|o| Value::String(o.code.clone()))
    };
    match (kind, cell) {
        (ItemKind::Integer { .. }, Cell::Json(v @ Value::Number(n))) if n.is_i64() => Ok(v.clone()),
        (ItemKind::Integer { .. }, Cell::Text(t)) => {
            normalize::integer(t).map(Value::from).ok_or(())
        }
        (ItemKind::Decimal { .. }, Cell::Json(v @ Value::Number(_))) => Ok(v.clone()),
        (ItemKind::Decimal { .. }, Cell::Text(t)) => normalize::decimal(t)
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or(()),
        (ItemKind::Date, Cell::Text(t)) => normalize::date(t).map(Value::String).ok_or(()),
        (ItemKind::YearMonth, Cell::Text(t)) => {
            normalize::year_month(t).map(Value::String).ok_or(())
        }
        (ItemKind::Boolean, Cell::Json(Value::Bool(b))) => Ok(Value::Bool(*b)),
        (ItemKind::Boolean, Cell::Text(t)) => normalize::boolean(t).map(Value::Bool).ok_or(()),
        (ItemKind::Text { .. }, Cell::Text(t)) => Ok(Value::String(t.trim().to_owned())),
        (ItemKind::Enum { options }, cell) => {
            text_of(cell).and_then(|t| choice(options, &t)).ok_or(())
        }
        (ItemKind::MultiChoice { options }, Cell::Json(Value::Array(values))) => values
            .iter()
            .map(|v| v.as_str().and_then(|t| choice(options, t)).ok_or(()))
            .collect::<Result<Vec<_>, ()>>()
            .map(Value::Array),
        (ItemKind::MultiChoice { options }, Cell::Text(t)) => t
            .split([';', '；', '|', '、'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| choice(options, s).ok_or(()))
            .collect::<Result<Vec<_>, ()>>()
            .map(Value::Array),
        _ => Err(()),
    }
}

// ---- the plan of a row ----

/// What a valid row asks for.
#[derive(Debug, Clone)]
enum Plan {
    /// A form import row: create the draft, or update it when it exists.
    Form(Box<FormRow>),
    /// A certification result for the form found by its key.
    Result(ResultRow),
}

#[derive(Debug, Clone)]
struct FormRow {
    form_id: String,
    /// A paper form (paper imports): its source document.
    paper: Option<domain::form::PaperScan>,
    master: Arc<(DiseaseForm, String)>,
    application: Application,
    purpose: Purpose,
    institution: InstitutionCode,
    jurisdiction: LocalGovernmentCode,
    patient: Patient,
    research_consent: bool,
    items: BTreeMap<String, Value>,
    origin: ImportOrigin,
}

#[derive(Debug, Clone)]
enum FormKey {
    AccessKey(String),
    Recipient(RecipientNumber),
}

#[derive(Debug, Clone)]
struct ResultRow {
    key: FormKey,
    result: ReviewResult,
}

/// What a job knows while it runs: the uploader, the master in force when it started, the
/// registered institutions it met.
pub struct JobContext {
    pub job_id: String,
    pub use_: ImportUse,
    pub actor: Actor,
    pub contractor: Option<String>,
    /// (disease code, form version) → the disease form and its master version.
    diseases: HashMap<(String, String), Arc<(DiseaseForm, String)>>,
    /// Every item id of the program's diseases in force.
    item_ids: std::collections::HashSet<String>,
    institutions: HashMap<String, bool>,
    /// The 実施主体 list in force when the job started.
    municipalities: Arc<domain::municipality::Municipalities>,
    /// For a paper import: the uploaded file, which each of its forms names as its source
    /// document (the municipality transcribed the paper forms into it).
    paper: Option<domain::form::PaperScan>,
    store: Arc<dyn EventStore>,
}

/// The media type a paper import's file is recorded with, by its detected format.
fn media_type(format: Option<&str>) -> &'static str {
    match format {
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("jsonl") => "application/jsonl",
        _ => "text/csv",
    }
}

impl JobContext {
    pub async fn new(
        store: &Arc<dyn EventStore>,
        masters: &MasterCache,
        job_id: &str,
        use_: ImportUse,
        actor: Actor,
        contractor: Option<String>,
    ) -> Result<JobContext, StoreError> {
        masters.refresh(store).await?;
        let snapshot = masters.snapshot().await;
        let municipalities = masters.municipalities(store).await?;
        let mut diseases = HashMap::new();
        let mut item_ids = std::collections::HashSet::new();
        // A row starts a new form today: the diseases a form may be started for today.
        let today = crate::forms::today_in_japan();
        for (version, d) in snapshot.in_force_on(&today) {
            if d.program != actor.program {
                continue;
            }
            item_ids.extend(d.items.iter().map(|i| i.id.clone()));
            diseases.insert(
                (d.code.clone(), d.form_version.clone()),
                Arc::new((d.clone(), version.to_owned())),
            );
        }
        Ok(JobContext {
            job_id: job_id.to_owned(),
            use_,
            actor,
            contractor,
            diseases,
            item_ids,
            institutions: HashMap::new(),
            municipalities,
            paper: None,
            store: store.clone(),
        })
    }

    /// Checks the header of a CSV or XLSX file: the required columns are there, and every
    /// other column is a column of the use or an item of the program's master.
    ///
    /// `headers` are the cells of row 1 by position. A header that does not match is named by
    /// its column, with an excerpt only when it cannot be a person's data ([`excerpt`]): the
    /// failure goes back to the uploader and, recorded in the job, onto the bus.
    ///
    /// [`excerpt`]: crate::ingest::header::excerpt
    pub fn check_headers(&self, headers: &[String]) -> Result<(), FileFailure> {
        let (mut unknown, mut unknown_count) = (vec![], 0);
        let mut seen: Vec<&str> = vec![];
        let (mut duplicated, mut duplicated_count) = (vec![], 0);
        for (column, h) in headers.iter().enumerate() {
            let h = h.trim();
            if h.is_empty() {
                continue;
            }
            let id = match column_id(self.use_, h) {
                Some(id) => id,
                None if self.use_ != ImportUse::Certification && self.item_ids.contains(h) => h,
                None => {
                    unknown_count += 1;
                    if unknown.len() < LISTED_HEADERS {
                        unknown.push(HeaderCell::at(column, h));
                    }
                    continue;
                }
            };
            if seen.contains(&id) {
                duplicated_count += 1;
                if duplicated.len() < LISTED_HEADERS {
                    duplicated.push(HeaderCell::at(column, h));
                }
            }
            seen.push(id);
        }
        let missing: Vec<&Column> = columns(self.use_)
            .iter()
            .filter(|c| c.required && !seen.contains(&c.id))
            .collect();
        if seen.is_empty() {
            let expected = columns(self.use_)
                .iter()
                .filter(|c| c.required)
                .map(|c| c.id)
                .collect::<Vec<_>>()
                .join(", ");
            return Err(failure(
                "header_mismatch",
                format!(
                    "1行目が見出し行になっていません。1行目に列名（{expected}）を入れてください。"
                ),
                format!("Row 1 is not a header row: put the column names ({expected}) in row 1."),
            ));
        }
        if missing.is_empty() && unknown_count == 0 && duplicated_count == 0 {
            return Ok(());
        }
        let (mut ja, mut en) = (
            "1行目の見出しが正しくありません。".to_owned(),
            "The header row (row 1) is not as expected.".to_owned(),
        );
        if !missing.is_empty() {
            let ids: Vec<String> = missing
                .iter()
                .map(|c| format!("{}（{}）", c.id, c.ja))
                .collect();
            ja += &format!("必須の列がありません：{}。", ids.join("、"));
            let ids: Vec<&str> = missing.iter().map(|c| c.id).collect();
            en += &format!(" Missing required columns: {}.", ids.join(", "));
        }
        if unknown_count > 0 {
            let (list_ja, list_en) = list_cells(&unknown, unknown_count);
            ja += &format!("様式にも取込レイアウトにもない列があります：{list_ja}。");
            en += &format!(
                " Columns that are neither import columns nor items of the master: {list_en}."
            );
        }
        if duplicated_count > 0 {
            let (list_ja, list_en) = list_cells(&duplicated, duplicated_count);
            ja += &format!("同じ列が重複しています：{list_ja}。");
            en += &format!(" Columns given more than once: {list_en}.");
        }
        Err(failure("header_mismatch", ja, en))
    }

    async fn institution_registered(&mut self, code: &InstitutionCode) -> Result<bool, StoreError> {
        if let Some(&known) = self.institutions.get(code.as_str()) {
            return Ok(known);
        }
        let registered = match crate::load::<Institution>(&self.store, code.as_str()).await {
            Ok((institution, _)) => institution.code.is_some(),
            Err(CommandError::Store(e)) => return Err(e),
            Err(_) => false,
        };
        self.institutions
            .insert(code.as_str().to_owned(), registered);
        Ok(registered)
    }

    /// Reads and checks one row: its plan, or every problem found in it.
    async fn plan(&mut self, row: &SourceRow) -> Result<Result<Plan, Vec<RowIssue>>, StoreError> {
        let mut fixed: HashMap<&'static str, &Cell> = HashMap::new();
        let mut items: Vec<(&str, &Cell)> = vec![];
        let mut issues = vec![];
        for (header, cell) in &row.cells {
            match column_id(self.use_, header) {
                Some(id) => {
                    fixed.insert(id, cell);
                }
                None if self.use_ != ImportUse::Certification => items.push((header, cell)),
                // Only JSON Lines get here: a CSV header was checked.
                None => {
                    let header = quotable(header);
                    issues.push(issue(
                        Some(header),
                        "unknown_column",
                        format!("{header}: 取込レイアウトにない列です。"),
                        format!("{header}: not a column of this import"),
                    ))
                }
            }
        }
        for c in columns(self.use_) {
            if c.required && !fixed.contains_key(c.id) {
                issues.push(missing(c.id));
            }
        }
        if !issues.is_empty() {
            return Ok(Err(issues));
        }
        let text = |id: &str| fixed.get(id).and_then(|c| text_of(c));
        match self.use_ {
            ImportUse::Certification => Ok(self.plan_result(&text)),
            ImportUse::Hospital | ImportUse::Contractor | ImportUse::Paper => {
                self.plan_form(row.row as u64, &text, &items).await
            }
        }
    }

    fn plan_result(
        &self,
        text: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<Plan, Vec<RowIssue>> {
        let mut issues = vec![];
        let key = match (text("access_key"), text("recipient_number")) {
            (Some(k), _) => {
                let k = normalize::code(&k).to_ascii_uppercase();
                if domain::form::valid_access_key(&k) {
                    Some(FormKey::AccessKey(k))
                } else {
                    issues.push(invalid(
                        "access_key",
                        "アクセスキーは12文字の英数字です。",
                        "an access key is 12 letters and digits",
                    ));
                    None
                }
            }
            (None, Some(n)) => match RecipientNumber::parse(&normalize::code(&n)) {
                Ok(n) => Some(FormKey::Recipient(n)),
                Err(_) => {
                    issues.push(invalid(
                        "recipient_number",
                        "受給者番号は検証番号の正しい7桁の数字です。",
                        "must be a 7-digit recipient number with a valid check digit",
                    ));
                    None
                }
            },
            (None, None) => {
                issues.push(issue(
                    Some("access_key"),
                    "missing_value",
                    "アクセスキーまたは受給者番号のどちらかが必要です。".into(),
                    "either the access key or the recipient number is required".into(),
                ));
                None
            }
        };
        let reason = text("reason")
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty());
        let period = |id: &str, issues: &mut Vec<RowIssue>| match text(id) {
            None => {
                issues.push(missing(id));
                None
            }
            Some(t) => normalize::date(&t).or_else(|| {
                issues.push(invalid(
                    id,
                    "日付を YYYY-MM-DD で入力してください。",
                    "must be a date YYYY-MM-DD",
                ));
                None
            }),
        };
        let need_reason = |issues: &mut Vec<RowIssue>| {
            if reason.is_none() {
                issues.push(missing("reason"));
            }
            reason.clone().unwrap_or_default()
        };
        let result_text = text("result")
            .map(|t| normalize::code(&t))
            .unwrap_or_default();
        let result = match result_text.as_str() {
            "certified" | "認定" => {
                let (from, to) = (
                    period("period_from", &mut issues),
                    period("period_to", &mut issues),
                );
                match (from, to) {
                    (Some(from), Some(to)) if from <= to => {
                        Some(ReviewResult::Certified { from, to })
                    }
                    (Some(_), Some(_)) => {
                        issues.push(invalid(
                            "period_to",
                            "有効期間の終了日が開始日より前です。",
                            "the period ends before it starts",
                        ));
                        None
                    }
                    _ => None,
                }
            }
            "not_certified" | "不認定" => {
                let certificate_issued = match text("certificate_issued") {
                    None => false,
                    Some(t) => normalize::boolean(&t).unwrap_or_else(|| {
                        issues.push(invalid(
                            "certificate_issued",
                            "true または false で入力してください。",
                            "must be true or false",
                        ));
                        false
                    }),
                };
                Some(ReviewResult::NotCertified {
                    reason: need_reason(&mut issues),
                    certificate_issued,
                })
            }
            "certificate_issued" | "交付" => Some(ReviewResult::CertificateIssued),
            "certificate_not_issued" | "不交付" => Some(ReviewResult::CertificateNotIssued {
                reason: need_reason(&mut issues),
            }),
            _ => {
                issues.push(invalid(
                    "result",
                    "審査結果は 認定・不認定・交付・不交付（certified, not_certified, certificate_issued, certificate_not_issued）のいずれかです。",
                    "must be certified, not_certified, certificate_issued or certificate_not_issued",
                ));
                None
            }
        };
        match (key, result) {
            (Some(key), Some(result)) if issues.is_empty() => {
                Ok(Plan::Result(ResultRow { key, result }))
            }
            _ => Err(issues),
        }
    }

    async fn plan_form(
        &mut self,
        row: u64,
        text: &(dyn Fn(&str) -> Option<String> + Sync),
        items: &[(&str, &Cell)],
    ) -> Result<Result<Plan, Vec<RowIssue>>, StoreError> {
        let mut issues = vec![];
        let required = |id: &str, issues: &mut Vec<RowIssue>| {
            let t = text(id)
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty());
            if t.is_none() {
                issues.push(missing(id));
            }
            t
        };
        let external_ref = required("external_ref", &mut issues);
        if external_ref
            .as_ref()
            .is_some_and(|r| r.chars().count() > 100)
        {
            issues.push(invalid(
                "external_ref",
                "外部参照IDは100文字以内です。",
                "at most 100 characters",
            ));
        }
        let institution = required("institution", &mut issues).and_then(|t| {
            InstitutionCode::parse(&normalize::code(&t))
                .map_err(|_| {
                    issues.push(issue(
                        Some("institution"),
                        "invalid_institution_code",
                        "institution: 医療機関コードは検証番号の正しい10桁の数字です。".into(),
                        "institution: must be a 10-digit institution code with a valid check digit"
                            .into(),
                    ))
                })
                .ok()
        });
        let disease = required("disease", &mut issues).map(|d| normalize::code(&d));
        let form_version = text("form_version")
            .map(|v| normalize::code(&v))
            .unwrap_or_else(|| domain::form::CURRENT_FORM_VERSION.to_owned());
        let master = disease.as_ref().and_then(|d| {
            let found = self
                .diseases
                .get(&(d.clone(), form_version.clone()))
                .cloned();
            if found.is_none() {
                issues.push(issue(
                    Some("disease"),
                    "unknown_disease",
                    // The cells are not quoted: a shifted row could put a name here.
                    "disease: この疾病番号・様式版の組み合わせはマスタにありません。".into(),
                    "disease: this disease and form version are not in the master".into(),
                ));
            }
            found
        });
        let application =
            required("application", &mut issues).and_then(|t| match normalize::code(&t).as_str() {
                "new" | "新規" => Some(Application::New),
                "renewal" | "更新" => Some(Application::Renewal),
                _ => {
                    issues.push(invalid(
                        "application",
                        "新規 または 更新（new, renewal）です。",
                        "must be new or renewal",
                    ));
                    None
                }
            });
        let purpose =
            required("purpose", &mut issues).and_then(|t| match normalize::code(&t).as_str() {
                "subsidy" | "医療費助成" | "助成" => Some(Purpose::Subsidy),
                "registrant_certificate_only" | "登録者証" | "登録者証のみ" => {
                    Some(Purpose::RegistrantCertificateOnly)
                }
                _ => {
                    issues.push(invalid(
                        "purpose",
                        "医療費助成 または 登録者証（subsidy, registrant_certificate_only）です。",
                        "must be subsidy or registrant_certificate_only",
                    ));
                    None
                }
            });
        let research_consent = required("research_consent", &mut issues).and_then(|t| {
            normalize::boolean(&t).or_else(|| {
                issues.push(invalid(
                    "research_consent",
                    "true または false で入力してください。",
                    "must be true or false",
                ));
                None
            })
        });
        let name_kanji = required("patient_name_kanji", &mut issues);
        let name_kana = required("patient_name_kana", &mut issues).map(|t| normalize::kana(&t));
        let birth_date = required("patient_birth_date", &mut issues).and_then(|t| {
            normalize::date(&t).or_else(|| {
                issues.push(invalid(
                    "patient_birth_date",
                    "日付を YYYY-MM-DD で入力してください。",
                    "must be a date YYYY-MM-DD",
                ));
                None
            })
        });
        let sex = required("patient_sex", &mut issues).and_then(|t| {
            match normalize::code(&t).to_ascii_lowercase().as_str() {
                "male" | "男" | "男性" | "1" | "m" => Some(Sex::Male),
                "female" | "女" | "女性" | "2" | "f" => Some(Sex::Female),
                _ => {
                    issues.push(invalid(
                        "patient_sex",
                        "男 または 女（male, female）です。",
                        "must be male or female",
                    ));
                    None
                }
            }
        });
        let address = required("patient_address", &mut issues);
        let municipality = required("patient_municipality", &mut issues).and_then(|t| {
            LocalGovernmentCode::parse(&normalize::code(&t))
                .map_err(|_| {
                    issues.push(invalid(
                        "patient_municipality",
                        "全国地方公共団体コード（検証番号付き6桁）で入力してください。",
                        "must be a 6-digit local government code with a valid check digit",
                    ))
                })
                .ok()
        });
        let jurisdiction = municipality.as_ref().and_then(|m| {
            let j = self.municipalities.responsible_for(m);
            if j.is_none() {
                issues.push(invalid(
                    "patient_municipality",
                    "この市区町村コードの実施主体が見つかりません。",
                    "no implementing body is known for this municipality",
                ));
            }
            j
        });
        let recipient_number = text("recipient_number").and_then(|t| {
            RecipientNumber::parse(&normalize::code(&t))
                .map_err(|_| {
                    issues.push(invalid(
                        "recipient_number",
                        "受給者番号は検証番号の正しい7桁の数字です。",
                        "must be a 7-digit recipient number with a valid check digit",
                    ))
                })
                .ok()
        });
        let digits = |id: &str, issues: &mut Vec<RowIssue>| {
            text(id).map(|t| normalize::code(&t)).filter(|t| {
                let ok = t.chars().count() <= 40;
                if !ok {
                    issues.push(invalid(
                        id,
                        "40文字以内で入力してください。",
                        "at most 40 characters",
                    ));
                }
                ok
            })
        };
        let insurer_number = digits("insurer_number", &mut issues);
        let insured_symbol_number = digits("insured_symbol_number", &mut issues);
        // Items: typed by the disease's own definitions.
        let mut values = BTreeMap::new();
        if let Some(master) = &master {
            for (id, cell) in items {
                match master.0.item(id) {
                    None => {
                        let id = quotable(id);
                        issues.push(issue(
                            Some(id),
                            "unknown_item",
                            format!("{id}: この疾病の様式にない項目です。"),
                            format!("{id}: not an item of this disease's form"),
                        ))
                    }
                    Some(def) => match item_value(&def.kind, cell) {
                        Ok(v) => {
                            values.insert((*id).to_owned(), v);
                        }
                        Err(()) => issues.push(issue(
                            Some(id),
                            "invalid_type",
                            format!("{}（{id}）: 値の形式が正しくありません。", def.label_ja),
                            format!("{id}: the value is not of the item's type"),
                        )),
                    },
                }
            }
        }
        // The uploader's scope: a doctor or clerk imports for their institutions; a contractor
        // import (operator) for any registered institution.
        if let Some(code) = &institution {
            let own = self.actor.institutions.contains(code);
            if self.use_ == ImportUse::Paper
                && form_version.as_str() >= domain::form::CURRENT_FORM_VERSION
            {
                issues.push(invalid(
                    "form_version",
                    "紙の臨個票の取込は旧様式のみです。様式版（2024-04-01より前）を指定してください。",
                    "paper forms are of the previous form version: give a form_version before 2024-04-01",
                ));
            }
            if self.use_ == ImportUse::Hospital && !own {
                issues.push(issue(
                    Some("institution"),
                    "forbidden_institution",
                    "institution: 所属していない医療機関の臨個票は取り込めません。".into(),
                    "institution: not one of the uploader's institutions".into(),
                ));
            } else if !self.institution_registered(code).await? {
                issues.push(issue(
                    Some("institution"),
                    "unknown_institution",
                    "institution: 医療機関マスタに登録されていない医療機関です。".into(),
                    "institution: not registered in the institution master".into(),
                ));
            }
        }
        if !issues.is_empty() {
            return Ok(Err(issues));
        }
        let (
            Some(external_ref),
            Some(institution),
            Some(master),
            Some(application),
            Some(purpose),
            Some(research_consent),
            Some(name_kanji),
            Some(name_kana),
            Some(birth_date),
            Some(sex),
            Some(address),
            Some(municipality),
            Some(jurisdiction),
        ) = (
            external_ref,
            institution,
            master,
            application,
            purpose,
            research_consent,
            name_kanji,
            name_kana,
            birth_date,
            sex,
            address,
            municipality,
            jurisdiction,
        )
        else {
            return Ok(Err(vec![issue(
                None,
                "invalid_row",
                "行を読み取れませんでした。".into(),
                "the row could not be read".into(),
            )]));
        };
        // Each sending source has its own references: the institution's system, a contractor,
        // the municipality transcribing paper forms.
        let jurisdiction_code = self.actor.jurisdiction.as_ref().map(|j| j.to_string());
        let source = match (self.use_, &self.contractor, &jurisdiction_code) {
            (ImportUse::Paper, _, Some(j)) => Source::Paper(j),
            (_, Some(c), _) => Source::Contractor(c),
            _ => Source::Institution,
        };
        let form_id = form_id(self.actor.program, &institution, source, &external_ref);
        Ok(Ok(Plan::Form(Box::new(FormRow {
            form_id,
            paper: self.paper.clone(),
            master,
            application,
            purpose,
            institution,
            jurisdiction,
            patient: Patient {
                name_kanji,
                name_kana,
                birth_date,
                sex,
                address,
                municipality,
                insurer_number,
                insured_symbol_number,
                recipient_number,
            },
            research_consent,
            items: values,
            origin: ImportOrigin {
                job: self.job_id.clone(),
                row,
                external_ref,
                contractor: self.contractor.clone(),
            },
        }))))
    }
}

/// Who sent an import row's form: the reference space its `external_ref` belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source<'a> {
    /// The institution's own system (hospital imports).
    Institution,
    /// A contractor, by name.
    Contractor(&'a str),
    /// A municipality transcribing paper forms, by its code.
    Paper(&'a str),
}

/// The form an import row with `external_ref` stands for at `institution`, from `source`: the
/// same on every upload from that source, so a file uploaded again updates (or leaves) the
/// forms it created, and two sources that happen to use the same reference never touch each
/// other's forms. The parts are JSON-encoded, so no choice of names can make two of them meet.
pub fn form_id(
    program: domain::Program,
    institution: &InstitutionCode,
    source: Source<'_>,
    external_ref: &str,
) -> String {
    let (kind, name) = match source {
        Source::Institution => ("institution", ""),
        Source::Contractor(c) => ("contractor", c),
        Source::Paper(j) => ("paper", j),
    };
    let parts = serde_json::json!([
        "import",
        program.as_str(),
        institution.as_str(),
        kind,
        name,
        external_ref
    ]);
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, parts.to_string().as_bytes()).to_string()
}

// ---- deciding a row on the forms' state ----

/// A form as a batch knows it: its state, version, and the draft's fixed fields.
#[derive(Clone, Default)]
struct Known {
    state: ClinicalForm,
    version: u64,
    drafted: Option<Drafted>,
}

#[derive(Clone)]
struct Drafted {
    application: Application,
    purpose: Purpose,
    research_consent: bool,
}

impl Known {
    fn fold(events: &[RecordedEvent]) -> Result<Known, StoreError> {
        let mut known = Known::default();
        for e in events {
            let event: FormEvent = e.decode().map_err(StoreError::InvalidEvent)?;
            if let FormEvent::FormDrafted {
                application,
                purpose,
                research_consent,
                ..
            } = &event
            {
                known.drafted = Some(Drafted {
                    application: *application,
                    purpose: *purpose,
                    research_consent: *research_consent,
                });
            }
            known.state = std::mem::take(&mut known.state).apply(&event);
            known.version = e.version;
        }
        Ok(known)
    }
}

/// The row's problems from a refusal of the domain.
fn form_issues(e: FormError) -> Vec<RowIssue> {
    let one = |code: &str, ja: &str, en: String| vec![issue(None, code, ja.to_owned(), en)];
    match e {
        FormError::InvalidItems(errors) => errors
            .into_iter()
            .map(|e| RowIssue {
                column: Some(e.item.clone()),
                code: e.code,
                message_ja: e.message_ja,
                message_en: e.message_en,
            })
            .collect(),
        FormError::NotFound => one(
            "form_not_found",
            "該当する臨個票が見つかりません（所管外を含みます）。",
            "no such form in the uploader's scope".into(),
        ),
        FormError::Forbidden(why) => one(
            "forbidden",
            "この操作の権限がありません。",
            format!("not permitted: {why}"),
        ),
        FormError::WrongStatus(s) => one(
            "wrong_status",
            "臨個票の状態がこの操作に合いません。",
            format!("not possible while the form is {s:?}"),
        ),
        FormError::AccessKeyMismatch => one(
            "access_key_mismatch",
            "アクセスキーが一致しません。",
            "the access key does not match the form".into(),
        ),
        FormError::Invalid(why) => one(
            "invalid_row",
            "行の内容が正しくありません。",
            why.to_owned(),
        ),
        FormError::UnknownDisease => one(
            "unknown_disease",
            "疾病または様式版がマスタにありません。",
            "the disease or form version is not in the master".into(),
        ),
        FormError::UnknownInstitution => one(
            "unknown_institution",
            "医療機関マスタに登録されていない医療機関です。",
            "the institution is not registered".into(),
        ),
        other => one("rejected", "この行は反映できません。", other.to_string()),
    }
}

/// What deciding one row gave: its result and the events of its form.
struct Decided {
    result: RowResult,
    form: Option<(String, Vec<FormEvent>)>,
}

fn rejected(row: u64, form: Option<String>, errors: Vec<RowIssue>) -> Decided {
    Decided {
        result: RowResult {
            row,
            outcome: RowOutcome::Rejected,
            form,
            action: None,
            errors: capped(errors),
        },
        form: None,
    }
}

fn done(row: u64, form: &str, action: &str, events: Vec<FormEvent>) -> Decided {
    let outcome = if events.is_empty() {
        RowOutcome::Unchanged
    } else {
        RowOutcome::Applied
    };
    Decided {
        result: RowResult {
            row,
            outcome,
            form: Some(form.to_owned()),
            action: (outcome == RowOutcome::Applied).then(|| action.to_owned()),
            errors: vec![],
        },
        form: (!events.is_empty()).then(|| (form.to_owned(), events)),
    }
}

fn decide_form(ctx: &JobContext, row: u64, plan: &FormRow, known: &Known, today: &str) -> Decided {
    let command = |action| FormCommand {
        actor: ctx.actor.clone(),
        reason: None,
        today: Some(today.to_owned()),
        action,
    };
    let id = &plan.form_id;
    let Some(drafted) = known.drafted.as_ref().filter(|_| known.state.exists) else {
        let action = FormAction::Draft {
            master: plan.master.clone(),
            municipalities: ctx.municipalities.clone(),
            application: plan.application,
            purpose: plan.purpose,
            institution: plan.institution.clone(),
            jurisdiction: plan.jurisdiction.clone(),
            patient: Box::new(plan.patient.clone()),
            research_consent: plan.research_consent,
            items: plan.items.clone(),
            carried_over: None,
            paper: plan.paper.clone(),
            imported: Some(Box::new(plan.origin.clone())),
        };
        return match known.state.decide(&command(action)) {
            Ok(events) => done(row, id, "created", events),
            Err(e) => rejected(row, None, form_issues(e)),
        };
    };
    // The form exists: this row updates it, from the same sending system — if the uploader
    // may see it (a form that left their scope is not described to them).
    let state = &known.state;
    let contractor_draft = ctx.actor.role == domain::Role::Operator
        && state.program == Some(ctx.actor.program)
        && state
            .imported
            .as_ref()
            .is_some_and(|i| i.contractor.is_some());
    if !state.in_scope(&ctx.actor) && !contractor_draft {
        return rejected(
            row,
            None,
            vec![issue(
                Some("external_ref"),
                "reference_in_use",
                "external_ref: この外部参照IDの臨個票は、取込を行ったアカウントからは更新できません。"
                    .into(),
                "external_ref: the form of this reference is outside the uploader's scope".into(),
            )],
        );
    }
    let mut differs = vec![];
    // The patient as corrected since (on screen); the municipality is part of it, and the
    // jurisdiction stays the one the form was drafted under, whatever list is in force now.
    if state.patient.as_ref() != Some(&plan.patient) {
        differs.push("patient");
    }
    if state.disease != plan.master.0.code || state.form_version != plan.master.0.form_version {
        differs.push("disease");
    }
    if drafted.application != plan.application {
        differs.push("application");
    }
    if drafted.purpose != plan.purpose {
        differs.push("purpose");
    }
    if drafted.research_consent != plan.research_consent {
        differs.push("research_consent");
    }
    if !differs.is_empty() {
        let errors = differs
            .into_iter()
            .map(|c| {
                issue(
                    Some(c),
                    "cannot_change",
                    format!("{c}: 取り込み済みの臨個票のこの欄は取込で変更できません。画面から訂正してください。"),
                    format!("{c}: cannot be changed by an import once the form exists; correct it on screen"),
                )
            })
            .collect();
        return rejected(row, Some(id.clone()), errors);
    }
    // The row is the whole form: items it leaves empty are cleared (derived items are the
    // judgment's).
    let derived: Vec<&str> = plan
        .master
        .0
        .rules
        .derived
        .iter()
        .map(|d| d.target.as_str())
        .collect();
    let mut items = plan.items.clone();
    for key in state.items.keys() {
        if !items.contains_key(key) && !derived.contains(&key.as_str()) {
            items.insert(key.clone(), Value::Null);
        }
    }
    let unchanged = items
        .iter()
        .all(|(k, v)| state.items.get(k).unwrap_or(&Value::Null) == v);
    if unchanged {
        return done(row, id, "updated", vec![]);
    }
    if state.status != Some(Status::Draft) {
        return rejected(
            row,
            Some(id.clone()),
            vec![issue(
                None,
                "not_a_draft",
                "提出済みの臨個票は取込で更新できません。".into(),
                "the form was submitted: an import updates drafts only".into(),
            )],
        );
    }
    let action = FormAction::Edit {
        master: plan.master.clone(),
        items,
    };
    match state.decide(&command(action)) {
        Ok(events) => done(row, id, "updated", events),
        Err(FormError::Unchanged) => done(row, id, "updated", vec![]),
        Err(e) => rejected(row, Some(id.clone()), form_issues(e)),
    }
}

fn decide_result(
    ctx: &JobContext,
    row: u64,
    id: &str,
    plan: &ResultRow,
    known: &Known,
    today: &str,
) -> Decided {
    let command = |action| FormCommand {
        actor: ctx.actor.clone(),
        reason: None,
        today: Some(today.to_owned()),
        action,
    };
    let state = &known.state;
    if !state.exists || !state.in_scope(&ctx.actor) {
        return rejected(row, None, form_issues(FormError::NotFound));
    }
    if state.status == Some(Status::Decided) && state.review.as_ref() == Some(&plan.result) {
        return done(row, id, "reviewed", vec![]);
    }
    let mut events = vec![];
    let mut state = state.clone();
    let mut action = "reviewed";
    if state.status == Some(Status::Submitted) {
        // The result of an application the office system received: matched by the key
        // printed on the patient's copy, which is what receiving checks.
        let FormKey::AccessKey(key) = &plan.key else {
            return rejected(
                row,
                Some(id.to_owned()),
                form_issues(FormError::WrongStatus(Status::Submitted)),
            );
        };
        match state.decide(&command(FormAction::Receive {
            access_key: key.clone(),
        })) {
            Ok(received) => {
                for e in &received {
                    state = state.apply(e);
                }
                events.extend(received);
                action = "received_and_reviewed";
            }
            Err(e) => return rejected(row, Some(id.to_owned()), form_issues(e)),
        }
    }
    match state.decide(&command(FormAction::Review {
        result: plan.result.clone(),
    })) {
        Ok(reviewed) => {
            events.extend(reviewed);
            done(row, id, action, events)
        }
        Err(e) => rejected(row, Some(id.to_owned()), form_issues(e)),
    }
}

// ---- files ----

/// A file staged for an import: written under the imports directory by its SHA-256.
#[derive(Debug, Clone)]
pub struct StagedFile {
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
    /// No earlier upload had the same content: a refused upload may remove it.
    pub fresh: bool,
}

/// Where a job's file is kept: `<dir>/<sha256>`.
pub fn stored_path(dir: &Path, sha256: &str) -> PathBuf {
    dir.join(sha256)
}

/// Copies `source` into the imports directory `dir` while hashing it, then names it by its
/// digest (a file uploaded twice is kept once). Refuses more than `limit` bytes.
pub fn stage(dir: &Path, mut source: impl Read, limit: u64) -> Result<StagedFile, StageError> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let temp = dir.join(format!(".upload-{}", uuid::Uuid::new_v4()));
    let result = (|| {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&temp)?);
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = source.read(&mut buf)?;
            if n == 0 {
                break;
            }
            size += n as u64;
            if size > limit {
                return Err(StageError::TooLarge { limit });
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])?;
        }
        out.flush()?;
        out.get_ref().sync_all()?;
        Ok((size, hex::encode(hasher.finalize())))
    })();
    let (size, sha256) = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            return Err(e);
        }
    };
    let path = stored_path(dir, &sha256);
    let fresh = !path.exists();
    std::fs::rename(&temp, &path)?;
    sync_dir(dir)?;
    Ok(StagedFile {
        path,
        size,
        sha256,
        fresh,
    })
}

/// Makes a rename in `dir` durable: a job event naming the file must not outlive the file in
/// a crash.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Why a file could not be staged.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the file could not be stored: {0}")]
    Io(#[from] std::io::Error),
}

/// The SHA-256 of a stored file, read again (a resumed job checks its file is the one it
/// received).
fn digest_of(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

// ---- jobs ----

/// Why an upload was refused. Nothing was recorded.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    #[error(transparent)]
    Rejected(ImportError),
    /// The file cannot be read as an import file of its use (format, encoding, header).
    #[error("{}", .0.message_en)]
    File(FileFailure),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stored event cannot be read: {0}")]
    Unreadable(domain::PayloadError),
    #[error("import worker failed: {0}")]
    Worker(String),
}

impl From<CommandError<ImportError>> for ReceiveError {
    fn from(e: CommandError<ImportError>) -> Self {
        match e {
            CommandError::Rejected(e) => ReceiveError::Rejected(e),
            CommandError::Store(e) => ReceiveError::Store(e),
            CommandError::Unreadable(e) => ReceiveError::Unreadable(e),
        }
    }
}

fn open_failure(e: &crate::ingest::FileError) -> FileFailure {
    failure(e.code(), e.message_ja(), e.message_en())
}

/// Opens a staged file and checks its header for `use_`: the file's format, or why it cannot
/// be imported.
fn open_checked(ctx: &JobContext, path: &Path) -> Result<RowReader, FileFailure> {
    let reader = RowReader::open(path).map_err(|e| open_failure(&e))?;
    if let Some(headers) = reader.headers() {
        ctx.check_headers(headers)?;
    }
    Ok(reader)
}

/// An uploaded file, staged, and what it is for.
pub struct Upload<'a> {
    pub use_: ImportUse,
    /// As the uploader named it.
    pub file_name: &'a str,
    pub staged: &'a StagedFile,
    /// The contractor, for a contractor import.
    pub contractor: Option<String>,
}

/// Records an upload as a new import job: the file must open as a table or JSON Lines file
/// with a header that fits the use (checked now, so that a wrong file is refused at once and
/// nothing is recorded). With an idempotency key, a retried upload returns the same job.
pub async fn receive(
    store: &Arc<dyn EventStore>,
    masters: &MasterCache,
    actor: &Actor,
    upload: Upload<'_>,
    key: Option<&IdempotencyKey>,
) -> Result<(String, Outcome), ReceiveError> {
    let Upload {
        use_,
        file_name,
        staged,
        contractor,
    } = upload;
    if !use_.allows(actor.role) {
        return Err(ReceiveError::Rejected(ImportError::Forbidden(
            "this role may not run an import of this use",
        )));
    }
    let key = scoped_key(actor, key)?;
    let job_id = match &key {
        Some(k) => {
            uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, k.as_str().as_bytes()).to_string()
        }
        None => uuid::Uuid::now_v7().to_string(),
    };
    let ctx = JobContext::new(
        store,
        masters,
        &job_id,
        use_,
        actor.clone(),
        contractor.clone(),
    )
    .await?;
    let path = staged.path.clone();
    let format = tokio::task::spawn_blocking(move || {
        open_checked(&ctx, &path).map(|r| r.format().code().to_owned())
    })
    .await
    .map_err(|e| ReceiveError::Worker(e.to_string()))?
    .map_err(ReceiveError::File)?;
    let name: String = file_name
        .chars()
        .take(domain::import_job::MAX_NAME_CHARS)
        .collect();
    let command = ImportCommand::Receive {
        actor: actor.clone(),
        use_,
        file: ReceivedFile {
            name,
            size: staged.size,
            sha256: staged.sha256.clone(),
            format: Some(format),
        },
        contractor,
    };
    let metadata = Metadata::new(actor.account.clone(), actor.role, Some(actor.program));
    let outcome =
        execute::<ImportJob>(store, &job_id, &command, metadata, None, key.as_ref()).await?;
    Ok((job_id, outcome))
}

/// Progress of a running job, for a progress bar.
pub trait Progress: Send + Sync {
    /// The rows of the file are being counted and checked: `rows` so far.
    fn validating(&self, rows: u64);
    /// Applying: `done` of `total` rows have a result.
    fn applying(&self, done: u64, total: u64);
}

impl Progress for () {
    fn validating(&self, _: u64) {}
    fn applying(&self, _: u64, _: u64) {}
}

/// Why a job stopped before it finished. It can be run again: it resumes where it stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stored event cannot be read: {0}")]
    Unreadable(domain::PayloadError),
    #[error("no such import job")]
    NotFound,
    /// Another process appended to the job meanwhile: it runs the job now.
    #[error("another process is running this import job")]
    Taken,
    #[error("the uploader's account cannot act any more")]
    NoActor,
    #[error("the job's file is missing from the imports directory")]
    FileMissing,
    #[error("import worker failed: {0}")]
    Worker(String),
}

struct Loaded {
    job: ImportJob,
    version: u64,
    account: String,
}

async fn load_job(store: &Arc<dyn EventStore>, job_id: &str) -> Result<Loaded, RunError> {
    let stream = StreamId::new(domain::import_job::STREAM_TYPE, job_id)?;
    let recorded = store.read_stream(&stream, 1).await?;
    let Some(first) = recorded.first() else {
        return Err(RunError::NotFound);
    };
    let account = first.metadata.actor.clone();
    let mut job = ImportJob::default();
    for e in &recorded {
        let event: ImportEvent = e.decode().map_err(RunError::Unreadable)?;
        job = job.apply(&event);
    }
    let version = recorded.last().map_or(0, |e| e.version);
    Ok(Loaded {
        job,
        version,
        account,
    })
}

/// The uploader as they are now: a suspended account's job does not go on.
async fn uploader(store: &Arc<dyn EventStore>, account: &str) -> Result<Actor, RunError> {
    use domain::account::{Account, AccountStatus};
    let (state, _) = crate::load::<Account>(store, account)
        .await
        .map_err(|e| match e {
            CommandError::Store(e) => RunError::Store(e),
            CommandError::Unreadable(e) => RunError::Unreadable(e),
            CommandError::Rejected(_) => RunError::NoActor,
        })?;
    if state.status != AccountStatus::Active {
        return Err(RunError::NoActor);
    }
    state.actor(&today_in_japan()).ok_or(RunError::NoActor)
}

fn job_event(job: &ImportJob, command: &ImportCommand) -> Result<Vec<ImportEvent>, RunError> {
    job.decide(command).map_err(|e| match e {
        ImportError::WrongStatus(_) => RunError::Taken,
        other => RunError::Worker(other.to_string()),
    })
}

/// Appends the job's own events at exactly `version`; a conflict means another process runs it.
async fn append_job(
    store: &Arc<dyn EventStore>,
    job_id: &str,
    version: u64,
    events: Vec<ImportEvent>,
    metadata: &Metadata,
) -> Result<(), RunError> {
    let stream = StreamId::new(domain::import_job::STREAM_TYPE, job_id)?;
    let events = events
        .iter()
        .map(|e| NewEvent::from_domain(e, metadata.clone()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::InvalidEvent)?;
    match store
        .append(&stream, ExpectedVersion::Exact(version), events, None)
        .await
    {
        Ok(_) => Ok(()),
        Err(StoreError::Conflict { .. }) => Err(RunError::Taken),
        Err(e) => Err(e.into()),
    }
}

/// Decides `command` on the job, appends its events at exactly `version` and returns the job
/// as it is now (folded here: reading a million-row job's stream back would hold it all).
async fn record(
    store: &Arc<dyn EventStore>,
    job_id: &str,
    job: &ImportJob,
    version: u64,
    command: &ImportCommand,
    metadata: &Metadata,
) -> Result<(ImportJob, u64), RunError> {
    let events = job_event(job, command)?;
    let n = events.len() as u64;
    let next = events.iter().fold(job.clone(), |j, e| j.apply(e));
    append_job(store, job_id, version, events, metadata).await?;
    Ok((next, version + n))
}

/// A batch of rows read from the file, as the reading thread hands them over.
enum FileBatch {
    Rows(Vec<Result<SourceRow, crate::ingest::RowError>>),
    Failed(FileFailure),
    /// Every row was read. Without it a closed channel means the reader died.
    End,
}

/// The next batch of the file; `None` at its end. A reader that stopped without saying so
/// (it panicked) fails the file rather than passing for its end.
async fn next_batch(batches: &mut tokio::sync::mpsc::Receiver<FileBatch>) -> Option<FileBatch> {
    match batches.recv().await {
        Some(FileBatch::End) => None,
        Some(batch) => Some(batch),
        None => Some(FileBatch::Failed(failure(
            "reader_failed",
            "ファイルを最後まで読み取れませんでした。",
            "The file could not be read to its end.",
        ))),
    }
}

/// Reads the file on a blocking thread, in batches, after row `after`.
fn spawn_reader(path: PathBuf, after: u64, batch: usize) -> tokio::sync::mpsc::Receiver<FileBatch> {
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    tokio::task::spawn_blocking(move || {
        let mut reader = match RowReader::open(&path) {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.blocking_send(FileBatch::Failed(open_failure(&e)));
                return;
            }
        };
        let mut rows = Vec::with_capacity(batch);
        loop {
            match reader.next_row() {
                Ok(Some(row)) => {
                    let number = match &row {
                        Ok(r) => r.row,
                        Err(e) => e.row,
                    } as u64;
                    if number <= after {
                        continue;
                    }
                    rows.push(row);
                    if rows.len() == batch
                        && tx
                            .blocking_send(FileBatch::Rows(std::mem::replace(
                                &mut rows,
                                Vec::with_capacity(batch),
                            )))
                            .is_err()
                    {
                        return;
                    }
                }
                Ok(None) => {
                    if !rows.is_empty() && tx.blocking_send(FileBatch::Rows(rows)).is_err() {
                        return;
                    }
                    let _ = tx.blocking_send(FileBatch::End);
                    return;
                }
                Err(e) => {
                    let _ = tx.blocking_send(FileBatch::Failed(open_failure(&e)));
                    return;
                }
            }
        }
    });
    rx
}

fn unreadable_row(e: &crate::ingest::RowError) -> RowIssue {
    issue(None, e.code, e.message_ja.clone(), e.message_en.clone())
}

/// Runs (or resumes) import job `job_id` to its end: validates its rows if that is not
/// recorded yet, applies the rows after the last recorded one in batches, and finishes it.
/// `files` is the imports directory.
pub async fn run(
    store: &Arc<dyn EventStore>,
    masters: &MasterCache,
    files: &Path,
    job_id: &str,
    progress: &dyn Progress,
) -> Result<ImportJob, RunError> {
    let Loaded {
        job,
        version,
        account,
    } = load_job(store, job_id).await?;
    let status = job.status.ok_or(RunError::NotFound)?;
    if status.is_done() {
        return Ok(job);
    }
    let (Some(use_), Some(file)) = (job.use_, job.file.clone()) else {
        return Err(RunError::NotFound);
    };
    let mut metadata = Metadata::new(account.clone(), use_.role(), job.program);
    if let Ok(id) = uuid::Uuid::parse_str(job_id) {
        metadata.correlation_id = id;
    }
    let actor = match uploader(store, &account).await {
        Ok(a) => a,
        Err(RunError::NoActor) => {
            let f = failure(
                "uploader_inactive",
                "取込を登録したアカウントが利用停止されたため、取込を中止しました。",
                "the uploader's account can no longer act: the import was stopped",
            );
            let command = ImportCommand::Fail { failure: f };
            return Ok(record(store, job_id, &job, version, &command, &metadata)
                .await?
                .0);
        }
        Err(e) => return Err(e),
    };
    metadata.role = actor.role;
    let path = stored_path(files, &file.sha256);
    {
        let path = path.clone();
        let digest = tokio::task::spawn_blocking(move || digest_of(&path))
            .await
            .map_err(|e| RunError::Worker(e.to_string()))?;
        match digest {
            Ok(d) if d == file.sha256 => {}
            Ok(_) | Err(_) => return Err(RunError::FileMissing),
        }
    }
    let mut ctx =
        JobContext::new(store, masters, job_id, use_, actor, job.contractor.clone()).await?;
    if use_ == ImportUse::Paper {
        ctx.paper = Some(domain::form::PaperScan {
            sha256: file.sha256.clone(),
            media_type: media_type(file.format.as_deref()).to_owned(),
            size: file.size,
        });
    }
    let (mut job, mut version) = (job, version);
    if status == JobStatus::Received {
        let started = std::time::Instant::now();
        let validated = validate(&mut ctx, &path, progress).await?;
        tracing::info!(
            job = %job_id,
            seconds = started.elapsed().as_secs_f64(),
            "import job validated"
        );
        let command = match validated {
            Ok((total, valid)) => ImportCommand::Validated {
                total,
                valid,
                rejected: total - valid,
            },
            Err(f) => ImportCommand::Fail { failure: f },
        };
        (job, version) = record(store, job_id, &job, version, &command, &metadata).await?;
        if job.status.is_some_and(JobStatus::is_done) {
            return Ok(job);
        }
    }
    if use_ == ImportUse::Certification {
        // Rows are matched through the key view: it must have seen every form committed
        // before the job applies.
        wait_for_keys(store).await?;
    }
    let today = today_in_japan();
    let mut batches = spawn_reader(path, job.through_row, BATCH_ROWS);
    progress.applying(job.done, job.total);
    let started = std::time::Instant::now();
    let applied = apply_all(
        &mut ctx,
        job,
        version,
        &mut batches,
        &metadata,
        &today,
        progress,
    )
    .await?;
    tracing::info!(
        job = %job_id,
        seconds = started.elapsed().as_secs_f64(),
        "import job applied"
    );
    match applied {
        Ok(applied) => (job, version) = applied,
        Err((at, v, f)) => {
            // The file could be read when validated: it changed or broke since. The rows
            // applied so far stay; the job reports the failure.
            let command = ImportCommand::Fail { failure: f };
            return Ok(record(store, job_id, &at, v, &command, &metadata).await?.0);
        }
    }
    let command = ImportCommand::Finish;
    Ok(record(store, job_id, &job, version, &command, &metadata)
        .await?
        .0)
}

use domain::import_job::JobStatus;

/// Waits until the `form_keys` view has applied every event committed now (it runs with the
/// service's projections).
async fn wait_for_keys(store: &Arc<dyn EventStore>) -> Result<(), RunError> {
    let reached = crate::view_caught_up(
        store,
        projections::imports::KEYS,
        std::time::Duration::from_secs(60),
    )
    .await?;
    if reached {
        Ok(())
    } else {
        Err(RunError::Worker(
            "the form key view (projection form_keys) is not running or far behind".into(),
        ))
    }
}

/// The validation pass: (rows, valid rows), or why the file cannot be imported.
async fn validate(
    ctx: &mut JobContext,
    path: &Path,
    progress: &dyn Progress,
) -> Result<Result<(u64, u64), FileFailure>, RunError> {
    {
        // The header, checked again (the master may have changed since the upload).
        let path = path.to_owned();
        let reader = {
            let headers = tokio::task::spawn_blocking(move || {
                RowReader::open(&path).map(|r| r.headers().map(<[String]>::to_vec))
            })
            .await
            .map_err(|e| RunError::Worker(e.to_string()))?;
            match headers {
                Err(e) => return Ok(Err(open_failure(&e))),
                Ok(h) => h,
            }
        };
        if let Some(headers) = reader {
            if let Err(f) = ctx.check_headers(&headers) {
                return Ok(Err(f));
            }
        }
    }
    let mut batches = spawn_reader(path.to_owned(), 0, BATCH_ROWS);
    let (mut total, mut valid) = (0u64, 0u64);
    while let Some(read) = next_batch(&mut batches).await {
        match read {
            FileBatch::Failed(f) => return Ok(Err(f)),
            FileBatch::End => break,
            FileBatch::Rows(rows) => {
                for row in &rows {
                    total += 1;
                    if let Ok(row) = row {
                        if ctx.plan(row).await?.is_ok() {
                            valid += 1;
                        }
                    }
                }
                progress.validating(total);
            }
        }
    }
    if total == 0 {
        return Ok(Err(failure(
            "no_rows",
            "データ行がありません。",
            "The file has no data rows.",
        )));
    }
    Ok(Ok((total, valid)))
}

/// A row of a batch: its number and its target form with its plan, or its problems.
type Planned = (u64, Result<(String, Plan), Vec<RowIssue>>);

/// The rows of a batch as read from the file.
type SourceRows = Vec<Result<SourceRow, crate::ingest::RowError>>;

/// A batch decided and ready to append: every form's events and the job's results, and the
/// job as it will be once they are committed.
struct Prepared {
    rows: SourceRows,
    appends: Vec<StreamAppend>,
    job_stream: StreamId,
    job: ImportJob,
    version: u64,
    /// Every form whose state the batch's decisions read (including the candidates a
    /// certification row was matched among).
    read: std::collections::HashSet<String>,
    /// The forms the batch appends to.
    written: std::collections::HashSet<String>,
}

impl Prepared {
    /// Decided on what `earlier` was going to change, without seeing it: a batch decided while
    /// `earlier` was being appended must be decided again when they share a form.
    fn depends_on(&self, earlier: &std::collections::HashSet<String>) -> bool {
        !self.read.is_disjoint(earlier)
    }
}

/// Decides one batch: plans its rows, reads their forms in one query, decides each row on
/// them (a later row of the batch sees an earlier one's effect) and builds the batch's
/// appends: each form's events, then the job's results at exactly `version`.
async fn prepare(
    ctx: &mut JobContext,
    job: &ImportJob,
    version: u64,
    rows: SourceRows,
    metadata: &Metadata,
    today: &str,
) -> Result<Prepared, RunError> {
    let store = ctx.store.clone();
    // Plans, and each row's form id (a result row finds its form through the key view).
    let mut planned: Vec<Planned> = Vec::with_capacity(rows.len());
    let mut read_ids: std::collections::HashSet<String> = std::collections::HashSet::new();
    for row in &rows {
        let (number, plan) = match row {
            Err(e) => (e.row as u64, Err(vec![unreadable_row(e)])),
            Ok(r) => (r.row as u64, ctx.plan(r).await?),
        };
        let target = match plan {
            Err(issues) => Err(issues),
            Ok(Plan::Form(f)) => Ok((f.form_id.clone(), Plan::Form(f))),
            Ok(Plan::Result(r)) => match find_form(ctx, &r, &mut read_ids).await? {
                Ok(id) => Ok((id, Plan::Result(r))),
                Err(issues) => Err(issues),
            },
        };
        planned.push((number, target));
    }
    let through_row = planned.last().map_or(job.through_row, |(n, _)| *n);
    let mut ids: Vec<String> = planned
        .iter()
        .filter_map(|(_, p)| p.as_ref().ok().map(|(id, _)| id.clone()))
        .collect();
    ids.sort();
    ids.dedup();
    read_ids.extend(ids.iter().cloned());
    let streams = ids
        .iter()
        .map(|id| StreamId::new("form", id))
        .collect::<Result<Vec<_>, _>>()?;
    let read = store.read_streams(&streams).await?;
    let mut known: HashMap<&str, Known> = HashMap::with_capacity(ids.len());
    for (id, events) in ids.iter().zip(&read) {
        known.insert(id.as_str(), Known::fold(events)?);
    }
    let loaded: HashMap<&str, u64> = known.iter().map(|(k, v)| (*k, v.version)).collect();
    let mut results = Vec::with_capacity(planned.len());
    let mut form_events: Vec<(String, Vec<FormEvent>)> = vec![];
    let mut index: HashMap<String, usize> = HashMap::new();
    for (number, plan) in &planned {
        let (id, plan) = match plan {
            Err(issues) => {
                results.push(rejected(*number, None, issues.clone()).result);
                continue;
            }
            Ok(p) => p,
        };
        let k = known.entry(id.as_str()).or_default();
        let decided = match plan {
            Plan::Form(f) => decide_form(ctx, *number, f, k, today),
            Plan::Result(r) => decide_result(ctx, *number, id, r, k, today),
        };
        if let Some((form, events)) = decided.form {
            // Later rows of the batch see this row's effect.
            for e in &events {
                k.state = std::mem::take(&mut k.state).apply(e);
                if let (FormEvent::FormDrafted { .. }, Plan::Form(f)) = (e, plan) {
                    k.drafted = Some(Drafted {
                        application: f.application,
                        purpose: f.purpose,
                        research_consent: f.research_consent,
                    });
                }
            }
            k.version += events.len() as u64;
            match index.get(&form) {
                Some(&i) => form_events[i].1.extend(events),
                None => {
                    index.insert(form.clone(), form_events.len());
                    form_events.push((form, events));
                }
            }
        }
        results.push(decided.result);
    }
    let command = ImportCommand::Apply {
        through_row,
        results,
    };
    let job_events = job_event(job, &command)?;
    let encode = |events: &[_]| -> Result<Vec<NewEvent>, StoreError> {
        events
            .iter()
            .map(|e| NewEvent::from_domain(e, metadata.clone()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(StoreError::InvalidEvent)
    };
    let mut appends = Vec::with_capacity(form_events.len() + 1);
    for (form, events) in &form_events {
        let expected = match loaded.get(form.as_str()).copied().unwrap_or(0) {
            0 => ExpectedVersion::NoStream,
            v => ExpectedVersion::Exact(v),
        };
        appends.push(StreamAppend {
            stream: StreamId::new("form", form)?,
            expected,
            events: encode(events)?,
        });
    }
    let job_stream = StreamId::new(domain::import_job::STREAM_TYPE, &ctx.job_id)?;
    let job_encoded = job_events
        .iter()
        .map(|e| NewEvent::from_domain(e, metadata.clone()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::InvalidEvent)?;
    appends.push(StreamAppend {
        stream: job_stream.clone(),
        expected: ExpectedVersion::Exact(version),
        events: job_encoded,
    });
    let next = job_events.iter().fold(job.clone(), |j, e| j.apply(e));
    Ok(Prepared {
        rows,
        appends,
        job_stream,
        job: next,
        version: version + job_events.len() as u64,
        read: read_ids,
        written: form_events.into_iter().map(|(form, _)| form).collect(),
    })
}

/// How committing a batch ended.
enum Committed {
    Done,
    /// A form of the batch changed meanwhile (a doctor editing a draft): decide it again.
    FormsMoved,
}

/// Appends a prepared batch in one transaction.
async fn commit(
    store: Arc<dyn EventStore>,
    prepared_appends: Vec<StreamAppend>,
    job_stream: StreamId,
) -> Result<Committed, RunError> {
    match store.append_many(prepared_appends).await {
        Ok(_) => Ok(Committed::Done),
        Err(StoreError::Conflict { stream, .. }) if stream == job_stream => Err(RunError::Taken),
        Err(StoreError::Conflict { .. }) => Ok(Committed::FormsMoved),
        Err(e) => Err(e.into()),
    }
}

/// Applies the rows after the job's last recorded row, batch by batch. The next batch is
/// decided while the previous one is being appended; when two batches touch the same form, the
/// later one's append finds the form moved and is decided again on what was committed.
async fn apply_all(
    ctx: &mut JobContext,
    mut job: ImportJob,
    mut version: u64,
    batches: &mut tokio::sync::mpsc::Receiver<FileBatch>,
    metadata: &Metadata,
    today: &str,
    progress: &dyn Progress,
) -> Result<Result<(ImportJob, u64), (ImportJob, u64, FileFailure)>, RunError> {
    let mut next: Option<Prepared> = match next_batch(batches).await {
        None | Some(FileBatch::End) => None,
        Some(FileBatch::Failed(f)) => return Ok(Err((job, version, f))),
        Some(FileBatch::Rows(rows)) => {
            Some(prepare(ctx, &job, version, rows, metadata, today).await?)
        }
    };
    while let Some(mut current) = next.take() {
        let mut attempts = 0;
        loop {
            let committing = tokio::spawn(commit(
                ctx.store.clone(),
                std::mem::take(&mut current.appends),
                current.job_stream.clone(),
            ));
            // Meanwhile: read and decide the next batch on the state this one will leave.
            let upcoming = if attempts == 0 {
                match next_batch(batches).await {
                    None | Some(FileBatch::End) => None,
                    Some(FileBatch::Failed(f)) => {
                        let committed = committing
                            .await
                            .map_err(|e| RunError::Worker(e.to_string()))??;
                        return match committed {
                            Committed::Done => Ok(Err((current.job, current.version, f))),
                            Committed::FormsMoved => Ok(Err((job, version, f))),
                        };
                    }
                    Some(FileBatch::Rows(rows)) => Some(rows),
                }
            } else {
                None
            };
            let upcoming = match upcoming {
                Some(rows) => {
                    match prepare(ctx, &current.job, current.version, rows, metadata, today).await {
                        Ok(p) => Some(p),
                        Err(e) => {
                            // Never leave the append running on its own.
                            let _ = committing.await;
                            return Err(e);
                        }
                    }
                }
                None => next.take(),
            };
            match committing
                .await
                .map_err(|e| RunError::Worker(e.to_string()))??
            {
                Committed::Done => {
                    (job, version) = (current.job, current.version);
                    progress.applying(job.done, job.total);
                    next = upcoming;
                    // Decided while this batch was being appended: decided again if it read a
                    // form this batch changed (it saw the form as it was before).
                    if let Some(p) = next.as_mut() {
                        if p.depends_on(&current.written) {
                            p.appends.clear();
                        }
                    }
                    break;
                }
                Committed::FormsMoved => {
                    attempts += 1;
                    if attempts >= CONFLICT_RETRIES {
                        return Err(RunError::Worker(
                            "the forms of a batch kept changing while it was applied".into(),
                        ));
                    }
                    // Decided on a state that moved: this batch again, then the next one (it
                    // was decided assuming this batch as it was).
                    let rows = std::mem::take(&mut current.rows);
                    current = prepare(ctx, &job, version, rows, metadata, today).await?;
                    next = upcoming;
                    if let Some(p) = next.as_mut() {
                        let rows = std::mem::take(&mut p.rows);
                        *p = Prepared {
                            rows,
                            appends: vec![],
                            job_stream: p.job_stream.clone(),
                            job: p.job.clone(),
                            version: p.version,
                            read: Default::default(),
                            written: Default::default(),
                        };
                    }
                }
            }
        }
        // A batch decided before a retry of its predecessor is decided again.
        if let Some(p) = next.as_mut() {
            if p.appends.is_empty() {
                let rows = std::mem::take(&mut p.rows);
                *p = prepare(ctx, &job, version, rows, metadata, today).await?;
            }
        }
    }
    Ok(Ok((job, version)))
}

/// The form a certification result row names, in the uploader's jurisdiction.
async fn find_form(
    ctx: &JobContext,
    plan: &ResultRow,
    read: &mut std::collections::HashSet<String>,
) -> Result<Result<String, Vec<RowIssue>>, StoreError> {
    let key = &plan.key;
    let sql = ctx.store.sql();
    let program = ctx.actor.program.as_str();
    let not_found = |column: &str| {
        Ok(Err(vec![issue(
            Some(column),
            "form_not_found",
            format!("{column}: 該当する臨個票が見つかりません（所管外を含みます）。"),
            format!("{column}: no form of the uploader's jurisdiction has this key"),
        )]))
    };
    let jurisdiction = ctx.actor.jurisdiction.as_ref().map(|j| j.to_string());
    match key {
        FormKey::AccessKey(k) => {
            match projections::imports::form_by_access_key(&sql, program, k).await? {
                Some((id, j)) if Some(&j) == jurisdiction.as_ref() => Ok(Ok(id)),
                _ => not_found("access_key"),
            }
        }
        FormKey::Recipient(n) => {
            let Some(j) = jurisdiction else {
                return not_found("recipient_number");
            };
            let ids =
                projections::imports::forms_by_recipient_number(&sql, program, &j, n.as_str())
                    .await?;
            // The form awaiting a result: among the patient's forms, those received.
            read.extend(ids.iter().cloned());
            let streams = ids
                .iter()
                .map(|id| StreamId::new("form", id))
                .collect::<Result<Vec<_>, _>>()?;
            let read = ctx.store.read_streams(&streams).await?;
            // Or, for a file uploaded again, the one that already has this very result.
            let (mut waiting, mut decided) = (vec![], vec![]);
            for (id, events) in ids.iter().zip(&read) {
                let k = Known::fold(events)?;
                if k.state.status == Some(Status::Received) {
                    waiting.push(id.clone());
                } else if k.state.status == Some(Status::Decided)
                    && k.state.review.as_ref() == Some(&plan.result)
                {
                    decided.push(id.clone());
                }
            }
            if waiting.is_empty() && decided.len() == 1 {
                waiting = decided;
            }
            match waiting.as_slice() {
                [one] => Ok(Ok(one.clone())),
                [] => not_found("recipient_number"),
                _ => Ok(Err(vec![issue(
                    Some("recipient_number"),
                    "ambiguous_recipient_number",
                    "recipient_number: この受給者番号で審査待ちの臨個票が複数あります。アクセスキーで指定してください。".into(),
                    "recipient_number: several forms of this recipient await a result; use the access key".into(),
                )])),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::judgment::Choice;
    use serde_json::json;

    fn text(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }

    #[test]
    fn cells_become_values_of_the_items_type_or_nothing() {
        let options = vec![
            Choice {
                code: "1".into(),
                label_ja: "軽度".into(),
            },
            Choice {
                code: "2".into(),
                label_ja: "重度".into(),
            },
        ];
        let int = ItemKind::Integer {
            min: None,
            max: None,
        };
        assert_eq!(item_value(&int, &text("１２")), Ok(json!(12)));
        assert_eq!(item_value(&int, &Cell::Json(json!(7))), Ok(json!(7)));
        assert_eq!(item_value(&int, &text("1.5")), Err(()));
        let dec = ItemKind::Decimal {
            min: None,
            max: None,
        };
        assert_eq!(item_value(&dec, &text("36.5")), Ok(json!(36.5)));
        assert_eq!(item_value(&dec, &text("NaN")), Err(()));
        let one = ItemKind::Enum {
            options: options.clone(),
        };
        assert_eq!(item_value(&one, &text("重度")), Ok(json!("2")), "by label");
        assert_eq!(
            item_value(&one, &Cell::Json(json!(1))),
            Ok(json!("1")),
            "by code"
        );
        assert_eq!(item_value(&one, &text("3")), Err(()));
        let many = ItemKind::MultiChoice { options };
        assert_eq!(item_value(&many, &text("1; 重度")), Ok(json!(["1", "2"])));
        assert_eq!(
            item_value(&many, &Cell::Json(json!(["2"]))),
            Ok(json!(["2"]))
        );
        assert_eq!(item_value(&many, &text("1;9")), Err(()));
        assert_eq!(item_value(&ItemKind::Boolean, &text("有")), Ok(json!(true)));
        assert_eq!(item_value(&ItemKind::Boolean, &text("maybe")), Err(()));
    }

    #[test]
    fn a_form_id_depends_on_its_source() {
        let code = InstitutionCode::parse("0110113719").expect("code");
        let p = domain::Program::Nanbyo;
        let hospital = form_id(p, &code, Source::Institution, "A-1");
        assert_eq!(
            hospital,
            form_id(p, &code, Source::Institution, "A-1"),
            "stable"
        );
        assert_ne!(
            hospital,
            form_id(p, &code, Source::Contractor("入力センター"), "A-1")
        );
        assert_ne!(hospital, form_id(p, &code, Source::Institution, "A-2"));
        assert_ne!(
            hospital,
            form_id(domain::Program::Shoman, &code, Source::Institution, "A-1")
        );
        // No choice of names makes two sources meet.
        assert_ne!(
            form_id(p, &code, Source::Contractor("010006"), "R"),
            form_id(p, &code, Source::Paper("010006"), "R")
        );
        assert_ne!(
            form_id(p, &code, Source::Contractor("X"), "R"),
            form_id(p, &code, Source::Institution, "from/X/R")
        );
    }
}
