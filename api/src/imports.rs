//! Bulk imports over HTTP: upload a file (multipart or raw body) for one of the three uses,
//! follow the job's progress, list or download each row's outcome. Jobs run in the background
//! of the process that received them and are resumed by any instance at start.

use std::sync::Arc;

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use commands::import_runner::{StageError, Staging};
use commands::imports::{self as imp, ReceiveError, StagedFile};
use commands::problem::Problem;
use domain::form::Actor;
use domain::import_job::{ImportError, ImportUse};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::auth::CurrentActor;
use crate::error::ApiError;
use crate::extract::{ApiQuery, RequestKey};
use crate::http::AppState;

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
    Problem::from(StageError::TooLarge).into()
}

fn stage_error(e: StageError) -> ApiError {
    Problem::from(e).into()
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
    let mut staging = Staging::new(&dir).await.map_err(stage_error)?;
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
                    staging.write(&chunk).await.map_err(stage_error)?;
                }
            }
            name.ok_or_else(|| bad_upload("no file part".into()))
        } else {
            let mut body = request.into_body().into_data_stream();
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| bad_upload(e.to_string()))?;
                staging.write(&chunk).await.map_err(stage_error)?;
            }
            Ok(query.file_name.clone().unwrap_or_else(|| "upload".into()))
        }
    }
    .await;
    match result {
        Ok(name) => {
            let (staged, fresh) = staging.finish().await.map_err(stage_error)?;
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
    Problem::from(e).into()
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
    state
        .imports
        .spawn(&state.store, &state.masters, job_id.clone());
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusQuery {
    /// Read-your-writes: wait (up to 5 s) until the view has applied this position.
    after_position: Option<u64>,
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

/// `GET /api/imports/jobs/{id}`: the job's status and progress.
async fn status(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<StatusQuery>,
) -> Result<Json<Value>, ApiError> {
    let job = queries::imports::job(&state.store, &actor, &id, q.after_position).await?;
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
    let jobs = queries::imports::jobs(&state.store, &actor, q.limit).await?;
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
    match q.format.as_deref() {
        None | Some("json") => {
            let query = queries::imports::RowsQuery {
                after: q.after,
                limit: q.limit,
                outcome: q.outcome,
                after_position: q.after_position,
            };
            let page = queries::imports::rows(&state.store, &actor, &id, &query).await?;
            let rows: Vec<Value> = page
                .rows
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
            Ok(Json(
                json!({ "job_id": page.job.job_id, "rows": rows, "next_after": page.next_after }),
            )
            .into_response())
        }
        Some("csv") => {
            let outcome = queries::imports::outcome(q.outcome.as_deref())?;
            let job =
                queries::imports::job_for_rows(&state.store, &actor, &id, q.after_position).await?;
            Ok(rows_csv_response(
                queries::imports::rows_csv(state.store.sql(), job.job_id.clone(), outcome),
                &job.job_id,
            ))
        }
        Some(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "format には json または csv を指定します。",
            "format is json or csv.",
        )),
    }
}

/// A CSV download of an import's rows.
pub fn rows_csv_response(
    stream: impl futures::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static,
    job_id: &str,
) -> Response {
    let mut response = axum::body::Body::from_stream(stream).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        "text/csv; charset=utf-8".parse().expect("header"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"import-{job_id}-rows.csv\"")
            .parse()
            .expect("header"),
    );
    h.insert(header::CACHE_CONTROL, "no-store".parse().expect("header"));
    response
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
