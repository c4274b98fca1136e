//! 兼務先 (secondary institutions): a doctor applies to work at another institution and sees
//! their applications; the institution's responsible person approves or rejects them, and
//! either side revokes an approved one (with a reason). The same commands and query as
//! `POST /api/affiliations`, `…/approve|reject|revoke` and `GET /api/affiliations`.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use commands::problem::Problem;
use domain::account::AccountAction;
use domain::InstitutionCode;
use serde::Deserialize;

use super::auth::FieldError;
use super::forms::jst_ms;
use super::{render_status, Layout};
use crate::session::Web;
use crate::WebState;

/// One application as the page lists it.
struct Row {
    account_id: String,
    name: String,
    doctor_number: String,
    institution: String,
    status_key: String,
    requested: String,
    decided: String,
    /// Offered actions: a pending application to the user's own institution can be decided,
    /// an approved one revoked; the command decides whether it is allowed.
    decidable: bool,
    revocable: bool,
}

#[derive(Template)]
#[template(path = "affiliations.html")]
struct AffiliationsPage {
    l: Layout,
    notice: Option<String>,
    errors: Vec<FieldError>,
    /// The value typed in the application field (kept after an error).
    institution: String,
    may_apply: bool,
    responsible_for: Option<String>,
    mine: Vec<Row>,
    to_decide: Vec<Row>,
}

impl AffiliationsPage {
    fn error_at(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

async fn page(
    state: &WebState,
    web: &Web,
    notice: Option<String>,
    errors: Vec<FieldError>,
    institution: String,
) -> Response {
    let t = web.t;
    let rows = match queries::accounts::affiliations(&state.store, &web.actor, None).await {
        Ok(rows) => rows,
        Err(p) => return super::problem_page(t, Some(web), &p),
    };
    let own_institution = web.actor.responsible_for.as_ref().map(|c| c.to_string());
    let (mut mine, mut to_decide) = (vec![], vec![]);
    for r in rows {
        let row = Row {
            decidable: r.status == "pending" && Some(&r.institution) == own_institution.as_ref(),
            revocable: r.status == "approved",
            status_key: format!("affiliation.{}", r.status),
            requested: jst_ms(r.requested_at),
            decided: r.decided_at.map(jst_ms).unwrap_or_default(),
            doctor_number: r.doctor_number.unwrap_or_default(),
            name: r.display_name,
            institution: r.institution,
            account_id: r.account_id,
        };
        if row.account_id == web.actor.account {
            mine.push(row);
        } else {
            to_decide.push(row);
        }
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &AffiliationsPage {
            l: Layout::of(web, "affiliations.title"),
            notice,
            errors,
            institution,
            may_apply: web.actor.role == domain::Role::DesignatedDoctor,
            responsible_for: own_institution,
            mine,
            to_decide,
        },
    )
}

pub async fn list(State(state): State<WebState>, web: Web, Query(q): Query<Done>) -> Response {
    let notice = q
        .done
        .filter(|d| matches!(d.as_str(), "applied" | "approved" | "rejected" | "revoked"))
        .map(|d| web.t.s(&format!("affiliations.done_{d}")).to_owned());
    page(&state, &web, notice, vec![], String::new()).await
}

#[derive(Deserialize)]
pub struct ApplyForm {
    institution: String,
}

pub async fn apply(State(state): State<WebState>, web: Web, Form(f): Form<ApplyForm>) -> Response {
    let t = web.t;
    let Ok(code) = InstitutionCode::parse(&domain::text::normalize_code(&f.institution)) else {
        let e = FieldError::new("institution", t.s("affiliations.bad_code"));
        return page(&state, &web, None, vec![e], f.institution).await;
    };
    match commands::accounts::request_affiliation(&state.store, &web.actor, code, None).await {
        Ok(_) => Redirect::to("/affiliations?done=applied").into_response(),
        Err(e) => {
            let p = Problem::from(e);
            if p.status == 422 || p.status == 404 {
                let e = FieldError::new("institution", t.pick(&p.ja, &p.en));
                page(&state, &web, None, vec![e], f.institution).await
            } else {
                super::problem_page(t, Some(&web), &p)
            }
        }
    }
}

#[derive(Deserialize)]
pub struct DecideForm {
    decision: String,
    #[serde(default)]
    reason: String,
}

pub async fn decide(
    State(state): State<WebState>,
    web: Web,
    Path((account, institution)): Path<(String, String)>,
    Form(f): Form<DecideForm>,
) -> Response {
    let t = web.t;
    let Ok(institution) = InstitutionCode::parse(&institution) else {
        return super::not_found(t);
    };
    let (action, done) = match f.decision.as_str() {
        "approve" => (
            AccountAction::DecideAffiliation {
                institution: institution.clone(),
                approve: true,
            },
            "approved",
        ),
        "reject" => (
            AccountAction::DecideAffiliation {
                institution: institution.clone(),
                approve: false,
            },
            "rejected",
        ),
        "revoke" => (
            AccountAction::RevokeAffiliation {
                institution: institution.clone(),
            },
            "revoked",
        ),
        _ => return super::not_found(t),
    };
    let reason = Some(f.reason.trim()).filter(|r| !r.is_empty());
    match commands::accounts::act(&state.store, &web.actor, &account, action, reason, None).await {
        Ok(_) => Redirect::to(&format!("/affiliations?done={done}")).into_response(),
        Err(e) => {
            let p = Problem::from(e);
            if p.status == 422 {
                let field = format!("reason-{account}-{institution}");
                let e = FieldError::new(&field, t.pick(&p.ja, &p.en));
                page(&state, &web, None, vec![e], String::new()).await
            } else {
                super::problem_page(t, Some(&web), &p)
            }
        }
    }
}
