//! `nanbyo bench projections`: on a scratch PostgreSQL database, generated forms (ten events
//! each: drafted, judged, six edits, submitted, received) appended straight to the store;
//! then the full rebuild of the form search and history views against reading the same
//! events raw, and the latency of form searches and of one form's history at that size.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use domain::disease::shipped;
use domain::form::{Application, FormEvent, ItemChange, MasterRef, Patient, Sex};
use domain::judgment::Purpose;
use domain::{EventCatalog, InstitutionCode, LocalGovernmentCode, Program, Role};
use eventstore::{EventStore, ExpectedVersion, Metadata, NewEvent, OpenOptions, SqlPool, StreamId};
use futures::StreamExt;
use projections::forms::{Filters, Scope, Sort};
use projections::history::Subject;
use rand::{Rng, SeedableRng};
use serde_json::json;

use super::{median, print_machine, quantile, ScratchPg};
use crate::config::BenchProjectionsArgs;

const KANA: &[&str] = &[
    "ヤマダ",
    "サトウ",
    "スズキ",
    "タカハシ",
    "タナカ",
    "ワタナベ",
    "イトウ",
    "ナカムラ",
    "コバヤシ",
    "カトウ",
];
const GIVEN: &[&str] = &[
    "ハナコ",
    "タロウ",
    "ジロウ",
    "ユウコ",
    "ケンジ",
    "アキラ",
    "ミホ",
    "サトシ",
];

pub async fn run(args: &BenchProjectionsArgs, database_url: Option<&str>) -> Result<()> {
    print_machine();
    let url = match database_url {
        Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => u,
        _ => bail!("pass --database-url postgres://… (the figures are for PostgreSQL)"),
    };
    let scratch = ScratchPg::create(url).await?;
    let result = bench(&scratch.url, args).await;
    scratch.drop_database().await?;
    result
}

/// A valid 北海道 institution code numbered `n`.
fn institution(n: usize) -> InstitutionCode {
    InstitutionCode::parse(&domain::codes::append_check_digit(&format!(
        "01101{:04}",
        n % 10_000
    )))
    .expect("valid institution code")
}

async fn generate(store: &Arc<dyn EventStore>, forms: usize) -> Result<Vec<String>> {
    let parkinson = shipped()
        .into_iter()
        .find(|d| d.program == Program::Nanbyo && d.code == "6")
        .context("the shipped master has disease 6")?;
    let items: BTreeMap<String, serde_json::Value> = serde_json::from_value(json!({
        "basic.onset_ym": "2019-06", "basic.diagnosis_ym": "2020-02",
        "dx.parkinsonism": true, "dx.imaging_no_cause": true,
        "dx.no_drug_toxin_exposure": true, "dx.antiparkinson_response": true,
        "sev.hoehn_yahr": "3", "sev.daily_life_disability": "2"
    }))?;
    let judgment = parkinson.judge(&items, Purpose::Subsidy);
    let jurisdiction = LocalGovernmentCode::parse("010006")?;
    let municipality = LocalGovernmentCode::parse("012025")?;
    let ids: Vec<String> = (0..forms)
        .map(|_| uuid::Uuid::now_v7().to_string())
        .collect();
    let started = Instant::now();
    let mut appends = futures::stream::iter(ids.clone().into_iter().enumerate())
        .map(|(n, id)| {
            let (store, items, judgment) = (store.clone(), items.clone(), judgment.clone());
            let (jurisdiction, municipality) = (jurisdiction.clone(), municipality.clone());
            async move {
                let mut rng = rand::rngs::StdRng::seed_from_u64(n as u64);
                let kana = format!(
                    "{} {}",
                    KANA[rng.gen_range(0..KANA.len())],
                    GIVEN[rng.gen_range(0..GIVEN.len())]
                );
                let patient = Patient {
                    name_kanji: super::numbered_name(n as u64).0,
                    name_kana: kana,
                    birth_date: format!(
                        "19{:02}-{:02}-{:02}",
                        rng.gen_range(30..99),
                        rng.gen_range(1..13),
                        rng.gen_range(1..29)
                    ),
                    sex: if n % 2 == 0 { Sex::Female } else { Sex::Male },
                    address: "小樽市花園".into(),
                    municipality,
                    insurer_number: Some("01234567".into()),
                    insured_symbol_number: Some("1・2".into()),
                    recipient_number: None,
                };
                let author = format!("doctor-{}", n % 500);
                let mut events = vec![
                    FormEvent::FormDrafted {
                        program: Program::Nanbyo,
                        disease: "6".into(),
                        form_version: "2024-04-01".into(),
                        application: Application::New,
                        purpose: Purpose::Subsidy,
                        institution: institution(n % 200),
                        author: author.clone(),
                        jurisdiction,
                        patient: Box::new(patient),
                        research_consent: n % 3 != 0,
                        items,
                        carried_over: None,
                        paper: None,
                        imported: None,
                    },
                    FormEvent::JudgmentRecorded {
                        judgment,
                        master: MasterRef {
                            disease: "6".into(),
                            form_version: "2024-04-01".into(),
                            master_version: "bench".into(),
                        },
                    },
                ];
                for k in 0..6 {
                    events.push(FormEvent::ItemsEdited {
                        changes: vec![ItemChange {
                            item: "sev.daily_life_disability".into(),
                            old: json!(if k % 2 == 0 { "2" } else { "3" }),
                            new: json!(if k % 2 == 0 { "3" } else { "2" }),
                        }],
                    });
                }
                events.push(FormEvent::FormSubmitted {
                    by: author,
                    access_key: "BENCHKEY0000".into(),
                });
                events.push(FormEvent::FormReceived {
                    access_key: "BENCHKEY0000".into(),
                });
                let metadata = Metadata::new(
                    format!("doctor-{}", n % 500),
                    Role::DesignatedDoctor,
                    Some(Program::Nanbyo),
                );
                let events = events
                    .iter()
                    .map(|e| NewEvent::from_domain(e, metadata.clone()))
                    .collect::<Result<Vec<_>, _>>()?;
                store
                    .append(
                        &StreamId::new("form", &id)?,
                        ExpectedVersion::NoStream,
                        events,
                        None,
                    )
                    .await?;
                anyhow::Ok(())
            }
        })
        .buffer_unordered(8);
    while let Some(r) = appends.next().await {
        r?;
    }
    println!(
        "# generated {forms} forms ({} events) in {:.1} s",
        forms * 10,
        started.elapsed().as_secs_f64()
    );
    Ok(ids)
}

/// Baseline: the same events read raw, in global order, in pages of 5,000 rows.
async fn raw_read(sql: &SqlPool) -> Result<(u64, f64)> {
    let SqlPool::Postgres(pool) = sql else {
        bail!("PostgreSQL only")
    };
    let started = Instant::now();
    let mut after = 0i64;
    let mut n = 0u64;
    loop {
        let rows: Vec<(i64, String, serde_json::Value, serde_json::Value)> = sqlx::query_as(
            "SELECT global_position, event_type, payload::jsonb, metadata::jsonb FROM events \
             WHERE global_position > $1 ORDER BY global_position LIMIT 5000",
        )
        .bind(after)
        .fetch_all(pool)
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        n += rows.len() as u64;
    }
    Ok((n, started.elapsed().as_secs_f64()))
}

async fn bench(url: &str, args: &BenchProjectionsArgs) -> Result<()> {
    let store = eventstore::open(
        url,
        Arc::new(EventCatalog::registry()),
        OpenOptions {
            migrate: true,
            max_connections: 16,
        },
    )
    .await?;
    let ids = generate(&store, args.forms).await?;
    let sql = store.sql();

    for name in [projections::forms::NAME, projections::history::NAME] {
        let (mut ours, mut base) = (vec![], vec![]);
        for _ in 0..args.rounds {
            let started = Instant::now();
            let rebuilt = projections::with_projection!(name, |p| projections::rebuild(
                &store,
                &p,
                |_, _| {}
            )
            .await)
            .context("known projection")??;
            ours.push(rebuilt.events as f64 / started.elapsed().as_secs_f64());
            let (n, secs) = raw_read(&sql).await?;
            base.push(n as f64 / secs);
        }
        let (ours, base) = (median(ours), median(base));
        println!(
            "projections.rebuild[{name}] {ours:.0} events/s baseline_raw_read={base:.0} ratio={:.2}",
            ours / base
        );
    }

    // Searches as the API runs them, at this size: a doctor's institution list, a municipality's
    // kana prefix, an auditor's partial kana, birth date and status filters; second pages too.
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut latencies = vec![];
    let mut by_kind: Vec<Vec<f64>> = vec![vec![]; 10];
    for i in 0..args.queries {
        let kind = (i % 5) * 2 + (i % 2);
        let (scope, filters) = match i % 5 {
            0 => (
                Scope::Institutions(vec![institution(rng.gen_range(0..200)).to_string()]),
                Filters::default(),
            ),
            1 => (
                Scope::Jurisdiction("010006".into()),
                Filters {
                    kana_prefix: Some(KANA[rng.gen_range(0..KANA.len())].into()),
                    ..Filters::default()
                },
            ),
            2 => (
                Scope::Program,
                Filters {
                    kana_contains: Some(GIVEN[rng.gen_range(0..GIVEN.len())].into()),
                    ..Filters::default()
                },
            ),
            3 => (
                Scope::Program,
                Filters {
                    birth_date: Some(format!(
                        "19{:02}-{:02}-{:02}",
                        rng.gen_range(30..99),
                        rng.gen_range(1..13),
                        rng.gen_range(1..29)
                    )),
                    ..Filters::default()
                },
            ),
            _ => (
                Scope::Jurisdiction("010006".into()),
                Filters {
                    status: Some("received".into()),
                    outcome: Some("meets".into()),
                    ..Filters::default()
                },
            ),
        };
        let sort = if i % 2 == 0 {
            Sort::UpdatedDesc
        } else {
            Sort::KanaAsc
        };
        let started = Instant::now();
        let page =
            projections::forms::search(&sql, "nanbyo", &scope, &filters, sort, None, 51).await?;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        by_kind[kind].push(started.elapsed().as_secs_f64() * 1000.0);
        if let Some(last) = page.get(49) {
            let after = projections::forms::After {
                key: match sort {
                    Sort::KanaAsc => projections::forms::AfterKey::Text(last.kana.clone()),
                    _ => projections::forms::AfterKey::Time(last.updated_at),
                },
                form_id: last.form_id.clone(),
            };
            let started = Instant::now();
            projections::forms::search(&sql, "nanbyo", &scope, &filters, sort, Some(&after), 51)
                .await?;
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let kinds = [
        "institution/updated",
        "institution/kana",
        "jurisdiction+kana prefix/updated",
        "jurisdiction+kana prefix/kana",
        "kana contains/updated",
        "kana contains/kana",
        "birth date/updated",
        "birth date/kana",
        "status+outcome/updated",
        "status+outcome/kana",
    ];
    let breakdown: Vec<String> = kinds
        .iter()
        .zip(&by_kind)
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k} p99={:.1}", quantile(v.clone(), 0.99)))
        .collect();
    println!("# first pages, ms: {}", breakdown.join("; "));
    println!(
        "projections.search_latency {} forms p50={:.2} ms p99={:.2} ms ({} queries)",
        args.forms,
        quantile(latencies.clone(), 0.5),
        quantile(latencies.clone(), 0.99),
        latencies.len()
    );

    let mut latencies = vec![];
    for _ in 0..args.queries {
        let id = &ids[rng.gen_range(0..ids.len())];
        let started = Instant::now();
        let entries = projections::history::of(&sql, &Subject::Form(id.clone()), 0, 10_000).await?;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        if entries.len() != 10 {
            bail!("the history of {id} has {} entries, not 10", entries.len());
        }
    }
    println!(
        "projections.form_history_latency p50={:.2} ms p99={:.2} ms ({} forms' histories of 10 entries)",
        quantile(latencies.clone(), 0.5),
        quantile(latencies, 0.99),
        args.queries
    );
    Ok(())
}
