//! `nanbyo bench research` (PostgreSQL, a scratch database): generated forms — drafted,
//! judged, submitted, received and reviewed, 5 events each, 90 % with research consent —
//! appended straight to the store, the research view projected, then:
//! - `research.extract_parquet`: rows per second of an extract written to Parquet alone;
//! - `research.extract_csv`: the same to CSV alone;
//! - `research.extract_both`: the real extract's work, CSV and Parquet in one pass;
//!
//! each next to the baseline `read_raw`: the same rows read page by page from the same
//! snapshot with nothing done to them (no pseudonym, no encoding, no file). Every figure is the
//! median of `--rounds`. The peak resident memory is printed after generating and after the
//! extracts: an extract that held its rows would raise it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use domain::disease::shipped;
use domain::form::{Application, FormEvent, MasterRef, Patient, ReviewResult, Sex};
use domain::judgment::Purpose;
use domain::pseudonym::ResearchKey;
use domain::research::{ExtractFilter, ExtractRequest};
use domain::{EventCatalog, InstitutionCode, LocalGovernmentCode, Program, Role};
use eventstore::{EventStore, ExpectedVersion, Metadata, NewEvent, OpenOptions, StreamId};
use projections::research::{Selection, Snapshot};
use serde_json::{json, Value};

use super::{median, print_machine, ScratchPg};
use crate::config::BenchResearchArgs;

pub async fn run(args: &BenchResearchArgs, database_url: Option<&str>) -> Result<()> {
    print_machine();
    let Some(url) = database_url.filter(|u| u.starts_with("postgres")) else {
        bail!("bench research needs --database-url postgres://…");
    };
    let scratch = ScratchPg::create(url).await?;
    let result = measure(&scratch.url, args).await;
    scratch.drop_database().await?;
    result
}

/// Peak resident memory of this process (Linux), MiB.
fn peak_rss_mib() -> f64 {
    super::peak_rss_kib().map_or(f64::NAN, |kib| kib as f64 / 1024.0)
}

async fn measure(url: &str, args: &BenchResearchArgs) -> Result<()> {
    let store = eventstore::open(
        url,
        Arc::new(EventCatalog::registry()),
        OpenOptions {
            migrate: true,
            max_connections: 16,
        },
    )
    .await?;
    let masters = commands::forms::MasterCache::default();
    commands::forms::publish_shipped(&store, &masters)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let version = commands::forms::shipped_version();

    let started = Instant::now();
    generate(&store, args.forms, &version).await?;
    let generated = started.elapsed().as_secs_f64();
    println!(
        "# generated {} forms ({} events) in {generated:.1} s; peak RSS {:.0} MiB",
        args.forms,
        args.forms * 5,
        peak_rss_mib()
    );

    // Project the research view once.
    let started = Instant::now();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let runner = tokio::spawn(projections::run(
        store.clone(),
        projections::research::Research::default(),
        stopped,
        None,
    ));
    let head = projections::committed_head(&store).await?;
    let reached = projections::wait_for(
        &store.sql(),
        projections::research::NAME,
        head,
        Duration::from_secs(3600),
    )
    .await?;
    stop.send_replace(true);
    let _ = runner.await;
    if !reached {
        bail!("the research view did not catch up");
    }
    println!(
        "# research view: {} events projected in {:.1} s ({:.0} events/s)",
        args.forms * 5,
        started.elapsed().as_secs_f64(),
        (args.forms * 5) as f64 / started.elapsed().as_secs_f64()
    );

    let key = ResearchKey::from_bytes([7; 32]);
    let request = ExtractRequest {
        program: Program::Nanbyo,
        purpose: "benchmark".into(),
        approval: "BENCH-1".into(),
        filter: ExtractFilter {
            diseases: vec![],
            from: None,
            to: None,
            certified_only: false,
        },
    };
    let selection = Selection {
        program: Program::Nanbyo,
        diseases: vec![],
        from: None,
        to: None,
        certified_only: false,
    };
    let dir = std::env::temp_dir().join(format!(
        "nanbyo-bench-research-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir)?;
    let mut figures: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut sizes: BTreeMap<&str, u64> = BTreeMap::new();
    let mut rows_seen = 0;
    for round in 0..args.rounds {
        // Baseline: the same pages from the same kind of snapshot, untouched.
        let started = Instant::now();
        let mut snapshot = Snapshot::open(&store.sql()).await?;
        let mut after = String::new();
        let mut rows = 0u64;
        loop {
            let page = snapshot
                .page(&selection, &after, commands::research::PAGE_ROWS)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.form_id.clone();
            rows += page.len() as u64;
        }
        snapshot.close().await?;
        figures
            .entry("read_raw")
            .or_default()
            .push(rows as f64 / started.elapsed().as_secs_f64());
        rows_seen = rows;

        for (name, formats) in [
            (
                "parquet",
                commands::research::Formats {
                    csv: false,
                    parquet: true,
                },
            ),
            (
                "csv",
                commands::research::Formats {
                    csv: true,
                    parquet: false,
                },
            ),
            (
                "both",
                commands::research::Formats {
                    csv: true,
                    parquet: true,
                },
            ),
        ] {
            let started = Instant::now();
            let (n, files) = commands::research::write_unrecorded(
                &store,
                &key,
                &request,
                &dir,
                &format!("{name}-{round}"),
                formats,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            figures
                .entry(name)
                .or_default()
                .push(n as f64 / started.elapsed().as_secs_f64());
            if n != rows {
                bail!("{name} wrote {n} rows, the baseline read {rows}");
            }
            for f in files {
                sizes.insert(f.format.extension(), f.bytes);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let base = median(figures.remove("read_raw").unwrap_or_default());
    for (name, label) in [
        ("parquet", "extract_parquet"),
        ("csv", "extract_csv"),
        ("both", "extract_both"),
    ] {
        let ours = median(figures.remove(name).unwrap_or_default());
        println!(
            "research.{label}[postgres] {ours:.0} rows/s baseline_read_raw={base:.0} ratio={:.2}",
            ours / base
        );
    }
    println!(
        "# {rows_seen} rows per extract; files: csv {:.1} MiB, parquet {:.1} MiB; peak RSS {:.0} MiB",
        *sizes.get("csv").unwrap_or(&0) as f64 / 1048576.0,
        *sizes.get("parquet").unwrap_or(&0) as f64 / 1048576.0,
        peak_rss_mib()
    );
    Ok(())
}

/// `n` forms of 難病 patients, each its own stream of five events, appended by 8 writers.
async fn generate(store: &Arc<dyn EventStore>, n: usize, version: &str) -> Result<()> {
    let disease = shipped()
        .into_iter()
        .find(|d| d.program == Program::Nanbyo && d.code == "6")
        .context("the shipped master has Parkinson's disease")?;
    let writers = 8;
    let mut tasks = vec![];
    for w in 0..writers {
        let (store, disease, version) = (store.clone(), disease.clone(), version.to_owned());
        tasks.push(tokio::spawn(async move {
            let institution = InstitutionCode::parse("0110113719")?;
            let hokkaido = LocalGovernmentCode::parse("010006")?;
            let otaru = LocalGovernmentCode::parse("012025")?;
            let meta = || Metadata::new("bench", Role::DesignatedDoctor, Some(Program::Nanbyo));
            for i in (w..n).step_by(writers) {
                let items: BTreeMap<String, Value> = [
                    ("basic.onset_ym", json!("2019-06")),
                    ("basic.diagnosis_ym", json!("2020-02")),
                    ("dx.parkinsonism", json!(true)),
                    ("dx.imaging_no_cause", json!(true)),
                    ("dx.no_drug_toxin_exposure", json!(true)),
                    ("dx.antiparkinson_response", json!(i % 7 != 0)),
                    ("sev.hoehn_yahr", json!(format!("{}", 1 + i % 5))),
                    ("sev.daily_life_disability", json!(format!("{}", 1 + i % 3))),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
                let judgment = disease.judge(&items, Purpose::Subsidy);
                let (name_kanji, name_kana) = super::numbered_name(i as u64);
                let patient = Patient {
                    name_kanji,
                    name_kana,
                    birth_date: format!("{}-{:02}-{:02}", 1930 + i % 80, 1 + i % 12, 1 + i % 28),
                    sex: if i % 2 == 0 { Sex::Male } else { Sex::Female },
                    address: format!("小樽市試験町{i}"),
                    municipality: otaru.clone(),
                    insurer_number: Some("39012345".into()),
                    insured_symbol_number: Some(format!("{i}")),
                    recipient_number: None,
                };
                let events = [
                    FormEvent::FormDrafted {
                        program: Program::Nanbyo,
                        disease: "6".into(),
                        form_version: disease.form_version.clone(),
                        application: Application::Renewal,
                        purpose: Purpose::Subsidy,
                        institution: institution.clone(),
                        author: "bench".into(),
                        jurisdiction: hokkaido.clone(),
                        patient: Box::new(patient),
                        research_consent: i % 10 != 0,
                        items,
                        carried_over: None,
                        paper: None,
                        imported: None,
                    },
                    FormEvent::JudgmentRecorded {
                        judgment,
                        master: MasterRef {
                            disease: "6".into(),
                            form_version: disease.form_version.clone(),
                            master_version: version.clone(),
                        },
                    },
                    FormEvent::FormSubmitted {
                        by: "bench".into(),
                        access_key: "ABCDEFGHJKLM".into(),
                    },
                    FormEvent::FormReceived {
                        access_key: "ABCDEFGHJKLM".into(),
                    },
                    FormEvent::ReviewResultRecorded {
                        result: ReviewResult::Certified {
                            from: "2024-05-01".into(),
                            to: "2025-04-30".into(),
                        },
                    },
                ]
                .iter()
                .map(|e| NewEvent::from_domain(e, meta()))
                .collect::<Result<Vec<_>, _>>()?;
                let stream = StreamId::new("form", &uuid::Uuid::now_v7().to_string())?;
                store
                    .append(&stream, ExpectedVersion::NoStream, events, None)
                    .await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}
