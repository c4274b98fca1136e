//! The example 医療機関ユーザデータファイル in `examples/user-data-file/` (the ones
//! `docs/user-data-file.md` shows) register as documented, in each of their formats: the three
//! 難病 doctors go in, the 小慢 doctor is reported as an error of the `program` column, and the
//! same content in another format creates nothing twice.

mod support;

use api::provision::{Provisioner, Who};
use domain::Role;
use nanbyo_tests::Db;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use support::spawn_with_store;

const EXAMPLES: &[(&str, &str)] = &[
    ("user-data-file.utf8.csv", "csv_utf8"),
    ("user-data-file.utf8-bom.csv", "csv_utf8_bom"),
    ("user-data-file.sjis.csv", "csv_shift_jis"),
    ("user-data-file.xlsx", "xlsx"),
];

fn example(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/user-data-file")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn examples_register_as_documented(db: Db) {
    let (base, _, store) = spawn_with_store(db).await;
    let accounts = Provisioner::new(store);
    let client = Client::new();
    let operator = accounts
        .token(&Who::new(Role::Operator))
        .await
        .expect("operator");
    for (code, name) in [("0110113719", "札幌中央病院"), ("0110112349", "小樽病院")] {
        let r = client
            .post(format!("{base}/api/masters/institutions"))
            .bearer_auth(&operator)
            .json(&json!({"code": code, "name": name}))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::CREATED, "register {code}");
    }
    let admin = accounts
        .token(&Who::new(Role::MunicipalityAdmin).of("010006"))
        .await
        .expect("admin");
    let mut first_ids: Option<Vec<Value>> = None;
    for (file, format) in EXAMPLES {
        let r = client
            .post(format!("{base}/api/accounts/user-file"))
            .bearer_auth(&admin)
            .body(example(file))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::OK, "{file}");
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["format"], *format, "{file}: {body}");
        assert_eq!(body["rows"], 4, "{file}: {body}");
        let results = body["results"].as_array().expect("results");
        let rows: Vec<u64> = results.iter().map(|r| r["row"].as_u64().unwrap()).collect();
        assert_eq!(
            rows,
            [2, 3, 4, 5],
            "{file}: rows are numbered as in the file"
        );
        // The 小慢 doctor on row 5 is refused by a 難病 admin, on its program column.
        assert_eq!(results[3]["status"], "error", "{file}: {body}");
        assert_eq!(results[3]["errors"][0]["column"], "program", "{file}");
        assert_eq!(results[3]["errors"][0]["code"], "other_program", "{file}");
        let ids: Vec<Value> = results[..3]
            .iter()
            .map(|r| r["account_id"].clone())
            .collect();
        assert!(ids.iter().all(Value::is_string), "{file}: {body}");
        match &first_ids {
            None => {
                assert_eq!(body["created"], 3, "{file}: {body}");
                assert_eq!(body["notification"].as_array().map(Vec::len), Some(3));
                // The first doctor of each institution becomes its responsible person.
                let responsible: Vec<bool> = results[..3]
                    .iter()
                    .map(|r| r["responsible_person"] == true)
                    .collect();
                assert_eq!(responsible, [true, false, true], "{file}: {body}");
                first_ids = Some(ids);
            }
            Some(first) => {
                assert_eq!(body["created"], 0, "{file}: {body}");
                assert_eq!(body["already_registered"], 3, "{file}: {body}");
                assert_eq!(&ids, first, "{file}: the same accounts");
                assert_eq!(body["notification"].as_array().map(Vec::len), Some(0));
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn examples_register_as_documented_postgres() {
    examples_register_as_documented(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn examples_register_as_documented_sqlite() {
    examples_register_as_documented(Db::Sqlite).await;
}
