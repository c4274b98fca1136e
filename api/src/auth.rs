//! Who is calling: `Authorization: Bearer <token>` from `POST /api/login`, resolved on every
//! request to the account as it is now (a suspension, a revoked affiliation or an expired
//! designation takes effect at the next request). A wrong, expired or revoked token is 401
//! with no hint of which.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use domain::account::Account;
use domain::form::Actor;

use crate::error::ApiError;
use crate::http::AppState;

/// The acting account, once its password is its own (a fresh or reset password must be
/// changed before anything else).
pub struct CurrentActor(pub Actor);

/// The acting account, even before it changed its issued password (for `/api/me`, the
/// password change and logout), with the token it came with.
pub struct Session {
    pub actor: Actor,
    pub account: Account,
    pub token: String,
}

pub fn unauthenticated() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "ログインが必要です。ログインし直してください。",
        "Authentication is required; log in again.",
    )
}

pub(crate) fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

impl FromRequestParts<AppState> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or_else(unauthenticated)?.to_owned();
        match commands::accounts::authenticate(&state.store, &token).await {
            Ok(Some((actor, account))) => Ok(Session {
                actor,
                account,
                token,
            }),
            Ok(None) => Err(unauthenticated()),
            Err(e) => Err(crate::accounts::accounts_error(e)),
        }
    }
}

impl FromRequestParts<AppState> for CurrentActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let session = Session::from_request_parts(parts, state).await?;
        if session.account.must_change_password {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "password_change_required",
                "発行されたパスワードを変更してからご利用ください。",
                "Change the issued password first (POST /api/me/password).",
            ));
        }
        Ok(CurrentActor(session.actor))
    }
}

/// Where a request came from, for the read audit (shared with the web client).
pub use web::session::Origin;
