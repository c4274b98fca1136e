//! The 医療機関ユーザデータファイル is read streaming: an upload of the largest size the route
//! takes (16 MiB) raises the peak resident memory of the process (server and client alike: the
//! service runs in this test's process) by at most 64 MiB, whatever the file holds. Issue 12 §5
//! measured 1 GB for 15 MiB of commas.
//!
//! Rows that are all errors are the case to watch: a header and then 16 MiB of lines of `x`
//! grew the process by 1.3 GB, every row's errors kept in full until the file ended in
//! `too_many_rows`. Only the first rows in error are listed in an answer
//! (`commands::accounts::LISTED_ERROR_ROWS`); the others are counted.
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

/// The largest answer expected for a refused file.
const SMALL: usize = 16 * 1024;
/// The largest answer expected for a file whose rows are all errors: the first
/// 1,000 rows in error, about a kilobyte each.
const LISTED: usize = 2 * 1024 * 1024;

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

/// An upload, and what it must be answered.
struct Case {
    what: &'static str,
    bytes: Vec<u8>,
    status: StatusCode,
    /// The error code, `None` for a 200.
    code: Option<&'static str>,
    /// The answer is shorter than this.
    max_len: usize,
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
    // The cases of rows in error come first: a case measured after another may reuse memory
    // the allocator kept from it, and these are the ones that grew by gigabytes.
    let files = [
        // About 5.6 million rows, each with six errors: refused once row 1,000,002 is reached.
        Case {
            what: "a header, then lines of x",
            bytes: file_of(HEADER, "x\r\n"),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: Some("too_many_rows"),
            max_len: SMALL,
        },
        // Just under the row limit (986,895 rows of 17 bytes), every one an error: a 200 that
        // lists the first rows in error and counts them all.
        Case {
            what: "a header, then a million rows in error",
            bytes: file_of(HEADER, "xxxxxxxxxxxxxxx\r\n"),
            status: StatusCode::OK,
            code: None,
            max_len: LISTED,
        },
        Case {
            what: "16 MiB of commas on one line",
            bytes: vec![b','; MAX_SIZE],
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: Some("wrong_headers"),
            max_len: SMALL,
        },
        Case {
            what: "lines of commas",
            bytes: file_of("", ",,,,,,\r\n"),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: Some("empty_file"),
            max_len: SMALL,
        },
        Case {
            what: "a header, then lines of commas",
            bytes: file_of(HEADER, ",,,,,,\r\n"),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: Some("empty_file"),
            max_len: SMALL,
        },
        Case {
            what: "a header of 16 MiB",
            bytes: file_of(HEADER.trim_end(), ",氏名"),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: Some("wrong_headers"),
            max_len: SMALL,
        },
    ];
    let mut measured = vec![];
    for Case {
        what,
        bytes,
        status,
        code,
        max_len,
    } in files
    {
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
        measured.push((
            what,
            growth,
            answered,
            json,
            body.len(),
            status,
            code,
            max_len,
        ));
    }
    for (what, growth, answered, json, len, status, code, max_len) in measured {
        assert_eq!((answered, json["code"].as_str()), (status, code), "{what}");
        assert!(len < max_len, "{what}: a {len} byte answer");
        if answered == StatusCode::OK {
            // Every row counted, the first 1,000 listed, the rest said to be left out.
            let rows = (MAX_SIZE - HEADER.len()) / "xxxxxxxxxxxxxxx\r\n".len();
            assert_eq!(json["rows"], rows, "{what}");
            assert_eq!(json["errors"], rows, "{what}");
            assert_eq!(json["created"], 0, "{what}");
            assert_eq!(
                json["results"].as_array().map(Vec::len),
                Some(1000),
                "{what}"
            );
            assert_eq!(json["results"][0]["row"], 2, "{what}");
            assert_eq!(json["results"][999]["row"], 1001, "{what}");
            assert_eq!(json["omitted_error_rows"], rows - 1000, "{what}");
            assert_eq!(
                json["error_codes"]["invalid_institution_code"], rows,
                "{what}"
            );
            assert!(
                json["note"]["ja"].is_string() && json["note"]["en"].is_string(),
                "{what}"
            );
        }
        assert!(
            growth <= BUDGET_KIB,
            "{what}: the peak resident memory grew by {} MiB",
            growth / 1024
        );
    }
}
