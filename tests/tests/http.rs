//! The HTTP service end to end: the real router on a random port, a fresh database per test,
//! spoken to like a client would.

mod support;

use nanbyo_tests::Db;
use support::spawn;

async fn health_and_readiness(db: Db, name: &str) {
    let (base, _) = spawn(db).await;
    let health = reqwest::get(format!("{base}/healthz"))
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    let body: serde_json::Value = health.json().await.expect("json");
    assert_eq!(body["status"], "ok");

    let ready = reqwest::get(format!("{base}/readyz"))
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.expect("json");
    assert_eq!(
        body,
        serde_json::json!({"status": "ready", "database": name})
    );

    let missing = reqwest::get(format!("{base}/no-such-route"))
        .await
        .expect("404");
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn postgres_service_is_healthy_and_ready() {
    health_and_readiness(Db::Postgres, "postgres").await;
}

#[tokio::test]
async fn sqlite_service_is_healthy_and_ready() {
    health_and_readiness(Db::Sqlite, "sqlite").await;
}

#[tokio::test]
async fn readiness_fails_with_a_coded_503_when_the_database_is_gone() {
    use sqlx::Connection;
    let (base, url) = spawn(Db::Postgres).await;
    let (_, db) = url.rsplit_once('/').expect("db name");
    let mut admin = sqlx::PgConnection::connect(&nanbyo_tests::pg_admin_url())
        .await
        .expect("admin");
    sqlx::query(&format!("DROP DATABASE {db} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .expect("drop");

    let ready = reqwest::get(format!("{base}/readyz"))
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.expect("json");
    assert_eq!(body["code"], "database_unavailable");
    assert!(body["message"]["ja"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    assert!(body["message"]["en"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    // The process itself is still up.
    let health = reqwest::get(format!("{base}/healthz"))
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
}

/// Every route the OpenAPI document lists is served (a 404 from the router itself has no
/// error code), and the document is served.
#[tokio::test]
async fn every_documented_route_is_served() {
    let (base, _) = spawn(Db::Sqlite).await;
    let client = reqwest::Client::new();
    for (method, path) in api::openapi::ROUTES {
        let url = format!("{base}{}", path.replace("{id}", "no-such-form"));
        let req = match *method {
            "get" => client.get(&url),
            _ => client.post(&url).json(&serde_json::json!({})),
        };
        let r = req.send().await.expect("request");
        let status = r.status();
        assert_ne!(status, 405, "{method} {path}");
        if status == 404 {
            let body: serde_json::Value = r.json().await.unwrap_or_default();
            assert!(body["code"].is_string(), "{method} {path} is not routed");
        }
    }
    let doc: serde_json::Value = reqwest::get(format!("{base}/openapi.json"))
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
}

/// Without a valid bearer token a command is 401, with nothing to tell a missing token
/// from a forged one; the old development header opens nothing.
#[tokio::test]
async fn without_a_valid_token_a_command_is_401_whatever_was_sent() {
    let (base, _) = spawn(Db::Sqlite).await;
    let operator = serde_json::json!({"account": "op", "role": "operator", "program": "nanbyo",
        "institutions": [], "jurisdiction": null, "designation": null});
    let client = reqwest::Client::new();
    let body = serde_json::json!({"code": "0110113719", "name": "x"});
    let url = format!("{base}/api/masters/institutions");
    let attempts = [
        client.post(&url).json(&body),
        client
            .post(&url)
            .header("x-nanbyo-dev-actor", operator.to_string())
            .json(&body),
        client.post(&url).bearer_auth("0".repeat(64)).json(&body),
        client.post(&url).bearer_auth("not-a-token").json(&body),
        client
            .post(&url)
            .header("authorization", "Basic b3A6b3A=")
            .json(&body),
    ];
    let mut bodies = vec![];
    for attempt in attempts {
        let r = attempt.send().await.expect("request");
        assert_eq!(r.status(), 401);
        bodies.push(r.text().await.expect("body"));
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
}
