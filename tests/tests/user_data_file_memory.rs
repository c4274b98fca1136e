//! The 医療機関ユーザデータファイル is read streaming: an upload of the largest size the route
//! takes (16 MiB) raises the peak resident memory of the process (server and client alike: the
//! service runs in this test's process) by at most 64 MiB, whatever the file holds. Issue 12 §5
//! measured 1 GB for 15 MiB of commas.
//!
//! Its own test binary with one test, so that nothing else runs in the process while the peak
//! is measured: the peak (`VmHWM`) is reset through `/proc/self/clear_refs` before each upload.

mod support;

use api::provision::{Provisioner, Who};
use domain::Role;
use nanbyo_tests::Db;
use reqwest::{Client, StatusCode};
use support::spawn_with_store;

/// The route's body limit.
const MAX_SIZE: usize = 16 * 1024 * 1024;
/// The most one upload may add to the process's peak resident memory.
const BUDGET_KIB: u64 = 64 * 1024;

const HEADER: &str =
    "医療機関コード,制度,指定医番号,指定医種別,指定期間開始日,指定期間終了日,氏名\r\n";

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .expect("/proc/self/status")
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {field}"))
}

/// Resets the peak resident memory to the current one; returns the current one.
fn reset_peak() -> u64 {
    std::fs::write("/proc/self/clear_refs", "5").expect("reset VmHWM");
    status_kib("VmRSS:")
}

/// `prefix`, then `line` repeated up to exactly `MAX_SIZE` bytes.
fn file_of(prefix: &str, line: &str) -> Vec<u8> {
    let mut bytes = prefix.as_bytes().to_vec();
    while bytes.len() + line.len() <= MAX_SIZE {
        bytes.extend_from_slice(line.as_bytes());
    }
    bytes.resize(MAX_SIZE, b',');
    bytes
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_of_the_largest_size_takes_bounded_memory() {
    let (base, _, store) = spawn_with_store(Db::Sqlite).await;
    let accounts = Provisioner::new(store);
    let admin = accounts
        .token(&Who::new(Role::MunicipalityAdmin).of("010006"))
        .await
        .expect("admin");
    let client = Client::new();
    let files: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "16 MiB of commas on one line",
            vec![b','; MAX_SIZE],
            StatusCode::UNPROCESSABLE_ENTITY,
            "wrong_headers",
        ),
        (
            "lines of commas",
            file_of("", ",,,,,,\r\n"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_file",
        ),
        (
            "a header, then lines of commas",
            file_of(HEADER, ",,,,,,\r\n"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_file",
        ),
        (
            "a header of 16 MiB",
            file_of(HEADER.trim_end(), ",氏名"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "wrong_headers",
        ),
    ];
    let mut measured = vec![];
    for (what, bytes, status, code) in files {
        assert_eq!(bytes.len(), MAX_SIZE, "{what}");
        let before = reset_peak();
        let r = client
            .post(format!("{base}/api/accounts/user-file"))
            .bearer_auth(&admin)
            .body(bytes)
            .send()
            .await
            .expect("request");
        let answered = r.status();
        let body = r.bytes().await.expect("body");
        let growth = status_kib("VmHWM:").saturating_sub(before);
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        eprintln!(
            "{what}: peak RSS +{} MiB, {answered} {}, a {} byte answer",
            growth / 1024,
            json["code"],
            body.len()
        );
        measured.push((what, growth, answered, json, body.len(), status, code));
    }
    for (what, growth, answered, json, len, status, code) in measured {
        assert_eq!(
            (answered, json["code"].as_str()),
            (status, Some(code)),
            "{what}"
        );
        assert!(len < 16 * 1024, "{what}: a {len} byte answer");
        assert!(
            growth <= BUDGET_KIB,
            "{what}: the peak resident memory grew by {} MiB",
            growth / 1024
        );
    }
}
