//! The HTTP routes. Handlers extract, call, map: no business rule lives here.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use eventstore::EventStore;
use serde_json::json;

use crate::error::ApiError;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn EventStore>,
    pub masters: Arc<commands::forms::MasterCache>,
    /// The data directory of research extracts and the research key.
    pub research: Arc<crate::research::ResearchFiles>,
    /// Bulk import files (`<data dir>/imports`) and the jobs this process runs.
    pub imports: Arc<commands::import_runner::Imports>,
    /// The web client's cookies are `Secure` whatever the request says.
    pub secure_cookies: bool,
}

impl AppState {
    /// What the web client's pages work with: the same store and masters.
    pub fn web(&self) -> web::WebState {
        web::WebState {
            store: self.store.clone(),
            masters: self.masters.clone(),
            secure_cookies: self.secure_cookies,
            imports: self.imports.clone(),
        }
    }
}

pub use crate::extract::ApiQuery;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route(
            "/openapi.json",
            get(|| async { Json(crate::openapi::document()) }),
        )
        .merge(crate::forms::routes())
        .merge(crate::accounts::routes())
        .merge(crate::history::routes())
        .merge(crate::research::routes())
        .merge(crate::imports::routes())
        .fallback(not_found)
        // Innermost first: the key is claimed before any handler runs; the API's error format
        // and headers apply to everything below, the access log sees the final status.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::extract::claim_idempotency_key,
        ))
        .layer(middleware::from_fn(crate::extract::api_edge))
        .with_state(state.clone())
        // The web client, beside the API (its own layers: sessions, CSRF, page headers).
        .merge(web::router(state.web()))
        .layer(middleware::from_fn(access_log))
}

/// No route: the API's error for its paths, the web client's page for everything else.
async fn not_found(request: Request) -> Response {
    if crate::extract::is_api_path(request.uri().path()) {
        crate::extract::rejection(axum::http::StatusCode::NOT_FOUND).into_response()
    } else {
        web::not_found(request).await
    }
}

/// The process is up.
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// The process is up and its database answers.
async fn readyz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    match tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await {
        Ok(Ok(())) => Ok(Json(json!({
            "status": "ready",
            "database": state.store.backend().as_str(),
        }))),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            Err(ApiError::database_unavailable())
        }
        Err(_) => {
            tracing::warn!("readiness check timed out");
            Err(ApiError::database_unavailable())
        }
    }
}

/// Prometheus text exposition: each projection's lag (events and seconds) and whether it
/// stopped. Nothing in it names a person.
async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let all = crate::startup::projection_status(&state.store)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "projection status unavailable");
            ApiError::database_unavailable()
        })?;
    let mut out = String::new();
    let mut family = |name: &str, help: &str, value: &dyn Fn(&projections::Status) -> String| {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"));
        for s in &all {
            out.push_str(&format!(
                "{name}{{projection=\"{}\"}} {}\n",
                s.name,
                value(s)
            ));
        }
    };
    family(
        "nanbyo_projection_behind_events",
        "Committed events the projection has not applied yet.",
        &|s| s.behind.to_string(),
    );
    family(
        "nanbyo_projection_lag_seconds",
        "Age of the oldest event the projection has not applied yet.",
        &|s| format!("{:.3}", s.lag_seconds),
    );
    family(
        "nanbyo_projection_stopped",
        "1 when the projection stopped at an event it cannot apply.",
        &|s| u8::from(s.error.is_some()).to_string(),
    );
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response())
}

/// One line per request with the route template, never the concrete path or query string:
/// those can carry names or numbers of patients.
async fn access_log(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "(unmatched)".to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        route,
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response.into_response()
}
