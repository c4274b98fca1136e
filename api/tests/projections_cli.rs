//! `nanbyo projections` as an operator runs it: `status` lists every projection with its lag,
//! `rebuild` of an unknown name is refused with the names, and `rebuild --all` rebuilds each
//! one and leaves nothing behind.

use std::process::Command;

use nanbyo_tests::{fresh_url, Db};

fn nanbyo() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nanbyo"));
    c.env_remove("DATABASE_URL").env_remove("RUST_LOG");
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

async fn status_and_rebuild(db: Db) {
    let url = fresh_url(db).await;
    let (code, _, err) = run(nanbyo().args(["migrate", "--database-url", &url]));
    assert_eq!(code, 0, "{err}");

    let (code, out, err) = run(nanbyo().args(["projections", "status", "--database-url", &url]));
    assert_eq!(code, 0, "{err}");
    for name in projections::ALL {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("{name} position=")) && l.contains("behind=")),
            "{name} missing from:\n{out}"
        );
    }

    let (code, _, err) = run(nanbyo().args([
        "projections",
        "rebuild",
        "no_such_view",
        "--database-url",
        &url,
    ]));
    assert_ne!(code, 0);
    assert!(
        err.contains("no_such_view") && err.contains("form_search"),
        "{err}"
    );

    let (code, _, err) =
        run(nanbyo().args(["projections", "rebuild", "--all", "--database-url", &url]));
    assert_eq!(code, 0, "{err}");
    for name in projections::ALL {
        assert!(
            err.contains(&format!("{name}: rebuilt")),
            "{name} not rebuilt:\n{err}"
        );
    }
    let (code, out, _) = run(nanbyo().args(["projections", "status", "--database-url", &url]));
    assert_eq!(code, 0);
    assert!(!out.contains("STOPPED"), "{out}");
}

#[tokio::test]
async fn postgres_projections_status_and_rebuild() {
    status_and_rebuild(Db::Postgres).await;
}

#[tokio::test]
async fn sqlite_projections_status_and_rebuild() {
    status_and_rebuild(Db::Sqlite).await;
}
