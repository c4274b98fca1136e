//! Bulk import jobs as their uploader (and the program's auditors) see them: the job's status
//! as its own stream says now (a progress bar must not show 50 % of a finished job because the
//! view trails the store), the caller's jobs, each row's outcome as pages or as CSV.

use std::sync::Arc;

use commands::problem::{status, Problem};
use domain::form::Actor;
use domain::Role;
use eventstore::{EventStore, SqlPool, StreamId};
use projections::imports::{JobRow, RowEntry};

use crate::{caught_up, invalid, unavailable};

fn job_not_found() -> Problem {
    Problem::new(
        status::NOT_FOUND,
        "import_job_not_found",
        "取込ジョブが見つかりません。",
        "No such import job.",
    )
}

/// Who may see a job: its uploader, and the auditors of its program.
fn may_see(actor: &Actor, job: &JobRow) -> bool {
    job.account_id == actor.account
        || (actor.role == Role::Auditor && job.program == actor.program.as_str())
}

/// Job `id` from the view (once it has applied `after`, read-your-writes), if `actor` may see it.
async fn visible(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    id: &str,
    after: Option<u64>,
) -> Result<JobRow, Problem> {
    if let Some(position) = after {
        caught_up(store, projections::imports::JOBS, Some(position)).await?;
    }
    let job = projections::imports::job(&store.sql(), id)
        .await
        .map_err(unavailable("import job"))?
        .ok_or_else(job_not_found)?;
    if !may_see(actor, &job) {
        return Err(job_not_found());
    }
    Ok(job)
}

/// The job as its own stream says now: the view's row, then the job's events the view has not
/// applied yet (read from the store after the row's version). Also returns the position of the
/// last event the view has not applied yet, if any.
async fn current(
    store: &Arc<dyn EventStore>,
    mut job: JobRow,
) -> Result<(JobRow, Option<u64>), Problem> {
    if !job.is_open() {
        return Ok((job, None));
    }
    let stream =
        StreamId::new(domain::import_job::STREAM_TYPE, &job.job_id).map_err(|_| job_not_found())?;
    let from = u64::try_from(job.version).unwrap_or(0) + 1;
    let mut head = None;
    for event in store.read_stream(&stream, from).await? {
        job.advance(&event).map_err(|e| {
            tracing::error!(job = %job.job_id, error = %e, "import job event not understood");
            Problem::internal()
        })?;
        head = Some(event.position);
    }
    Ok((job, head))
}

/// `GET /api/imports/jobs/{id}`: the job's status and progress, current.
pub async fn job(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    id: &str,
    after: Option<u64>,
) -> Result<JobRow, Problem> {
    let job = visible(store, actor, id, after).await?;
    Ok(current(store, job).await?.0)
}

/// `GET /api/imports`: the caller's own jobs, newest first, each current.
pub async fn jobs(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    limit: Option<i64>,
) -> Result<Vec<JobRow>, Problem> {
    let limit = limit.unwrap_or(50).clamp(1, 500);
    let listed = projections::imports::jobs_of(&store.sql(), &actor.account, limit)
        .await
        .map_err(unavailable("import jobs"))?;
    let mut jobs = Vec::with_capacity(listed.len());
    for job in listed {
        jobs.push(current(store, job).await?.0);
    }
    Ok(jobs)
}

/// Which rows, from where.
#[derive(Debug, Clone, Default)]
pub struct RowsQuery {
    /// Rows after this row number (paging).
    pub after: Option<i64>,
    pub limit: Option<i64>,
    /// `applied`, `unchanged` or `rejected`.
    pub outcome: Option<String>,
    pub after_position: Option<u64>,
}

/// One page of rows, and the row number to continue after.
pub struct RowsPage {
    pub job: JobRow,
    pub rows: Vec<RowEntry>,
    pub next_after: Option<i64>,
}

/// The outcome filter: applied, unchanged or rejected.
pub fn outcome(o: Option<&str>) -> Result<Option<String>, Problem> {
    match o {
        None | Some("") => Ok(None),
        Some(o @ ("applied" | "unchanged" | "rejected")) => Ok(Some(o.to_owned())),
        Some(_) => Err(invalid(
            "outcome には applied・unchanged・rejected のいずれかを指定します。",
            "outcome is applied, unchanged or rejected.",
        )),
    }
}

/// The job whose rows are asked for, once the rows view holds every batch its status counts:
/// wait (bounded) for the view to have applied the job's stream as far as the status reads it.
pub async fn job_for_rows(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    id: &str,
    after_position: Option<u64>,
) -> Result<JobRow, Problem> {
    let job = visible(store, actor, id, after_position).await?;
    match current(store, job.clone()).await? {
        (_, Some(head)) => visible(store, actor, id, Some(head)).await,
        _ => Ok(job),
    }
}

/// `GET /api/imports/jobs/{id}/rows`: each row's outcome, a page at a time.
pub async fn rows(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    id: &str,
    q: &RowsQuery,
) -> Result<RowsPage, Problem> {
    let outcome = outcome(q.outcome.as_deref())?;
    let job = job_for_rows(store, actor, id, q.after_position).await?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let rows = projections::imports::rows(
        &store.sql(),
        &job.job_id,
        q.after.unwrap_or(0),
        outcome.as_deref(),
        limit,
    )
    .await
    .map_err(unavailable("import rows"))?;
    let next_after = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.row_no))
        .flatten();
    Ok(RowsPage {
        job,
        rows,
        next_after,
    })
}

/// Every row of job `job_id` as CSV (UTF-8 with a BOM, CRLF), one line per error, streamed page
/// by page: a million rows never sit in memory. Ask [`job_for_rows`] first.
pub fn rows_csv(
    sql: SqlPool,
    job_id: String,
    outcome: Option<String>,
) -> impl futures::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static {
    futures::stream::unfold(Some(0i64), move |after| {
        let (sql, job_id, outcome) = (sql.clone(), job_id.clone(), outcome.clone());
        async move {
            let after = after?;
            let mut out = Vec::new();
            if after == 0 {
                out.extend_from_slice(b"\xEF\xBB\xBF");
                out.extend_from_slice(
                    "行,結果,臨個票ID,処理,列,エラーコード,エラー内容,message\r\n".as_bytes(),
                );
            }
            let page =
                match projections::imports::rows(&sql, &job_id, after, outcome.as_deref(), 5000)
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
    })
}
