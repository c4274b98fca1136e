//! Who is using the browser: the session token of `POST /login` (the same sessions as the
//! API's bearer tokens) in an `HttpOnly`, `SameSite=Strict` cookie, resolved on every request
//! to the account as it is now. A forced password change comes before anything else; a cookie
//! whose session ended gets a page that says so. Every state-changing request carries a CSRF
//! token, checked by one layer in front of every route ([`check_csrf`]).

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use domain::account::Account;
use domain::form::Actor;
use sha2::{Digest, Sha256};

use crate::i18n::{Lang, Tr};
use crate::pages;
use crate::WebState;

pub const SESSION_COOKIE: &str = "nanbyo_session";
/// Before there is a session: the login form's CSRF token (double submit).
pub const LOGIN_CSRF_COOKIE: &str = "nanbyo_login_csrf";
pub const LANG_COOKIE: &str = "nanbyo_lang";
/// The form field and the header (htmx) that carry the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The value of cookie `name`.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
}

/// Whether the browser reached us over TLS (directly, or through a proxy that says so): then
/// cookies are `Secure`.
pub fn over_tls(headers: &HeaderMap, state: &WebState) -> bool {
    state.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value: always `Path=/`, `SameSite=Strict`; `HttpOnly` unless the page's own
/// script must not need it either (none does: every cookie is `HttpOnly`).
pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The CSRF token of a session: a digest of the session token, which only the browser holding
/// the (HttpOnly) cookie and the server know. Nothing to store.
pub fn csrf_for(session_token: &str) -> String {
    let digest = Sha256::digest(format!("nanbyo-csrf/v1\u{0}{session_token}").as_bytes());
    hex::encode(&digest[..16])
}

/// A fresh random token (login CSRF).
pub fn random_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

pub fn lang_of(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or_default()
}

/// The logged-in user of a page, once the issued password has been replaced.
pub struct Web {
    pub actor: Actor,
    pub account: Account,
    pub token: String,
    pub t: Tr,
    pub csrf: String,
    /// The path of this request (for the navigation and `next` after a login).
    pub path: String,
}

/// As [`Web`], also before the issued password was changed (the password page, logout).
pub struct AnyWeb(pub Web);

async fn resolve(parts: &Parts, state: &WebState) -> Result<Web, Response> {
    let t = Tr::new(lang_of(&parts.headers));
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE).filter(|t| !t.is_empty()) else {
        return Err(to_login(&path));
    };
    match commands::accounts::authenticate(&state.store, &token).await {
        Ok(Some((actor, account))) => Ok(Web {
            actor,
            account,
            csrf: csrf_for(&token),
            token,
            t,
            path,
        }),
        Ok(None) => Err(pages::expired(t, over_tls(&parts.headers, state))),
        Err(e) => {
            tracing::warn!(error = %e, "session lookup failed");
            Err(pages::problem_page(
                t,
                None,
                &commands::problem::Problem::from(e),
            ))
        }
    }
}

/// To the login page, coming back to `path` afterwards.
fn to_login(path: &str) -> Response {
    let next = if path == "/" || path.starts_with("/login") {
        String::new()
    } else {
        format!("?next={}", pages::url_encode(path))
    };
    Redirect::to(&format!("/login{next}")).into_response()
}

impl FromRequestParts<WebState> for AnyWeb {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Response> {
        resolve(parts, state).await.map(AnyWeb)
    }
}

impl FromRequestParts<WebState> for Web {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Response> {
        let web = resolve(parts, state).await?;
        if web.account.must_change_password {
            return Err(Redirect::to("/password").into_response());
        }
        Ok(web)
    }
}

/// The language of a page with no session (login, errors).
pub struct Anonymous {
    pub t: Tr,
}

impl<S: Send + Sync> FromRequestParts<S> for Anonymous {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Anonymous {
            t: Tr::new(lang_of(&parts.headers)),
        })
    }
}

/// Where a request came from, for the read audit: the first `X-Forwarded-For` address when a
/// proxy sets it, otherwise the peer address.
pub struct Origin(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().chars().take(64).collect::<String>())
            .filter(|v| !v.is_empty());
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        Ok(Origin(forwarded.or(peer)))
    }
}

/// The CSRF token a form post carries in its `_csrf` field (`application/x-www-form-urlencoded`).
fn form_field(body: &[u8]) -> Option<String> {
    serde_urlencoded_pairs(body)
        .into_iter()
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v)
}

/// The pairs of an urlencoded body.
pub fn serde_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

/// Every state-changing request of the web client (any method but GET and HEAD) carries the
/// CSRF token of its session — in the `X-CSRF-Token` header (htmx), the `_csrf` field of a form
/// post, or the `_csrf` query parameter of a file upload — or, for the login form, the token
/// of its double-submit cookie. Anything else is 403, before any handler runs. A request from
/// another origin is refused as well.
pub async fn check_csrf(request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let t = Tr::new(lang_of(request.headers()));
    let refuse = || pages::csrf_refused(t);
    if let Some(origin) = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let same = origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest == host);
        if !same {
            return refuse();
        }
    }
    let expected = match cookie(request.headers(), SESSION_COOKIE).filter(|t| !t.is_empty()) {
        Some(token) if request.uri().path() != "/login" => csrf_for(&token),
        _ => match cookie(request.headers(), LOGIN_CSRF_COOKIE) {
            Some(c) if !c.is_empty() => c,
            _ => return refuse(),
        },
    };
    let given_header = request
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let given_query = request.uri().query().and_then(|q| {
        serde_urlencoded_pairs(q.as_bytes())
            .into_iter()
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v)
    });
    let form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let (request, given) = match (given_header.or(given_query), form) {
        (Some(g), _) => (request, Some(g)),
        (None, true) => {
            let (parts, body) = request.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, crate::FORM_LIMIT).await else {
                return (StatusCode::PAYLOAD_TOO_LARGE, refuse()).into_response();
            };
            let given = form_field(&bytes);
            (
                Request::from_parts(parts, axum::body::Body::from(bytes)),
                given,
            )
        }
        (None, false) => (request, None),
    };
    if given.is_some_and(|g| constant_time_eq(g.as_bytes(), expected.as_bytes())) {
        next.run(request).await
    } else {
        refuse()
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
