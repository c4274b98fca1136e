//! The web client: server-rendered pages (askama templates, checked at compile time), served
//! by `nanbyo serve` at `/` beside the JSON API. Every page works as plain HTML forms (POST,
//! redirect, GET); htmx, vendored and compiled in, adds live judgment and partial updates.
//! A handler extracts, calls the same commands and queries as the JSON API, and renders: no
//! business rule and no authorization decision lives here (see docs/web.md).

pub mod assets;
pub mod i18n;
pub mod pages;
pub mod session;

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use commands::forms::MasterCache;
use eventstore::EventStore;

/// The largest urlencoded form a page posts (a whole form entry with every item).
pub const FORM_LIMIT: usize = 2 * 1024 * 1024;

#[derive(Clone)]
pub struct WebState {
    pub store: Arc<dyn EventStore>,
    pub masters: Arc<MasterCache>,
    /// Cookies are `Secure` (the service is reached over TLS, through a proxy that may not say
    /// so). Without it, a request with `X-Forwarded-Proto: https` still gets `Secure` cookies.
    pub secure_cookies: bool,
    /// Where uploaded import files go, and the jobs this process runs.
    pub imports: Arc<commands::import_runner::Imports>,
}

/// Every route the web client serves (method, path), as the router below has them; the web
/// authorization table test names each.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/password"),
    ("POST", "/password"),
    ("GET", "/me"),
    ("GET", "/affiliations"),
    ("POST", "/affiliations"),
    ("POST", "/affiliations/{account}/{institution}/decide"),
    ("GET", "/forms"),
    ("GET", "/forms/new"),
    ("POST", "/forms/new"),
    ("GET", "/forms/new/diseases"),
    ("GET", "/forms/{id}"),
    ("POST", "/forms/{id}/items"),
    ("POST", "/forms/{id}/preview"),
    ("POST", "/forms/{id}/submit"),
    ("GET", "/forms/{id}/history"),
    ("GET", "/forms/{id}/print"),
    ("GET", "/forms/{id}/slip"),
    ("GET", "/imports"),
    ("POST", "/imports"),
    ("GET", "/imports/{id}"),
    ("GET", "/imports/{id}/rows.csv"),
    ("GET", "/clerks"),
    ("POST", "/clerks"),
    ("GET", "/lang/{code}"),
    ("GET", "/assets/{file}"),
];

/// Every page's route, with the layers that guard them: the CSRF check in front of every
/// state-changing request, and the security headers on every answer.
pub fn router(state: WebState) -> Router {
    use pages::auth;
    Router::new()
        .route("/", get(auth::home))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route(
            "/password",
            get(auth::password_form).post(auth::change_password),
        )
        .route("/me", get(auth::me))
        .route(
            "/affiliations",
            get(pages::affiliations::list).post(pages::affiliations::apply),
        )
        .route(
            "/affiliations/{account}/{institution}/decide",
            post(pages::affiliations::decide),
        )
        .route("/forms", get(pages::forms::list))
        .route(
            "/forms/new",
            get(pages::forms::new_form).post(pages::forms::create),
        )
        .route("/forms/new/diseases", get(pages::forms::disease_list))
        .route("/forms/{id}", get(pages::entry::entry))
        .route("/forms/{id}/items", post(pages::entry::items))
        .route("/forms/{id}/preview", post(pages::entry::preview))
        .route("/forms/{id}/submit", post(pages::entry::submit))
        .route("/forms/{id}/history", get(pages::history::form))
        .route("/forms/{id}/print", get(pages::print::full))
        .route("/forms/{id}/slip", get(pages::print::slip))
        .route(
            "/imports",
            get(pages::imports::list)
                .post(pages::imports::upload)
                .layer(
                    // The file is streamed to disk and its size enforced there.
                    axum::extract::DefaultBodyLimit::disable(),
                ),
        )
        .route("/imports/{id}", get(pages::imports::job))
        .route("/imports/{id}/rows.csv", get(pages::imports::rows_csv))
        .route(
            "/clerks",
            get(pages::clerks::list).post(pages::clerks::create),
        )
        .route("/lang/{code}", get(auth::switch_lang))
        .route("/assets/{file}", get(assets::serve))
        .layer(middleware::from_fn(session::check_csrf))
        .layer(axum::extract::DefaultBodyLimit::max(FORM_LIMIT))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// The page for a path no route serves.
pub async fn not_found(request: Request) -> Response {
    let t = i18n::Tr::new(session::lang_of(request.headers()));
    let mut r = pages::not_found(t);
    add_security_headers(&mut r);
    r
}

/// What no script in a page may do: run inline, come from elsewhere, or be framed.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn add_security_headers(r: &mut Response) {
    let h = r.headers_mut();
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CSP));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
}

async fn security_headers(request: Request, next: Next) -> Response {
    let mut r = next.run(request).await;
    add_security_headers(&mut r);
    r
}
