//! `nanbyo bench catalogue`: what shipping the whole catalogue (every 指定難病 and 小慢 disease,
//! two editions) costs against the 12 diseases shipped before it, in the same run.
//! - `catalogue.judgment_evals`: look up the disease in the master in force and judge a
//!   complete form, round-robin over the 12 diseases with rules, one thread — with the whole
//!   catalogue loaded; baseline: the same forms with a master of those 12 diseases only.
//! - `catalogue.judgment_evals_all`: the same over every shipped disease (most are judged by the
//!   municipality, which is cheaper); same baseline.
//! - `catalogue.startup_first` / `catalogue.startup_restart`: `serve`'s start on a fresh SQLite
//!   store (publishes the master) and on the same store again (reads it), and the resident
//!   memory it adds; baseline: the same with a master of the 12 diseases.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use domain::disease::DiseaseForm;
use domain::judgment::Purpose;
use domain::master::{DiseaseMaster, MasterEvent};
use domain::{Aggregate, EventCatalog};
use eventstore::OpenOptions;
use serde_json::Value;

use super::{median, print_machine};
use crate::config::BenchCatalogueArgs;

pub async fn run(args: &BenchCatalogueArgs) -> Result<()> {
    print_machine();
    let editions: Vec<(String, Vec<DiseaseForm>)> = commands::forms::shipped_versions();
    let twelve: Vec<DiseaseForm> = editions[0]
        .1
        .iter()
        .filter(|d| d.has_rules())
        .cloned()
        .collect();
    judgment(args.judgments, &editions, &twelve);
    search(&editions, &twelve);
    startup(&editions, &twelve).await
}

fn master_of(versions: &[(String, Vec<DiseaseForm>)]) -> DiseaseMaster {
    versions.iter().fold(DiseaseMaster::default(), |m, (v, d)| {
        m.apply(&MasterEvent::MasterVersionPublished {
            version: v.clone(),
            diseases: d.clone(),
        })
    })
}

/// Lookups and judgments per second, round-robin over `forms`, against `master`.
fn evals(
    master: &DiseaseMaster,
    forms: &[(DiseaseForm, BTreeMap<String, Value>)],
    n: usize,
) -> f64 {
    let started = Instant::now();
    let mut sink = 0usize;
    for i in 0..n {
        let (d, items) = &forms[i % forms.len()];
        let (_, m) = master
            .find_on(d.program, &d.code, &d.form_version, "2025-06-01")
            .expect("in force");
        sink += m
            .judge(std::hint::black_box(items), Purpose::Subsidy)
            .errors
            .len();
    }
    std::hint::black_box(sink);
    n as f64 / started.elapsed().as_secs_f64()
}

fn judgment(n: usize, editions: &[(String, Vec<DiseaseForm>)], twelve: &[DiseaseForm]) {
    let whole = master_of(editions);
    let small = master_of(&[("twelve".to_owned(), twelve.to_vec())]);
    let with_rules: Vec<_> = twelve
        .iter()
        .map(|d| (d.clone(), super::forms::complete(d)))
        .collect();
    let all: Vec<_> = whole
        .in_force_on("2025-06-01")
        .into_iter()
        .map(|(_, d)| (d.clone(), super::forms::complete(d)))
        .collect();
    let (mut w, mut s, mut a) = (vec![], vec![], vec![]);
    for _ in 0..5 {
        w.push(evals(&whole, &with_rules, n));
        s.push(evals(&small, &with_rules, n));
        a.push(evals(&whole, &all, n));
    }
    let (w, s, a) = (median(w), median(s), median(a));
    println!(
        "# lookup + judgment, {n} per round, one thread; whole catalogue: {} diseases in force",
        all.len()
    );
    println!(
        "catalogue.judgment_evals {w:.0} evals/s baseline_12_diseases={s:.0} ratio={:.2}",
        w / s
    );
    println!(
        "catalogue.judgment_evals_all {a:.0} evals/s baseline_12_diseases={s:.0} ratio={:.2}",
        a / s
    );
}

/// Type-ahead queries per second on the disease search index (and the time to build it, once
/// per master version and day), whole catalogue against the 12 diseases.
fn search(editions: &[(String, Vec<DiseaseForm>)], twelve: &[DiseaseForm]) {
    use queries::masters::DiseaseIndex;
    let queries = [
        "か",
        "かいよう",
        "潰瘍性大腸炎",
        "97",
        "2",
        "ネフローゼ",
        "iga",
        "症候群",
        "内分泌",
    ];
    let measure = |master: &DiseaseMaster| {
        let started = Instant::now();
        let index = DiseaseIndex::build(master, "2025-06-01");
        let build = started.elapsed().as_secs_f64() * 1000.0;
        let n = 2_000;
        let started = Instant::now();
        let mut sink = 0;
        for i in 0..n {
            let program = if i % 2 == 0 {
                domain::Program::Nanbyo
            } else {
                domain::Program::Shoman
            };
            sink += index
                .search(program, Some(queries[i % queries.len()]), 20)
                .len();
        }
        std::hint::black_box(sink);
        (build, n as f64 / started.elapsed().as_secs_f64())
    };
    let (mut bw, mut qw, mut bs, mut qs) = (vec![], vec![], vec![], vec![]);
    let whole = master_of(editions);
    let small = master_of(&[("twelve".to_owned(), twelve.to_vec())]);
    for _ in 0..5 {
        let (b, q) = measure(&whole);
        bw.push(b);
        qw.push(q);
        let (b, q) = measure(&small);
        bs.push(b);
        qs.push(q);
    }
    let (qw, qs) = (median(qw), median(qs));
    println!(
        "catalogue.search {qw:.0} queries/s ({:.3} ms each) baseline_12_diseases={qs:.0} ratio={:.2}",
        1000.0 / qw,
        qw / qs
    );
    let (bw, bs) = (median(bw), median(bs));
    println!("catalogue.search_index_build {bw:.1} ms baseline_12_diseases={bs:.2} ms");
}

/// Resident memory now, in MiB (Linux).
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<f64>().ok())
        })
        .map(|pages| pages * 4096.0 / 1_048_576.0)
        .unwrap_or(f64::NAN)
}

/// The start of `serve` as `startup::Application::bind` does it — open the store, publish the
/// master's versions that are missing, read the master — on a fresh SQLite file, then again
/// on the same file (a restart). Seconds and the memory the master cache holds.
async fn start(versions: &[(String, Vec<DiseaseForm>)]) -> Result<(f64, f64, f64)> {
    let dir = std::env::temp_dir().join(format!("nanbyo-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).context("a scratch directory")?;
    let url = format!("sqlite://{}/bench.db", dir.display());
    let open = || {
        eventstore::open(
            &url,
            Arc::new(EventCatalog::registry()),
            OpenOptions {
                migrate: true,
                max_connections: 4,
            },
        )
    };
    let before = rss_mib();
    let started = Instant::now();
    let store = open().await?;
    let cache = commands::forms::MasterCache::default();
    commands::forms::publish_versions(&store, &cache, versions.to_vec())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let first = started.elapsed().as_secs_f64();
    drop(cache);
    drop(store);
    let started = Instant::now();
    let store = open().await?;
    let cache = commands::forms::MasterCache::default();
    commands::forms::publish_versions(&store, &cache, versions.to_vec())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let restart = started.elapsed().as_secs_f64();
    let memory = rss_mib() - before;
    drop(cache);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    Ok((first, restart, memory))
}

async fn startup(editions: &[(String, Vec<DiseaseForm>)], twelve: &[DiseaseForm]) -> Result<()> {
    let small = vec![("twelve".to_owned(), twelve.to_vec())];
    let (mut fw, mut rw, mut mw, mut fs, mut rs, mut ms) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..3 {
        // The smaller first: the memory the larger adds is then not hidden in freed pages.
        let (f, r, m) = start(&small).await?;
        fs.push(f);
        rs.push(r);
        ms.push(m);
        let (f, r, m) = start(editions).await?;
        fw.push(f);
        rw.push(r);
        mw.push(m);
    }
    let size: usize = editions
        .iter()
        .map(|(_, d)| serde_json::to_string(d).map(|s| s.len()).unwrap_or(0))
        .sum();
    println!(
        "# start-up on SQLite: publish (first start) and read (restart) the master; whole catalogue {:.1} MiB of JSON",
        size as f64 / 1_048_576.0
    );
    let (fw, fs) = (median(fw), median(fs));
    println!(
        "catalogue.startup_first {fw:.3} s baseline_12_diseases={fs:.3} delta={:.3}",
        fw - fs
    );
    let (rw, rs) = (median(rw), median(rs));
    println!(
        "catalogue.startup_restart {rw:.3} s baseline_12_diseases={rs:.3} delta={:.3}",
        rw - rs
    );
    let (mw, ms) = (median(mw), median(ms));
    println!(
        "catalogue.startup_memory {mw:.1} MiB baseline_12_diseases={ms:.1} delta={:.1}",
        mw - ms
    );
    Ok(())
}
