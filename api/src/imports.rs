//! Bulk imports over HTTP: upload a file (multipart or raw body) for one of the three uses,
//! follow the job's progress, list or download each row's outcome. Jobs run in the background
//! of the process that received them and are resumed by any instance at start.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use commands::imports::{self as imp, ReceiveError, StagedFile};
use domain::form::Actor;
use domain::import_job::{ImportError, ImportUse};
use domain::Role;
use eventstore::StreamId;
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::auth::CurrentActor;
use crate::error::ApiError;
use crate::extract::{ApiQuery, RequestKey};
use crate::http::AppState;

/// The import files of this process (`<data dir>/imports`) and the jobs it runs now.
pub struct Imports {
    dir: PathBuf,
    running: Mutex<HashSet<String>>,
}

impl Imports {
    pub fn new(data_dir: PathBuf) -> Self {
        Imports {
            dir: data_dir.join("imports"),
            running: Mutex::new(HashSet::new()),
        }
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Runs job `id` in the background unless this process runs it already.
    pub fn spawn(self: &Arc<Self>, state: &AppState, id: String) {
        {
            let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
            if !running.insert(id.clone()) {
                return;
            }
        }
        let (store, masters, this) = (state.store.clone(), state.masters.clone(), self.clone());
        tokio::spawn(async move {
            // A temporary failure (the database away, the key view behind) is retried with
            // backoff; a job that still cannot go on resumes at the next start.
            let mut pause = std::time::Duration::from_secs(1);
            for attempt in 1..=RUN_ATTEMPTS {
                match imp::run(&store, &masters, &this.dir, &id, &()).await {
                    Ok(job) => {
                        tracing::info!(
                            job = %id,
                            status = job.status.map(|s| s.as_str()).unwrap_or("?"),
                            applied = job.applied,
                            unchanged = job.unchanged,
                            rejected = job.rejected,
                            "import job ended"
                        );
                        break;
                    }
                    Err(imp::RunError::Taken) => {
                        tracing::info!(job = %id, "import job is run by another process");
                        break;
                    }
                    Err(e @ (imp::RunError::NotFound | imp::RunError::FileMissing)) => {
                        tracing::error!(job = %id, error = %e, "import job cannot run");
                        break;
                    }
                    Err(e) if attempt < RUN_ATTEMPTS => {
                        tracing::warn!(job = %id, error = %e, attempt, "import job stopped; retrying");
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(std::time::Duration::from_secs(60));
                    }
                    Err(e) => tracing::warn!(
                        job = %id,
                        error = %e,
                        "import job stopped; it resumes at the next start"
                    ),
                }
            }
            this.running
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id);
        });
    }

    /// Resumes every unfinished job (after a restart): waits until the jobs view has caught
    /// up, then runs each in the background. Another instance resuming the same job is
    /// harmless: the job's stream lets only one append each batch.
    pub async fn resume(self: &Arc<Self>, state: &AppState) {
        let store = &state.store;
        let head = match projections::committed_head(store).await {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(error = %e, "cannot look for unfinished import jobs");
                return;
            }
        };
        match projections::wait_for(
            &store.sql(),
            projections::imports::JOBS,
            head,
            std::time::Duration::from_secs(60),
        )
        .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!("the import jobs view is behind: unfinished jobs not resumed");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot look for unfinished import jobs");
                return;
            }
        }
        match projections::imports::unfinished(&store.sql()).await {
            Ok(ids) => {
                for id in ids {
                    tracing::info!(job = %id, "resuming import job");
                    self.spawn(state, id);
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot look for unfinished import jobs"),
        }
    }
}

/// How often a job that stopped on a temporary failure is run again before waiting for the
/// next start.
const RUN_ATTEMPTS: u32 = 8;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/imports", get(list))
        .route(
            "/api/imports/{use}",
            // The body is streamed to disk and its size enforced there (413 over the limit).
            post(upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/api/imports/jobs/{id}", get(status))
        .route("/api/imports/jobs/{id}/rows", get(rows))
}

fn bad_upload(message: String) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_upload",
        "アップロードされたファイルを読み取れません。",
        format!("The upload cannot be read: {message}"),
    )
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "file_too_large",
        format!(
            "ファイルが大きすぎます（上限 {} GiB）。分割してアップロードしてください。",
            imp::MAX_FILE_BYTES >> 30
        ),
        format!(
            "The file is larger than {} GiB; split it and upload the parts.",
            imp::MAX_FILE_BYTES >> 30
        ),
    )
}

/// Writes an upload's chunks to the imports directory, hashing them, and names the file by
/// its digest.
struct Staging {
    temp: PathBuf,
    file: tokio::fs::File,
    hasher: Sha256,
    size: u64,
}

impl Staging {
    async fn new(dir: &std::path::Path) -> Result<Staging, ApiError> {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(storage_error)?;
        let temp = dir.join(format!(".upload-{}", uuid::Uuid::new_v4()));
        let file = tokio::fs::File::create(&temp)
            .await
            .map_err(storage_error)?;
        Ok(Staging {
            temp,
            file,
            hasher: Sha256::new(),
            size: 0,
        })
    }

    async fn write(&mut self, chunk: &[u8]) -> Result<(), ApiError> {
        self.size += chunk.len() as u64;
        if self.size > imp::MAX_FILE_BYTES {
            return Err(too_large());
        }
        self.hasher.update(chunk);
        self.file.write_all(chunk).await.map_err(storage_error)
    }

    /// The staged file, and whether it is new (no earlier upload had the same content).
    async fn finish(mut self) -> Result<(StagedFile, bool), ApiError> {
        self.file.flush().await.map_err(storage_error)?;
        self.file.sync_all().await.map_err(storage_error)?;
        let sha256 = hex::encode(self.hasher.clone().finalize());
        let dir = self.temp.parent().map(PathBuf::from).unwrap_or_default();
        let path = imp::stored_path(&dir, &sha256);
        let fresh = !tokio::fs::try_exists(&path).await.unwrap_or(false);
        tokio::fs::rename(&self.temp, &path)
            .await
            .map_err(storage_error)?;
        let synced = dir.clone();
        tokio::task::spawn_blocking(move || imp::sync_dir(&synced))
            .await
            .map_err(|e| storage_error(std::io::Error::other(e.to_string())))?
            .map_err(storage_error)?;
        Ok((
            StagedFile {
                path,
                size: self.size,
                sha256,
                fresh,
            },
            fresh,
        ))
    }

    async fn discard(self) {
        let _ = tokio::fs::remove_file(&self.temp).await;
    }
}

fn storage_error(e: std::io::Error) -> ApiError {
    tracing::error!(error = %e, "cannot store an uploaded import file");
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "storage_unavailable",
        "ファイルを保存できませんでした。しばらくしてから再度お試しください。",
        "The file could not be stored. Please try again later.",
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadQuery {
    /// The file's name, for a raw-body upload.
    file_name: Option<String>,
    /// The contractor (委託業者), for a contractor import sent as a raw body.
    contractor: Option<String>,
}

/// An upload: the first file part of a multipart form (with an optional `contractor` text
/// part), or the raw body.
async fn receive_upload(
    state: &AppState,
    request: Request,
    query: &UploadQuery,
) -> Result<(StagedFile, bool, String, Option<String>), ApiError> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let dir = state.imports.dir().to_owned();
    let mut contractor = query.contractor.clone();
    let mut staging = Staging::new(&dir).await?;
    let result: Result<String, ApiError> = async {
        if multipart {
            let mut form = Multipart::from_request(request, state)
                .await
                .map_err(|e| bad_upload(e.body_text()))?;
            let mut name = None;
            while let Some(mut field) = form.next_field().await.map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_large()
                } else {
                    bad_upload(e.body_text())
                }
            })? {
                if field.name() == Some("contractor") && field.file_name().is_none() {
                    // A name, read with a bound: the body as a whole has none.
                    let mut text = Vec::new();
                    while let Some(chunk) =
                        field.chunk().await.map_err(|e| bad_upload(e.body_text()))?
                    {
                        text.extend_from_slice(&chunk);
                        if text.len() > 4 * domain::import_job::MAX_NAME_CHARS {
                            return Err(bad_upload("the contractor part is too long".into()));
                        }
                    }
                    let text = String::from_utf8(text)
                        .map_err(|_| bad_upload("the contractor part is not UTF-8".into()))?;
                    contractor = Some(text);
                    continue;
                }
                if name.is_some() || (field.file_name().is_none() && field.name() != Some("file")) {
                    continue;
                }
                name = Some(field.file_name().unwrap_or("upload").to_owned());
                while let Some(chunk) = field.chunk().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        too_large()
                    } else {
                        bad_upload(e.body_text())
                    }
                })? {
                    staging.write(&chunk).await?;
                }
            }
            name.ok_or_else(|| bad_upload("no file part".into()))
        } else {
            let mut body = request.into_body().into_data_stream();
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| bad_upload(e.to_string()))?;
                staging.write(&chunk).await?;
            }
            Ok(query.file_name.clone().unwrap_or_else(|| "upload".into()))
        }
    }
    .await;
    match result {
        Ok(name) => {
            let (staged, fresh) = staging.finish().await?;
            Ok((staged, fresh, name, contractor))
        }
        Err(e) => {
            staging.discard().await;
            Err(e)
        }
    }
}

fn unknown_use() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown_import",
        "取込の種類は hospital・contractor・certification・paper のいずれかです。",
        "The import kinds are hospital, contractor, certification and paper.",
    )
}

fn receive_error(e: ReceiveError) -> ApiError {
    match e {
        ReceiveError::Rejected(ImportError::Forbidden(why)) => ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "この取込を行う権限がありません。",
            format!("Not permitted: {why}."),
        )
        .with_details(json!({ "permission": why })),
        ReceiveError::Rejected(e) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_import",
            "取込の指定が正しくありません。",
            format!("The import is not valid: {e}."),
        ),
        ReceiveError::File(f) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_file",
            f.message_ja.clone(),
            f.message_en.clone(),
        )
        .with_details(json!({ "file_error": f.code })),
        ReceiveError::Store(e) => e.into(),
        ReceiveError::Unreadable(e) => {
            tracing::error!(error = %e, "stored event cannot be read");
            ApiError::database_unavailable()
        }
        ReceiveError::Worker(e) => {
            tracing::error!(error = %e, "import file check failed");
            ApiError::database_unavailable()
        }
    }
}

/// `POST /api/imports/{use}`: stores the file, checks that it can be imported (format,
/// encoding, header) and starts the job: 202 with the job's id and where to follow it.
async fn upload(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(use_): Path<String>,
    ApiQuery(query): ApiQuery<UploadQuery>,
    RequestKey(key): RequestKey,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, ApiError> {
    let use_ = ImportUse::parse(&use_).ok_or_else(unknown_use)?;
    // Refused before the body is read.
    if !use_.allows(actor.role) {
        return Err(receive_error(ReceiveError::Rejected(
            ImportError::Forbidden("this role may not run an import of this use"),
        )));
    }
    // What can be checked before the body is read is checked first.
    let from_query = query
        .contractor
        .as_deref()
        .is_some_and(|c| !c.trim().is_empty());
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart && (use_ == ImportUse::Contractor) != from_query {
        return Err(receive_error(ReceiveError::Rejected(ImportError::Invalid(
            if from_query {
                "only a contractor import names a contractor"
            } else {
                "a contractor import names the contractor"
            },
        ))));
    }
    let (staged, fresh, name, contractor) = receive_upload(&state, request, &query).await?;
    let contractor = contractor.filter(|c| !c.trim().is_empty());
    // A retry with the same key and the same file returns the same job; the same key with
    // another file is refused.
    let key = key.map(|k| {
        let fingerprint = format!(
            "{}|{}|{}",
            use_.as_str(),
            staged.sha256,
            contractor.as_deref().unwrap_or("")
        );
        k.with_fingerprint(hex::encode(Sha256::digest(fingerprint.as_bytes())))
    });
    let received = imp::receive(
        &state.store,
        &state.masters,
        &actor,
        imp::Upload {
            use_,
            file_name: &name,
            staged: &staged,
            contractor,
        },
        key.as_ref(),
    )
    .await;
    let (job_id, outcome) = match received {
        Ok(r) => r,
        Err(e) => {
            // A refused file is not kept (unless an earlier upload stored the same content).
            if fresh {
                let _ = tokio::fs::remove_file(&staged.path).await;
            }
            return Err(receive_error(e));
        }
    };
    state.imports.spawn(&state, job_id.clone());
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/api/imports/jobs/{job_id}"))],
        Json(json!({
            "job_id": job_id,
            // A retried upload returns the job as it was first received; its status is at
            // `status_url`.
            "status": if outcome.duplicate { Value::Null } else { json!("received") },
            "duplicate": outcome.duplicate,
            "position": outcome.position,
            "sha256": staged.sha256,
            "size": staged.size,
            "status_url": format!("/api/imports/jobs/{job_id}"),
            "rows_url": format!("/api/imports/jobs/{job_id}/rows"),
        })),
    )
        .into_response())
}

fn job_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "import_job_not_found",
        "取込ジョブが見つかりません。",
        "No such import job.",
    )
}

/// Who may see a job: its uploader, and the auditors of its program.
fn may_see(actor: &Actor, job: &projections::imports::JobRow) -> bool {
    job.account_id == actor.account
        || (actor.role == Role::Auditor && job.program == actor.program.as_str())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusQuery {
    /// Read-your-writes: wait (up to 5 s) until the view has applied this position.
    after_position: Option<u64>,
}

async fn load_visible(
    state: &AppState,
    actor: &Actor,
    id: &str,
    after: Option<u64>,
) -> Result<projections::imports::JobRow, ApiError> {
    if let Some(position) = after {
        let reached = projections::wait_for(
            &state.store.sql(),
            projections::imports::JOBS,
            position,
            std::time::Duration::from_secs(5),
        )
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "import jobs view unavailable");
            ApiError::database_unavailable()
        })?;
        if !reached {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "view_behind",
                "表示が最新の状態に追いついていません。しばらくしてから再度お試しください。",
                "The view has not caught up yet; try again shortly.",
            ));
        }
    }
    let job = projections::imports::job(&state.store.sql(), id)
        .await
        .map_err(eventstore::StoreError::from)?
        .ok_or_else(job_not_found)?;
    if !may_see(actor, &job) {
        return Err(job_not_found());
    }
    Ok(job)
}

fn job_json(job: &projections::imports::JobRow) -> Value {
    let mut v = serde_json::to_value(job).unwrap_or(Value::Null);
    let failure = job.failure_code.as_ref().map(|code| {
        json!({
            "code": code,
            "message": {"ja": job.failure_ja, "en": job.failure_en},
        })
    });
    if let Value::Object(m) = &mut v {
        for k in ["failure_code", "failure_ja", "failure_en"] {
            m.remove(k);
        }
        m.insert("failure".into(), failure.unwrap_or(Value::Null));
        m.insert(
            "progress".into(),
            json!({
                "done": job.done,
                "total": job.total,
            }),
        );
    }
    v
}

/// The job as its own stream says now: the view's row, then the job's events the view has not
/// applied yet (read from the store after the row's version). A progress bar must not show 50 %
/// of a finished job because the view trails the store. Also returns the position of the last
/// event the view has not applied yet, if any.
async fn current(
    state: &AppState,
    mut job: projections::imports::JobRow,
) -> Result<(projections::imports::JobRow, Option<u64>), ApiError> {
    if !job.is_open() {
        return Ok((job, None));
    }
    let stream =
        StreamId::new(domain::import_job::STREAM_TYPE, &job.job_id).map_err(|_| job_not_found())?;
    let from = u64::try_from(job.version).unwrap_or(0) + 1;
    let mut head = None;
    for event in state.store.read_stream(&stream, from).await? {
        job.advance(&event).map_err(|e| {
            tracing::error!(job = %job.job_id, error = %e, "import job event not understood");
            ApiError::internal()
        })?;
        head = Some(event.position);
    }
    Ok((job, head))
}

/// `GET /api/imports/jobs/{id}`: the job's status and progress.
async fn status(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<StatusQuery>,
) -> Result<Json<Value>, ApiError> {
    let job = load_visible(&state, &actor, &id, q.after_position).await?;
    let (job, _) = current(&state, job).await?;
    Ok(Json(job_json(&job)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<i64>,
}

/// `GET /api/imports`: the caller's own jobs, newest first.
async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let listed = projections::imports::jobs_of(&state.store.sql(), &actor.account, limit)
        .await
        .map_err(eventstore::StoreError::from)?;
    let mut jobs = Vec::with_capacity(listed.len());
    for job in listed {
        jobs.push(current(&state, job).await?.0);
    }
    Ok(Json(json!({
        "jobs": jobs.iter().map(job_json).collect::<Vec<_>>(),
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RowsQuery {
    /// Rows after this row number (paging).
    after: Option<i64>,
    limit: Option<i64>,
    /// `applied`, `unchanged` or `rejected`.
    outcome: Option<String>,
    /// `csv`: the whole list as a CSV download.
    format: Option<String>,
    after_position: Option<u64>,
}

/// `GET /api/imports/jobs/{id}/rows`: each row's outcome, as JSON pages or a CSV download.
async fn rows(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<RowsQuery>,
) -> Result<Response, ApiError> {
    let job = load_visible(&state, &actor, &id, q.after_position).await?;
    // The rows of every batch the status already counts: wait (bounded) for the view to have
    // applied the job's stream as far as the status reads it.
    let job = match current(&state, job.clone()).await? {
        (_, Some(head)) => load_visible(&state, &actor, &id, Some(head)).await?,
        _ => job,
    };
    let outcome = match q.outcome.as_deref() {
        None => None,
        Some(o @ ("applied" | "unchanged" | "rejected")) => Some(o.to_owned()),
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "outcome には applied・unchanged・rejected のいずれかを指定します。",
                "outcome is applied, unchanged or rejected.",
            ))
        }
    };
    let sql = state.store.sql();
    match q.format.as_deref() {
        None | Some("json") => {
            let limit = q.limit.unwrap_or(100).clamp(1, 1000);
            let after = q.after.unwrap_or(0);
            let page =
                projections::imports::rows(&sql, &job.job_id, after, outcome.as_deref(), limit)
                    .await
                    .map_err(eventstore::StoreError::from)?;
            let next = (page.len() as i64 == limit)
                .then(|| page.last().map(|r| r.row_no))
                .flatten();
            let rows: Vec<Value> = page
                .iter()
                .map(|r| {
                    json!({
                        "row": r.row_no,
                        "outcome": r.outcome,
                        "form_id": r.form_id,
                        "action": r.action,
                        "errors": r.issues().iter().map(|i| json!({
                            "column": i.column,
                            "code": i.code,
                            "message": {"ja": i.message_ja, "en": i.message_en},
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            Ok(
                Json(json!({ "job_id": job.job_id, "rows": rows, "next_after": next }))
                    .into_response(),
            )
        }
        Some("csv") => {
            // Streamed page by page: a million rows never sit in memory.
            let job_id = job.job_id.clone();
            let stream = futures::stream::unfold(Some(0i64), move |after| {
                let (sql, job_id, outcome) = (sql.clone(), job_id.clone(), outcome.clone());
                async move {
                    let after = after?;
                    let mut out = Vec::new();
                    if after == 0 {
                        out.extend_from_slice(b"\xEF\xBB\xBF");
                        out.extend_from_slice(
                            "行,結果,臨個票ID,処理,列,エラーコード,エラー内容,message\r\n"
                                .as_bytes(),
                        );
                    }
                    let page = match projections::imports::rows(
                        &sql,
                        &job_id,
                        after,
                        outcome.as_deref(),
                        5000,
                    )
                    .await
                    {
                        Ok(p) => p,
                        Err(e) => return Some((Err(std::io::Error::other(e.to_string())), None)),
                    };
                    let next = (page.len() == 5000)
                        .then(|| page.last().map(|r| r.row_no))
                        .flatten();
                    let mut w = csv::WriterBuilder::new()
                        .terminator(csv::Terminator::CRLF)
                        .from_writer(out);
                    for r in &page {
                        let issues = r.issues();
                        let row = r.row_no.to_string();
                        let form = r.form_id.clone().unwrap_or_default();
                        let action = r.action.clone().unwrap_or_default();
                        if issues.is_empty() {
                            let _ = w.write_record([
                                row.as_str(),
                                r.outcome.as_str(),
                                &form,
                                &action,
                                "",
                                "",
                                "",
                                "",
                            ]);
                        }
                        for i in &issues {
                            let _ = w.write_record([
                                row.as_str(),
                                r.outcome.as_str(),
                                &form,
                                &action,
                                i.column.as_deref().unwrap_or(""),
                                &i.code,
                                &i.message_ja,
                                &i.message_en,
                            ]);
                        }
                    }
                    let bytes = w.into_inner().unwrap_or_default();
                    if bytes.is_empty() && next.is_none() {
                        return None;
                    }
                    Some((Ok::<_, std::io::Error>(bytes), next))
                }
            });
            let mut response = axum::body::Body::from_stream(stream).into_response();
            let h = response.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                "text/csv; charset=utf-8".parse().expect("header"),
            );
            h.insert(
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"import-{}-rows.csv\"", job.job_id)
                    .parse()
                    .expect("header"),
            );
            h.insert(header::CACHE_CONTROL, "no-store".parse().expect("header"));
            Ok(response)
        }
        Some(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "format には json または csv を指定します。",
            "format is json or csv.",
        )),
    }
}

/// A progress bar for `nanbyo import`.
struct Bar(indicatif::ProgressBar);

impl imp::Progress for Bar {
    fn validating(&self, rows: u64) {
        self.0.set_message("validating");
        self.0.set_position(rows);
    }

    fn applying(&self, done: u64, total: u64) {
        self.0.set_message("applying");
        self.0.set_length(total);
        self.0.set_position(done);
    }
}

/// The account an operator's command line acts as: active, named by its login ID. The CLI has
/// the database's credentials, so it does not ask for the password; it still acts only as an
/// account, which the events name, and the same permissions apply.
async fn cli_actor(
    store: &Arc<dyn eventstore::EventStore>,
    login_id: &str,
) -> anyhow::Result<Actor> {
    use domain::account::{Account, AccountStatus};
    let unknown = || anyhow::anyhow!("no active account with login ID {login_id}");
    let credential = commands::credentials::by_login(&store.sql(), login_id)
        .await?
        .ok_or_else(unknown)?;
    let (account, _) = commands::load::<Account>(store, &credential.account_id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if account.status != AccountStatus::Active {
        return Err(unknown());
    }
    account
        .actor(&commands::forms::today_in_japan())
        .ok_or_else(unknown)
}

/// `nanbyo import <use> FILE --as LOGIN`: stages the file under the data directory, records the
/// job and runs it here with a progress bar (the form key view is kept up to date meanwhile
/// for certification results). Prints the job's counts; exit 1 when the job failed or some
/// rows were rejected (their reasons: `GET /api/imports/jobs/{id}/rows`).
pub async fn run_cli(
    store: Arc<dyn eventstore::EventStore>,
    args: &crate::config::ImportArgs,
    data_dir: &std::path::Path,
) -> anyhow::Result<std::process::ExitCode> {
    use indicatif::{ProgressBar, ProgressStyle};
    let actor = cli_actor(&store, &args.login).await?;
    let masters = commands::forms::MasterCache::default();
    let dir = data_dir.join("imports");
    let job_id = match (&args.resume, &args.file) {
        (Some(id), _) => id.clone(),
        (None, Some(file)) => {
            let source = std::fs::File::open(file)
                .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", file.display()))?;
            let staged = {
                let dir = dir.clone();
                tokio::task::spawn_blocking(move || imp::stage(&dir, source, imp::MAX_FILE_BYTES))
                    .await??
            };
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "upload".into());
            let (id, _) = imp::receive(
                &store,
                &masters,
                &actor,
                imp::Upload {
                    use_: args.kind,
                    file_name: &name,
                    staged: &staged,
                    contractor: args.contractor.clone(),
                },
                None,
            )
            .await
            .map_err(|e| {
                // A refused file is not kept (unless an earlier upload stored the same content).
                if staged.fresh {
                    let _ = std::fs::remove_file(&staged.path);
                }
                match e {
                    ReceiveError::File(f) => anyhow::anyhow!("{} ({})", f.message_en, f.code),
                    other => anyhow::anyhow!("{other}"),
                }
            })?;
            println!("job {id}");
            id
        }
        (None, None) => anyhow::bail!("name a FILE or --resume JOB"),
    };
    // Certification rows are matched through the form key view: keep it current here (on
    // PostgreSQL another process may hold it; then that one does).
    let (stop, stopped) = tokio::sync::watch::channel(false);
    // A resumed job may be of any kind (it keeps the kind and uploader it was received with).
    let keys = (args.kind == ImportUse::Certification || args.resume.is_some()).then(|| {
        tokio::spawn(projections::run(
            store.clone(),
            projections::imports::FormKeys,
            stopped,
            None,
        ))
    });
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} rows {per_sec} ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let result = imp::run(&store, &masters, &dir, &job_id, &Bar(bar.clone())).await;
    bar.finish_and_clear();
    stop.send_replace(true);
    if let Some(keys) = keys {
        let _ = keys.await;
    }
    let job = result?;
    println!(
        "status {}",
        job.status.map(|s| s.as_str()).unwrap_or("unknown")
    );
    println!("rows {}", job.total);
    println!("applied {}", job.applied);
    println!("unchanged {}", job.unchanged);
    println!("rejected {}", job.rejected);
    // For `nanbyo bench import`: this process's peak resident memory.
    if std::env::var_os("NANBYO_PRINT_PEAK_MEMORY").is_some() {
        if let Some(kib) = crate::bench::peak_rss_kib() {
            println!("peak_memory_kib {kib}");
        }
    }
    let clean = job.status == Some(domain::import_job::JobStatus::Finished) && job.rejected == 0;
    Ok(if clean {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    })
}
