//! The pages, one module per screen, and what they share: the frame every page is drawn in
//! ([`Layout`]), rendering, and the pages that say something went wrong. A handler extracts,
//! calls the same commands and queries as the JSON API, and renders; it decides nothing.

pub mod affiliations;
pub mod auth;
pub mod clerks;
pub mod entry;
pub mod forms;
pub mod history;
pub mod imports;
pub mod print;

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use commands::problem::Problem;
use domain::Role;

use crate::i18n::Tr;
use crate::session::Web;

/// One link of the navigation.
pub struct NavItem {
    pub href: &'static str,
    pub key: &'static str,
    pub current: bool,
}

/// The signed-in user as the page header shows them.
pub struct UserBar {
    pub name: String,
    pub role_key: String,
    pub program_key: String,
}

/// What the frame of every page needs: the language, the CSRF token of forms, the user and
/// the navigation, the page title.
pub struct Layout {
    pub t: Tr,
    pub title: String,
    pub csrf: String,
    pub user: Option<UserBar>,
    pub nav: Vec<NavItem>,
    /// The current path, for the language switch to come back to.
    pub path: String,
}

impl Layout {
    /// The frame of a page with no session.
    pub fn anonymous(t: Tr, title_key: &str, csrf: String, path: &str) -> Layout {
        Layout {
            t,
            title: t.s(title_key).to_owned(),
            csrf,
            user: None,
            nav: vec![],
            path: path.to_owned(),
        }
    }

    /// The frame of a signed-in user's page.
    pub fn of(web: &Web, title_key: &str) -> Layout {
        Layout::titled(web, web.t.s(title_key).to_owned())
    }

    pub fn titled(web: &Web, title: String) -> Layout {
        let profile = web.account.profile.as_ref();
        let role = web.actor.role;
        let mut nav: Vec<(&'static str, &'static str)> = vec![];
        if matches!(role, Role::DesignatedDoctor | Role::Clerk) {
            nav.push(("/forms", "nav.forms"));
            nav.push(("/forms/new", "nav.new_form"));
            nav.push(("/imports", "nav.imports"));
        }
        if role == Role::DesignatedDoctor || web.actor.responsible_for.is_some() {
            nav.push(("/affiliations", "nav.affiliations"));
        }
        if web.actor.responsible_for.is_some() {
            nav.push(("/clerks", "nav.clerks"));
        }
        let here = web.path.split('?').next().unwrap_or("");
        // The most specific link that the path starts with is the current one.
        let current = nav
            .iter()
            .filter(|(href, _)| here == *href || here.starts_with(&format!("{href}/")))
            .map(|(href, _)| href.len())
            .max();
        Layout {
            t: web.t,
            title,
            csrf: web.csrf.clone(),
            user: Some(UserBar {
                name: profile.map(|p| p.display_name.clone()).unwrap_or_default(),
                role_key: format!("role.{}", role.as_str()),
                program_key: format!("program.{}", web.actor.program.as_str()),
            }),
            nav: nav
                .into_iter()
                .map(|(href, key)| NavItem {
                    href,
                    key,
                    current: Some(href.len()) == current
                        && (here == href || here.starts_with(&format!("{href}/"))),
                })
                .collect(),
            path: web.path.clone(),
        }
    }

    pub fn asset(&self, name: &str) -> String {
        crate::assets::url(name)
    }

    /// The language switch: the same page in the other language.
    pub fn lang_href(&self) -> String {
        format!(
            "/lang/{}?back={}",
            self.t.lang.other().code(),
            url_encode(&self.path)
        )
    }
}

/// Renders a page with `status`. Pages hold personal data: never cached.
pub fn render_status(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => {
            let mut r = (status, Html(html)).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "a page could not be rendered");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

pub fn render(page: &impl Template) -> Response {
    render_status(StatusCode::OK, page)
}

/// A page that only says something: a title, a text and where to go from here.
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub l: Layout,
    pub kind: &'static str,
    pub body: String,
    pub link_href: String,
    pub link_key: &'static str,
}

fn message(
    status: StatusCode,
    l: Layout,
    kind: &'static str,
    body: String,
    (link_href, link_key): (&str, &'static str),
) -> Response {
    render_status(
        status,
        &MessagePage {
            l,
            kind,
            body,
            link_href: link_href.to_owned(),
            link_key,
        },
    )
}

/// 404: the page does not exist or is not the user's to see — the same answer for both.
pub fn not_found(t: Tr) -> Response {
    message(
        StatusCode::NOT_FOUND,
        Layout::anonymous(t, "error.not_found.title", String::new(), "/"),
        "info",
        t.s("error.not_found.body").to_owned(),
        ("/", "error.back_home"),
    )
}

/// 403: a state-changing request without its CSRF token (or from another origin).
pub fn csrf_refused(t: Tr) -> Response {
    message(
        StatusCode::FORBIDDEN,
        Layout::anonymous(t, "error.forbidden.title", String::new(), "/"),
        "error",
        t.s("error.csrf.body").to_owned(),
        ("/", "error.back_home"),
    )
}

/// The session in the cookie has ended: say so, and clear the cookie.
pub fn expired(t: Tr, secure: bool) -> Response {
    let mut r = message(
        StatusCode::UNAUTHORIZED,
        Layout::anonymous(t, "session.expired.title", String::new(), "/"),
        "warning",
        t.s("session.expired.body").to_owned(),
        ("/login", "session.login_again"),
    );
    r.headers_mut().insert(
        header::SET_COOKIE,
        crate::session::set_cookie(crate::session::SESSION_COOKIE, "", Some(0), secure),
    );
    r
}

/// What a command or query refused, as a page: 404 and 403 as such, anything else with its
/// message in the page's language.
pub fn problem_page(t: Tr, web: Option<&Web>, p: &Problem) -> Response {
    match p.status {
        404 => not_found(t),
        status => {
            let l = match web {
                Some(w) => Layout::of(
                    w,
                    if status >= 500 {
                        "error.internal.title"
                    } else {
                        "error.forbidden.title"
                    },
                ),
                None => Layout::anonymous(t, "error.internal.title", String::new(), "/"),
            };
            message(
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                l,
                "error",
                t.pick(&p.ja, &p.en).to_owned(),
                ("/", "error.back_home"),
            )
        }
    }
}

/// Percent-encoding of a query value.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A `next` target is a path of this site, never another site's URL.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}
