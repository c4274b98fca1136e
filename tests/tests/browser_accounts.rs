//! 兼務先 in a real browser (headless Chromium), on the demo registry: the responsible person of
//! 札幌中央病院 decides the pending application of a doctor of 小樽港病院 — a rejection needs a
//! reason, an approval is recorded as the API's own event — and the doctor sees the decision
//! and is told when the code typed is not an institution code.

mod browser_support;
mod support;

use api::demo::{self, DemoAccount};
use browser_support::Browser;
use domain::Role;
use nanbyo_tests::Db;

fn login_named(accounts: &[DemoAccount], role: Role, name: &str) -> String {
    accounts
        .iter()
        .find(|a| a.role == role && a.name == name && a.program == domain::Program::Nanbyo)
        .map(|a| a.login_id.clone())
        .unwrap_or_else(|| panic!("a demo {role:?} named {name}"))
}

async fn affiliation_events(store: &std::sync::Arc<dyn eventstore::EventStore>) -> Vec<String> {
    let sql = store.sql();
    eventstore::on_sql!(&sql, reader, |p| {
        sqlx::query_scalar::<_, String>(
            "SELECT event_type FROM events WHERE event_type LIKE 'Affiliation%' ORDER BY global_position",
        )
        .fetch_all(p)
        .await
    })
    .expect("events")
}

#[tokio::test]
async fn a_responsible_person_decides_an_application_and_the_doctor_sees_it() {
    let (base, _, store) = support::spawn_with_store(Db::Postgres).await;
    let accounts = demo::create(&store).await.expect("demo registry");
    let before = affiliation_events(&store).await;
    assert_eq!(
        before,
        ["AffiliationRequested"],
        "the demo's pending application"
    );

    let b = Browser::open(&base).await;
    b.login(
        &login_named(&accounts, Role::ResponsiblePerson, "高橋 四郎"),
        demo::PASSWORD,
    )
    .await;
    // The responsible person's start page is the applications to the institution.
    b.wait_path("/affiliations").await;
    b.wait_text("佐藤 六郎").await;
    b.wait_text("申請中").await;
    b.check("affiliations-pending").await;
    // A rejection without a reason is refused at the row's field, nothing recorded.
    b.click("form.row-actions button[value=reject]").await;
    b.wait_text("理由").await;
    assert!(b.exists(".error-summary").await, "{}", b.page_text().await);
    assert_eq!(affiliation_events(&store).await, before);
    b.check("affiliations-reason-required").await;
    b.click("form.row-actions button[value=approve]").await;
    b.wait_text("承認しました").await;
    b.wait_text("承認済").await;
    assert_eq!(
        affiliation_events(&store).await,
        ["AffiliationRequested", "AffiliationApproved"]
    );
    b.click("form[action='/logout'] button").await;
    b.wait_path("/login").await;

    b.login(
        &login_named(&accounts, Role::DesignatedDoctor, "佐藤 六郎"),
        demo::PASSWORD,
    )
    .await;
    b.wait_path("/forms").await;
    b.goto("/affiliations").await;
    b.wait_text("0110113719").await;
    b.wait_text("承認済").await;
    // A code with a wrong check digit is told at the field.
    b.fill("#institution", "0110113718").await;
    b.click("form[action='/affiliations'] button[type=submit]")
        .await;
    b.wait_text("検証番号").await;
    assert!(b.exists(".error-summary a[href='#institution']").await);
    b.check("affiliations-doctor").await;
    assert_eq!(affiliation_events(&store).await.len(), 2);
    b.close().await;
}

/// The hospital's bulk import: a doctor uploads a file of four forms, one of them with an
/// impossible birth date; the job page follows the job to its end (refreshing itself, no script
/// needed), counts three registered and one refused, lists the refused row with its error,
/// and the CSV of the outcomes is the API's.
#[tokio::test]
async fn a_doctor_imports_a_file_and_reads_each_rows_outcome() {
    let (base, _, store) = support::spawn_with_store(Db::Sqlite).await;
    let accounts = demo::create(&store).await.expect("demo registry");
    let example = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../examples/imports/hospital/hospital.utf8.csv"),
    )
    .expect("example file");
    let first = example.lines().nth(1).expect("a data row");
    let bad = first
        .replacen("HIS-0001", "HIS-0004", 1)
        .replacen("1950-04-01", "1950-13-40", 1);
    assert_ne!(
        bad,
        first.replacen("HIS-0001", "HIS-0004", 1),
        "the date was replaced"
    );
    let dir = std::env::temp_dir().join(format!("nanbyo-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("hospital-forms.csv");
    std::fs::write(&file, format!("{}{bad}\n", example)).expect("file");

    let b = Browser::open(&base).await;
    b.login(
        &login_named(&accounts, Role::DesignatedDoctor, "山田 一郎"),
        demo::PASSWORD,
    )
    .await;
    b.wait_path("/forms").await;
    b.click("a[href='/imports']").await;
    b.wait_text("ファイルを取り込む").await;
    // Nothing chosen: told at the field.
    b.click("form[action^='/imports'] button[type=submit]")
        .await;
    b.wait_text("ファイルを選んでください").await;
    b.check("imports").await;
    b.find("#file")
        .await
        .send_keys(file.to_str().expect("path"))
        .await
        .expect("choose the file");
    b.click("form[action^='/imports'] button[type=submit]")
        .await;
    b.wait_path("/imports/").await;
    b.wait_text("完了").await;
    let facts = b.text("dl.facts").await;
    assert!(facts.contains("4 / 4"), "{facts}");
    assert!(
        facts.contains("登録\n3") || facts.contains("登録 3"),
        "{facts}"
    );
    assert!(
        facts.contains("エラー\n1") || facts.contains("エラー 1"),
        "{facts}"
    );
    // Every row the status counts is listed.
    let listed = b.text(".table-wrap").await;
    assert_eq!(
        listed.matches("開く").count(),
        3,
        "three forms to open: {listed}"
    );
    b.check("import-job").await;
    b.click("a[href$='outcome=rejected']").await;
    b.wait_text("patient_birth_date").await;
    let rows = b.text("#s-rows ~ .table-wrap, .table-wrap").await;
    assert!(rows.contains('5'), "the refused row is row 5: {rows}");
    let csv = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const link = document.querySelector(\"a[href$='/rows.csv']\").href;
             fetch(link).then(r => r.arrayBuffer()).then(b => {
               const u = new Uint8Array(b);
               done({bom: u[0] === 0xEF && u[1] === 0xBB && u[2] === 0xBF,
                     text: new TextDecoder().decode(u)});
             });",
            vec![],
        )
        .await
        .expect("the CSV");
    assert_eq!(csv["bom"], serde_json::json!(true), "a BOM for Excel");
    let csv = csv["text"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        csv.lines().filter(|l| l.contains(",applied,")).count(),
        3,
        "{csv}"
    );
    assert!(csv.lines().any(|l| l.starts_with("5,rejected,")), "{csv}");
    b.close().await;
}

/// The responsible person registers a clerk of the institution: the login ID and initial
/// password are shown once, the clerk is listed, and the clerk logs in with them and must
/// change the password first.
#[tokio::test]
async fn a_responsible_person_registers_a_clerk_who_can_log_in() {
    let (base, _, store) = support::spawn_with_store(Db::Sqlite).await;
    let accounts = demo::create(&store).await.expect("demo registry");
    let b = Browser::open(&base).await;
    b.login(
        &login_named(&accounts, Role::ResponsiblePerson, "高橋 四郎"),
        demo::PASSWORD,
    )
    .await;
    b.wait_path("/affiliations").await;
    b.click("a[href='/clerks']").await;
    b.wait_text("クラークを登録する").await;
    // The demo's clerk is listed already.
    b.wait_text("伊藤 五月").await;
    b.fill("#display_name", "渡辺 七海").await;
    b.click("form[action='/clerks'] button[type=submit]").await;
    b.wait_text("初期パスワードはこの一度しか表示されません")
        .await;
    let login_id = b.text("#issued-login").await;
    let password = b.text("#issued-password").await;
    assert!(!login_id.is_empty() && !password.is_empty());
    b.check("clerks-issued").await;
    // Shown once: the list again shows no password.
    b.goto("/clerks").await;
    b.wait_text("渡辺 七海").await;
    assert!(!b.page_text().await.contains(&password));
    b.click("form[action='/logout'] button").await;
    b.wait_path("/login").await;
    b.login(&login_id, &password).await;
    b.wait_path("/password").await;
    b.close().await;
}
