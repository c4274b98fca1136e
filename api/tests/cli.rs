//! The `nanbyo` binary as an operator runs it: the default embedded database, `migrate`,
//! `verify` with its exit codes, one-line failures with exit code 2, and a graceful stop on
//! SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use domain::institution::InstitutionEvent;
use domain::Role;
use eventstore::{ExpectedVersion, Metadata, NewEvent, StreamId};
use nanbyo_tests::{fresh_url, open_url, Db};

fn nanbyo() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nanbyo"));
    c.env_remove("DATABASE_URL").env_remove("RUST_LOG");
    c
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("run nanbyo");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("nanbyo-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn renamed(name: &str) -> NewEvent {
    NewEvent::from_domain(
        &InstitutionEvent::InstitutionRenamed { name: name.into() },
        Metadata::new("op-1", Role::Operator, None),
    )
    .expect("event")
}

async fn verify_reports(db: Db) {
    let url = fresh_url(db).await;
    let (code, out, _) = run(nanbyo().args(["migrate", "--database-url", &url]));
    assert_eq!(code, 0);
    assert!(out.starts_with("migrated"), "{out}");
    let (code, out, _) = run(nanbyo().arg("verify").env("DATABASE_URL", &url));
    assert_eq!((code, out.trim()), (0, "ok 0 events"));

    let store = open_url(&url).await;
    let s = StreamId::new("institution", "0110113719").expect("stream");
    for name in ["a", "b", "c"] {
        store
            .append(&s, ExpectedVersion::Any, vec![renamed(name)], None)
            .await
            .expect("append");
    }
    let (code, out, _) = run(nanbyo().arg("verify").env("DATABASE_URL", &url));
    assert_eq!((code, out.trim()), (0, "ok 3 events"));

    // Bypass the database's protection the way only a superuser could, and forge version 2.
    let forge = "UPDATE events SET payload = '{\"name\":\"forged\"}' WHERE version = 2";
    match db {
        Db::Postgres => {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&url).await.expect("connect");
            sqlx::query("SET session_replication_role = replica")
                .execute(&mut c)
                .await
                .expect("bypass");
            sqlx::query(forge).execute(&mut c).await.expect("forge");
        }
        Db::Sqlite => {
            use sqlx::Connection;
            let mut c = sqlx::SqliteConnection::connect(&url)
                .await
                .expect("connect");
            sqlx::query("DROP TRIGGER events_no_update")
                .execute(&mut c)
                .await
                .expect("bypass");
            sqlx::query(forge).execute(&mut c).await.expect("forge");
        }
    }
    let (code, out, _) = run(nanbyo().arg("verify").env("DATABASE_URL", &url));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("broken: stream institution/0110113719 version 2"),
        "{out}"
    );
}

#[tokio::test]
async fn verify_on_postgres_says_ok_then_names_the_forged_event() {
    verify_reports(Db::Postgres).await;
}

#[tokio::test]
async fn verify_on_sqlite_says_ok_then_names_the_forged_event() {
    verify_reports(Db::Sqlite).await;
}

fn assert_one_clean_line(stderr: &str) {
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[test]
fn a_malformed_database_url_exits_2_with_one_line() {
    for url in ["mysql://localhost/x", "postgres://u:p@[bad/db", "nonsense"] {
        let (code, _, err) = run(nanbyo().args(["migrate", "--database-url", url]));
        assert_eq!(code, 2, "{url}: {err}");
        assert_one_clean_line(&err);
        assert!(err.contains("DATABASE_URL"), "{err}");
    }
}

#[test]
fn an_unreachable_database_exits_2_without_revealing_the_password() {
    let (code, _, err) = run(nanbyo().arg("migrate").env(
        "DATABASE_URL",
        "postgres://registry:s3cret-pw@127.0.0.1:1/nanbyo",
    ));
    assert_eq!(code, 2, "{err}");
    assert_one_clean_line(&err);
    assert!(err.contains("cannot be reached"), "{err}");
    assert!(!err.contains("s3cret-pw"), "{err}");
}

#[tokio::test]
async fn a_locked_sqlite_file_exits_2_with_one_line() {
    use sqlx::Connection;
    let url = nanbyo_tests::fresh_sqlite_url();
    let (code, _, _) = run(nanbyo().args(["migrate", "--database-url", &url]));
    assert_eq!(code, 0);
    let mut holder = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("connect");
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut holder)
        .await
        .expect("lock");
    let started = Instant::now();
    let (code, _, err) = run(nanbyo().args(["migrate", "--database-url", &url]));
    assert_eq!(code, 2, "{err}");
    assert_one_clean_line(&err);
    assert!(err.contains("locked by another process"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30));
    sqlx::query("ROLLBACK")
        .execute(&mut holder)
        .await
        .expect("unlock");
}

/// `nanbyo serve` with no configuration at all: an SQLite file under ./nanbyo-data, health and
/// readiness answer, SIGTERM stops it cleanly.
#[tokio::test]
async fn serve_with_no_configuration_uses_the_embedded_store_and_stops_on_sigterm() {
    let dir = temp_dir();
    let mut child = nanbyo()
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .current_dir(&dir)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut addr = None;
    let mut lines = Vec::new();
    while addr.is_none() {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("serve logs its address");
        let json: serde_json::Value = serde_json::from_str(&line).expect("JSON log lines");
        if json["message"] == "serving" {
            addr = json["addr"].as_str().map(str::to_owned);
            assert_eq!(json["database"], "sqlite");
        }
        lines.push(line);
    }
    let addr = addr.expect("address");
    assert!(dir.join("nanbyo-data/nanbyo.db").exists());

    let client = reqwest::Client::new();
    let health = client
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    let ready: serde_json::Value = client
        .get(format!("http://{addr}/readyz"))
        .send()
        .await
        .expect("readyz")
        .json()
        .await
        .expect("json");
    assert_eq!(ready["status"], "ready");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "serve did not stop within 10 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(exit.code(), Some(0));
    let rest: Vec<String> = rx.try_iter().collect();
    assert!(rest.iter().any(|l| l.contains("\"stopped\"")), "{rest:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `accounts bootstrap-operator` as the least-privilege service role of
/// `deploy/postgres-roles.sql`, on a database its owner migrated: migrating first is refused
/// (the role may not change the schema), and `NANBYO_SKIP_MIGRATIONS=1` or `--skip-migrations`
/// skip it as they do for `serve`.
#[tokio::test]
async fn bootstrap_operator_as_the_service_role_skips_migrations() {
    let db = nanbyo_tests::roles_database().await;
    let bootstrap = |program: &str| {
        let mut c = nanbyo();
        c.args([
            "accounts",
            "bootstrap-operator",
            "--program",
            program,
            "--name",
            "運営 太郎",
        ])
        .env("DATABASE_URL", &db.service_url)
        .env_remove("NANBYO_SKIP_MIGRATIONS");
        c
    };
    let (code, out, err) = run(&mut bootstrap("nanbyo"));
    assert_eq!(code, 2, "the service role cannot migrate: {out} {err}");
    assert!(err.contains("migrated"), "{err}");

    let (code, out, err) = run(bootstrap("nanbyo").env("NANBYO_SKIP_MIGRATIONS", "1"));
    assert_eq!(code, 0, "{out} {err}");
    assert!(out.starts_with("login_id "), "{out}");
    assert!(out.contains("initial_password "), "{out}");

    let (code, out, err) = run(bootstrap("shoman").arg("--skip-migrations"));
    assert_eq!(code, 0, "{out} {err}");
    assert!(out.starts_with("login_id "), "{out}");
    db.drop_all().await;
}

/// `NANBYO_SKIP_MIGRATIONS=1` (as a deployment's environment file writes it) is understood by
/// `serve`: on a database nobody migrated it stops at the first table it needs, instead of
/// migrating (or refusing "1" as a value).
#[test]
fn serve_reads_skip_migrations_1_from_the_environment() {
    let dir = temp_dir();
    let url = format!("sqlite://{}", dir.join("empty.db").display());
    let (code, out, err) = run(nanbyo()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("DATABASE_URL", &url)
        .env("NANBYO_SKIP_MIGRATIONS", "1"));
    assert_eq!(code, 2, "{out} {err}");
    assert!(err.contains("no such table"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
