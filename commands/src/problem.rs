//! What a user is told when something is refused or fails: an HTTP status, a stable
//! machine-readable `code` and a message in Japanese and English, for every error of the write
//! and read side. The JSON API answers it as its error format and the web client shows it on
//! the page: one mapping for both front ends. Internal details are logged (without personal
//! data), never told.

use domain::account::AccountError;
use domain::form::FormError;
use domain::institution::InstitutionError;
use domain::master::MasterError;
use eventstore::StoreError;
use serde_json::{json, Value};

use crate::accounts::AccountsError;
use crate::CommandError;

/// HTTP statuses, by name.
pub mod status {
    pub const BAD_REQUEST: u16 = 400;
    pub const UNAUTHORIZED: u16 = 401;
    pub const FORBIDDEN: u16 = 403;
    pub const NOT_FOUND: u16 = 404;
    pub const CONFLICT: u16 = 409;
    pub const PAYLOAD_TOO_LARGE: u16 = 413;
    pub const UNSUPPORTED_MEDIA_TYPE: u16 = 415;
    pub const UNPROCESSABLE_ENTITY: u16 = 422;
    pub const LOCKED: u16 = 423;
    pub const INTERNAL_SERVER_ERROR: u16 = 500;
    pub const SERVICE_UNAVAILABLE: u16 = 503;
}

#[derive(Debug, Clone)]
pub struct Problem {
    pub status: u16,
    pub code: &'static str,
    pub ja: String,
    pub en: String,
    pub details: Option<Value>,
}

impl Problem {
    pub fn new(
        status: u16,
        code: &'static str,
        ja: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Problem {
            status,
            code,
            ja: ja.into(),
            en: en.into(),
            details: None,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// A fault of ours: nothing about it is told (it is logged where it happens).
    pub fn internal() -> Self {
        Problem::new(
            status::INTERNAL_SERVER_ERROR,
            "internal",
            "システム内部でエラーが発生しました。",
            "An internal error occurred.",
        )
    }

    pub fn database_unavailable() -> Self {
        Problem::new(
            status::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "データベースに接続できません。しばらくしてから再度お試しください。",
            "The database cannot be reached. Please try again later.",
        )
    }

    /// Items of a form (or fields of its patient block) that were refused, one entry each.
    pub fn item_errors(&self) -> Vec<domain::judgment::ItemError> {
        self.details
            .as_ref()
            .and_then(|d| d.get("items"))
            .and_then(|i| serde_json::from_value(i.clone()).ok())
            .unwrap_or_default()
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { current, .. } => Problem::new(
                status::CONFLICT,
                "version_conflict",
                "他の更新が先に保存されました。最新の内容を確認してください。",
                "Another change was saved first. Reload and review the current version.",
            )
            .with_details(json!({ "current_version": current })),
            StoreError::IdempotencyKeyReused => Problem::new(
                status::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "この Idempotency-Key は別の操作で使用済みです。",
                "This Idempotency-Key was already used for a different operation.",
            ),
            StoreError::InvalidIdempotencyKey => Problem::new(
                status::BAD_REQUEST,
                "invalid_idempotency_key",
                "Idempotency-Key は 1〜200 文字の英数字記号で指定してください。",
                "Idempotency-Key must be 1-200 visible ASCII characters.",
            ),
            StoreError::InvalidStream(reason) => Problem::new(
                status::BAD_REQUEST,
                "invalid_identifier",
                "識別子が正しくありません。",
                format!("Invalid identifier: {reason}"),
            ),
            StoreError::InvalidEvent(_) | StoreError::BatchSize { .. } => Problem::new(
                status::UNPROCESSABLE_ENTITY,
                "invalid_event",
                "保存できない内容です。",
                "The change cannot be stored: it is not valid.",
            ),
            StoreError::Database(ref inner)
                if matches!(inner, sqlx::Error::PoolTimedOut | sqlx::Error::Io(_)) =>
            {
                tracing::error!(error = %e, "database unavailable");
                Problem::database_unavailable()
            }
            other => {
                tracing::error!(error = %other, "internal error");
                Problem::internal()
            }
        }
    }
}

impl From<CommandError<FormError>> for Problem {
    fn from(e: CommandError<FormError>) -> Self {
        match e {
            CommandError::Rejected(e) => match e {
                FormError::NotFound => Problem::new(
                    status::NOT_FOUND,
                    "form_not_found",
                    "臨個票が見つかりません。",
                    "No such form.",
                ),
                FormError::Forbidden(permission) => Problem::new(
                    status::FORBIDDEN,
                    "forbidden",
                    "この操作の権限がありません。",
                    format!("Not permitted: {permission}."),
                )
                .with_details(json!({ "permission": permission })),
                FormError::WrongStatus(s) => Problem::new(
                    status::CONFLICT,
                    "wrong_status",
                    "現在の状態ではこの操作はできません。",
                    format!("Not possible while the form is {s:?}."),
                ),
                FormError::ReasonRequired => Problem::new(
                    status::UNPROCESSABLE_ENTITY,
                    "reason_required",
                    "提出後の変更には理由の入力が必要です。",
                    "A change after submission needs a reason.",
                ),
                FormError::InvalidItems(errors) => Problem::new(
                    status::UNPROCESSABLE_ENTITY,
                    "invalid_items",
                    "入力内容に誤りがあります。",
                    "Some items are not valid.",
                )
                .with_details(json!({ "items": errors })),
                FormError::WrongMaster => Problem::new(
                    status::CONFLICT,
                    "wrong_master",
                    "様式の版が一致しません。",
                    "The master is for another disease or form version.",
                ),
                FormError::Unchanged => Problem::new(
                    status::UNPROCESSABLE_ENTITY,
                    "unchanged",
                    "変更された項目がありません。",
                    "Nothing changed.",
                ),
                FormError::AlreadyExists => Problem::new(
                    status::CONFLICT,
                    "form_exists",
                    "この臨個票は既に作成されています。",
                    "The form already exists.",
                ),
                FormError::UnknownDisease => unknown_disease(),
                FormError::AccessKeyMismatch => Problem::new(
                    status::UNPROCESSABLE_ENTITY,
                    "access_key_mismatch",
                    "アクセスキーがこの臨個票と一致しません。",
                    "The access key does not match this form.",
                ),
                FormError::UnknownInstitution => Problem::new(
                    status::UNPROCESSABLE_ENTITY,
                    "unknown_institution",
                    "医療機関がマスタに登録されていません。",
                    "The medical institution is not registered in the master.",
                ),
                FormError::CarryOverMismatch => Problem::new(
                    status::UNPROCESSABLE_ENTITY,
                    "carry_over_mismatch",
                    "前回の臨個票は同じ患者・同じ疾病の（取下げていない）ものを指定してください。",
                    "The previous form must be of the same patient and disease, and not withdrawn.",
                ),
                FormError::Invalid(message) => Problem::new(
                    status::UNPROCESSABLE_ENTITY,
                    "invalid",
                    "入力内容に誤りがあります。",
                    message,
                ),
            },
            CommandError::Store(e) => e.into(),
            CommandError::Unreadable(e) => {
                // The reason may quote stored values (personal data): log the event type only.
                let event_type = match &e {
                    domain::PayloadError::UnknownType(t)
                    | domain::PayloadError::SchemaVersion { event_type: t, .. }
                    | domain::PayloadError::Invalid { event_type: t, .. } => t.clone(),
                };
                tracing::error!(event_type, "stored form event cannot be read");
                Problem::internal()
            }
        }
    }
}

fn unknown_disease() -> Problem {
    Problem::new(
        status::UNPROCESSABLE_ENTITY,
        "unknown_disease",
        "指定された疾病・様式の版はマスタにありません。",
        "The disease or form version is not in the master.",
    )
}

/// A master command's failure as an API error.
impl From<CommandError<MasterError>> for Problem {
    fn from(e: CommandError<MasterError>) -> Self {
        match e {
            CommandError::Rejected(MasterError::Forbidden) => Problem::new(
                status::FORBIDDEN,
                "forbidden",
                "マスタの公開はシステム運営主体のみが行えます。",
                "Only the operator publishes master versions.",
            )
            .with_details(json!({ "permission": "publish master versions" })),
            CommandError::Rejected(MasterError::VersionExists(v)) => Problem::new(
                status::CONFLICT,
                "master_version_exists",
                "このマスタ版は既に公開されています。",
                format!("Master version {v} is already published."),
            ),
            CommandError::Rejected(MasterError::InvalidVersion) => Problem::new(
                status::UNPROCESSABLE_ENTITY,
                "invalid_master_version",
                "マスタ版の名前が正しくありません。",
                MasterError::InvalidVersion.to_string(),
            ),
            CommandError::Rejected(MasterError::Invalid(problems)) => Problem::new(
                status::UNPROCESSABLE_ENTITY,
                "invalid_master",
                "マスタの内容に誤りがあります。",
                "The master is not valid.",
            )
            .with_details(json!({ "problems": problems })),
            CommandError::Store(e) => e.into(),
            CommandError::Unreadable(_) => Problem::internal(),
        }
    }
}

/// An institution-master command's failure as an API error.
impl From<CommandError<InstitutionError>> for Problem {
    fn from(e: CommandError<InstitutionError>) -> Self {
        match e {
            CommandError::Rejected(InstitutionError::Forbidden) => Problem::new(
                status::FORBIDDEN,
                "forbidden",
                "医療機関マスタの登録はシステム運営主体のみが行えます。",
                "Only the operator maintains the institution master.",
            )
            .with_details(json!({ "permission": "maintain the institution master" })),
            CommandError::Rejected(InstitutionError::AlreadyRegistered) => Problem::new(
                status::CONFLICT,
                "institution_exists",
                "この医療機関は登録済みです。",
                "The institution is already registered.",
            ),
            CommandError::Rejected(e) => Problem::new(
                status::UNPROCESSABLE_ENTITY,
                "invalid",
                "入力内容に誤りがあります。",
                e.to_string(),
            ),
            CommandError::Store(e) => e.into(),
            CommandError::Unreadable(_) => Problem::internal(),
        }
    }
}

impl From<AccountsError> for Problem {
    fn from(e: AccountsError) -> Self {
        match e {
            AccountsError::Command(CommandError::Rejected(e)) => e.into(),
            AccountsError::Command(CommandError::Store(e)) => e.into(),
            AccountsError::Command(CommandError::Unreadable(e)) => {
                tracing::error!(error = %e, "an account event cannot be read");
                Problem::new(
                    status::INTERNAL_SERVER_ERROR,
                    "unreadable_account",
                    "アカウントを読み込めません。",
                    "The account cannot be read.",
                )
            }
            AccountsError::Database(e) => {
                tracing::warn!(error = %e, "credential store or directory failed");
                Problem::database_unavailable()
            }
            AccountsError::Invalid { code, message } => Problem::new(
                status::UNPROCESSABLE_ENTITY,
                code,
                "入力内容に誤りがあります。",
                message,
            ),
            AccountsError::Unavailable { code, message } => Problem::new(
                status::SERVICE_UNAVAILABLE,
                code,
                "一時的に処理できません。しばらくしてから再度お試しください。",
                message,
            ),
            AccountsError::File(f) => Problem::new(
                status::UNPROCESSABLE_ENTITY,
                f.code,
                f.message.ja.clone(),
                f.message.en.clone(),
            )
            .with_details(json!({ "file": f })),
        }
    }
}

impl From<AccountError> for Problem {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Forbidden(permission) => Problem::new(
                status::FORBIDDEN,
                "forbidden",
                "この操作の権限がありません。",
                format!("Not permitted: {permission}."),
            )
            .with_details(json!({ "permission": permission })),
            AccountError::NotFound => Problem::new(
                status::NOT_FOUND,
                "account_not_found",
                "アカウントが見つかりません。",
                "No such account.",
            ),
            AccountError::AlreadyExists => Problem::new(
                status::CONFLICT,
                "account_exists",
                "アカウントは既に存在します。",
                "The account exists already.",
            ),
            AccountError::Invalid(m) => Problem::new(
                status::UNPROCESSABLE_ENTITY,
                "invalid_account",
                "入力内容に誤りがあります。",
                m,
            ),
            AccountError::ReasonRequired => Problem::new(
                status::UNPROCESSABLE_ENTITY,
                "reason_required",
                "理由を入力してください。",
                "A reason is required.",
            ),
            AccountError::Suspended => Problem::new(
                status::CONFLICT,
                "account_suspended",
                "アカウントは停止中です。",
                "The account is suspended.",
            ),
            AccountError::Nothing(m) => {
                Problem::new(status::CONFLICT, "nothing_to_do", "既にその状態です。", m)
            }
        }
    }
}

impl From<crate::import_runner::StageError> for Problem {
    fn from(e: crate::import_runner::StageError) -> Self {
        use crate::import_runner::StageError;
        match e {
            StageError::TooLarge => Problem::new(
                status::PAYLOAD_TOO_LARGE,
                "file_too_large",
                format!(
                    "ファイルが大きすぎます（上限 {} GiB）。分割してアップロードしてください。",
                    crate::imports::MAX_FILE_BYTES >> 30
                ),
                format!(
                    "The file is larger than {} GiB; split it and upload the parts.",
                    crate::imports::MAX_FILE_BYTES >> 30
                ),
            ),
            StageError::Storage(_) => Problem::new(
                status::SERVICE_UNAVAILABLE,
                "storage_unavailable",
                "ファイルを保存できませんでした。しばらくしてから再度お試しください。",
                "The file could not be stored. Please try again later.",
            ),
        }
    }
}

impl From<crate::imports::ReceiveError> for Problem {
    fn from(e: crate::imports::ReceiveError) -> Self {
        use crate::imports::ReceiveError;
        use domain::import_job::ImportError;
        match e {
            ReceiveError::Rejected(ImportError::Forbidden(why)) => Problem::new(
                status::FORBIDDEN,
                "forbidden",
                "この取込を行う権限がありません。",
                format!("Not permitted: {why}."),
            )
            .with_details(serde_json::json!({ "permission": why })),
            ReceiveError::Rejected(e) => Problem::new(
                status::UNPROCESSABLE_ENTITY,
                "invalid_import",
                "取込の指定が正しくありません。",
                format!("The import is not valid: {e}."),
            ),
            ReceiveError::File(f) => Problem::new(
                status::UNPROCESSABLE_ENTITY,
                "invalid_file",
                f.message_ja.clone(),
                f.message_en.clone(),
            )
            .with_details(serde_json::json!({ "file_error": f.code })),
            ReceiveError::Store(e) => e.into(),
            ReceiveError::Unreadable(e) => {
                tracing::error!(error = %e, "stored event cannot be read");
                Problem::database_unavailable()
            }
            ReceiveError::Worker(e) => {
                tracing::error!(error = %e, "import file check failed");
                Problem::database_unavailable()
            }
        }
    }
}
