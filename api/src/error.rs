//! The one error type of the HTTP API: every failure becomes a status, a stable
//! machine-readable `code` and a message in Japanese and English. What each error of the
//! commands and queries says is `commands::problem` (the web client shows the same); this
//! module answers it as JSON. Internal details are logged (without personal data), never sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use commands::accounts::AccountsError;
use commands::problem::Problem;
use commands::CommandError;
use domain::account::AccountError;
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

impl ApiError {
    fn of(p: Problem) -> Self {
        ApiError {
            status: StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code: p.code,
            ja: p.ja,
            en: p.en,
            details: p.details,
        }
    }
}

/// Every error the commands can end in is a [`Problem`], and so an [`ApiError`].
macro_rules! via_problem {
    ($($t:ty),* $(,)?) => {
        $(impl From<$t> for ApiError {
            fn from(e: $t) -> Self {
                ApiError::of(Problem::from(e))
            }
        })*
    };
}

via_problem!(
    Problem,
    StoreError,
    CommandError<FormError>,
    CommandError<MasterError>,
    CommandError<InstitutionError>,
    AccountsError,
    AccountError,
);
