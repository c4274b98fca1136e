//! `nanbyo import` as an operator runs it, on both backends: a file imported as a doctor ends
//! with its counts and exit 0; a file with a rejected row exits 1 and says how many; `--resume`
//! of a finished job changes nothing; a file that is not a table is refused with its reason and
//! no job; an unknown login is refused.

use std::process::Command;

use api::provision::{Provisioner, Who};
use domain::{InstitutionCode, Role};
use nanbyo_tests::{fresh_url, open_url, Db};

const HOSPITAL: &str = "0110113719";

fn nanbyo() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nanbyo"));
    c.env_remove("DATABASE_URL")
        .env_remove("RUST_LOG")
        .env_remove("NANBYO_IMPORT_AS");
    c
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("run nanbyo");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn csv(rows: &[(&str, &str)]) -> String {
    let mut out = String::from(
        "external_ref,institution,disease,application,purpose,research_consent,\
         patient_name_kanji,patient_name_kana,patient_birth_date,patient_sex,patient_address,\
         patient_municipality,sev.hoehn_yahr\n",
    );
    for (reference, yahr) in rows {
        out += &format!(
            "{reference},{HOSPITAL},6,new,subsidy,true,試験 患者,シケン カンジャ,1960-01-01,\
             female,小樽市花園2丁目,012025,{yahr}\n"
        );
    }
    out
}

fn line<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(&format!("{key} ")))
        .unwrap_or_else(|| panic!("no {key} line in:\n{out}"))
}

async fn import_from_the_command_line(db: Db) {
    let url = fresh_url(db).await;
    let store = open_url(&url).await;
    let masters = commands::forms::MasterCache::default();
    commands::forms::publish_shipped(&store, &masters)
        .await
        .expect("master");
    let accounts = Provisioner::new(store.clone());
    let operator = accounts.token(&Who::new(Role::Operator)).await.expect("op");
    let (operator, _) = commands::accounts::authenticate(&store, &operator)
        .await
        .expect("authenticate")
        .expect("active");
    commands::forms::register_institution(
        &store,
        &operator,
        InstitutionCode::parse(HOSPITAL).expect("code"),
        "札幌中央病院".into(),
        None,
    )
    .await
    .expect("institution");
    let doctor = accounts
        .login(&Who::new(Role::DesignatedDoctor).at(HOSPITAL))
        .await
        .expect("doctor");
    let dir = std::env::temp_dir().join(format!("nanbyo-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let data_dir = dir.join("data");
    let import = |file: &std::path::Path, extra: &[&str]| {
        let mut c = nanbyo();
        c.args(["--database-url", &url, "--data-dir"])
            .arg(&data_dir)
            .args(["import", "hospital"])
            .arg(file)
            .args(["--as", &doctor.login_id])
            .args(extra);
        run(&mut c)
    };

    let good = dir.join("good.csv");
    std::fs::write(&good, csv(&[("A-1", "3"), ("A-2", "4")])).expect("write");
    let (code, out, err) = import(&good, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(line(&out, "status"), "finished", "{out}");
    assert_eq!(line(&out, "rows"), "2");
    assert_eq!(line(&out, "applied"), "2");
    let job = line(&out, "job").to_owned();

    // The same file again: nothing applied twice.
    let (code, out, err) = import(&good, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(line(&out, "unchanged"), "2", "{out}");
    assert_eq!(line(&out, "applied"), "0");

    // A bad row: exit 1, and how many.
    let mixed = dir.join("mixed.csv");
    std::fs::write(&mixed, csv(&[("B-1", "3"), ("B-2", "9")])).expect("write");
    let (code, out, err) = import(&mixed, &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(line(&out, "applied"), "1", "{out}");
    assert_eq!(line(&out, "rejected"), "1");

    // Resuming a finished job changes nothing.
    let mut c = nanbyo();
    c.args(["--database-url", &url, "--data-dir"])
        .arg(&data_dir)
        .args([
            "import",
            "hospital",
            "--resume",
            &job,
            "--as",
            &doctor.login_id,
        ]);
    let (code, out, err) = run(&mut c);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(line(&out, "applied"), "2", "{out}");

    // Not a table: refused with its reason, exit 2, no job.
    let pdf = dir.join("scan.csv");
    std::fs::write(&pdf, b"%PDF-1.7\n\x00\x01\x02binary").expect("write");
    let (code, out, err) = import(&pdf, &[]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("not_a_table"), "{err}");
    assert!(!out.contains("job "), "{out}");
    // Nothing of it is kept: the imports directory holds the two accepted files only.
    let kept = std::fs::read_dir(data_dir.join("imports"))
        .expect("imports dir")
        .count();
    assert_eq!(kept, 2, "the refused file is not kept");

    // An unknown login.
    let mut c = nanbyo();
    c.args(["--database-url", &url, "--data-dir"])
        .arg(&data_dir)
        .args(["import", "hospital"])
        .arg(&good)
        .args(["--as", "NOBODY"]);
    let (code, _, err) = run(&mut c);
    assert_eq!(code, 2);
    assert!(err.contains("NOBODY"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_from_the_command_line_postgres() {
    import_from_the_command_line(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_from_the_command_line_sqlite() {
    import_from_the_command_line(Db::Sqlite).await;
}
