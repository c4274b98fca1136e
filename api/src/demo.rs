//! The demo registry, for newcomers: a sample prefecture (北海道) with two hospitals, one account
//! of every role with a printed password, and forms in every state — made through the same
//! commands as everything else (`crate::provision`), and only on a store that holds no
//! accounts or forms yet, so it can never mix into real data.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use commands::forms::{create_form, form_command, new_access_key, CreateForm, MasterCache};
use domain::account::Account;
use domain::form::{Actor, Application, Designation, FormAction, Patient, ReviewResult, Sex};
use domain::judgment::Purpose;
use domain::{InstitutionCode, LocalGovernmentCode, Program, Role};
use eventstore::EventStore;
use serde_json::{json, Value};

use crate::provision::{Provisioner, Who};

/// The password of every demo account (printed at the end; a demo, not a registry).
pub const PASSWORD: &str = "Demo-Passw0rd-2026";

/// 札幌中央病院 and 小樽港病院 (fictitious), both in 北海道.
pub const HOSPITAL_A: &str = "0110113719";
pub const HOSPITAL_B: &str = "0110113727";
/// 北海道's 全国地方公共団体コード.
pub const HOKKAIDO: &str = "010006";

/// One demo account, as printed.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub role: Role,
    pub program: Program,
    pub name: String,
    pub login_id: String,
    pub account_id: String,
    pub note: &'static str,
}

/// Whether the store already holds what a demo would mix with: any account or form.
async fn holds_data(store: &Arc<dyn EventStore>) -> Result<bool> {
    let sql = store.sql();
    let n: i64 = eventstore::on_sql!(&sql, reader, |p| {
        sqlx::query_scalar(
            "SELECT count(*) FROM events WHERE stream_type IN ('account', 'form', 'import_job')",
        )
        .fetch_one(p)
        .await
    })?;
    Ok(n > 0)
}

async fn actor(store: &Arc<dyn EventStore>, account_id: &str) -> Result<Actor> {
    let (account, _) = commands::load::<Account>(store, account_id).await?;
    account
        .actor(&commands::forms::today_in_japan())
        .ok_or_else(|| anyhow!("the demo account {account_id} cannot act"))
}

fn patient(name: &str, kana: &str, birth: &str, sex: Sex, address: &str, city: &str) -> Patient {
    Patient {
        name_kanji: name.into(),
        name_kana: kana.into(),
        birth_date: birth.into(),
        sex,
        address: address.into(),
        municipality: LocalGovernmentCode::parse(city).expect("a demo municipality code"),
        insurer_number: Some("01130012".into()),
        insured_symbol_number: Some("12・3456".into()),
        recipient_number: None,
    }
}

fn items(v: Value) -> BTreeMap<String, Value> {
    serde_json::from_value(v).expect("demo items")
}

/// A パーキンソン病 form that meets the criteria (Hoehn-Yahr 3, 生活機能障害度 2).
fn parkinson_items() -> BTreeMap<String, Value> {
    items(json!({
        "basic.onset_ym": "2019-06", "basic.diagnosis_ym": "2020-02",
        "dx.parkinsonism": true, "dx.imaging_no_cause": true,
        "dx.no_drug_toxin_exposure": true, "dx.antiparkinson_response": true,
        "sev.hoehn_yahr": "3", "sev.daily_life_disability": "2"
    }))
}

/// Creates the demo registry on `store`; refuses a store that holds accounts, forms or import jobs.
pub async fn create(store: &Arc<dyn EventStore>) -> Result<Vec<DemoAccount>> {
    if holds_data(store).await? {
        bail!(
            "this store already holds accounts, forms or import jobs: a demo is only made on a new, empty store"
        );
    }
    let masters = Arc::new(MasterCache::default());
    commands::forms::publish_shipped(store, &masters)
        .await
        .map_err(|e| anyhow!("publishing the shipped masters: {e}"))?;
    let p = Provisioner::new(store.clone()).with_password(PASSWORD);
    let mut made = vec![];
    let mut add = |who: &Who, login_id: &str, account_id: &str, note: &'static str| {
        made.push(DemoAccount {
            role: who.role,
            program: who.program,
            name: who.name.clone().unwrap_or_default(),
            login_id: login_id.to_owned(),
            account_id: account_id.to_owned(),
            note,
        })
    };

    // The national operator first: it registers the hospitals and creates the admins.
    let operator = Who::new(Role::Operator).named("運営 太郎");
    let op = p.login(&operator).await?;
    add(
        &operator,
        &op.login_id,
        &op.account_id,
        "masters, institutions, research extracts",
    );
    let op_actor = actor(store, &op.account_id).await?;
    for (code, name) in [(HOSPITAL_A, "札幌中央病院"), (HOSPITAL_B, "小樽港病院")] {
        commands::forms::register_institution(
            store,
            &op_actor,
            InstitutionCode::parse(code)?,
            name.into(),
            None,
        )
        .await
        .map_err(|e| anyhow!("registering {code}: {e}"))?;
    }
    let people: Vec<(Who, &'static str)> = vec![
        (
            Who::new(Role::Auditor).named("監査 花子"),
            "reads every history of the program",
        ),
        (
            Who::new(Role::MunicipalityAdmin)
                .of(HOKKAIDO)
                .named("北海道 管理 一郎"),
            "staff accounts, the user data file",
        ),
        (
            Who::new(Role::MunicipalityStaff)
                .of(HOKKAIDO)
                .named("北海道 審査 次郎"),
            "receives and reviews the forms of 北海道",
        ),
        (
            Who::new(Role::DesignatedDoctor)
                .at(HOSPITAL_A)
                .named("山田 一郎"),
            "難病指定医 at 札幌中央病院: writes and submits forms",
        ),
        (
            Who::new(Role::DesignatedDoctor)
                .at(HOSPITAL_A)
                .designated(Designation::CooperatingNanbyo)
                .named("鈴木 三郎"),
            "協力難病指定医 at 札幌中央病院: renewals only",
        ),
        (
            Who::new(Role::ResponsiblePerson)
                .at(HOSPITAL_A)
                .named("高橋 四郎"),
            "責任者 of 札幌中央病院: approves 兼務先, registers clerks",
        ),
        (
            Who::new(Role::Clerk).at(HOSPITAL_A).named("伊藤 五月"),
            "クラーク of 札幌中央病院: enters drafts, never submits",
        ),
        (
            Who::new(Role::DesignatedDoctor)
                .at(HOSPITAL_B)
                .named("佐藤 六郎"),
            "難病指定医 at 小樽港病院, applied to 札幌中央病院 as 兼務先",
        ),
        (
            Who::new(Role::Operator)
                .program(Program::Shoman)
                .named("小慢 運営 七子"),
            "小慢 operator",
        ),
        (
            Who::new(Role::MunicipalityAdmin)
                .program(Program::Shoman)
                .of(HOKKAIDO)
                .named("北海道 小慢 管理 八郎"),
            "小慢 municipality admin",
        ),
        (
            Who::new(Role::MunicipalityStaff)
                .program(Program::Shoman)
                .of(HOKKAIDO)
                .named("北海道 小慢 審査 九子"),
            "小慢 municipality staff",
        ),
        (
            Who::new(Role::DesignatedDoctor)
                .program(Program::Shoman)
                .at(HOSPITAL_A)
                .named("中村 十和"),
            "小慢指定医 at 札幌中央病院",
        ),
    ];
    let mut logins = BTreeMap::new();
    for (who, note) in &people {
        let login = p
            .login(who)
            .await
            .with_context(|| format!("creating {}", who.name.as_deref().unwrap_or("")))?;
        add(who, &login.login_id, &login.account_id, note);
        logins.insert(who.name.clone().unwrap_or_default(), login);
    }
    let of = |name: &str| logins.get(name).cloned().expect("a demo account");

    // 佐藤 applies to 札幌中央病院 as a secondary institution (pending).
    let sato = actor(store, &of("佐藤 六郎").account_id).await?;
    commands::accounts::act(
        store,
        &sato,
        &sato.account.clone(),
        domain::account::AccountAction::RequestAffiliation {
            institution: InstitutionCode::parse(HOSPITAL_A)?,
        },
        None,
        None,
    )
    .await
    .map_err(|e| anyhow!("the affiliation request: {e}"))?;

    // Forms of 山田 in every state.
    let doctor = actor(store, &of("山田 一郎").account_id).await?;
    let staff = actor(store, &of("北海道 審査 次郎").account_id).await?;
    let new = |who: Patient, items: BTreeMap<String, Value>, application| CreateForm {
        disease: "6".into(),
        form_version: "2024-04-01".into(),
        application,
        purpose: Purpose::Subsidy,
        institution: InstitutionCode::parse(HOSPITAL_A).expect("code"),
        jurisdiction: LocalGovernmentCode::parse(HOKKAIDO).expect("code"),
        patient: Some(who),
        research_consent: true,
        items,
        carry_over_from: None,
    };
    let make = |req: CreateForm| {
        let (store, masters, doctor) = (store.clone(), masters.clone(), doctor.clone());
        async move {
            create_form(&store, &masters, doctor, req, None, None)
                .await
                .map(|(id, _)| id)
                .map_err(|e| anyhow!("a demo form: {e}"))
        }
    };
    let act = |id: String, who: Actor, reason: Option<String>, action: FormAction| {
        let (store, masters) = (store.clone(), masters.clone());
        async move {
            form_command(&store, &masters, &id, who, reason, |_| action, None, None)
                .await
                .map_err(|e| anyhow!("a demo form command: {e}"))
        }
    };
    let otaru = "012033";
    let asahikawa = "012041";
    // A draft with items still missing: undeterminable.
    make(new(
        patient(
            "小林 花子",
            "コバヤシ ハナコ",
            "1948-09-12",
            Sex::Female,
            "小樽市稲穂2丁目1番1号",
            otaru,
        ),
        items(json!({"basic.onset_ym": "2021-03", "dx.parkinsonism": true})),
        Application::New,
    ))
    .await?;
    // Submitted, meets the criteria.
    let submitted = make(new(
        patient(
            "加藤 健一",
            "カトウ ケンイチ",
            "1952-01-20",
            Sex::Male,
            "小樽市花園3丁目4番5号",
            otaru,
        ),
        parkinson_items(),
        Application::New,
    ))
    .await?;
    act(
        submitted.clone(),
        doctor.clone(),
        None,
        FormAction::Submit {
            access_key: new_access_key(),
        },
    )
    .await?;
    // Received by 北海道.
    let received = make(new(
        patient(
            "吉田 和子",
            "ヨシダ カズコ",
            "1945-05-03",
            Sex::Female,
            "旭川市6条通8丁目",
            asahikawa,
        ),
        parkinson_items(),
        Application::Renewal,
    ))
    .await?;
    let key = new_access_key();
    act(
        received.clone(),
        doctor.clone(),
        None,
        FormAction::Submit {
            access_key: key.clone(),
        },
    )
    .await?;
    act(
        received.clone(),
        staff.clone(),
        None,
        FormAction::Receive { access_key: key },
    )
    .await?;
    // Decided: certified for a year.
    let decided = make(new(
        patient(
            "山本 正",
            "ヤマモト タダシ",
            "1950-11-30",
            Sex::Male,
            "小樽市緑1丁目2番3号",
            otaru,
        ),
        parkinson_items(),
        Application::Renewal,
    ))
    .await?;
    let key = new_access_key();
    act(
        decided.clone(),
        doctor.clone(),
        None,
        FormAction::Submit {
            access_key: key.clone(),
        },
    )
    .await?;
    act(
        decided.clone(),
        staff.clone(),
        None,
        FormAction::Receive { access_key: key },
    )
    .await?;
    act(
        decided,
        staff.clone(),
        None,
        FormAction::Review {
            result: ReviewResult::Certified {
                from: "2024-10-01".into(),
                to: "2025-09-30".into(),
            },
        },
    )
    .await?;
    // Withdrawn by the doctor.
    let withdrawn = make(new(
        patient(
            "斎藤 浩",
            "サイトウ ヒロシ",
            "1960-07-07",
            Sex::Male,
            "小樽市色内1丁目1番",
            otaru,
        ),
        parkinson_items(),
        Application::New,
    ))
    .await?;
    let reason = "患者の申請取りやめ".to_owned();
    act(
        withdrawn,
        doctor,
        Some(reason.clone()),
        FormAction::Withdraw { reason },
    )
    .await?;
    Ok(made)
}

/// The table `nanbyo demo` and `serve --demo` print.
pub fn print(accounts: &[DemoAccount]) {
    println!("Demo registry: 北海道, 札幌中央病院 ({HOSPITAL_A}) and 小樽港病院 ({HOSPITAL_B}).");
    println!("Every account's password: {PASSWORD}");
    println!();
    println!(
        "{:<14} {:<8} {:<22} {:<24} what",
        "login ID", "program", "role", "name"
    );
    for a in accounts {
        println!(
            "{:<14} {:<8} {:<22} {} {}",
            a.login_id,
            a.program.as_str(),
            a.role.as_str(),
            padded(&a.name, 24),
            a.note
        );
    }
}

/// `text` padded to `columns` terminal columns: a kanji takes two.
fn padded(text: &str, columns: usize) -> String {
    let width = unicode_width::UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(columns.saturating_sub(width)))
}
