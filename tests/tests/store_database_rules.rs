//! What the database itself enforces, and what `verify` and the upcaster do with rows that
//! only a direct database user could write: the events table refuses UPDATE, DELETE and
//! TRUNCATE; an edit that bypasses that (a superuser disabling triggers) is found by `verify`;
//! an old-schema payload is upcast when read.

use domain::institution::InstitutionEvent;
use domain::{Program, Role};
use eventstore::hash::{chain_hash, HashInput, GENESIS};
use eventstore::{ExpectedVersion, Metadata, NewEvent, StreamId, VerifyReport};
use nanbyo_tests::{fresh_store, Db};
use sqlx::{Any, AnyPool};

async fn raw_pool(url: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .expect("raw connection")
}

async fn exec(pool: &AnyPool, sql: &str) -> Result<u64, String> {
    sqlx::query::<Any>(sql)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        .map_err(|e| e.to_string())
}

fn stream() -> StreamId {
    StreamId::new("institution", "0110113719").expect("stream")
}

fn renamed(name: &str) -> NewEvent {
    NewEvent::from_domain(
        &InstitutionEvent::InstitutionRenamed { name: name.into() },
        Metadata::new("op-1", Role::Operator, None),
    )
    .expect("event")
}

async fn append_only(db: Db) {
    let (store, url) = fresh_store(db).await;
    store
        .append(
            &stream(),
            ExpectedVersion::NoStream,
            vec![renamed("a"), renamed("b")],
            None,
        )
        .await
        .expect("append");
    let raw = raw_pool(&url).await;
    store
        .put_scan("image/png", b"\x89PNG\r\n\x1a\nscan")
        .await
        .expect("scan");
    for sql in [
        "UPDATE events SET event_type = 'X'",
        "DELETE FROM events WHERE version = 2",
        "DELETE FROM events",
        "UPDATE scans SET media_type = 'text/plain'",
        "DELETE FROM scans",
    ] {
        let err = exec(&raw, sql).await.expect_err(sql);
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    if db == Db::Postgres {
        let err = exec(&raw, "TRUNCATE events").await.expect_err("truncate");
        assert!(err.contains("append-only"), "{err}");
    }
    assert_eq!(
        store.read_stream(&stream(), 1).await.expect("read").len(),
        2
    );
    assert_eq!(
        store.verify().await.expect("verify"),
        VerifyReport::Ok { events: 2 }
    );
}

#[tokio::test]
async fn postgres_refuses_update_delete_truncate() {
    append_only(Db::Postgres).await;
}

#[tokio::test]
async fn sqlite_refuses_update_delete() {
    append_only(Db::Sqlite).await;
}

async fn tamper_is_found(db: Db) {
    let (store, url) = fresh_store(db).await;
    for name in ["a", "b", "c"] {
        store
            .append(&stream(), ExpectedVersion::Any, vec![renamed(name)], None)
            .await
            .expect("append");
    }
    let other = StreamId::new("institution", "1310112345").expect("stream");
    store
        .append(&other, ExpectedVersion::NoStream, vec![renamed("z")], None)
        .await
        .expect("append");
    assert_eq!(
        store.verify().await.expect("verify"),
        VerifyReport::Ok { events: 4 }
    );

    // Someone with full database rights switches the protection off and edits version 2.
    let raw = raw_pool(&url).await;
    let edit = "UPDATE events SET payload = '{\"name\":\"forged\"}' \
                WHERE stream_id = '0110113719' AND version = 2";
    match db {
        Db::Postgres => {
            exec(&raw, "SET session_replication_role = replica")
                .await
                .expect("bypass");
            assert_eq!(exec(&raw, edit).await.expect("edit"), 1);
        }
        Db::Sqlite => {
            exec(&raw, "DROP TRIGGER events_no_update")
                .await
                .expect("bypass");
            assert_eq!(exec(&raw, edit).await.expect("edit"), 1);
        }
    }
    match store.verify().await.expect("verify") {
        VerifyReport::Broken {
            stream: s, version, ..
        } => {
            assert_eq!((s, version), (stream(), 2));
        }
        ok => panic!("tampering not found: {ok:?}"),
    }
}

#[tokio::test]
async fn postgres_verify_finds_a_tampered_event() {
    tamper_is_found(Db::Postgres).await;
}

#[tokio::test]
async fn sqlite_verify_finds_a_tampered_event() {
    tamper_is_found(Db::Sqlite).await;
}

/// An InstitutionRegistered written by an older release (schema 1, no prefecture) is read back
/// in the current shape; the chain still verifies, because it covers what was stored.
async fn old_payload_is_upcast(db: Db) {
    let (store, url) = fresh_store(db).await;
    let payload = r#"{"code":"1310112345","name":"旧東京病院"}"#;
    let meta = serde_json::to_string(&Metadata::new(
        "op-1",
        Role::Operator,
        Some(Program::Nanbyo),
    ))
    .expect("metadata");
    let id = uuid::Uuid::now_v7();
    let micros = chrono::Utc::now().timestamp_micros();
    let hash = chain_hash(
        &GENESIS,
        &HashInput {
            event_id: id,
            stream_type: "institution",
            stream_id: "1310112345",
            version: 1,
            event_type: "InstitutionRegistered",
            schema_version: 1,
            payload_json: payload,
            metadata_json: &meta,
            recorded_at_micros: micros,
        },
    );
    let hex = hex_of(&hash);
    let raw = raw_pool(&url).await;
    let sql = match db {
        Db::Postgres => format!(
            "INSERT INTO events (global_position, event_id, stream_type, stream_id, version, \
             event_type, schema_version, payload, metadata, recorded_at, hash) VALUES \
             (pg_current_xact_id()::text::bigint * 16384, '{id}', 'institution', '1310112345', 1, \
             'InstitutionRegistered', 1, '{payload}', '{meta}', \
             'epoch'::timestamptz + {micros} * interval '1 microsecond', '\\x{hex}')"
        ),
        Db::Sqlite => format!(
            "INSERT INTO events (global_position, event_id, stream_type, stream_id, version, \
             event_type, schema_version, payload, metadata, recorded_at, hash) VALUES \
             (1, X'{}', 'institution', '1310112345', 1, 'InstitutionRegistered', 1, \
             '{payload}', '{meta}', {micros}, X'{hex}')",
            id.simple()
        ),
    };
    exec(&raw, &sql).await.expect("insert a schema-1 event");

    let s = StreamId::new("institution", "1310112345").expect("stream");
    let read = store.read_stream(&s, 1).await.expect("read");
    assert_eq!(read[0].schema_version, 2);
    assert_eq!(read[0].payload["prefecture"], "13");
    let event: InstitutionEvent = read[0].decode().expect("decode");
    assert!(
        matches!(event, InstitutionEvent::InstitutionRegistered { prefecture, .. } if prefecture.as_str() == "13")
    );
    assert_eq!(
        store.verify().await.expect("verify"),
        VerifyReport::Ok { events: 1 }
    );
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn postgres_upcasts_an_old_schema_payload_on_read() {
    old_payload_is_upcast(Db::Postgres).await;
}

#[tokio::test]
async fn sqlite_upcasts_an_old_schema_payload_on_read() {
    old_payload_is_upcast(Db::Sqlite).await;
}

/// Positions derive from the transaction id, so a caller's transaction may append once; a
/// second append is refused with a clear error and the transaction rolls back whole.
#[tokio::test]
async fn postgres_allows_one_append_per_caller_transaction() {
    use eventstore::postgres::PgStore;
    use std::sync::Arc;
    let url = nanbyo_tests::fresh_pg_url().await;
    let pool = sqlx::PgPool::connect(&url).await.expect("connect");
    PgStore::migrate(&pool).await.expect("migrate");
    let store = PgStore::new(pool.clone(), Arc::new(domain::EventCatalog::registry()));
    let mut tx = pool.begin().await.expect("begin");
    store
        .append_in_transaction(
            &mut tx,
            &stream(),
            ExpectedVersion::NoStream,
            vec![renamed("a")],
            None,
        )
        .await
        .expect("first append");
    let other = StreamId::new("institution", "1310112345").expect("stream");
    let err = store
        .append_in_transaction(
            &mut tx,
            &other,
            ExpectedVersion::NoStream,
            vec![renamed("b")],
            None,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, eventstore::StoreError::OneAppendPerTransaction),
        "{err}"
    );
    tx.rollback().await.expect("rollback");
    assert!(eventstore::EventStore::read_stream(&store, &stream(), 1)
        .await
        .expect("read")
        .is_empty());
}
