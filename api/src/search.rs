//! `GET /api/forms`: the form search, read from the `form_search` projection, scoped by the
//! caller's permissions, sorted and paged by keyset (an opaque page token).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use base64::Engine;
use domain::Role;
use projections::forms::{self, After, AfterKey, Filters, Scope, Sort};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::auth::CurrentActor;
use crate::error::ApiError;
use crate::http::AppState;

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;
/// How long a query waits for the view to reach `after_position` (read-your-writes).
const CATCH_UP: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    disease: Option<String>,
    status: Option<String>,
    institution: Option<String>,
    author: Option<String>,
    /// The 実施主体 (全国地方公共団体コード) the form is filed with.
    municipality: Option<String>,
    purpose: Option<String>,
    outcome: Option<String>,
    /// Patient kana: prefix.
    kana: Option<String>,
    /// Patient kana: anywhere.
    kana_contains: Option<String>,
    birth_date: Option<String>,
    /// RFC 3339, inclusive.
    updated_from: Option<String>,
    /// RFC 3339, exclusive.
    updated_to: Option<String>,
    sort: Option<String>,
    limit: Option<i64>,
    page_token: Option<String>,
    /// The global position a command returned: the answer includes its effect.
    after_position: Option<u64>,
}

fn bad(code: &'static str, ja: &str, en: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code, ja, en)
}

fn one_of(
    field: &'static str,
    value: Option<String>,
    allowed: &[&str],
) -> Result<Option<String>, ApiError> {
    match value {
        Some(v) if !allowed.contains(&v.as_str()) => Err(bad(
            "invalid_query",
            "検索条件が正しくありません。",
            format!("{field} is one of: {}", allowed.join(", ")),
        )),
        other => Ok(other),
    }
}

fn time(field: &'static str, value: Option<String>) -> Result<Option<i64>, ApiError> {
    value
        .map(|v| {
            chrono::DateTime::parse_from_rfc3339(&v)
                .map(|t| t.timestamp_millis())
                .map_err(|_| {
                    bad(
                        "invalid_query",
                        "日時は RFC 3339 形式（例 2026-04-01T00:00:00+09:00）で指定してください。",
                        format!("{field} is an RFC 3339 time, e.g. 2026-04-01T00:00:00+09:00"),
                    )
                })
        })
        .transpose()
}

/// What a page token carries: where the previous page ended, for which search.
#[derive(Serialize, Deserialize)]
struct Token {
    v: u8,
    sort: Sort,
    /// Digest of the filters: a token only continues the search it came from.
    filters: String,
    after: After,
}

fn digest(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    hex::encode(&h.finalize()[..12])
}

/// A page token is its JSON and a checksum, Base64url: a token changed by hand is refused
/// rather than read as another position. (It is not a secret: the scope is applied to every
/// page whatever the token says.)
fn encode_token(token: &Token) -> String {
    let body = serde_json::to_vec(token).expect("a token serializes");
    let sum = digest(&[b"nanbyo-page-token/v1", &body]);
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!("{}.{sum}", b64.encode(body))
}

fn decode_token(text: &str) -> Result<Token, ApiError> {
    let refused = || {
        bad(
            "invalid_page_token",
            "ページトークンが正しくありません。検索をやり直してください。",
            "The page token is not one this service issued (or it was changed); search again.",
        )
    };
    let (body, sum) = text.split_once('.').ok_or_else(refused)?;
    let body = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| refused())?;
    if digest(&[b"nanbyo-page-token/v1", &body]) != sum {
        return Err(refused());
    }
    let token: Token = serde_json::from_slice(&body).map_err(|_| refused())?;
    if token.v != 1 {
        return Err(refused());
    }
    Ok(token)
}

pub async fn search(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    query: Result<Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| {
        bad(
            "invalid_query",
            "検索条件が正しくありません。",
            format!("The query is not valid: {}", e.body_text()),
        )
    })?;
    let scope = match actor.role {
        Role::DesignatedDoctor | Role::Clerk => {
            Scope::Institutions(actor.institutions.iter().map(|i| i.to_string()).collect())
        }
        Role::MunicipalityStaff | Role::MunicipalityAdmin => match &actor.jurisdiction {
            Some(j) => Scope::Jurisdiction(j.to_string()),
            None => return Err(forbidden()),
        },
        Role::Auditor => Scope::Program,
        _ => return Err(forbidden()),
    };
    let birth_date = match q.birth_date {
        Some(d) if !domain::judgment::valid_date(&d) => {
            return Err(bad(
                "invalid_query",
                "生年月日は YYYY-MM-DD 形式で指定してください。",
                "birth_date is a date, YYYY-MM-DD",
            ))
        }
        other => other,
    };
    for (field, value) in [("kana", &q.kana), ("kana_contains", &q.kana_contains)] {
        if value
            .as_ref()
            .is_some_and(|v| forms::normalize_kana(v).is_empty())
        {
            return Err(bad(
                "invalid_query",
                "カナを1文字以上指定してください。",
                format!("{field} needs at least one character"),
            ));
        }
    }
    let filters = Filters {
        disease: q.disease,
        status: one_of(
            "status",
            q.status,
            &["draft", "submitted", "received", "decided", "withdrawn"],
        )?,
        institution: q.institution,
        author: q.author,
        jurisdiction: q.municipality,
        purpose: one_of(
            "purpose",
            q.purpose,
            &["subsidy", "registrant_certificate_only"],
        )?,
        outcome: one_of(
            "outcome",
            q.outcome,
            &["meets", "does_not_meet", "undeterminable"],
        )?,
        kana_prefix: q.kana,
        kana_contains: q.kana_contains,
        birth_date,
        updated_from: time("updated_from", q.updated_from)?,
        updated_to: time("updated_to", q.updated_to)?,
    };
    if let (Some(from), Some(to)) = (filters.updated_from, filters.updated_to) {
        if to <= from {
            return Err(bad(
                "invalid_query",
                "更新日時の範囲が正しくありません（終了が開始以前です）。",
                "updated_to must be after updated_from",
            ));
        }
    }
    let sort = match q.sort.as_deref() {
        None | Some("updated_desc") => Sort::UpdatedDesc,
        Some("updated_asc") => Sort::UpdatedAsc,
        Some("kana_asc") => Sort::KanaAsc,
        Some(_) => {
            return Err(bad(
                "invalid_query",
                "並び順が正しくありません。",
                "sort is one of: updated_desc, updated_asc, kana_asc",
            ))
        }
    };
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(bad(
            "invalid_query",
            "件数は 1〜200 で指定してください。",
            format!("limit is between 1 and {MAX_LIMIT}"),
        ));
    }
    let filters_digest = digest(&[
        actor.account.as_bytes(),
        serde_json::to_string(&filters)
            .expect("filters serialize")
            .as_bytes(),
    ]);
    let after = match &q.page_token {
        Some(t) => {
            let token = decode_token(t)?;
            if token.sort != sort || token.filters != filters_digest {
                return Err(bad(
                    "page_token_mismatch",
                    "ページトークンは別の検索条件のものです。",
                    "The page token belongs to another search (other filters or sort).",
                ));
            }
            Some(token.after)
        }
        None => None,
    };
    if let Some(position) = q.after_position {
        let reached = projections::wait_for(&state.store.sql(), forms::NAME, position, CATCH_UP)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "the form search view cannot be read");
                ApiError::database_unavailable()
            })?;
        if !reached {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "view_behind",
                "検索用の集計が追いついていません。しばらくしてから再度お試しください。",
                "The search view has not reached that position yet; try again shortly.",
            ));
        }
    }
    let rows = forms::search(
        &state.store.sql(),
        actor.program.as_str(),
        &scope,
        &filters,
        sort,
        after.as_ref(),
        limit + 1,
    )
    .await
    .map_err(|e| {
        tracing::warn!(error = %e, "form search failed");
        ApiError::database_unavailable()
    })?;
    let more = rows.len() as i64 > limit;
    let rows = &rows[..rows.len().min(limit as usize)];
    let next = match (more, rows.last()) {
        (true, Some(last)) => Some(encode_token(&Token {
            v: 1,
            sort,
            filters: filters_digest,
            after: After {
                key: match sort {
                    Sort::KanaAsc => AfterKey::Text(last.kana.clone()),
                    _ => AfterKey::Time(last.updated_at),
                },
                form_id: last.form_id.clone(),
            },
        })),
        _ => None,
    };
    Ok(Json(json!({ "forms": rows, "next_page_token": next })))
}

fn forbidden() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "この操作の権限がありません。",
        "Not permitted: search forms (doctors, clerks, municipality users, auditors).",
    )
    .with_details(json!({ "permission": "search forms" }))
}
