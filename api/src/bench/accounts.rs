//! `nanbyo bench accounts`: logins per second over HTTP (argon2id at the registry's
//! parameters) next to bare argon2id verifications in the same run, and the registration of a
//! generated 医療機関ユーザデータファイル next to appending the same events straight to the
//! store.

use std::future::IntoFuture;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use commands::credentials;
use domain::{EventCatalog, Role};
use eventstore::{ExpectedVersion, Metadata, NewEvent, OpenOptions, StreamId};
use serde_json::{json, Value};

use super::{median, print_machine, ScratchPg};
use crate::config::{BenchAccountsArgs, ServeArgs};
use crate::provision::{Provisioner, Who};
use crate::startup::Application;

const CLIENTS: usize = 8;

pub async fn run(args: &BenchAccountsArgs, database_url: Option<&str>) -> Result<()> {
    print_machine();
    println!(
        "# argon2id m={} KiB t={} p={}; issued passwords: salted SHA-256 until first changed",
        credentials::ARGON2_M_KIB,
        credentials::ARGON2_T,
        credentials::ARGON2_P
    );
    match database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            let scratch = ScratchPg::create(url).await?;
            let result = bench(&scratch.url, args).await;
            scratch.drop_database().await?;
            result
        }
        _ => bail!("pass --database-url postgres://… (the figures are for PostgreSQL)"),
    }
}

/// A valid institution code of 北海道 (prefecture 01) numbered `n`.
fn institution(n: usize) -> String {
    domain::codes::append_check_digit(&format!("01101{:04}", n % 10_000))
}

/// A user data file of `rows` doctors over 100 institutions, in UTF-8 CSV.
fn user_file(rows: usize, round: usize) -> Vec<u8> {
    let mut out = String::from(
        "医療機関コード,制度,指定医番号,指定医種別,指定期間開始日,指定期間終了日,氏名\n",
    );
    for i in 0..rows {
        out.push_str(&format!(
            "{},難病,B{round}-{i},難病指定医,2024-04-01,2029-03-31,試験 医師{i}\n",
            institution(i % 100)
        ));
    }
    out.into_bytes()
}

async fn bench(url: &str, args: &BenchAccountsArgs) -> Result<()> {
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
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(
        app.run_until_stopped(async {
            let _ = stopped.await;
        })
        .into_future(),
    );
    let accounts = Provisioner::new(store.clone());
    let operator = accounts.token(&Who::new(Role::Operator)).await?;
    let client = reqwest::Client::new();
    for n in 0..100 {
        client
            .post(format!("{base_url}/api/masters/institutions"))
            .bearer_auth(&operator)
            .json(&json!({"code": institution(n), "name": format!("ベンチ病院{n}")}))
            .send()
            .await?
            .error_for_status()?;
    }
    let doctor = accounts
        .login(&Who::new(Role::DesignatedDoctor).at(&institution(0)))
        .await?;
    let admin = accounts
        .token(&Who::new(Role::MunicipalityAdmin).of("010006"))
        .await?;

    let (mut ours, mut base) = (vec![], vec![]);
    let (mut file_s, mut raw_s) = (vec![], vec![]);
    for round in 0..args.rounds {
        // Logins over HTTP, 8 clients.
        let per = (args.logins / CLIENTS).max(1);
        let started = Instant::now();
        let mut tasks = vec![];
        for _ in 0..CLIENTS {
            let (client, url, id, pw) = (
                client.clone(),
                base_url.clone(),
                doctor.login_id.clone(),
                doctor.password.clone(),
            );
            tasks.push(tokio::spawn(async move {
                for _ in 0..per {
                    client
                        .post(format!("{url}/api/login"))
                        .json(&json!({"login_id": id, "password": pw}))
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
        ours.push((per * CLIENTS) as f64 / started.elapsed().as_secs_f64());

        // Baseline: the bare argon2id verifications, 8 at a time.
        let hash = credentials::hash_chosen(&doctor.password);
        let started = Instant::now();
        let mut tasks = vec![];
        for _ in 0..CLIENTS {
            let (hash, pw) = (hash.clone(), doctor.password.clone());
            tasks.push(tokio::task::spawn_blocking(move || {
                for _ in 0..per {
                    assert!(credentials::verify(&hash, &pw));
                }
            }));
        }
        for t in tasks {
            t.await?;
        }
        base.push((per * CLIENTS) as f64 / started.elapsed().as_secs_f64());

        // The user data file over HTTP.
        let file = user_file(args.rows, round);
        let started = Instant::now();
        let result: Value = client
            .post(format!("{base_url}/api/accounts/user-file"))
            .bearer_auth(&admin)
            .header("content-type", "text/csv")
            .body(file)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        file_s.push(started.elapsed().as_secs_f64());
        if result["created"].as_u64() != Some(args.rows as u64) {
            bail!(
                "the user file created {} of {} accounts",
                result["created"],
                args.rows
            );
        }

        // Baseline: the same two events per account appended straight to the store.
        let started = Instant::now();
        let per_writer = args.rows.div_ceil(CLIENTS);
        let mut tasks = vec![];
        for w in 0..CLIENTS {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..per_writer {
                    let stream = StreamId::new("bench_account", &format!("{round}-{w}-{i}"))?;
                    let events = (0..2)
                        .map(|k| {
                            NewEvent::from_domain(
                                &domain::institution::InstitutionEvent::InstitutionRenamed {
                                    name: format!("{k}"),
                                },
                                Metadata::new("bench", Role::MunicipalityAdmin, None),
                            )
                        })
                        .collect::<Result<Vec<_>, _>>()?;
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
        raw_s.push(started.elapsed().as_secs_f64());
    }
    // Stop the service (and its projections) before the scratch database is dropped.
    let _ = stop.send(());
    served.await??;
    drop(accounts);
    drop(store);
    let (ours, base) = (median(ours), median(base));
    println!(
        "accounts.login {ours:.1} logins/s baseline_argon2id_verify={base:.1} ratio={:.2}",
        ours / base
    );
    let (file_s, raw_s) = (median(file_s), median(raw_s));
    println!(
        "accounts.user_file_{}_rows {file_s:.2} s baseline_store_appends={raw_s:.2} s ratio={:.2}",
        args.rows,
        raw_s / file_s
    );
    Ok(())
}
