//! The history inquiry (履歴照会) over HTTP: a form's history (JSON or CSV), the diff between
//! two versions of a form, and — for auditors — the history of a patient, an account or an
//! institution, as `queries::history` answers them; here only the formats (JSON, CSV).

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{CurrentActor, Origin};
use crate::error::ApiError;
use crate::http::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/forms/{id}/history", get(form_history))
        .route("/api/forms/{id}/diff", get(diff))
        .route("/api/history", get(subject_history))
}

fn bad(en: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_query",
        "検索条件が正しくありません。",
        en,
    )
}

fn query<T>(q: Result<Query<T>, axum::extract::rejection::QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(q)| q)
        .map_err(|e| bad(format!("The query is not valid: {}", e.body_text())))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FormHistoryQuery {
    /// `json` (default) or `csv`.
    format: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

fn format(f: Option<&str>) -> Result<Format, ApiError> {
    match f {
        None | Some("json") => Ok(Format::Json),
        Some("csv") => Ok(Format::Csv),
        Some(_) => Err(bad("format is json or csv")),
    }
}

/// CSV: one line per item change (edits, corrections, 行政記載欄), one line for any other
/// entry; UTF-8 with a BOM for Excel.
fn csv_body(entries: &[Value]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let _ = w.write_record([
        "日時",
        "操作者",
        "操作者名",
        "役割",
        "操作",
        "理由",
        "様式ID",
        "版",
        "項目",
        "項目名",
        "変更前",
        "変更後",
        "詳細",
    ]);
    let text = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    for e in entries {
        let base = [
            text(&e["at"]),
            text(&e["actor"]),
            text(&e["actor_name"]),
            text(&e["role"]),
            text(&e["action"]),
            text(&e["reason"]),
            text(&e["form_id"]),
            text(&e["version"]),
        ];
        match e["details"]["changes"].as_array() {
            Some(changes) if !changes.is_empty() => {
                for c in changes {
                    let mut row = base.to_vec();
                    row.extend([
                        text(&c["item"]),
                        text(&c["label"]),
                        text(&c["old"]),
                        text(&c["new"]),
                        String::new(),
                    ]);
                    let _ = w.write_record(&row);
                }
            }
            _ => {
                let mut row = base.to_vec();
                row.extend([
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    text(&e["details"]),
                ]);
                let _ = w.write_record(&row);
            }
        }
    }
    w.into_inner().unwrap_or_default()
}

fn respond(entries: Vec<Value>, format: Format, name: &str) -> Response {
    let mut response = match format {
        Format::Json => Json(json!({ "entries": entries })).into_response(),
        Format::Csv => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.csv\""),
                ),
            ],
            csv_body(&entries),
        )
            .into_response(),
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, "no-store".parse().expect("header"));
    response
}

async fn form_history(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Origin(origin): Origin,
    Path(id): Path<String>,
    q: Result<Query<FormHistoryQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    let format = format(q.format.as_deref())?;
    let list = queries::history::form(&state.store, &state.masters, &actor, &id, origin.as_deref())
        .await?;
    Ok(respond(list, format, &format!("history-{id}")))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DiffQuery {
    from: u64,
    to: u64,
}

/// What changed between two versions of a form (`queries::history::diff`).
async fn diff(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Origin(origin): Origin,
    Path(id): Path<String>,
    q: Result<Query<DiffQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    let changes = queries::history::diff(
        &state.store,
        &state.masters,
        &actor,
        &id,
        (q.from, q.to),
        origin.as_deref(),
    )
    .await?;
    Ok(Json(json!({"id": id, "from": q.from, "to": q.to, "changes": changes})).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubjectQuery {
    /// The patient of this form.
    patient_of_form: Option<String>,
    account: Option<String>,
    institution: Option<String>,
    format: Option<String>,
}

/// The history of a patient (all forms and reads), an account (what happened to it and what
/// it did) or an institution: auditors; an account may also see its own.
async fn subject_history(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Origin(origin): Origin,
    q: Result<Query<SubjectQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    use queries::history::Whose;
    let q = query(q)?;
    let format = format(q.format.as_deref())?;
    let (whose, name) = match (q.patient_of_form, q.account, q.institution) {
        (Some(form), None, None) => {
            let name = format!("history-patient-of-{form}");
            (Whose::PatientOfForm(form), name)
        }
        (None, Some(account), None) => {
            let name = format!("history-account-{account}");
            (Whose::Account(account), name)
        }
        (None, None, Some(code)) => {
            let name = format!("history-institution-{code}");
            (Whose::Institution(code), name)
        }
        _ => {
            return Err(bad(
                "name exactly one of patient_of_form, account or institution",
            ))
        }
    };
    let list = queries::history::of(&state.store, &actor, &whose, origin.as_deref()).await?;
    Ok(respond(list, format, &name))
}
