//! The form search (`GET /api/forms`, the worklists of the web client): read from the
//! `form_search` projection within the caller's scope, filtered, sorted and paged by keyset (an
//! opaque page token), with the number of forms of each status.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use commands::problem::{status, Problem};
use domain::form::Actor;
use domain::Role;
use eventstore::EventStore;
use projections::forms::{self, After, AfterKey, Filters, FormRow, Scope, Sort};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::invalid;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// A search as a query string names it; every field is checked here.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    pub disease: Option<String>,
    pub status: Option<String>,
    pub institution: Option<String>,
    pub author: Option<String>,
    /// The 実施主体 (全国地方公共団体コード) the form is filed with.
    pub municipality: Option<String>,
    pub purpose: Option<String>,
    pub outcome: Option<String>,
    /// Patient kana: prefix.
    pub kana: Option<String>,
    /// Patient kana: anywhere.
    pub kana_contains: Option<String>,
    pub birth_date: Option<String>,
    /// RFC 3339, inclusive.
    pub updated_from: Option<String>,
    /// RFC 3339, exclusive.
    pub updated_to: Option<String>,
    pub sort: Option<String>,
    pub limit: Option<i64>,
    pub page_token: Option<String>,
    /// The global position a command returned: the answer includes its effect.
    pub after_position: Option<u64>,
}

/// One page of a search.
#[derive(Debug, Serialize)]
pub struct SearchPage {
    pub forms: Vec<FormRow>,
    pub next_page_token: Option<String>,
}

fn bad(code: &'static str, ja: &str, en: impl Into<String>) -> Problem {
    Problem::new(status::BAD_REQUEST, code, ja, en)
}

fn one_of(
    field: &'static str,
    value: Option<String>,
    allowed: &[&str],
) -> Result<Option<String>, Problem> {
    match value {
        Some(v) if !allowed.contains(&v.as_str()) => Err(invalid(
            "検索条件が正しくありません。",
            format!("{field} is one of: {}", allowed.join(", ")),
        )),
        other => Ok(other),
    }
}

fn time(field: &'static str, value: Option<String>) -> Result<Option<i64>, Problem> {
    value
        .map(|v| {
            chrono::DateTime::parse_from_rfc3339(&v)
                .map(|t| t.timestamp_millis())
                .map_err(|_| {
                    invalid(
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

fn decode_token(text: &str) -> Result<Token, Problem> {
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

/// Which forms `actor` may search: their institutions (doctors, clerks), the submitted forms of
/// their jurisdiction (municipality users), every form of the program (auditors).
fn scope_of(actor: &Actor) -> Result<Scope, Problem> {
    match actor.role {
        Role::DesignatedDoctor | Role::Clerk => Ok(Scope::Institutions(
            actor.institutions.iter().map(|i| i.to_string()).collect(),
        )),
        Role::MunicipalityStaff | Role::MunicipalityAdmin => match &actor.jurisdiction {
            Some(j) => Ok(Scope::Jurisdiction(j.to_string())),
            None => Err(forbidden()),
        },
        Role::Auditor => Ok(Scope::Program),
        _ => Err(forbidden()),
    }
}

/// The filters of `q`, checked.
fn filters_of(q: &SearchRequest) -> Result<Filters, Problem> {
    let q = q.clone();
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
            &["meets", "does_not_meet", "undeterminable", "municipality"],
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
    Ok(filters)
}

/// One page of the forms `actor` may see that match `q`.
pub async fn search(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    q: SearchRequest,
) -> Result<SearchPage, Problem> {
    let scope = scope_of(actor)?;
    let filters = filters_of(&q)?;
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
        crate::caught_up(store, forms::NAME, Some(position)).await?;
    }
    let rows = forms::search(
        &store.sql(),
        actor.program.as_str(),
        &scope,
        &filters,
        sort,
        after.as_ref(),
        limit + 1,
    )
    .await
    .map_err(crate::unavailable("form search"))?;
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
    Ok(SearchPage {
        forms: rows.to_vec(),
        next_page_token: next,
    })
}

/// How many forms of each status `actor` may see that match `q` (its status aside).
pub async fn counts(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    q: &SearchRequest,
) -> Result<BTreeMap<String, i64>, Problem> {
    let scope = scope_of(actor)?;
    let filters = filters_of(q)?;
    if let Some(position) = q.after_position {
        crate::caught_up(store, forms::NAME, Some(position)).await?;
    }
    Ok(
        forms::counts_by_status(&store.sql(), actor.program.as_str(), &scope, &filters)
            .await
            .map_err(crate::unavailable("form counts"))?
            .into_iter()
            .collect(),
    )
}

fn forbidden() -> Problem {
    Problem::new(
        status::FORBIDDEN,
        "forbidden",
        "この操作の権限がありません。",
        "Not permitted: search forms (doctors, clerks, municipality users, auditors).",
    )
    .with_details(serde_json::json!({ "permission": "search forms" }))
}
