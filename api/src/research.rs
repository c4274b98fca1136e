//! HTTP routes for research extracts (研究利用データの抽出, operators of the program): create
//! one server-side under the data directory, and download its CSV or Parquet file. Where the
//! files and the research key live is [`ResearchFiles`].

use std::path::{Path, PathBuf};

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use commands::research::ExtractError;
use commands::secrets::SecretError;
use domain::pseudonym::ResearchKey;
use domain::research::{ExtractFilter, ExtractRequest, FileFormat, ResearchError};
use domain::Program;
use eventstore::{EventStore, SqlPool};
use serde::Deserialize;
use serde_json::json;

use crate::auth::CurrentActor;
use crate::error::ApiError;
use crate::extract::{JsonBody, RequestKey};
use crate::http::AppState;

/// The data directory: extracts under `research/`, and the research key's default file
/// `research.key` (unless `NANBYO_RESEARCH_KEY` or `NANBYO_RESEARCH_KEY_FILE` say otherwise,
/// see `commands::secrets`) — never the bus's `pseudonym.key`. The key is read at the first
/// extract, not at start: a service that never extracts never creates it.
pub struct ResearchFiles {
    dir: PathBuf,
    key: tokio::sync::OnceCell<ResearchKey>,
}

impl ResearchFiles {
    pub fn new(data_dir: PathBuf) -> Self {
        ResearchFiles {
            dir: data_dir,
            key: tokio::sync::OnceCell::new(),
        }
    }

    /// Where the extract files are written.
    pub fn extracts(&self) -> PathBuf {
        self.dir.join("research")
    }

    pub fn key_file(&self) -> PathBuf {
        self.dir.join(commands::secrets::RESEARCH_KEY_FILE)
    }

    pub async fn key(&self) -> Result<ResearchKey, SecretError> {
        self.key
            .get_or_try_init(|| async { commands::secrets::research_key(&self.key_file()) })
            .await
            .cloned()
    }
}

/// The data directory when none is configured: beside the SQLite database, or
/// `./nanbyo-data` for PostgreSQL.
pub fn default_data_dir(store: &dyn EventStore) -> PathBuf {
    if let SqlPool::Sqlite { writer, .. } = store.sql() {
        let file = writer.connect_options().get_filename().to_owned();
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            return dir.to_owned();
        }
    }
    PathBuf::from("./nanbyo-data")
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/research/extracts", post(create))
        .route("/api/research/extracts/{id}/{format}", get(download))
}

/// The request body of `POST /api/research/extracts`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateExtract {
    /// Defaults to the operator's own program.
    pub program: Option<Program>,
    pub purpose: String,
    pub approval: String,
    #[serde(default)]
    pub diseases: Vec<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    #[serde(default)]
    pub certified_only: bool,
}

pub fn example_create() -> serde_json::Value {
    json!({
        "purpose": "パーキンソン病の重症度分布の経年変化に関する研究",
        "approval": "MHLW-2026-0042",
        "diseases": ["6"],
        "from": "2024-04-01",
        "to": "2025-03-31",
        "certified_only": true
    })
}

pub fn research_error(e: ExtractError) -> ApiError {
    let invalid =
        |code, ja: &str, en: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, ja, en);
    match e {
        ExtractError::Rejected(r) => match r {
            ResearchError::Forbidden(permission) => ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "この操作の権限がありません。",
                format!("Not permitted: {permission}."),
            )
            .with_details(json!({ "permission": permission })),
            ResearchError::PurposeRequired => invalid(
                "purpose_required",
                "研究目的を入力してください（500 文字以内、前後の空白なし）。",
                r.to_string(),
            ),
            ResearchError::ApprovalRequired => invalid(
                "approval_required",
                "承認番号を入力してください（100 文字以内、前後の空白なし）。",
                r.to_string(),
            ),
            ResearchError::InvalidPeriod(_) => invalid(
                "invalid_period",
                "抽出期間が正しくありません（YYYY-MM-DD、2023-10-01 以降、開始 ≤ 終了）。",
                r.to_string(),
            ),
            ResearchError::TooManyDiseases => invalid(
                "invalid_diseases",
                "疾病は 100 件以内で、重複なく指定してください。",
                r.to_string(),
            ),
            ResearchError::UnknownDisease(ref code) => invalid(
                "unknown_disease",
                "指定された疾病はこの制度のマスタにありません。",
                r.to_string(),
            )
            .with_details(json!({ "disease": code })),
            ResearchError::AlreadyRecorded => ApiError::new(
                StatusCode::CONFLICT,
                "already_recorded",
                "この抽出は記録済みです。",
                r.to_string(),
            ),
        },
        ExtractError::NotFound => ApiError::new(
            StatusCode::NOT_FOUND,
            "extract_not_found",
            "抽出データが見つかりません。",
            "No such extract.",
        ),
        ExtractError::Stale => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "research_view_behind",
            "研究用データの集計が追いついていません。しばらくしてから再度お試しください。",
            "The research view is catching up; try again shortly.",
        ),
        ExtractError::Store(e) => ApiError::from(e),
        other => {
            tracing::error!(error = %other, "research extract failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "システム内部でエラーが発生しました。",
                "An internal error occurred.",
            )
        }
    }
}

/// Creates an extract: the files are written under the data directory and the extraction is
/// recorded; the answer says where to download them.
async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    RequestKey(idempotency_key): RequestKey,
    JsonBody(body): JsonBody<CreateExtract>,
) -> Result<Response, ApiError> {
    let request = ExtractRequest {
        program: body.program.unwrap_or(actor.program),
        purpose: body.purpose,
        approval: body.approval,
        filter: ExtractFilter {
            diseases: body.diseases,
            from: body.from,
            to: body.to,
            certified_only: body.certified_only,
        },
    };
    // Refused requests never touch the key or the disk.
    commands::research::check(&state.store, &state.masters, &actor, &request)
        .await
        .map_err(research_error)?;
    let key = state.research.key().await.map_err(|e| {
        tracing::error!(error = %e, "the research key is not available");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "pseudonym_key_unavailable",
            "仮名化の鍵を読み込めません。運用担当者に連絡してください。",
            "The pseudonym key cannot be read; contact the operations team.",
        )
    })?;
    let extracted = commands::research::extract(
        &state.store,
        &state.masters,
        &key,
        &actor,
        &request,
        &state.research.extracts(),
        &|_, _| {},
        idempotency_key.as_ref(),
    )
    .await
    .map_err(research_error)?;
    tracing::info!(
        extract = %extracted.id,
        rows = extracted.rows,
        account = %actor.account,
        "research extract recorded"
    );
    let files: Vec<_> = extracted
        .files
        .iter()
        .map(|(f, _)| {
            json!({
                "format": f.format,
                "sha256": f.sha256,
                "bytes": f.bytes,
                "href": format!("/api/research/extracts/{}/{}", extracted.id, f.format.extension()),
            })
        })
        .collect();
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": extracted.id,
            "rows": extracted.rows,
            "as_of_position": extracted.as_of_position,
            "position": extracted.position,
            "files": files,
        })),
    )
        .into_response())
}

/// Streams one file of an extract (the program's operators only).
async fn download(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    UrlPath((id, format)): UrlPath<(String, String)>,
) -> Result<Response, ApiError> {
    let format = match format.as_str() {
        "csv" => FileFormat::Csv,
        "parquet" => FileFormat::Parquet,
        _ => return Err(research_error(ExtractError::NotFound)),
    };
    let (file, path) = commands::research::file(
        &state.store,
        &actor,
        &id,
        format,
        &state.research.extracts(),
    )
    .await
    .map_err(research_error)?;
    tracing::info!(extract = %id, account = %actor.account, format = format.extension(), "research extract downloaded");
    let content_type = match format {
        FileFormat::Csv => "text/csv; charset=utf-8",
        FileFormat::Parquet => "application/vnd.apache.parquet",
    };
    let body = Body::from_stream(chunks(&path).await.map_err(|e| {
        tracing::error!(error = %e, "extract file unreadable");
        research_error(ExtractError::NotFound)
    })?);
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_LENGTH, file.bytes.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"research-{}.{}\"",
                    id,
                    format.extension()
                ),
            ),
            (
                header::HeaderName::from_static("x-content-sha256"),
                file.sha256.clone(),
            ),
        ],
        body,
    )
        .into_response())
}

/// The file in 64 KiB pieces: a download never holds the whole extract in memory.
async fn chunks(
    path: &Path,
) -> std::io::Result<impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static> {
    use tokio::io::AsyncReadExt;
    let file = tokio::fs::File::open(path).await?;
    Ok(futures::stream::try_unfold(file, |mut f| async move {
        let mut buf = vec![0u8; 64 * 1024];
        let n = f.read(&mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.truncate(n);
        Ok(Some((Bytes::from(buf), f)))
    }))
}

/// `nanbyo research extract`: as the named operator, bring the research view up to the store's
/// head (running its projection here, or waiting for the process that runs it), then write the
/// extract into `--out` with a progress bar and record it.
pub async fn run_cli(
    store: std::sync::Arc<dyn EventStore>,
    args: &crate::config::ResearchExtractArgs,
    data_dir: &Path,
) -> anyhow::Result<()> {
    use indicatif::{ProgressBar, ProgressStyle};
    let say = |e: ExtractError| anyhow::anyhow!("{e}");
    let actor = commands::research::actor_by_login(&store, &args.operator)
        .await
        .map_err(say)?;
    let request = ExtractRequest {
        program: args.program,
        purpose: args.purpose.clone(),
        approval: args.approval.clone(),
        filter: ExtractFilter {
            diseases: args.diseases.clone(),
            from: args.from.clone(),
            to: args.to.clone(),
            certified_only: args.certified_only,
        },
    };
    let masters = commands::forms::MasterCache::default();
    commands::research::check(&store, &masters, &actor, &request)
        .await
        .map_err(say)?;
    let key =
        commands::secrets::research_key(&data_dir.join(commands::secrets::RESEARCH_KEY_FILE))?;

    // The view is caught up here (or by whichever process holds its lock on PostgreSQL).
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let runner = tokio::spawn(projections::run(
        store.clone(),
        projections::research::Research::default(),
        stopped,
        None,
    ));
    let head = projections::committed_head(&store).await?;
    let style =
        |t: &str| ProgressStyle::with_template(t).unwrap_or_else(|_| ProgressStyle::default_bar());
    let catch_up = ProgressBar::new(head).with_style(style(
        "research view {bar:30} position {pos}/{len} {per_sec} ETA {eta}",
    ));
    let mut last = (std::time::Instant::now(), 0);
    loop {
        let sql = store.sql();
        let at = projections::checkpoint(&sql, projections::research::NAME).await?;
        catch_up.set_position(at.min(head));
        if at >= head {
            break;
        }
        if at > last.1 {
            last = (std::time::Instant::now(), at);
        } else if last.0.elapsed() > std::time::Duration::from_secs(120) {
            stop.send_replace(true);
            anyhow::bail!(
                "the research view has not moved for two minutes (see `nanbyo projections status`)"
            );
        }
        projections::wait_for(
            &sql,
            projections::research::NAME,
            head,
            std::time::Duration::from_millis(500),
        )
        .await?;
    }
    catch_up.finish_and_clear();

    let bar = ProgressBar::new(0).with_style(style(
        "extract {bar:30} {pos}/{len} rows {per_sec} ETA {eta}",
    ));
    let progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let result = commands::research::extract(
        &store, &masters, &key, &actor, &request, &args.out, &progress, None,
    )
    .await;
    bar.finish_and_clear();
    stop.send_replace(true);
    let _ = runner.await;
    let extracted = result.map_err(say)?;
    println!("extract {}", extracted.id);
    println!("rows {}", extracted.rows);
    println!("as_of_position {}", extracted.as_of_position);
    for (file, path) in &extracted.files {
        println!(
            "{} {} sha256={} bytes={}",
            file.format.extension(),
            path.display(),
            file.sha256,
            file.bytes
        );
    }
    Ok(())
}
