//! Forms over HTTP, as a doctor, a clerk, a municipality and an auditor would use them: the
//! machine judgment on every save, If-Match and Idempotency-Key, per-item errors, scoping,
//! and reading a form as it was.

mod support;

use api::provision::{Provisioner, Who};
use domain::Role;
use nanbyo_tests::Db;
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use support::spawn_with_store;

const HOSPITAL: &str = "0110113719";
const OTHER_HOSPITAL: &str = "1310112345";

fn new_form() -> Value {
    json!({
        "disease": "6",
        "application": "new",
        "purpose": "subsidy",
        "institution": HOSPITAL,
        "jurisdiction": "010006",
        "research_consent": true,
        "patient": {
            "name_kanji": "山田 太郎", "name_kana": "ヤマダ タロウ", "birth_date": "1950-04-01",
            "sex": "male", "address": "小樽市花園2丁目", "municipality": "012025",
            "insurer_number": "01234567", "insured_symbol_number": "1・2", "recipient_number": null
        },
        "items": {
            "basic.onset_ym": "2019-06", "basic.diagnosis_ym": "2020-02",
            "dx.parkinsonism": true, "dx.imaging_no_cause": true,
            "dx.no_drug_toxin_exposure": true, "dx.antiparkinson_response": true,
            "sev.hoehn_yahr": "3", "sev.daily_life_disability": "2"
        }
    })
}

struct Api {
    base: String,
    client: Client,
    /// The database behind the service, for checking what was (not) stored.
    url: String,
    /// Real accounts, created through the commands and logged in.
    accounts: Provisioner,
}

impl Api {
    /// A logged-in account of `role` (nanbyo) at `institutions[0]` or of `jurisdiction`;
    /// the same account on later calls.
    async fn actor(&self, role: &str, institutions: &[&str], jurisdiction: Option<&str>) -> String {
        let role: Role = serde_json::from_value(json!(role)).expect("role");
        let mut who = Who::new(role);
        if let Some(i) = institutions.first() {
            who = who.at(i);
        }
        if let Some(j) = jurisdiction {
            who = who.of(j);
        }
        self.accounts.token(&who).await.expect("account")
    }

    async fn doctor(&self) -> String {
        self.actor("designated_doctor", &[HOSPITAL], None).await
    }

    async fn clerk(&self) -> String {
        self.actor("clerk", &[HOSPITAL], None).await
    }

    async fn municipality(&self) -> String {
        self.actor("municipality_staff", &[], Some("010006")).await
    }

    async fn post(&self, path: &str, who: &str, body: Value, headers: &[(&str, &str)]) -> Response {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(who)
            .json(&body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.expect("request")
    }

    async fn get(&self, path: &str, who: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.base))
            .bearer_auth(who)
            .send()
            .await
            .expect("request")
    }
}

/// The operator registers the test institutions: forms can only name registered ones.
async fn api_for(db: Db) -> Api {
    let (base, url, store) = spawn_with_store(db).await;
    let api = Api {
        base,
        client: Client::new(),
        url,
        accounts: Provisioner::new(store),
    };
    let operator = api.actor("operator", &[], None).await;
    for (code, name) in [(HOSPITAL, "札幌中央病院"), (OTHER_HOSPITAL, "東京病院")] {
        let r = api
            .post(
                "/api/masters/institutions",
                &operator,
                json!({"code": code, "name": name}),
                &[],
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    api
}

async fn json_of(r: Response) -> (StatusCode, Value) {
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn flow(db: Db) {
    let api = api_for(db).await;

    // Create: judged at once.
    let (status, created) = json_of(
        api.post(
            "/api/forms",
            &api.doctor().await,
            new_form(),
            &[("idempotency-key", "create-1")],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["version"], 2, "drafted + judged");
    let (_, j) = json_of(
        api.get(&format!("/api/forms/{id}/judgment"), &api.doctor().await)
            .await,
    )
    .await;
    assert_eq!(j["judgment"]["outcome"], "meets");

    // The same request again: the same form, nothing new.
    let (status, again) = json_of(
        api.post(
            "/api/forms",
            &api.doctor().await,
            new_form(),
            &[("idempotency-key", "create-1")],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        (again["id"].as_str(), again["duplicate"].as_bool()),
        (Some(id.as_str()), Some(true))
    );

    // The same key with another request is refused: nothing is created or answered for it.
    let mut different = new_form();
    different["items"]["sev.hoehn_yahr"] = json!("4");
    let (status, reused) = json_of(
        api.post(
            "/api/forms",
            &api.doctor().await,
            different,
            &[("idempotency-key", "create-1")],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, reused["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("idempotency_key_reused")
        )
    );

    // A clerk edits the draft with the version they saw; the judgment follows.
    let (status, edited) = json_of(
        api.post(
            &format!("/api/forms/{id}/items"),
            &api.clerk().await,
            json!({"items": {"sev.hoehn_yahr": "2"}}),
            &[("if-match", "\"2\"")],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["version"], 4, "edit + new judgment");
    let (_, j) = json_of(
        api.get(&format!("/api/forms/{id}/judgment"), &api.doctor().await)
            .await,
    )
    .await;
    assert_eq!(j["judgment"]["outcome"], "does_not_meet");

    // A stale version is refused with the current one; nothing is written.
    let (status, stale) = json_of(
        api.post(
            &format!("/api/forms/{id}/items"),
            &api.doctor().await,
            json!({"items": {"sev.hoehn_yahr": "4"}}),
            &[("if-match", "2")],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        (
            stale["code"].as_str(),
            stale["details"]["current_version"].as_u64()
        ),
        (Some("version_conflict"), Some(4))
    );

    // Invalid values: 422, one entry per item, in Japanese and English.
    let (status, bad) = json_of(
        api.post(
            &format!("/api/forms/{id}/items"),
            &api.doctor().await,
            json!({"items": {"sev.hoehn_yahr": "7", "basic.onset_ym": "2019-13"}}),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad["code"], "invalid_items");
    let items = bad["details"]["items"].as_array().expect("per item");
    assert_eq!(items.len(), 2);
    assert!(items
        .iter()
        .all(|e| e["message_ja"].as_str().is_some() && e["message_en"].as_str().is_some()));

    // The municipality does not see the doctor's draft.
    assert_eq!(
        api.get(&format!("/api/forms/{id}"), &api.municipality().await)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // Scope: a clerk cannot submit; a doctor elsewhere does not see the form.
    let (status, forbidden) = json_of(
        api.post(
            &format!("/api/forms/{id}/submit"),
            &api.clerk().await,
            json!({}),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(forbidden["details"]["permission"].as_str().is_some());
    let elsewhere = api
        .actor("designated_doctor", &[OTHER_HOSPITAL], None)
        .await;
    assert_eq!(
        api.get(&format!("/api/forms/{id}"), &elsewhere)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // Not even a version probe tells them the form exists.
    let probe = api
        .post(
            &format!("/api/forms/{id}/items"),
            &elsewhere,
            json!({"items": {"sev.hoehn_yahr": "4"}}),
            &[("if-match", "0")],
        )
        .await;
    assert_eq!(probe.status(), StatusCode::NOT_FOUND);

    // Submit, then the municipality receives and certifies.
    let (status, _) = json_of(
        api.post(
            &format!("/api/forms/{id}/submit"),
            &api.doctor().await,
            json!({}),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // The doctor prints the form with its access key; the municipality enters that key.
    let (_, submitted) = json_of(
        api.get(&format!("/api/forms/{id}"), &api.doctor().await)
            .await,
    )
    .await;
    let key = submitted["access_key"]
        .as_str()
        .expect("an access key at submission")
        .to_owned();
    assert_eq!(key.len(), 12);
    let (status, wrong) = json_of(
        api.post(
            &format!("/api/forms/{id}/receive"),
            &api.municipality().await,
            json!({"access_key": "ABCDEFGHJKLM"}),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, wrong["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("access_key_mismatch")
        )
    );
    let (status, _) = json_of(
        api.post(
            &format!("/api/forms/{id}/receive"),
            &api.municipality().await,
            json!({"access_key": key}),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, reviewed) = json_of(
        api.post(
            &format!("/api/forms/{id}/review"),
            &api.municipality().await,
            json!({"result": {"result": "certified", "from": "2024-05-01", "to": "2025-04-30"}}),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reviewed}");

    // 行政記載欄, which the doctor does not see.
    let (status, _) = json_of(
        api.post(
            &format!("/api/forms/{id}/administrative"),
            &api.municipality().await,
            json!({"fields": {"recipient_number": "1234566", "mild_high_cost": true}}),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, seen_by_doctor) = json_of(
        api.get(&format!("/api/forms/{id}"), &api.doctor().await)
            .await,
    )
    .await;
    assert_eq!(seen_by_doctor["administrative"], json!({}));

    // The form now, and as it was at version 2 (before the clerk's edit).
    let (_, now) = json_of(
        api.get(&format!("/api/forms/{id}"), &api.municipality().await)
            .await,
    )
    .await;
    assert_eq!(
        (
            now["status"].as_str(),
            now["items"]["sev.hoehn_yahr"].as_str()
        ),
        (Some("decided"), Some("2"))
    );
    assert_eq!(now["patient"]["name_kana"], "ヤマダ タロウ");
    assert_eq!(now["administrative"]["mild_high_cost"], true);
    let (_, then) = json_of(
        api.get(&format!("/api/forms/{id}?version=2"), &api.doctor().await)
            .await,
    )
    .await;
    assert_eq!(
        (
            then["status"].as_str(),
            then["items"]["sev.hoehn_yahr"].as_str()
        ),
        (Some("draft"), Some("3"))
    );
    let auditor = api.actor("auditor", &[], None).await;
    assert_eq!(
        api.get(&format!("/api/forms/{id}"), &auditor)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn postgres_form_flow() {
    flow(Db::Postgres).await;
}

#[tokio::test]
async fn sqlite_form_flow() {
    flow(Db::Sqlite).await;
}

#[tokio::test]
async fn bad_input_is_refused_with_a_code_and_changes_nothing() {
    let api = api_for(Db::Sqlite).await;

    // No actor at all.
    let r = api
        .client
        .post(format!("{}/api/forms", api.base))
        .json(&new_form())
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let mut wrong_code = new_form();
    wrong_code["institution"] = json!("0110113718");
    let (status, body) = json_of(
        api.post("/api/forms", &api.doctor().await, wrong_code, &[])
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body"))
    );
    assert!(
        body["message"]["en"]
            .as_str()
            .is_some_and(|m| m.contains("check digit")),
        "{body}"
    );

    let mut wrong_recipient = new_form();
    wrong_recipient["patient"]["recipient_number"] = json!("1234567");
    let (status, body) = json_of(
        api.post("/api/forms", &api.doctor().await, wrong_recipient, &[])
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body"))
    );

    let mut unregistered = new_form();
    unregistered["institution"] = json!("0110113800");
    let (status, body) = json_of(
        api.post("/api/forms", &api.doctor().await, unregistered, &[])
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("unknown_institution")
        ),
        "{body}"
    );

    let mut unknown = new_form();
    unknown["disease"] = json!("9999");
    let (status, body) = json_of(
        api.post("/api/forms", &api.doctor().await, unknown, &[])
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_disease"))
    );

    for garbage in ["", "{", "[]", "null", "{\"disease\": 6}"] {
        let r = api
            .client
            .post(format!("{}/api/forms", api.base))
            .bearer_auth(api.doctor().await)
            .header("content-type", "application/json")
            .body(garbage)
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{garbage:?}");
    }
    let r = api.get("/api/forms/not-a-form", &api.doctor().await).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = api
        .get("/api/forms/x?as_of=yesterday", &api.doctor().await)
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_operator_publishes_a_master_version_and_doctors_use_it() {
    let api = api_for(Db::Sqlite).await;
    let (_, listed) = json_of(
        api.get("/api/masters/diseases?program=nanbyo", &api.doctor().await)
            .await,
    )
    .await;
    let shipped_version = listed["version"]
        .as_str()
        .expect("a shipped version")
        .to_owned();
    assert!(listed["diseases"]
        .as_array()
        .is_some_and(|d| d.iter().any(|d| d["code"] == "6")));

    // A new version with one more disease, defined entirely as data.
    let mut disease: Value = serde_json::to_value(
        domain::disease::shipped()
            .into_iter()
            .find(|d| d.program == domain::Program::Nanbyo && d.code == "6")
            .expect("6 is shipped"),
    )
    .expect("json");
    disease["code"] = json!("9006");
    disease["name_ja"] = json!("試験用疾病");
    let operator = api.actor("operator", &[], None).await;
    let (status, body) = json_of(
        api.post(
            "/api/masters/versions",
            &api.doctor().await,
            json!({"version": "2024-10", "diseases": [disease.clone()]}),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let mut broken = disease.clone();
    broken["rules"]["severity"] = json!({"op": "present", "item": "no.such.item"});
    let (status, body) = json_of(
        api.post(
            "/api/masters/versions",
            &operator,
            json!({"version": "2024-10", "diseases": [broken]}),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_master"))
    );
    let (status, body) = json_of(
        api.post(
            "/api/masters/versions",
            &operator,
            json!({"version": "2024-10", "diseases": [disease]}),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = json_of(
        api.post(
            "/api/masters/versions",
            &operator,
            json!({"version": shipped_version, "diseases": []}),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let mut form = new_form();
    form["disease"] = json!("9006");
    let (status, created) =
        json_of(api.post("/api/forms", &api.doctor().await, form, &[]).await).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    // The new version carried only one disease: the others stay in force as last published.
    let (status, created) = json_of(
        api.post("/api/forms", &api.doctor().await, new_form(), &[])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (_, listed) = json_of(api.get("/api/masters/diseases", &api.doctor().await).await).await;
    let codes: Vec<&str> = listed["diseases"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert!(codes.contains(&"6") && codes.contains(&"9006"), "{codes:?}");
}

/// 前回値踏襲: a renewal starts as a copy of the patient's previous form, records where it came
/// from, and takes the new values on top.
#[tokio::test]
async fn a_renewal_carries_over_the_previous_form() {
    let api = api_for(Db::Sqlite).await;
    let (_, first) = json_of(
        api.post("/api/forms", &api.doctor().await, new_form(), &[])
            .await,
    )
    .await;
    let first_id = first["id"].as_str().expect("id").to_owned();

    let renewal = json!({
        "disease": "6", "application": "renewal", "purpose": "subsidy",
        "institution": HOSPITAL, "jurisdiction": "010006", "research_consent": true,
        "carry_over_from": first_id,
        "items": {"sev.hoehn_yahr": "4"}
    });
    let (status, created) = json_of(
        api.post("/api/forms", &api.doctor().await, renewal.clone(), &[])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id");
    let (_, form) = json_of(
        api.get(&format!("/api/forms/{id}"), &api.doctor().await)
            .await,
    )
    .await;
    assert_eq!(form["carried_over"]["from_form"], first_id.as_str());
    assert_eq!(form["items"]["dx.parkinsonism"], true, "carried over");
    assert_eq!(form["items"]["sev.hoehn_yahr"], "4", "the new value wins");
    assert_eq!(
        form["patient"]["name_kana"], "ヤマダ タロウ",
        "the patient comes along"
    );
    let (_, j) = json_of(
        api.get(&format!("/api/forms/{id}/judgment"), &api.doctor().await)
            .await,
    )
    .await;
    assert_eq!(j["judgment"]["outcome"], "meets");

    // Another disease, or a form the doctor cannot see, cannot be carried over.
    let mut other = renewal.clone();
    other["disease"] = json!("2");
    let (status, body) = json_of(
        api.post("/api/forms", &api.doctor().await, other, &[])
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("carry_over_mismatch")
        )
    );
    let mut someone_else = renewal.clone();
    someone_else["patient"] = new_form()["patient"].clone();
    someone_else["patient"]["name_kana"] = json!("サトウ ハナコ");
    let (status, body) = json_of(
        api.post("/api/forms", &api.doctor().await, someone_else, &[])
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("carry_over_mismatch")
        )
    );
    let elsewhere = api
        .actor("designated_doctor", &[OTHER_HOSPITAL], None)
        .await;
    let mut theirs = renewal;
    theirs["institution"] = json!(OTHER_HOSPITAL);
    let (status, _) = json_of(api.post("/api/forms", &elsewhere, theirs, &[]).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// 前回値踏襲 from the patient's latest form: `carry_over_from: "latest"` with the patient finds
/// the newest form of that patient and disease the doctor may read; a patient without one is
/// refused.
#[tokio::test]
async fn a_renewal_carries_over_the_patients_latest_form() {
    let api = api_for(Db::Sqlite).await;
    let doctor = api.doctor().await;
    let (_, _older) = json_of(api.post("/api/forms", &doctor, new_form(), &[]).await).await;
    let mut newer = new_form();
    newer["items"]["sev.hoehn_yahr"] = json!("5");
    let (_, newer) = json_of(api.post("/api/forms", &doctor, newer, &[]).await).await;
    let newer_id = newer["id"].as_str().expect("id").to_owned();
    // Another patient's and another disease's forms are not candidates.
    let mut other = new_form();
    other["patient"]["name_kana"] = json!("サトウ ハナコ");
    let (status, _) = json_of(api.post("/api/forms", &doctor, other, &[]).await).await;
    assert_eq!(status, StatusCode::CREATED);

    let mut renewal = new_form();
    renewal["application"] = json!("renewal");
    renewal["items"] = json!({"basic.diagnosis_ym": "2020-03"});
    renewal["carry_over_from"] = json!("latest");
    let (status, created) =
        json_of(api.post("/api/forms", &doctor, renewal.clone(), &[]).await).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id");
    let (_, form) = json_of(api.get(&format!("/api/forms/{id}"), &doctor).await).await;
    assert_eq!(
        form["carried_over"]["from_form"],
        newer_id.as_str(),
        "{form}"
    );
    assert_eq!(form["items"]["sev.hoehn_yahr"], "5", "from the latest form");
    assert_eq!(
        form["items"]["basic.diagnosis_ym"], "2020-03",
        "the new value wins"
    );

    let mut nobody = renewal;
    nobody["patient"]["name_kana"] = json!("タナカ イチロウ");
    let (status, body) = json_of(api.post("/api/forms", &doctor, nobody, &[]).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "invalid", "{body}");
}

/// The institution master: only the operator registers, once; a wrong check digit is refused.
#[tokio::test]
async fn only_the_operator_registers_institutions() {
    let api = api_for(Db::Sqlite).await;
    let body = json!({"code": "0110113800", "name": "小樽病院"});
    let (status, refused) = json_of(
        api.post(
            "/api/masters/institutions",
            &api.doctor().await,
            body.clone(),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let operator = api.actor("operator", &[], None).await;
    let (status, _) = json_of(
        api.post("/api/masters/institutions", &operator, body.clone(), &[])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, again) = json_of(
        api.post("/api/masters/institutions", &operator, body, &[])
            .await,
    )
    .await;
    assert_eq!(
        (status, again["code"].as_str()),
        (StatusCode::CONFLICT, Some("institution_exists"))
    );
    let (status, bad) = json_of(
        api.post(
            "/api/masters/institutions",
            &operator,
            json!({"code": "0110113801", "name": "x"}),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, bad["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body"))
    );
}

/// 旧様式の紙の臨個票: the municipality uploads the scan with the transcribed items; the form is
/// judged with its own (old) form version's rules, received at once, and the scan can be read
/// back, stored once by its content hash.
#[tokio::test]
async fn a_municipality_registers_an_old_version_paper_form() {
    use base64::Engine;
    let api = api_for(Db::Sqlite).await;
    // The operator publishes the old form version (here: the same criteria under an older
    // form version name; no pre-2024 form ships with the registry).
    let mut old: Value = serde_json::to_value(
        domain::disease::shipped()
            .into_iter()
            .find(|d| d.program == domain::Program::Nanbyo && d.code == "6")
            .expect("6 is shipped"),
    )
    .expect("json");
    old["form_version"] = json!("2015-01-01");
    let operator = api.actor("operator", &[], None).await;
    let (status, body) = json_of(
        api.post(
            "/api/masters/versions",
            &operator,
            json!({"version": "legacy-2015", "diseases": [old]}),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let pdf = b"%PDF-1.4\n% scanned clinical survey form\n";
    let encoded = base64::engine::general_purpose::STANDARD.encode(pdf);
    let mut paper = new_form();
    paper["form_version"] = json!("2015-01-01");
    paper["scan"] = json!({"media_type": "application/pdf", "content_base64": encoded});

    // Only the municipality registers paper forms.
    let (status, _) = json_of(
        api.post("/api/forms/paper", &api.doctor().await, paper.clone(), &[])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let scans = || async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&api.url)
            .await
            .expect("connect");
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM scans")
            .fetch_one(&mut c)
            .await
            .expect("count")
    };
    assert_eq!(scans().await, 0, "a refused request stores no scan");
    // Paper is for the previous form version only.
    let mut current = paper.clone();
    current["form_version"] = json!("2024-04-01");
    let (status, body) = json_of(
        api.post("/api/forms/paper", &api.municipality().await, current, &[])
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"))
    );
    assert_eq!(scans().await, 0);

    let (status, created) = json_of(
        api.post(
            "/api/forms/paper",
            &api.municipality().await,
            paper.clone(),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let (_, form) = json_of(
        api.get(&format!("/api/forms/{id}"), &api.municipality().await)
            .await,
    )
    .await;
    assert_eq!(form["status"], "received");
    assert_eq!(form["form_version"], "2015-01-01");
    assert_eq!(form["judged_with"]["form_version"], "2015-01-01");
    assert_eq!(form["judgment"]["outcome"], "meets");
    let digest = form["paper"]["sha256"]
        .as_str()
        .expect("scan reference")
        .to_owned();
    assert_eq!(digest.len(), 64);

    let r = api
        .get(&format!("/api/forms/{id}/scan"), &api.municipality().await)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert_eq!(r.bytes().await.expect("bytes").as_ref(), pdf);

    let r = api
        .get(&format!("/api/forms/{id}/scan"), &api.municipality().await)
        .await;
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["content-disposition"], "attachment");
    assert_eq!(r.headers()["cache-control"], "no-store");
    // The same scan again is stored once: a second form names the same digest.
    let (_, second) = json_of(
        api.post(
            "/api/forms/paper",
            &api.municipality().await,
            paper.clone(),
            &[],
        )
        .await,
    )
    .await;
    let second_id = second["id"].as_str().expect("id");
    let (_, form) = json_of(
        api.get(
            &format!("/api/forms/{second_id}"),
            &api.municipality().await,
        )
        .await,
    )
    .await;
    assert_eq!(form["paper"]["sha256"].as_str(), Some(digest.as_str()));
    assert_eq!(scans().await, 1, "stored once");

    // A file that is not what it says, or not Base64, is refused.
    let mut fake = paper.clone();
    fake["scan"]["content_base64"] =
        json!(base64::engine::general_purpose::STANDARD.encode(b"MZ not a pdf"));
    let (status, body) = json_of(
        api.post("/api/forms/paper", &api.municipality().await, fake, &[])
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"))
    );
    let mut garbage = paper;
    garbage["scan"]["content_base64"] = json!("***");
    let (status, body) = json_of(
        api.post("/api/forms/paper", &api.municipality().await, garbage, &[])
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_scan"))
    );
    // A form without a scan has none to read.
    let (_, online) = json_of(
        api.post("/api/forms", &api.doctor().await, new_form(), &[])
            .await,
    )
    .await;
    let online_id = online["id"].as_str().expect("id");
    assert_eq!(
        api.get(&format!("/api/forms/{online_id}/scan"), &api.doctor().await)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

/// A scan of several MiB (above the default 2 MiB request limit) is accepted on the paper route.
#[tokio::test]
async fn a_large_scan_is_accepted() {
    use base64::Engine;
    let api = api_for(Db::Sqlite).await;
    let mut old: Value = serde_json::to_value(
        domain::disease::shipped()
            .into_iter()
            .find(|d| d.program == domain::Program::Nanbyo && d.code == "6")
            .expect("6 is shipped"),
    )
    .expect("json");
    old["form_version"] = json!("2015-01-01");
    let operator = api.actor("operator", &[], None).await;
    api.post(
        "/api/masters/versions",
        &operator,
        json!({"version": "legacy-2015", "diseases": [old]}),
        &[],
    )
    .await;
    let mut tiff = b"II*\0".to_vec();
    tiff.resize(6 * 1024 * 1024, 0x55);
    let mut paper = new_form();
    paper["form_version"] = json!("2015-01-01");
    paper["scan"] = json!({"media_type": "image/tiff",
        "content_base64": base64::engine::general_purpose::STANDARD.encode(&tiff)});
    let (status, created) = json_of(
        api.post(
            "/api/forms/paper",
            &api.municipality().await,
            paper,
            &[("idempotency-key", "scan-1")],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
}

/// The 実施主体 list is a master too: the shipped list is in force at start, the operator
/// publishes the next one whole, and a new form's jurisdiction is checked against the list in
/// force while a form drafted earlier keeps its own.
#[tokio::test]
async fn an_operator_publishes_the_implementing_bodies_and_new_forms_follow_them() {
    let api = api_for(Db::Sqlite).await;
    let doctor = api.doctor().await;
    let operator = api.actor("operator", &[], None).await;
    let (status, listed) = json_of(api.get("/api/masters/municipalities", &doctor).await).await;
    assert_eq!(status, StatusCode::OK);
    let shipped = listed["bodies"].as_array().expect("bodies").clone();
    assert_eq!(shipped.len(), 67, "47 prefectures and 20 designated cities");
    assert!(listed["version"]
        .as_str()
        .is_some_and(|v| v.starts_with("shipped-")));
    assert!(shipped
        .iter()
        .any(|b| b["code"] == "431001" && b["kind"] == "designated_city"));

    // A resident of 熊本市中央区 is 熊本市's.
    let kumamoto_form = |jurisdiction: &str| {
        let mut form = new_form();
        form["jurisdiction"] = json!(jurisdiction);
        form["patient"]["municipality"] = json!("431010");
        form["patient"]["address"] = json!("熊本市中央区手取本町1-1");
        form
    };
    let draft = |form: Value, key: &'static str| {
        let api = &api;
        let doctor = doctor.clone();
        async move {
            json_of(
                api.post("/api/forms", &doctor, form, &[("idempotency-key", key)])
                    .await,
            )
            .await
        }
    };
    let (status, before) = draft(kumamoto_form("431001"), "kumamoto-city").await;
    assert_eq!(status, StatusCode::CREATED, "{before}");
    let (status, body) = draft(kumamoto_form("430005"), "kumamoto-pref-early").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // Only the operator publishes; a list that lost a prefecture or has a bad code is refused.
    let without_city: Vec<Value> = shipped
        .iter()
        .filter(|b| b["code"] != "431001")
        .cloned()
        .collect();
    let (status, body) = json_of(
        api.post(
            "/api/masters/municipalities",
            &doctor,
            json!({"version": "before-2012", "bodies": without_city}),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let no_okinawa: Vec<Value> = shipped
        .iter()
        .filter(|b| b["code"] != "470007")
        .cloned()
        .collect();
    let (status, body) = json_of(
        api.post(
            "/api/masters/municipalities",
            &operator,
            json!({"version": "broken", "bodies": no_okinawa}),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_master"))
    );
    assert!(body["details"]["problems"]
        .as_array()
        .is_some_and(|p| p.iter().any(|p| p == "prefecture 47 must appear once")));
    let mut bad_digit = shipped.clone();
    bad_digit[0]["code"] = json!("010007");
    let (status, _) = json_of(
        api.post(
            "/api/masters/municipalities",
            &operator,
            json!({"version": "broken", "bodies": bad_digit}),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // The list as it was before 熊本市 became a designated city (2012-04-01).
    let (status, body) = json_of(
        api.post(
            "/api/masters/municipalities",
            &operator,
            json!({"version": "before-2012", "bodies": without_city}),
            &[("idempotency-key", "publish-before-2012")],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, listed) = json_of(api.get("/api/masters/municipalities", &doctor).await).await;
    assert_eq!(listed["version"], "before-2012");
    assert_eq!(listed["versions"].as_array().map(Vec::len), Some(2));
    assert_eq!(listed["bodies"].as_array().map(Vec::len), Some(66));

    let (status, body) = draft(kumamoto_form("431001"), "kumamoto-city-late").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = draft(kumamoto_form("430005"), "kumamoto-pref").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The form drafted under the earlier list keeps its jurisdiction.
    let id = before["id"].as_str().expect("id");
    let (_, form) = json_of(api.get(&format!("/api/forms/{id}"), &doctor).await).await;
    assert_eq!(form["jurisdiction"], "431001", "{form}");
}

/// How many events the store behind `api` holds.
async fn events(api: &Api) -> i64 {
    let store = nanbyo_tests::open_url(&api.url).await;
    let sql = store.sql();
    eventstore::on_sql!(&sql, reader, |p| {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM events")
            .fetch_one(p)
            .await
    })
    .expect("count events")
}

async fn patient_rules(db: Db) {
    let api = api_for(db).await;
    let doctor = api.doctor().await;
    let before = events(&api).await;
    let mut bad = new_form();
    bad["patient"]["name_kanji"] = json!("<script>alert(1)</script>");
    bad["patient"]["name_kana"] = json!("<script>");
    bad["patient"]["address"] = json!(format!("小樽市\u{0000}花園\u{202E}{}", "丁".repeat(5000)));
    let (status, body) = json_of(api.post("/api/forms", &doctor, bad, &[]).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "invalid_items", "{body}");
    let fields: Vec<(&str, &str)> = body["details"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["item"].as_str().unwrap_or(""),
                e["code"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("patient.name_kanji", "invalid_characters"),
            ("patient.name_kana", "invalid_characters"),
            ("patient.address", "invalid_characters"),
        ]
    );
    // No message repeats what was sent.
    assert!(!body.to_string().contains("script"), "{body}");
    assert_eq!(events(&api).await, before, "a refused form appended events");

    // Half-width kana are stored full-width.
    let mut typed = new_form();
    typed["patient"]["name_kana"] = json!("ﾔﾏﾀﾞ ﾀﾛｳ");
    let (status, created) = json_of(api.post("/api/forms", &doctor, typed, &[]).await).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id");
    let (_, form) = json_of(api.get(&format!("/api/forms/{id}"), &doctor).await).await;
    assert_eq!(form["patient"]["name_kana"], "ヤマダ タロウ", "{form}");

    // A correction is held to the same rules, and a text item too.
    let mut patient = form["patient"].clone();
    patient["name_kana"] = json!("ヤマダ\u{202E}タロウ");
    let (status, body) = json_of(
        api.post(
            &format!("/api/forms/{id}/patient"),
            &doctor,
            json!({ "patient": patient }),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["details"]["items"][0]["item"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("patient.name_kana")),
        "{body}"
    );
}

#[tokio::test]
async fn postgres_patient_data_breaking_the_forms_rules_is_refused_field_by_field() {
    patient_rules(Db::Postgres).await;
}

#[tokio::test]
async fn sqlite_patient_data_breaking_the_forms_rules_is_refused_field_by_field() {
    patient_rules(Db::Sqlite).await;
}
