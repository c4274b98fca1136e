//! Import jobs survive crashes and never apply a row twice, on both backends: a job whose
//! worker dies right after a batch was committed resumes from the next row and ends with
//! exactly the rows it would have had; two workers running the same job at once record each
//! row once (the job stream's version lets one batch through).

use std::collections::BTreeMap;
use std::sync::Arc;

use api::provision::{Provisioner, Who};
use commands::forms::MasterCache;
use commands::imports::{self as imp, Progress};
use domain::form::Actor;
use domain::import_job::{ImportEvent, ImportUse, JobStatus, RowOutcome};
use domain::{InstitutionCode, Role};
use eventstore::{EventStore, StreamId};
use nanbyo_tests::{fresh_store, Db};

const HOSPITAL: &str = "0110113719";

async fn actor(store: &Arc<dyn EventStore>, accounts: &Provisioner, who: &Who) -> Actor {
    let token = accounts.token(who).await.expect("token");
    commands::accounts::authenticate(store, &token)
        .await
        .expect("authenticate")
        .expect("active")
        .0
}

/// A hospital file of `n` rows (rows 2 … n + 1), each its own patient and form.
fn file(n: usize) -> Vec<u8> {
    let mut out = String::from(
        "external_ref,institution,disease,application,purpose,research_consent,\
         patient_name_kanji,patient_name_kana,patient_birth_date,patient_sex,patient_address,\
         patient_municipality,sev.hoehn_yahr,sev.daily_life_disability\n",
    );
    for i in 0..n {
        let (name, kana) = api::bench::numbered_name(i as u64);
        out += &format!(
            "REF-{i:05},{HOSPITAL},6,new,subsidy,true,{name},{kana},1960-01-{:02},male,\
             小樽市花園{i},012025,{},2\n",
            i % 28 + 1,
            i % 5 + 1
        );
    }
    out.into_bytes()
}

struct Setup {
    store: Arc<dyn EventStore>,
    masters: Arc<MasterCache>,
    dir: std::path::PathBuf,
    job: String,
}

async fn setup(db: Db, rows: usize) -> Setup {
    setup_with(db, &file(rows)).await
}

/// A fresh store with the master, the institution and a doctor, and `content` received as a
/// hospital import job of that doctor.
async fn setup_with(db: Db, content: &[u8]) -> Setup {
    let (store, _) = fresh_store(db).await;
    let masters = Arc::new(MasterCache::default());
    commands::forms::publish_shipped(&store, &masters)
        .await
        .expect("master");
    let accounts = Provisioner::new(store.clone());
    let operator = actor(&store, &accounts, &Who::new(Role::Operator)).await;
    commands::forms::register_institution(
        &store,
        &operator,
        InstitutionCode::parse(HOSPITAL).expect("code"),
        "札幌中央病院".into(),
        None,
    )
    .await
    .expect("institution");
    let doctor = actor(
        &store,
        &accounts,
        &Who::new(Role::DesignatedDoctor).at(HOSPITAL),
    )
    .await;
    let dir = std::env::temp_dir().join(format!("nanbyo-imports-{}", uuid::Uuid::new_v4()));
    let staged = imp::stage(&dir, content, imp::MAX_FILE_BYTES).expect("stage");
    let (job, _) = imp::receive(
        &store,
        &masters,
        &doctor,
        imp::Upload {
            use_: ImportUse::Hospital,
            file_name: "forms.csv",
            staged: &staged,
            contractor: None,
        },
        None,
    )
    .await
    .expect("received");
    Setup {
        store,
        masters,
        dir,
        job,
    }
}

/// Every row result the job recorded, by row number, and its status.
async fn recorded(
    store: &Arc<dyn EventStore>,
    job: &str,
) -> (BTreeMap<u64, Vec<RowOutcome>>, Option<JobStatus>) {
    let stream = StreamId::new(domain::import_job::STREAM_TYPE, job).expect("stream");
    let mut rows: BTreeMap<u64, Vec<RowOutcome>> = BTreeMap::new();
    let mut status = None;
    for e in store.read_stream(&stream, 1).await.expect("read") {
        match e.decode::<ImportEvent>().expect("event") {
            ImportEvent::ImportRowsApplied { results, .. } => {
                for r in results {
                    rows.entry(r.row).or_default().push(r.outcome);
                }
            }
            ImportEvent::ImportFinished { .. } => status = Some(JobStatus::Finished),
            ImportEvent::ImportFailed { .. } => status = Some(JobStatus::Failed),
            _ => {}
        }
    }
    (rows, status)
}

/// (forms drafted, distinct form streams).
async fn drafted(store: &Arc<dyn EventStore>) -> (usize, usize) {
    let (mut n, mut streams) = (0, std::collections::BTreeSet::new());
    let mut after = 0;
    loop {
        let page = store.read_all(after, 10_000).await.expect("read");
        let Some(last) = page.last() else { break };
        after = last.position;
        for e in page.iter().filter(|e| e.event_type == "FormDrafted") {
            n += 1;
            streams.insert(e.stream.id.clone());
        }
    }
    (n, streams.len())
}

/// A worker that dies (panics) as soon as `batches` batches were committed.
struct DiesAfter(u64);

impl Progress for DiesAfter {
    fn validating(&self, _: u64) {}
    fn applying(&self, done: u64, _: u64) {
        if done >= self.0 * imp::BATCH_ROWS as u64 {
            panic!("simulated crash after {done} rows");
        }
    }
}

async fn a_crashed_job_resumes_and_applies_each_row_once(db: Db) {
    let rows = imp::BATCH_ROWS * 3 + 123;
    let s = setup(db, rows).await;
    let (store, masters, dir, job) = (
        s.store.clone(),
        s.masters.clone(),
        s.dir.clone(),
        s.job.clone(),
    );
    let crashed = tokio::spawn(async move {
        let _ = imp::run(&store, &masters, &dir, &job, &DiesAfter(2)).await;
    })
    .await;
    assert!(crashed.is_err(), "the worker died");
    let (before, status) = recorded(&s.store, &s.job).await;
    assert_eq!(status, None, "not finished");
    assert_eq!(
        before.len(),
        imp::BATCH_ROWS * 2,
        "two whole batches were recorded"
    );
    assert_eq!(
        drafted(&s.store).await,
        (imp::BATCH_ROWS * 2, imp::BATCH_ROWS * 2)
    );

    // Restart: the job carries on from the next row.
    let finished = imp::run(&s.store, &s.masters, &s.dir, &s.job, &())
        .await
        .expect("resumed");
    assert_eq!(finished.status, Some(JobStatus::Finished));
    assert_eq!(
        (finished.total, finished.applied, finished.rejected),
        (rows as u64, rows as u64, 0)
    );
    let (after, status) = recorded(&s.store, &s.job).await;
    assert_eq!(status, Some(JobStatus::Finished));
    let expected: Vec<u64> = (2..rows as u64 + 2).collect();
    assert_eq!(
        after.keys().copied().collect::<Vec<_>>(),
        expected,
        "every row, in order"
    );
    assert!(
        after.values().all(|o| o == &[RowOutcome::Applied]),
        "each row has exactly one result"
    );
    assert_eq!(
        drafted(&s.store).await,
        (rows, rows),
        "each form drafted once"
    );
    // Running a finished job again does nothing.
    let again = imp::run(&s.store, &s.masters, &s.dir, &s.job, &())
        .await
        .expect("again");
    assert_eq!(again.applied, rows as u64);
    assert_eq!(drafted(&s.store).await, (rows, rows));
    let _ = std::fs::remove_dir_all(&s.dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_job_resumes_and_applies_each_row_once_postgres() {
    a_crashed_job_resumes_and_applies_each_row_once(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_job_resumes_and_applies_each_row_once_sqlite() {
    a_crashed_job_resumes_and_applies_each_row_once(Db::Sqlite).await;
}

async fn two_workers_on_one_job_record_each_row_once(db: Db) {
    let rows = imp::BATCH_ROWS * 4 + 7;
    let s = setup(db, rows).await;
    let run = || {
        let (store, masters, dir, job) = (
            s.store.clone(),
            s.masters.clone(),
            s.dir.clone(),
            s.job.clone(),
        );
        tokio::spawn(async move { imp::run(&store, &masters, &dir, &job, &()).await })
    };
    let (a, b) = (run(), run());
    let results = [a.await.expect("join"), b.await.expect("join")];
    // One of them may find the other ahead (`Taken`); neither fails otherwise.
    for r in &results {
        match r {
            Ok(_) | Err(imp::RunError::Taken) => {}
            Err(e) => panic!("a worker failed: {e}"),
        }
    }
    // Whatever the interleaving, a last run finishes the job if both stopped early.
    let job = imp::run(&s.store, &s.masters, &s.dir, &s.job, &())
        .await
        .expect("finish");
    assert_eq!(job.status, Some(JobStatus::Finished));
    let (recorded, _) = recorded(&s.store, &s.job).await;
    assert_eq!(recorded.len(), rows);
    assert!(
        recorded.values().all(|o| o.len() == 1),
        "no row recorded twice"
    );
    assert_eq!(drafted(&s.store).await, (rows, rows));
    let _ = std::fs::remove_dir_all(&s.dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_one_job_record_each_row_once_postgres() {
    two_workers_on_one_job_record_each_row_once(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_one_job_record_each_row_once_sqlite() {
    two_workers_on_one_job_record_each_row_once(Db::Sqlite).await;
}

/// Rows of one form in consecutive batches (the second batch is decided while the first is
/// being appended): the later rows update what the earlier ones created, in file order.
async fn later_batches_see_earlier_ones(db: Db) {
    let n = imp::BATCH_ROWS;
    // Batch 1 creates REF-0 … REF-(n-1) with Hoehn-Yahr 1; batch 2 sets them to 4.
    let mut text = String::from(
        "external_ref,institution,disease,application,purpose,research_consent,\
         patient_name_kanji,patient_name_kana,patient_birth_date,patient_sex,patient_address,\
         patient_municipality,sev.hoehn_yahr\n",
    );
    for yahr in [1, 4] {
        for i in 0..n {
            let (name, kana) = api::bench::numbered_name(i as u64);
            text += &format!(
                "REF-{i},{HOSPITAL},6,new,subsidy,true,{name},{kana},1960-01-01,male,\
                 小樽市,012025,{yahr}\n"
            );
        }
    }
    let Setup {
        store,
        masters,
        dir,
        job,
    } = setup_with(db, text.as_bytes()).await;
    let done = imp::run(&store, &masters, &dir, &job, &())
        .await
        .expect("run");
    assert_eq!(
        (done.applied, done.unchanged, done.rejected),
        (2 * n as u64, 0, 0)
    );
    assert_eq!(drafted(&store).await, (n, n));
    let form = imp::form_id(
        domain::Program::Nanbyo,
        &InstitutionCode::parse(HOSPITAL).expect("code"),
        imp::Source::Institution,
        "REF-7",
    );
    let stream = StreamId::new("form", &form).expect("stream");
    let mut yahr = serde_json::Value::Null;
    for e in store.read_stream(&stream, 1).await.expect("read") {
        match e.decode::<domain::form::FormEvent>().expect("event") {
            domain::form::FormEvent::FormDrafted { items, .. } => {
                yahr = items["sev.hoehn_yahr"].clone()
            }
            domain::form::FormEvent::ItemsEdited { changes } => {
                for c in changes.iter().filter(|c| c.item == "sev.hoehn_yahr") {
                    yahr = c.new.clone();
                }
            }
            _ => {}
        }
    }
    assert_eq!(yahr, serde_json::json!("4"), "the later row wins");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn later_batches_see_earlier_ones_postgres() {
    later_batches_see_earlier_ones(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn later_batches_see_earlier_ones_sqlite() {
    later_batches_see_earlier_ones(Db::Sqlite).await;
}

/// A batch decided while the previous one is being appended is decided again when it read a
/// form that one changed: a later row setting a form back to what it was before the earlier
/// row is applied, not taken for `unchanged`.
async fn a_later_batch_is_decided_on_what_the_earlier_one_committed(db: Db) {
    let n = imp::BATCH_ROWS;
    let row = |reference: &str, yahr: u32| {
        format!(
            "{reference},{HOSPITAL},6,new,subsidy,true,患者 X,カンジャ エックス,1960-01-01,male,小樽市,\
             012025,{yahr}\n"
        )
    };
    let header = "external_ref,institution,disease,application,purpose,research_consent,\
         patient_name_kanji,patient_name_kana,patient_birth_date,patient_sex,patient_address,\
         patient_municipality,sev.hoehn_yahr\n";
    // First the form exists with Hoehn-Yahr 1.
    let s = setup_with(db, format!("{header}{}", row("X", 1)).as_bytes()).await;
    let first = imp::run(&s.store, &s.masters, &s.dir, &s.job, &())
        .await
        .expect("run");
    assert_eq!(first.applied, 1);
    // Then one file: X → 4 in the first batch, n - 1 new forms, X → 1 in the second batch.
    let mut text = format!("{header}{}", row("X", 4));
    for i in 1..n {
        text += &row(&format!("N-{i}"), 2);
    }
    text += &row("X", 1);
    let doctor = {
        let accounts = Provisioner::new(s.store.clone());
        actor(
            &s.store,
            &accounts,
            &Who::new(Role::DesignatedDoctor).at(HOSPITAL),
        )
        .await
    };
    let staged = imp::stage(&s.dir, text.as_bytes(), imp::MAX_FILE_BYTES).expect("stage");
    let (job, _) = imp::receive(
        &s.store,
        &s.masters,
        &doctor,
        imp::Upload {
            use_: ImportUse::Hospital,
            file_name: "back-and-forth.csv",
            staged: &staged,
            contractor: None,
        },
        None,
    )
    .await
    .expect("received");
    let done = imp::run(&s.store, &s.masters, &s.dir, &job, &())
        .await
        .expect("run");
    assert_eq!(
        (done.applied, done.unchanged, done.rejected),
        (n as u64 + 1, 0, 0)
    );
    let form = imp::form_id(
        domain::Program::Nanbyo,
        &InstitutionCode::parse(HOSPITAL).expect("code"),
        imp::Source::Institution,
        "X",
    );
    let mut yahr = serde_json::Value::Null;
    let stream = StreamId::new("form", &form).expect("stream");
    for e in s.store.read_stream(&stream, 1).await.expect("read") {
        match e.decode::<domain::form::FormEvent>().expect("event") {
            domain::form::FormEvent::FormDrafted { items, .. } => {
                yahr = items["sev.hoehn_yahr"].clone()
            }
            domain::form::FormEvent::ItemsEdited { changes } => {
                for c in changes.iter().filter(|c| c.item == "sev.hoehn_yahr") {
                    yahr = c.new.clone();
                }
            }
            _ => {}
        }
    }
    assert_eq!(
        yahr,
        serde_json::json!("1"),
        "the last row of the file wins"
    );
    let _ = std::fs::remove_dir_all(&s.dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_batch_is_decided_on_what_the_earlier_one_committed_postgres() {
    a_later_batch_is_decided_on_what_the_earlier_one_committed(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_batch_is_decided_on_what_the_earlier_one_committed_sqlite() {
    a_later_batch_is_decided_on_what_the_earlier_one_committed(Db::Sqlite).await;
}
