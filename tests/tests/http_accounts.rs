//! Accounts over HTTP, as their users meet them: the issued password and its first change,
//! lockout and logout; who creates whom, suspension and password reset; the 医療機関ユーザ
//! データファイル in each format; secondary affiliations (兼務先); the institution-code switch
//! (医療機関一括更新); and the read audit. Every scenario runs on PostgreSQL and on SQLite.

mod support;

use std::sync::Arc;
use std::time::Duration;

use api::provision::{prefecture_government, Login, Provisioner, Who};
use domain::account::Account;
use domain::{Program, Role};
use eventstore::{EventStore, RecordedEvent, StreamId};
use nanbyo_tests::Db;
use reqwest::header::HeaderMap;
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::{json, Value};
use support::spawn_with_store;

/// Hokkaido (the jurisdiction of the municipality users below).
const HOSPITAL: &str = "0110113719";
const HOSPITAL_2: &str = "0110113727";
/// Hokkaido: registered only as the new code of `HOSPITAL_2` in the switch scenario.
const SUCCESSOR: &str = "0110113735";
/// Tokyo: outside the Hokkaido municipality's jurisdiction.
const OTHER_HOSPITAL: &str = "1310112345";
/// 北海道's 全国地方公共団体コード.
const HOKKAIDO: &str = "010006";

/// A password that meets the policy (length, three character classes, no login ID).
const CHOSEN: &str = "Kita-no-Daichi-2024";

fn new_form(institution: &str) -> Value {
    json!({
        "disease": "6",
        "application": "new",
        "purpose": "subsidy",
        "institution": institution,
        "jurisdiction": HOKKAIDO,
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

/// What the service answered.
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    bytes: Vec<u8>,
    body: Value,
}

impl Reply {
    /// Status and machine-readable error code, the pair a client branches on.
    fn code(&self) -> (StatusCode, Option<&str>) {
        (self.status, self.body["code"].as_str())
    }

    fn str(&self, key: &str) -> String {
        self.body[key]
            .as_str()
            .unwrap_or_else(|| panic!("no {key} in {}", self.body))
            .to_owned()
    }
}

struct Api {
    base: String,
    client: Client,
    store: Arc<dyn EventStore>,
    /// Real accounts, created through the commands and logged in.
    accounts: Provisioner,
}

impl Api {
    async fn send(&self, req: RequestBuilder) -> Reply {
        let r = req.send().await.expect("request");
        let status = r.status();
        let headers = r.headers().clone();
        let bytes = r.bytes().await.expect("body").to_vec();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            bytes,
            body,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(
            self.client
                .post(self.url(path))
                .bearer_auth(token)
                .json(&body),
        )
        .await
    }

    async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(self.client.get(self.url(path)).bearer_auth(token))
            .await
    }

    async fn upload(&self, path: &str, token: &str, bytes: Vec<u8>) -> Reply {
        self.send(
            self.client
                .post(self.url(path))
                .bearer_auth(token)
                .header("content-type", "application/octet-stream")
                .body(bytes),
        )
        .await
    }

    async fn login(&self, login_id: &str, password: &str) -> Reply {
        self.send(
            self.client
                .post(self.url("/api/login"))
                .json(&json!({"login_id": login_id, "password": password})),
        )
        .await
    }

    /// A provisioned, logged-in account (the same one for the same `who`).
    async fn who(&self, who: Who) -> Login {
        self.accounts.login(&who).await.expect("account")
    }

    async fn token(&self, who: Who) -> String {
        self.who(who).await.token
    }

    /// First login of an account created over HTTP: the issued password, then the user's own.
    /// Returns a token that works everywhere.
    async fn first_login(&self, issued: &Reply) -> String {
        let login = self
            .login(&issued.str("login_id"), &issued.str("initial_password"))
            .await;
        assert_eq!(login.status, StatusCode::OK, "{}", login.body);
        assert_eq!(login.body["must_change_password"], true);
        let token = login.str("token");
        let changed = self
            .post(
                "/api/me/password",
                &token,
                json!({"current_password": issued.str("initial_password"), "new_password": CHOSEN}),
            )
            .await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
        token
    }

    /// The highest position stored. Not `EventStore::last_position`: that is the readers'
    /// horizon, which on PostgreSQL stays below every transaction still open anywhere on the
    /// server (other tests' included), so two readings of it can differ with nothing appended
    /// here, or agree with something appended. A before/after comparison needs the real end.
    async fn head(&self) -> u64 {
        let sql = self.store.sql();
        let max: Option<i64> = eventstore::on_sql!(&sql, reader, |p| {
            sqlx::query_scalar("SELECT max(global_position) FROM events")
                .fetch_one(p)
                .await
                .expect("head")
        });
        max.map_or(0, |m| m as u64)
    }

    /// Everything appended after `position`, once the readers' horizon has passed it all
    /// (bounded: a stuck horizon fails the test rather than hiding an event).
    async fn appended_since(&self, position: u64) -> Vec<RecordedEvent> {
        let end = self.head().await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while self.store.last_position().await.expect("position") < end {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the store's read horizon did not reach {end}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        self.store
            .read_all(position, 10_000)
            .await
            .expect("read all")
    }

    async fn stream(&self, stream_type: &str, id: &str) -> Vec<RecordedEvent> {
        self.store
            .read_stream(&StreamId::new(stream_type, id).expect("stream"), 1)
            .await
            .expect("read stream")
    }

    async fn account_events(&self, account_id: &str) -> Vec<String> {
        self.stream("account", account_id)
            .await
            .into_iter()
            .map(|e| e.event_type)
            .collect()
    }

    /// `request` is refused with 403 naming the missing permission, and nothing is appended.
    async fn assert_forbidden(
        &self,
        what: &str,
        request: impl std::future::Future<Output = Reply>,
    ) {
        self.assert_refused_with(what, request, None).await;
    }

    /// As [`Api::assert_forbidden`], for a read of form `form`: the one thing appended is the
    /// record of the refused attempt (`ReadRefused` as route `route`, by `account`).
    async fn assert_refused_with(
        &self,
        what: &str,
        request: impl std::future::Future<Output = Reply>,
        read: Option<(&str, &str, &str)>,
    ) {
        // Refused reads of earlier calls are recorded after their answer: not this call's.
        commands::audit::settled().await;
        let before = self.head().await;
        let refusals = match read {
            Some((form, _, _)) => self.stream("form_reads", form).await.len(),
            None => 0,
        };
        let r = request.await;
        assert_eq!(
            r.code(),
            (StatusCode::FORBIDDEN, Some("forbidden")),
            "{what}: {}",
            r.body
        );
        assert!(
            r.body["details"]["permission"]
                .as_str()
                .is_some_and(|p| !p.is_empty()),
            "{what}: the refusal names the permission: {}",
            r.body
        );
        commands::audit::settled().await;
        if let Some((form, route, account)) = read {
            let reads = self.stream("form_reads", form).await;
            assert_eq!(reads.len(), refusals + 1, "{what}: the attempt is recorded");
            let last = reads.last().expect("the record");
            assert_eq!(last.event_type, "ReadRefused", "{what}");
            assert_eq!(last.payload["what"], route, "{what}");
            assert_eq!(last.metadata.actor, account, "{what}");
            assert_eq!(
                self.head().await,
                last.position,
                "{what}: nothing else is appended"
            );
        } else {
            assert_eq!(
                self.head().await,
                before,
                "{what}: a refusal appends nothing"
            );
        }
    }
}

fn doctor_at(institution: &str) -> Who {
    Who::new(Role::DesignatedDoctor).at(institution)
}

fn hokkaido(role: Role) -> Who {
    Who::new(role).of(HOKKAIDO)
}

/// The service on a fresh database; the operator registers the test institutions.
async fn api_for(db: Db) -> Api {
    let (base, _, store) = spawn_with_store(db).await;
    let api = Api {
        base,
        client: Client::new(),
        accounts: Provisioner::new(store.clone()),
        store,
    };
    let operator = api.token(Who::new(Role::Operator)).await;
    for (code, name) in [
        (HOSPITAL, "札幌中央病院"),
        (HOSPITAL_2, "小樽協会病院"),
        (OTHER_HOSPITAL, "東京病院"),
    ] {
        let r = api
            .post(
                "/api/masters/institutions",
                &operator,
                json!({"code": code, "name": name}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    api
}

// ---------------------------------------------------------------------------------------
// Login, the first password change, logout, and what a failure does not tell

async fn login_and_sessions(db: Db) {
    let api = api_for(db).await;
    let operator = api.token(Who::new(Role::Operator)).await;
    let issued = api
        .post(
            "/api/accounts",
            &operator,
            json!({"role": "municipality_admin", "display_name": "札幌 花子", "jurisdiction": HOKKAIDO}),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
    assert_eq!(issued.headers["cache-control"], "no-store", "shown once");
    let (account_id, login_id, initial) = (
        issued.str("account_id"),
        issued.str("login_id"),
        issued.str("initial_password"),
    );
    assert_eq!(initial.chars().count(), 16);

    // The manager's view of the account does not show the password again.
    let shown = api
        .get(&format!("/api/accounts/{account_id}"), &operator)
        .await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert_eq!(shown.body["must_change_password"], true);
    assert!(!String::from_utf8_lossy(&shown.bytes).contains(&initial));

    // The issued password logs in, but the account can do nothing before changing it.
    let first = api.login(&login_id, &initial).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["must_change_password"], true);
    assert_eq!(first.body["account_id"], account_id.as_str());
    assert!(first.body["expires_at"].as_str().is_some());
    let token = first.str("token");
    let me = api.get("/api/me", &token).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(
        (me.body["role"].as_str(), me.body["jurisdiction"].as_str()),
        (Some("municipality_admin"), Some(HOKKAIDO))
    );
    for r in [
        api.get("/api/accounts?role=municipality_staff", &token)
            .await,
        api.post(
            "/api/accounts",
            &token,
            json!({"role": "municipality_staff", "display_name": "x", "jurisdiction": HOKKAIDO}),
        )
        .await,
    ] {
        assert_eq!(
            r.code(),
            (StatusCode::FORBIDDEN, Some("password_change_required")),
            "{}",
            r.body
        );
    }

    // The change checks the current password and the policy; a refused change records nothing.
    let before = api.head().await;
    let wrong = api
        .post(
            "/api/me/password",
            &token,
            json!({"current_password": "not-the-password", "new_password": CHOSEN}),
        )
        .await;
    assert_eq!(
        wrong.code(),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("wrong_current_password")
        )
    );
    let weak = api
        .post(
            "/api/me/password",
            &token,
            json!({"current_password": initial, "new_password": "short"}),
        )
        .await;
    assert_eq!(
        weak.code(),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("weak_password"))
    );
    assert_eq!(api.head().await, before, "nothing appended");
    let changed = api
        .post(
            "/api/me/password",
            &token,
            json!({"current_password": initial, "new_password": CHOSEN}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    // The same session now works everywhere.
    let listed = api
        .get("/api/accounts?role=municipality_staff", &token)
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);

    // The issued password is spent; the chosen one works and needs no further change.
    let spent = api.login(&login_id, &initial).await;
    assert_eq!(
        spent.code(),
        (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
    );
    let second = api.login(&login_id, CHOSEN).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(second.body["must_change_password"], false);
    let second_token = second.str("token");
    assert_ne!(second_token, token);

    // The stream records that passwords were issued and changed, never their values.
    let events = api.stream("account", &account_id).await;
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        ["AccountCreated", "PasswordIssued", "PasswordChanged"]
    );
    for e in &events {
        let text = format!(
            "{} {}",
            e.payload,
            serde_json::to_string(&e.metadata).expect("json")
        );
        assert!(!text.contains(&initial) && !text.contains(CHOSEN), "{text}");
    }

    // Logout ends that session only.
    let out = api
        .send(api.client.post(api.url("/api/logout")).bearer_auth(&token))
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let gone = api.get("/api/me", &token).await;
    assert_eq!(
        gone.code(),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    assert_eq!(
        api.get("/api/me", &second_token).await.status,
        StatusCode::OK
    );

    // An unknown login ID and a wrong password answer exactly alike.
    let unknown = api.login("NZZZZZZZZZZZ", CHOSEN).await;
    let wrong_password = api.login(&login_id, "Wrong-Password-99").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        (unknown.status, &unknown.body),
        (wrong_password.status, &wrong_password.body)
    );
    assert_eq!(unknown.body["code"], "invalid_credentials");

    // A forged token (well-formed, never issued), garbage, a revoked token and none at all:
    // the same 401.
    let forged = api.get("/api/me", &"ab".repeat(32)).await;
    let garbage = api.get("/api/me", "garbage").await;
    let none = api.send(api.client.get(api.url("/api/me"))).await;
    let basic = api
        .send(
            api.client
                .get(api.url("/api/me"))
                .basic_auth(&login_id, Some(CHOSEN)),
        )
        .await;
    for r in [&forged, &garbage, &none, &basic] {
        assert_eq!((r.status, &r.body), (gone.status, &gone.body));
    }

    // A malformed login request is a client error, not a hint.
    let bad = api
        .send(
            api.client
                .post(api.url("/api/login"))
                .header("content-type", "application/json")
                .body("{\"login_id\": 1}"),
        )
        .await;
    assert_eq!(
        bad.code(),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body"))
    );
}

#[tokio::test]
async fn postgres_login_password_change_logout_and_uniform_refusals() {
    login_and_sessions(Db::Postgres).await;
}

#[tokio::test]
async fn sqlite_login_password_change_logout_and_uniform_refusals() {
    login_and_sessions(Db::Sqlite).await;
}

// ---------------------------------------------------------------------------------------
// Lockout

async fn lockout(db: Db) {
    let api = api_for(db).await;
    let doctor = api.who(doctor_at(HOSPITAL)).await;
    let before = api.head().await;
    let attempts = commands::credentials::MAX_FAILURES;
    for n in 1..attempts {
        let r = api.login(&doctor.login_id, "Wrong-Password-99").await;
        assert_eq!(
            r.code(),
            (StatusCode::UNAUTHORIZED, Some("invalid_credentials")),
            "failure {n} of {attempts}"
        );
    }
    assert!(
        api.head().await == before,
        "failures before the lockout are not events"
    );
    let locked = api.login(&doctor.login_id, "Wrong-Password-99").await;
    assert_eq!(
        locked.code(),
        (StatusCode::LOCKED, Some("account_locked")),
        "{}",
        locked.body
    );
    let until = chrono::DateTime::parse_from_rfc3339(
        locked.body["details"]["locked_until"]
            .as_str()
            .expect("until when"),
    )
    .expect("RFC 3339");
    let minutes = (until.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes();
    assert!(
        (commands::credentials::LOCKOUT_MINUTES - 1..=commands::credentials::LOCKOUT_MINUTES)
            .contains(&minutes),
        "locked for the configured time: {minutes} min"
    );
    assert!(locked.body["message"]["ja"]
        .as_str()
        .is_some_and(|m| m.contains("ログインできません")));

    // While locked even the right password is refused, and nothing more is recorded.
    let after_lock = api.head().await;
    let right = api.login(&doctor.login_id, &doctor.password).await;
    assert_eq!(right.code(), (StatusCode::LOCKED, Some("account_locked")));
    assert_eq!(api.head().await, after_lock, "nothing more recorded");

    // The lockout is one event on the account's stream, by the registry, with its reason.
    let appended = api.appended_since(before).await;
    assert_eq!(appended.len(), 1, "{appended:?}");
    let event = &appended[0];
    assert_eq!(
        (
            event.stream.stream_type.as_str(),
            event.stream.id.as_str(),
            event.event_type.as_str()
        ),
        ("account", doctor.account_id.as_str(), "AccountLockedOut")
    );
    assert_eq!(event.metadata.actor, "system");
    assert!(event
        .metadata
        .reason
        .as_deref()
        .is_some_and(|r| r.contains("failed logins")));
    assert!(event.payload["until"].as_str().is_some());

    // An unknown login ID never locks (that would tell it exists).
    for _ in 0..=attempts {
        let r = api.login("NZZZZZZZZZZZ", "Wrong-Password-99").await;
        assert_eq!(
            r.code(),
            (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
        );
    }

    // The municipality admin resets the password: the lock is lifted, earlier sessions end.
    let admin = api.token(hokkaido(Role::MunicipalityAdmin)).await;
    let reset = api
        .post(
            &format!("/api/accounts/{}/password-reset", doctor.account_id),
            &admin,
            json!({"reason": "ロック解除の依頼"}),
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    assert_eq!(reset.headers["cache-control"], "no-store");
    assert_eq!(
        api.get("/api/me", &doctor.token).await.status,
        StatusCode::UNAUTHORIZED
    );
    let relogin = api
        .login(&doctor.login_id, &reset.str("initial_password"))
        .await;
    assert_eq!(relogin.status, StatusCode::OK, "{}", relogin.body);
    assert_eq!(relogin.body["must_change_password"], true);
}

#[tokio::test]
async fn postgres_repeated_failures_lock_the_account() {
    lockout(Db::Postgres).await;
}

#[tokio::test]
async fn sqlite_repeated_failures_lock_the_account() {
    lockout(Db::Sqlite).await;
}

// ---------------------------------------------------------------------------------------
// Who creates whom; suspension, reactivation, password reset

fn doctor_body(number: &str, institution: &str) -> Value {
    json!({
        "role": "designated_doctor",
        "display_name": "北海 医師",
        "designation": {"number": number, "kind": "nanbyo", "valid_from": "2024-04-01", "valid_to": null},
        "primary_institution": institution,
    })
}

async fn creation_rules(db: Db) {
    let api = api_for(db).await;
    let operator = api.token(Who::new(Role::Operator)).await;

    // Operator → municipality admin.
    let admin = api
        .post(
            "/api/accounts",
            &operator,
            json!({"role": "municipality_admin", "display_name": "道庁 管理者", "jurisdiction": HOKKAIDO}),
        )
        .await;
    assert_eq!(admin.status, StatusCode::CREATED, "{}", admin.body);
    let admin = api.first_login(&admin).await;
    // 小樽市 is a municipality but not an implementing body: no form would ever reach it.
    let before = api.head().await;
    let otaru = api
        .post(
            "/api/accounts",
            &operator,
            json!({"role": "municipality_admin", "display_name": "小樽 管理者", "jurisdiction": "012025"}),
        )
        .await;
    assert_eq!(
        (otaru.status, otaru.body["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("unknown_jurisdiction")
        ),
        "{}",
        otaru.body
    );
    assert_eq!(api.head().await, before, "nothing appended");

    // Municipality admin → staff of its own jurisdiction; doctors and responsible persons of
    // institutions in its prefecture.
    let staff = api
        .post(
            "/api/accounts",
            &admin,
            json!({"role": "municipality_staff", "display_name": "道庁 職員", "jurisdiction": HOKKAIDO}),
        )
        .await;
    assert_eq!(staff.status, StatusCode::CREATED, "{}", staff.body);
    let doctor = api
        .post("/api/accounts", &admin, doctor_body("HK-0001", HOSPITAL))
        .await;
    assert_eq!(doctor.status, StatusCode::CREATED, "{}", doctor.body);
    let doctor_id = doctor.str("account_id");
    let responsible = api
        .post(
            "/api/accounts",
            &admin,
            json!({"role": "responsible_person", "display_name": "病院 責任者",
                   "primary_institution": HOSPITAL, "responsible_for": HOSPITAL}),
        )
        .await;
    assert_eq!(
        responsible.status,
        StatusCode::CREATED,
        "{}",
        responsible.body
    );
    let responsible = api.first_login(&responsible).await;

    // The same doctor again: the account that exists, no new password, nothing appended.
    let before = api.head().await;
    let again = api
        .post("/api/accounts", &admin, doctor_body("HK-0001", HOSPITAL))
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(
        (again.body["existing"].as_bool(), again.str("account_id")),
        (Some(true), doctor_id.clone())
    );
    assert!(again.body.get("initial_password").is_none());
    assert_eq!(api.head().await, before, "nothing appended");

    // Responsible person → clerks of its own institution.
    let clerk = api
        .post(
            "/api/accounts",
            &responsible,
            json!({"role": "clerk", "display_name": "事務 一郎", "primary_institution": HOSPITAL}),
        )
        .await;
    assert_eq!(clerk.status, StatusCode::CREATED, "{}", clerk.body);

    // Everything else is refused with the permission named, and leaves no trace.
    let doctor_token = api.first_login(&doctor).await;
    let staff_token = api.first_login(&staff).await;
    let tokyo = prefecture_government("13").to_string();
    let refusals: Vec<(&str, &str, Value)> = vec![
        (
            "admin → staff of another prefecture",
            admin.as_str(),
            json!({"role": "municipality_staff", "display_name": "都 職員", "jurisdiction": tokyo}),
        ),
        (
            "admin → doctor of an institution outside its prefecture",
            admin.as_str(),
            doctor_body("TK-0001", OTHER_HOSPITAL),
        ),
        (
            "admin → another municipality admin",
            admin.as_str(),
            json!({"role": "municipality_admin", "display_name": "x", "jurisdiction": HOKKAIDO}),
        ),
        (
            "staff → doctor",
            staff_token.as_str(),
            doctor_body("HK-0002", HOSPITAL),
        ),
        (
            "operator → doctor",
            operator.as_str(),
            doctor_body("HK-0003", HOSPITAL),
        ),
        (
            "responsible person → clerk of another institution",
            responsible.as_str(),
            json!({"role": "clerk", "display_name": "x", "primary_institution": OTHER_HOSPITAL}),
        ),
        (
            "responsible person → doctor",
            responsible.as_str(),
            doctor_body("HK-0004", HOSPITAL),
        ),
        (
            "a doctor who is not responsible → clerk",
            doctor_token.as_str(),
            json!({"role": "clerk", "display_name": "x", "primary_institution": HOSPITAL}),
        ),
    ];
    for (what, token, body) in refusals {
        api.assert_forbidden(what, api.post("/api/accounts", token, body))
            .await;
    }

    // Suspension needs a reason and a manager; it ends the sessions and refuses logins.
    let path = |action: &str| format!("/api/accounts/{doctor_id}/{action}");
    let no_reason = api.post(&path("suspend"), &admin, json!({})).await;
    assert_eq!(
        no_reason.code(),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason_required"))
    );
    api.assert_forbidden(
        "a responsible person suspends a doctor",
        api.post(&path("suspend"), &responsible, json!({"reason": "退職"})),
    )
    .await;
    assert_eq!(
        api.get("/api/me", &doctor_token).await.status,
        StatusCode::OK
    );
    let suspended = api
        .post(&path("suspend"), &admin, json!({"reason": "退職のため"}))
        .await;
    assert_eq!(suspended.status, StatusCode::OK, "{}", suspended.body);
    assert_eq!(
        api.get("/api/me", &doctor_token).await.code(),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    let refused = api.login(&doctor.str("login_id"), CHOSEN).await;
    assert_eq!(
        refused.code(),
        (StatusCode::FORBIDDEN, Some("account_suspended")),
        "{}",
        refused.body
    );
    let twice = api
        .post(&path("suspend"), &admin, json!({"reason": "退職のため"}))
        .await;
    assert_eq!(twice.code(), (StatusCode::CONFLICT, Some("nothing_to_do")));
    let events = api.stream("account", &doctor_id).await;
    let last = events.last().expect("events");
    assert_eq!(last.event_type, "AccountSuspended");
    assert_eq!(last.metadata.reason.as_deref(), Some("退職のため"));
    assert_eq!(last.metadata.role, Role::MunicipalityAdmin);

    // Reactivation: logins work again.
    let reactivated = api
        .post(&path("reactivate"), &admin, json!({"reason": "再雇用"}))
        .await;
    assert_eq!(reactivated.status, StatusCode::OK, "{}", reactivated.body);
    let back = api.login(&doctor.str("login_id"), CHOSEN).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);
    let back_token = back.str("token");

    // A password reset issues a new password once; the old one and the old sessions end.
    let reset = api
        .post(&path("password-reset"), &admin, json!({"reason": "失念"}))
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    assert_eq!(reset.headers["cache-control"], "no-store");
    let issued = reset.str("initial_password");
    assert_eq!(reset.str("login_id"), doctor.str("login_id"));
    assert_eq!(
        api.get("/api/me", &back_token).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        api.login(&doctor.str("login_id"), CHOSEN).await.status,
        StatusCode::UNAUTHORIZED
    );
    let after_reset = api.login(&doctor.str("login_id"), &issued).await;
    assert_eq!(after_reset.status, StatusCode::OK, "{}", after_reset.body);
    assert_eq!(after_reset.body["must_change_password"], true);
    let shown = api.get(&format!("/api/accounts/{doctor_id}"), &admin).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(!String::from_utf8_lossy(&shown.bytes).contains(&issued));
    let reset_again = api
        .post(&path("password-reset"), &admin, json!({"reason": "失念"}))
        .await;
    assert_ne!(reset_again.str("initial_password"), issued);
    api.assert_forbidden(
        "staff resets a doctor's password",
        api.post(&path("password-reset"), &staff_token, json!({})),
    )
    .await;
    assert_eq!(
        api.account_events(&doctor_id).await,
        [
            "AccountCreated",
            "PasswordIssued",
            "PasswordChanged",
            "AccountSuspended",
            "AccountReactivated",
            "PasswordIssued",
            "PasswordIssued"
        ]
    );
}

#[tokio::test]
async fn postgres_who_creates_whom_suspension_and_reset() {
    creation_rules(Db::Postgres).await;
}

#[tokio::test]
async fn sqlite_who_creates_whom_suspension_and_reset() {
    creation_rules(Db::Sqlite).await;
}

// ---------------------------------------------------------------------------------------
// 医療機関ユーザデータファイル

const HEADER: [&str; 7] = [
    "医療機関コード",
    "制度",
    "指定医番号",
    "指定医種別",
    "指定期間開始日",
    "指定期間終了日",
    "氏名",
];

/// Six data rows (file rows 2–7) with doctor numbers starting with `prefix`:
/// 2 and 6 are valid 難病 doctors; 3 is a 小慢 doctor; 4 has a wrong check digit; 5 a doctor
/// number with a space and a `!`; 7 an institution outside Hokkaido.
fn user_rows(prefix: &str) -> Vec<Vec<String>> {
    [
        [
            HOSPITAL,
            "難病",
            "-1",
            "難病指定医",
            "2024-04-01",
            "",
            "北海 一郎",
        ],
        [
            HOSPITAL,
            "小慢",
            "-2",
            "小慢指定医",
            "2024-04-01",
            "",
            "北海 二郎",
        ],
        [
            "0110113718",
            "難病",
            "-3",
            "難病指定医",
            "2024-04-01",
            "",
            "北海 三郎",
        ],
        [
            HOSPITAL_2,
            "難病",
            " 4!",
            "難病指定医",
            "2024-04-01",
            "",
            "北海 四郎",
        ],
        [
            HOSPITAL_2,
            "難病",
            "-5",
            "協力難病指定医",
            "2024/4/1",
            "2026-03-31",
            "北海 五郎",
        ],
        [
            OTHER_HOSPITAL,
            "難病",
            "-6",
            "難病指定医",
            "2024-04-01",
            "",
            "東京 六郎",
        ],
    ]
    .into_iter()
    .map(|row| {
        row.iter()
            .enumerate()
            .map(|(i, cell)| {
                if i == 2 {
                    format!("{prefix}{cell}")
                } else {
                    (*cell).to_owned()
                }
            })
            .collect()
    })
    .collect()
}

fn csv_text(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut text = header.join(",") + "\r\n";
    for row in rows {
        text += &(row.join(",") + "\r\n");
    }
    text
}

fn xlsx(rows: &[Vec<String>]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (c, h) in HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).expect("header");
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                sheet
                    .write_string(r as u32 + 1, c as u16, cell)
                    .expect("cell");
            }
        }
    }
    workbook.save_to_buffer().expect("xlsx")
}

/// A multipart/form-data body with one file part, as a browser's file input sends it.
fn multipart(file: &[u8], filename: &str) -> (String, Vec<u8>) {
    let boundary = "----nanbyo-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"comment\"\r\n\r\nApril\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The row results of an upload of `user_rows` by a 難病 admin: rows 2 and 6 in, the others
/// refused with their row and column. Returns the account ids of rows 2 and 6.
fn check_nanbyo_upload(r: &Reply, format: &str, created: bool) -> (String, String) {
    assert_eq!(r.status, StatusCode::OK, "{format}: {}", r.body);
    assert_eq!(r.headers["cache-control"], "no-store");
    let b = &r.body;
    assert_eq!(b["format"], format);
    assert_eq!(b["rows"], 6);
    assert_eq!(
        (b["created"].as_u64(), b["already_registered"].as_u64()),
        if created {
            (Some(2), Some(0))
        } else {
            (Some(0), Some(2))
        },
        "{format}: {b}"
    );
    assert_eq!(b["errors"], 4);
    let results = b["results"].as_array().expect("results");
    let rows: Vec<u64> = results.iter().filter_map(|r| r["row"].as_u64()).collect();
    assert_eq!(rows, [2, 3, 4, 5, 6, 7], "one result per row, in order");
    let expected_errors = [
        (3, "program", "other_program"),
        (4, "institution_code", "invalid_institution_code"),
        (5, "doctor_number", "invalid_doctor_number"),
        (7, "institution_code", "outside_jurisdiction"),
    ];
    for (row, column, code) in expected_errors {
        let result = &results[row - 2];
        assert_eq!(result["status"], "error", "{format} row {row}: {result}");
        assert!(result.get("account_id").is_none());
        let errors = result["errors"].as_array().expect("errors");
        assert!(
            errors
                .iter()
                .any(|e| e["column"] == column && e["code"] == code),
            "{format} row {row}: {column}/{code} in {result}"
        );
        assert!(errors.iter().all(
            |e| e["message"]["ja"].as_str().is_some() && e["message"]["en"].as_str().is_some()
        ));
    }
    let status = if created {
        "created"
    } else {
        "already_registered"
    };
    let ids: Vec<String> = [0, 4]
        .into_iter()
        .map(|i| {
            let result = &results[i];
            assert_eq!(result["status"], status, "{format}: {result}");
            assert!(result["login_id"].as_str().is_some());
            result["account_id"]
                .as_str()
                .expect("account id")
                .to_owned()
        })
        .collect();
    let notices = b["notification"].as_array().expect("notification");
    if created {
        let rows: Vec<u64> = notices.iter().filter_map(|n| n["row"].as_u64()).collect();
        assert_eq!(rows, [2, 6], "{format}: passwords of the new accounts only");
    } else {
        assert!(notices.is_empty(), "{format}: no password shown again");
    }
    (ids[0].clone(), ids[1].clone())
}

async fn user_data_file(db: Db) {
    let api = api_for(db).await;
    let admin = api.token(hokkaido(Role::MunicipalityAdmin)).await;
    let path = "/api/accounts/user-file";

    // CSV, UTF-8 without BOM: the first doctors of each institution become its responsible
    // person.
    let plain = csv_text(&HEADER, &user_rows("U")).into_bytes();
    let r = api.upload(path, &admin, plain.clone()).await;
    let (u2, u6) = check_nanbyo_upload(&r, "csv_utf8", true);
    let results = r.body["results"].as_array().expect("results");
    assert_eq!(results[0]["responsible_person"], true);
    assert_eq!(results[4]["responsible_person"], true);
    let shown = api.get(&format!("/api/accounts/{u6}"), &admin).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert_eq!(
        (
            shown.body["role"].as_str(),
            shown.body["primary_institution"].as_str(),
            shown.body["responsible_for"].as_str(),
            shown.body["must_change_password"].as_bool()
        ),
        (
            Some("designated_doctor"),
            Some(HOSPITAL_2),
            Some(HOSPITAL_2),
            Some(true)
        )
    );
    assert_eq!(
        shown.body["designation"],
        json!({"number": "U-5", "kind": "cooperating_nanbyo", "valid_from": "2024-04-01",
               "valid_to": "2026-03-31"})
    );
    // The 小慢 doctor of row 3 was not imported.
    for program in Program::ALL {
        assert!(api
            .stream("account", &Account::doctor_id(program, "U-2"))
            .await
            .is_empty());
    }

    // The same file again: the same accounts, nothing appended at all.
    let before = api.head().await;
    let again = api.upload(path, &admin, plain.clone()).await;
    assert_eq!(check_nanbyo_upload(&again, "csv_utf8", false), (u2, u6));
    assert_eq!(api.head().await, before, "nothing appended");

    // UTF-8 with a BOM (Excel's "CSV UTF-8"); later doctors do not become responsible.
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend(csv_text(&HEADER, &user_rows("B")).into_bytes());
    let r = api.upload(path, &admin, bom).await;
    check_nanbyo_upload(&r, "csv_utf8_bom", true);
    let results = r.body["results"].as_array().expect("results");
    assert!(results[0].get("responsible_person").is_none());

    // Shift_JIS (Excel's plain "CSV" on a Japanese Windows), sent as a multipart upload.
    let text = csv_text(&HEADER, &user_rows("J"));
    let (sjis, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&sjis).is_err(), "really not UTF-8");
    let (content_type, body) = multipart(&sjis, "users.csv");
    let r = api
        .send(
            api.client
                .post(api.url(path))
                .bearer_auth(&admin)
                .header("content-type", content_type)
                .body(body),
        )
        .await;
    let (j2, _) = check_nanbyo_upload(&r, "csv_shift_jis", true);
    let shown = api.get(&format!("/api/accounts/{j2}"), &admin).await;
    assert_eq!(
        shown.body["display_name"], "北海 一郎",
        "decoded, not mojibake"
    );

    // XLSX, multipart as well.
    let (content_type, body) = multipart(&xlsx(&user_rows("X")), "users.xlsx");
    let r = api
        .send(
            api.client
                .post(api.url(path))
                .bearer_auth(&admin)
                .header("content-type", content_type)
                .body(body),
        )
        .await;
    check_nanbyo_upload(&r, "xlsx", true);

    // The ID・PW発行通知書: CSV with a BOM, the issued ID and password of new accounts only.
    let file = csv_text(&HEADER, &user_rows("D")).into_bytes();
    let download = format!("{path}?download=notification");
    let notice = api.upload(&download, &admin, file.clone()).await;
    assert_eq!(notice.status, StatusCode::OK);
    assert!(notice.headers["content-type"]
        .to_str()
        .is_ok_and(|t| t.starts_with("text/csv")));
    assert!(notice.headers["content-disposition"]
        .to_str()
        .is_ok_and(|d| d.starts_with("attachment")));
    assert_eq!(notice.headers["cache-control"], "no-store");
    let lines = notification_lines(&notice.bytes);
    assert_eq!(
        lines[0],
        [
            "行",
            "結果",
            "医療機関コード",
            "指定医番号",
            "氏名",
            "ログインID",
            "初期パスワード",
            "エラー"
        ]
    );
    assert_eq!(lines.len(), 7, "a line per row: {lines:?}");
    for line in &lines[1..] {
        match line[0].as_str() {
            "2" | "6" => {
                assert_eq!(line[1], "登録", "{line:?}");
                assert_eq!((line[5].len(), line[6].len()), (12, 16), "{line:?}");
                assert!(line[7].is_empty());
            }
            _ => {
                assert_eq!(line[1], "エラー", "{line:?}");
                assert!(line[5].is_empty() && line[6].is_empty(), "{line:?}");
                assert!(!line[7].is_empty(), "the error is stated: {line:?}");
            }
        }
    }
    assert_eq!(
        (lines[1][3].as_str(), lines[1][4].as_str()),
        ("D-1", "北海 一郎")
    );
    // The notified ID and password log in (and must be changed).
    let login = api.login(&lines[1][5], &lines[1][6]).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    assert_eq!(login.body["must_change_password"], true);
    // Downloaded again: the same IDs, registered already, and no password.
    let again = notification_lines(&api.upload(&download, &admin, file).await.bytes);
    assert_eq!(again[1][1], "登録済");
    assert_eq!(again[1][5], lines[1][5]);
    assert!(again[1][6].is_empty() && again[5][6].is_empty());

    // Files that are not user data files: one error for the whole file, nothing appended.
    let before = api.head().await;
    let wrong_header = [
        "医療機関コード",
        "制度",
        "指定医番号",
        "種別",
        "指定期間開始日",
        "指定期間終了日",
        "氏名",
    ];
    let r = api
        .upload(
            path,
            &admin,
            csv_text(&wrong_header, &user_rows("W")).into_bytes(),
        )
        .await;
    assert_eq!(
        r.code(),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("wrong_headers")),
        "{}",
        r.body
    );
    assert_eq!(
        r.body["details"]["file"]["columns"]["missing"],
        json!(["designation_kind"])
    );
    // Named by position, with a short excerpt of a header cell that is no person's data.
    assert_eq!(
        r.body["details"]["file"]["columns"]["unknown"],
        json!([{"column": "D", "excerpt": "種別"}])
    );
    assert_eq!(r.body["details"]["file"]["columns"]["header_row"], 1);
    let png =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89".to_vec();
    let r = api.upload(path, &admin, png).await;
    assert_eq!(
        r.code(),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_a_table")),
        "{}",
        r.body
    );
    let r = api.upload(path, &admin, plain_zip()).await;
    assert_eq!(
        r.code(),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unreadable_xlsx")),
        "{}",
        r.body
    );
    let r = api.upload(path, &admin, vec![]).await;
    assert_eq!(
        r.code(),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("empty_file"))
    );
    assert_eq!(api.head().await, before, "nothing appended");

    // Only a municipality admin registers from a file.
    let staff = api.token(hokkaido(Role::MunicipalityStaff)).await;
    api.assert_forbidden(
        "staff uploads a user data file",
        api.upload(
            path,
            &staff,
            csv_text(&HEADER, &user_rows("S")).into_bytes(),
        ),
    )
    .await;

    // The seed's rule the other way round: a 小慢 admin imports only the 小慢 doctor.
    let shoman_admin = api
        .token(hokkaido(Role::MunicipalityAdmin).program(Program::Shoman))
        .await;
    let r = api.upload(path, &shoman_admin, plain).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (r.body["created"].as_u64(), r.body["errors"].as_u64()),
        (Some(1), Some(5))
    );
    let results = r.body["results"].as_array().expect("results");
    assert_eq!(
        (results[1]["row"].as_u64(), results[1]["status"].as_str()),
        (Some(3), Some("created"))
    );
    assert_eq!(
        results[1]["account_id"].as_str(),
        Some(Account::doctor_id(Program::Shoman, "U-2").as_str())
    );
    for i in [0, 4] {
        assert!(
            results[i]["errors"]
                .as_array()
                .is_some_and(|e| e.iter().any(|e| e["column"] == "program")),
            "a 難病 doctor is an error for a 小慢 admin: {}",
            results[i]
        );
    }
}

/// The lines of an ID・PW発行通知書 (after its BOM).
fn notification_lines(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .expect("a BOM for Excel");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text)
        .records()
        .map(|r| r.expect("csv").iter().map(str::to_owned).collect())
        .collect()
}

/// A zip archive that is not a workbook.
fn plain_zip() -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("readme.txt", zip::write::SimpleFileOptions::default())
        .expect("zip entry");
    zip.write_all(b"not a spreadsheet").expect("zip write");
    zip.finish().expect("zip").into_inner()
}

#[tokio::test]
async fn postgres_user_data_file_in_every_format() {
    user_data_file(Db::Postgres).await;
}

#[tokio::test]
async fn sqlite_user_data_file_in_every_format() {
    user_data_file(Db::Sqlite).await;
}

// ---------------------------------------------------------------------------------------
// Secondary affiliations (兼務先)

async fn affiliations(db: Db) {
    let api = api_for(db).await;
    // A doctor of HOSPITAL writes a form there; a Tokyo doctor applies to work at HOSPITAL.
    let author = api.token(doctor_at(HOSPITAL)).await;
    let created = api.post("/api/forms", &author, new_form(HOSPITAL)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let form = format!("/api/forms/{}", created.str("id"));
    let visitor = api.who(doctor_at(OTHER_HOSPITAL)).await;
    let responsible = api
        .token(Who::new(Role::ResponsiblePerson).at(HOSPITAL))
        .await;
    let other_responsible = api
        .token(Who::new(Role::ResponsiblePerson).at(HOSPITAL_2))
        .await;
    assert_eq!(
        api.get(&form, &visitor.token).await.status,
        StatusCode::NOT_FOUND
    );
    api.assert_forbidden(
        "a form at an institution the doctor does not work at",
        api.post("/api/forms", &visitor.token, new_form(HOSPITAL)),
    )
    .await;

    // Applying: once, to a registered institution other than the doctor's own.
    let apply = |institution: &str| {
        api.post(
            "/api/affiliations",
            &visitor.token,
            json!({"institution": institution}),
        )
    };
    let r = apply(HOSPITAL).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        apply(HOSPITAL).await.code(),
        (StatusCode::CONFLICT, Some("nothing_to_do"))
    );
    assert_eq!(
        apply(OTHER_HOSPITAL).await.code(),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_account"))
    );
    assert_eq!(
        apply(SUCCESSOR).await.code(),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("unknown_institution")
        )
    );

    // Both sides see the pending request; another institution's responsible person does not.
    let pending = |r: &Reply| -> Vec<(String, String)> {
        r.body["affiliations"]
            .as_array()
            .unwrap_or_else(|| panic!("affiliations: {}", r.body))
            .iter()
            .filter(|a| a["status"] == "pending")
            .map(|a| {
                (
                    a["account_id"].as_str().unwrap_or_default().to_owned(),
                    a["institution"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let request = (visitor.account_id.clone(), HOSPITAL.to_owned());
    let own = api.get("/api/affiliations", &visitor.token).await;
    assert_eq!(pending(&own), std::slice::from_ref(&request));
    let theirs = api
        .get("/api/affiliations?status=pending", &responsible)
        .await;
    assert_eq!(pending(&theirs), std::slice::from_ref(&request));
    let elsewhere = api.get("/api/affiliations", &other_responsible).await;
    assert!(pending(&elsewhere).is_empty());
    // Pending is not approved.
    assert_eq!(
        api.get(&form, &visitor.token).await.status,
        StatusCode::NOT_FOUND
    );

    // Only HOSPITAL's responsible person decides.
    let client = &api;
    let decide = |token: &str, action: &str, body: Value| {
        let path = format!(
            "/api/affiliations/{}/{HOSPITAL}/{action}",
            visitor.account_id
        );
        let token = token.to_owned();
        async move { client.post(&path, &token, body).await }
    };
    api.assert_forbidden(
        "another institution's responsible person approves",
        decide(&other_responsible, "approve", json!({})),
    )
    .await;
    api.assert_forbidden(
        "the doctor approves their own request",
        decide(&visitor.token, "approve", json!({})),
    )
    .await;
    let approved = decide(&responsible, "approve", json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);

    // Approved: the doctor reads and writes forms at HOSPITAL with the session it has.
    assert_eq!(api.get(&form, &visitor.token).await.status, StatusCode::OK);
    let r = api
        .post("/api/forms", &visitor.token, new_form(HOSPITAL))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let me = api.get("/api/me", &visitor.token).await;
    assert_eq!(me.body["institutions"], json!([OTHER_HOSPITAL, HOSPITAL]));

    // Revocation needs a reason and removes the access again.
    let r = decide(&responsible, "revoke", json!({})).await;
    assert_eq!(
        r.code(),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason_required"))
    );
    api.assert_forbidden(
        "another institution's responsible person revokes",
        decide(&other_responsible, "revoke", json!({"reason": "x"})),
    )
    .await;
    let r = decide(&responsible, "revoke", json!({"reason": "兼務終了"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        api.get(&form, &visitor.token).await.status,
        StatusCode::NOT_FOUND
    );
    api.assert_forbidden(
        "a form at an institution the doctor does not work at",
        api.post("/api/forms", &visitor.token, new_form(HOSPITAL)),
    )
    .await;

    // Applying again, and a rejection with its reason: no access.
    assert_eq!(apply(HOSPITAL).await.status, StatusCode::CREATED);
    let r = decide(&responsible, "reject", json!({})).await;
    assert_eq!(
        r.code(),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason_required"))
    );
    let r = decide(
        &responsible,
        "reject",
        json!({"reason": "在籍が確認できません"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        api.get(&form, &visitor.token).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(pending(&api.get("/api/affiliations", &responsible).await).is_empty());
    assert_eq!(
        decide(&responsible, "approve", json!({})).await.code(),
        (StatusCode::CONFLICT, Some("nothing_to_do")),
        "nothing left to approve"
    );
    let events = api.stream("account", &visitor.account_id).await;
    let tail: Vec<&str> = events
        .iter()
        .rev()
        .take(5)
        .rev()
        .map(|e| e.event_type.as_str())
        .collect();
    assert_eq!(
        tail,
        [
            "AffiliationRequested",
            "AffiliationApproved",
            "AffiliationRevoked",
            "AffiliationRequested",
            "AffiliationRejected"
        ]
    );
    let rejected = events.last().expect("events");
    assert_eq!(
        rejected.metadata.reason.as_deref(),
        Some("在籍が確認できません")
    );
}

#[tokio::test]
async fn postgres_secondary_affiliation_apply_approve_revoke_reject() {
    affiliations(Db::Postgres).await;
}

#[tokio::test]
async fn sqlite_secondary_affiliation_apply_approve_revoke_reject() {
    affiliations(Db::Sqlite).await;
}

// ---------------------------------------------------------------------------------------
// 医療機関一括更新

async fn institution_switch(db: Db) {
    let api = api_for(db).await;
    let old = HOSPITAL_2;
    let doctor = api.who(doctor_at(old)).await;
    let responsible_doctor = api.who(doctor_at(old).responsible()).await;
    let responsible = api.who(Who::new(Role::ResponsiblePerson).at(old)).await;
    let clerk = api.who(Who::new(Role::Clerk).at(old)).await;
    let shoman_doctor = api.who(doctor_at(old).program(Program::Shoman)).await;
    let elsewhere = api.who(doctor_at(HOSPITAL)).await;
    let staff = api.token(hokkaido(Role::MunicipalityStaff)).await;
    let switch = format!("/api/institutions/{old}/switch");

    // No new code in the master yet.
    let r = api.post(&switch, &staff, json!({})).await;
    assert_eq!(
        r.code(),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("no_successor")),
        "{}",
        r.body
    );

    // The operator registers the new code and links the old one to it.
    let operator = api.token(Who::new(Role::Operator)).await;
    let r = api
        .post(
            "/api/masters/institutions",
            operator.as_str(),
            json!({"code": SUCCESSOR, "name": "小樽協会病院（新）"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let link = format!("/api/masters/institutions/{old}/successor");
    let r = api
        .post(&link, &staff, json!({"successor": SUCCESSOR}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = api
        .post(&link, &operator, json!({"successor": SUCCESSOR}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Only a municipality of the institution's jurisdiction switches.
    let tokyo = api
        .token(Who::new(Role::MunicipalityStaff).of(prefecture_government("13").as_str()))
        .await;
    api.assert_forbidden(
        "Tokyo switches a Hokkaido institution",
        api.post(&switch, &tokyo, json!({})),
    )
    .await;
    api.assert_forbidden(
        "a doctor switches",
        api.post(&switch, &doctor.token, json!({})),
    )
    .await;

    // The run lists the doctors of the old code and its non-doctor responsible person; not
    // the clerk, not another program's doctor, not a doctor elsewhere.
    let listed = |r: &Reply| -> Vec<(String, String)> {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["institution"], old);
        let mut v: Vec<(String, String)> = r.body["accounts"]
            .as_array()
            .expect("accounts")
            .iter()
            .map(|a| {
                (
                    a["account_id"].as_str().unwrap_or_default().to_owned(),
                    a["result"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let scheduled_as = |result: &str| {
        let mut v: Vec<(String, String)> = [&doctor, &responsible_doctor, &responsible]
            .iter()
            .map(|l| (l.account_id.clone(), result.to_owned()))
            .collect();
        v.sort();
        v
    };
    let first = api
        .post(&switch, &staff, json!({"reason": "開設者変更"}))
        .await;
    assert_eq!(listed(&first), scheduled_as("scheduled"));
    for other in [&clerk, &shoman_doctor, &elsewhere] {
        assert!(!String::from_utf8_lossy(&first.bytes).contains(&other.account_id));
    }

    // Twice: the same accounts, already scheduled, nothing appended.
    let before = api.head().await;
    let second = api.post(&switch, &staff, json!({})).await;
    assert_eq!(listed(&second), scheduled_as("already"));
    assert_eq!(api.head().await, before, "nothing appended");

    // Scheduled, not yet in effect: the doctor's session still shows the old code.
    let me = api.get("/api/me", &doctor.token).await;
    assert_eq!(me.body["primary_institution"], old);
    assert_eq!(
        me.body["pending_switch"],
        json!({"from": old, "to": SUCCESSOR})
    );
    let types = api.account_events(&doctor.account_id).await;
    assert!(types.contains(&"InstitutionSwitchScheduled".to_owned()));
    assert!(!types.contains(&"InstitutionSwitched".to_owned()));

    // It takes effect at the next login, as an event.
    let login = api.login(&doctor.login_id, &doctor.password).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    assert_eq!(login.body["switched"], json!([old, SUCCESSOR]));
    let events = api.stream("account", &doctor.account_id).await;
    let last = events.last().expect("events");
    assert_eq!(last.event_type, "InstitutionSwitched");
    assert_eq!(last.payload["from"], old);
    assert_eq!(last.payload["to"], SUCCESSOR);
    let me = api.get("/api/me", &login.str("token")).await;
    assert_eq!(me.body["primary_institution"], SUCCESSOR);
    assert_eq!(me.body["institutions"], json!([SUCCESSOR]));
    assert_eq!(me.body["pending_switch"], Value::Null);
    // A later login switches nothing more.
    let again = api.login(&doctor.login_id, &doctor.password).await;
    assert_eq!(again.body["switched"], Value::Null);
    assert_eq!(
        api.stream("account", &doctor.account_id).await.len(),
        events.len()
    );

    // Running the switch after some accounts moved still changes nothing.
    let before = api.head().await;
    let third = api.post(&switch, &staff, json!({})).await;
    assert_eq!(listed(&third), scheduled_as("already"));
    assert_eq!(api.head().await, before, "nothing appended");

    // The responsible person moves too; the clerk stays until re-registered.
    let login = api
        .login(&responsible.login_id, &responsible.password)
        .await;
    assert_eq!(login.body["switched"], json!([old, SUCCESSOR]));
    let me = api.get("/api/me", &login.str("token")).await;
    assert_eq!(
        (
            me.body["primary_institution"].as_str(),
            me.body["responsible_for"].as_str()
        ),
        (Some(SUCCESSOR), Some(SUCCESSOR))
    );
    let login = api.login(&clerk.login_id, &clerk.password).await;
    assert_eq!(login.status, StatusCode::OK);
    assert_eq!(login.body["switched"], Value::Null);
    let me = api.get("/api/me", &login.str("token")).await;
    assert_eq!(me.body["primary_institution"], old);
    assert!(!api
        .account_events(&clerk.account_id)
        .await
        .iter()
        .any(|t| t.starts_with("InstitutionSwitch")));
}

#[tokio::test]
async fn postgres_institution_code_switch_takes_effect_at_next_login() {
    institution_switch(Db::Postgres).await;
}

#[tokio::test]
async fn sqlite_institution_code_switch_takes_effect_at_next_login() {
    institution_switch(Db::Sqlite).await;
}

// ---------------------------------------------------------------------------------------
// Read audit

async fn read_audit(db: Db) {
    let api = api_for(db).await;
    let doctor = api.who(doctor_at(HOSPITAL)).await;
    let clerk = api.who(Who::new(Role::Clerk).at(HOSPITAL)).await;
    let created = api
        .post("/api/forms", &doctor.token, new_form(HOSPITAL))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.str("id");
    // A second form of the same patient, and one of another patient.
    let same_patient = api
        .post("/api/forms", &doctor.token, new_form(HOSPITAL))
        .await;
    let second = same_patient.str("id");
    let mut other = new_form(HOSPITAL);
    other["patient"]["name_kana"] = json!("サトウ ハナコ");
    other["patient"]["name_kanji"] = json!("佐藤 花子");
    let other = api.post("/api/forms", &doctor.token, other).await.str("id");

    let read = |token: &str, form: &str, from: &str| {
        api.send(
            api.client
                .get(api.url(&format!("/api/forms/{form}")))
                .bearer_auth(token)
                .header("x-forwarded-for", from),
        )
    };
    assert_eq!(
        read(&doctor.token, &id, "203.0.113.7").await.status,
        StatusCode::OK
    );
    assert_eq!(
        read(&clerk.token, &second, "203.0.113.8").await.status,
        StatusCode::OK
    );
    assert_eq!(
        read(&doctor.token, &other, "203.0.113.9").await.status,
        StatusCode::OK
    );
    // Each read is an event of its own stream, not of the form's.
    let reads = api.stream("form_reads", &id).await;
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].event_type, "FormRead");
    assert_eq!(reads[0].metadata.actor, doctor.account_id);
    assert_eq!(api.stream("form", &id).await.len(), 2, "drafted + judged");

    // The auditor lists who looked at the patient (through any of its forms).
    let auditor = api.token(Who::new(Role::Auditor)).await;
    let wanted = [
        (doctor.account_id.as_str(), id.as_str(), "203.0.113.7"),
        (clerk.account_id.as_str(), second.as_str(), "203.0.113.8"),
    ];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let entries = loop {
        let r = api
            .get(&format!("/api/audit/reads?form={id}"), &auditor)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let entries: Vec<(String, String, String, String)> = r.body["reads"]
            .as_array()
            .expect("reads")
            .iter()
            .map(|e| {
                let s = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
                (s("account_id"), s("form_id"), s("origin"), s("role"))
            })
            .collect();
        let complete = wanted
            .iter()
            .all(|(a, f, _)| entries.iter().any(|e| e.0 == *a && e.1 == *f));
        if complete || tokio::time::Instant::now() >= deadline {
            break entries;
        }
        // The view is a projection: it may lag the append by a moment.
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    for (account, form, origin) in wanted {
        assert!(
            entries
                .iter()
                .any(|e| e.0 == account && e.1 == form && e.2 == origin),
            "{account} read {form} from {origin}: {entries:?}"
        );
    }
    assert!(
        entries.iter().all(|e| e.1 != other),
        "another patient's reads are not listed: {entries:?}"
    );
    assert!(entries
        .iter()
        .any(|e| e.0 == clerk.account_id && e.3 == "clerk"));
    // The audit query is not itself a read of the patient's data.
    assert_eq!(api.stream("form_reads", &id).await.len(), 1);

    // Nobody else lists reads (the attempt is recorded); another program's auditor does not
    // find the form.
    for who in [
        Who::new(Role::Operator),
        doctor_at(HOSPITAL),
        hokkaido(Role::MunicipalityAdmin),
    ] {
        let login = api.who(who).await;
        api.assert_refused_with(
            "a non-auditor lists reads",
            api.get(&format!("/api/audit/reads?form={id}"), &login.token),
            Some((&id, "read_audit", &login.account_id)),
        )
        .await;
    }
    let shoman = api
        .token(Who::new(Role::Auditor).program(Program::Shoman))
        .await;
    assert_eq!(
        api.get(&format!("/api/audit/reads?form={id}"), &shoman)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn postgres_form_reads_are_audited() {
    read_audit(Db::Postgres).await;
}

#[tokio::test]
async fn sqlite_form_reads_are_audited() {
    read_audit(Db::Sqlite).await;
}
