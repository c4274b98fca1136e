//! HTTP routes for logins, accounts, the 医療機関ユーザデータファイル, secondary affiliations,
//! the institution-code switch and the read audit.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use commands::accounts::{self as acc, AccountsError, Created, LoginError};
use domain::account::{Account, AccountAction, AccountError};
use domain::form::Actor;
use domain::{InstitutionCode, Role};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{CurrentActor, Session};
use crate::error::ApiError;
use crate::extract::{ApiQuery, JsonBody, OptionalJsonBody, RequestKey, USER_FILE_LIMIT};
use crate::http::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/me", get(me))
        .route("/api/me/password", post(change_password))
        .route("/api/accounts", post(create).get(list))
        .route(
            "/api/accounts/user-file",
            post(user_file).layer(axum::extract::DefaultBodyLimit::max(USER_FILE_LIMIT)),
        )
        .route("/api/accounts/{id}", get(show))
        .route("/api/accounts/{id}/suspend", post(suspend))
        .route("/api/accounts/{id}/reactivate", post(reactivate))
        .route("/api/accounts/{id}/password-reset", post(reset))
        .route("/api/affiliations", post(apply).get(affiliations))
        .route(
            "/api/affiliations/{account}/{institution}/approve",
            post(approve),
        )
        .route(
            "/api/affiliations/{account}/{institution}/reject",
            post(reject),
        )
        .route(
            "/api/affiliations/{account}/{institution}/revoke",
            post(revoke),
        )
        .route(
            "/api/masters/institutions/{code}/successor",
            post(successor),
        )
        .route("/api/institutions/{code}/switch", post(switch))
        .route("/api/audit/reads", get(reads))
}

pub fn accounts_error(e: AccountsError) -> ApiError {
    e.into()
}

fn account_error(e: AccountError) -> ApiError {
    e.into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    login_id: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<LoginBody>,
) -> Result<Response, ApiError> {
    match acc::login(&state.store, req.login_id.trim(), &req.password).await {
        Ok(session) => Ok((StatusCode::OK, Json(session)).into_response()),
        Err(LoginError::InvalidCredentials) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "ログインIDまたはパスワードが正しくありません。",
            "The login ID or the password is wrong.",
        )),
        Err(LoginError::Locked { until }) => {
            let jst = until.with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).expect("JST"));
            Err(ApiError::new(
                StatusCode::LOCKED,
                "account_locked",
                format!(
                    "ログインに続けて失敗したため、{} までログインできません。",
                    jst.format("%Y-%m-%d %H:%M")
                ),
                format!(
                    "Too many failed logins: the account is locked until {}.",
                    until.to_rfc3339()
                ),
            )
            .with_details(json!({ "locked_until": until.to_rfc3339() })))
        }
        Err(LoginError::Suspended) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "account_suspended",
            "このアカウントは停止されています。管理者にお問い合わせください。",
            "This account is suspended; ask its administrator.",
        )),
        Err(LoginError::Failed(e)) => Err(accounts_error(e)),
    }
}

async fn logout(State(state): State<AppState>, session: Session) -> Result<StatusCode, ApiError> {
    acc::logout(&state.store, &session.token)
        .await
        .map_err(accounts_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// An account as its owner, its manager or an auditor sees it.
fn account_view(account: &Account) -> Value {
    let Some(p) = &account.profile else {
        return Value::Null;
    };
    json!({
        "account_id": account.id,
        "login_id": p.login_id,
        "role": p.role,
        "program": p.program,
        "display_name": p.display_name,
        "designation": p.designation,
        "primary_institution": p.primary_institution,
        "secondary_institutions": account.secondary,
        "responsible_for": p.responsible_for,
        "jurisdiction": p.jurisdiction,
        "status": account.status,
        "must_change_password": account.must_change_password,
        "pending_switch": account.pending_switch.as_ref().map(|(f, t)| json!({"from": f, "to": t})),
    })
}

async fn me(session: Session) -> Json<Value> {
    let mut view = account_view(&session.account);
    view["institutions"] = json!(session.actor.institutions);
    view["designation_in_force"] = json!(session.actor.designation);
    Json(view)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    current_password: String,
    new_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    session: Session,
    RequestKey(key): RequestKey,
    JsonBody(req): JsonBody<PasswordBody>,
) -> Result<Json<Value>, ApiError> {
    let o = acc::change_password(
        &state.store,
        &session.actor,
        &req.current_password,
        &req.new_password,
        key.as_ref(),
    )
    .await
    .map_err(accounts_error)?;
    Ok(Json(
        json!({ "version": o.version, "position": o.position }),
    ))
}

#[derive(Deserialize)]
struct CreateBody {
    #[serde(flatten)]
    account: acc::CreateAccount,
}

fn reason_header(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-nanbyo-reason")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn issued_response(status: StatusCode, issued: &acc::Issued) -> Response {
    let mut response = (
        status,
        Json(json!({
            "account_id": issued.account_id,
            "login_id": issued.login_id,
            "initial_password": issued.initial_password,
        })),
    )
        .into_response();
    // Shown once: not for caches or history.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, "no-store".parse().expect("header"));
    response
}

async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    RequestKey(key): RequestKey,
    headers: HeaderMap,
    JsonBody(req): JsonBody<CreateBody>,
) -> Result<Response, ApiError> {
    let reason = reason_header(&headers);
    match acc::create_account(
        &state.store,
        &actor,
        req.account,
        reason.as_deref(),
        key.as_ref(),
    )
    .await
    .map_err(accounts_error)?
    {
        Created::New(issued, _) => Ok(issued_response(StatusCode::CREATED, &issued)),
        Created::Existing {
            account_id,
            login_id,
        } => Ok((
            StatusCode::OK,
            Json(json!({"account_id": account_id, "login_id": login_id, "existing": true})),
        )
            .into_response()),
    }
}

/// Accounts the caller manages (`queries::accounts::list` says whose).
async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<queries::accounts::AccountQuery>,
) -> Result<Json<Value>, ApiError> {
    let page = queries::accounts::list(&state.store, &actor, q).await?;
    Ok(Json(
        json!({ "accounts": page.accounts, "next_after": page.next_after }),
    ))
}

/// May `actor` see account `target`? Itself, an auditor of its program, or who manages it.
fn may_view(actor: &Actor, target: &Account) -> bool {
    let Some(p) = &target.profile else {
        return false;
    };
    if p.program != actor.program {
        return false;
    }
    if actor.account == target.id || matches!(actor.role, Role::Auditor | Role::Operator) {
        return true;
    }
    match actor.role {
        Role::MunicipalityAdmin => actor.jurisdiction.as_ref().is_some_and(|j| {
            p.jurisdiction.as_ref() == Some(j)
                || p.primary_institution
                    .as_ref()
                    .is_some_and(|i| domain::account::in_jurisdiction(j, i))
        }),
        Role::ResponsiblePerson | Role::DesignatedDoctor => {
            actor.responsible_for.as_ref().is_some_and(|r| {
                p.primary_institution.as_ref() == Some(r) || target.secondary.contains_key(r)
            })
        }
        _ => false,
    }
}

async fn show(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (account, version) = commands::load::<Account>(&state.store, &id)
        .await
        .map_err(|e| accounts_error(e.into()))?;
    if !may_view(&actor, &account) {
        return Err(account_error(AccountError::NotFound));
    }
    let mut view = account_view(&account);
    view["version"] = json!(version);
    Ok(Json(view))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    reason: Option<String>,
}

async fn account_action(
    state: &AppState,
    actor: &Actor,
    id: &str,
    action: AccountAction,
    key: Option<eventstore::IdempotencyKey>,
    req: ReasonBody,
) -> Result<Json<Value>, ApiError> {
    let o = if action == AccountAction::Suspend {
        acc::suspend(&state.store, actor, id, req.reason.as_deref(), key.as_ref()).await
    } else {
        acc::act(
            &state.store,
            actor,
            id,
            action,
            req.reason.as_deref(),
            key.as_ref(),
        )
        .await
    }
    .map_err(accounts_error)?;
    Ok(Json(
        json!({ "version": o.version, "position": o.position }),
    ))
}

async fn suspend(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    RequestKey(key): RequestKey,
    OptionalJsonBody(req): OptionalJsonBody<ReasonBody>,
) -> Result<Json<Value>, ApiError> {
    account_action(&state, &actor, &id, AccountAction::Suspend, key, req).await
}

async fn reactivate(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    RequestKey(key): RequestKey,
    OptionalJsonBody(req): OptionalJsonBody<ReasonBody>,
) -> Result<Json<Value>, ApiError> {
    account_action(&state, &actor, &id, AccountAction::Reactivate, key, req).await
}

async fn reset(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    RequestKey(key): RequestKey,
    OptionalJsonBody(req): OptionalJsonBody<ReasonBody>,
) -> Result<Response, ApiError> {
    match acc::reset_password(
        &state.store,
        &actor,
        &id,
        req.reason.as_deref(),
        key.as_ref(),
    )
    .await?
    {
        acc::Reset::Issued(issued) => Ok(issued_response(StatusCode::OK, &issued)),
        acc::Reset::Done {
            account_id,
            login_id,
        } => Ok(
            Json(json!({ "account_id": account_id, "login_id": login_id, "duplicate": true }))
                .into_response(),
        ),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserFileQuery {
    /// `notification`: answer with the ID・PW発行通知書 as CSV instead of JSON.
    download: Option<String>,
}

/// The file of an upload: the first file part of a multipart form, or the raw body.
async fn upload(request: Request, state: &AppState) -> Result<Bytes, ApiError> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let bad = |status: StatusCode, e: String| {
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::new(
                status,
                "file_too_large",
                format!(
                    "ファイルが大きすぎます（上限 {} MiB）。分割してアップロードしてください。",
                    USER_FILE_LIMIT >> 20
                ),
                format!(
                    "The file is larger than {} MiB; split it and upload the parts.",
                    USER_FILE_LIMIT >> 20
                ),
            );
        }
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_upload",
            "アップロードされたファイルを読み取れません。",
            format!("The upload cannot be read: {e}"),
        )
    };
    if multipart {
        let mut form = Multipart::from_request(request, state)
            .await
            .map_err(|e| bad(e.status(), e.body_text()))?;
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|e| bad(e.status(), e.body_text()))?
        {
            if field.file_name().is_some() || field.name() == Some("file") {
                return field
                    .bytes()
                    .await
                    .map_err(|e| bad(e.status(), e.body_text()));
            }
        }
        Err(bad(StatusCode::UNPROCESSABLE_ENTITY, "no file part".into()))
    } else {
        Bytes::from_request(request, state)
            .await
            .map_err(|e| bad(e.status(), e.body_text()))
    }
}

async fn user_file(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<UserFileQuery>,
    request: Request,
) -> Result<Response, ApiError> {
    let bytes = upload(request, &state).await?;
    let result = acc::register_user_file(&state.store, &actor, bytes)
        .await
        .map_err(accounts_error)?;
    let mut response = match q.download.as_deref() {
        Some("notification") => notification_csv(&result).into_response(),
        None => (StatusCode::OK, Json(&result)).into_response(),
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_query",
                "download には notification を指定します。",
                "download=notification is the only download.",
            ))
        }
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, "no-store".parse().expect("header"));
    Ok(response)
}

/// ID・PW発行通知書: one line per row of the results (every registered row, the first rows in
/// error), the issued ID and password for new accounts, the result for the others, and a last
/// line saying that rows in error were left out, if they were. UTF-8 with a BOM so that Excel
/// opens it as such.
fn notification_csv(result: &acc::UserFileResult) -> impl IntoResponse {
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let _ = w.write_record([
        "行",
        "結果",
        "医療機関コード",
        "指定医番号",
        "氏名",
        "ログインID",
        "初期パスワード",
        "エラー",
    ]);
    // Both are sorted by row, and every notice is of a row of the results.
    let mut notices = result.notification.iter().peekable();
    for r in &result.results {
        let notice = notices.next_if(|n| n.row == r.row);
        let errors = r
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.column, e.message.ja))
            .collect::<Vec<_>>()
            .join(" / ");
        let row = r.row.to_string();
        let _ = w.write_record([
            row.as_str(),
            match r.status {
                "created" => "登録",
                "already_registered" => "登録済",
                _ => "エラー",
            },
            notice.map_or("", |n| n.institution_code.as_str()),
            notice.map_or("", |n| n.doctor_number.as_str()),
            notice.map_or("", |n| n.name.as_str()),
            r.login_id.as_deref().unwrap_or(""),
            notice.map_or("", |n| n.initial_password.as_str()),
            errors.as_str(),
        ]);
    }
    if let Some(note) = &result.note {
        let _ = w.write_record(["", "省略", "", "", "", "", "", note.ja.as_ref()]);
    }
    let bytes = w.into_inner().unwrap_or_default();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"id-pw-notification.csv\"",
            ),
        ],
        bytes,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApplyBody {
    institution: InstitutionCode,
}

async fn apply(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    RequestKey(key): RequestKey,
    JsonBody(req): JsonBody<ApplyBody>,
) -> Result<Response, ApiError> {
    let o = acc::request_affiliation(&state.store, &actor, req.institution, key.as_ref()).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "version": o.version, "position": o.position })),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AffiliationQuery {
    status: Option<String>,
}

/// A doctor sees their own requests; a responsible person those to its institution.
async fn affiliations(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<AffiliationQuery>,
) -> Result<Json<Value>, ApiError> {
    let rows = queries::accounts::affiliations(&state.store, &actor, q.status.as_deref()).await?;
    Ok(Json(json!({ "affiliations": rows })))
}

fn institution_path(code: &str) -> Result<InstitutionCode, ApiError> {
    InstitutionCode::parse(code).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_institution_code",
            "医療機関コードが正しくありません。",
            e.to_string(),
        )
    })
}

async fn decide(
    state: &AppState,
    actor: &Actor,
    account: &str,
    action: AccountAction,
    (RequestKey(key), OptionalJsonBody(req)): (RequestKey, OptionalJsonBody<ReasonBody>),
) -> Result<Json<Value>, ApiError> {
    let o = acc::act(
        &state.store,
        actor,
        account,
        action,
        req.reason.as_deref(),
        key.as_ref(),
    )
    .await?;
    Ok(Json(
        json!({ "version": o.version, "position": o.position }),
    ))
}

async fn approve(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((account, institution)): Path<(String, String)>,
    key: RequestKey,
    body: OptionalJsonBody<ReasonBody>,
) -> Result<Json<Value>, ApiError> {
    let institution = institution_path(&institution)?;
    let action = AccountAction::DecideAffiliation {
        institution,
        approve: true,
    };
    decide(&state, &actor, &account, action, (key, body)).await
}

async fn reject(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((account, institution)): Path<(String, String)>,
    key: RequestKey,
    body: OptionalJsonBody<ReasonBody>,
) -> Result<Json<Value>, ApiError> {
    let institution = institution_path(&institution)?;
    let action = AccountAction::DecideAffiliation {
        institution,
        approve: false,
    };
    decide(&state, &actor, &account, action, (key, body)).await
}

async fn revoke(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((account, institution)): Path<(String, String)>,
    key: RequestKey,
    body: OptionalJsonBody<ReasonBody>,
) -> Result<Json<Value>, ApiError> {
    let institution = institution_path(&institution)?;
    decide(
        &state,
        &actor,
        &account,
        AccountAction::RevokeAffiliation { institution },
        (key, body),
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuccessorBody {
    successor: InstitutionCode,
}

/// The operator links an old institution code to the new one (monthly master maintenance).
async fn successor(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(code): Path<String>,
    RequestKey(key): RequestKey,
    JsonBody(req): JsonBody<SuccessorBody>,
) -> Result<Json<Value>, ApiError> {
    let old = institution_path(&code)?;
    let o = commands::forms::link_successor(&state.store, &actor, old, req.successor, key.as_ref())
        .await?;
    Ok(Json(
        json!({ "version": o.version, "position": o.position }),
    ))
}

async fn switch(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(code): Path<String>,
    OptionalJsonBody(req): OptionalJsonBody<ReasonBody>,
) -> Result<Json<Value>, ApiError> {
    let old = institution_path(&code)?;
    let accounts = acc::switch_institution(&state.store, &actor, &old, req.reason.as_deref())
        .await
        .map_err(accounts_error)?;
    Ok(Json(json!({ "institution": old, "accounts": accounts })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadsQuery {
    /// Any form of the patient.
    form: String,
    limit: Option<i64>,
}

/// Who read the forms of the patient of `form` (auditors).
async fn reads(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    crate::auth::Origin(origin): crate::auth::Origin,
    ApiQuery(q): ApiQuery<ReadsQuery>,
) -> Result<Json<Value>, ApiError> {
    if actor.role != Role::Auditor {
        // Recorded after the answer if the form exists (commands::audit).
        commands::audit::refused_form_read(
            &state.store,
            &actor,
            &q.form,
            "read_audit",
            origin.as_deref(),
        );
        return Err(account_error(AccountError::Forbidden(
            "list who read a patient's forms (auditors)",
        )));
    }
    let key = commands::forms::patient_key(
        &state.store,
        &actor,
        &q.form,
        "read_audit",
        origin.as_deref(),
    )
    .await?;
    // The list includes every read committed before this request, or the request fails: an
    // audit answer that silently leaves out recent reads would mislead.
    let head = projections::committed_head(&state.store)
        .await
        .map_err(ApiError::from)?;
    let reached = projections::wait_for(
        &state.store.sql(),
        projections::reads::NAME,
        head,
        std::time::Duration::from_secs(5),
    )
    .await
    .map_err(|e| {
        tracing::warn!(error = %e, "the read-audit view cannot be read");
        ApiError::database_unavailable()
    })?;
    if !reached {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "audit_view_behind",
            "閲覧記録の集計が追いついていません。しばらくしてから再度お試しください。",
            "The read-audit view is catching up; try again shortly.",
        ));
    }
    let rows = projections::reads::of_patient(
        &state.store.sql(),
        actor.program.as_str(),
        &key,
        q.limit.unwrap_or(500).clamp(1, 5000),
    )
    .await
    .map_err(|e| accounts_error(e.into()))?;
    Ok(Json(json!({ "reads": rows })))
}
