//! Logging in and out, the password change (forced after an issued password), the user's own
//! account, and the language switch. The same credentials, lockout and password policy as the
//! API's `POST /api/login` and `POST /api/me/password`: the handlers call the same commands.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use commands::accounts::LoginError;
use commands::problem::Problem;
use serde::Deserialize;

use super::{render, render_status, safe_next, Layout};
use crate::i18n::Tr;
use crate::session::{
    cookie, over_tls, random_token, set_cookie, Anonymous, AnyWeb, Web, LANG_COOKIE,
    LOGIN_CSRF_COOKIE, SESSION_COOKIE,
};
use crate::WebState;

/// One problem to show: the field it belongs to (its element id; empty for the whole form)
/// and the message.
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    l: Layout,
    errors: Vec<FieldError>,
    has_error: bool,
    login_id: String,
    next: String,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
    logged_out: Option<String>,
}

/// The login form, with a fresh double-submit CSRF cookie.
fn login_page(
    t: Tr,
    headers: &HeaderMap,
    state: &WebState,
    status: StatusCode,
    page: impl FnOnce(Layout) -> LoginPage,
) -> Response {
    let csrf = cookie(headers, LOGIN_CSRF_COOKIE)
        .filter(|c| c.len() == 32)
        .unwrap_or_else(random_token);
    let mut r = render_status(
        status,
        &page(Layout::anonymous(t, "login.title", csrf.clone(), "/login")),
    );
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, &csrf, None, over_tls(headers, state)),
    );
    r
}

pub async fn login_form(
    State(state): State<WebState>,
    Anonymous { t }: Anonymous,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    login_page(t, &headers, &state, StatusCode::OK, |l| LoginPage {
        l,
        errors: vec![],
        has_error: false,
        login_id: String::new(),
        next: safe_next(q.next.as_deref()),
        notice: q.logged_out.map(|_| t.s("login.logged_out").to_owned()),
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login_id: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<WebState>,
    Anonymous { t }: Anonymous,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let login_id = f.login_id.trim().to_owned();
    let next = safe_next(f.next.as_deref());
    let refused = |message: String| {
        login_page(t, &headers, &state, StatusCode::UNPROCESSABLE_ENTITY, |l| {
            LoginPage {
                l,
                errors: vec![FieldError::new("login_id", message)],
                has_error: true,
                login_id: login_id.clone(),
                next: next.clone(),
                notice: None,
            }
        })
    };
    if login_id.is_empty() || f.password.is_empty() {
        return refused(t.s("login.required").to_owned());
    }
    match commands::accounts::login(&state.store, &login_id, &f.password).await {
        Ok(session) => {
            let secure = over_tls(&headers, &state);
            let target = if session.must_change_password {
                "/password".to_owned()
            } else {
                next
            };
            let mut r = Redirect::to(&target).into_response();
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &session.token, None, secure),
            );
            // The login form's token has done its job.
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(LOGIN_CSRF_COOKIE, "", Some(0), secure),
            );
            r
        }
        Err(LoginError::InvalidCredentials) => refused(t.s("login.invalid").to_owned()),
        Err(LoginError::Suspended) => refused(t.s("login.suspended").to_owned()),
        Err(LoginError::Locked { until }) => {
            let jst = chrono::FixedOffset::east_opt(9 * 3600).expect("JST");
            refused(format!(
                "{} {}",
                t.s("login.locked"),
                until.with_timezone(&jst).format("%Y-%m-%d %H:%M")
            ))
        }
        Err(LoginError::Failed(e)) => super::problem_page(t, None, &Problem::from(e)),
    }
}

pub async fn logout(
    State(state): State<WebState>,
    AnyWeb(web): AnyWeb,
    headers: HeaderMap,
) -> Response {
    if let Err(e) = commands::accounts::logout(&state.store, &web.token).await {
        return super::problem_page(web.t, Some(&web), &Problem::from(e));
    }
    let mut r = Redirect::to("/login?logged_out=1").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), over_tls(&headers, &state)),
    );
    r
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    l: Layout,
    errors: Vec<FieldError>,
    must_change: bool,
}

pub async fn password_form(AnyWeb(web): AnyWeb) -> Response {
    render(&PasswordPage {
        l: Layout::of(&web, "password.title"),
        errors: vec![],
        must_change: web.account.must_change_password,
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

pub async fn change_password(
    State(state): State<WebState>,
    AnyWeb(web): AnyWeb,
    Form(f): Form<PasswordForm>,
) -> Response {
    let t = web.t;
    let again = |errors: Vec<FieldError>| {
        render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordPage {
                l: Layout::of(&web, "password.title"),
                errors,
                must_change: web.account.must_change_password,
            },
        )
    };
    if f.new_password != f.confirm_password {
        return again(vec![FieldError::new(
            "confirm_password",
            t.s("password.mismatch"),
        )]);
    }
    match commands::accounts::change_password(
        &state.store,
        &web.actor,
        &f.current_password,
        &f.new_password,
        None,
    )
    .await
    {
        Ok(_) => Redirect::to("/me?changed=1").into_response(),
        Err(e) => {
            let p = Problem::from(e);
            if p.status == 422 {
                let field = if p.code == "wrong_current_password" {
                    "current_password"
                } else {
                    "new_password"
                };
                again(vec![FieldError::new(field, t.pick(&p.ja, &p.en))])
            } else {
                super::problem_page(t, Some(&web), &p)
            }
        }
    }
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    l: Layout,
    notice: Option<String>,
    name: String,
    login_id: String,
    program_key: String,
    role_key: String,
    designation: Option<String>,
    primary: Option<String>,
    secondary: Vec<String>,
    responsible_for: Option<String>,
    jurisdiction: Option<String>,
    institutions: Vec<String>,
    pending_switch: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct MeQuery {
    changed: Option<String>,
}

pub async fn me(web: Web, Query(q): Query<MeQuery>) -> Response {
    let t = web.t;
    let p = web.account.profile.as_ref();
    let secondary = web
        .account
        .secondary
        .iter()
        .map(|(code, status)| {
            let status = serde_json::to_value(status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            format!("{code}（{}）", t.s(&format!("affiliation.{status}")))
        })
        .collect();
    render(&MePage {
        l: Layout::of(&web, "me.title"),
        notice: q.changed.map(|_| t.s("password.changed").to_owned()),
        name: p.map(|p| p.display_name.clone()).unwrap_or_default(),
        login_id: p.map(|p| p.login_id.clone()).unwrap_or_default(),
        program_key: format!("program.{}", web.actor.program.as_str()),
        role_key: format!("role.{}", web.actor.role.as_str()),
        designation: p.and_then(|p| p.designation.as_ref()).map(|d| {
            format!(
                "{}（{} 〜 {}）",
                d.number,
                d.valid_from,
                d.valid_to.as_deref().unwrap_or("")
            )
        }),
        primary: p
            .and_then(|p| p.primary_institution.as_ref())
            .map(|c| c.to_string()),
        secondary,
        responsible_for: web.actor.responsible_for.as_ref().map(|c| c.to_string()),
        jurisdiction: web.actor.jurisdiction.as_ref().map(|j| j.to_string()),
        institutions: web
            .actor
            .institutions
            .iter()
            .map(|i| i.to_string())
            .collect(),
        pending_switch: web
            .account
            .pending_switch
            .as_ref()
            .map(|(from, to)| format!("{from} → {to}")),
    })
}

#[derive(Deserialize, Default)]
pub struct LangQuery {
    back: Option<String>,
}

/// The language switch: a preference cookie, then back to the page.
pub async fn switch_lang(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = crate::i18n::Lang::parse(&code).unwrap_or_default();
    let mut r = Redirect::to(&safe_next(q.back.as_deref())).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            LANG_COOKIE,
            lang.code(),
            Some(365 * 24 * 3600),
            over_tls(&headers, &state),
        ),
    );
    r
}

/// `/`: where each role starts.
pub async fn home(web: Web) -> Response {
    use domain::Role;
    let to = match web.actor.role {
        Role::DesignatedDoctor | Role::Clerk => "/forms",
        Role::ResponsiblePerson => "/affiliations",
        _ => "/me",
    };
    Redirect::to(to).into_response()
}
