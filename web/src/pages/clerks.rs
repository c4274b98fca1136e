//! Clerk accounts (クラーク・代行入力者) of an institution, registered by its responsible person:
//! the list, and a new clerk whose login ID and initial password are shown once. The same
//! command and query as `POST /api/accounts` (role `clerk`) and `GET /api/accounts?role=clerk`.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use commands::accounts::{CreateAccount, Created};
use commands::problem::Problem;
use domain::Role;
use serde::Deserialize;

use super::auth::FieldError;
use super::{render_status, Layout};
use crate::session::Web;
use crate::WebState;

struct ClerkRow {
    name: String,
    login_id: String,
    status_key: String,
}

/// A new clerk's credentials, shown once.
struct IssuedView {
    name: String,
    login_id: String,
    password: String,
}

#[derive(Template)]
#[template(path = "clerks.html")]
struct ClerksPage {
    l: Layout,
    errors: Vec<FieldError>,
    display_name: String,
    issued: Option<IssuedView>,
    clerks: Vec<ClerkRow>,
    institution: String,
}

impl ClerksPage {
    fn error_at(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

async fn page(
    state: &WebState,
    web: &Web,
    errors: Vec<FieldError>,
    display_name: String,
    issued: Option<IssuedView>,
) -> Response {
    let t = web.t;
    let query = queries::accounts::AccountQuery {
        role: Some(Role::Clerk),
        ..Default::default()
    };
    let clerks = match queries::accounts::list(&state.store, &web.actor, query).await {
        Ok(page) => page.accounts,
        Err(p) => return super::problem_page(t, Some(web), &p),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &ClerksPage {
            l: Layout::of(web, "clerks.title"),
            errors,
            display_name,
            issued,
            clerks: clerks
                .into_iter()
                .map(|a| ClerkRow {
                    name: a.display_name,
                    login_id: a.login_id,
                    status_key: format!("account_status.{}", a.status),
                })
                .collect(),
            institution: web
                .actor
                .responsible_for
                .as_ref()
                .map(|c| c.to_string())
                .unwrap_or_default(),
        },
    )
}

pub async fn list(State(state): State<WebState>, web: Web) -> Response {
    page(&state, &web, vec![], String::new(), None).await
}

#[derive(Deserialize)]
pub struct NewClerk {
    display_name: String,
}

pub async fn create(State(state): State<WebState>, web: Web, Form(f): Form<NewClerk>) -> Response {
    let t = web.t;
    let request = CreateAccount {
        role: Role::Clerk,
        display_name: f.display_name.clone(),
        designation: None,
        primary_institution: web.actor.responsible_for.clone(),
        responsible_for: None,
        jurisdiction: None,
    };
    match commands::accounts::create_account(&state.store, &web.actor, request, None, None).await {
        Ok(Created::New(issued, _)) => {
            let shown = IssuedView {
                name: f.display_name,
                login_id: issued.login_id.clone(),
                password: issued.initial_password.clone(),
            };
            page(&state, &web, vec![], String::new(), Some(shown)).await
        }
        Ok(Created::Existing { .. }) => page(&state, &web, vec![], String::new(), None).await,
        Err(e) => {
            let p = Problem::from(e);
            if p.status == 422 {
                let e = FieldError::new("display_name", t.pick(&p.ja, &p.en));
                page(&state, &web, vec![e], f.display_name, None).await
            } else {
                super::problem_page(t, Some(&web), &p)
            }
        }
    }
}
