//! Shared test plumbing for the end-to-end tests: a fresh PostgreSQL database or SQLite file
//! per test, opened through the same `eventstore::open` the service uses. A missing
//! PostgreSQL fails the test loudly; it is never skipped.

use std::sync::Arc;

use domain::EventCatalog;
use eventstore::{EventStore, OpenOptions};

/// The server the tests create their databases on.
pub fn pg_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn with_database(url: &str, db: &str) -> String {
    let (base, _) = url
        .rsplit_once('/')
        .expect("TEST_DATABASE_URL has a database path");
    format!("{base}/{db}")
}

/// Creates an empty database and returns its URL. Databases are named `nanbyo_test_*`;
/// `scripts/test` drops the leftovers of earlier runs before it starts.
pub async fn fresh_pg_url() -> String {
    use sqlx::Connection;
    let name = format!("nanbyo_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&pg_admin_url())
        .await
        .expect("PostgreSQL must be running for the tests (scripts/test starts it)");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create test database");
    with_database(&pg_admin_url(), &name)
}

/// A URL for a new SQLite file in its own temporary directory.
pub fn fresh_sqlite_url() -> String {
    let dir = std::env::temp_dir().join(format!("nanbyo-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    format!("sqlite://{}", dir.join("nanbyo.db").display())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Postgres,
    Sqlite,
}

pub async fn fresh_url(db: Db) -> String {
    match db {
        Db::Postgres => fresh_pg_url().await,
        Db::Sqlite => fresh_sqlite_url(),
    }
}

pub async fn open_url(url: &str) -> Arc<dyn EventStore> {
    eventstore::open(
        url,
        Arc::new(EventCatalog::registry()),
        OpenOptions::default(),
    )
    .await
    .expect("open store")
}

pub async fn fresh_store(db: Db) -> (Arc<dyn EventStore>, String) {
    let url = fresh_url(db).await;
    (open_url(&url).await, url)
}

/// A database set up as `deploy/postgres-roles.sql` describes a production registry: the
/// file's owner and service roles (named for this test alone), the database owned by the
/// owner, migrated by the owner, then the file's grants applied by the owner.
pub struct RolesDatabase {
    /// The schema owner's URL (it ran the migrations and the grants).
    pub owner_url: String,
    /// The least-privilege service role's URL: what `serve --skip-migrations` runs as.
    pub service_url: String,
    database: String,
    roles: Vec<String>,
}

/// The roles file as shipped.
pub const ROLES_FILE: &str = include_str!("../../deploy/postgres-roles.sql");

/// Replaces whole identifiers (`nanbyo`, `nanbyo_owner`) in `sql`; `nanbyo_events` and the
/// like are other identifiers and stay.
fn rename_identifiers(sql: &str, renames: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        match renames.iter().find(|(from, _)| *from == word.as_str()) {
            Some((_, to)) => out.push_str(to),
            None => out.push_str(word),
        }
        word.clear();
    };
    for c in sql.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The statements of a part of the roles file, without comments.
fn statements(part: &str) -> Vec<String> {
    let text: String = part
        .lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    text.split(';')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// `url` with another user (and password) and database.
fn url_as(url: &str, user: &str, password: Option<&str>, db: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
    let host_and_path = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let host = host_and_path.split('/').next().unwrap_or(host_and_path);
    match password {
        Some(p) => format!("{scheme}://{user}:{p}@{host}/{db}"),
        None => format!("{scheme}://{user}@{host}/{db}"),
    }
}

/// Runs `deploy/postgres-roles.sql` as an administrator would, under names of this test alone
/// (roles are global to the server): the statements before `\connect nanbyo` on the admin
/// connection, then `migrate` as the owner, then the statements after `\connect` as the owner
/// in the new database. Every statement of the file runs; none is left out or added.
pub async fn roles_database() -> RolesDatabase {
    use sqlx::{Connection, Executor};
    let name = format!("nanbyo_test_{}", uuid::Uuid::new_v4().simple());
    let owner = format!("{name}_owner");
    let file = rename_identifiers(ROLES_FILE, &[("nanbyo", &name), ("nanbyo_owner", &owner)]);
    let connect_line = format!("\\connect {name}");
    let (setup, grants) = file
        .split_once(&connect_line)
        .expect("the roles file connects to the new database before its grants");
    let mut passwords = std::collections::HashMap::new();
    let mut admin = sqlx::PgConnection::connect(&pg_admin_url())
        .await
        .expect("PostgreSQL must be running for the tests (scripts/test starts it)");
    for statement in statements(setup) {
        if let Some(rest) = statement.strip_prefix("CREATE ROLE ") {
            let role = rest.split_whitespace().next().expect("a role name");
            let password = rest
                .split_once("PASSWORD '")
                .and_then(|(_, p)| p.split_once('\''))
                .map(|(p, _)| p.to_owned());
            passwords.insert(role.to_owned(), password);
        }
        admin
            .execute(statement.as_str())
            .await
            .unwrap_or_else(|e| panic!("roles file: {statement}: {e}"));
    }
    let url_of = |role: &str| {
        url_as(
            &pg_admin_url(),
            role,
            passwords
                .get(role)
                .unwrap_or_else(|| panic!("the roles file creates {role}"))
                .as_deref(),
            &name,
        )
    };
    let (owner_url, service_url) = (url_of(&owner), url_of(&name));
    // The owner migrates (`nanbyo migrate` as nanbyo_owner).
    eventstore::open(
        &owner_url,
        Arc::new(EventCatalog::registry()),
        OpenOptions::default(),
    )
    .await
    .expect("the owner migrates");
    let mut as_owner = sqlx::PgConnection::connect(&owner_url)
        .await
        .expect("connect as the owner");
    for statement in statements(grants) {
        as_owner
            .execute(statement.as_str())
            .await
            .unwrap_or_else(|e| panic!("roles file: {statement}: {e}"));
    }
    RolesDatabase {
        owner_url,
        service_url,
        database: name.clone(),
        roles: vec![name, owner],
    }
}

impl RolesDatabase {
    /// Drops the database and the roles (roles outlive databases; a failed test leaves
    /// `nanbyo_test_*` roles that `scripts/test` drops).
    pub async fn drop_all(self) {
        use sqlx::{Connection, Executor};
        let mut admin = sqlx::PgConnection::connect(&pg_admin_url())
            .await
            .expect("connect");
        admin
            .execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.database).as_str())
            .await
            .expect("drop database");
        for role in &self.roles {
            admin
                .execute(format!("DROP ROLE IF EXISTS {role}").as_str())
                .await
                .expect("drop role");
        }
    }
}
