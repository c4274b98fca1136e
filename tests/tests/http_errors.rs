//! Every rejection is in the API's error format: what the framework answers by itself (a body
//! too large, a body that is not declared JSON, a malformed path parameter, an unknown route, a
//! wrong method) as much as what the handlers answer — sent to every route of the OpenAPI
//! document. And every answer carries the headers that keep a stored string from running as a
//! page.

mod support;

use api::provision::{Provisioner, Who};
use domain::Role;
use nanbyo_tests::Db;
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

/// POST routes whose body is a file, not JSON.
const FILES: [&str; 2] = ["/api/accounts/user-file", "/api/imports/{use}"];

/// POST routes that take no body at all (they never read one; logging out would end the
/// session the test uses).
const BODYLESS: [&str; 2] = ["/api/forms/{id}/submit", "/api/logout"];

/// Routes streamed to disk with a limit of 2 GiB: too large to exceed in a test.
const STREAMED: [&str; 1] = ["/api/imports/{use}"];

fn concrete(path: &str, param: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { param } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// An answer as read: status, headers, body.
struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Answer {
    async fn of(r: reqwest::RequestBuilder) -> Answer {
        let r = r.send().await.expect("request");
        Answer {
            status: r.status(),
            headers: r.headers().clone(),
            text: r.text().await.unwrap_or_default(),
        }
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// What is wrong with it as the API's error format with `status`.
    fn is_error(&self, status: StatusCode) -> Result<(), String> {
        if self.status != status {
            return Err(format!(
                "status {}, not {status}: {}",
                self.status, self.text
            ));
        }
        if !self.header("content-type").starts_with("application/json") {
            return Err(format!("content-type {:?}", self.header("content-type")));
        }
        let v: Value = serde_json::from_str(&self.text)
            .map_err(|e| format!("not JSON ({e}): {}", self.text))?;
        let ok = v["code"].as_str().is_some_and(|c| !c.is_empty())
            && v["message"]["ja"].as_str().is_some_and(|m| !m.is_empty())
            && v["message"]["en"].as_str().is_some_and(|m| !m.is_empty());
        if !ok {
            return Err(format!("not the error format: {}", self.text));
        }
        self.is_safe()
    }

    /// The headers that keep a stored string from ever running as a page.
    fn is_safe(&self) -> Result<(), String> {
        if self.header("x-content-type-options") != "nosniff" {
            return Err("no X-Content-Type-Options: nosniff".into());
        }
        let csp = self.header("content-security-policy");
        if !csp.contains("default-src 'none'") {
            return Err(format!("Content-Security-Policy {csp:?}"));
        }
        Ok(())
    }
}

async fn every_framework_rejection_is_in_the_error_format(db: Db) {
    let (base, _, store) = support::spawn_with_store(db).await;
    let token = Provisioner::new(store)
        .token(&Who::new(Role::Operator))
        .await
        .expect("operator");
    let client = Client::new();
    let request = |method: Method, path: &str| {
        client
            .request(method, format!("{base}{path}"))
            .bearer_auth(&token)
    };
    let mut failures = Vec::new();
    let mut check = |what: String, result: Result<(), String>| {
        if let Err(why) = result {
            failures.push(format!("{what}: {why}"));
        }
    };
    for (method, path) in api::openapi::ROUTES {
        let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).expect("method");
        let url = concrete(path, "x");
        // A method the route does not take.
        let wrong = if method == Method::GET {
            Method::DELETE
        } else {
            Method::PUT
        };
        let a = Answer::of(request(wrong.clone(), &url)).await;
        check(
            format!("{wrong} {path}"),
            a.is_error(StatusCode::METHOD_NOT_ALLOWED).and_then(|()| {
                (!a.header("allow").is_empty())
                    .then_some(())
                    .ok_or_else(|| "no Allow header".to_owned())
            }),
        );
        if path.contains('{') {
            // Not UTF-8 once decoded: no handler can take it as an id.
            let a = Answer::of(
                request(method.clone(), &concrete(path, "%FF%FE"))
                    .header("content-type", "application/json")
                    .body("{}"),
            )
            .await;
            check(
                format!("{method} {path} with a malformed parameter"),
                a.is_error(StatusCode::BAD_REQUEST),
            );
        }
        if method != Method::POST || FILES.contains(path) || BODYLESS.contains(path) {
            continue;
        }
        for content_type in [
            Some("text/plain"),
            None,
            Some("application/x-www-form-urlencoded"),
        ] {
            let mut r = request(Method::POST, &url).body("{\"reason\":\"x\"}");
            if let Some(t) = content_type {
                r = r.header("content-type", t);
            }
            check(
                format!("POST {path} as {content_type:?}"),
                Answer::of(r)
                    .await
                    .is_error(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            );
        }
    }
    // Bodies over the limit, with and without an Idempotency-Key (the one reads it first).
    let big = vec![b' '; 40 * 1024 * 1024];
    for (_, path) in api::openapi::ROUTES.iter().filter(|(m, _)| *m == "post") {
        if STREAMED.contains(path) || *path == "/api/logout" {
            continue;
        }
        // A route that reads no body refuses a large one only where the key's layer reads it.
        // Login and the preview take no key at all (400 before the body is read).
        let keys: &[Option<&str>] = if BODYLESS.contains(path) {
            &[Some("too-large")]
        } else if matches!(*path, "/api/login" | "/api/forms/{id}/preview") {
            &[None]
        } else {
            &[None, Some("too-large")]
        };
        for &key in keys {
            let mut r = request(Method::POST, &concrete(path, "x"))
                .header("content-type", "application/json")
                .body(big.clone());
            if let Some(k) = key {
                r = r.header("idempotency-key", k);
            }
            check(
                format!("POST {path} too large, key {key:?}"),
                Answer::of(r).await.is_error(StatusCode::PAYLOAD_TOO_LARGE),
            );
        }
    }
    for path in ["/api/nothing-here", "/api/forms/x/nothing", "/api"] {
        check(
            format!("GET {path}"),
            Answer::of(request(Method::GET, path))
                .await
                .is_error(StatusCode::NOT_FOUND),
        );
    }
    // A successful answer carries the headers too.
    check(
        "GET /api/me".into(),
        Answer::of(request(Method::GET, "/api/me")).await.is_safe(),
    );
    assert!(
        failures.is_empty(),
        "[{db:?}] {} answers not in the error format:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn postgres_every_framework_rejection_is_in_the_error_format() {
    every_framework_rejection_is_in_the_error_format(Db::Postgres).await;
}

#[tokio::test]
async fn sqlite_every_framework_rejection_is_in_the_error_format() {
    every_framework_rejection_is_in_the_error_format(Db::Sqlite).await;
}
