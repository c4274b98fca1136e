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
