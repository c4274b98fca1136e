//! The one error type of the HTTP API: every failure becomes a status, a stable
//! machine-readable `code` and a message in Japanese and English. Internal details are logged
//! (without personal data), never sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
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
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "システム内部でエラーが発生しました。",
                    "An internal error occurred.",
                )
            }
        }
    }
}
