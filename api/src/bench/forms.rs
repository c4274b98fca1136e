//! `nanbyo bench forms`:
//! - `forms.judgment_evals`: machine judgments per second on one core, round-robin over every
//!   shipped disease with a complete form each; baseline: the Parkinson's disease criteria
//!   written by hand in Rust (what a rules-as-code design would run), on the same thread.
//! - `forms.http_flow`: forms per second through HTTP — create, 3 edits, submit — with 8
//!   concurrent clients against the real service on PostgreSQL; baseline: the same events
//!   appended straight to the store (no HTTP, no loading, no deciding), same concurrency.

use std::collections::BTreeMap;
use std::future::IntoFuture;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use domain::disease::{shipped, DiseaseForm};
use domain::judgment::{ItemKind, Purpose};
use domain::{EventCatalog, Role};
use eventstore::{ExpectedVersion, Metadata, NewEvent, OpenOptions, StreamId};
use serde_json::{json, Value};

use super::{median, print_machine, ScratchPg};
use crate::config::{BenchFormsArgs, ServeArgs};
use crate::startup::Application;

pub async fn run(args: &BenchFormsArgs, database_url: Option<&str>) -> Result<()> {
    print_machine();
    judgment(args.judgments);
    match database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            let scratch = ScratchPg::create(url).await?;
            let result = http_flow(&scratch.url, args).await;
            scratch.drop_database().await?;
            result?;
        }
        _ => println!("# forms.http_flow skipped: pass --database-url postgres://… to measure it"),
    }
    Ok(())
}

/// A complete, valid form for a disease: every item given a value of its type.
pub(super) fn complete(d: &DiseaseForm) -> BTreeMap<String, Value> {
    d.items
        .iter()
        .map(|i| {
            let v = match &i.kind {
                ItemKind::Integer { min, .. } => json!(min.unwrap_or(1)),
                ItemKind::Decimal { min, .. } => json!(min.unwrap_or(1.0)),
                ItemKind::Date => json!("2020-01-15"),
                ItemKind::YearMonth => json!("2020-01"),
                ItemKind::Enum { options } => json!(options.last().map(|o| o.code.clone())),
                ItemKind::Boolean => json!(true),
                ItemKind::Text { .. } => json!("所見"),
                ItemKind::MultiChoice { options } => {
                    json!(options.iter().map(|o| o.code.clone()).collect::<Vec<_>>())
                }
            };
            (i.id.clone(), v)
        })
        .collect()
}

/// パーキンソン病 (6) as code: the rules of masters/…/006-parkinson.json, by hand.
fn parkinson_by_hand(items: &BTreeMap<String, Value>) -> (u8, usize) {
    let flag = |k: &str| items.get(k).and_then(Value::as_bool);
    let stage = |k: &str, max: u8| {
        items
            .get(k)
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<u8>().ok())
            .filter(|n| *n <= max)
    };
    let ym = |k: &str| {
        items
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| s.len() == 7 && s.as_bytes()[4] == b'-')
    };
    let mut errors = 0;
    if let (Some(a), Some(b)) = (ym("basic.onset_ym"), ym("basic.diagnosis_ym")) {
        if a > b {
            errors += 1;
        }
    }
    let hy = stage("sev.hoehn_yahr", 5);
    let life = stage("sev.daily_life_disability", 3);
    if flag("dx.parkinsonism") == Some(true) && hy == Some(0) {
        errors += 1;
    }
    let dx = [
        "dx.parkinsonism",
        "dx.imaging_no_cause",
        "dx.no_drug_toxin_exposure",
        "dx.antiparkinson_response",
    ]
    .map(flag);
    let diagnosis = if dx.contains(&Some(false)) {
        Some(false)
    } else if dx.contains(&None) {
        None
    } else {
        Some(true)
    };
    let severity = match (hy, life) {
        (Some(h), Some(l)) => Some(h >= 3 && l >= 2),
        (Some(h), None) if h < 3 => Some(false),
        (None, Some(l)) if l < 2 => Some(false),
        _ => None,
    };
    let outcome = match (diagnosis, severity) {
        (Some(false), _) | (_, Some(false)) => 1,
        (Some(true), Some(true)) => 0,
        _ => 2,
    };
    (outcome, errors)
}

fn judgment(n: usize) {
    let diseases = shipped();
    let forms: Vec<(DiseaseForm, BTreeMap<String, Value>)> =
        diseases.iter().map(|d| (d.clone(), complete(d))).collect();
    let parkinson = forms
        .iter()
        .find(|(d, _)| d.code == "6")
        .map(|(_, f)| f.clone())
        .unwrap_or_default();
    let parkinson_master = diseases.iter().find(|d| d.code == "6").cloned();
    let (mut ours, mut park, mut base) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        let started = Instant::now();
        let mut sink = 0usize;
        for i in 0..n {
            let (d, f) = &forms[i % forms.len()];
            sink += d.judge(f, Purpose::Subsidy).errors.len();
        }
        ours.push(n as f64 / started.elapsed().as_secs_f64());
        if let Some(d) = &parkinson_master {
            let started = Instant::now();
            for _ in 0..n {
                sink += d.judge(&parkinson, Purpose::Subsidy).errors.len();
            }
            park.push(n as f64 / started.elapsed().as_secs_f64());
        }
        let started = Instant::now();
        for _ in 0..n {
            sink += parkinson_by_hand(std::hint::black_box(&parkinson)).1;
        }
        base.push(n as f64 / started.elapsed().as_secs_f64());
        std::hint::black_box(sink);
    }
    let base = median(base);
    println!(
        "# judgment over {} shipped diseases, {n} evaluations per round, one thread",
        forms.len()
    );
    let ours = median(ours);
    println!(
        "forms.judgment_evals {ours:.0} evals/s baseline_handwritten_parkinson={base:.0} ratio={:.2}",
        ours / base
    );
    let park = median(park);
    println!(
        "forms.judgment_evals_parkinson {park:.0} evals/s baseline_handwritten_parkinson={base:.0} ratio={:.2}",
        park / base
    );
}

fn new_form(items: &BTreeMap<String, Value>) -> Value {
    json!({
        "disease": "6", "application": "new", "purpose": "subsidy",
        "institution": "0110113719", "jurisdiction": "010006", "research_consent": true,
        "patient": {
            "name_kanji": "試験 太郎", "name_kana": "シケン タロウ", "birth_date": "1950-04-01",
            "sex": "male", "address": "小樽市花園", "municipality": "012025",
            "insurer_number": null, "insured_symbol_number": null, "recipient_number": null
        },
        "items": items,
    })
}

async fn http_flow(url: &str, args: &BenchFormsArgs) -> Result<()> {
    let store = eventstore::open(
        url,
        Arc::new(EventCatalog::registry()),
        OpenOptions {
            migrate: true,
            max_connections: 32,
        },
    )
    .await?;
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
    let base_url = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped(std::future::pending()).into_future());
    // Real logins: the operator registers the institution, a doctor of it fills forms.
    let accounts = crate::provision::Provisioner::new(store.clone());
    let operator = accounts
        .token(&crate::provision::Who::new(Role::Operator))
        .await?;
    reqwest::Client::new()
        .post(format!("{base_url}/api/masters/institutions"))
        .bearer_auth(&operator)
        .json(&json!({"code": "0110113719", "name": "ベンチマーク病院"}))
        .send()
        .await?
        .error_for_status()?;
    let who = accounts
        .token(&crate::provision::Who::new(Role::DesignatedDoctor).at("0110113719"))
        .await?;
    let items = shipped()
        .into_iter()
        .find(|d| d.code == "6")
        .map(|d| complete(&d))
        .unwrap_or_default();
    let clients = 8;
    let per_client = args.forms / clients;
    let (mut ours, mut base) = (Vec::new(), Vec::new());
    for round in 0..args.rounds {
        // Baseline: the same five appends per form, straight to the store.
        let started = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..clients {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let event = |name: &str| {
                    NewEvent::from_domain(
                        &domain::institution::InstitutionEvent::InstitutionRenamed {
                            name: name.into(),
                        },
                        Metadata::new("doctor-bench", Role::DesignatedDoctor, None),
                    )
                };
                for f in 0..per_client {
                    let s = StreamId::new("institution", &format!("flow-{round}-{c}-{f}"))?;
                    let mut expected = ExpectedVersion::NoStream;
                    for (i, n) in [2usize, 1, 2, 1, 1].into_iter().enumerate() {
                        let events = (0..n)
                            .map(|k| event(&format!("{i}-{k}")))
                            .collect::<Result<Vec<_>, _>>()?;
                        let r = store.append(&s, expected, events, None).await?;
                        expected = ExpectedVersion::Exact(r.last_version);
                    }
                }
                anyhow::Ok(())
            }));
        }
        for t in tasks {
            t.await??;
        }
        base.push((clients * per_client) as f64 / started.elapsed().as_secs_f64());

        // The service: create, three edits, submit.
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let (base_url, items, who) = (base_url.clone(), items.clone(), who.clone());
            tasks.push(tokio::spawn(async move {
                let client = reqwest::Client::new();
                for _ in 0..per_client {
                    let created: Value = client
                        .post(format!("{base_url}/api/forms"))
                        .bearer_auth(&who)
                        .json(&new_form(&items))
                        .send()
                        .await?
                        .error_for_status()?
                        .json()
                        .await?;
                    let id = created["id"].as_str().context("id")?.to_owned();
                    for stage in ["2", "3", "4"] {
                        client
                            .post(format!("{base_url}/api/forms/{id}/items"))
                            .bearer_auth(&who)
                            .json(&json!({"items": {"sev.hoehn_yahr": stage}}))
                            .send()
                            .await?
                            .error_for_status()?;
                    }
                    client
                        .post(format!("{base_url}/api/forms/{id}/submit"))
                        .bearer_auth(&who)
                        .send()
                        .await?
                        .error_for_status()?;
                }
                anyhow::Ok(())
            }));
        }
        for t in tasks {
            t.await??;
        }
        ours.push((clients * per_client) as f64 / started.elapsed().as_secs_f64());
    }
    let (ours, base) = (median(ours), median(base));
    println!(
        "forms.http_flow[postgres] {ours:.0} forms/s baseline_store_appends={base:.0} ratio={:.2}",
        ours / base
    );
    Ok(())
}
