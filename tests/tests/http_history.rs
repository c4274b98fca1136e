//! The history inquiry (履歴照会) over HTTP on both backends: a form's history lists every
//! change with actor, role, reason and item old → new with labels, and the reads; it exports
//! as CSV; the diff between two versions; the auditor's history of a patient; nothing of the
//! patient's identity or the アクセスキー in any of it.

mod support;

use api::provision::{Provisioner, Who};
use domain::Role;
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
}

/// The service on `db` with the test hospital registered by the operator.
async fn service(db: Db) -> (Api, Provisioner) {
    let (base, _, store) = spawn_with_store(db).await;
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
    (api, accounts)
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

    // The search finds the form under the corrected kana only.
    let (s, found) = api.get("/api/forms?kana=リレキハナヨ", &doctor.token).await;
    assert_eq!(s, StatusCode::OK, "{found}");
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
