//! `nanbyo bench web`: the server time of the web client on the demo registry, over HTTP on
//! this machine (client and server in one process, loopback):
//! - `web.entry_page`: rendering the form-entry page of the largest shipped master (most
//!   items), p50 and p99;
//! - `web.live_judgment`: one live-judgment round trip (the htmx preview of every item of that
//!   form), p50 and p99;
//!
//! each next to the baseline of the same run: the JSON API's read of the same form
//! (`GET /api/forms/{id}`, a recorded read like the page). SQLite by default (the README's
//! store), PostgreSQL with a postgres:// --database-url (a scratch database).

use std::future::IntoFuture;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use domain::disease::shipped;
use domain::{EventCatalog, Program};
use eventstore::OpenOptions;
use serde_json::{json, Value};

use super::{print_machine, quantile, ScratchPg};
use crate::config::{BenchWebArgs, ServeArgs};
use crate::startup::Application;

pub async fn run(args: &BenchWebArgs, database_url: Option<&str>) -> Result<()> {
    print_machine();
    match database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            let scratch = ScratchPg::create(url).await?;
            let result = measure(&scratch.url, "postgres", args).await;
            scratch.drop_database().await?;
            result
        }
        _ => {
            let dir = std::env::temp_dir().join(format!("nanbyo-bench-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&dir)?;
            let url = format!("sqlite://{}", dir.join("web.db").display());
            let result = measure(&url, "sqlite", args).await;
            let _ = std::fs::remove_dir_all(&dir);
            result
        }
    }
}

fn ms(samples: &[f64], q: f64) -> f64 {
    quantile(samples.to_vec(), q) * 1000.0
}

async fn measure(url: &str, backend: &str, args: &BenchWebArgs) -> Result<()> {
    let store = eventstore::open(
        url,
        Arc::new(EventCatalog::registry()),
        OpenOptions {
            migrate: true,
            max_connections: 16,
        },
    )
    .await?;
    let accounts = crate::demo::create(&store).await?;
    let app = Application::bind(
        &ServeArgs {
            listen: "127.0.0.1:0".parse().context("address")?,
            skip_migrations: false,
            no_projections: false,
            secure_cookies: false,
            demo: false,
        },
        store.clone(),
    )
    .await?;
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped(std::future::pending()).into_future());

    // The largest shipped master, and the demo doctor of its program at 札幌中央病院.
    let disease = shipped()
        .into_iter()
        .max_by_key(|d| d.items.len())
        .context("a shipped master")?;
    let doctor = match disease.program {
        Program::Nanbyo => "山田 一郎",
        Program::Shoman => "中村 十和",
    };
    let login_id = accounts
        .iter()
        .find(|a| a.name == doctor)
        .map(|a| a.login_id.clone())
        .context("the demo doctor")?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let token: Value = client
        .post(format!("{base}/api/login"))
        .json(&json!({"login_id": login_id, "password": crate::demo::PASSWORD}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = token["token"].as_str().context("a token")?.to_owned();
    let created: Value = client
        .post(format!("{base}/api/forms"))
        .bearer_auth(&token)
        .json(&json!({
            "disease": disease.code, "application": "new", "purpose": "subsidy",
            "institution": crate::demo::HOSPITAL_A, "jurisdiction": crate::demo::HOKKAIDO,
            "research_consent": true,
            "patient": {
                "name_kanji": "試験 太郎", "name_kana": "シケン タロウ", "birth_date": "2012-04-01",
                "sex": "male", "address": "小樽市花園2丁目", "municipality": "012033",
                "insurer_number": "01234567", "insured_symbol_number": null,
                "recipient_number": null
            },
            "items": {}
        }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let id = created["id"].as_str().context("a form id")?.to_owned();
    // The browser's session: the same token in the cookie, its CSRF token beside it.
    let cookie = format!("{}={token}", web::session::SESSION_COOKIE);
    let csrf = web::session::csrf_for(&token);
    let items: Vec<(String, String)> = super::forms::complete(&disease)
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s,
                Value::Bool(b) => b.to_string(),
                Value::Array(a) => a
                    .first()
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                other => other.to_string(),
            };
            (format!("item.{k}"), v)
        })
        .collect();

    let (mut api, mut page, mut live) = (vec![], vec![], vec![]);
    for i in 0..args.warmup + args.requests {
        let t = Instant::now();
        let r = client
            .get(format!("{base}/api/forms/{id}"))
            .bearer_auth(&token)
            .send()
            .await?;
        let ok = r.status().is_success();
        r.bytes().await?;
        let api_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let r = client
            .get(format!("{base}/forms/{id}"))
            .header("cookie", &cookie)
            .send()
            .await?;
        let ok = ok && r.status().is_success();
        let body = r.text().await?;
        let page_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let r = client
            .post(format!("{base}/forms/{id}/preview"))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .header("hx-request", "true")
            .form(&items)
            .send()
            .await?;
        let ok = ok && r.status().is_success();
        r.bytes().await?;
        let live_s = t.elapsed().as_secs_f64();
        if !ok || !body.contains(&disease.name_ja) {
            bail!("a request of the benchmark failed");
        }
        if i >= args.warmup {
            api.push(api_s);
            page.push(page_s);
            live.push(live_s);
        }
    }
    println!(
        "# {backend}: disease {} {} ({} items), {} requests each after {} warm-up",
        disease.code,
        disease.name_ja,
        disease.items.len(),
        args.requests,
        args.warmup
    );
    for (name, samples) in [("web.entry_page", &page), ("web.live_judgment", &live)] {
        for (q, label) in [(0.5, "p50"), (0.99, "p99")] {
            let (ours, baseline) = (ms(samples, q), ms(&api, q));
            println!(
                "{name}.{label}.{backend} {ours:.2} ms (baseline api.read_form.{label} {baseline:.2} ms, ratio {:.2})",
                ours / baseline
            );
        }
    }
    Ok(())
}
