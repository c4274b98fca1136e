//! `GET /api/forms`: the form search in the caller's scope (`queries::forms`), as JSON.

use axum::extract::State;
use axum::Json;
use queries::forms::{SearchPage, SearchRequest};

use crate::auth::CurrentActor;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::http::AppState;

pub async fn search(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<SearchRequest>,
) -> Result<Json<SearchPage>, ApiError> {
    Ok(Json(queries::forms::search(&state.store, &actor, q).await?))
}
