//! `nanbyo research extract` as an operator runs it on a PostgreSQL registry: the research view
//! is caught up in-process, the files land in --out with the digests it prints and records;
//! an account that is not an operator is refused with exit code 2 and nothing recorded.

use std::process::Command;

use api::provision::{Provisioner, Who};
use domain::{Program, Role};
use eventstore::StreamId;
use nanbyo_tests::{fresh_url, open_url, Db};
use sha2::{Digest, Sha256};

fn temp_dir(what: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("nanbyo-{what}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn extract(
    url: &str,
    login: &str,
    data: &std::path::Path,
    out: &std::path::Path,
) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_nanbyo"))
        .env_remove("RUST_LOG")
        .env_remove("NANBYO_PSEUDONYM_KEY")
        .env_remove("NANBYO_PSEUDONYM_KEY_FILE")
        .env("DATABASE_URL", url)
        .args([
            "research",
            "extract",
            "--operator",
            login,
            "--program",
            "nanbyo",
        ])
        .args([
            "--purpose",
            "CLI試験",
            "--approval",
            "CLI-1",
            "--disease",
            "6",
        ])
        .args([
            "--from",
            "2024-04-01",
            "--to",
            "2030-03-31",
            "--certified-only",
        ])
        .arg("--data-dir")
        .arg(data)
        .arg("--out")
        .arg(out)
        .output()
        .expect("run nanbyo");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[tokio::test]
async fn postgres_research_extract_from_the_command_line() {
    let url = fresh_url(Db::Postgres).await;
    let store = open_url(&url).await;
    // What `serve` does at its first start: the shipped disease master is in the store.
    commands::forms::publish_shipped(&store, &commands::forms::MasterCache::default())
        .await
        .expect("master");
    let accounts = Provisioner::new(store.clone());
    let operator = accounts
        .login(&Who::new(Role::Operator))
        .await
        .expect("operator");
    let auditor = accounts
        .login(&Who::new(Role::Auditor).program(Program::Nanbyo))
        .await
        .expect("auditor");
    let (data, out) = (temp_dir("data"), temp_dir("out"));

    let (code, stdout, stderr) = extract(&url, &auditor.login_id, &data, &out);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("not permitted"), "{stderr}");
    assert_eq!(std::fs::read_dir(&out).expect("out").count(), 0);

    let (code, stdout, stderr) = extract(&url, &operator.login_id, &data, &out);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let id = stdout
        .lines()
        .find_map(|l| l.strip_prefix("extract "))
        .expect("extract id")
        .to_owned();
    assert!(stdout.contains("rows 0"), "{stdout}");
    for format in ["csv", "parquet"] {
        let bytes = std::fs::read(out.join(format!("{id}.{format}"))).expect("file");
        let digest = hex::encode(Sha256::digest(&bytes));
        assert!(stdout.contains(&format!("sha256={digest}")), "{stdout}");
    }
    assert!(
        data.join("research.key").is_file(),
        "the research key is created beside the data"
    );
    assert!(
        !data.join("pseudonym.key").exists(),
        "an extract never needs the bus's pseudonym key"
    );
    let events = store
        .read_stream(&StreamId::new("research_extract", &id).expect("stream"), 1)
        .await
        .expect("read");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].metadata.actor, operator.account_id);
    assert_eq!(
        events[0].payload["filter"]["certified_only"],
        serde_json::json!(true)
    );
}
