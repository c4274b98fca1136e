//! The conformance suite: what every backend must do, written once against the trait. Each
//! function takes a fresh, empty, migrated store and panics on the first difference; the
//! integration tests run every function against PostgreSQL and SQLite.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use domain::institution::InstitutionEvent;
use domain::{InstitutionCode, Program, Role};
use serde_json::json;

use crate::error::StoreError;
use crate::model::{
    AppendResult, ExpectedVersion, IdempotencyKey, Metadata, NewEvent, StreamAppend, StreamId,
    VerifyReport,
};
use crate::subscription::Subscription;
use crate::{EventStore, MAX_EVENTS_PER_APPEND};

type Store = Arc<dyn EventStore>;

fn stream(id: &str) -> StreamId {
    StreamId::new("institution", id).expect("valid stream id")
}

fn meta() -> Metadata {
    Metadata::new("op-0001", Role::Operator, Some(Program::Nanbyo)).with_reason("conformance")
}

fn renamed(name: &str) -> NewEvent {
    NewEvent::from_domain(
        &InstitutionEvent::InstitutionRenamed { name: name.into() },
        meta(),
    )
    .expect("valid event")
}

fn registered(code: &str) -> NewEvent {
    let code = InstitutionCode::parse(code).expect("valid code");
    NewEvent::from_domain(
        &InstitutionEvent::InstitutionRegistered {
            prefecture: code.prefecture(),
            code,
            name: "札幌中央病院".into(),
        },
        meta(),
    )
    .expect("valid event")
}

fn names(n: usize) -> Vec<NewEvent> {
    (0..n).map(|i| renamed(&format!("name {i}"))).collect()
}

/// Reads every event in pages until position `until` has been returned. On PostgreSQL an event
/// becomes readable only once every older transaction of the cluster has ended, so a reader may
/// briefly see less than was committed (never out of order): wait, bounded, rather than assume.
async fn read_until(store: &Store, page: usize, until: u64) -> Vec<crate::RecordedEvent> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut out: Vec<crate::RecordedEvent> = Vec::new();
    let mut after = 0;
    while after < until {
        let batch = store.read_all(after, page).await.expect("read_all");
        match batch.last() {
            Some(last) => {
                after = last.position;
                out.extend(batch);
            }
            None => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "position {until} never became readable"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
    assert!(store
        .read_all(after, page)
        .await
        .expect("read_all")
        .is_empty());
    out
}

/// Appended events come back from their stream with every field as written.
pub async fn append_then_read_stream(store: Store) {
    let s = stream("0110113719");
    let first = registered("0110113719");
    let events = vec![first.clone(), renamed("a"), renamed("b")];
    let result = store
        .append(&s, ExpectedVersion::NoStream, events.clone(), None)
        .await
        .expect("append");
    assert_eq!((result.first_version, result.last_version), (1, 3));
    assert_eq!(result.last_position - result.first_position, 2);
    assert!(!result.duplicate);

    let read = store.read_stream(&s, 1).await.expect("read");
    assert_eq!(read.len(), 3);
    for (i, (r, w)) in read.iter().zip(&events).enumerate() {
        assert_eq!(r.version, i as u64 + 1);
        assert_eq!(r.position, result.first_position + i as u64);
        assert_eq!(r.event_id, w.event_id);
        assert_eq!(r.event_type, w.event_type);
        assert_eq!(r.schema_version, w.schema_version);
        assert_eq!(r.payload, w.payload);
        assert_eq!(r.metadata, w.metadata);
        assert_eq!(r.stream, s);
        assert_eq!(r.event_id.get_version_num(), 7, "event ids are UUID v7");
    }
    assert!(
        (chrono::Utc::now() - read[0].recorded_at)
            .num_seconds()
            .abs()
            < 60
    );
    let decoded: InstitutionEvent = read[2].decode().expect("decode");
    assert_eq!(
        decoded,
        InstitutionEvent::InstitutionRenamed { name: "b".into() }
    );

    let tail = store.read_stream(&s, 3).await.expect("read from version");
    assert_eq!(tail.len(), 1);
    assert_eq!(tail[0].version, 3);
    assert!(store
        .read_stream(&stream("missing"), 1)
        .await
        .expect("read")
        .is_empty());
}

/// A wrong expected version fails with the current version; nothing is appended.
pub async fn expected_version_is_enforced(store: Store) {
    let s = stream("a");
    store
        .append(&s, ExpectedVersion::NoStream, names(3), None)
        .await
        .expect("append");

    let current = |e: StoreError| match e {
        StoreError::Conflict { current, .. } => current,
        other => panic!("expected a conflict, got {other}"),
    };
    let e = store
        .append(&s, ExpectedVersion::NoStream, names(1), None)
        .await
        .unwrap_err();
    assert_eq!(current(e), 3);
    let e = store
        .append(&s, ExpectedVersion::Exact(2), names(1), None)
        .await
        .unwrap_err();
    assert_eq!(current(e), 3);
    let e = store
        .append(&s, ExpectedVersion::Exact(4), names(1), None)
        .await
        .unwrap_err();
    assert_eq!(current(e), 3);
    let e = store
        .append(&stream("b"), ExpectedVersion::Exact(2), names(1), None)
        .await
        .unwrap_err();
    assert_eq!(current(e), 0);
    assert_eq!(store.read_stream(&s, 1).await.expect("read").len(), 3);

    let r = store
        .append(&s, ExpectedVersion::Exact(3), names(2), None)
        .await
        .expect("exact");
    assert_eq!((r.first_version, r.last_version), (4, 5));
    let r = store
        .append(&s, ExpectedVersion::Any, names(1), None)
        .await
        .expect("any");
    assert_eq!(r.last_version, 6);
    let r = store
        .append(&stream("c"), ExpectedVersion::Any, names(1), None)
        .await
        .expect("any on a new stream");
    assert_eq!(r.last_version, 1);
}

/// A batch with one invalid event appends nothing, and invalid payloads never reach the table.
pub async fn invalid_events_append_nothing(store: Store) {
    let s = stream("atomic");
    let mut bad = renamed("x");
    bad.payload = json!({"name": 42});
    let err = store
        .append(
            &s,
            ExpectedVersion::NoStream,
            vec![renamed("ok"), bad],
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidEvent(_)), "{err}");

    let mut unknown = renamed("x");
    unknown.event_type = "NoSuchEvent".into();
    let err = store
        .append(&s, ExpectedVersion::Any, vec![unknown], None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidEvent(_)), "{err}");

    let mut stale = registered("0110113719");
    stale.schema_version = 1;
    let err = store
        .append(&s, ExpectedVersion::Any, vec![stale], None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidEvent(_)), "{err}");

    let mut bad_code = registered("0110113719");
    bad_code.payload["code"] = json!("0110113718");
    let err = store
        .append(&s, ExpectedVersion::Any, vec![bad_code], None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidEvent(_)), "{err}");

    let mut not_v7 = renamed("x");
    not_v7.event_id = uuid::Uuid::new_v4();
    let err = store
        .append(&s, ExpectedVersion::Any, vec![not_v7], None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidEvent(_)), "{err}");

    let err = store
        .append(&s, ExpectedVersion::Any, vec![], None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::BatchSize { .. }), "{err}");

    // A batch the database refuses part-way (the third of five events reuses a stored event
    // id) stores none of its events, and the stream's version does not move.
    let s2 = stream("atomic-db");
    let first = store
        .append(&s2, ExpectedVersion::NoStream, names(1), None)
        .await
        .expect("append");
    let stored_id = store.read_stream(&s2, 1).await.expect("read")[0].event_id;
    let mut batch = names(5);
    batch[2].event_id = stored_id;
    let err = store
        .append(&s2, ExpectedVersion::Exact(1), batch, None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidEvent(_)), "{err}");
    assert_eq!(store.read_stream(&s2, 1).await.expect("read").len(), 1);
    let next = store
        .append(&s2, ExpectedVersion::Exact(1), names(1), None)
        .await
        .expect("the stream is still at version 1");
    assert_eq!(next.last_version, 2);
    assert!(next.first_position > first.last_position);

    // A batch refused for its expected version appends none of its events either.
    let only = store
        .append(&s, ExpectedVersion::NoStream, names(1), None)
        .await
        .expect("append");
    let err = store
        .append(&s, ExpectedVersion::NoStream, names(5), None)
        .await
        .unwrap_err();
    assert!(err.is_conflict());

    assert_eq!(read_until(&store, 100, only.last_position).await.len(), 3);
    assert!(StreamId::new("Bad Type", "x").is_err());
    assert!(StreamId::new("form", "").is_err());
    assert!(StreamId::new("form", "a\nb").is_err());
}

/// Reading everything in pages returns each event once, in global order, across streams.
pub async fn read_all_in_global_order(store: Store) {
    let mut written = Vec::new();
    let mut last = 0;
    for round in 0..4 {
        for s in ["x", "y", "z"] {
            let n = round % 3 + 1;
            let events = names(n);
            written.extend(events.iter().map(|e| e.event_id));
            last = store
                .append(&stream(s), ExpectedVersion::Any, events, None)
                .await
                .expect("append")
                .last_position;
        }
    }
    for page in [1, 2, 7, 1000] {
        let all = read_until(&store, page, last).await;
        let ids: Vec<_> = all.iter().map(|e| e.event_id).collect();
        assert_eq!(ids, written, "page size {page}");
        assert!(all.windows(2).all(|w| w[0].position < w[1].position));
    }
    assert_eq!(store.last_position().await.expect("last position"), last);
}

/// A retried append with the same key appends nothing and returns the first result.
pub async fn idempotency_key_appends_once(store: Store) {
    let s = stream("idem");
    let key = IdempotencyKey::parse("req-7f3a").expect("key");
    let first = store
        .append(&s, ExpectedVersion::NoStream, names(2), Some(&key))
        .await
        .expect("first");
    assert!(!first.duplicate);
    // The retry is decided again (fresh event ids), even against a stale expected version.
    let again = store
        .append(&s, ExpectedVersion::NoStream, names(2), Some(&key))
        .await
        .expect("retry");
    assert!(again.duplicate);
    assert_eq!(
        (
            again.first_position,
            again.last_position,
            again.last_version
        ),
        (
            first.first_position,
            first.last_position,
            first.last_version
        )
    );
    assert_eq!(store.read_stream(&s, 1).await.expect("read").len(), 2);

    let err = store
        .append(&stream("other"), ExpectedVersion::Any, names(1), Some(&key))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::IdempotencyKeyReused), "{err}");
    // The same key with another request is refused, not answered with the first result.
    let fp = IdempotencyKey::parse("req-fp")
        .expect("key")
        .with_fingerprint("request-a");
    let s_fp = stream("idem-fp");
    store
        .append(&s_fp, ExpectedVersion::NoStream, names(1), Some(&fp))
        .await
        .expect("first");
    let other = IdempotencyKey::parse("req-fp")
        .expect("key")
        .with_fingerprint("request-b");
    let err = store
        .append(&s_fp, ExpectedVersion::Any, names(1), Some(&other))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::IdempotencyKeyReused), "{err}");
    let again = store
        .append(&s_fp, ExpectedVersion::Any, names(1), Some(&fp))
        .await
        .expect("retry");
    assert!(again.duplicate);
    assert_eq!(store.read_stream(&s_fp, 1).await.expect("read").len(), 1);
    assert!(IdempotencyKey::parse("").is_err());
    assert!(IdempotencyKey::parse("has space").is_err());

    // Concurrent retries of one command: exactly one appends.
    let key = IdempotencyKey::parse("req-concurrent").expect("key");
    let s = stream("idem-race");
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (store, key, s) = (store.clone(), key.clone(), s.clone());
        tasks.push(tokio::spawn(async move {
            store
                .append(&s, ExpectedVersion::Any, names(1), Some(&key))
                .await
        }));
    }
    let mut fresh = 0;
    for t in tasks {
        let r = t.await.expect("task").expect("append or duplicate");
        if !r.duplicate {
            fresh += 1;
        }
    }
    assert_eq!(fresh, 1);
    assert_eq!(store.read_stream(&s, 1).await.expect("read").len(), 1);

    // The same with an exact expectation, as commands append: a retry that loses the race for
    // the version to its own first attempt gets the first result, not a conflict.
    let key = IdempotencyKey::parse("req-concurrent-exact").expect("key");
    let s = stream("idem-race-exact");
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (store, key, s) = (store.clone(), key.clone(), s.clone());
        tasks.push(tokio::spawn(async move {
            store
                .append(&s, ExpectedVersion::NoStream, names(2), Some(&key))
                .await
        }));
    }
    let mut fresh = 0;
    for t in tasks {
        let r = t
            .await
            .expect("task")
            .expect("append or duplicate, never a conflict");
        assert_eq!((r.first_version, r.last_version), (1, 2));
        if !r.duplicate {
            fresh += 1;
        }
    }
    assert_eq!(fresh, 1);
    assert_eq!(store.read_stream(&s, 1).await.expect("read").len(), 2);
}

/// Many more concurrent appends than the store has connections, in every flavour that needs
/// a lookup before the insert (idempotency key, `Any`, an exact version not in any cache):
/// all complete; none waits on a connection held by another append.
pub async fn many_concurrent_appends_complete(store: Store) {
    let streams = 64;
    for i in 0..streams {
        store
            .append(
                &stream(&format!("busy-{i}")),
                ExpectedVersion::NoStream,
                names(1),
                None,
            )
            .await
            .expect("seed");
    }
    let mut tasks = Vec::new();
    for i in 0..streams {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let s = stream(&format!("busy-{i}"));
            let key = IdempotencyKey::parse(&format!("busy-key-{i}")).expect("key");
            store
                .append(&s, ExpectedVersion::Any, names(1), Some(&key))
                .await?;
            store
                .append(&s, ExpectedVersion::Exact(2), names(1), None)
                .await
        }));
    }
    let all = async {
        let mut last = 0;
        for t in tasks {
            last = last.max(t.await.expect("task").expect("append").last_position);
        }
        last
    };
    let last = tokio::time::timeout(Duration::from_secs(60), all)
        .await
        .expect("appends complete without starving the connection pool");
    assert_eq!(read_until(&store, 1000, last).await.len(), streams * 3);
}

/// Concurrent writers on one stream: with an exact expected version one wins and the others
/// conflict; with `Any` all succeed with distinct versions.
pub async fn concurrent_writers_never_overwrite(store: Store) {
    let s = stream("race");
    store
        .append(&s, ExpectedVersion::NoStream, names(1), None)
        .await
        .expect("append");
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (store, s) = (store.clone(), s.clone());
        tasks.push(tokio::spawn(async move {
            store
                .append(
                    &s,
                    ExpectedVersion::Exact(1),
                    vec![renamed(&format!("w{i}"))],
                    None,
                )
                .await
        }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(_) => won += 1,
            Err(e) => assert!(e.is_conflict(), "{e}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(store.read_stream(&s, 1).await.expect("read").len(), 2);

    let s = stream("race-any");
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (store, s) = (store.clone(), s.clone());
        tasks.push(tokio::spawn(async move {
            store.append(&s, ExpectedVersion::Any, names(2), None).await
        }));
    }
    for t in tasks {
        t.await.expect("task").expect("any never conflicts");
    }
    let versions: Vec<u64> = store
        .read_stream(&s, 1)
        .await
        .expect("read")
        .iter()
        .map(|e| e.version)
        .collect();
    assert_eq!(versions, (1..=16).collect::<Vec<_>>());
    assert_eq!(
        store.verify().await.expect("verify"),
        VerifyReport::Ok { events: 18 }
    );
}

/// A subscription catches up on history, then follows new events as they are committed.
pub async fn subscription_catches_up_then_follows(store: Store) {
    store
        .append(&stream("s1"), ExpectedVersion::Any, names(5), None)
        .await
        .expect("append");
    let mut sub = Subscription::new(store.clone(), 0).with_page_size(2);
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.push(sub.next().await.expect("next").position);
    }
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for i in 0..3 {
                tokio::time::sleep(Duration::from_millis(20)).await;
                store
                    .append(
                        &stream(&format!("live{i}")),
                        ExpectedVersion::NoStream,
                        names(2),
                        None,
                    )
                    .await
                    .expect("append");
            }
        })
    };
    for _ in 0..6 {
        let e = tokio::time::timeout(Duration::from_secs(5), sub.next())
            .await
            .expect("a live event within 5 s")
            .expect("next");
        seen.push(e.position);
    }
    writer.await.expect("writer");
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(seen.len(), 11);
    assert_eq!(sub.position(), *seen.last().unwrap_or(&0));
    let last = *seen.last().unwrap_or(&0);
    let all: HashSet<u64> = read_until(&store, 100, last)
        .await
        .iter()
        .map(|e| e.position)
        .collect();
    assert_eq!(all, seen.iter().copied().collect());
}

/// `verify` walks every chain and counts the events.
pub async fn verify_counts_intact_chains(store: Store) {
    assert_eq!(
        store.verify().await.expect("verify"),
        VerifyReport::Ok { events: 0 }
    );
    for s in ["v1", "v2", "v3"] {
        store
            .append(&stream(s), ExpectedVersion::Any, names(3), None)
            .await
            .expect("append");
        store
            .append(&stream(s), ExpectedVersion::Any, names(1), None)
            .await
            .expect("append");
    }
    assert_eq!(
        store.verify().await.expect("verify"),
        VerifyReport::Ok { events: 12 }
    );
    let events = store.read_stream(&stream("v2"), 1).await.expect("read");
    let hashes: HashSet<_> = events.iter().map(|e| e.hash).collect();
    assert_eq!(hashes.len(), 4, "every event has its own hash");
}

/// Scans are stored once by their SHA-256 and read back byte for byte.
pub async fn scans_are_stored_once_by_content(store: Store) {
    let pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3 scanned form\n".to_vec();
    let first = store.put_scan("application/pdf", &pdf).await.expect("put");
    assert_eq!(first.len(), 64);
    let again = store
        .put_scan("application/pdf", &pdf)
        .await
        .expect("put again");
    assert_eq!(first, again);
    let (media_type, content) = store.get_scan(&first).await.expect("get").expect("stored");
    assert_eq!((media_type.as_str(), content), ("application/pdf", pdf));
    assert!(store
        .get_scan(&"0".repeat(64))
        .await
        .expect("get")
        .is_none());
}

fn part(id: &str, expected: ExpectedVersion, events: Vec<NewEvent>) -> StreamAppend {
    StreamAppend {
        stream: stream(id),
        expected,
        events,
    }
}

/// The conflict's stream and current version, or a panic naming what came instead.
fn conflict_of(result: Result<Vec<AppendResult>, StoreError>) -> (StreamId, u64) {
    match result {
        Err(StoreError::Conflict {
            stream, current, ..
        }) => (stream, current),
        Err(other) => panic!("expected a conflict, got {other}"),
        Ok(r) => panic!("expected a conflict, got {r:?}"),
    }
}

/// Checks what an `append_many` reported against what it was given and what the streams hold:
/// versions follow each stream's previous version, positions run on without a gap across the
/// streams in the order given, and every event is where the result says.
async fn assert_appended(store: &Store, parts: &[StreamAppend], results: &[AppendResult]) {
    assert_eq!(results.len(), parts.len());
    for w in results.windows(2) {
        assert_eq!(w[1].first_position, w[0].last_position + 1, "{results:?}");
    }
    for (p, r) in parts.iter().zip(results) {
        let n = p.events.len() as u64;
        assert!(!r.duplicate);
        assert_eq!(r.last_version - r.first_version + 1, n);
        assert_eq!(r.last_position - r.first_position + 1, n);
        let read = store.read_stream(&p.stream, 1).await.expect("read");
        assert_eq!(read.len() as u64, r.last_version, "{}", p.stream);
        let tail = &read[(r.first_version - 1) as usize..];
        for (i, (e, w)) in tail.iter().zip(&p.events).enumerate() {
            assert_eq!(e.event_id, w.event_id);
            assert_eq!(e.payload, w.payload);
            assert_eq!(e.version, r.first_version + i as u64);
            assert_eq!(e.position, r.first_position + i as u64);
        }
    }
}

/// Several streams in one `append_many`: new streams (`NoStream`, `Exact(0)`, `Any`) beside
/// existing ones (`Exact`, `Any`), versions per stream, positions contiguous in the order given,
/// hash chains exactly as `append` makes them.
pub async fn append_many_appends_to_several_streams(store: Store) {
    let seed = store
        .append(&stream("m-old"), ExpectedVersion::NoStream, names(2), None)
        .await
        .expect("seed");
    store
        .append(&stream("m-any"), ExpectedVersion::NoStream, names(1), None)
        .await
        .expect("seed");

    let parts = vec![
        part(
            "0110113719",
            ExpectedVersion::NoStream,
            vec![registered("0110113719"), renamed("a")],
        ),
        part("m-old", ExpectedVersion::Exact(2), names(1)),
        part("m-new", ExpectedVersion::Exact(0), names(3)),
        part("m-any", ExpectedVersion::Any, names(2)),
        part("m-any-new", ExpectedVersion::Any, names(1)),
    ];
    let results = store.append_many(parts.clone()).await.expect("append_many");
    let versions: Vec<_> = results
        .iter()
        .map(|r| (r.first_version, r.last_version))
        .collect();
    assert_eq!(versions, [(1, 2), (3, 3), (1, 3), (2, 3), (1, 1)]);
    assert!(results[0].first_position > seed.last_position);
    assert_appended(&store, &parts, &results).await;
    assert_eq!(
        store.verify().await.expect("verify"),
        VerifyReport::Ok { events: 12 }
    );

    // The heads it left are where the next appends continue, by either method.
    let next = vec![
        part("m-old", ExpectedVersion::Exact(3), names(2)),
        part("m-new", ExpectedVersion::Exact(3), names(1)),
        part("0110113719", ExpectedVersion::Any, names(1)),
    ];
    let again = store.append_many(next.clone()).await.expect("append_many");
    assert_appended(&store, &next, &again).await;
    let one = store
        .append(&stream("m-any"), ExpectedVersion::Exact(3), names(1), None)
        .await
        .expect("append after append_many");
    assert_eq!(one.last_version, 4);
    assert_eq!(
        store.verify().await.expect("verify"),
        VerifyReport::Ok { events: 17 }
    );

    // Everything in global order: the batch's events in the order given.
    let all = read_until(&store, 100, one.last_position).await;
    let ids: Vec<_> = all.iter().map(|e| e.event_id).collect();
    let batch: Vec<_> = parts
        .iter()
        .chain(&next)
        .flat_map(|p| p.events.iter().map(|e| e.event_id))
        .collect();
    assert_eq!(ids[3..3 + batch.len()], batch[..]);
}

/// A conflict on any one stream appends nothing to any stream and names a conflicting stream
/// with its current version.
pub async fn append_many_conflict_appends_nothing(store: Store) {
    store
        .append(&stream("c-a"), ExpectedVersion::NoStream, names(2), None)
        .await
        .expect("seed");
    let seed = store
        .append(&stream("c-b"), ExpectedVersion::NoStream, names(1), None)
        .await
        .expect("seed");

    let wrong_exact = conflict_of(
        store
            .append_many(vec![
                part("c-new", ExpectedVersion::NoStream, names(1)),
                part("c-a", ExpectedVersion::Exact(1), names(1)),
                part("c-b", ExpectedVersion::Exact(1), names(1)),
            ])
            .await,
    );
    assert_eq!(wrong_exact, (stream("c-a"), 2));
    let ahead = conflict_of(
        store
            .append_many(vec![
                part("c-a", ExpectedVersion::Exact(2), names(1)),
                part("c-b", ExpectedVersion::Exact(5), names(1)),
            ])
            .await,
    );
    assert_eq!(ahead, (stream("c-b"), 1));
    // A stream that exists already, expected new (PostgreSQL finds this only at the insert).
    let exists = conflict_of(
        store
            .append_many(vec![
                part("c-new", ExpectedVersion::NoStream, names(2)),
                part("c-a", ExpectedVersion::Exact(2), names(1)),
                part("c-b", ExpectedVersion::NoStream, names(1)),
            ])
            .await,
    );
    assert_eq!(exists, (stream("c-b"), 1));
    let exists = conflict_of(
        store
            .append_many(vec![
                part("c-new", ExpectedVersion::Exact(0), names(1)),
                part("c-a", ExpectedVersion::Exact(0), names(1)),
            ])
            .await,
    );
    assert_eq!(exists, (stream("c-a"), 2));

    let lens = |r: Vec<Vec<crate::RecordedEvent>>| r.iter().map(Vec::len).collect::<Vec<_>>();
    let held = store
        .read_streams(&[stream("c-new"), stream("c-a"), stream("c-b")])
        .await
        .expect("read_streams");
    assert_eq!(lens(held), [0, 2, 1]);
    assert_eq!(read_until(&store, 100, seed.last_position).await.len(), 3);
    assert_eq!(
        store.verify().await.expect("verify"),
        VerifyReport::Ok { events: 3 }
    );

    // The streams are where they were: the batch with the right versions goes through.
    let results = store
        .append_many(vec![
            part("c-new", ExpectedVersion::NoStream, names(2)),
            part("c-a", ExpectedVersion::Exact(2), names(1)),
            part("c-b", ExpectedVersion::Exact(1), names(1)),
        ])
        .await
        .expect("append_many");
    let last: Vec<_> = results.iter().map(|r| r.last_version).collect();
    assert_eq!(last, [2, 3, 2]);
    assert!(results[0].first_position > seed.last_position);
    assert_eq!(
        store.verify().await.expect("verify"),
        VerifyReport::Ok { events: 7 }
    );
}

/// Malformed batches are refused before anything is written: no events, too many events, a
/// stream without events, a stream twice, an invalid event. The largest batch allowed goes
/// through, with contiguous positions.
pub async fn append_many_rejects_malformed_batches(store: Store) {
    let err = store.append_many(vec![]).await.unwrap_err();
    assert!(matches!(err, StoreError::BatchSize { .. }), "{err}");
    let err = store
        .append_many(vec![part("e-a", ExpectedVersion::Any, vec![])])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::BatchSize { .. }), "{err}");
    let half = MAX_EVENTS_PER_APPEND / 2;
    let err = store
        .append_many(vec![
            part("e-a", ExpectedVersion::NoStream, names(half)),
            part("e-b", ExpectedVersion::NoStream, names(half + 1)),
        ])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::BatchSize { .. }), "{err}");

    let err = store
        .append_many(vec![
            part("e-a", ExpectedVersion::NoStream, names(1)),
            part("e-b", ExpectedVersion::NoStream, vec![]),
        ])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidBatch(_)), "{err}");
    assert!(err.to_string().contains("at least one event"), "{err}");
    let err = store
        .append_many(vec![
            part("e-a", ExpectedVersion::NoStream, names(1)),
            part("e-b", ExpectedVersion::NoStream, names(1)),
            part("e-a", ExpectedVersion::Exact(1), names(1)),
        ])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidBatch(_)), "{err}");
    assert!(err.to_string().contains("only once"), "{err}");

    let mut bad = renamed("x");
    bad.payload = json!({"name": 42});
    let err = store
        .append_many(vec![
            part("e-a", ExpectedVersion::NoStream, names(2)),
            part("e-b", ExpectedVersion::NoStream, vec![renamed("ok"), bad]),
        ])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidEvent(_)), "{err}");

    // An event id already stored: the database refuses the batch part-way; nothing stays.
    let stored = store
        .append(&stream("e-c"), ExpectedVersion::NoStream, names(1), None)
        .await
        .expect("append");
    let mut reused = names(3);
    reused[1].event_id = store.read_stream(&stream("e-c"), 1).await.expect("read")[0].event_id;
    let err = store
        .append_many(vec![
            part("e-a", ExpectedVersion::NoStream, names(2)),
            part("e-b", ExpectedVersion::NoStream, reused),
        ])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidEvent(_)), "{err}");
    assert_eq!(
        store.verify().await.expect("verify"),
        VerifyReport::Ok { events: 1 }
    );

    let parts: Vec<_> = (0..10)
        .map(|i| {
            part(
                &format!("e-max-{i}"),
                ExpectedVersion::NoStream,
                names(MAX_EVENTS_PER_APPEND / 10),
            )
        })
        .collect();
    let results = store
        .append_many(parts.clone())
        .await
        .expect("largest batch");
    assert!(results[0].first_position > stored.last_position);
    assert_eq!(
        results[9].last_position - results[0].first_position + 1,
        MAX_EVENTS_PER_APPEND as u64
    );
    assert_appended(&store, &parts, &results).await;
    assert_eq!(
        store.verify().await.expect("verify"),
        VerifyReport::Ok {
            events: 1 + MAX_EVENTS_PER_APPEND as u64
        }
    );
}

/// A subscriber is woken by an `append_many` and reads its events in the order given.
pub async fn append_many_is_seen_by_subscribers(store: Store) {
    let mut sub = Subscription::new(store.clone(), 0);
    let signal = store.signal();
    let parts = vec![
        part("w-a", ExpectedVersion::NoStream, names(2)),
        part("w-b", ExpectedVersion::NoStream, names(3)),
        part("w-c", ExpectedVersion::Any, names(1)),
    ];
    let reader = tokio::spawn(async move {
        let mut seen = Vec::new();
        for _ in 0..6 {
            let e = tokio::time::timeout(Duration::from_secs(5), sub.next())
                .await
                .expect("an event within 5 s")
                .expect("next");
            seen.push(e);
        }
        seen
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let results = store.append_many(parts.clone()).await.expect("append_many");
    let last = results[2].last_position;
    // The store raises its signal before it returns: subscribers need not wait for a poll.
    assert!(*signal.borrow() >= last, "signal not raised");
    let seen = reader.await.expect("reader");
    let ids: Vec<_> = seen.iter().map(|e| e.event_id).collect();
    let written: Vec<_> = parts
        .iter()
        .flat_map(|p| p.events.iter().map(|e| e.event_id))
        .collect();
    assert_eq!(ids, written);
    let positions: Vec<_> = seen.iter().map(|e| e.position).collect();
    assert_eq!(
        positions,
        (results[0].first_position..=last).collect::<Vec<_>>()
    );
    assert_eq!(read_until(&store, 4, last).await.len(), 6);
    assert_eq!(store.last_position().await.expect("last position"), last);
}

/// `read_streams` answers each stream asked for in the order asked: long streams whole and in
/// version order, an empty Vec for a stream without events, a stream asked twice twice; and
/// more streams than one statement takes.
pub async fn read_streams_in_the_order_asked(store: Store) {
    assert!(store.read_streams(&[]).await.expect("nothing").is_empty());
    for chunk in 0..3 {
        store
            .append(&stream("r-long"), ExpectedVersion::Any, names(100), None)
            .await
            .expect("append");
        store
            .append(
                &stream(&format!("r-{chunk}")),
                ExpectedVersion::Any,
                names(chunk + 1),
                None,
            )
            .await
            .expect("append");
    }
    let asked = [
        stream("r-2"),
        stream("r-missing"),
        stream("r-long"),
        stream("r-0"),
        stream("r-2"),
        StreamId::new("form", "r-long").expect("stream"),
        stream("r-1"),
    ];
    let read = store.read_streams(&asked).await.expect("read_streams");
    assert_eq!(read.len(), asked.len());
    let lens: Vec<_> = read.iter().map(Vec::len).collect();
    assert_eq!(lens, [3, 0, 300, 1, 3, 0, 2]);
    for (s, events) in asked.iter().zip(&read) {
        assert_eq!(events, &store.read_stream(s, 1).await.expect("read"), "{s}");
        assert!(events.iter().all(|e| e.stream == *s));
    }
    let decoded: InstitutionEvent = read[2][299].decode().expect("decode");
    assert_eq!(
        decoded,
        InstitutionEvent::InstitutionRenamed {
            name: "name 99".into()
        }
    );

    // 2,500 streams asked, 1,200 of them with events, interleaved.
    let parts: Vec<_> = (0..1200)
        .map(|i| {
            part(
                &format!("r-bulk-{i}"),
                ExpectedVersion::NoStream,
                names(1 + i % 2),
            )
        })
        .collect();
    store.append_many(parts.clone()).await.expect("append_many");
    let asked: Vec<_> = (0..2500)
        .rev()
        .map(|i| stream(&format!("r-bulk-{}", i / 2 + (i % 2) * 5000)))
        .collect();
    let read = store.read_streams(&asked).await.expect("read_streams");
    assert_eq!(read.len(), asked.len());
    for (s, events) in asked.iter().zip(&read) {
        let i: usize = s.id["r-bulk-".len()..].parse().expect("number");
        let expected = if i < 1200 { 1 + i % 2 } else { 0 };
        assert_eq!(events.len(), expected, "{s}");
        assert!(events.iter().all(|e| e.stream == *s));
        assert!(events
            .iter()
            .enumerate()
            .all(|(v, e)| e.version == v as u64 + 1));
        if i < 1200 {
            assert_eq!(events[0].event_id, parts[i].events[0].event_id);
        }
    }
}

/// Concurrent `append_many` calls that share a stream and its expected version: exactly one
/// goes through, the others conflict and append nothing, not even to their own streams.
pub async fn concurrent_append_many_on_one_stream(store: Store) {
    store
        .append(&stream("k-job"), ExpectedVersion::NoStream, names(1), None)
        .await
        .expect("seed");
    for (round, expected) in [ExpectedVersion::Exact(1), ExpectedVersion::NoStream]
        .into_iter()
        .enumerate()
    {
        let shared = if round == 0 { "k-job" } else { "k-new" };
        let mut tasks = Vec::new();
        for i in 0..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let parts = vec![
                    part(
                        &format!("k-{round}-{i}"),
                        ExpectedVersion::NoStream,
                        names(2),
                    ),
                    part(shared, expected, names(1)),
                ];
                (i, store.append_many(parts).await)
            }));
        }
        let mut winners = Vec::new();
        for t in tasks {
            match t.await.expect("task") {
                (i, Ok(_)) => winners.push(i),
                (_, Err(e)) => assert!(e.is_conflict(), "{e}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}");
        let asked: Vec<_> = (0..8).map(|i| stream(&format!("k-{round}-{i}"))).collect();
        let read = store.read_streams(&asked).await.expect("read_streams");
        for (i, events) in read.iter().enumerate() {
            let expected = if winners[0] == i { 2 } else { 0 };
            assert_eq!(events.len(), expected, "k-{round}-{i}");
        }
    }
    let shared = store
        .read_streams(&[stream("k-job"), stream("k-new")])
        .await
        .expect("read_streams");
    assert_eq!((shared[0].len(), shared[1].len()), (2, 1));
    assert_eq!(
        store.verify().await.expect("verify"),
        VerifyReport::Ok { events: 7 }
    );
}

/// Two stores on one database, as two processes: an `append_many` continues streams the other
/// wrote (heads it never saw), and a head it remembers that the other has moved on from is a
/// conflict, not a fork.
pub async fn append_many_across_processes(store: Store, other: Store) {
    other
        .append(&stream("p-a"), ExpectedVersion::NoStream, names(3), None)
        .await
        .expect("seed");
    other
        .append(&stream("p-b"), ExpectedVersion::NoStream, names(1), None)
        .await
        .expect("seed");
    let parts = vec![
        part("p-a", ExpectedVersion::Exact(3), names(1)),
        part("p-b", ExpectedVersion::Any, names(2)),
        part("p-c", ExpectedVersion::NoStream, names(1)),
    ];
    let results = store.append_many(parts.clone()).await.expect("append_many");
    assert_appended(&store, &parts, &results).await;

    // `store` remembers p-a at version 4; `other` moves it to 5.
    other
        .append(&stream("p-a"), ExpectedVersion::Exact(4), names(1), None)
        .await
        .expect("append");
    let (s, current) = conflict_of(
        store
            .append_many(vec![
                part("p-c", ExpectedVersion::Exact(1), names(1)),
                part("p-a", ExpectedVersion::Exact(4), names(1)),
            ])
            .await,
    );
    assert_eq!((s, current), (stream("p-a"), 5));
    let read = store
        .read_streams(&[stream("p-a"), stream("p-b"), stream("p-c")])
        .await
        .expect("read_streams");
    let lens: Vec<_> = read.iter().map(Vec::len).collect();
    assert_eq!(lens, [5, 3, 1]);
    assert_eq!(
        store.verify().await.expect("verify"),
        VerifyReport::Ok { events: 9 }
    );
}
