//! The history inquiry (履歴照会) over HTTP on both backends: a form's history lists every
//! change with actor, role, reason and item old → new with labels, and the reads; it exports
//! as CSV; the diff between two versions; the auditor's history of a patient; nothing of the
//! patient's identity or the アクセスキー in any of it; and the refused attempts: recorded for
//! the auditors of the record's program, answered exactly as a record that does not exist.

mod support;

use api::provision::{Provisioner, Who};
use domain::{Program, Role};
use eventstore::{EventStore, StreamId};
use nanbyo_tests::Db;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use support::spawn_with_store;

const HOSPITAL: &str = "0110113719";

fn new_form() -> Value {
    json!({
        "disease": "6", "application": "new", "purpose": "subsidy", "institution": HOSPITAL,
        "jurisdiction": "010006", "research_consent": true,
        "patient": {
            "name_kanji": "履歴 花子", "name_kana": "リレキ ハナコ", "birth_date": "1951-02-03",
            "sex": "female", "address": "小樽市花園9丁目", "municipality": "012025",
            "insurer_number": "06135911", "insured_symbol_number": "記号77・番号88",
            "recipient_number": null
        },
        "items": {
            "basic.onset_ym": "2019-06", "basic.diagnosis_ym": "2020-02",
            "dx.parkinsonism": true, "dx.imaging_no_cause": true,
            "dx.no_drug_toxin_exposure": true, "dx.antiparkinson_response": true,
            "sev.hoehn_yahr": "2", "sev.daily_life_disability": "2"
        }
    })
}

struct Api {
    base: String,
    client: Client,
}

impl Api {
    async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }
    async fn get_text(&self, path: &str, token: &str) -> (StatusCode, String) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        (r.status(), r.text().await.expect("text"))
    }
    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let (s, t) = self.get_text(path, token).await;
        (
            s,
            serde_json::from_str(&t).unwrap_or_else(|_| panic!("{path}: {t}")),
        )
    }
    /// A GET from a client address (as a proxy says it in X-Forwarded-For).
    async fn get_from(&self, path: &str, token: &str, origin: &str) -> (StatusCode, Value) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("x-forwarded-for", origin)
            .send()
            .await
            .expect("request");
        let status = r.status();
        let text = r.text().await.expect("text");
        (
            status,
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: {text}")),
        )
    }
    /// GET `path` until `done` holds for the answer (a view may lag an append; an attempt's
    /// record is appended after its answer): at most 10 s, then the last answer.
    async fn get_until(&self, path: &str, token: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let (s, v) = self.get(path, token).await;
            assert_eq!(s, StatusCode::OK, "{path}: {v}");
            if done(&v) || tokio::time::Instant::now() >= deadline {
                return v;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }
}

/// The service on `db` with the test hospital registered by the operator.
async fn service(db: Db) -> (Api, Provisioner) {
    let (api, accounts, _) = service_with_store(db).await;
    (api, accounts)
}

async fn service_with_store(db: Db) -> (Api, Provisioner, std::sync::Arc<dyn EventStore>) {
    let (base, _, store) = spawn_with_store(db).await;
    let store_ = store.clone();
    let accounts = Provisioner::new(store);
    let api = Api {
        base,
        client: Client::new(),
    };
    let operator = accounts.token(&Who::new(Role::Operator)).await.expect("op");
    let (s, _) = api
        .post(
            "/api/masters/institutions",
            &operator,
            json!({"code": HOSPITAL, "name": "札幌中央病院"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    (api, accounts, store_)
}

async fn a_forms_history_tells_who_changed_what_and_why(db: Db) {
    let (api, accounts) = service(db).await;
    let doctor = accounts
        .login(&Who::new(Role::DesignatedDoctor).at(HOSPITAL))
        .await
        .expect("doctor");
    let staff = accounts
        .login(&Who::new(Role::MunicipalityStaff).of("010006"))
        .await
        .expect("staff");
    let auditor = accounts
        .token(&Who::new(Role::Auditor))
        .await
        .expect("auditor");

    let (s, created) = api.post("/api/forms", &doctor.token, new_form()).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let (s, edited) = api
        .post(
            &format!("/api/forms/{id}/items"),
            &doctor.token,
            json!({"items": {"sev.hoehn_yahr": "3"}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{edited}");
    let (s, submitted) = api
        .post(&format!("/api/forms/{id}/submit"), &doctor.token, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{submitted}");
    let (_, form) = api.get(&format!("/api/forms/{id}"), &doctor.token).await;
    let access_key = form["access_key"].as_str().expect("key").to_owned();
    let (s, _) = api
        .post(
            &format!("/api/forms/{id}/receive"),
            &staff.token,
            json!({"access_key": access_key}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, corrected) = api
        .post(
            &format!("/api/forms/{id}/corrections"),
            &staff.token,
            json!({"items": {"sev.daily_life_disability": "3"}, "reason": "申請書の記載に合わせて修正"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{corrected}");

    let (s, history) = api.get(&format!("/api/forms/{id}/history"), &auditor).await;
    assert_eq!(s, StatusCode::OK, "{history}");
    let entries = history["entries"].as_array().expect("entries");
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for wanted in [
        "FormDrafted",
        "ItemsEdited",
        "FormSubmitted",
        "FormReceived",
        "DataCorrected",
        "FormRead",
    ] {
        assert!(
            actions.contains(&wanted),
            "{wanted} missing from {actions:?}"
        );
    }
    let positions: Vec<i64> = entries
        .iter()
        .map(|e| e["position"].as_i64().unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "chronological");
    let edit = entries
        .iter()
        .find(|e| e["action"] == "ItemsEdited")
        .unwrap();
    assert_eq!(edit["actor"], doctor.account_id.as_str());
    assert_eq!(edit["role"], "designated_doctor");
    let change = &edit["details"]["changes"][0];
    assert_eq!(change["item"], "sev.hoehn_yahr");
    assert_eq!(change["old"], "2");
    assert_eq!(change["new"], "3");
    assert!(
        change["label"].as_str().is_some_and(|l| !l.is_empty()),
        "{change}"
    );
    let correction = entries
        .iter()
        .find(|e| e["action"] == "DataCorrected")
        .unwrap();
    assert_eq!(correction["reason"], "申請書の記載に合わせて修正");
    assert_eq!(correction["role"], "municipality_staff");

    // Nothing of the patient's identity, nor the access key, in the history or its CSV.
    let (s, csv) = api
        .get_text(&format!("/api/forms/{id}/history?format=csv"), &auditor)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(csv.starts_with('\u{feff}'), "CSV with a BOM");
    assert!(csv.contains("sev.hoehn_yahr") && csv.contains("申請書の記載に合わせて修正"));
    let json_text = history.to_string();
    for secret in [
        "履歴 花子",
        "リレキ",
        "1951-02-03",
        "花園9丁目",
        "06135911",
        "記号77",
        &access_key,
    ] {
        assert!(!json_text.contains(secret), "{secret} in the history");
        assert!(!csv.contains(secret), "{secret} in the CSV");
    }

    // Looking at the history is itself a recorded read.
    let (_, again) = api.get(&format!("/api/forms/{id}/history"), &auditor).await;
    let reads = |h: &Value| {
        h["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "FormRead" && e["details"]["what"] == "history")
            .count()
    };
    // The first answer already lists its own read; the CSV export and this one add two.
    assert_eq!(reads(&history), 1);
    assert_eq!(reads(&again), 3);

    // The diff between the draft and the corrected version.
    let (_, now) = api.get(&format!("/api/forms/{id}"), &auditor).await;
    let last = now["version"].as_u64().unwrap();
    let (s, diff) = api
        .get(&format!("/api/forms/{id}/diff?from=1&to={last}"), &auditor)
        .await;
    assert_eq!(s, StatusCode::OK, "{diff}");
    let fields: Vec<&str> = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"items.sev.hoehn_yahr"), "{diff}");
    assert!(
        fields.contains(&"items.sev.daily_life_disability"),
        "{diff}"
    );
    assert!(fields.contains(&"status"), "{diff}");
    assert!(
        !fields.contains(&"items.basic.onset_ym"),
        "unchanged items are not listed"
    );
    let (s, bad) = api
        .get(&format!("/api/forms/{id}/diff?from=1&to=999"), &auditor)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let (s, _) = api
        .get(&format!("/api/forms/{id}/diff?from=x&to=2"), &auditor)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // The auditor's history of the patient: a second form of the same patient shows too.
    let (s, second) = api.post("/api/forms", &doctor.token, new_form()).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, patient) = api
        .get(&format!("/api/history?patient_of_form={id}"), &auditor)
        .await;
    assert_eq!(s, StatusCode::OK, "{patient}");
    let forms: std::collections::BTreeSet<&str> = patient["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["form_id"].as_str())
        .collect();
    assert!(forms.contains(id.as_str()) && forms.contains(second["id"].as_str().unwrap()));
    let (s, _) = api
        .get(&format!("/api/history?patient_of_form={id}"), &doctor.token)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // An account's own trail.
    let (s, mine) = api
        .get(
            &format!("/api/history?account={}", doctor.account_id),
            &doctor.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(mine["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "ItemsEdited"));
    let (s, _) = api.get("/api/history", &auditor).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_a_forms_history_tells_who_changed_what_and_why() {
    a_forms_history_tells_who_changed_what_and_why(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_a_forms_history_tells_who_changed_what_and_why() {
    a_forms_history_tells_who_changed_what_and_why(Db::Sqlite).await;
}

/// 患者情報の訂正: the corrected patient is what the form shows, what the search finds and
/// whose history the form is in; the history names the fields that changed, never their values.
async fn a_corrected_patient_follows_the_form_everywhere(db: Db) {
    let (api, accounts) = service(db).await;
    let doctor = accounts
        .login(&Who::new(Role::DesignatedDoctor).at(HOSPITAL))
        .await
        .expect("doctor");
    let auditor = accounts
        .token(&Who::new(Role::Auditor))
        .await
        .expect("auditor");
    let (s, created) = api.post("/api/forms", &doctor.token, new_form()).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    // A read before the correction: the read audit must still list it under the patient.
    let (s, _) = api.get(&format!("/api/forms/{id}"), &doctor.token).await;
    assert_eq!(s, StatusCode::OK);

    let mut corrected = new_form()["patient"].clone();
    corrected["name_kana"] = json!("リレキ ハナヨ");
    corrected["name_kanji"] = json!("履歴 花代");
    corrected["address"] = json!("小樽市稲穂3丁目");
    let path = format!("/api/forms/{id}/patient");
    // Moving to 札幌市 would take the form out of 北海道's jurisdiction: refused, nothing kept.
    let mut to_sapporo = corrected.clone();
    to_sapporo["municipality"] = json!("011002");
    let (s, refused) = api
        .post(&path, &doctor.token, json!({"patient": to_sapporo}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let (s, changed) = api
        .post(&path, &doctor.token, json!({"patient": corrected}))
        .await;
    assert_eq!(s, StatusCode::OK, "{changed}");
    let (s, again) = api
        .post(&path, &doctor.token, json!({"patient": corrected}))
        .await;
    assert_eq!(
        (s, again["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unchanged"))
    );

    let (_, form) = api.get(&format!("/api/forms/{id}"), &doctor.token).await;
    assert_eq!(form["patient"]["name_kana"], "リレキ ハナヨ", "{form}");
    // The form as it was before the change still has the drafted name.
    let (_, before) = api
        .get(&format!("/api/forms/{id}?version=2"), &doctor.token)
        .await;
    assert_eq!(before["patient"]["name_kana"], "リレキ ハナコ", "{before}");
    // The diff across the correction lists the patient's fields, old → new (a recorded read).
    let (s, diff) = api
        .get(&format!("/api/forms/{id}/diff?from=2&to=3"), &doctor.token)
        .await;
    assert_eq!(s, StatusCode::OK, "{diff}");
    let fields: Vec<&str> = diff["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        ["patient.address", "patient.name_kana", "patient.name_kanji"]
    );

    // Who read this patient: the four reads of the doctor (before the correction, after it, of
    // the earlier version, the diff), all under the corrected patient. The view may lag.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let reads = loop {
        let (s, reads) = api
            .get(&format!("/api/audit/reads?form={id}"), &auditor)
            .await;
        assert_eq!(s, StatusCode::OK, "{reads}");
        let by_doctor = reads["reads"]
            .as_array()
            .expect("reads")
            .iter()
            .filter(|r| r["account_id"] == doctor.account_id.as_str())
            .count();
        if by_doctor >= 4 || tokio::time::Instant::now() >= deadline {
            break by_doctor;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    };
    assert_eq!(reads, 4);

    // The search finds the form under the corrected kana only. Without `after_position` the
    // search reads its view as it is (each view follows the store on its own): wait for it.
    let ids = |v: &Value| -> Vec<String> {
        v["forms"]
            .as_array()
            .expect("forms")
            .iter()
            .filter_map(|f| {
                f["form_id"]
                    .as_str()
                    .or(f["id"].as_str())
                    .map(str::to_owned)
            })
            .collect()
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let found = loop {
        let (s, found) = api.get("/api/forms?kana=リレキハナヨ", &doctor.token).await;
        assert_eq!(s, StatusCode::OK, "{found}");
        if !ids(&found).is_empty() || tokio::time::Instant::now() >= deadline {
            break found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    };
    assert_eq!(ids(&found), std::slice::from_ref(&id));
    let (_, old) = api.get("/api/forms?kana=リレキハナコ", &doctor.token).await;
    assert!(ids(&old).is_empty(), "{old}");

    // The history names the fields, not the values; the patient's history (under the
    // corrected key) holds the whole form, the draft included.
    let (_, history) = api.get(&format!("/api/forms/{id}/history"), &auditor).await;
    let change = history["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["action"] == "PatientDataChanged")
        .expect("the change is in the history")
        .clone();
    assert_eq!(
        change["details"]["fields"],
        json!(["address", "name_kana", "name_kanji"])
    );
    let text = history.to_string();
    for secret in ["リレキ", "履歴 花", "小樽市稲穂"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let (s, patient) = api
        .get(&format!("/api/history?patient_of_form={id}"), &auditor)
        .await;
    assert_eq!(s, StatusCode::OK, "{patient}");
    let actions: Vec<&str> = patient["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["form_id"] == id.as_str())
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"FormDrafted") && actions.contains(&"PatientDataChanged"),
        "{actions:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_a_corrected_patient_follows_the_form_everywhere() {
    a_corrected_patient_follows_the_form_everywhere(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_a_corrected_patient_follows_the_form_everywhere() {
    a_corrected_patient_follows_the_form_everywhere(Db::Sqlite).await;
}

/// Hospital B, in Hokkaido too: only the institution differs.
const HOSPITAL_B: &str = "0110113727";

fn count(v: &Value, list: &str, pick: impl Fn(&Value) -> bool) -> usize {
    v[list]
        .as_array()
        .map_or(0, |l| l.iter().filter(|e| pick(e)).count())
}

fn refused(e: &Value) -> bool {
    e["action"] == "ReadRefused"
}

/// Every event of the store whose stream id or payload names `needle`.
async fn events_naming(store: &std::sync::Arc<dyn EventStore>, needle: &str) -> i64 {
    let sql = store.sql();
    let like = format!("%{needle}%");
    eventstore::on_sql!(&sql, reader, |p| {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM events WHERE stream_id = $1 OR CAST(payload AS TEXT) LIKE $2",
        )
        .bind(needle)
        .bind(&like)
        .fetch_one(p)
        .await
    })
    .expect("count events")
}

/// Issue 12 §4: a read of a form refused for its scope — another program, another institution,
/// a draft version for the municipality, the other program's auditor, a role that may not —
/// answers exactly as a form that does not exist, and is recorded: who, which form, when, from
/// where, which route, for the auditors of the form's program (read audit and histories,
/// marked as refused). An id that exists nowhere is recorded nowhere.
async fn refused_reads_of_a_form_are_recorded_for_its_auditors(db: Db) {
    let (api, accounts, store) = service_with_store(db).await;
    let operator = accounts.token(&Who::new(Role::Operator)).await.expect("op");
    let (s, _) = api
        .post(
            "/api/masters/institutions",
            &operator,
            json!({"code": HOSPITAL_B, "name": "小樽南病院"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let who = |w: Who| {
        let accounts = &accounts;
        async move { accounts.login(&w).await.expect("account") }
    };
    let doctor = who(Who::new(Role::DesignatedDoctor).at(HOSPITAL)).await;
    let staff = who(Who::new(Role::MunicipalityStaff).of("010006")).await;
    let auditor = who(Who::new(Role::Auditor)).await;
    let shoman_doctor = who(Who::new(Role::DesignatedDoctor)
        .program(Program::Shoman)
        .at(HOSPITAL))
    .await;
    let shoman_auditor = who(Who::new(Role::Auditor).program(Program::Shoman)).await;
    let other_doctor = who(Who::new(Role::DesignatedDoctor).at(HOSPITAL_B)).await;

    let (s, created) = api.post("/api/forms", &doctor.token, new_form()).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let (s, _) = api
        .post(&format!("/api/forms/{id}/submit"), &doctor.token, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, form) = api.get(&format!("/api/forms/{id}"), &doctor.token).await;
    let (s, _) = api
        .post(
            &format!("/api/forms/{id}/receive"),
            &staff.token,
            json!({"access_key": form["access_key"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    let random = uuid::Uuid::now_v7().to_string();
    let attempts = [
        (
            &shoman_doctor,
            "/api/forms/{id}",
            "198.51.100.1",
            "form",
            404,
        ),
        (
            &shoman_doctor,
            "/api/forms/{id}?version=1",
            "198.51.100.2",
            "form_as_of",
            404,
        ),
        (
            &shoman_doctor,
            "/api/forms/{id}/judgment",
            "198.51.100.3",
            "judgment",
            404,
        ),
        (
            &other_doctor,
            "/api/forms/{id}/history",
            "198.51.100.4",
            "history",
            404,
        ),
        (
            &other_doctor,
            "/api/forms/{id}/diff?from=1&to=2",
            "198.51.100.5",
            "diff",
            404,
        ),
        (
            &other_doctor,
            "/api/forms/{id}/scan",
            "198.51.100.6",
            "scan",
            404,
        ),
        // The municipality sees the form, but never as the draft it was.
        (
            &staff,
            "/api/forms/{id}?version=1",
            "198.51.100.7",
            "form_as_of",
            404,
        ),
        (
            &shoman_auditor,
            "/api/history?patient_of_form={id}",
            "198.51.100.8",
            "patient_history",
            404,
        ),
        (
            &shoman_auditor,
            "/api/audit/reads?form={id}",
            "198.51.100.9",
            "read_audit",
            404,
        ),
        // The form's own doctor, on an auditor's route.
        (
            &doctor,
            "/api/history?patient_of_form={id}",
            "198.51.100.10",
            "patient_history",
            403,
        ),
        (
            &doctor,
            "/api/audit/reads?form={id}",
            "198.51.100.11",
            "read_audit",
            403,
        ),
    ];
    for (caller, path, origin, what, status) in &attempts {
        let (s, body) = api
            .get_from(&path.replace("{id}", &id), &caller.token, origin)
            .await;
        assert_eq!(s.as_u16(), *status, "{path} ({what}): {body}");
        // Nothing tells the caller that the form exists: a random id is answered the same.
        let (s_random, random_body) = api
            .get_from(&path.replace("{id}", &random), &caller.token, origin)
            .await;
        assert_eq!((s_random, &random_body), (s, &body), "{path} ({what})");
    }
    // 前回値踏襲 from a form out of scope reads it too: refused and recorded, as a random id's.
    let carry_over = |from: &str| {
        let mut body = new_form();
        body["institution"] = json!(HOSPITAL_B);
        body["carry_over_from"] = json!(from);
        body
    };
    let (s, body) = api
        .post("/api/forms", &other_doctor.token, carry_over(&id))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    let (s_random, random_body) = api
        .post("/api/forms", &other_doctor.token, carry_over(&random))
        .await;
    assert_eq!((s_random, &random_body), (s, &body));
    let n = attempts.len() + 1;

    // The read audit of the patient lists each attempt, marked as refused, beside the reads.
    let reads = api
        .get_until(
            &format!("/api/audit/reads?form={id}"),
            &auditor.token,
            |v| count(v, "reads", |r| r["refused"] == true) >= n,
        )
        .await;
    assert_eq!(
        count(&reads, "reads", |r| r["refused"] == true),
        n,
        "{reads}"
    );
    for (caller, path, origin, what, _) in &attempts {
        assert!(
            reads["reads"].as_array().unwrap().iter().any(|r| {
                r["refused"] == true
                    && r["account_id"] == caller.account_id.as_str()
                    && r["origin"] == *origin
                    && r["what"] == *what
                    && r["form_id"] == id.as_str()
                    && r["read_at"].as_i64().is_some()
            }),
            "{path} ({what}) from {origin} is not in the read audit: {reads}"
        );
    }
    assert_eq!(
        count(&reads, "reads", |r| r["refused"] == true
            && r["account_id"] == other_doctor.account_id.as_str()
            && r["what"] == "carry_over"),
        1,
        "{reads}"
    );
    assert!(
        count(&reads, "reads", |r| r["refused"] == false
            && r["account_id"] == doctor.account_id.as_str()
            && r["what"] == "form")
            >= 1,
        "the doctor's own read is there, not refused: {reads}"
    );

    // The form's history, for its auditors: every attempt with who, role, route and origin.
    let history = api
        .get_until(&format!("/api/forms/{id}/history"), &auditor.token, |v| {
            count(v, "entries", refused) >= n
        })
        .await;
    assert_eq!(count(&history, "entries", refused), n, "{history}");
    assert!(
        history["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| refused(e))
            .all(|e| e["details"]["refused"] == true
                && e["form_id"] == id.as_str()
                && e["details"]["what"].is_string()
                && e["details"]["origin"].is_string()),
        "{history}"
    );
    let shoman_entry = history["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| refused(e) && e["actor"] == shoman_doctor.account_id.as_str())
        .expect("the 小慢 doctor's attempt");
    assert_eq!(shoman_entry["role"], "designated_doctor");
    // The patient's and the institution's history hold them too; the account's its own.
    for path in [
        format!("/api/history?patient_of_form={id}"),
        format!("/api/history?institution={HOSPITAL}"),
    ] {
        let h = api
            .get_until(&path, &auditor.token, |v| count(v, "entries", refused) >= n)
            .await;
        assert_eq!(count(&h, "entries", refused), n, "{path}: {h}");
    }
    let theirs = api
        .get_until(
            &format!("/api/history?account={}", shoman_doctor.account_id),
            &auditor.token,
            |v| count(v, "entries", refused) >= 3,
        )
        .await;
    assert_eq!(count(&theirs, "entries", refused), 3, "{theirs}");

    // Auditors of the other program never see them, not even for their own program's account;
    // nor do the form's readers, nor the callers in their own trail.
    let (_, h) = api
        .get(
            &format!("/api/history?account={}", shoman_doctor.account_id),
            &shoman_auditor.token,
        )
        .await;
    assert_eq!(count(&h, "entries", refused), 0, "{h}");
    assert!(!h.to_string().contains(&id), "{h}");
    let (_, h) = api
        .get(&format!("/api/forms/{id}/history"), &doctor.token)
        .await;
    assert_eq!(count(&h, "entries", refused), 0, "{h}");
    for caller in [&shoman_doctor, &other_doctor, &doctor] {
        let (s, mine) = api
            .get(
                &format!("/api/history?account={}", caller.account_id),
                &caller.token,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(count(&mine, "entries", refused), 0, "{mine}");
    }
    let (s, mine) = api
        .get(
            &format!("/api/history?account={}", other_doctor.account_id),
            &other_doctor.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(!mine.to_string().contains(&id), "{mine}");

    // In the store: one event per attempt, on the form's read record; none for the random id.
    let stream = StreamId::new("form_reads", &id).expect("stream");
    let recorded = store.read_stream(&stream, 1).await.expect("read");
    assert_eq!(
        recorded
            .iter()
            .filter(|e| e.event_type == "ReadRefused")
            .count(),
        n
    );
    assert_eq!(events_naming(&store, &random).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_refused_reads_of_a_form_are_recorded_for_its_auditors() {
    refused_reads_of_a_form_are_recorded_for_its_auditors(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_refused_reads_of_a_form_are_recorded_for_its_auditors() {
    refused_reads_of_a_form_are_recorded_for_its_auditors(Db::Sqlite).await;
}

/// Issue 12 §4, the histories of accounts and institutions: asking for another account's or an
/// institution's history without being an auditor is refused (403, as before) and recorded
/// for the auditors of the record's program; an account or institution that does not exist is
/// answered the same and recorded nowhere.
async fn refused_histories_of_accounts_and_institutions_are_recorded(db: Db) {
    let (api, accounts, store) = service_with_store(db).await;
    let doctor = accounts
        .login(&Who::new(Role::DesignatedDoctor).at(HOSPITAL))
        .await
        .expect("doctor");
    let colleague = accounts
        .create(&Who::new(Role::DesignatedDoctor).at(HOSPITAL))
        .await
        .expect("colleague");
    let shoman_doctor = accounts
        .login(
            &Who::new(Role::DesignatedDoctor)
                .program(Program::Shoman)
                .at(HOSPITAL),
        )
        .await
        .expect("小慢 doctor");
    let auditor = accounts
        .token(&Who::new(Role::Auditor))
        .await
        .expect("auditor");
    let shoman_auditor = accounts
        .token(&Who::new(Role::Auditor).program(Program::Shoman))
        .await
        .expect("小慢 auditor");
    let nobody = uuid::Uuid::new_v4().to_string();
    let attempts = [
        (
            &doctor,
            format!("/api/history?account={}", colleague.account_id),
            format!("/api/history?account={nobody}"),
            "198.51.100.21",
        ),
        (
            &shoman_doctor,
            format!("/api/history?account={}", colleague.account_id),
            format!("/api/history?account={nobody}"),
            "198.51.100.22",
        ),
        // Hospital B is a valid code, but not registered here.
        (
            &doctor,
            format!("/api/history?institution={HOSPITAL}"),
            format!("/api/history?institution={HOSPITAL_B}"),
            "198.51.100.23",
        ),
    ];
    for (caller, path, nowhere, origin) in &attempts {
        let (s, body) = api.get_from(path, &caller.token, origin).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}: {body}");
        let (s2, body2) = api.get_from(nowhere, &caller.token, origin).await;
        assert_eq!((s2, &body2), (s, &body), "{nowhere}");
    }

    let path = format!("/api/history?account={}", colleague.account_id);
    let h = api
        .get_until(&path, &auditor, |v| count(v, "entries", refused) >= 2)
        .await;
    let entries: Vec<&Value> = h["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| refused(e))
        .collect();
    assert_eq!(entries.len(), 2, "{h}");
    for (caller, origin) in [
        (&doctor, "198.51.100.21"),
        (&shoman_doctor, "198.51.100.22"),
    ] {
        assert!(
            entries
                .iter()
                .any(|e| e["actor"] == caller.account_id.as_str()
                    && e["account_id"] == colleague.account_id.as_str()
                    && e["details"]["what"] == "account_history"
                    && e["details"]["origin"] == origin
                    && e["details"]["refused"] == true),
            "{h}"
        );
    }
    let h = api
        .get_until(
            &format!("/api/history?institution={HOSPITAL}"),
            &auditor,
            |v| count(v, "entries", refused) >= 1,
        )
        .await;
    let entries: Vec<&Value> = h["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| refused(e))
        .collect();
    assert_eq!(entries.len(), 1, "{h}");
    assert_eq!(entries[0]["actor"], doctor.account_id.as_str());
    assert_eq!(entries[0]["details"]["what"], "institution_history");
    assert_eq!(entries[0]["institution"], HOSPITAL);
    // The caller's trail, for the auditor: both of the doctor's attempts.
    let h = api
        .get_until(
            &format!("/api/history?account={}", doctor.account_id),
            &auditor,
            |v| count(v, "entries", refused) >= 2,
        )
        .await;
    assert_eq!(count(&h, "entries", refused), 2, "{h}");
    // The 難病 colleague's record is not the 小慢 auditors' (not even the 小慢 doctor's attempt);
    // the callers see nothing of it.
    for path in [
        format!("/api/history?account={}", colleague.account_id),
        format!("/api/history?account={}", shoman_doctor.account_id),
    ] {
        let (_, h) = api.get(&path, &shoman_auditor).await;
        assert_eq!(count(&h, "entries", refused), 0, "{path}: {h}");
    }
    for caller in [&doctor, &shoman_doctor] {
        let (_, mine) = api
            .get(
                &format!("/api/history?account={}", caller.account_id),
                &caller.token,
            )
            .await;
        assert_eq!(count(&mine, "entries", refused), 0, "{mine}");
    }
    assert_eq!(events_naming(&store, &nobody).await, 0);
    assert_eq!(events_naming(&store, HOSPITAL_B).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_refused_histories_of_accounts_and_institutions_are_recorded() {
    refused_histories_of_accounts_and_institutions_are_recorded(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_refused_histories_of_accounts_and_institutions_are_recorded() {
    refused_histories_of_accounts_and_institutions_are_recorded(Db::Sqlite).await;
}
