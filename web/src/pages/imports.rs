//! The hospital's bulk import (病院からの一括取込) in the browser: upload a file of forms, follow
//! the job's progress, read each row's outcome and download them as CSV. The same staging,
//! command and queries as `POST /api/imports/hospital`, `GET /api/imports/jobs/{id}` and
//! `…/rows`; the job runs in the background of the process, as for the API.

use askama::Template;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use commands::import_runner::Staging;
use commands::imports::{self as imp};
use commands::problem::Problem;
use domain::import_job::ImportUse;
use projections::imports::JobRow;
use serde::Deserialize;

use super::auth::FieldError;
use super::forms::jst_ms;
use super::{render, render_status, Layout};
use crate::session::Web;
use crate::WebState;

/// A job as the pages show it.
struct JobView {
    id: String,
    file_name: String,
    received: String,
    status_key: String,
    open: bool,
    done: i64,
    total: i64,
    applied: i64,
    unchanged: i64,
    rejected: i64,
    failure: Option<String>,
}

impl JobView {
    fn of(t: crate::i18n::Tr, j: &JobRow) -> JobView {
        JobView {
            id: j.job_id.clone(),
            file_name: j.file_name.clone(),
            received: jst_ms(j.received_at),
            status_key: format!("imports.status_{}", j.status),
            open: j.is_open(),
            done: j.done,
            total: j.total.unwrap_or(0),
            applied: j.applied,
            unchanged: j.unchanged,
            rejected: j.rejected,
            failure: j
                .failure_ja
                .as_ref()
                .map(|ja| t.pick(ja, j.failure_en.as_deref().unwrap_or(ja)).to_owned()),
        }
    }
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    l: Layout,
    errors: Vec<FieldError>,
    jobs: Vec<JobView>,
}

impl ImportsPage {
    fn error_at(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

async fn list_page(state: &WebState, web: &Web, errors: Vec<FieldError>) -> Response {
    let t = web.t;
    let jobs = match queries::imports::jobs(&state.store, &web.actor, Some(50)).await {
        Ok(j) => j,
        Err(p) => return super::problem_page(t, Some(web), &p),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &ImportsPage {
            l: Layout::of(web, "imports.title"),
            errors,
            jobs: jobs.iter().map(|j| JobView::of(t, j)).collect(),
        },
    )
}

pub async fn list(State(state): State<WebState>, web: Web) -> Response {
    list_page(&state, &web, vec![]).await
}

/// The first file part of the form, staged (hashed, named by its digest) as the API stages it.
async fn stage(
    state: &WebState,
    request: Request,
) -> Result<(imp::StagedFile, bool, String), Problem> {
    let bad = |why: String| {
        Problem::new(
            commands::problem::status::UNPROCESSABLE_ENTITY,
            "invalid_upload",
            "アップロードされたファイルを読み取れません。",
            format!("The upload cannot be read: {why}"),
        )
    };
    let mut form = Multipart::from_request(request, state)
        .await
        .map_err(|e| bad(e.body_text()))?;
    let mut staging = Staging::new(state.imports.dir()).await?;
    let mut name = None;
    let read: Result<(), Problem> = async {
        while let Some(mut field) = form.next_field().await.map_err(|e| bad(e.body_text()))? {
            if field.name() != Some("file") || name.is_some() {
                continue;
            }
            let file_name = field.file_name().unwrap_or("").to_owned();
            while let Some(chunk) = field.chunk().await.map_err(|e| bad(e.body_text()))? {
                staging.write(&chunk).await?;
            }
            name = Some(file_name);
        }
        Ok(())
    }
    .await;
    match (read, name) {
        (Ok(()), Some(name)) if !name.is_empty() => {
            let (staged, fresh) = staging.finish().await?;
            Ok((staged, fresh, name))
        }
        (Ok(()), _) => {
            staging.discard().await;
            Err(Problem::new(
                commands::problem::status::UNPROCESSABLE_ENTITY,
                "no_file",
                "ファイルを選んでください。",
                "Choose a file.",
            ))
        }
        (Err(e), _) => {
            staging.discard().await;
            Err(e)
        }
    }
}

pub async fn upload(State(state): State<WebState>, web: Web, request: Request) -> Response {
    let t = web.t;
    let (state, web) = (&state, &web);
    let refused = |p: Problem| async move {
        if p.status == 422 || p.status == 413 {
            let e = FieldError::new("file", t.pick(&p.ja, &p.en));
            list_page(state, web, vec![e]).await
        } else {
            super::problem_page(t, Some(web), &p)
        }
    };
    let (staged, fresh, name) = match stage(state, request).await {
        Ok(s) => s,
        Err(p) => return refused(p).await,
    };
    let received = imp::receive(
        &state.store,
        &state.masters,
        &web.actor,
        imp::Upload {
            use_: ImportUse::Hospital,
            file_name: &name,
            staged: &staged,
            contractor: None,
        },
        None,
    )
    .await;
    match received {
        Ok((job_id, outcome)) => {
            state
                .imports
                .spawn(&state.store, &state.masters, job_id.clone());
            // Read-your-writes: the job's page waits until the view knows the job.
            Redirect::to(&format!("/imports/{job_id}?at={}", outcome.position)).into_response()
        }
        Err(e) => {
            // A refused file is not kept (unless an earlier upload stored the same content).
            if fresh {
                let _ = tokio::fs::remove_file(&staged.path).await;
            }
            refused(Problem::from(e)).await
        }
    }
}

/// One row of the outcome table.
struct RowView {
    row: i64,
    outcome_key: String,
    form_id: Option<String>,
    action: String,
    errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "import_job.html")]
struct JobPage {
    l: Layout,
    job: JobView,
    outcome: String,
    rows: Vec<RowView>,
    next_after: Option<i64>,
}

#[derive(Deserialize)]
pub struct RowsQuery {
    outcome: Option<String>,
    after: Option<i64>,
    /// The store position of the upload, which the view must have applied.
    at: Option<u64>,
}

pub async fn job(
    State(state): State<WebState>,
    web: Web,
    Path(id): Path<String>,
    Query(q): Query<RowsQuery>,
) -> Response {
    let t = web.t;
    let query = queries::imports::RowsQuery {
        after: q.after,
        limit: Some(100),
        outcome: q.outcome.clone().filter(|o| !o.is_empty()),
        after_position: q.at,
    };
    // The status as the job's stream says now, then the rows of every batch it counts.
    let job = match queries::imports::job(&state.store, &web.actor, &id, q.at).await {
        Ok(j) => j,
        Err(p) => return super::problem_page(t, Some(&web), &p),
    };
    let page = match queries::imports::rows(&state.store, &web.actor, &id, &query).await {
        Ok(p) => p,
        Err(p) => return super::problem_page(t, Some(&web), &p),
    };
    render(&JobPage {
        l: Layout::of(&web, "imports.job_title"),
        job: JobView::of(t, &job),
        outcome: query.outcome.unwrap_or_default(),
        rows: page
            .rows
            .iter()
            .map(|r| RowView {
                row: r.row_no,
                outcome_key: format!("imports.{}", r.outcome),
                form_id: r.form_id.clone(),
                action: r.action.clone().unwrap_or_default(),
                errors: r
                    .issues()
                    .iter()
                    .map(|i| {
                        let message = t.pick(&i.message_ja, &i.message_en);
                        match &i.column {
                            Some(c) => format!("{c}: {message}"),
                            None => message.to_owned(),
                        }
                    })
                    .collect(),
            })
            .collect(),
        next_after: page.next_after,
    })
}

/// Every row's outcome as CSV (UTF-8 with a BOM, for Excel).
pub async fn rows_csv(State(state): State<WebState>, web: Web, Path(id): Path<String>) -> Response {
    let job = match queries::imports::job_for_rows(&state.store, &web.actor, &id, None).await {
        Ok(j) => j,
        Err(p) => return super::problem_page(web.t, Some(&web), &p),
    };
    let stream = queries::imports::rows_csv(state.store.sql(), job.job_id.clone(), None);
    let mut r = axum::body::Body::from_stream(stream).into_response();
    let h = r.headers_mut();
    if let Ok(v) = "text/csv; charset=utf-8".parse() {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = format!("attachment; filename=\"import-{}-rows.csv\"", job.job_id).parse() {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = "no-store".parse() {
        h.insert(header::CACHE_CONTROL, v);
    }
    r
}
