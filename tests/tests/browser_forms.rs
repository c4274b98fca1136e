//! A doctor's forms in a real browser (headless Chromium) on the demo registry: the worklist,
//! a new パーキンソン病 form, its entry with the machine judgment live, submission and the
//! アクセスキー, the print; a clerk who may not submit and sees why; a conflict that is shown,
//! never overwritten; and the whole flow with scripts switched off.

mod browser_support;
mod support;

use api::demo::{self, DemoAccount};
use browser_support::Browser;
use nanbyo_tests::Db;

async fn demo_app(db: Db) -> (String, Vec<DemoAccount>) {
    let (base, _, store) = support::spawn_with_store(db).await;
    let accounts = demo::create(&store).await.expect("demo registry");
    (base, accounts)
}

fn login_named(accounts: &[DemoAccount], name: &str) -> String {
    accounts
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.login_id.clone())
        .expect("a demo account")
}

/// Fills the new-form page for a パーキンソン病 patient and creates the form; returns its path.
async fn create_parkinson(b: &Browser, kana: &str) -> String {
    create_form(b, "パーキンソン", "6", "6 パーキンソン病", kana).await
}

/// Finds disease `code` by `query`, fills the patient block and creates the form.
async fn create_form(b: &Browser, query: &str, code: &str, shown: &str, kana: &str) -> String {
    b.goto("/forms/new").await;
    b.fill("#q", query).await;
    if !b.scripts {
        b.click("button[formmethod=get]").await;
    }
    b.wait_text(shown).await;
    b.click(&format!("input[name=disease][value='{code}']"))
        .await;
    b.fill("#patient_name_kanji", "試験 一郎").await;
    b.fill("#patient_name_kana", kana).await;
    b.fill("#patient_birth_date", "1951-03-04").await;
    b.click("input[name=patient_sex][value=male]").await;
    b.fill("#patient_address", "小樽市稲穂1丁目2番3号").await;
    b.fill("#patient_municipality", "012033").await;
    b.fill("#patient_insurer_number", "01130012").await;
    b.click("input[name=research_consent]").await;
    b.check("form-new").await;
    b.click("form[action='/forms/new'] button[type=submit]:not([formmethod])")
        .await;
    b.wait_text("臨個票を作成しました").await;
    b.path().await
}

async fn set_radio(b: &Browser, item: &str, value: &str) {
    b.click(&format!("input[name='item.{item}'][value='{value}']"))
        .await;
}

#[tokio::test]
async fn a_doctor_writes_a_parkinson_form_with_live_judgment_submits_and_prints_it() {
    let (base, accounts) = demo_app(Db::Postgres).await;
    let b = Browser::open(&base).await;
    b.login(&login_named(&accounts, "山田 一郎"), demo::PASSWORD)
        .await;
    b.wait_path("/forms").await;
    // The worklist: the demo's forms in every state, with counts.
    b.wait_text("作成中 1").await;
    let text = b.page_text().await;
    for s in ["提出済 1", "受付済 1", "審査済 1", "取下げ 1"] {
        assert!(text.contains(s), "{s} in {text}");
    }
    // The disease filter lists the diseases by 告示番号, not as strings (1, 10, 100, …).
    let options = b.text("#f-disease").await;
    let at = |s: &str| {
        options
            .find(s)
            .unwrap_or_else(|| panic!("{s:?} in the filter: {options}"))
    };
    assert!(at("2 筋萎縮性側索硬化症") < at("10 シャルコー・マリー・トゥース病"));
    assert!(at("10 シャルコー・マリー・トゥース病") < at("100 巨大膀胱短小結腸腸管蠕動不全症"));
    b.check("worklist").await;
    b.goto("/forms?status=received").await;
    b.wait_text("ヨシダカズコ").await;
    assert!(!b.page_text().await.contains("カトウケンイチ"));

    let path = create_parkinson(&b, "シケン イチロウ").await;
    assert!(path.starts_with("/forms/"), "{path}");
    b.wait_text("判定不能").await;
    // Enter the diagnostic items one by one: each change is saved and judged.
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
    b.wait_text("保存しました").await;
    // An onset after the diagnosis breaks a consistency rule: shown as the user types.
    b.fill("#item-basic\\.onset_ym", "2021-01").await;
    b.wait_text("確認が必要な項目").await;
    b.fill("#item-basic\\.onset_ym", "2019-06").await;
    set_radio(&b, "sev.hoehn_yahr", "3").await;
    set_radio(&b, "sev.daily_life_disability", "2").await;
    b.wait_text("基準を満たす").await;
    // The severity is marked as filled in by the machine.
    b.wait_text("自動入力").await;
    b.check("entry-meets").await;
    // Reloading shows what was saved, judged the same.
    b.goto(&path).await;
    b.wait_text("基準を満たす").await;
    b.click("form[action$='/submit'] button").await;
    b.wait_text("提出しました").await;
    let key = b.text(".access-key").await;
    assert_eq!(key.len(), 12, "{key}");
    b.check("submitted").await;
    // The print: the form with its access key, in large type and as a QR code.
    b.click("a[href$='/print']").await;
    b.wait_text(&key).await;
    assert!(b.exists("svg").await, "a QR code");
    b.check("print").await;
    let pdf = b.print_pdf().await;
    let out = browser_support::output_dir().join("print.pdf");
    std::fs::write(&out, &pdf).expect("pdf");
    let text = std::process::Command::new("pdftotext")
        .arg(&out)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils; scripts/test installs it)");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains(&key), "the key in the PDF: {text}");
    assert!(
        text.contains("パーキンソン病"),
        "Japanese in the PDF (CJK font): {text}"
    );
    let info = std::process::Command::new("pdfinfo")
        .arg(&out)
        .output()
        .expect("pdfinfo");
    let info = String::from_utf8_lossy(&info.stdout);
    let pages: u32 = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|p| p.trim().parse().ok())
        .expect("page count");
    assert!((1..=3).contains(&pages), "{pages} pages");
    b.goto(&format!("{path}/slip")).await;
    b.wait_text(&key).await;
    b.check("slip").await;
    // The history: the draft, each item saved with its label, old → new, the submission and
    // the reads of the print — who, in which role, in order.
    let form = path.split('?').next().expect("path").to_owned();
    b.goto(&form).await;
    b.click(&format!("a[href='{form}/history']")).await;
    b.wait_path(&format!("{form}/history")).await;
    b.wait_text("提出").await;
    let history = b.page_text().await;
    for shown in [
        "作成",
        "項目の入力・修正",
        "パーキンソニズムがある",
        "（空欄） → はい",
        "閲覧",
        "指定医",
    ] {
        assert!(
            history.contains(shown),
            "{shown:?} in the history:\n{history}"
        );
    }
    b.check("history").await;
    b.close().await;
}

#[tokio::test]
async fn a_clerk_enters_a_draft_but_sees_why_it_cannot_submit() {
    let (base, accounts) = demo_app(Db::Sqlite).await;
    let b = Browser::open(&base).await;
    b.login(&login_named(&accounts, "伊藤 五月"), demo::PASSWORD)
        .await;
    b.wait_path("/forms").await;
    create_parkinson(&b, "クラーク ニュウリョク").await;
    set_radio(&b, "dx.parkinsonism", "true").await;
    b.wait_text("保存しました").await;
    assert!(!b.exists("form[action$='/submit']").await);
    b.wait_text("提出できません").await;
    b.check("entry-clerk").await;
    b.close().await;
}

#[tokio::test]
async fn a_concurrent_change_is_a_conflict_that_shows_what_changed() {
    let (base, accounts) = demo_app(Db::Sqlite).await;
    let doctor = login_named(&accounts, "山田 一郎");
    let one = Browser::open(&base).await;
    one.login(&doctor, demo::PASSWORD).await;
    one.wait_path("/forms").await;
    let path = create_parkinson(&one, "キョウゴウ タロウ").await;
    let two = Browser::open(&base).await;
    two.login(&login_named(&accounts, "伊藤 五月"), demo::PASSWORD)
        .await;
    two.goto(&path).await;
    two.wait_text("判定不能").await;
    // The doctor saves first …
    set_radio(&one, "dx.parkinsonism", "true").await;
    one.wait_text("保存しました").await;
    // … then the clerk, on the version they loaded: refused, and told what changed.
    set_radio(&two, "dx.imaging_no_cause", "true").await;
    two.wait_text("他の利用者が先に変更を保存しました").await;
    two.wait_text("パーキンソニズムがある").await;
    two.check("conflict").await;
    two.goto(&path).await;
    two.wait_text("判定不能").await;
    let checked = two
        .client
        .execute(
            "return document.querySelector(\"input[name='item.dx.imaging_no_cause'][value='true']\").checked;",
            vec![],
        )
        .await
        .expect("checked");
    assert_eq!(
        checked,
        serde_json::json!(false),
        "the clerk's change was not saved"
    );
    let parkinsonism = two
        .client
        .execute(
            "return document.querySelector(\"input[name='item.dx.parkinsonism'][value='true']\").checked;",
            vec![],
        )
        .await
        .expect("checked");
    assert_eq!(
        parkinsonism,
        serde_json::json!(true),
        "the doctor's change is there"
    );
    one.close().await;
    two.close().await;
}

#[tokio::test]
async fn the_whole_flow_works_with_scripts_switched_off() {
    let (base, accounts) = demo_app(Db::Sqlite).await;
    let b = Browser::without_scripts(&base).await;
    b.login(&login_named(&accounts, "山田 一郎"), demo::PASSWORD)
        .await;
    b.wait_path("/forms").await;
    let path = create_parkinson(&b, "スクリプト ナシ").await;
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
    b.wait_text("基準を満たす").await;
    b.click("form[action$='/submit'] button").await;
    b.wait_text("提出しました").await;
    b.screenshot("no-script-submitted").await;
    assert!(path.starts_with("/forms/"));
    // An invalid value: shown at its item (and summarised at the top), nothing saved.
    let uc = create_form(
        &b,
        "潰瘍性大腸炎",
        "97",
        "97 潰瘍性大腸炎",
        "スクリプト ナシ",
    )
    .await;
    b.fill("#item-sev\\.pulse", "999").await;
    b.click("#entry button[type=submit]").await;
    b.wait_text("入力内容を確認してください").await;
    assert!(b.text("#err-sev\\.pulse").await.contains("20〜250"));
    b.screenshot("no-script-invalid").await;
    b.goto(&uc).await;
    assert_eq!(
        b.find("#item-sev\\.pulse")
            .await
            .prop("value")
            .await
            .expect("value"),
        Some(String::new()),
        "the invalid value was not saved"
    );
    // A valid value outside the usual range: saved, with a warning at the item to confirm it.
    b.fill("#item-sev\\.pulse", "200").await;
    b.click("#entry button[type=submit]").await;
    b.wait_text("保存しました").await;
    assert!(
        !b.exists(".error-summary").await,
        "a warning is not an error"
    );
    let warning = b.text("#warn-sev\\.pulse").await;
    assert!(warning.contains("40〜180"), "{warning}");
    assert!(b.text("#err-sev\\.pulse").await.is_empty());
    b.client
        .execute(
            "document.getElementById('warn-sev.pulse').scrollIntoView({block: 'center'});",
            vec![],
        )
        .await
        .expect("scroll");
    b.screenshot("no-script-warning").await;
    b.close().await;
}
