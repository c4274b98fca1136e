//! `nanbyo bench import` (PostgreSQL, a scratch database): a generated hospital CSV of
//! `--rows` rows (one new form per row, a Parkinson's disease form with its items), imported
//! as a designated doctor through the real job (validation pass, then batches decided and
//! appended with the job's results):
//! - `import.hospital_csv`: rows per second of the whole job (validate + apply), next to the
//!   baseline `append_many`: the very events the import appended (each form's drafting and
//!   judgment, plus one job event per batch), appended again to fresh streams through the
//!   store's batch append, batch for batch, with no parsing, validation or judgment — only the
//!   append calls are timed;
//! - `import.peak_memory`: the peak resident memory of `nanbyo import hospital FILE` run as a
//!   child process for `--rows` and for `--memory-rows` rows: flat memory means the two are
//!   close (target: within 1.2×).
//!
//! Rounds: the throughput is the median of `--rounds` imports of fresh files (new external
//! references each round).

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use commands::imports as imp;
use domain::import_job::ImportUse;
use domain::{EventCatalog, InstitutionCode, Role};
use eventstore::{EventStore, ExpectedVersion, NewEvent, OpenOptions, StreamAppend, StreamId};

use super::{median, print_machine, ScratchPg};
use crate::config::BenchImportArgs;
use crate::provision::{Provisioner, Who};

const HOSPITAL: &str = "0110113719";

pub async fn run(args: &BenchImportArgs, database_url: Option<&str>) -> Result<()> {
    print_machine();
    let Some(url) = database_url.filter(|u| u.starts_with("postgres")) else {
        bail!("bench import needs --database-url postgres://…");
    };
    let scratch = ScratchPg::create(url).await?;
    let result = measure(&scratch.url, args).await;
    scratch.drop_database().await?;
    result
}

/// Writes a hospital CSV of `rows` rows (round `round`: its own external references).
fn generate(path: &std::path::Path, rows: usize, round: usize) -> Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    out.write_all(
        "external_ref,institution,disease,form_version,application,purpose,research_consent,\
         patient_name_kanji,patient_name_kana,patient_birth_date,patient_sex,patient_address,\
         patient_municipality,insurer_number,insured_symbol_number,recipient_number,\
         basic.onset_ym,basic.diagnosis_ym,dx.parkinsonism,dx.imaging_no_cause,\
         dx.no_drug_toxin_exposure,dx.antiparkinson_response,sev.hoehn_yahr,\
         sev.daily_life_disability\r\n"
            .as_bytes(),
    )?;
    for i in 0..rows {
        let (name, kana) = super::numbered_name(i as u64);
        let recipient = domain::codes::append_check_digit(&format!("{:06}", i % 1_000_000));
        writeln!(
            out,
            "R{round}-{i:07},{HOSPITAL},6,2024-04-01,{},subsidy,{},{name},{kana},\
             19{:02}-{:02}-{:02},{},小樽市花園{}丁目{}番,012025,0123456{},記号{}・番号{},{recipient},\
             2019-{:02},2020-{:02},true,true,true,{},{},{}\r",
            if i % 3 == 0 { "renewal" } else { "new" },
            i % 10 != 0,
            30 + i % 60,
            i % 12 + 1,
            i % 28 + 1,
            if i % 2 == 0 { "male" } else { "female" },
            i % 9 + 1,
            i % 30 + 1,
            i % 10,
            i % 100,
            i % 1000,
            i % 12 + 1,
            i % 12 + 1,
            i % 7 != 0,
            i % 6,
            i % 3 + 1,
        )?;
    }
    out.flush()?;
    Ok(())
}

async fn measure(url: &str, args: &BenchImportArgs) -> Result<()> {
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
    let accounts = Provisioner::new(store.clone());
    let operator_token = accounts.token(&Who::new(Role::Operator)).await?;
    let (operator, _) = commands::accounts::authenticate(&store, &operator_token)
        .await?
        .context("operator")?;
    commands::forms::register_institution(
        &store,
        &operator,
        InstitutionCode::parse(HOSPITAL)?,
        "札幌中央病院".into(),
        None,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let doctor_login = accounts
        .login(&Who::new(Role::DesignatedDoctor).at(HOSPITAL))
        .await?;
    let (doctor, _) = commands::accounts::authenticate(&store, &doctor_login.token)
        .await?
        .context("doctor")?;
    let work = std::env::temp_dir().join(format!("nanbyo-bench-import-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&work)?;
    let files = work.join("imports");

    let mut import_rates = vec![];
    let mut baseline_rates = vec![];
    for round in 0..args.rounds {
        let csv = work.join(format!("hospital-{round}.csv"));
        generate(&csv, args.rows, round)?;
        let staged = imp::stage(&files, std::fs::File::open(&csv)?, imp::MAX_FILE_BYTES)?;
        let (job, _) = imp::receive(
            &store,
            &masters,
            &doctor,
            imp::Upload {
                use_: ImportUse::Hospital,
                file_name: "hospital.csv",
                staged: &staged,
                contractor: None,
            },
            None,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let started = Instant::now();
        let done = imp::run(&store, &masters, &files, &job, &()).await?;
        let seconds = started.elapsed().as_secs_f64();
        if done.applied != args.rows as u64 {
            bail!("the import applied {} of {} rows", done.applied, args.rows);
        }
        import_rates.push(args.rows as f64 / seconds);
        baseline_rates.push(baseline(&store, &job, args.rows).await?);
        println!(
            "# round {}: import {:.0} rows/s, baseline {:.0} rows/s",
            round + 1,
            import_rates[round],
            baseline_rates[round]
        );
        let _ = std::fs::remove_file(&csv);
    }
    let (rate, base) = (median(import_rates), median(baseline_rates));
    println!(
        "import.hospital_csv {rate:.0} rows/s baseline append_many {base:.0} rows/s ratio {:.2} target >= 20000 rows/s",
        rate / base
    );

    // Peak memory of the real command line, for two file sizes.
    let mut peaks = vec![];
    for rows in [args.rows, args.memory_rows] {
        let csv = work.join(format!("memory-{rows}.csv"));
        generate(&csv, rows, 1000 + rows)?;
        let started = Instant::now();
        let output = std::process::Command::new(std::env::current_exe()?)
            .arg("--database-url")
            .arg(url)
            .arg("--data-dir")
            .arg(&work)
            .args(["import", "hospital"])
            .arg(&csv)
            .arg("--as")
            .arg(&doctor_login.login_id)
            .env("NANBYO_PRINT_PEAK_MEMORY", "1")
            .stderr(std::process::Stdio::null())
            .output()?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let peak: u64 = stdout
            .lines()
            .find_map(|l| l.strip_prefix("peak_memory_kib "))
            .and_then(|v| v.trim().parse().ok())
            .with_context(|| format!("nanbyo import printed no peak memory: {stdout}"))?;
        if !stdout.lines().any(|l| l == format!("applied {rows}")) {
            bail!("the {rows}-row import did not apply every row: {stdout}");
        }
        println!(
            "# {rows} rows through `nanbyo import`: {:.1} s, peak {:.1} MiB",
            started.elapsed().as_secs_f64(),
            peak as f64 / 1024.0
        );
        peaks.push(peak as f64);
        let _ = std::fs::remove_file(&csv);
    }
    println!(
        "import.peak_memory {:.1} MiB at {} rows, {:.1} MiB at {} rows, ratio {:.2} target <= 1.2",
        peaks[0] / 1024.0,
        args.rows,
        peaks[1] / 1024.0,
        args.memory_rows,
        peaks[1] / peaks[0]
    );
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

/// The baseline: the events job `job` appended (its forms' and its own batch events), appended
/// again to fresh streams through `append_many`, batch for batch; rows per second of the
/// append calls alone.
async fn baseline(store: &Arc<dyn EventStore>, job: &str, rows: usize) -> Result<f64> {
    // The import's events, in commit order: each batch is one transaction ending with the
    // job's ImportRowsApplied.
    let mut batches: Vec<Vec<eventstore::RecordedEvent>> = vec![];
    let mut current = vec![];
    let mut after = 0;
    loop {
        let page = store.read_all(after, 10_000).await?;
        let Some(last) = page.last() else { break };
        after = last.position;
        for e in page {
            let job_batch = e.stream.id == job && e.event_type == "ImportRowsApplied";
            let of_job =
                e.stream.stream_type == "form" && e.metadata.correlation_id.to_string() == job;
            if of_job {
                current.push(e);
            } else if job_batch {
                current.push(e);
                batches.push(std::mem::take(&mut current));
            }
        }
    }
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let mut versions: std::collections::HashMap<StreamId, u64> = Default::default();
    let mut elapsed = 0.0;
    for batch in batches {
        // Built before the clock starts: the baseline times the store alone.
        let mut appends: Vec<StreamAppend> = vec![];
        for e in batch {
            let stream =
                StreamId::new(&e.stream.stream_type, &format!("{}-{suffix}", e.stream.id))?;
            let event = NewEvent {
                event_id: uuid::Uuid::now_v7(),
                event_type: e.event_type.clone(),
                schema_version: e.schema_version,
                payload: e.payload.clone(),
                metadata: e.metadata.clone(),
            };
            match appends.last_mut() {
                Some(last) if last.stream == stream => last.events.push(event),
                _ => {
                    let expected = match versions.get(&stream) {
                        None => ExpectedVersion::NoStream,
                        Some(&v) => ExpectedVersion::Exact(v),
                    };
                    appends.push(StreamAppend {
                        stream,
                        expected,
                        events: vec![event],
                    })
                }
            }
        }
        for a in &appends {
            *versions.entry(a.stream.clone()).or_default() += a.events.len() as u64;
        }
        let started = Instant::now();
        store.append_many(appends).await?;
        elapsed += started.elapsed().as_secs_f64();
    }
    Ok(rows as f64 / elapsed)
}
