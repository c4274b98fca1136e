//! `deploy/postgres-roles.sql` as shipped, tested: a database migrated by its owner role, the
//! file's grants applied, and the service served by the least-privilege role with
//! `--skip-migrations` — the relay, the linkage and every projection running in it — through
//! a representative run of the routes and background jobs: the first operator bootstrapped as
//! `nanbyo accounts bootstrap-operator` does it, logins and password changes, account creation
//! and listing, the masters, a form drafted, edited, submitted, received by its アクセスキー and
//! searched, its history and read audit, a bulk import job with its status and rows, a research
//! extract. Every projection and follower must reach the store's head without stopping. A new
//! table that a migration creates without a grant in the file fails here.

mod relay_support;

use std::future::IntoFuture;
use std::time::Duration;

use api::config::ServeArgs;
use api::provision::{Provisioner, Who};
use api::startup::{open_store, projection_status, Application};
use domain::{Program, Role};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use relay_support::NatsServer;

const HOSPITAL: &str = "0110113719";

struct Api {
    base: String,
    client: Client,
}

impl Api {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut r = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.expect("request");
        let status = r.status();
        let text = r.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, token, None).await
    }

    /// A 2xx answer's body, else the test fails naming the route.
    async fn ok(&self, what: &str, answer: (StatusCode, Value)) -> Value {
        let (status, body) = answer;
        assert!(status.is_success(), "{what}: {status} {body}");
        body
    }
}

fn form() -> Value {
    json!({
        "disease": "6", "application": "new", "purpose": "subsidy", "institution": HOSPITAL,
        "jurisdiction": "010006", "research_consent": true,
        "patient": {
            "name_kanji": "権限 花子", "name_kana": "ケンゲン ハナコ", "birth_date": "1950-04-01",
            "sex": "female", "address": "小樽市花園2丁目", "municipality": "012025",
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_role_of_the_roles_file_runs_every_route_and_background_job() {
    let db = nanbyo_tests::roles_database().await;
    let nats = NatsServer::start().await;

    // As production runs it: the service role, no migrations, relay and linkage on.
    let store = open_store(&db.service_url, false)
        .await
        .expect("the service role opens the store");
    let data_dir =
        std::env::temp_dir().join(format!("nanbyo-test-{}", uuid::Uuid::new_v4().simple()));
    // What `serve` runs with NATS_URL set (the linkage retrying every second).
    let mut linkage = relay::LinkageConfig::new(nats.url());
    linkage.retry_base = Duration::from_secs(1);
    let nats_settings = api::nats::NatsSettings {
        relay: relay::RelayConfig::new(nats.url()),
        linkage: Some(linkage),
    };
    let app = Application::bind(
        &ServeArgs {
            listen: "127.0.0.1:0".parse().expect("addr"),
            skip_migrations: true,
            no_projections: false,
            secure_cookies: false,
            demo: false,
        },
        store.clone(),
    )
    .await
    .expect("the service role publishes the shipped master")
    .with_data_dir(data_dir.clone())
    .with_nats(Some(nats_settings), data_dir);
    let api = Api {
        base: format!("http://{}", app.local_addr()),
        client: Client::new(),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        app.run_until_stopped(async {
            let _ = stopped.await;
        })
        .into_future(),
    );

    // The first operator, as `nanbyo accounts bootstrap-operator --skip-migrations` makes it,
    // logs in over HTTP and changes the issued password.
    let issued = match commands::accounts::bootstrap_operator(&store, Program::Nanbyo, "運営 太郎")
        .await
        .expect("the service role bootstraps the operator")
    {
        commands::accounts::Created::New(issued, _) => issued,
        other => panic!("a new operator: {other:?}"),
    };
    let login = api
        .ok(
            "login",
            api.post(
                "/api/login",
                "",
                json!({"login_id": issued.login_id, "password": issued.initial_password}),
            )
            .await,
        )
        .await;
    let operator = login["token"].as_str().expect("token").to_owned();
    api.ok(
        "password change",
        api.post(
            "/api/me/password",
            &operator,
            json!({"current_password": issued.initial_password, "new_password": "Chosen-Passw0rd-1"}),
        )
        .await,
    )
    .await;
    api.ok("me", api.get("/api/me", &operator).await).await;
    api.ok(
        "institution",
        api.post(
            "/api/masters/institutions",
            &operator,
            json!({"code": HOSPITAL, "name": "札幌中央病院"}),
        )
        .await,
    )
    .await;
    let admin = api
        .ok(
            "account creation",
            api.post(
                "/api/accounts",
                &operator,
                json!({"role": "municipality_admin", "display_name": "道庁 管理者", "jurisdiction": "010006"}),
            )
            .await,
        )
        .await;
    let admin_login = api
        .ok(
            "the new account's login",
            api.post(
                "/api/login",
                "",
                json!({"login_id": admin["login_id"], "password": admin["initial_password"]}),
            )
            .await,
        )
        .await;
    assert_eq!(admin_login["must_change_password"], true);
    // The other accounts through the same commands the routes use.
    let accounts = Provisioner::new(store.clone());
    let doctor = accounts
        .token(&Who::new(Role::DesignatedDoctor).at(HOSPITAL))
        .await
        .expect("doctor");
    let staff = accounts
        .token(&Who::new(Role::MunicipalityStaff).of("010006"))
        .await
        .expect("staff");
    let auditor = accounts
        .token(&Who::new(Role::Auditor))
        .await
        .expect("auditor");
    let listed = api
        .ok("accounts", api.get("/api/accounts", &operator).await)
        .await;
    assert!(listed.to_string().contains("道庁 管理者"), "{listed}");
    api.ok("diseases", api.get("/api/masters/diseases", &doctor).await)
        .await;

    // A form: drafted, edited, submitted, received by its アクセスキー, searched, read, its
    // history and read audit.
    let created = api
        .ok("form draft", api.post("/api/forms", &doctor, form()).await)
        .await;
    let id = created["id"].as_str().expect("id").to_owned();
    api.ok(
        "form edit",
        api.post(
            &format!("/api/forms/{id}/items"),
            &doctor,
            json!({"items": {"sev.hoehn_yahr": "4"}}),
        )
        .await,
    )
    .await;
    api.ok(
        "form submit",
        api.post(&format!("/api/forms/{id}/submit"), &doctor, json!({}))
            .await,
    )
    .await;
    let submitted = api
        .ok(
            "form read",
            api.get(&format!("/api/forms/{id}"), &doctor).await,
        )
        .await;
    let access_key = submitted["access_key"].as_str().expect("access key");
    let received = api
        .ok(
            "receive by access key",
            api.post(
                "/api/forms/receive",
                &staff,
                json!({"access_key": access_key}),
            )
            .await,
        )
        .await;
    let position = received["position"].as_u64().unwrap_or(0);
    let found = api
        .ok(
            "search",
            api.get(&format!("/api/forms?after_position={position}"), &staff)
                .await,
        )
        .await;
    assert!(found.to_string().contains(&id), "{found}");
    api.ok(
        "history",
        api.get(&format!("/api/forms/{id}/history"), &doctor).await,
    )
    .await;
    api.ok(
        "judgment",
        api.get(&format!("/api/forms/{id}/judgment"), &doctor).await,
    )
    .await;
    api.ok(
        "read audit",
        api.get(&format!("/api/audit/reads?form={id}"), &auditor)
            .await,
    )
    .await;

    // A bulk import job, its status, the caller's jobs and the rows.
    let file = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../examples/imports/hospital/hospital.utf8.csv"),
    )
    .expect("example file");
    let r = api
        .client
        .post(format!(
            "{}/api/imports/hospital?file_name=hospital.csv",
            api.base
        ))
        .bearer_auth(&doctor)
        .body(file)
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let accepted: Value = r.json().await.expect("json");
    let job = accepted["job_id"].as_str().expect("job id").to_owned();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        let status = api
            .ok(
                "import job status",
                api.get(&format!("/api/imports/jobs/{job}"), &doctor).await,
            )
            .await;
        if matches!(status["status"].as_str(), Some("finished" | "failed")) {
            break status;
        }
        assert!(tokio::time::Instant::now() < deadline, "{status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status["status"], "finished", "{status}");
    let jobs = api
        .ok("import jobs", api.get("/api/imports", &doctor).await)
        .await;
    assert!(jobs.to_string().contains(&job), "{jobs}");
    api.ok(
        "import rows",
        api.get(&format!("/api/imports/jobs/{job}/rows"), &doctor)
            .await,
    )
    .await;

    // A research extract (its view, its files, its event).
    api.ok(
        "research extract",
        api.post(
            "/api/research/extracts",
            &operator,
            json!({"purpose": "権限の試験", "approval": "IRB-ROLES"}),
        )
        .await,
    )
    .await;

    // Every projection, the relay and the linkage inquirer reach the store's head without
    // stopping, and the linkage recorded its inquiry (its view and its attempt counters).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let all = projection_status(&store).await.expect("projection status");
        for s in &all {
            assert!(
                s.error.is_none(),
                "projection {} stopped: {:?}",
                s.name,
                s.error
            );
        }
        let mut followers = vec![];
        for name in [relay::publisher::CHECKPOINT, relay::linkage::INQUIRER] {
            followers.push(relay::follow::behind(&store, name).await.expect("behind").1);
        }
        let unanswered = relay::linkage::unanswered(&store.sql())
            .await
            .expect("inquiries");
        if all.iter().all(|s| s.behind == 0)
            && followers.iter().all(|b| *b == 0)
            && unanswered.iter().any(|u| u.attempts > 0)
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "behind: {:?}, followers {followers:?}, inquiries {unanswered:?}",
            all.iter().map(|s| (s.name, s.behind)).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let _ = stop.send(());
    server.await.expect("server task").expect("a clean stop");
    db.drop_all().await;
}
