//! The HTTP edge every route shares: the request's idempotency key (fingerprinted and claimed
//! by one layer on the whole router), `If-Match`, JSON bodies with their Content-Type checked,
//! query strings, and the API's error format for every rejection the framework itself makes.
//! Handlers take these extractors and never read those headers themselves.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use commands::request_keys::{self, Claim};
use eventstore::IdempotencyKey;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::http::AppState;

/// The largest JSON body of an ordinary route.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;
/// A paper form with its scan (20 MiB) in Base64.
pub const PAPER_BODY_LIMIT: usize = 32 * 1024 * 1024;
/// The largest 医療機関ユーザデータファイル (a file of 100,000 rows is about 8 MiB).
pub const USER_FILE_LIMIT: usize = 16 * 1024 * 1024;

/// How much of a request the idempotency layer buffers to fingerprint it. Bulk imports (up to
/// 2 GiB) are streamed to disk by their handler, which ties the key to the file's digest: their
/// fingerprint covers the method, path and query only.
fn buffered_limit(path: &str) -> Option<usize> {
    match path {
        "/api/forms/paper" => Some(PAPER_BODY_LIMIT),
        "/api/accounts/user-file" => Some(USER_FILE_LIMIT),
        p if p.starts_with("/api/imports/") => None,
        _ => Some(BODY_LIMIT),
    }
}

/// The request's `Idempotency-Key`, carrying the fingerprint of the request it came with.
/// Only [`claim_idempotency_key`] builds one, so no handler can hold a key that is not tied to
/// its request.
#[derive(Debug, Clone)]
pub struct RequestKey(pub Option<IdempotencyKey>);

/// The key as the layer hands it to the handler.
#[derive(Clone)]
struct ClaimedKey(IdempotencyKey);

impl<S: Send + Sync> FromRequestParts<S> for RequestKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        if let Some(ClaimedKey(key)) = parts.extensions.get::<ClaimedKey>() {
            return Ok(RequestKey(Some(key.clone())));
        }
        if parts.headers.contains_key("idempotency-key") {
            // The router's layer did not run: a wiring bug, never a client's fault, and never
            // a reason to act on a key that is not tied to its request.
            tracing::error!("an Idempotency-Key reached a handler without the idempotency layer");
            return Err(ApiError::internal());
        }
        Ok(RequestKey(None))
    }
}

fn body_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        "リクエストが大きすぎます。",
        "The request body is too large.",
    )
}

fn key_reused() -> ApiError {
    ApiError::from(eventstore::StoreError::IdempotencyKeyReused)
}

/// The account a bearer token stands for, if it is a live session.
async fn session_account(state: &AppState, parts: &Parts) -> Result<Option<String>, ApiError> {
    let Some(token) = crate::auth::bearer(parts) else {
        return Ok(None);
    };
    commands::credentials::session_account(&state.store.sql(), token)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "session lookup failed");
            ApiError::database_unavailable()
        })
}

/// The digest of a request: method, path, query and body. A JSON body is taken in canonical
/// form (keys sorted, no whitespace), so a retry that serialises the same request differently
/// is still the same request.
fn fingerprint(parts: &Parts, body: Option<&[u8]>) -> String {
    let mut h = Sha256::new();
    h.update(parts.method.as_str().as_bytes());
    h.update([0]);
    h.update(parts.uri.path().as_bytes());
    h.update([0]);
    h.update(parts.uri.query().unwrap_or("").as_bytes());
    h.update([0]);
    match body {
        None => h.update(b"streamed"),
        Some(bytes) => match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(json) => {
                h.update(b"json\0");
                h.update(json.to_string().as_bytes());
            }
            Err(_) => {
                h.update(b"raw\0");
                h.update(bytes);
            }
        },
    }
    hex::encode(h.finalize())
}

/// One layer on the whole router: every request that carries an `Idempotency-Key` has it
/// parsed, fingerprinted and claimed for the calling account before any handler runs. The
/// same key with a different request is 422 `idempotency_key_reused` on every route, whether
/// or not its handler ever looks at the key; a first request that is refused (4xx: nothing
/// was done) gives the key back.
/// The POST routes that record nothing and so refuse an Idempotency-Key: login, logout and
/// the judgment preview of a form.
pub fn takes_no_key(path: &str) -> bool {
    matches!(path, "/api/login" | "/api/logout")
        || path
            .strip_prefix("/api/forms/")
            .and_then(|rest| rest.strip_suffix("/preview"))
            .is_some_and(|id| !id.contains('/'))
}

pub async fn claim_idempotency_key(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let Some(raw) = request.headers().get("idempotency-key") else {
        return Ok(next.run(request).await);
    };
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        // Reads do nothing twice; their handlers take no key.
        return Ok(next.run(request).await);
    }
    if takes_no_key(request.uri().path()) {
        // A session is opened or closed, or a judgment previewed: nothing is recorded twice, a
        // key would mean nothing here, and a key that is silently ignored is worse than one
        // refused.
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "idempotency_key_not_accepted",
            "この操作には Idempotency-Key を指定できません。",
            "This operation takes no Idempotency-Key.",
        ));
    }
    let key = raw
        .to_str()
        .map_err(|_| eventstore::StoreError::InvalidIdempotencyKey)
        .and_then(IdempotencyKey::parse)?;
    let (mut parts, body) = request.into_parts();
    let (fingerprint, body) = match buffered_limit(parts.uri.path()) {
        Some(limit) => {
            let bytes = axum::body::to_bytes(body, limit)
                .await
                .map_err(|_| body_too_large())?;
            (fingerprint(&parts, Some(&bytes)), Body::from(bytes))
        }
        None => (fingerprint(&parts, None), body),
    };
    let key = key.with_fingerprint(fingerprint);
    let account = session_account(&state, &parts).await?;
    let mut first = false;
    if let Some(account) = &account {
        match request_keys::claim(&state.store.sql(), account, &key).await {
            Ok(Claim::First) => first = true,
            Ok(Claim::Retry) => {}
            Ok(Claim::OtherRequest) => return Err(key_reused()),
            Err(e) => {
                tracing::warn!(error = %e, "idempotency key claim failed");
                return Err(ApiError::database_unavailable());
            }
        }
    }
    parts.extensions.insert(ClaimedKey(key.clone()));
    let response = next.run(Request::from_parts(parts, body)).await;
    if first && response.status().is_client_error() {
        if let Some(account) = &account {
            if let Err(e) = request_keys::release(&state.store.sql(), account, &key).await {
                // The key stays tied to the refused request: a corrected retry needs a new key.
                tracing::warn!(error = %e, "idempotency key release failed");
            }
        }
    }
    Ok(response)
}

/// `If-Match: 3` or `If-Match: "3"`: the stream version the client last saw.
pub struct IfMatch(pub Option<u64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .headers
            .get(header::IF_MATCH)
            .map(|v| {
                v.to_str()
                    .ok()
                    .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
                    .and_then(|s| s.parse::<u64>().ok())
                    .ok_or_else(|| {
                        ApiError::new(
                            StatusCode::BAD_REQUEST,
                            "invalid_if_match",
                            "If-Match には版番号を指定してください。",
                            "If-Match must carry the version number the client last saw.",
                        )
                    })
            })
            .transpose()
            .map(IfMatch)
    }
}

/// Whether the request says its body is JSON (`application/json` or `application/…+json`).
fn is_json(parts_or_headers: &axum::http::HeaderMap) -> bool {
    parts_or_headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| {
            v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
        })
}

fn unsupported_media_type() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "リクエストの形式は JSON（Content-Type: application/json）で送信してください。",
        "Send the request body as JSON (Content-Type: application/json).",
    )
}

fn invalid_body(e: &serde_json::Error) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
        "リクエストの内容が正しくありません。",
        format!("The request body is not valid: {e}"),
    )
}

/// A JSON request body: refused with 415 unless it is declared `application/json` (a form or
/// `text/plain` POST is what a cross-site page can send), 413 over the route's limit, 422 when
/// it does not parse into `T`.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(request.headers()) {
            return Err(unsupported_media_type());
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| rejection(e.status()))?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| invalid_body(&e))
    }
}

/// A JSON body that may be left out entirely (no body, no Content-Type): then `T::default()`.
pub struct OptionalJsonBody<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let declared = request.headers().contains_key(header::CONTENT_TYPE);
        let json = is_json(request.headers());
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| rejection(e.status()))?;
        if bytes.is_empty() && (!declared || json) {
            return Ok(OptionalJsonBody(T::default()));
        }
        if !json {
            return Err(unsupported_media_type());
        }
        serde_json::from_slice(&bytes)
            .map(OptionalJsonBody)
            .map_err(|e| invalid_body(&e))
    }
}

/// A query string in the API's own error shape: a malformed or unknown parameter is 400
/// `invalid_query` with messages in both languages, never axum's plain-text answer.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(q)| ApiQuery(q))
            .map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    "URLのパラメータが正しくありません。",
                    format!("The query is not valid: {}", e.body_text()),
                )
            })
    }
}

/// The API's error for a status the framework answered by itself (no route, wrong method, a
/// body too large, a malformed path parameter …). The framework's own text is not repeated:
/// it may quote what the client sent.
pub fn rejection(status: StatusCode) -> ApiError {
    let (code, ja, en) = match status {
        StatusCode::NOT_FOUND => (
            "not_found",
            "指定されたURLはありません。",
            "There is nothing at this URL.",
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "このURLではその操作（メソッド）は使えません。",
            "This URL does not accept that method.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => return body_too_large(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => return unsupported_media_type(),
        StatusCode::UNPROCESSABLE_ENTITY => (
            "invalid_body",
            "リクエストの内容が正しくありません。",
            "The request body is not valid.",
        ),
        s if s.is_server_error() => return ApiError::internal(),
        _ => (
            "bad_request",
            "リクエストが正しくありません（URLの形式など）。",
            "The request is not valid (for example a malformed part of the URL).",
        ),
    };
    ApiError::new(status, code, ja, en)
}

/// Whether a response is already in the API's error format (or any JSON the handler chose).
fn is_json_response(response: &Response) -> bool {
    is_json(response.headers())
}

/// The paths the JSON API answers (everything else belongs to the web client).
pub fn is_api_path(path: &str) -> bool {
    path == "/api"
        || path.starts_with("/api/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics" | "/openapi.json")
}

/// One layer on the whole router for the JSON API's paths: every error the framework answers
/// by itself (plain text or an empty body) becomes the API's error format, and every response
/// carries headers that keep a stored string from ever being run as a page.
pub async fn api_edge(request: Request, next: Next) -> Response {
    if !is_api_path(request.uri().path()) {
        return next.run(request).await;
    }
    let mut response = next.run(request).await;
    let status = response.status();
    if (status.is_client_error() || status.is_server_error()) && !is_json_response(&response) {
        let allow = response.headers().get(header::ALLOW).cloned();
        response = rejection(status).into_response();
        if let Some(allow) = allow {
            response.headers_mut().insert(header::ALLOW, allow);
        }
    }
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; frame-ancestors 'none'",
        ));
    response
}
