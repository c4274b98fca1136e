//! Bulk imports over HTTP on both backends: the example files of `docs/imports.md` in every
//! format (hospital drafts, contractor forms, certification results matched by 受給者番号, the
//! old version's paper forms),
//! the same file twice applying nothing twice, bad files refused with nothing recorded, bad
//! rows rejected per row with their column while the good rows apply, and who may upload and
//! see a job.

mod support;

use std::time::Duration;

use api::provision::{Provisioner, Who};
use domain::Role;
use eventstore::EventStore;
use nanbyo_tests::Db;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;
use support::spawn_with_store;

const HOSPITAL: &str = "0110113719";
const OTHER_HOSPITAL: &str = "0110112349";

const FORMATS: &[(&str, &str)] = &[
    ("utf8.csv", "csv_utf8"),
    ("utf8-bom.csv", "csv_utf8_bom"),
    ("sjis.csv", "csv_shift_jis"),
    ("xlsx", "xlsx"),
    ("jsonl", "jsonl"),
];

fn example(kind: &str, suffix: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/imports")
        .join(kind)
        .join(format!("{kind}.{suffix}"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

struct Service {
    base: String,
    store: Arc<dyn EventStore>,
    client: Client,
    doctor: String,
    clerk: String,
    staff: String,
    operator: String,
    auditor: String,
    other_doctor: String,
}

async fn service(db: Db) -> Service {
    let (base, _, store) = spawn_with_store(db).await;
    let accounts = Provisioner::new(store.clone());
    let client = Client::new();
    let operator = accounts.token(&Who::new(Role::Operator)).await.expect("op");
    for (code, name) in [(HOSPITAL, "札幌中央病院"), (OTHER_HOSPITAL, "小樽病院")] {
        let r = client
            .post(format!("{base}/api/masters/institutions"))
            .bearer_auth(&operator)
            .json(&json!({"code": code, "name": name}))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    Service {
        doctor: accounts
            .token(&Who::new(Role::DesignatedDoctor).at(HOSPITAL))
            .await
            .expect("doctor"),
        clerk: accounts
            .token(&Who::new(Role::Clerk).at(HOSPITAL))
            .await
            .expect("clerk"),
        staff: accounts
            .token(&Who::new(Role::MunicipalityStaff).of("010006"))
            .await
            .expect("staff"),
        auditor: accounts
            .token(&Who::new(Role::Auditor))
            .await
            .expect("auditor"),
        other_doctor: accounts
            .token(&Who::new(Role::DesignatedDoctor).at(OTHER_HOSPITAL))
            .await
            .expect("other doctor"),
        operator,
        base,
        store,
        client,
    }
}

impl Service {
    async fn upload(
        &self,
        token: &str,
        kind: &str,
        query: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let r = self
            .client
            .post(format!("{}/api/imports/{kind}{query}", self.base))
            .bearer_auth(token)
            .body(body)
            .send()
            .await
            .expect("request");
        let status = r.status();
        (status, r.json().await.expect("json"))
    }

    async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        let status = r.status();
        (status, r.json().await.expect("json"))
    }

    /// The doctor submits `form`; returns the アクセスキー issued for it.
    async fn submit(&self, form: &str) -> String {
        let r = self
            .client
            .post(format!("{}/api/forms/{form}/submit", self.base))
            .bearer_auth(&self.doctor)
            .json(&json!({}))
            .send()
            .await
            .expect("submit");
        assert_eq!(r.status(), StatusCode::OK, "submit");
        let (_, submitted) = self.get(&self.doctor, &format!("/api/forms/{form}")).await;
        submitted["access_key"]
            .as_str()
            .expect("access key")
            .to_owned()
    }

    /// Uploads and waits for the job to end; returns its final status.
    async fn import(&self, token: &str, kind: &str, query: &str, body: Vec<u8>) -> Value {
        let (status, accepted) = self.upload(token, kind, query, body).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
        self.wait(token, accepted["job_id"].as_str().expect("job id"))
            .await
    }

    async fn wait(&self, token: &str, job: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let (status, body) = self.get(token, &format!("/api/imports/jobs/{job}")).await;
            if status == StatusCode::OK
                && matches!(body["status"].as_str(), Some("finished" | "failed"))
            {
                return body;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "job {job} did not end: {status} {body}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn rows(&self, token: &str, job: &str) -> Vec<Value> {
        let (status, body) = self
            .get(token, &format!("/api/imports/jobs/{job}/rows?limit=1000"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["rows"].as_array().expect("rows").clone()
    }

    async fn form_events(&self) -> usize {
        let mut n = 0;
        let mut after = 0;
        loop {
            let page = self.store.read_all(after, 10_000).await.expect("read");
            let Some(last) = page.last() else { break };
            after = last.position;
            n += page
                .iter()
                .filter(|e| e.stream.stream_type == "form")
                .count();
        }
        n
    }

    async fn import_events(&self) -> usize {
        let mut n = 0;
        let mut after = 0;
        loop {
            let page = self.store.read_all(after, 10_000).await.expect("read");
            let Some(last) = page.last() else { break };
            after = last.position;
            n += page
                .iter()
                .filter(|e| e.stream.stream_type == "import_job")
                .count();
        }
        n
    }
}

fn counts(job: &Value) -> (u64, u64, u64, u64) {
    (
        job["total"].as_u64().unwrap_or(u64::MAX),
        job["applied"].as_u64().unwrap_or(u64::MAX),
        job["unchanged"].as_u64().unwrap_or(u64::MAX),
        job["rejected"].as_u64().unwrap_or(u64::MAX),
    )
}

/// Every example format: hospital drafts; the same file again changes nothing; contractor
/// forms named after their contractor; the doctor submits, the municipality receives, and the
/// certification results apply to the right forms — twice uploaded, applied once.
async fn examples_import_as_documented(db: Db) {
    for (suffix, format) in FORMATS {
        let s = service(db).await;
        let job = s
            .import(
                &s.doctor,
                "hospital",
                "?file_name=hospital.csv",
                example("hospital", suffix),
            )
            .await;
        assert_eq!(job["status"], "finished", "{suffix}: {job}");
        assert_eq!(job["format"], *format, "{suffix}");
        assert_eq!(counts(&job), (3, 3, 0, 0), "{suffix}: {job}");
        assert_eq!(job["progress"]["done"], 3);
        let rows = s.rows(&s.doctor, job["job_id"].as_str().unwrap()).await;
        assert_eq!(
            rows.iter()
                .map(|r| r["row"].as_u64().unwrap())
                .collect::<Vec<_>>(),
            if *suffix == "jsonl" {
                [1, 2, 3]
            } else {
                [2, 3, 4]
            },
            "{suffix}: rows numbered as in the file (JSON Lines: line numbers)"
        );
        assert!(
            rows.iter().all(|r| r["action"] == "created"),
            "{suffix}: {rows:?}"
        );
        let forms: Vec<String> = rows
            .iter()
            .map(|r| r["form_id"].as_str().expect("form").to_owned())
            .collect();
        // A draft, judged, marked as imported.
        let (status, form) = s.get(&s.doctor, &format!("/api/forms/{}", forms[0])).await;
        assert_eq!(status, StatusCode::OK, "{form}");
        assert_eq!(form["status"], "draft");
        assert_eq!(form["imported"]["external_ref"], "HIS-0001", "{form}");
        assert_eq!(form["imported"]["job"], job["job_id"]);
        assert_eq!(form["judgment"]["outcome"], "meets", "{form}");

        // The same file again: every row unchanged, no form event appended.
        let before = s.form_events().await;
        let again = s
            .import(&s.clerk, "hospital", "", example("hospital", suffix))
            .await;
        assert_eq!(counts(&again), (3, 0, 3, 0), "{suffix}: {again}");
        assert_eq!(
            s.form_events().await,
            before,
            "{suffix}: nothing appended twice"
        );

        // Contractor forms, by an operator, named after the contractor.
        let job = s
            .import(
                &s.operator,
                "contractor",
                "?contractor=%E6%A0%AA%E5%BC%8F%E4%BC%9A%E7%A4%BE%E5%85%A5%E5%8A%9B",
                example("contractor", suffix),
            )
            .await;
        assert_eq!(counts(&job), (2, 2, 0, 0), "{suffix}: {job}");
        assert_eq!(job["contractor"], "株式会社入力");
        let rows = s.rows(&s.operator, job["job_id"].as_str().unwrap()).await;
        let (_, draft) = s
            .get(
                &s.doctor,
                &format!("/api/forms/{}", rows[0]["form_id"].as_str().unwrap()),
            )
            .await;
        assert_eq!(draft["imported"]["contractor"], "株式会社入力", "{draft}");

        // The doctor submits the hospital forms; the municipality receives them.
        for form in &forms {
            let key = s.submit(form).await;
            let r = s
                .client
                .post(format!("{}/api/forms/{form}/receive", s.base))
                .bearer_auth(&s.staff)
                .json(&json!({"access_key": key}))
                .send()
                .await
                .expect("receive");
            assert_eq!(r.status(), StatusCode::OK, "receive");
        }
        // Certification results, matched by 受給者番号 (rows 2 and 3 of the hospital file).
        let job = s
            .import(
                &s.staff,
                "certification",
                "",
                example("certification", suffix),
            )
            .await;
        assert_eq!(counts(&job), (2, 2, 0, 0), "{suffix}: {job}");
        let rows = s.rows(&s.staff, job["job_id"].as_str().unwrap()).await;
        assert_eq!(rows[0]["form_id"], forms[1].as_str(), "{rows:?}");
        assert_eq!(rows[1]["form_id"], forms[2].as_str(), "{rows:?}");
        let (_, certified) = s.get(&s.staff, &format!("/api/forms/{}", forms[1])).await;
        assert_eq!(certified["status"], "decided", "{certified}");
        assert_eq!(certified["review"]["result"], "certified", "{certified}");
        assert_eq!(certified["review"]["from"], "2026-12-01");
        let (_, issued) = s.get(&s.staff, &format!("/api/forms/{}", forms[2])).await;
        assert_eq!(issued["review"]["result"], "certificate_issued", "{issued}");
        let before = s.form_events().await;
        let again = s
            .import(
                &s.staff,
                "certification",
                "",
                example("certification", suffix),
            )
            .await;
        assert_eq!(counts(&again), (2, 0, 2, 0), "{suffix}: {again}");
        assert_eq!(s.form_events().await, before);

        // The old version's paper forms, once the operator published the previous version.
        publish_old_version(&s).await;
        let job = s
            .import(&s.staff, "paper", "", example("paper", suffix))
            .await;
        assert_eq!(counts(&job), (2, 2, 0, 0), "{suffix}: {job}");
        let rows = s.rows(&s.staff, job["job_id"].as_str().unwrap()).await;
        let (_, paper) = s
            .get(
                &s.staff,
                &format!("/api/forms/{}", rows[0]["form_id"].as_str().unwrap()),
            )
            .await;
        assert_eq!(paper["status"], "received", "{paper}");
        assert_eq!(paper["form_version"], "2015-01-01");
    }
}

/// The operator publishes the previous form version (the same criteria under an older form
/// version name: no pre-2024 form ships with the registry).
async fn publish_old_version(s: &Service) {
    let mut old: Value = serde_json::to_value(
        domain::disease::shipped()
            .into_iter()
            .find(|d| d.program == domain::Program::Nanbyo && d.code == "6")
            .expect("6 is shipped"),
    )
    .expect("json");
    old["form_version"] = json!("2015-01-01");
    let r = s
        .client
        .post(format!("{}/api/masters/versions", s.base))
        .bearer_auth(&s.operator)
        .json(&json!({"version": "legacy-2015", "diseases": [old]}))
        .send()
        .await
        .expect("publish");
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn examples_import_as_documented_postgres() {
    examples_import_as_documented(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn examples_import_as_documented_sqlite() {
    examples_import_as_documented(Db::Sqlite).await;
}

const HEADER: &str = "external_ref,institution,disease,application,purpose,research_consent,\
patient_name_kanji,patient_name_kana,patient_birth_date,patient_sex,patient_address,\
patient_municipality,sev.hoehn_yahr,sev.daily_life_disability";

fn row(reference: &str, institution: &str, disease: &str, yahr: &str) -> String {
    format!(
        "{reference},{institution},{disease},new,subsidy,true,試験 患者,シケン カンジャ,1960-01-01,\
         female,小樽市花園2丁目,012025,{yahr},2"
    )
}

/// Files that cannot be imported are refused at upload with a code and a message in both
/// languages, and nothing is recorded.
async fn bad_files_are_refused(db: Db) {
    let s = service(db).await;
    let xlsx = example("hospital", "xlsx");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", vec![], "empty_file"),
        (
            "pdf renamed .csv",
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length 12 /Filter /FlateDecode >>\nstream\n\x78\x9c\x03\x00\x00\x00\x00\x01\nendstream\nendobj\n"
                .to_vec(),
            "not_a_table",
        ),
        ("truncated xlsx", xlsx[..xlsx.len() / 2].to_vec(), "unreadable_xlsx"),
        (
            "missing columns",
            "external_ref,institution\nA,0110113719\n".as_bytes().to_vec(),
            "header_mismatch",
        ),
        (
            "unknown column",
            format!("{HEADER},favourite_colour\n{}\n", row("A", HOSPITAL, "6", "3")).into_bytes(),
            "header_mismatch",
        ),
        (
            "no header row",
            format!("{}\n", row("A", HOSPITAL, "6", "3")).into_bytes(),
            "header_mismatch",
        ),
        (
            "invalid Shift_JIS",
            {
                let mut b = format!("{HEADER}\n").into_bytes();
                b.extend_from_slice(b"A,0110113719,6,new,subsidy,true,\x82\xa0\xff\xfe,x\n");
                b
            },
            "undetectable_encoding",
        ),
    ];
    for (what, body, code) in cases {
        let (status, error) = s.upload(&s.doctor, "hospital", "", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {error}");
        assert_eq!(error["details"]["file_error"], code, "{what}: {error}");
        assert!(
            !error["message"]["ja"].as_str().unwrap_or("").is_empty()
                && !error["message"]["en"].as_str().unwrap_or("").is_empty(),
            "{what}: {error}"
        );
    }
    // A header row with a person's data pasted into it, or a data row where the header should
    // be: the headers are named by column, quoted only when they cannot be a person's data
    // (as the user data file's wrong_headers does).
    let cases: Vec<(&str, String, &[&str], &[&str])> = vec![
        (
            "a name and a birth date pasted into the header",
            format!(
                "{HEADER},試験 患者,1960-01-01,favourite_colour\n{}\n",
                row("A", HOSPITAL, "6", "3")
            ),
            &["試験", "患者", "1960-01-01"],
            &[
                "O列",
                "P列",
                "Q列「favourite_colour」",
                "column O",
                "column Q \"favourite_colour\"",
            ],
        ),
        (
            "a doctor's row for a header, one cell naming a column",
            "external_ref,秘密 太郎,1951-02-03,taro@example.jp\nA,x,y,z\n".to_owned(),
            &["秘密", "太郎", "1951-02-03", "taro@example.jp"],
            &["B列", "C列", "D列", "column B", "column D"],
        ),
    ];
    for (what, body, personal, named) in cases {
        let (status, error) = s.upload(&s.doctor, "hospital", "", body.into_bytes()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {error}");
        assert_eq!(
            error["details"]["file_error"], "header_mismatch",
            "{what}: {error}"
        );
        let answer = error.to_string();
        for p in personal {
            assert!(!answer.contains(p), "{what}: {p} echoed: {answer}");
        }
        let messages = format!("{} {}", error["message"]["ja"], error["message"]["en"]);
        for n in named {
            let n = n.replace('"', "\\\"");
            assert!(messages.contains(&n), "{what}: {n} not named: {messages}");
        }
    }
    assert_eq!(
        s.import_events().await,
        0,
        "a refused upload records nothing"
    );
    assert_eq!(s.form_events().await, 0);
    // An unknown kind of import.
    let (status, error) = s.upload(&s.doctor, "everything", "", b"x".to_vec()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_files_are_refused_postgres() {
    bad_files_are_refused(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_files_are_refused_sqlite() {
    bad_files_are_refused(Db::Sqlite).await;
}

/// Each bad row is rejected with its row number, column, code and messages; the good rows
/// apply; the results come as JSON pages and as a CSV download.
async fn bad_rows_are_rejected_and_good_rows_apply(db: Db) {
    let s = service(db).await;
    let file = [
        HEADER.to_owned(),
        row("OK-1", HOSPITAL, "6", "3"),
        row("BAD-DISEASE", HOSPITAL, "999", "3"),
        row("BAD-ITEM", HOSPITAL, "6", "9"),
        row("BAD-CODE", "0110113710", "6", "3"),
        row("NOT-MINE", OTHER_HOSPITAL, "6", "3"),
        // A blank row counts as a row number but is not a row.
        String::new(),
        row("", HOSPITAL, "6", "3"),
        row("OK-2", HOSPITAL, "6", "4"),
        // The same reference again: the second row updates the first's draft.
        row("OK-2", HOSPITAL, "6", "5"),
    ]
    .join("\n");
    let job = s
        .import(
            &s.doctor,
            "hospital",
            "?file_name=mixed.csv",
            file.into_bytes(),
        )
        .await;
    assert_eq!(job["status"], "finished", "{job}");
    assert_eq!(job["file_name"], "mixed.csv");
    assert_eq!(counts(&job), (8, 3, 0, 5), "{job}");
    assert_eq!(
        job["valid"], 3,
        "validation counts the rows that can be applied: {job}"
    );
    let id = job["job_id"].as_str().unwrap();
    let rows = s.rows(&s.doctor, id).await;
    let by_row = |n: u64| {
        rows.iter()
            .find(|r| r["row"] == n)
            .unwrap_or_else(|| panic!("row {n}: {rows:?}"))
            .clone()
    };
    let error = |n: u64| by_row(n)["errors"][0].clone();
    assert_eq!(by_row(2)["outcome"], "applied");
    assert_eq!(error(3)["column"], "disease");
    assert_eq!(error(3)["code"], "unknown_disease");
    assert_eq!(error(4)["column"], "sev.hoehn_yahr");
    assert_eq!(error(4)["code"], "invalid_type");
    assert_eq!(error(5)["column"], "institution");
    assert_eq!(error(5)["code"], "invalid_institution_code");
    assert_eq!(error(6)["code"], "forbidden_institution");
    assert!(
        rows.iter().all(|r| r["row"] != 7),
        "the blank row 7 is not a row"
    );
    assert_eq!(error(8)["column"], "external_ref");
    assert_eq!(error(8)["code"], "missing_value");
    for n in [3, 4, 5, 6, 8] {
        let e = error(n);
        assert!(
            !e["message"]["ja"].as_str().unwrap_or("").is_empty()
                && !e["message"]["en"].as_str().unwrap_or("").is_empty(),
            "row {n}: {e}"
        );
        // No message quotes the row's personal data.
        for personal in ["シケン", "試験", "1960-01-01", "小樽市花園"] {
            assert!(!e.to_string().contains(personal), "row {n}: {e}");
        }
    }
    assert_eq!(by_row(9)["action"], "created");
    assert_eq!(by_row(10)["action"], "updated");
    assert_eq!(by_row(9)["form_id"], by_row(10)["form_id"]);
    let (_, form) = s
        .get(
            &s.doctor,
            &format!("/api/forms/{}", by_row(10)["form_id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(form["items"]["sev.hoehn_yahr"], "5", "{form}");

    // Only the rejected rows, and the CSV download.
    let (_, page) = s
        .get(
            &s.doctor,
            &format!("/api/imports/jobs/{id}/rows?outcome=rejected&limit=2"),
        )
        .await;
    let first: Vec<u64> = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["row"].as_u64().unwrap())
        .collect();
    assert_eq!(first, [3, 4], "{page}");
    let (_, page) = s
        .get(
            &s.doctor,
            &format!(
                "/api/imports/jobs/{id}/rows?outcome=rejected&limit=10&after={}",
                page["next_after"]
            ),
        )
        .await;
    let rest: Vec<u64> = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["row"].as_u64().unwrap())
        .collect();
    assert_eq!(rest, [5, 6, 8], "{page}");
    let r = s
        .client
        .get(format!("{}/api/imports/jobs/{id}/rows?format=csv", s.base))
        .bearer_auth(&s.doctor)
        .send()
        .await
        .expect("csv");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = r.text().await.expect("text");
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 1 + 8, "{text}");
    assert!(lines[2].starts_with("3,rejected,"), "{text}");
    assert!(lines[2].contains("unknown_disease"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rows_are_rejected_and_good_rows_apply_postgres() {
    bad_rows_are_rejected_and_good_rows_apply(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rows_are_rejected_and_good_rows_apply_sqlite() {
    bad_rows_are_rejected_and_good_rows_apply(Db::Sqlite).await;
}

/// Each use is for its role; a job is seen by its uploader and the program's auditors only;
/// a multipart upload names its file and contractor.
async fn uploads_and_jobs_are_scoped(db: Db) {
    let s = service(db).await;
    let file = || format!("{HEADER}\n{}\n", row("S-1", HOSPITAL, "6", "3")).into_bytes();
    for (token, kind) in [
        (&s.staff, "hospital"),
        (&s.doctor, "contractor"),
        (&s.doctor, "certification"),
        (&s.auditor, "hospital"),
        (&s.operator, "certification"),
    ] {
        let (status, error) = s.upload(token, kind, "", file()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{kind}: {error}");
    }
    // A contractor import must name its contractor.
    let (status, error) = s.upload(&s.operator, "contractor", "", file()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(s.import_events().await, 0);

    // Multipart, with the contractor as a text part.
    let boundary = "nanbyo-boundary-1";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"contractor\"\r\n\r\n入力センター\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"forms.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend(file());
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    let r = s
        .client
        .post(format!("{}/api/imports/contractor", s.base))
        .bearer_auth(&s.operator)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let accepted: Value = r.json().await.expect("json");
    let id = accepted["job_id"].as_str().unwrap().to_owned();
    let job = s.wait(&s.operator, &id).await;
    assert_eq!(job["file_name"], "forms.csv");
    assert_eq!(job["contractor"], "入力センター");
    assert_eq!(counts(&job), (1, 1, 0, 0), "{job}");
    // The doctor of the institution sees the contractor's draft and may submit it.
    let rows = s.rows(&s.operator, &id).await;
    let form = rows[0]["form_id"].as_str().unwrap();
    let (status, draft) = s.get(&s.doctor, &format!("/api/forms/{form}")).await;
    assert_eq!(status, StatusCode::OK, "{draft}");
    // Someone else's job does not exist for them; an auditor of the program reads it.
    let (status, _) = s.get(&s.doctor, &format!("/api/imports/jobs/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s
        .get(&s.other_doctor, &format!("/api/imports/jobs/{id}/rows"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s.get(&s.auditor, &format!("/api/imports/jobs/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let (_, mine) = s.get(&s.operator, "/api/imports").await;
    assert_eq!(mine["jobs"].as_array().map(Vec::len), Some(1), "{mine}");
    let (_, theirs) = s.get(&s.doctor, "/api/imports").await;
    assert_eq!(theirs["jobs"].as_array().map(Vec::len), Some(0), "{theirs}");

    // A retried upload with the same Idempotency-Key is the same job; the key with another
    // file is refused.
    let send = |body: Vec<u8>| {
        s.client
            .post(format!("{}/api/imports/hospital", s.base))
            .bearer_auth(&s.doctor)
            .header("idempotency-key", "upload-1")
            .body(body)
            .send()
    };
    let first: Value = send(file())
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let retry: Value = send(file())
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(first["job_id"], retry["job_id"], "{first} {retry}");
    assert_eq!(retry["duplicate"], true);
    let other = send(format!("{HEADER}\n{}\n", row("S-2", HOSPITAL, "6", "3")).into_bytes())
        .await
        .expect("request");
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_and_jobs_are_scoped_postgres() {
    uploads_and_jobs_are_scoped(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_and_jobs_are_scoped_sqlite() {
    uploads_and_jobs_are_scoped(Db::Sqlite).await;
}

/// Certification results matched by アクセスキー: a submitted form is received and reviewed in
/// one step; a wrong key, a result that does not fit the form's purpose and a form of another
/// jurisdiction are rejected per row; a file with only bad rows applies nothing.
async fn results_by_access_key(db: Db) {
    let s = service(db).await;
    let job = s
        .import(&s.doctor, "hospital", "", example("hospital", "utf8.csv"))
        .await;
    let rows = s.rows(&s.doctor, job["job_id"].as_str().unwrap()).await;
    let forms: Vec<String> = rows
        .iter()
        .map(|r| r["form_id"].as_str().unwrap().to_owned())
        .collect();
    let mut keys = vec![];
    for form in &forms {
        keys.push(s.submit(form).await);
    }
    let before = s.form_events().await;
    // Row 2: certified by key (form 1, submitted, not yet received); row 3: a key nobody has;
    // row 4: `certified` for the registrant-certificate-only form 3; row 5: a bad recipient
    // number; row 6: by 受給者番号 of form 2, which was never received.
    let file = format!(
        "access_key,recipient_number,result,period_from,period_to,reason\n\
         {},,認定,2026-12-01,2027-11-30,\n\
         ZZZZ2345ZZZZ,,certified,2026-12-01,2027-11-30,\n\
         {},,certified,2026-12-01,2027-11-30,\n\
         ,1234567,certified,2026-12-01,2027-11-30,\n\
         ,1234566,not_certified,,,重症度基準を満たさない\n",
        keys[0].to_lowercase(),
        keys[2]
    );
    let job = s
        .import(&s.staff, "certification", "", file.into_bytes())
        .await;
    assert_eq!(counts(&job), (5, 1, 0, 4), "{job}");
    let rows = s.rows(&s.staff, job["job_id"].as_str().unwrap()).await;
    assert_eq!(rows[0]["action"], "received_and_reviewed", "{rows:?}");
    assert_eq!(rows[0]["form_id"], forms[0].as_str());
    assert_eq!(rows[1]["errors"][0]["code"], "form_not_found", "{rows:?}");
    assert_eq!(rows[1]["errors"][0]["column"], "access_key");
    assert_eq!(rows[2]["errors"][0]["code"], "invalid_row", "{rows:?}");
    assert_eq!(
        rows[3]["errors"][0]["column"], "recipient_number",
        "{rows:?}"
    );
    assert_eq!(rows[4]["errors"][0]["code"], "form_not_found", "{rows:?}");
    // Form 1: received and decided; nothing else changed.
    let (_, decided) = s.get(&s.staff, &format!("/api/forms/{}", forms[0])).await;
    assert_eq!(decided["status"], "decided", "{decided}");
    assert_eq!(s.form_events().await, before + 2);
    // Staff of another jurisdiction find nothing.
    let accounts = Provisioner::new(s.store.clone());
    let tokyo = accounts
        .token(&Who::new(Role::MunicipalityStaff).of("130001"))
        .await
        .expect("tokyo staff");
    let file = format!(
        "access_key,result,period_from,period_to\n{},certified,2026-12-01,2027-11-30\n",
        keys[1]
    );
    let job = s
        .import(&tokyo, "certification", "", file.into_bytes())
        .await;
    assert_eq!(counts(&job), (1, 0, 0, 1), "{job}");
    let rows = s.rows(&tokyo, job["job_id"].as_str().unwrap()).await;
    assert_eq!(rows[0]["errors"][0]["code"], "form_not_found");
    assert_eq!(s.form_events().await, before + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_by_access_key_postgres() {
    results_by_access_key(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_by_access_key_sqlite() {
    results_by_access_key(Db::Sqlite).await;
}

/// 受付 by the アクセスキー alone (the key the `form_keys` view also serves certification results
/// with): the staff of the jurisdiction receive the form it belongs to; a second time is a
/// conflict of status; another jurisdiction's staff and an unknown key find nothing.
async fn receiving_by_access_key_alone(db: Db) {
    let s = service(db).await;
    let job = s
        .import(&s.doctor, "hospital", "", example("hospital", "utf8.csv"))
        .await;
    let rows = s.rows(&s.doctor, job["job_id"].as_str().unwrap()).await;
    let form = rows[0]["form_id"].as_str().unwrap().to_owned();
    let key = s.submit(&form).await;
    let receive = |token: String, key: String| {
        let (client, base) = (s.client.clone(), s.base.clone());
        async move {
            let r = client
                .post(format!("{base}/api/forms/receive"))
                .bearer_auth(token)
                .json(&json!({"access_key": key}))
                .send()
                .await
                .expect("receive");
            let status = r.status();
            (status, r.json::<Value>().await.expect("json"))
        }
    };
    let accounts = Provisioner::new(s.store.clone());
    let tokyo = accounts
        .token(&Who::new(Role::MunicipalityStaff).of("130001"))
        .await
        .expect("tokyo staff");
    let (status, body) = receive(tokyo, key.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = receive(s.staff.clone(), "ZZZZ2345ZZZZ".into()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = receive(s.doctor.clone(), key.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // Typed in lower case from the paper: the same key.
    let (status, body) = receive(s.staff.clone(), format!(" {} ", key.to_lowercase())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], form.as_str());
    let (_, received) = s.get(&s.staff, &format!("/api/forms/{form}")).await;
    assert_eq!(received["status"], "received", "{received}");
    let (status, body) = receive(s.staff.clone(), key).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receiving_by_access_key_alone_postgres() {
    receiving_by_access_key_alone(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receiving_by_access_key_alone_sqlite() {
    receiving_by_access_key_alone(Db::Sqlite).await;
}

/// A malformed or unknown query parameter is a 400 in the API's error shape, not plain text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_query_strings_answer_in_the_error_shape() {
    let s = service(Db::Sqlite).await;
    for path in [
        "/api/imports?limit=many",
        "/api/imports?colour=blue",
        "/api/imports/jobs/x?after_position=-1",
        "/api/imports/jobs/x/rows?after=first",
        "/api/accounts?bogus=1",
    ] {
        let r = s
            .client
            .get(format!("{}{path}", s.base))
            .bearer_auth(&s.operator)
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        let body: Value = r
            .json()
            .await
            .unwrap_or_else(|e| panic!("{path}: not JSON: {e}"));
        assert_eq!(body["code"], "invalid_query", "{path}: {body}");
        assert!(
            !body["message"]["ja"].as_str().unwrap_or("").is_empty(),
            "{path}"
        );
    }
}

/// The old version's file upload (旧様式): municipality staff upload the paper forms they
/// reviewed and transcribed; each row becomes a paper form of the previous form version, received
/// at once, judged with its own version's rules, naming the uploaded file as its source; a row of
/// the current version or of another jurisdiction is rejected; other roles may not upload.
async fn paper_forms_by_file(db: Db) {
    let s = service(db).await;
    publish_old_version(&s).await;
    let header = HEADER.replace("disease,", "disease,form_version,");
    let paper_row = |reference: &str, version: &str, municipality: &str| {
        format!(
            "{reference},{OTHER_HOSPITAL},6,{version},new,subsidy,true,紙 患者,カミ カンジャ,\
             1955-05-05,male,小樽市,{municipality},3,2"
        )
    };
    let file = [
        header,
        paper_row("P-1", "2015-01-01", "012025"),
        paper_row("P-2", "2024-04-01", "012025"),
        // 千代田区: Tokyo's, not Hokkaido's.
        paper_row("P-3", "2015-01-01", "131016"),
    ]
    .join("\n");
    for token in [&s.doctor, &s.operator, &s.clerk] {
        let (status, _) = s
            .upload(token, "paper", "", file.clone().into_bytes())
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let job = s
        .import(&s.staff, "paper", "?file_name=paper.csv", file.into_bytes())
        .await;
    assert_eq!(counts(&job), (3, 1, 0, 2), "{job}");
    let rows = s.rows(&s.staff, job["job_id"].as_str().unwrap()).await;
    assert_eq!(rows[1]["errors"][0]["column"], "form_version", "{rows:?}");
    assert_eq!(rows[2]["errors"][0]["code"], "forbidden", "{rows:?}");
    let form = rows[0]["form_id"].as_str().unwrap();
    let (status, paper) = s.get(&s.staff, &format!("/api/forms/{form}")).await;
    assert_eq!(status, StatusCode::OK, "{paper}");
    assert_eq!(paper["status"], "received");
    assert_eq!(paper["form_version"], "2015-01-01");
    assert_eq!(paper["judged_with"]["form_version"], "2015-01-01");
    assert_eq!(paper["paper"]["sha256"], job["sha256"], "{paper}");
    assert_eq!(paper["imported"]["row"], 2);
    // Uploaded again: unchanged.
    let (_, again) = s
        .upload(&s.staff, "paper", "", {
            let header = HEADER.replace("disease,", "disease,form_version,");
            format!("{header}\n{}\n", paper_row("P-1", "2015-01-01", "012025")).into_bytes()
        })
        .await;
    let again = s.wait(&s.staff, again["job_id"].as_str().unwrap()).await;
    assert_eq!(counts(&again), (1, 0, 1, 0), "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_forms_by_file_postgres() {
    paper_forms_by_file(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_forms_by_file_sqlite() {
    paper_forms_by_file(Db::Sqlite).await;
}

/// A JSON Lines row with many keys the master does not know: at most 20 errors are kept (the
/// last one counting the rest), and a key that is not shaped like an item id is not repeated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_keeps_a_bounded_number_of_errors_and_no_odd_keys() {
    let s = service(Db::Sqlite).await;
    let mut line = json!({
        "external_ref": "J-1", "institution": HOSPITAL, "disease": "6", "application": "new",
        "purpose": "subsidy", "research_consent": true, "patient_name_kanji": "試験 患者",
        "patient_name_kana": "シケン カンジャ", "patient_birth_date": "1960-01-01",
        "patient_sex": "female", "patient_address": "小樽市花園2丁目",
        "patient_municipality": "012025",
        "鈴木花子": "1"
    });
    for i in 0..50 {
        line[format!("x.unknown_{i}")] = json!("1");
    }
    let job = s
        .import(&s.doctor, "hospital", "", format!("{line}\n").into_bytes())
        .await;
    assert_eq!(counts(&job), (1, 0, 0, 1), "{job}");
    let rows = s.rows(&s.doctor, job["job_id"].as_str().unwrap()).await;
    let errors = rows[0]["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 20, "{errors:?}");
    assert_eq!(errors[19]["code"], "more_errors");
    assert!(!rows[0].to_string().contains("鈴木花子"), "{rows:?}");
}

/// A certification result finds its form by the patient's 受給者番号 and by the one the
/// municipality recorded in the 行政記載欄, either.
async fn results_by_either_recipient_number(db: Db) {
    let s = service(db).await;
    let job = s
        .import(&s.doctor, "hospital", "", example("hospital", "utf8.csv"))
        .await;
    let rows = s.rows(&s.doctor, job["job_id"].as_str().unwrap()).await;
    let forms: Vec<String> = rows
        .iter()
        .map(|r| r["form_id"].as_str().unwrap().to_owned())
        .collect();
    let administrative = domain::codes::append_check_digit("456789");
    let other = domain::codes::append_check_digit("567890");
    // Form 1 has no number of the patient's; form 2's patient has 1234566.
    for (form, number) in [(&forms[0], &administrative), (&forms[1], &other)] {
        let key = s.submit(form).await;
        let r = s
            .client
            .post(format!("{}/api/forms/receive", s.base))
            .bearer_auth(&s.staff)
            .json(&json!({"access_key": key}))
            .send()
            .await
            .expect("receive");
        assert_eq!(r.status(), StatusCode::OK);
        let r = s
            .client
            .post(format!("{}/api/forms/{form}/administrative", s.base))
            .bearer_auth(&s.staff)
            .json(&json!({"fields": {"recipient_number": number}}))
            .send()
            .await
            .expect("administrative");
        assert_eq!(r.status(), StatusCode::OK);
    }
    let file = format!(
        "recipient_number,result,period_from,period_to\n\
         {administrative},certified,2026-12-01,2027-11-30\n\
         1234566,certified,2026-12-01,2027-11-30\n"
    );
    let job = s
        .import(&s.staff, "certification", "", file.into_bytes())
        .await;
    assert_eq!(counts(&job), (2, 2, 0, 0), "{job}");
    let rows = s.rows(&s.staff, job["job_id"].as_str().unwrap()).await;
    assert_eq!(rows[0]["form_id"], forms[0].as_str());
    assert_eq!(rows[1]["form_id"], forms[1].as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_by_either_recipient_number_postgres() {
    results_by_either_recipient_number(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_by_either_recipient_number_sqlite() {
    results_by_either_recipient_number(Db::Sqlite).await;
}

/// The job's status is the job's own stream, not a view that trails it (issue 12 §8): with the
/// projections stopped once the view knows the job, the job finishes in the store, and its
/// status says finished with every row counted — while the view still shows it unfinished.
async fn a_job_status_is_current_while_the_view_trails(db: Db) {
    let (store, _) = nanbyo_tests::fresh_store(db).await;
    let app = api::startup::Application::bind(
        &api::config::ServeArgs {
            listen: "127.0.0.1:0".parse().expect("addr"),
            skip_migrations: false,
            no_projections: true,
            secure_cookies: false,
            demo: false,
        },
        store.clone(),
    )
    .await
    .expect("bind")
    .with_data_dir(
        std::env::temp_dir().join(format!("nanbyo-test-{}", uuid::Uuid::new_v4().simple())),
    );
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(std::future::IntoFuture::into_future(
        app.run_until_stopped(std::future::pending()),
    ));
    // The projections, in this test's hands.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let runners = api::startup::spawn_projections(&store, stopped);
    let accounts = Provisioner::new(store.clone());
    let client = Client::new();
    let operator = accounts.token(&Who::new(Role::Operator)).await.expect("op");
    let r = client
        .post(format!("{base}/api/masters/institutions"))
        .bearer_auth(&operator)
        .json(&json!({"code": HOSPITAL, "name": "札幌中央病院"}))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::CREATED);
    let doctor = accounts
        .token(&Who::new(Role::DesignatedDoctor).at(HOSPITAL))
        .await
        .expect("doctor");

    // A file long enough that the job is still running when the view has its first event.
    const ROWS: usize = 3000;
    let example = String::from_utf8(example("hospital", "utf8.csv")).expect("utf8");
    let mut lines = example.lines();
    let header = lines.next().expect("header");
    let row = lines.next().expect("a row");
    let rest = row.split_once(',').expect("columns").1;
    let mut file = format!("{header}\n");
    for i in 0..ROWS {
        file.push_str(&format!("TRAIL-{i:05},{rest}\n"));
    }
    let r = client
        .post(format!("{base}/api/imports/hospital?file_name=trail.csv"))
        .bearer_auth(&doctor)
        .body(file)
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let accepted: Value = r.json().await.expect("json");
    let job = accepted["job_id"].as_str().expect("job id").to_owned();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let r = client
            .get(format!("{base}/api/imports/jobs/{job}"))
            .bearer_auth(&doctor)
            .send()
            .await
            .expect("status");
        if r.status() == StatusCode::OK {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the view never knew the job"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.send_replace(true);
    for r in runners {
        r.await.expect("projection stops");
    }

    // The job finishes in the store.
    let stream = eventstore::StreamId::new(domain::import_job::STREAM_TYPE, &job).expect("id");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let events = store.read_stream(&stream, 1).await.expect("read");
        if events
            .last()
            .is_some_and(|e| e.event_type == "ImportFinished")
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the job did not finish"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let sql = store.sql();
    let view: String = eventstore::on_sql!(&sql, reader, |p| {
        sqlx::query_scalar("SELECT status FROM import_jobs WHERE job_id = $1")
            .bind(&job)
            .fetch_one(p)
            .await
            .expect("view row")
    });
    assert_ne!(
        view, "finished",
        "the view caught up before it was stopped: make the file longer"
    );

    let r = client
        .get(format!("{base}/api/imports/jobs/{job}"))
        .bearer_auth(&doctor)
        .send()
        .await
        .expect("status");
    assert_eq!(r.status(), StatusCode::OK);
    let status: Value = r.json().await.expect("json");
    assert_eq!(status["status"], "finished", "{status}");
    assert_eq!(status["total"], ROWS, "{status}");
    assert_eq!(status["progress"]["done"], ROWS, "{status}");
    assert_eq!(status["progress"]["total"], ROWS, "{status}");
    assert_eq!(
        status["applied"].as_u64().unwrap_or(0)
            + status["unchanged"].as_u64().unwrap_or(0)
            + status["rejected"].as_u64().unwrap_or(0),
        ROWS as u64,
        "{status}"
    );
    let r = client
        .get(format!("{base}/api/imports"))
        .bearer_auth(&doctor)
        .send()
        .await
        .expect("list");
    let listed: Value = r.json().await.expect("json");
    assert_eq!(listed["jobs"][0]["status"], "finished", "{listed}");
    assert_eq!(listed["jobs"][0]["progress"]["done"], ROWS, "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_status_is_current_while_the_view_trails_postgres() {
    a_job_status_is_current_while_the_view_trails(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_status_is_current_while_the_view_trails_sqlite() {
    a_job_status_is_current_while_the_view_trails(Db::Sqlite).await;
}
