//! `nanbyo bench relay`: the relay to JetStream against a plain publish loop, same messages,
//! same server, same run.
//!
//! - `relay.throughput`: events/s from the store to JetStream with every acknowledgement
//!   awaited and the checkpoint saved (store read, redaction, publish, ack, checkpoint);
//!   baseline: a plain async-nats JetStream publish loop of the same messages (same subjects,
//!   bodies and message ids, prepared beforehand), pipelined page by page like the relay
//!   (500 messages sent, then their acknowledgements awaited).
//! - `relay.commit_to_publish_p50` / `_p99`: from an append returning to the event appearing on
//!   its subject (a core NATS subscriber), while writers commit at a steady rate.
//!
//! Scratch everything: a scratch database (PostgreSQL with --database-url, else a SQLite file),
//! and streams and subjects of its own on the NATS server, deleted afterwards.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use async_nats::jetstream::{self, message::PublishMessage};
use domain::institution::InstitutionEvent;
use domain::pseudonym::PseudonymKey;
use domain::{EventCatalog, Program, Role};
use eventstore::{EventStore, ExpectedVersion, Metadata, NewEvent, OpenOptions, StreamId};
use futures::StreamExt;
use relay::{RelayConfig, RelayStats, StreamSettings};
use tokio::sync::watch;
use uuid::Uuid;

use super::{median, print_machine, quantile, ScratchPg};
use crate::config::{BenchRelayArgs, NatsArgs};

pub async fn run(args: &BenchRelayArgs, database_url: Option<&str>, nats: &NatsArgs) -> Result<()> {
    print_machine();
    let nats_url = nats
        .server
        .nats_url
        .clone()
        .unwrap_or_else(|| "nats://127.0.0.1:4222".into());
    match database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            let scratch = ScratchPg::create(url).await?;
            let result = bench_backend("postgres", &scratch.url, &nats_url, args).await;
            scratch.drop_database().await?;
            result
        }
        _ => {
            let dir =
                std::env::temp_dir().join(format!("nanbyo-bench-{}", Uuid::new_v4().simple()));
            std::fs::create_dir_all(&dir)?;
            let url = format!("sqlite://{}", dir.join("bench.db").display());
            let result = bench_backend("sqlite", &url, &nats_url, args).await;
            let _ = std::fs::remove_dir_all(&dir);
            result
        }
    }
}

fn event(n: usize) -> Result<NewEvent> {
    Ok(NewEvent::from_domain(
        &InstitutionEvent::InstitutionRenamed {
            name: format!("ベンチ病院 {n}"),
        },
        Metadata::new("bench", Role::Operator, None),
    )?)
}

/// A stream and subject prefix of this run alone.
fn scratch_stream(nats_url: &str, tag: &str) -> RelayConfig {
    let id = Uuid::new_v4().simple().to_string();
    let mut config = RelayConfig::new(nats_url);
    config.stream = StreamSettings {
        name: format!("NANBYO_BENCH_{tag}_{id}"),
        subject_prefix: format!("bench{tag}{id}"),
        ..StreamSettings::default()
    };
    config
}

async fn delete_stream(js: &jetstream::Context, name: &str) {
    let _ = js.delete_stream(name).await;
}

async fn bench_backend(
    backend: &str,
    url: &str,
    nats_url: &str,
    args: &BenchRelayArgs,
) -> Result<()> {
    let store = eventstore::open(
        url,
        Arc::new(EventCatalog::registry()),
        OpenOptions::default(),
    )
    .await?;
    let key = PseudonymKey::from_bytes([7; 32]);
    let client = relay::publisher::connect(nats_url)
        .await
        .with_context(|| format!("cannot connect to NATS at {nats_url}"))?;
    let js = relay::publisher::context(client.clone(), Duration::from_secs(10));

    // The events: 100 streams, appended 100 at a time.
    let mut n = 0;
    while n < args.events {
        let count = 100.min(args.events - n);
        let stream = StreamId::new("institution", &format!("bench-{}", (n / 100) % 100))?;
        let events = (n..n + count).map(event).collect::<Result<Vec<_>>>()?;
        store
            .append(&stream, ExpectedVersion::Any, events, None)
            .await?;
        n += count;
    }
    let mut all = vec![];
    let mut after = 0;
    loop {
        let page = store.read_all(after, 10_000).await?;
        let Some(last) = page.last() else { break };
        after = last.position;
        all.extend(page);
    }
    let last_position = after;

    let mut relayed = vec![];
    let mut baseline = vec![];
    for _ in 0..args.rounds.max(1) {
        // Baseline: the same messages, prepared, published in pages of 500 with their acks.
        let config = scratch_stream(nats_url, "base");
        js.create_or_update_stream(relay::publisher::stream_config(&config.stream))
            .await?;
        let prefix = config.stream.subject_prefix.clone();
        let prepared = Instant::now();
        let messages = all
            .iter()
            .map(|e| {
                let body = serde_json::to_vec(&relay::bus::redact(e, &key)?)?;
                Ok((
                    relay::bus::subject(&prefix, e),
                    e.event_id.to_string(),
                    body,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        println!(
            "# redaction and serialisation {:.1} µs/event",
            prepared.elapsed().as_secs_f64() * 1e6 / all.len() as f64
        );
        let started = Instant::now();
        for page in messages.chunks(relay::follow::PAGE) {
            let mut acks = Vec::with_capacity(page.len());
            for (subject, id, body) in page {
                let publish = PublishMessage::build()
                    .payload(body.clone().into())
                    .message_id(id);
                acks.push(js.send_publish(subject.clone(), publish).await?);
            }
            for ack in futures::future::join_all(
                acks.into_iter().map(std::future::IntoFuture::into_future),
            )
            .await
            {
                ack?;
            }
        }
        baseline.push(all.len() as f64 / started.elapsed().as_secs_f64());
        delete_stream(&js, &config.stream.name).await;

        // The relay from checkpoint 0 to the last event.
        clear_checkpoint(&store).await?;
        let config = scratch_stream(nats_url, "relay");
        // Created beforehand as for the baseline: a one-time step, not per-event work (the
        // relay then only checks it).
        js.create_or_update_stream(relay::publisher::stream_config(&config.stream))
            .await?;
        let (stop, stopped) = watch::channel(false);
        let (progress, mut moved) = watch::channel(0u64);
        let started = Instant::now();
        let task = tokio::spawn(relay::publisher::run(
            store.clone(),
            config.clone(),
            key.clone(),
            Arc::new(RelayStats::default()),
            stopped,
            Some(progress),
        ));
        tokio::time::timeout(
            Duration::from_secs(600),
            moved.wait_for(|p| *p >= last_position),
        )
        .await
        .context("the relay did not finish in 10 minutes")??;
        relayed.push(all.len() as f64 / started.elapsed().as_secs_f64());
        stop.send_replace(true);
        task.await?;
        delete_stream(&js, &config.stream.name).await;
    }
    let (r, b) = (median(relayed), median(baseline));
    println!(
        "relay.throughput {r:.0} events/s baseline_plain_publish={b:.0} ratio={:.2} backend={backend} events={}",
        r / b,
        all.len()
    );

    // Latency at a steady rate: the relay follows live.
    let quiet = commit_to_publish(&store, &client, nats_url, &key, args).await?;
    quiet.print(backend, "");

    // The same while the 履歴照会 sender retries unanswered inquiries (no responder answers):
    // the outside run saw the delay rise from tens of ms to about a second then.
    if args.linkage_forms > 0 {
        let retrying = with_linkage_retries(&store, &client, nats_url, &key, args).await?;
        retrying.print(backend, "_linkage_retrying");
        retrying.print_ratio(&quiet, backend, "_linkage_retrying");
    }
    if args.backlog_forms > 0 {
        let busy = with_projections_catching_up(&store, &client, nats_url, &key, args).await?;
        busy.print(backend, "_projections_catching_up");
        busy.print_ratio(&quiet, backend, "_projections_catching_up");
    }
    Ok(())
}

/// Commit-to-publish latencies of one steady-rate run.
struct Lag {
    p50: f64,
    p99: f64,
    max: f64,
    achieved: f64,
    missing: usize,
}

impl Lag {
    /// This run's p99 against the quiet run's, same rate and relay.
    fn print_ratio(&self, quiet: &Lag, backend: &str, label: &str) {
        println!(
            "relay.commit_to_publish_p99{label}_ratio {:.2} quiet_p99={:.2}ms p99={:.2}ms backend={backend}",
            self.p99 / quiet.p99,
            quiet.p99,
            self.p99
        );
    }

    fn print(&self, backend: &str, label: &str) {
        let Lag {
            p50,
            p99,
            max,
            achieved,
            missing,
        } = self;
        println!(
            "relay.commit_to_publish{label}_p50 {p50:.2} ms rate={achieved:.0} commands/s backend={backend}"
        );
        println!(
            "relay.commit_to_publish{label}_p99 {p99:.2} ms max={max:.2}ms rate={achieved:.0} commands/s backend={backend} not_seen={missing}"
        );
    }
}

/// Appends `args.linkage_forms` form drafts of distinct patients, starts the linkage with a
/// one-second retry base and no responder, waits until every inquiry has been sent once, and
/// measures commit-to-publish while the sender keeps retrying them.
async fn with_linkage_retries(
    store: &Arc<dyn EventStore>,
    client: &async_nats::Client,
    nats_url: &str,
    key: &PseudonymKey,
    args: &BenchRelayArgs,
) -> Result<Lag> {
    append_forms(store, 0, args.linkage_forms).await?;
    let mut linkage = relay::LinkageConfig::new(nats_url);
    linkage.retry_base = Duration::from_secs(1);
    linkage.retry_max = Duration::from_secs(2);
    let (stop, stopped) = watch::channel(false);
    let tasks = relay::linkage::spawn(store.clone(), linkage, key.clone(), stopped);
    let sql = store.sql();
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let (rows, sent): (i64, i64) = eventstore::on_sql!(&sql, reader, |p| {
            sqlx::query_as(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END), 0) \
                 FROM linkage_inquiries",
            )
            .fetch_one(p)
            .await?
        });
        if rows as usize >= args.linkage_forms && sent == rows {
            println!("# {rows} inquiries made and sent once; the sender retries them every 1–2 s");
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the linkage did not send its inquiries in 5 minutes ({sent} of {rows})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let lag = commit_to_publish(store, client, nats_url, key, args).await;
    let sends: Result<(i64,), sqlx::Error> = eventstore::on_sql!(&sql, reader, |p| {
        sqlx::query_as("SELECT CAST(COALESCE(SUM(attempts), 0) AS BIGINT) FROM linkage_inquiries")
            .fetch_one(p)
            .await
    });
    stop.send_replace(true);
    for t in tasks {
        let _ = t.await;
    }
    println!("# inquiry sends in all: {}", sends?.0);
    lag
}

/// Appends `count` form drafts (FormDrafted and JudgmentRecorded, as a real draft makes them)
/// of distinct patients numbered from `first`.
async fn append_forms(store: &Arc<dyn EventStore>, first: usize, count: usize) -> Result<()> {
    for n in first..first + count {
        let mut patient = relay::samples::patient();
        let (kanji, kana) = super::numbered_name(n as u64);
        patient.name_kanji = kanji;
        patient.name_kana = kana;
        let events = relay::samples::draft_events(patient)
            .iter()
            .map(|e| {
                NewEvent::from_domain(
                    e,
                    Metadata::new("doctor-1", Role::DesignatedDoctor, Some(Program::Nanbyo)),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let stream = StreamId::new("form", &Uuid::now_v7().to_string())?;
        store
            .append(&stream, ExpectedVersion::NoStream, events, None)
            .await?;
    }
    Ok(())
}

/// Appends `args.backlog_forms` form drafts, starts every projection of the release on them,
/// and measures commit-to-publish while they catch up: on PostgreSQL a follower sees only
/// events of transactions older than the oldest one still open, and each projection batch is
/// a transaction.
async fn with_projections_catching_up(
    store: &Arc<dyn EventStore>,
    client: &async_nats::Client,
    nats_url: &str,
    key: &PseudonymKey,
    args: &BenchRelayArgs,
) -> Result<Lag> {
    append_forms(store, 1_000_000, args.backlog_forms).await?;
    let (stop, stopped) = watch::channel(false);
    let tasks = crate::startup::spawn_projections(store, stopped);
    let started = Instant::now();
    let lag = commit_to_publish(store, client, nats_url, key, args).await;
    let behind = relay::follow::behind(store, projections::history::NAME).await;
    stop.send_replace(true);
    for t in tasks {
        let _ = t.await;
    }
    println!(
        "# after {:.1} s the history view was {} events behind the store",
        started.elapsed().as_secs_f64(),
        behind?.1
    );
    lag
}

/// The relay follows live from the store's last event; 4 writers append single events at
/// `args.rate` in total for `args.seconds`; a core NATS subscriber notes when each appears.
async fn commit_to_publish(
    store: &Arc<dyn EventStore>,
    client: &async_nats::Client,
    nats_url: &str,
    key: &PseudonymKey,
    args: &BenchRelayArgs,
) -> Result<Lag> {
    let js = relay::publisher::context(client.clone(), Duration::from_secs(10));
    let mut last_position = 0;
    loop {
        let page = store.read_all(last_position, 10_000).await?;
        let Some(last) = page.last() else { break };
        last_position = last.position;
    }
    let config = scratch_stream(nats_url, "lag");
    let mut subscriber = client
        .subscribe(format!("{}.>", config.stream.subject_prefix))
        .await?;
    client.flush().await?;
    let seen: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let collector = {
        let seen = seen.clone();
        tokio::spawn(async move {
            while let Some(m) = subscriber.next().await {
                if let Some(id) = m
                    .headers
                    .as_ref()
                    .and_then(|h| h.get(async_nats::header::NATS_MESSAGE_ID))
                {
                    if let Ok(mut s) = seen.lock() {
                        s.insert(id.as_str().to_owned(), Instant::now());
                    }
                }
            }
        })
    };
    let (stop, stopped) = watch::channel(false);
    let (progress, mut moved) = watch::channel(0u64);
    let task = tokio::spawn(relay::publisher::run(
        store.clone(),
        config.clone(),
        key.clone(),
        Arc::new(RelayStats::default()),
        stopped,
        Some(progress),
    ));
    // The relay catches up to the store's last event first: only the new events are timed.
    moved
        .wait_for(|p| *p >= last_position)
        .await
        .context("relay stopped")?;
    let committed: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let writers = 4u64;
    let per_writer = args.rate.max(writers) / writers;
    let total = per_writer * args.seconds;
    let started = Instant::now();
    let handles: Vec<_> = (0..writers)
        .map(|w| {
            let (store, committed) = (store.clone(), committed.clone());
            tokio::spawn(async move {
                let stream = StreamId::new("institution", &format!("lag-{w}"))?;
                let interval = Duration::from_secs_f64(1.0 / per_writer as f64);
                for i in 0..total {
                    let due = started + interval.mul_f64(i as f64);
                    tokio::time::sleep_until(due.into()).await;
                    let e = event(i as usize)?;
                    let id = e.event_id.to_string();
                    store
                        .append(&stream, ExpectedVersion::Any, vec![e], None)
                        .await?;
                    if let Ok(mut c) = committed.lock() {
                        c.insert(id, Instant::now());
                    }
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for h in handles {
        h.await??;
    }
    let achieved = (writers * total) as f64 / started.elapsed().as_secs_f64();
    // Bounded wait for the last events to appear.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let done = {
            let (c, s) = (committed.lock(), seen.lock());
            match (c, s) {
                (Ok(c), Ok(s)) => c.keys().all(|k| s.contains_key(k)),
                _ => true,
            }
        };
        if done || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let latencies: Vec<f64> = {
        let (c, s) = (
            committed.lock().map_err(|_| anyhow::anyhow!("poisoned"))?,
            seen.lock().map_err(|_| anyhow::anyhow!("poisoned"))?,
        );
        c.iter()
            .filter_map(|(id, at)| s.get(id).map(|seen| seen.saturating_duration_since(*at)))
            .map(|d| d.as_secs_f64() * 1000.0)
            .collect()
    };
    let missing = (writers * total) as usize - latencies.len();
    stop.send_replace(true);
    task.await?;
    collector.abort();
    delete_stream(&js, &config.stream.name).await;
    Ok(Lag {
        p50: quantile(latencies.clone(), 0.5),
        p99: quantile(latencies.clone(), 0.99),
        max: quantile(latencies, 1.0),
        achieved,
        missing,
    })
}

async fn clear_checkpoint(store: &Arc<dyn EventStore>) -> Result<()> {
    eventstore::on_sql!(&store.sql(), writer, |p| {
        sqlx::query("DELETE FROM projection_checkpoints WHERE name = $1")
            .bind(relay::publisher::CHECKPOINT)
            .execute(p)
            .await?
            .rows_affected()
    });
    Ok(())
}
