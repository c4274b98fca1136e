//! HTTP routes for forms and masters: extract, build the command, call, map the result. The
//! actor is the logged-in account (`crate::auth`); the domain refuses what it may not do.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use commands::forms::{
    change_patient, create_form, form_command, publish_municipalities, publish_version, read_form,
    read_form_as, read_scan, register_institution, register_paper_form, CreateForm,
};
use commands::{CommandError, Outcome};
use domain::disease::DiseaseForm;
use domain::form::{Actor, FormAction, FormError, Patient, ReviewResult};
use domain::institution::InstitutionError;
use domain::master::MasterError;
use domain::municipality::ImplementingBody;
use domain::{InstitutionCode, Program};
use eventstore::IdempotencyKey;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{CurrentActor, Origin};
use crate::error::ApiError;
use crate::http::AppState;

pub fn routes() -> Router<AppState> {
    let routes = Router::new()
        .route("/api/forms", post(create).get(crate::search::search))
        .route(
            "/api/forms/paper",
            // A 20 MiB scan is about 27 MiB in Base64.
            post(register_paper).layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT)),
        )
        .route("/api/forms/{id}", get(show))
        .route("/api/forms/{id}/scan", get(scan))
        .route("/api/forms/{id}/judgment", get(judgment))
        .route("/api/forms/{id}/items", post(edit))
        .route("/api/forms/{id}/submit", post(submit))
        .route("/api/forms/{id}/receive", post(receive))
        .route("/api/forms/receive", post(receive_by_key))
        .route("/api/forms/{id}/corrections", post(correct))
        .route("/api/forms/{id}/patient", post(change_patient_data))
        .route("/api/forms/{id}/review", post(review))
        .route("/api/forms/{id}/administrative", post(administrative))
        .route("/api/forms/{id}/withdraw", post(withdraw))
        .route("/api/masters/versions", post(publish))
        .route("/api/masters/diseases", get(diseases))
        .route(
            "/api/masters/municipalities",
            get(municipalities).post(publish_municipality_list),
        )
        .route("/api/masters/institutions", post(register));
    routes.layer(axum::middleware::from_fn(fingerprint))
}

/// Largest request body: a paper form with its scan in Base64.
const BODY_LIMIT: usize = 32 * 1024 * 1024;

/// The header in which `fingerprint` hands the request's fingerprint to the handlers.
const FINGERPRINT_HEADER: &str = "x-nanbyo-request-fingerprint";

/// Fingerprints every request that carries an Idempotency-Key (method, path and body), so
/// that the same key sent with a different request is refused instead of answered with the
/// first request's result.
async fn fingerprint(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Result<axum::response::Response, ApiError> {
    use sha2::{Digest, Sha256};
    let (mut parts, body) = request.into_parts();
    parts.headers.remove(FINGERPRINT_HEADER);
    if !parts.headers.contains_key("idempotency-key") {
        let request = axum::extract::Request::from_parts(parts, body);
        return Ok(next.run(request).await);
    }
    // The paper route takes scans; every other route keeps axum's usual 2 MiB.
    let limit = if parts.uri.path() == "/api/forms/paper" {
        BODY_LIMIT
    } else {
        2 * 1024 * 1024
    };
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "リクエストが大きすぎます。",
            "The request body is too large.",
        )
    })?;
    let mut h = Sha256::new();
    h.update(parts.method.as_str().as_bytes());
    h.update([0]);
    h.update(parts.uri.path().as_bytes());
    h.update([0]);
    h.update(&bytes);
    let digest = hex::encode(h.finalize());
    if let Ok(value) = axum::http::HeaderValue::from_str(&digest) {
        parts.headers.insert(FINGERPRINT_HEADER, value);
    }
    let request = axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes));
    Ok(next.run(request).await)
}

/// A JSON body, with errors in the API's own shape (never a panic, never a 500).
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "リクエストの内容が正しくありません。",
            format!("The request body is not valid: {e}"),
        )
    })
}

pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, ApiError> {
    let fingerprint = headers
        .get(FINGERPRINT_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    headers
        .get("idempotency-key")
        .map(|v| {
            v.to_str()
                .map_err(|_| eventstore::StoreError::InvalidIdempotencyKey)
                .and_then(IdempotencyKey::parse)
                .map(|k| match &fingerprint {
                    Some(f) => k.with_fingerprint(f.clone()),
                    None => k,
                })
                .map_err(ApiError::from)
        })
        .transpose()
}

/// `If-Match: 3` or `If-Match: "3"`: the stream version the client last saw.
fn if_match(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    headers
        .get("if-match")
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
}

pub(crate) fn form_error(e: CommandError<FormError>) -> ApiError {
    match e {
        CommandError::Rejected(e) => match e {
            FormError::NotFound => ApiError::new(
                StatusCode::NOT_FOUND,
                "form_not_found",
                "臨個票が見つかりません。",
                "No such form.",
            ),
            FormError::Forbidden(permission) => ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "この操作の権限がありません。",
                format!("Not permitted: {permission}."),
            )
            .with_details(json!({ "permission": permission })),
            FormError::WrongStatus(s) => ApiError::new(
                StatusCode::CONFLICT,
                "wrong_status",
                "現在の状態ではこの操作はできません。",
                format!("Not possible while the form is {s:?}."),
            ),
            FormError::ReasonRequired => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "reason_required",
                "提出後の変更には理由の入力が必要です。",
                "A change after submission needs a reason.",
            ),
            FormError::InvalidItems(errors) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_items",
                "入力内容に誤りがあります。",
                "Some items are not valid.",
            )
            .with_details(json!({ "items": errors })),
            FormError::WrongMaster => ApiError::new(
                StatusCode::CONFLICT,
                "wrong_master",
                "様式の版が一致しません。",
                "The master is for another disease or form version.",
            ),
            FormError::Unchanged => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unchanged",
                "変更された項目がありません。",
                "Nothing changed.",
            ),
            FormError::AlreadyExists => ApiError::new(
                StatusCode::CONFLICT,
                "form_exists",
                "この臨個票は既に作成されています。",
                "The form already exists.",
            ),
            FormError::UnknownDisease => unknown_disease(),
            FormError::AccessKeyMismatch => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "access_key_mismatch",
                "アクセスキーがこの臨個票と一致しません。",
                "The access key does not match this form.",
            ),
            FormError::UnknownInstitution => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_institution",
                "医療機関がマスタに登録されていません。",
                "The medical institution is not registered in the master.",
            ),
            FormError::CarryOverMismatch => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "carry_over_mismatch",
                "前回の臨個票は同じ患者・同じ疾病の（取下げていない）ものを指定してください。",
                "The previous form must be of the same patient and disease, and not withdrawn.",
            ),
            FormError::Invalid(message) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "入力内容に誤りがあります。",
                message,
            ),
        },
        CommandError::Store(e) => e.into(),
        CommandError::Unreadable(e) => {
            // The reason may quote stored values (personal data): log the event type only.
            let event_type = match &e {
                domain::PayloadError::UnknownType(t)
                | domain::PayloadError::SchemaVersion { event_type: t, .. }
                | domain::PayloadError::Invalid { event_type: t, .. } => t.clone(),
            };
            tracing::error!(event_type, "stored form event cannot be read");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "システム内部でエラーが発生しました。",
                "An internal error occurred.",
            )
        }
    }
}

fn unknown_disease() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_disease",
        "指定された疾病・様式の版はマスタにありません。",
        "The disease or form version is not in the master.",
    )
}

fn accepted(status: StatusCode, id: &str, o: Outcome) -> impl IntoResponse {
    (
        status,
        [("etag", format!("\"{}\"", o.version))],
        Json(json!({
            "id": id,
            "version": o.version,
            "position": o.position,
            "duplicate": o.duplicate,
        })),
    )
}

async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Origin(origin): Origin,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let key = idempotency_key(&headers)?;
    let req: CreateForm = body(&bytes)?;
    let (id, o) = create_form(
        &state.store,
        &state.masters,
        actor,
        req,
        key.as_ref(),
        origin.as_deref(),
    )
    .await
    .map_err(form_error)?;
    Ok(accepted(StatusCode::CREATED, &id, o))
}

#[derive(Deserialize)]
struct PaperBody {
    #[serde(flatten)]
    form: CreateForm,
    scan: ScanBody,
}

#[derive(Deserialize)]
struct ScanBody {
    media_type: String,
    content_base64: String,
}

/// 旧様式の紙の臨個票: the municipality uploads the scan with the transcribed items.
async fn register_paper(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    use base64::Engine;
    let key = idempotency_key(&headers)?;
    let req: PaperBody = body(&bytes)?;
    let content = base64::engine::general_purpose::STANDARD
        .decode(req.scan.content_base64.as_bytes())
        .map_err(|_| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_scan",
                "スキャンファイルの内容を読み取れません（Base64）。",
                "The scan is not valid Base64.",
            )
        })?;
    let (id, o) = register_paper_form(
        &state.store,
        &state.masters,
        actor,
        req.form,
        &req.scan.media_type,
        &content,
        key.as_ref(),
    )
    .await
    .map_err(form_error)?;
    Ok(accepted(StatusCode::CREATED, &id, o))
}

/// The scan of a paper form.
async fn scan(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Origin(origin): Origin,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let (media_type, content) = read_scan(&state.store, &actor, &id, origin.as_deref())
        .await
        .map_err(form_error)?;
    use axum::http::header;
    Ok((
        [
            (header::CONTENT_TYPE, media_type),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CONTENT_DISPOSITION, "attachment".to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        content,
    ))
}

#[derive(Deserialize)]
struct InstitutionBody {
    code: InstitutionCode,
    name: String,
}

async fn register(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let key = idempotency_key(&headers)?;
    let req: InstitutionBody = body(&bytes)?;
    let code = req.code.to_string();
    let o = register_institution(&state.store, &actor, req.code, req.name, key.as_ref())
        .await
        .map_err(institution_error)?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "code": code, "version": o.version, "position": o.position, "duplicate": o.duplicate }),
        ),
    ))
}

#[derive(Deserialize)]
struct ItemsBody {
    items: BTreeMap<String, Value>,
    reason: Option<String>,
}

async fn edit(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let req: ItemsBody = body(&bytes)?;
    let items = req.items;
    with_master(&state, &id, actor, &headers, req.reason, |master| {
        FormAction::Edit { master, items }
    })
    .await
}

async fn correct(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let req: ItemsBody = body(&bytes)?;
    let items = req.items;
    with_master(&state, &id, actor, &headers, req.reason, |master| {
        FormAction::Correct { master, items }
    })
    .await
}

#[derive(Deserialize)]
struct PatientBody {
    patient: Patient,
    reason: Option<String>,
}

/// The corrected patient block, whole.
async fn change_patient_data(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let req: PatientBody = body(&bytes)?;
    let key = idempotency_key(&headers)?;
    let expected = if_match(&headers)?;
    let o = change_patient(
        &state.store,
        &state.masters,
        &id,
        actor,
        req.reason,
        req.patient,
        expected,
        key.as_ref(),
    )
    .await
    .map_err(form_error)?;
    Ok(accepted(StatusCode::OK, &id, o))
}

/// A command on an existing form; `action` receives the master of the form's own disease
/// (resolved from the state the command loads, so the stream is read once).
async fn with_master(
    state: &AppState,
    id: &str,
    actor: Actor,
    headers: &HeaderMap,
    reason: Option<String>,
    action: impl FnOnce(std::sync::Arc<(DiseaseForm, String)>) -> FormAction,
) -> Result<impl IntoResponse, ApiError> {
    let key = idempotency_key(headers)?;
    let expected = if_match(headers)?;
    let o = form_command(
        &state.store,
        &state.masters,
        id,
        actor,
        reason,
        action,
        expected,
        key.as_ref(),
    )
    .await
    .map_err(form_error)?;
    Ok(accepted(StatusCode::OK, id, o))
}

async fn submit(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    let action = FormAction::Submit {
        access_key: commands::forms::new_access_key(),
    };
    with_master(&state, &id, actor, &headers, None, |_| action).await
}

#[derive(Deserialize)]
struct ReceiveBody {
    access_key: String,
}

/// 受付 by アクセスキー alone (municipality staff): the form is found by the key the patient's
/// application carries, in the caller's jurisdiction.
async fn receive_by_key(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let req: ReceiveBody = body(&bytes)?;
    let key = idempotency_key(&headers)?;
    let (id, o) = commands::forms::receive_by_access_key(
        &state.store,
        &state.masters,
        actor,
        &req.access_key,
        key.as_ref(),
    )
    .await
    .map_err(form_error)?;
    Ok(accepted(StatusCode::OK, &id, o))
}

async fn receive(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let req: ReceiveBody = body(&bytes)?;
    let action = FormAction::Receive {
        access_key: req.access_key,
    };
    with_master(&state, &id, actor, &headers, None, |_| action).await
}

#[derive(Deserialize)]
struct ReviewBody {
    result: ReviewResult,
    reason: Option<String>,
}

async fn review(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let req: ReviewBody = body(&bytes)?;
    let action = FormAction::Review { result: req.result };
    with_master(&state, &id, actor, &headers, req.reason, |_| action).await
}

#[derive(Deserialize)]
struct AdministrativeBody {
    fields: BTreeMap<String, Value>,
    reason: Option<String>,
}

/// 行政記載欄 (municipality staff).
async fn administrative(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let req: AdministrativeBody = body(&bytes)?;
    let action = FormAction::RecordAdministrative { fields: req.fields };
    with_master(&state, &id, actor, &headers, req.reason, |_| action).await
}

#[derive(Deserialize)]
struct WithdrawBody {
    reason: String,
}

async fn withdraw(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let req: WithdrawBody = body(&bytes)?;
    let reason = Some(req.reason.clone());
    let action = FormAction::Withdraw { reason: req.reason };
    with_master(&state, &id, actor, &headers, reason, |_| action).await
}

#[derive(Deserialize)]
struct ShowQuery {
    /// RFC 3339: the form as it was at that moment.
    as_of: Option<DateTime<Utc>>,
    /// The form as of that stream version.
    version: Option<u64>,
}

async fn show(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Origin(origin): Origin,
    Path(id): Path<String>,
    query: Result<Query<ShowQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(q) = query.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "検索条件が正しくありません。",
            format!("The query is not valid: {e}"),
        )
    })?;
    let view = read_form(
        &state.store,
        &actor,
        &id,
        q.as_of,
        q.version,
        origin.as_deref(),
    )
    .await
    .map_err(form_error)?;
    Ok(([("etag", format!("\"{}\"", view.version))], Json(view)))
}

async fn judgment(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Origin(origin): Origin,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let view = read_form_as(
        &state.store,
        &actor,
        &id,
        None,
        "judgment",
        origin.as_deref(),
    )
    .await
    .map_err(form_error)?;
    Ok(Json(
        json!({ "id": id, "version": view.version, "judgment": view.judgment }),
    ))
}

#[derive(Deserialize)]
struct PublishBody {
    version: String,
    diseases: Vec<DiseaseForm>,
}

async fn publish(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let key = idempotency_key(&headers)?;
    let req: PublishBody = body(&bytes)?;
    let version = req.version.clone();
    let o = publish_version(
        &state.store,
        &state.masters,
        &actor,
        req.version,
        req.diseases,
        key.as_ref(),
    )
    .await
    .map_err(master_error)?;
    Ok(published(version, o))
}

/// 201 with the published master version.
fn published(version: String, o: Outcome) -> impl IntoResponse {
    (
        StatusCode::CREATED,
        Json(json!({ "version": version, "position": o.position, "duplicate": o.duplicate })),
    )
}

/// A master command's failure as an API error.
fn master_error(e: CommandError<MasterError>) -> ApiError {
    match e {
        CommandError::Rejected(MasterError::Forbidden) => ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "マスタの公開はシステム運営主体のみが行えます。",
            "Only the operator publishes master versions.",
        )
        .with_details(json!({ "permission": "publish master versions" })),
        CommandError::Rejected(MasterError::VersionExists(v)) => ApiError::new(
            StatusCode::CONFLICT,
            "master_version_exists",
            "このマスタ版は既に公開されています。",
            format!("Master version {v} is already published."),
        ),
        CommandError::Rejected(MasterError::InvalidVersion) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_master_version",
            "マスタ版の名前が正しくありません。",
            MasterError::InvalidVersion.to_string(),
        ),
        CommandError::Rejected(MasterError::Invalid(problems)) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_master",
            "マスタの内容に誤りがあります。",
            "The master is not valid.",
        )
        .with_details(json!({ "problems": problems })),
        CommandError::Store(e) => e.into(),
        CommandError::Unreadable(_) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "システム内部でエラーが発生しました。",
            "An internal error occurred.",
        ),
    }
}

#[derive(Deserialize)]
struct MunicipalitiesBody {
    version: String,
    bodies: Vec<ImplementingBody>,
}

/// The operator publishes a new 実施主体 list, whole; it is in force from then on.
async fn publish_municipality_list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let key = idempotency_key(&headers)?;
    let req: MunicipalitiesBody = body(&bytes)?;
    let version = req.version.clone();
    let o = publish_municipalities(
        &state.store,
        &state.masters,
        &actor,
        req.version,
        req.bodies,
        key.as_ref(),
    )
    .await
    .map_err(master_error)?;
    Ok(published(version, o))
}

/// The 実施主体 list in force, and the versions published before it.
async fn municipalities(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    // The list the checks use (the cache looks for a newer one at most once a second).
    let in_force = state.masters.municipalities(&state.store).await?;
    let master = state.masters.municipality_snapshot().await;
    Ok(Json(json!({
        "version": in_force.version,
        "bodies": in_force.bodies,
        "versions": master.versions.iter().map(|m| m.version.clone()).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
struct DiseasesQuery {
    program: Option<Program>,
}

async fn diseases(
    State(state): State<AppState>,
    query: Result<Query<DiseasesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(q) = query.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "検索条件が正しくありません。",
            format!("The query is not valid: {e}"),
        )
    })?;
    state.masters.refresh(&state.store).await?;
    let master = state.masters.snapshot().await;
    let version = master.latest().map(|(v, _)| v.clone());
    let list: Vec<Value> = master
        .in_force()
        .into_iter()
        .filter(|(_, d)| q.program.is_none_or(|p| p == d.program))
        .map(|(master_version, d)| {
            json!({
                "master_version": master_version,
                "program": d.program, "code": d.code, "name_ja": d.name_ja, "name_en": d.name_en,
                "disease_group": d.disease_group, "form_version": d.form_version,
                "items": d.items.len(),
            })
        })
        .collect();
    Ok(Json(json!({ "version": version, "diseases": list })))
}

/// An institution-master command's failure as an API error.
pub(crate) fn institution_error(e: CommandError<InstitutionError>) -> ApiError {
    match e {
        CommandError::Rejected(InstitutionError::Forbidden) => ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "医療機関マスタの登録はシステム運営主体のみが行えます。",
            "Only the operator maintains the institution master.",
        )
        .with_details(json!({ "permission": "maintain the institution master" })),
        CommandError::Rejected(InstitutionError::AlreadyRegistered) => ApiError::new(
            StatusCode::CONFLICT,
            "institution_exists",
            "この医療機関は登録済みです。",
            "The institution is already registered.",
        ),
        CommandError::Rejected(e) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "入力内容に誤りがあります。",
            e.to_string(),
        ),
        CommandError::Store(e) => e.into(),
        CommandError::Unreadable(_) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "システム内部でエラーが発生しました。",
            "An internal error occurred.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openapi;

    /// The examples in the OpenAPI document are requests the handlers accept.
    #[test]
    fn documented_examples_parse_into_the_handler_bodies() {
        let bytes = |v: Value| Bytes::from(serde_json::to_vec(&v).expect("json"));
        let create: CreateForm = body(&bytes(openapi::example_create_form())).expect("create");
        assert_eq!(create.disease, "6");
        let items: ItemsBody = body(&bytes(openapi::example_items())).expect("items");
        assert_eq!(items.items.len(), 2);
        let review: ReviewBody = body(&bytes(openapi::example_review())).expect("review");
        assert!(matches!(review.result, ReviewResult::Certified { .. }));
        let doc = openapi::document();
        let example = |path: &str| {
            doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["example"]
                .clone()
        };
        body::<CreateForm>(&bytes(example("/api/forms"))).expect("documented create example");
        body::<ReceiveBody>(&bytes(example("/api/forms/{id}/receive"))).expect("receive example");
        body::<WithdrawBody>(&bytes(example("/api/forms/{id}/withdraw")))
            .expect("withdraw example");
        body::<PublishBody>(&bytes(example("/api/masters/versions"))).expect("publish example");
        body::<MunicipalitiesBody>(&bytes(example("/api/masters/municipalities")))
            .expect("municipalities example");
        let change: PatientBody =
            body(&bytes(example("/api/forms/{id}/patient"))).expect("patient example");
        assert_eq!(change.patient.address, "小樽市稲穂1丁目");
        body::<InstitutionBody>(&bytes(example("/api/masters/institutions")))
            .expect("institution example");
    }
}
