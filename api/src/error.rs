//! The one error type of the HTTP API: every failure becomes a status, a stable
//! machine-readable `code` and a message in Japanese and English. Internal details are logged
//! (without personal data), never sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use commands::CommandError;
use domain::form::FormError;
use domain::institution::InstitutionError;
use domain::master::MasterError;
use eventstore::StoreError;
use serde_json::{json, Value};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub ja: String,
    pub en: String,
    pub details: Option<Value>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        ja: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        ApiError {
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

    /// A fault of ours: nothing about it is told to the client (it is logged where it happens).
    pub fn internal() -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "システム内部でエラーが発生しました。",
            "An internal error occurred.",
        )
    }

    pub fn database_unavailable() -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "データベースに接続できません。しばらくしてから再度お試しください。",
            "The database cannot be reached. Please try again later.",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "code": self.code,
            "message": { "ja": self.ja, "en": self.en },
        });
        if let Some(details) = self.details {
            body["details"] = details;
        }
        (self.status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { current, .. } => ApiError::new(
                StatusCode::CONFLICT,
                "version_conflict",
                "他の更新が先に保存されました。最新の内容を確認してください。",
                "Another change was saved first. Reload and review the current version.",
            )
            .with_details(json!({ "current_version": current })),
            StoreError::IdempotencyKeyReused => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "この Idempotency-Key は別の操作で使用済みです。",
                "This Idempotency-Key was already used for a different operation.",
            ),
            StoreError::InvalidIdempotencyKey => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_idempotency_key",
                "Idempotency-Key は 1〜200 文字の英数字記号で指定してください。",
                "Idempotency-Key must be 1-200 visible ASCII characters.",
            ),
            StoreError::InvalidStream(reason) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_identifier",
                "識別子が正しくありません。",
                format!("Invalid identifier: {reason}"),
            ),
            StoreError::InvalidEvent(_) | StoreError::BatchSize { .. } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_event",
                "保存できない内容です。",
                "The change cannot be stored: it is not valid.",
            ),
            StoreError::Database(ref inner)
                if matches!(inner, sqlx::Error::PoolTimedOut | sqlx::Error::Io(_)) =>
            {
                tracing::error!(error = %e, "database unavailable");
                ApiError::database_unavailable()
            }
            other => {
                tracing::error!(error = %other, "internal error");
                ApiError::internal()
            }
        }
    }
}

impl From<CommandError<FormError>> for ApiError {
    fn from(e: CommandError<FormError>) -> Self {
        match e {
            CommandError::Rejected(e) => match e {
                FormError::NotFound => ApiError::new(
                    StatusCode::NOT_FOUND,
                    "form_not_found",
                    "臨個票が見つかりません。",
                    "No such form.",
                ),
                FormError::Forbidden(permission) => ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "この操作の権限がありません。",
                    format!("Not permitted: {permission}."),
                )
                .with_details(json!({ "permission": permission })),
                FormError::WrongStatus(s) => ApiError::new(
                    StatusCode::CONFLICT,
                    "wrong_status",
                    "現在の状態ではこの操作はできません。",
                    format!("Not possible while the form is {s:?}."),
                ),
                FormError::ReasonRequired => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "reason_required",
                    "提出後の変更には理由の入力が必要です。",
                    "A change after submission needs a reason.",
                ),
                FormError::InvalidItems(errors) => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_items",
                    "入力内容に誤りがあります。",
                    "Some items are not valid.",
                )
                .with_details(json!({ "items": errors })),
                FormError::WrongMaster => ApiError::new(
                    StatusCode::CONFLICT,
                    "wrong_master",
                    "様式の版が一致しません。",
                    "The master is for another disease or form version.",
                ),
                FormError::Unchanged => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unchanged",
                    "変更された項目がありません。",
                    "Nothing changed.",
                ),
                FormError::AlreadyExists => ApiError::new(
                    StatusCode::CONFLICT,
                    "form_exists",
                    "この臨個票は既に作成されています。",
                    "The form already exists.",
                ),
                FormError::UnknownDisease => unknown_disease(),
                FormError::AccessKeyMismatch => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "access_key_mismatch",
                    "アクセスキーがこの臨個票と一致しません。",
                    "The access key does not match this form.",
                ),
                FormError::UnknownInstitution => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unknown_institution",
                    "医療機関がマスタに登録されていません。",
                    "The medical institution is not registered in the master.",
                ),
                FormError::CarryOverMismatch => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "carry_over_mismatch",
                    "前回の臨個票は同じ患者・同じ疾病の（取下げていない）ものを指定してください。",
                    "The previous form must be of the same patient and disease, and not withdrawn.",
                ),
                FormError::Invalid(message) => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
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
                ApiError::internal()
            }
        }
    }
}

fn unknown_disease() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_disease",
        "指定された疾病・様式の版はマスタにありません。",
        "The disease or form version is not in the master.",
    )
}

/// A master command's failure as an API error.
impl From<CommandError<MasterError>> for ApiError {
    fn from(e: CommandError<MasterError>) -> Self {
        match e {
            CommandError::Rejected(MasterError::Forbidden) => ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "マスタの公開はシステム運営主体のみが行えます。",
                "Only the operator publishes master versions.",
            )
            .with_details(json!({ "permission": "publish master versions" })),
            CommandError::Rejected(MasterError::VersionExists(v)) => ApiError::new(
                StatusCode::CONFLICT,
                "master_version_exists",
                "このマスタ版は既に公開されています。",
                format!("Master version {v} is already published."),
            ),
            CommandError::Rejected(MasterError::InvalidVersion) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_master_version",
                "マスタ版の名前が正しくありません。",
                MasterError::InvalidVersion.to_string(),
            ),
            CommandError::Rejected(MasterError::Invalid(problems)) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_master",
                "マスタの内容に誤りがあります。",
                "The master is not valid.",
            )
            .with_details(json!({ "problems": problems })),
            CommandError::Store(e) => e.into(),
            CommandError::Unreadable(_) => ApiError::internal(),
        }
    }
}

/// An institution-master command's failure as an API error.
impl From<CommandError<InstitutionError>> for ApiError {
    fn from(e: CommandError<InstitutionError>) -> Self {
        match e {
            CommandError::Rejected(InstitutionError::Forbidden) => ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "医療機関マスタの登録はシステム運営主体のみが行えます。",
                "Only the operator maintains the institution master.",
            )
            .with_details(json!({ "permission": "maintain the institution master" })),
            CommandError::Rejected(InstitutionError::AlreadyRegistered) => ApiError::new(
                StatusCode::CONFLICT,
                "institution_exists",
                "この医療機関は登録済みです。",
                "The institution is already registered.",
            ),
            CommandError::Rejected(e) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "入力内容に誤りがあります。",
                e.to_string(),
            ),
            CommandError::Store(e) => e.into(),
            CommandError::Unreadable(_) => ApiError::internal(),
        }
    }
}
