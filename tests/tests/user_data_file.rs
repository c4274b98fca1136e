//! The 医療機関ユーザデータファイル as files written by hand arrive (issue 12 §5): full-width
//! digits in codes and dates, a title and notes above the header, a header with no rows, and a
//! file whose header row was left out — whose error must not echo the first doctor.

mod support;

use api::provision::{Provisioner, Who};
use domain::Role;
use nanbyo_tests::Db;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use support::spawn_with_store;

const HEADER: &str = "医療機関コード,制度,指定医番号,指定医種別,指定期間開始日,指定期間終了日,氏名";

async fn upload(client: &Client, base: &str, token: &str, text: &str) -> (StatusCode, Value) {
    let r = client
        .post(format!("{base}/api/accounts/user-file"))
        .bearer_auth(token)
        .body(text.as_bytes().to_vec())
        .send()
        .await
        .expect("request");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn files_written_by_hand(db: Db) {
    let (base, _, store) = spawn_with_store(db).await;
    let accounts = Provisioner::new(store);
    let client = Client::new();
    let operator = accounts
        .token(&Who::new(Role::Operator))
        .await
        .expect("operator");
    let r = client
        .post(format!("{base}/api/masters/institutions"))
        .bearer_auth(&operator)
        .json(&json!({"code": "0110113719", "name": "札幌中央病院"}))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::CREATED);
    let admin = accounts
        .token(&Who::new(Role::MunicipalityAdmin).of("010006"))
        .await
        .expect("admin");

    // Full-width digits in the institution code, the doctor number and the dates, as typed in
    // Excel with a Japanese input method: read as their ASCII digits.
    let text = format!(
        "{HEADER}\r\n０１１０１１３７１９,難病,０１－２０２４－０００１０１,難病指定医,２０２４／４／１,,札幌 一郎\r\n"
    );
    let (status, body) = upload(&client, &base, &admin, &text).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["results"][0]["status"], "created", "{body}");
    assert_eq!(
        body["notification"][0]["institution_code"], "0110113719",
        "{body}"
    );
    assert_eq!(body["notification"][0]["doctor_number"], "01-2024-000101");
    assert_eq!(body["header_row"], 1);

    // A title and a note above the header: the header is found, and the answer says where.
    let text = format!(
        "医療機関ユーザデータファイル（北海道）\r\n※ 指定期間終了日は空欄可\r\n{HEADER}\r\n\
         0110113719,難病,01-2024-000102,協力難病指定医,2024-04-01,,札幌 花子\r\n"
    );
    let (status, body) = upload(&client, &base, &admin, &text).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["header_row"], 3, "{body}");
    assert_eq!(body["rows"], 1, "{body}");
    assert_eq!(body["results"][0]["row"], 4, "{body}");
    assert_eq!(body["results"][0]["status"], "created", "{body}");

    // A header and nothing else: empty_file, as documented.
    let (status, body) = upload(&client, &base, &admin, &format!("{HEADER}\r\n")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("empty_file")),
        "{body}"
    );

    // The header row left out: the error names the expected columns, never the first doctor.
    let text = "0110113719,難病,01-2024-000199,難病指定医,2024-04-01,,道央 秘子\r\n";
    let (status, body) = upload(&client, &base, &admin, text).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("wrong_headers")),
        "{body}"
    );
    let answer = body.to_string();
    for personal in ["道央", "秘子", "01-2024-000199", "0110113719"] {
        assert!(!answer.contains(personal), "{personal} echoed: {answer}");
    }
    assert_eq!(
        body["details"]["file"]["columns"]["header_row"],
        Value::Null
    );
    assert_eq!(
        body["details"]["file"]["columns"]["unknown"],
        json!([]),
        "{body}"
    );

    // A header row with a person's data pasted into it: positions, no excerpt of the data.
    let text = format!("{HEADER},道央 秘子,01-2024-000199\r\n");
    let (status, body) = upload(&client, &base, &admin, &text).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["details"]["file"]["columns"]["unknown"],
        json!([{"column": "H"}, {"column": "I"}]),
        "{body}"
    );
    let answer = body.to_string();
    assert!(
        !answer.contains("秘子") && !answer.contains("000199"),
        "{answer}"
    );

    // More than 1,000 rows in error: the first 1,000 are listed, all are counted, and the
    // answer and the notification say that one was left out.
    let mut text = format!("{HEADER}\r\n");
    for _ in 0..1_001 {
        text += "x\r\n";
    }
    let (status, body) = upload(&client, &base, &admin, &text).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (&body["rows"], &body["errors"], &body["omitted_error_rows"]),
        (&json!(1_001), &json!(1_001), &json!(1)),
    );
    assert_eq!(body["results"].as_array().map(Vec::len), Some(1_000));
    assert_eq!(body["results"][999]["row"], 1_001);
    assert_eq!(body["error_codes"]["required"], 1_001);
    assert!(
        body["note"]["en"]
            .as_str()
            .is_some_and(|n| n.contains("first 1000")),
        "{}",
        body["note"]
    );
    let r = client
        .post(format!(
            "{base}/api/accounts/user-file?download=notification"
        ))
        .bearer_auth(&admin)
        .body(text.into_bytes())
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines.len(),
        1 + 1_000 + 1,
        "the header, the rows listed, the note"
    );
    assert!(lines[1_000].starts_with("1001,エラー,"), "{}", lines[1_000]);
    assert!(lines[1_001].starts_with(",省略,"), "{}", lines[1_001]);
}

#[tokio::test(flavor = "multi_thread")]
async fn files_written_by_hand_postgres() {
    files_written_by_hand(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn files_written_by_hand_sqlite() {
    files_written_by_hand(Db::Sqlite).await;
}
