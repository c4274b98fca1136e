//! Passwords and sessions. What is secret never enters the event store: the credential table
//! keeps the password hash and failed-login counter per login ID, the session table the
//! SHA-256 of each bearer token. The account's stream records that a password was issued or
//! changed, never its value.
//!
//! Hashes: a password the user chose is hashed with argon2id (m = 19 MiB, t = 2, p = 1, the
//! OWASP baseline). A password the registry issued (initial or reset, 16 characters from a
//! 56-letter alphabet: 93 bits) is random, so a salted SHA-256 protects it as well as argon2id
//! would, at a millionth of the cost; it must be changed at first login, and then becomes an
//! argon2id hash. This is what lets a 10,000-row user file register in seconds.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use eventstore::{on_sql, SqlPool};
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};

/// argon2id parameters (OWASP password storage cheat sheet baseline).
pub const ARGON2_M_KIB: u32 = 19 * 1024;
pub const ARGON2_T: u32 = 2;
pub const ARGON2_P: u32 = 1;

/// Failed logins in a row that lock an account, and for how long.
pub const MAX_FAILURES: i32 = 5;
pub const LOCKOUT_MINUTES: i64 = 15;

/// How long a bearer token is valid.
pub const SESSION_HOURS: i64 = 8;

const ISSUED_PREFIX: &str = "$nanbyo-issued-sha256$";
/// No 0/O, 1/l/I: an issued password is read off paper.
const PASSWORD_ALPHABET: &[u8] = b"23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
const LOGIN_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

fn argon2() -> Argon2<'static> {
    let params = Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, None).expect("valid parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A fresh issued password: 16 characters.
pub fn issue_password() -> String {
    let mut rng = rand::thread_rng();
    (0..16)
        .map(|_| PASSWORD_ALPHABET[rng.gen_range(0..PASSWORD_ALPHABET.len())] as char)
        .collect()
}

/// A fresh login ID: the program's letter and 11 characters (55 bits).
pub fn new_login_id(program: domain::Program) -> String {
    let mut rng = rand::thread_rng();
    let letter = match program {
        domain::Program::Nanbyo => 'N',
        domain::Program::Shoman => 'S',
    };
    std::iter::once(letter)
        .chain((0..11).map(|_| LOGIN_ALPHABET[rng.gen_range(0..LOGIN_ALPHABET.len())] as char))
        .collect()
}

/// The stored form of an issued password.
pub fn hash_issued(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    let digest = Sha256::new()
        .chain_update(salt)
        .chain_update(password.as_bytes())
        .finalize();
    format!(
        "{ISSUED_PREFIX}{}${}",
        hex::encode(salt),
        hex::encode(digest)
    )
}

/// The stored form of a password the user chose (CPU-heavy: call it off the async threads).
pub fn hash_chosen(password: &str) -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    let salt = SaltString::encode_b64(&bytes).expect("16 bytes make a valid salt");
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2id hashes any password")
        .to_string()
}

/// Does `password` match the stored hash? Constant-time in the comparison; CPU-heavy for
/// argon2id hashes.
pub fn verify(stored: &str, password: &str) -> bool {
    if let Some(rest) = stored.strip_prefix(ISSUED_PREFIX) {
        let Some((salt, digest)) = rest.split_once('$') else {
            return false;
        };
        let (Ok(salt), Ok(digest)) = (hex::decode(salt), hex::decode(digest)) else {
            return false;
        };
        let actual = Sha256::new()
            .chain_update(salt)
            .chain_update(password.as_bytes())
            .finalize();
        // As slow as an argon2id verification, so that timing does not tell which login IDs
        // still carry their issued password.
        if let Ok(dummy) = PasswordHash::new(dummy_hash()) {
            let _ = argon2().verify_password(password.as_bytes(), &dummy);
        }
        return constant_eq(&actual, &digest);
    }
    match PasswordHash::new(stored) {
        Ok(hash) => argon2().verify_password(password.as_bytes(), &hash).is_ok(),
        Err(_) => false,
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A hash to verify against when the login ID does not exist, so that an unknown ID takes as
/// long as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_chosen("not a password of anybody"))
}

/// Rules for a password the user chooses.
pub fn password_policy(password: &str, login_id: &str) -> Result<(), &'static str> {
    let n = password.chars().count();
    if !(12..=128).contains(&n) {
        return Err("a password has 12 to 128 characters");
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if classes.iter().filter(|c| **c).count() < 3 {
        return Err("a password mixes at least three of: lower case, upper case, digits, symbols");
    }
    if password.to_lowercase().contains(&login_id.to_lowercase()) {
        return Err("a password must not contain the login ID");
    }
    Ok(())
}

/// A new bearer token and the digest stored for it.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let digest = token_digest(&token);
    (token, digest)
}

pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A login ID's credential row.
#[derive(Clone, sqlx::FromRow)]
pub struct Credential {
    pub login_id: String,
    pub account_id: String,
    pub password_hash: String,
    pub failed_attempts: i32,
    pub locked_until: Option<i64>,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Stores the credential of a new account. `Ok(false)`: the login ID or the account already
/// has one.
pub async fn insert(
    sql: &SqlPool,
    login_id: &str,
    account_id: &str,
    hash: &str,
) -> Result<bool, sqlx::Error> {
    let done = on_sql!(sql, writer, |p| {
        sqlx::query(
            "INSERT INTO credentials (login_id, account_id, password_hash, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(login_id)
        .bind(account_id)
        .bind(hash)
        .bind(now_ms())
        .execute(p)
        .await?
        .rows_affected()
    });
    Ok(done == 1)
}

/// Removes a credential whose account was never created (its creation failed).
pub async fn remove_orphan(sql: &SqlPool, login_id: &str) -> Result<(), sqlx::Error> {
    on_sql!(sql, writer, |p| {
        sqlx::query("DELETE FROM credentials WHERE login_id = $1")
            .bind(login_id)
            .execute(p)
            .await?
            .rows_affected()
    });
    Ok(())
}

pub async fn by_login(sql: &SqlPool, login_id: &str) -> Result<Option<Credential>, sqlx::Error> {
    on_sql!(sql, writer, |p| {
        sqlx::query_as::<_, Credential>(
            "SELECT login_id, account_id, password_hash, failed_attempts, locked_until \
             FROM credentials WHERE login_id = $1",
        )
        .bind(login_id)
        .fetch_optional(p)
        .await
    })
}

pub async fn by_account(
    sql: &SqlPool,
    account_id: &str,
) -> Result<Option<Credential>, sqlx::Error> {
    on_sql!(sql, reader, |p| {
        sqlx::query_as::<_, Credential>(
            "SELECT login_id, account_id, password_hash, failed_attempts, locked_until \
             FROM credentials WHERE account_id = $1",
        )
        .bind(account_id)
        .fetch_optional(p)
        .await
    })
}

/// Replaces an account's password hash and clears its failures and lockout.
pub async fn set_password(
    sql: &SqlPool,
    account_id: &str,
    hash: &str,
) -> Result<bool, sqlx::Error> {
    let n = on_sql!(sql, writer, |p| {
        sqlx::query(
            "UPDATE credentials SET password_hash = $2, failed_attempts = 0, locked_until = NULL, \
             updated_at = $3 WHERE account_id = $1",
        )
        .bind(account_id)
        .bind(hash)
        .bind(now_ms())
        .execute(p)
        .await?
        .rows_affected()
    });
    Ok(n == 1)
}

/// Counts a failed login; returns the lock deadline when this failure locks the account.
pub async fn record_failure(sql: &SqlPool, login_id: &str) -> Result<Option<i64>, sqlx::Error> {
    let now = now_ms();
    let until = now + LOCKOUT_MINUTES * 60_000;
    let row: Option<(i32, Option<i64>)> = on_sql!(sql, writer, |p| {
        sqlx::query_as(
            "UPDATE credentials SET failed_attempts = failed_attempts + 1, \
             locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN $3 ELSE locked_until END, \
             updated_at = $4 WHERE login_id = $1 RETURNING failed_attempts, locked_until",
        )
        .bind(login_id)
        .bind(MAX_FAILURES)
        .bind(until)
        .bind(now)
        .fetch_optional(p)
        .await?
    });
    Ok(match row {
        Some((n, Some(u))) if n == MAX_FAILURES => Some(u),
        _ => None,
    })
}

/// A successful login clears the failure count (and a lockout that has run out).
pub async fn record_success(sql: &SqlPool, login_id: &str) -> Result<(), sqlx::Error> {
    on_sql!(sql, writer, |p| {
        sqlx::query(
            "UPDATE credentials SET failed_attempts = 0, locked_until = NULL, updated_at = $2 \
             WHERE login_id = $1 AND (failed_attempts <> 0 OR locked_until IS NOT NULL)",
        )
        .bind(login_id)
        .bind(now_ms())
        .execute(p)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// Opens a session; returns the token (shown once) and its expiry (Unix ms).
pub async fn open_session(sql: &SqlPool, account_id: &str) -> Result<(String, i64), sqlx::Error> {
    let (token, digest) = new_token();
    let now = now_ms();
    let expires = now + SESSION_HOURS * 3_600_000;
    on_sql!(sql, writer, |p| {
        sqlx::query(
            "INSERT INTO sessions (token_sha256, account_id, issued_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&digest)
        .bind(account_id)
        .bind(now)
        .bind(expires)
        .execute(p)
        .await?
        .rows_affected()
    });
    Ok((token, expires))
}

/// The account of a valid (not expired, not revoked) token.
pub async fn session_account(sql: &SqlPool, token: &str) -> Result<Option<String>, sqlx::Error> {
    let digest = token_digest(token);
    let row: Option<(String,)> = on_sql!(sql, reader, |p| {
        sqlx::query_as(
            "SELECT account_id FROM sessions WHERE token_sha256 = $1 AND revoked_at IS NULL \
             AND expires_at > $2",
        )
        .bind(&digest)
        .bind(now_ms())
        .fetch_optional(p)
        .await?
    });
    Ok(row.map(|(a,)| a))
}

/// Logout: the token stops working.
pub async fn revoke_session(sql: &SqlPool, token: &str) -> Result<(), sqlx::Error> {
    on_sql!(sql, writer, |p| {
        sqlx::query(
            "UPDATE sessions SET revoked_at = $2 WHERE token_sha256 = $1 AND revoked_at IS NULL",
        )
        .bind(token_digest(token))
        .bind(now_ms())
        .execute(p)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// Every session of an account ends (password reset, suspension).
pub async fn revoke_all(sql: &SqlPool, account_id: &str) -> Result<(), sqlx::Error> {
    on_sql!(sql, writer, |p| {
        sqlx::query(
            "UPDATE sessions SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL",
        )
        .bind(account_id)
        .bind(now_ms())
        .execute(p)
        .await?
        .rows_affected()
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_and_chosen_passwords_verify_and_wrong_ones_do_not() {
        let issued = issue_password();
        assert_eq!(issued.len(), 16);
        let h = hash_issued(&issued);
        assert!(verify(&h, &issued));
        assert!(!verify(&h, "x"));
        let h = hash_chosen("Correct-Horse-42");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify(&h, "Correct-Horse-42"));
        assert!(!verify(&h, "Correct-Horse-43"));
        assert!(!verify("garbage", "x"));
    }

    #[test]
    fn the_policy_wants_length_variety_and_no_login_id() {
        assert!(password_policy("short1A!", "N123").is_err());
        assert!(password_policy("alllowercaseletters", "N123").is_err());
        assert!(password_policy("Long-enough-2024", "N123").is_ok());
        assert!(password_policy("xxN123ABCDEFxx-1a", "n123abcdef").is_err());
    }

    #[test]
    fn login_ids_carry_the_program_letter_and_are_valid() {
        let id = new_login_id(domain::Program::Shoman);
        assert!(id.starts_with('S') && id.len() == 12);
        assert!(domain::account::valid_login_id(&id));
    }
}
