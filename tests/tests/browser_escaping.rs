//! What a user types is shown as text, never as markup, on every page that shows it back: a
//! patient name with markup is refused at its field and shown back escaped, a reason with markup
//! is kept as the reason and shown escaped in the form's history, a clerk's name with markup is
//! listed escaped. Checked in the DOM of a real browser (headless Chromium):
//! no element the text would have made exists.

mod browser_support;
mod support;

use api::demo::{self, DemoAccount};
use browser_support::Browser;
use domain::Role;
use nanbyo_tests::Db;

const MARKUP: &str = "\"><img src=x onerror=alert(1)><script>alert(2)</script>";

fn login_named(accounts: &[DemoAccount], role: Role, name: &str) -> String {
    accounts
        .iter()
        .find(|a| a.role == role && a.name == name && a.program == domain::Program::Nanbyo)
        .map(|a| a.login_id.clone())
        .unwrap_or_else(|| panic!("a demo {role:?} named {name}"))
}

/// Nothing the markup would have made is in the page, and its text is.
async fn shown_as_text(b: &Browser, page: &str) {
    assert!(
        !b.exists("img[onerror]").await,
        "{page}: an img element was made"
    );
    let scripts = b
        .client
        .execute(
            "return [...document.scripts].filter(s => s.textContent.includes('alert')).length;",
            vec![],
        )
        .await
        .expect("scripts");
    assert_eq!(
        scripts,
        serde_json::json!(0),
        "{page}: a script element was made"
    );
    let source = b.source().await;
    assert!(
        source.contains("&lt;script&gt;alert(2)&lt;/script&gt;"),
        "{page}: the text is escaped in the page"
    );
}

async fn set_radio(b: &Browser, item: &str, value: &str) {
    b.click(&format!("input[name='item.{item}'][value='{value}']"))
        .await;
}

#[tokio::test]
async fn markup_typed_by_users_is_shown_as_text() {
    let (base, _, store) = support::spawn_with_store(Db::Postgres).await;
    let accounts = demo::create(&store).await.expect("demo registry");
    let b = Browser::without_scripts(&base).await;
    b.login(
        &login_named(&accounts, Role::DesignatedDoctor, "山田 一郎"),
        demo::PASSWORD,
    )
    .await;
    b.wait_path("/forms").await;

    // A patient name with markup: refused at the field, shown back as typed.
    b.goto("/forms/new").await;
    b.fill("#q", "パーキンソン").await;
    b.click("button[formmethod=get]").await;
    b.wait_text("6 パーキンソン病").await;
    b.click("input[name=disease][value='6']").await;
    b.fill("#patient_name_kanji", MARKUP).await;
    b.fill("#patient_name_kana", "エスケープ テスト").await;
    b.fill("#patient_birth_date", "1951-03-04").await;
    b.click("input[name=patient_sex][value=male]").await;
    b.fill("#patient_address", "小樽市稲穂1丁目2番3号").await;
    b.fill("#patient_municipality", "012033").await;
    b.click("form[action='/forms/new'] button[type=submit]:not([formmethod])")
        .await;
    b.wait_text("入力内容を確認してください").await;
    assert!(b.exists("#patient_name_kanji-error").await);
    let typed = b
        .find("#patient_name_kanji")
        .await
        .prop("value")
        .await
        .expect("value");
    assert_eq!(
        typed.as_deref(),
        Some(MARKUP),
        "the value comes back as typed"
    );
    shown_as_text(&b, "new form").await;

    // A valid form, submitted, then changed with a reason holding markup.
    b.fill("#patient_name_kanji", "試験 一郎").await;
    b.click("form[action='/forms/new'] button[type=submit]:not([formmethod])")
        .await;
    b.wait_text("臨個票を作成しました").await;
    let form = b.path().await.split('?').next().expect("path").to_owned();
    b.fill("#item-basic\\.onset_ym", "2019-06").await;
    b.fill("#item-basic\\.diagnosis_ym", "2020-02").await;
    for item in [
        "dx.parkinsonism",
        "dx.imaging_no_cause",
        "dx.no_drug_toxin_exposure",
        "dx.antiparkinson_response",
    ] {
        set_radio(&b, item, "true").await;
    }
    set_radio(&b, "sev.hoehn_yahr", "3").await;
    set_radio(&b, "sev.daily_life_disability", "2").await;
    b.click("#entry button[type=submit]").await;
    b.wait_text("保存しました").await;
    b.click("form[action$='/submit'] button").await;
    b.wait_text("提出しました").await;
    b.goto(&form).await;
    set_radio(&b, "sev.hoehn_yahr", "4").await;
    b.fill("#reason", MARKUP).await;
    b.click("#entry button[type=submit]").await;
    b.wait_text("保存しました").await;
    b.goto(&format!("{form}/history")).await;
    b.wait_text("alert(2)").await;
    shown_as_text(&b, "history").await;
    b.click("form[action='/logout'] button").await;
    b.wait_path("/login").await;

    // A clerk's name with markup: registered as typed (account names are not checked as
    // patient names are) and listed as text.
    b.login(
        &login_named(&accounts, Role::ResponsiblePerson, "高橋 四郎"),
        demo::PASSWORD,
    )
    .await;
    b.wait_path("/affiliations").await;
    b.goto("/clerks").await;
    b.fill("#display_name", MARKUP).await;
    b.click("form[action='/clerks'] button[type=submit]").await;
    b.wait_text("初期パスワードはこの一度しか表示されません")
        .await;
    shown_as_text(&b, "clerk issued").await;
    b.goto("/clerks").await;
    b.wait_text("alert(2)").await;
    shown_as_text(&b, "clerks").await;
    b.close().await;
}
