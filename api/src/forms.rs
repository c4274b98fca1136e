//! HTTP routes for forms and masters: extract, build the command, call, map the result. The
//! actor is the logged-in account (`crate::auth`); the domain refuses what it may not do.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use commands::forms::{
    change_patient, create_form, form_command, publish_municipalities, publish_version, read_form,
    read_form_as, read_scan, register_institution, register_paper_form, CreateForm,
};
use commands::Outcome;
use domain::disease::DiseaseForm;
use domain::form::{Actor, FormAction, Patient, ReviewResult};
use domain::municipality::ImplementingBody;
use domain::{InstitutionCode, Program};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{CurrentActor, Origin};
use crate::error::ApiError;
use crate::extract::{ApiQuery, IfMatch, JsonBody, RequestKey, PAPER_BODY_LIMIT};
use crate::http::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/forms", post(create).get(crate::search::search))
        .route(
            "/api/forms/paper",
            // A 20 MiB scan is about 27 MiB in Base64.
            post(register_paper).layer(axum::extract::DefaultBodyLimit::max(PAPER_BODY_LIMIT)),
        )
        .route("/api/forms/{id}", get(show))
        .route("/api/forms/{id}/scan", get(scan))
        .route("/api/forms/{id}/judgment", get(judgment))
        .route("/api/forms/{id}/actions", get(actions))
        .route("/api/forms/{id}/preview", post(preview))
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
        .route("/api/masters/institutions", post(register))
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
    RequestKey(key): RequestKey,
    JsonBody(req): JsonBody<CreateForm>,
) -> Result<impl IntoResponse, ApiError> {
    let (id, o) = create_form(
        &state.store,
        &state.masters,
        actor,
        req,
        key.as_ref(),
        origin.as_deref(),
    )
    .await?;
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
    RequestKey(key): RequestKey,
    JsonBody(req): JsonBody<PaperBody>,
) -> Result<impl IntoResponse, ApiError> {
    use base64::Engine;
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
    .await?;
    Ok(accepted(StatusCode::CREATED, &id, o))
}

/// The scan of a paper form.
async fn scan(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Origin(origin): Origin,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let (media_type, content) = read_scan(&state.store, &actor, &id, origin.as_deref()).await?;
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
    RequestKey(key): RequestKey,
    JsonBody(req): JsonBody<InstitutionBody>,
) -> Result<impl IntoResponse, ApiError> {
    let code = req.code.to_string();
    let o = register_institution(&state.store, &actor, req.code, req.name, key.as_ref()).await?;
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
    key: RequestKey,
    expected: IfMatch,
    JsonBody(req): JsonBody<ItemsBody>,
) -> Result<impl IntoResponse, ApiError> {
    let items = req.items;
    with_master(&state, &id, actor, (key, expected), req.reason, |master| {
        FormAction::Edit { master, items }
    })
    .await
}

async fn correct(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    key: RequestKey,
    expected: IfMatch,
    JsonBody(req): JsonBody<ItemsBody>,
) -> Result<impl IntoResponse, ApiError> {
    let items = req.items;
    with_master(&state, &id, actor, (key, expected), req.reason, |master| {
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
    RequestKey(key): RequestKey,
    IfMatch(expected): IfMatch,
    JsonBody(req): JsonBody<PatientBody>,
) -> Result<impl IntoResponse, ApiError> {
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
    .await?;
    Ok(accepted(StatusCode::OK, &id, o))
}

/// A command on an existing form; `action` receives the master of the form's own disease
/// (resolved from the state the command loads, so the stream is read once).
async fn with_master(
    state: &AppState,
    id: &str,
    actor: Actor,
    (RequestKey(key), IfMatch(expected)): (RequestKey, IfMatch),
    reason: Option<String>,
    action: impl FnOnce(std::sync::Arc<(DiseaseForm, String)>) -> FormAction,
) -> Result<impl IntoResponse, ApiError> {
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
    .await?;
    Ok(accepted(StatusCode::OK, id, o))
}

async fn submit(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    key: RequestKey,
    expected: IfMatch,
) -> Result<impl IntoResponse, ApiError> {
    let action = FormAction::Submit {
        access_key: commands::forms::new_access_key(),
    };
    with_master(&state, &id, actor, (key, expected), None, |_| action).await
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
    RequestKey(key): RequestKey,
    JsonBody(req): JsonBody<ReceiveBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (id, o) = commands::forms::receive_by_access_key(
        &state.store,
        &state.masters,
        actor,
        &req.access_key,
        key.as_ref(),
    )
    .await?;
    Ok(accepted(StatusCode::OK, &id, o))
}

async fn receive(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    key: RequestKey,
    expected: IfMatch,
    JsonBody(req): JsonBody<ReceiveBody>,
) -> Result<impl IntoResponse, ApiError> {
    let action = FormAction::Receive {
        access_key: req.access_key,
    };
    with_master(&state, &id, actor, (key, expected), None, |_| action).await
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
    key: RequestKey,
    expected: IfMatch,
    JsonBody(req): JsonBody<ReviewBody>,
) -> Result<impl IntoResponse, ApiError> {
    let action = FormAction::Review { result: req.result };
    with_master(&state, &id, actor, (key, expected), req.reason, |_| action).await
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
    key: RequestKey,
    expected: IfMatch,
    JsonBody(req): JsonBody<AdministrativeBody>,
) -> Result<impl IntoResponse, ApiError> {
    let action = FormAction::RecordAdministrative { fields: req.fields };
    with_master(&state, &id, actor, (key, expected), req.reason, |_| action).await
}

#[derive(Deserialize)]
struct WithdrawBody {
    reason: String,
}

async fn withdraw(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    key: RequestKey,
    expected: IfMatch,
    JsonBody(req): JsonBody<WithdrawBody>,
) -> Result<impl IntoResponse, ApiError> {
    let reason = Some(req.reason.clone());
    let action = FormAction::Withdraw { reason: req.reason };
    with_master(&state, &id, actor, (key, expected), reason, |_| action).await
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
    ApiQuery(q): ApiQuery<ShowQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let view = read_form(
        &state.store,
        &actor,
        &id,
        q.as_of,
        q.version,
        origin.as_deref(),
    )
    .await?;
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
    .await?;
    Ok(Json(
        json!({ "id": id, "version": view.version, "judgment": view.judgment }),
    ))
}

/// What the caller may do with the form as it stands, each action tried by the domain on the
/// current state with nothing appended, and why not where not (the web client shows only these).
async fn actions(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Origin(origin): Origin,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let permitted =
        commands::forms::permitted(&state.store, &state.masters, &actor, &id, origin.as_deref())
            .await?;
    Ok(Json(json!({ "id": id, "actions": permitted })))
}

#[derive(Deserialize)]
struct PreviewBody {
    items: BTreeMap<String, Value>,
}

/// The judgment the form would have with these items entered (the live judgment while a form is
/// written): nothing is appended, the caller must be one who may edit the form.
async fn preview(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<PreviewBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (judgment, refused) =
        commands::forms::preview(&state.store, &state.masters, &actor, &id, &req.items).await?;
    Ok(Json(
        json!({ "id": id, "judgment": judgment, "item_errors": refused }),
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
    RequestKey(key): RequestKey,
    JsonBody(req): JsonBody<PublishBody>,
) -> Result<impl IntoResponse, ApiError> {
    let version = req.version.clone();
    let o = publish_version(
        &state.store,
        &state.masters,
        &actor,
        req.version,
        req.diseases,
        key.as_ref(),
    )
    .await?;
    Ok(published(version, o))
}

/// 201 with the published master version.
fn published(version: String, o: Outcome) -> impl IntoResponse {
    (
        StatusCode::CREATED,
        Json(json!({ "version": version, "position": o.position, "duplicate": o.duplicate })),
    )
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
    RequestKey(key): RequestKey,
    JsonBody(req): JsonBody<MunicipalitiesBody>,
) -> Result<impl IntoResponse, ApiError> {
    let version = req.version.clone();
    let o = publish_municipalities(
        &state.store,
        &state.masters,
        &actor,
        req.version,
        req.bodies,
        key.as_ref(),
    )
    .await?;
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
    ApiQuery(q): ApiQuery<DiseasesQuery>,
) -> Result<impl IntoResponse, ApiError> {
    state.masters.refresh(&state.store).await?;
    let version = state.masters.latest_version().await;
    // The diseases a form may be started for today (an edition not yet in effect is not listed).
    let today = commands::forms::today_in_japan();
    let list: Vec<Value> = state
        .masters
        .diseases_on(&state.store, q.program, &today)
        .await?
        .into_iter()
        .map(|(d, master_version)| {
            json!({
                "master_version": master_version,
                "program": d.program, "code": d.code, "name_ja": d.name_ja, "name_en": d.name_en,
                "disease_group": d.disease_group, "form_version": d.form_version,
                "name_kana": d.name_kana, "aliases": d.aliases, "rules": d.has_rules(),
                "items": d.items.len(),
            })
        })
        .collect();
    Ok(Json(json!({ "version": version, "diseases": list })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openapi;

    /// The examples in the OpenAPI document are requests the handlers accept.
    #[test]
    fn documented_examples_parse_into_the_handler_bodies() {
        fn body<T: serde::de::DeserializeOwned>(v: &Value) -> serde_json::Result<T> {
            T::deserialize(v)
        }
        let bytes = |v: Value| v;
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
