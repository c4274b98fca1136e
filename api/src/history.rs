//! The history inquiry (履歴照会) over HTTP: a form's history (JSON or CSV), the diff between
//! two versions of a form, and — for auditors — the history of a patient, an account or an
//! institution. Read from the `history` projection; item labels from the master.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use commands::forms::{read_form_as, FormView};
use domain::form::Actor;
use domain::Role;
use projections::history::{self, Entry, Subject};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{CurrentActor, Origin};
use crate::error::ApiError;
use crate::http::AppState;

/// The longest history one answer carries.
const MAX_ENTRIES: i64 = 10_000;

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

/// Waits (bounded) until the history view has every committed event: a history that silently
/// misses the latest change would mislead.
async fn caught_up(state: &AppState) -> Result<(), ApiError> {
    let head = projections::committed_head(&state.store)
        .await
        .map_err(ApiError::from)?;
    let reached = projections::wait_for(
        &state.store.sql(),
        history::NAME,
        head,
        std::time::Duration::from_secs(5),
    )
    .await
    .map_err(|e| {
        tracing::warn!(error = %e, "the history view cannot be read");
        ApiError::database_unavailable()
    })?;
    if reached {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "view_behind",
            "履歴の集計が追いついていません。しばらくしてから再度お試しください。",
            "The history view is catching up; try again shortly.",
        ))
    }
}

async fn entries(state: &AppState, subject: &Subject) -> Result<Vec<Entry>, ApiError> {
    caught_up(state).await?;
    history::of(&state.store.sql(), subject, 0, MAX_ENTRIES)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "history query failed");
            ApiError::database_unavailable()
        })
}

/// Item labels of the form's disease and form version (the master in force).
async fn labels(state: &AppState, view: &FormView) -> BTreeMap<String, String> {
    let Some(program) = view.program else {
        return BTreeMap::new();
    };
    match state
        .masters
        .disease(
            &state.store,
            program,
            &view.disease,
            &view.form_version,
            commands::forms::Pick::JudgedWith(
                view.judged_with.as_ref().map(|m| m.master_version.as_str()),
            ),
        )
        .await
    {
        Ok(Some((form, _))) => form
            .items
            .iter()
            .map(|i| (i.id.to_string(), i.label_ja.clone()))
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// Whether `actor` sees entry `e`. Refused reads are the auditors' — of the record's program,
/// which is the entry's (a caller never learns from its own trail that an id it tried exists).
fn shown(e: &Entry, actor: &Actor) -> bool {
    e.event_type != history::READ_REFUSED || actor.role == Role::Auditor
}

/// An entry as the caller sees it: details parsed, item labels beside item ids, and the
/// 行政記載欄 hidden from doctors and clerks (as on the form itself).
fn present(e: &Entry, labels: &BTreeMap<String, String>, actor: &Actor) -> Value {
    let mut details: Value = serde_json::from_str(&e.details).unwrap_or(Value::Null);
    let hidden = e.event_type == "AdministrativeFieldsRecorded"
        && matches!(actor.role, Role::DesignatedDoctor | Role::Clerk);
    if hidden {
        details = json!({ "hidden": true });
    }
    if let Some(changes) = details.get_mut("changes").and_then(Value::as_array_mut) {
        for c in changes {
            let label = c
                .get("item")
                .and_then(Value::as_str)
                .and_then(|i| labels.get(i))
                .cloned();
            if let (Some(obj), Some(label)) = (c.as_object_mut(), label) {
                obj.insert("label".into(), Value::String(label));
            }
        }
    }
    json!({
        "position": e.position,
        "at": chrono::DateTime::from_timestamp_millis(e.at).map(|t| t.to_rfc3339()),
        "actor": e.actor,
        "role": e.role,
        "action": e.event_type,
        "reason": e.reason,
        "stream": format!("{}/{}", e.stream_type, e.stream_id),
        "version": e.version,
        "form_id": e.form_id,
        "institution": e.institution,
        "account_id": e.account_id,
        "details": details,
    })
}

/// CSV: one line per item change (edits, corrections, 行政記載欄), one line for any other
/// entry; UTF-8 with a BOM for Excel.
fn csv_body(entries: &[Value]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let _ = w.write_record([
        "日時",
        "操作者",
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
    let view = read_form_as(
        &state.store,
        &actor,
        &id,
        None,
        "history",
        origin.as_deref(),
    )
    .await
    .map_err(ApiError::from)?;
    let labels = labels(&state, &view).await;
    let list: Vec<Value> = entries(&state, &Subject::Form(id.clone()))
        .await?
        .iter()
        .filter(|e| shown(e, &actor))
        .map(|e| present(e, &labels, &actor))
        .collect();
    Ok(respond(list, format, &format!("history-{id}")))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DiffQuery {
    from: u64,
    to: u64,
}

/// What changed between two versions of a form: items, the patient's data, status, judgment,
/// review result and (for who may see them) the 行政記載欄.
async fn diff(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Origin(origin): Origin,
    Path(id): Path<String>,
    q: Result<Query<DiffQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    if q.from == 0 || q.to == 0 {
        return Err(bad("from and to are versions, 1 or more"));
    }
    // Every check first (both versions must be visible to the caller), then the recorded
    // read: a refused diff is recorded as refused (commands::audit), never as a read.
    let now = commands::forms::view_form_at(
        &state.store,
        &actor,
        &id,
        u64::MAX,
        "diff",
        origin.as_deref(),
    )
    .await
    .map_err(ApiError::from)?;
    if q.from > now.version || q.to > now.version {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_version",
            "指定した版はこの様式にありません。",
            format!("The form has versions 1 to {}.", now.version),
        ));
    }
    let at = |v: u64| {
        let (store, actor, id) = (state.store.clone(), actor.clone(), id.clone());
        let origin = origin.clone();
        async move {
            commands::forms::view_form_at(&store, &actor, &id, v, "diff", origin.as_deref())
                .await
                .map_err(ApiError::from)
        }
    };
    let (a, b) = (at(q.from).await?, at(q.to).await?);
    read_form_as(&state.store, &actor, &id, None, "diff", origin.as_deref())
        .await
        .map_err(ApiError::from)?;
    let labels = labels(&state, &now).await;
    let mut changes = vec![];
    let keys: std::collections::BTreeSet<&String> = a.items.keys().chain(b.items.keys()).collect();
    for k in keys {
        let (old, new) = (a.items.get(k), b.items.get(k));
        if old != new {
            changes.push(json!({"field": format!("items.{k}"), "label": labels.get(k), "old": old, "new": new}));
        }
    }
    let keys: std::collections::BTreeSet<&String> = a
        .administrative
        .keys()
        .chain(b.administrative.keys())
        .collect();
    for k in keys {
        let (old, new) = (a.administrative.get(k), b.administrative.get(k));
        if old != new {
            changes.push(json!({"field": format!("administrative.{k}"), "old": old, "new": new}));
        }
    }
    // The patient block field by field (a correction between the two versions).
    if let (Some(old), Some(new)) = (&a.patient, &b.patient) {
        for c in domain::form::patient_changes(old, new) {
            changes
                .push(json!({"field": format!("patient.{}", c.field), "old": c.old, "new": c.new}));
        }
    }
    let whole = |name: &str, old: Value, new: Value, changes: &mut Vec<Value>| {
        if old != new {
            changes.push(json!({"field": name, "old": old, "new": new}));
        }
    };
    whole("status", json!(a.status), json!(b.status), &mut changes);
    whole(
        "judgment",
        json!(a.judgment),
        json!(b.judgment),
        &mut changes,
    );
    whole("review", json!(a.review), json!(b.review), &mut changes);
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
    let q = query(q)?;
    let format = format(q.format.as_deref())?;
    let forbidden = || {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "この操作の権限がありません。",
            "Not permitted: the history of a patient, an account or an institution (auditors).",
        )
        .with_details(json!({"permission": "history inquiry (auditors)"}))
    };
    let (subject, name) = match (&q.patient_of_form, &q.account, &q.institution) {
        // A refused history of an existing record is recorded after the answer, which stays
        // what it was (commands::audit).
        (Some(form), None, None) => {
            if actor.role != Role::Auditor {
                commands::audit::refused_form_read(
                    &state.store,
                    &actor,
                    form,
                    "patient_history",
                    origin.as_deref(),
                );
                return Err(forbidden());
            }
            let key = commands::forms::patient_key(
                &state.store,
                &actor,
                form,
                "patient_history",
                origin.as_deref(),
            )
            .await
            .map_err(ApiError::from)?;
            (Subject::Patient(key), format!("history-patient-of-{form}"))
        }
        (None, Some(account), None) => {
            if actor.role != Role::Auditor && actor.account != *account {
                commands::audit::refused_account_read(
                    &state.store,
                    &actor,
                    account,
                    "account_history",
                    origin.as_deref(),
                );
                return Err(forbidden());
            }
            (
                Subject::Account(account.clone()),
                format!("history-account-{account}"),
            )
        }
        (None, None, Some(code)) => {
            if actor.role != Role::Auditor {
                commands::audit::refused_institution_read(
                    &state.store,
                    &actor,
                    code,
                    "institution_history",
                    origin.as_deref(),
                );
                return Err(forbidden());
            }
            (
                Subject::Institution(code.clone()),
                format!("history-institution-{code}"),
            )
        }
        _ => {
            return Err(bad(
                "name exactly one of patient_of_form, account or institution",
            ))
        }
    };
    let list: Vec<Value> = entries(&state, &subject)
        .await?
        .iter()
        // Program separation: an auditor sees its own program's entries (and the
        // program-independent ones, such as institution master changes).
        .filter(|e| {
            e.program
                .as_deref()
                .is_none_or(|p| p == actor.program.as_str())
        })
        .filter(|e| shown(e, &actor))
        .map(|e| present(e, &BTreeMap::new(), &actor))
        .collect();
    Ok(respond(list, format, &name))
}
