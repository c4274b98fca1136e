//! The command path (load, fold, decide, append) against both databases, with the institution
//! master as the aggregate: refusals append nothing, If-Match protects against lost updates,
//! retries with the same idempotency key are answered from the first execution.

use std::sync::Arc;

use commands::{execute, load, CommandError, Outcome};
use domain::institution::{Institution, InstitutionCommand, InstitutionError};
use domain::{InstitutionCode, Role};
use eventstore::{EventStore, IdempotencyKey, Metadata, StoreError, StreamId};
use nanbyo_tests::{fresh_store, Db};

const CODE: &str = "0110113719";

fn operator() -> Metadata {
    Metadata::new("op-1", Role::Operator, None).with_reason("monthly master maintenance")
}

fn register() -> InstitutionCommand {
    InstitutionCommand::Register {
        code: InstitutionCode::parse(CODE).expect("code"),
        name: "札幌中央病院".into(),
    }
}

fn rename(name: &str) -> InstitutionCommand {
    InstitutionCommand::Rename { name: name.into() }
}

async fn run(
    store: &Arc<dyn EventStore>,
    command: InstitutionCommand,
    expected: Option<u64>,
    key: Option<&str>,
) -> Result<Outcome, CommandError<InstitutionError>> {
    let key = key.map(|k| IdempotencyKey::parse(k).expect("key"));
    execute::<Institution>(store, CODE, &command, operator(), expected, key.as_ref()).await
}

async fn command_path(db: Db) {
    let (store, _) = fresh_store(db).await;
    let first = run(&store, register(), None, Some("k-1"))
        .await
        .expect("register");
    assert_eq!(
        (first.version, first.appended, first.duplicate),
        (1, 1, false)
    );

    // A retry of the same request: the first outcome, nothing decided or appended again
    // (deciding again would refuse: the institution exists now).
    let retry = run(&store, register(), None, Some("k-1"))
        .await
        .expect("retry");
    assert_eq!(
        (
            retry.version,
            retry.position,
            retry.appended,
            retry.duplicate
        ),
        (1, first.position, 0, true)
    );

    // Without the key, the same command is refused by the domain; nothing is appended.
    let again = run(&store, register(), None, None).await.unwrap_err();
    assert!(matches!(
        again,
        CommandError::Rejected(InstitutionError::AlreadyRegistered)
    ));

    // If-Match: the version the user saw.
    run(&store, rename("札幌中央総合病院"), Some(1), None)
        .await
        .expect("rename at v1");
    let stale = run(&store, rename("別名"), Some(1), None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            stale,
            CommandError::Store(StoreError::Conflict { current: 2, .. })
        ),
        "{stale}"
    );

    let (state, version) = load::<Institution>(&store, CODE).await.expect("load");
    assert_eq!((state.name.as_str(), version), ("札幌中央総合病院", 2));
    let events = store
        .read_stream(&StreamId::new("institution", CODE).expect("stream"), 1)
        .await
        .expect("read");
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[1].metadata.reason.as_deref(),
        Some("monthly master maintenance")
    );
    assert_eq!(events[1].metadata.role, Role::Operator);

    // The key of the first command cannot be reused for another stream.
    let other = execute::<Institution>(
        &store,
        "1310112345",
        &InstitutionCommand::Register {
            code: InstitutionCode::parse("1310112345").expect("code"),
            name: "東京病院".into(),
        },
        operator(),
        None,
        Some(&IdempotencyKey::parse("k-1").expect("key")),
    )
    .await
    .unwrap_err();
    assert!(matches!(
        other,
        CommandError::Store(StoreError::IdempotencyKeyReused)
    ));
}

#[tokio::test]
async fn postgres_command_path() {
    command_path(Db::Postgres).await;
}

#[tokio::test]
async fn sqlite_command_path() {
    command_path(Db::Sqlite).await;
}

/// Two users rename at once from the same version: one wins, the other gets a conflict; no
/// rename is silently lost.
async fn concurrent_commands(db: Db) {
    let (store, _) = fresh_store(db).await;
    run(&store, register(), None, None).await.expect("register");
    let mut tasks = Vec::new();
    for i in 0..6 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            run(&store, rename(&format!("名称{i}")), Some(1), None).await
        }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(_) => won += 1,
            Err(CommandError::Store(e)) if e.is_conflict() => {}
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    assert_eq!(won, 1);
    let (_, version) = load::<Institution>(&store, CODE).await.expect("load");
    assert_eq!(version, 2);
}

#[tokio::test]
async fn postgres_concurrent_commands_never_lose_an_update() {
    concurrent_commands(Db::Postgres).await;
}

#[tokio::test]
async fn sqlite_concurrent_commands_never_lose_an_update() {
    concurrent_commands(Db::Sqlite).await;
}

/// A client times out and retries while its first attempt is still running: every attempt
/// answers with the one registration, none is refused as "already registered".
async fn concurrent_retries(db: Db) {
    let (store, _) = fresh_store(db).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            run(&store, register(), None, Some("retry-1")).await
        }));
    }
    let mut fresh = 0;
    for t in tasks {
        let outcome = t
            .await
            .expect("task")
            .expect("first result, never a refusal");
        assert_eq!(outcome.version, 1);
        if !outcome.duplicate {
            fresh += 1;
        }
    }
    assert_eq!(fresh, 1);
    let (_, version) = load::<Institution>(&store, CODE).await.expect("load");
    assert_eq!(version, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_retries_get_the_first_result() {
    concurrent_retries(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_concurrent_retries_get_the_first_result() {
    concurrent_retries(Db::Sqlite).await;
}
