//! A form's history (履歴照会) as its institution or municipality sees it: who did what, when,
//! in which role and why, each item change with its label, old → new — the answer of
//! `GET /api/forms/{id}/history` (`queries::history::form`), a recorded read like it.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::Value;

use super::{render, Layout};
use crate::session::{Origin, Web};
use crate::WebState;

/// One item change of an entry.
struct Change {
    label: String,
    old: String,
    new: String,
}

/// One entry of the history.
struct Row {
    at: String,
    actor: String,
    role_key: String,
    action: String,
    version: String,
    reason: String,
    changes: Vec<Change>,
    hidden: bool,
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage {
    l: Layout,
    id: String,
    rows: Vec<Row>,
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(true) => "はい / yes".into(),
        Value::Bool(false) => "いいえ / no".into(),
        other => other.to_string(),
    }
}

/// An RFC 3339 time as `YYYY-MM-DD HH:MM`, Japan time.
fn jst(at: &Value) -> String {
    at.as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| super::forms::jst_ms(t.timestamp_millis()))
        .unwrap_or_default()
}

pub async fn form(
    State(state): State<WebState>,
    web: Web,
    Origin(origin): Origin,
    Path(id): Path<String>,
) -> Response {
    let t = web.t;
    let entries = match queries::history::form(
        &state.store,
        &state.masters,
        &web.actor,
        &id,
        origin.as_deref(),
    )
    .await
    {
        Ok(e) => e,
        Err(p) => return super::problem_page(t, Some(&web), &p),
    };
    let rows = entries
        .iter()
        .map(|e| {
            let action = text(&e["action"]);
            Row {
                at: jst(&e["at"]),
                actor: e["actor_name"]
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| text(&e["actor"])),
                role_key: format!("role.{}", text(&e["role"])),
                action: t
                    .maybe(&format!("event.{action}"))
                    .map(str::to_owned)
                    .unwrap_or(action),
                version: text(&e["version"]),
                reason: text(&e["reason"]),
                hidden: e["details"]["hidden"] == Value::Bool(true),
                changes: e["details"]["changes"]
                    .as_array()
                    .map(|cs| {
                        cs.iter()
                            .map(|c| Change {
                                label: c["label"]
                                    .as_str()
                                    .map(str::to_owned)
                                    .unwrap_or_else(|| text(&c["item"])),
                                old: text(&c["old"]),
                                new: text(&c["new"]),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    render(&HistoryPage {
        l: Layout::of(&web, "history.title"),
        id,
        rows,
    })
}
