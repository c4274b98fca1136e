//! Idempotency keys as the front ends claim them: the first request an account sends under a
//! key (its fingerprint) is recorded before any command runs, so the same key with another
//! request is refused on every route, whatever the command does with the key afterwards.
//! Replaying the first result is each command's own business (through the store's keys).

use eventstore::{on_sql, IdempotencyKey, SqlPool};
use sha2::{Digest, Sha256};

/// What a claim found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The key was new for this account: it now stands for this request.
    First,
    /// The key was claimed before by the same request: a retry.
    Retry,
    /// The key was claimed before by a different request.
    OtherRequest,
}

/// The stored scope of `key` for `account`: a digest, so the table holds neither.
fn scope(account: &str, key: &IdempotencyKey) -> String {
    hex::encode(Sha256::digest(
        format!("request-key/v1\u{0}{account}\u{0}{}", key.as_str()).as_bytes(),
    ))
}

/// Claims `key` (which must carry the request's fingerprint) for `account`.
pub async fn claim(
    sql: &SqlPool,
    account: &str,
    key: &IdempotencyKey,
) -> Result<Claim, sqlx::Error> {
    let Some(fingerprint) = key.fingerprint() else {
        // A key without its request could match anything: never accepted here.
        return Ok(Claim::OtherRequest);
    };
    let scope = scope(account, key);
    let now = chrono::Utc::now().timestamp_millis();
    let inserted = on_sql!(sql, writer, |p| {
        sqlx::query(
            "INSERT INTO request_keys (scope, fingerprint, claimed_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&scope)
        .bind(fingerprint)
        .bind(now)
        .execute(p)
        .await?
        .rows_affected()
    });
    if inserted == 1 {
        return Ok(Claim::First);
    }
    // Read through the writer: the claim that won may be this very moment's.
    let stored: Option<(String,)> = on_sql!(sql, writer, |p| {
        sqlx::query_as("SELECT fingerprint FROM request_keys WHERE scope = $1")
            .bind(&scope)
            .fetch_optional(p)
            .await?
    });
    Ok(match stored {
        Some((f,)) if f == fingerprint => Claim::Retry,
        Some(_) => Claim::OtherRequest,
        // Released between the two statements (its request was refused): claim it again.
        None => Box::pin(claim(sql, account, key)).await?,
    })
}

/// Gives back a key whose first request was refused (nothing was done under it), so that the
/// corrected request may use it.
pub async fn release(
    sql: &SqlPool,
    account: &str,
    key: &IdempotencyKey,
) -> Result<(), sqlx::Error> {
    let Some(fingerprint) = key.fingerprint() else {
        return Ok(());
    };
    on_sql!(sql, writer, |p| {
        sqlx::query("DELETE FROM request_keys WHERE scope = $1 AND fingerprint = $2")
            .bind(scope(account, key))
            .bind(fingerprint)
            .execute(p)
            .await?
            .rows_affected()
    });
    Ok(())
}
