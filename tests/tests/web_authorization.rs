//! Every page of the web client × every role of the demo registry, as a table, like the API's
//! (`http_authorization.rs`): what each caller gets — the page, a redirect, 403, or the 404 a
//! random id gets. The web client decides nothing itself (the commands and queries do), so this
//! table pins that the pages hand those answers on; it also names every route the client serves
//! (`web::ROUTES`). Cells run in order: later rows see what earlier ones did.

mod support;

use std::collections::BTreeSet;

use api::demo::{self, DemoAccount};
use domain::{Program, Role};
use nanbyo_tests::Db;
use reqwest::{Client, StatusCode};

/// What a caller gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum E {
    /// 200: the page.
    Ok,
    /// 303: on to another page (after a change, or to the login page).
    Go,
    /// 403: not this caller's to do.
    No,
    /// 404: not found, as a random id is.
    Hid,
    /// 422: refused by the command, told on the page.
    Bad,
}
use E::*;

/// The callers, in the order of the table's columns.
const CALLERS: [(&str, Role); 9] = [
    ("運営 太郎", Role::Operator),
    ("監査 花子", Role::Auditor),
    ("北海道 管理 一郎", Role::MunicipalityAdmin),
    ("北海道 審査 次郎", Role::MunicipalityStaff),
    ("山田 一郎", Role::DesignatedDoctor),
    ("鈴木 三郎", Role::DesignatedDoctor),
    ("高橋 四郎", Role::ResponsiblePerson),
    ("伊藤 五月", Role::Clerk),
    ("佐藤 六郎", Role::DesignatedDoctor),
];

struct Caller {
    name: &'static str,
    session: String,
}

struct Fixtures {
    draft: String,
    job: String,
    sato: String,
    asset: String,
}

enum Body {
    None,
    Form(Vec<(&'static str, String)>),
    File,
}

struct Cell {
    method: &'static str,
    route: &'static str,
    path: String,
    body: Body,
    expect: [E; 9],
    anonymous: E,
}

fn cell(
    method: &'static str,
    route: &'static str,
    path: String,
    body: Body,
    expect: [E; 9],
    anonymous: E,
) -> Cell {
    Cell {
        method,
        route,
        path,
        body,
        expect,
        anonymous,
    }
}

const CSV: &str = include_str!("../../examples/imports/hospital/hospital.utf8.csv");

#[rustfmt::skip]
fn table(f: &Fixtures) -> Vec<Cell> {
    let draft = &f.draft;
    let new_form = || {
        Body::Form(vec![
            ("disease", "6".into()),
            ("application", "renewal".into()),
            ("purpose", "subsidy".into()),
            ("institution", demo::HOSPITAL_A.into()),
            ("jurisdiction", demo::HOKKAIDO.into()),
            ("patient_name_kanji", "表 太郎".into()),
            ("patient_name_kana", "ヒョウ タロウ".into()),
            ("patient_birth_date", "1950-01-02".into()),
            ("patient_sex", "male".into()),
            ("patient_address", "小樽市稲穂1丁目".into()),
            ("patient_municipality", "012033".into()),
            ("carry_over", String::new()),
        ])
    };
    let item = || vec![("item.basic.diagnosis_ym", "2021-05".to_owned())];
    //                                                      operator auditor  muni-adm muni-stf 山田   鈴木(協力) 高橋(責任者) 伊藤(クラーク) 佐藤(B病院)  no session
    vec![
        cell("GET", "/", "/".into(), Body::None,                                    [Go; 9], Go),
        cell("GET", "/login", "/login".into(), Body::None,                          [Ok; 9], Ok),
        cell("GET", "/me", "/me".into(), Body::None,                                [Ok; 9], Go),
        cell("GET", "/password", "/password".into(), Body::None,                    [Ok; 9], Go),
        // The worklist is the API's search: auditors and municipality users search their scope.
        cell("GET", "/forms", "/forms".into(), Body::None,                          [No, Ok, Ok, Ok, Ok, Ok, No, Ok, Ok], Go),
        // The new-form page and its disease list show the masters, which everyone reads;
        // creating a form is the command's to refuse.
        cell("GET", "/forms/new", "/forms/new".into(), Body::None,                  [Ok; 9], Go),
        cell("GET", "/forms/new/diseases", "/forms/new/diseases?q=パーキンソン".into(), Body::None, [Ok; 9], Go),
        // A draft: its institution's doctors and clerk, and the program's auditor.
        cell("GET", "/forms/{id}", format!("/forms/{draft}"), Body::None,           [Hid, Ok, Hid, Hid, Ok, Ok, Hid, Ok, Hid], Go),
        cell("GET", "/forms/{id}/history", format!("/forms/{draft}/history"), Body::None, [Hid, Ok, Hid, Hid, Ok, Ok, Hid, Ok, Hid], Go),
        // A draft has no access key yet: nothing to print, for anyone.
        cell("GET", "/forms/{id}/print", format!("/forms/{draft}/print"), Body::None, [Hid; 9], Go),
        cell("GET", "/forms/{id}/slip", format!("/forms/{draft}/slip"), Body::None, [Hid; 9], Go),
        cell("GET", "/affiliations", "/affiliations".into(), Body::None,            [No, No, No, No, Ok, Ok, Ok, No, Ok], Go),
        // Who manages accounts lists clerks (as GET /api/accounts?role=clerk).
        cell("GET", "/clerks", "/clerks".into(), Body::None,                        [Ok, Ok, Ok, No, No, No, Ok, No, No], Go),
        // Everyone's own imports (none but 山田's).
        cell("GET", "/imports", "/imports".into(), Body::None,                      [Ok; 9], Go),
        cell("GET", "/imports/{id}", format!("/imports/{}", f.job), Body::None,     [Hid, Ok, Hid, Hid, Ok, Hid, Hid, Hid, Hid], Go),
        cell("GET", "/imports/{id}/rows.csv", format!("/imports/{}/rows.csv", f.job), Body::None, [Hid, Ok, Hid, Hid, Ok, Hid, Hid, Hid, Hid], Go),
        cell("GET", "/lang/{code}", "/lang/ja?back=/me".into(), Body::None,         [Go; 9], Go),
        cell("GET", "/assets/{file}", f.asset.clone(), Body::None,                  [Ok; 9], Ok),
        // 佐藤's application to 札幌中央病院 is still pending here.
        cell("POST", "/forms/new", "/forms/new".into(), new_form(),                 [No, No, No, No, Go, Go, No, Go, No], Go),
        // The auditor reads the draft but may not edit it.
        cell("POST", "/forms/{id}/preview", format!("/forms/{draft}/preview"), Body::Form(item()), [Hid, No, Hid, Hid, Ok, Ok, Hid, Ok, Hid], Go),
        cell("POST", "/forms/{id}/items", format!("/forms/{draft}/items"), Body::Form(item()), [Hid, No, Hid, Hid, Go, Go, Hid, Go, Hid], Go),
        // 山田 submits; after that nobody else may (a 協力難病指定医 and a clerk never).
        cell("POST", "/forms/{id}/submit", format!("/forms/{draft}/submit"), Body::Form(vec![]), [Hid, No, Hid, Hid, Go, No, Hid, No, Hid], Go),
        // 佐藤 works at 小樽港病院 already.
        cell("POST", "/affiliations", "/affiliations".into(), Body::Form(vec![("institution", demo::HOSPITAL_B.into())]), [No, No, No, No, Go, Go, No, No, Bad], Go),
        cell("POST", "/affiliations/{account}/{institution}/decide", format!("/affiliations/{}/{}/decide", f.sato, demo::HOSPITAL_A), Body::Form(vec![("decision", "approve".into())]), [No, No, No, No, No, No, Go, No, No], Go),
        cell("POST", "/clerks", "/clerks".into(), Body::Form(vec![("display_name", "表 花子".into())]), [No, No, No, No, No, No, Ok, No, No], Go),
        cell("POST", "/imports", "/imports".into(), Body::File,                     [No, No, No, No, Go, Go, No, Go, Go], Go),
        cell("POST", "/password", "/password".into(), Body::Form(vec![("current_password", "not-it".into()), ("new_password", "Another-Passw0rd-2026".into()), ("confirm_password", "Another-Passw0rd-2026".into())]), [Bad; 9], Go),
        // The login form carries its own token, which a session's does not replace.
        cell("POST", "/login", "/login".into(), Body::Form(vec![("login_id", "NOBODY".into()), ("password", "wrong".into())]), [No; 9], Bad),
        cell("POST", "/logout", "/logout".into(), Body::Form(vec![]),               [Go; 9], Go),
    ]
}

fn status_of(s: StatusCode) -> Option<E> {
    match s.as_u16() {
        200 => Some(Ok),
        303 => Some(Go),
        403 => Some(No),
        404 => Some(Hid),
        422 => Some(Bad),
        _ => None,
    }
}

async fn login(client: &Client, base: &str, login_id: &str) -> String {
    let r = client
        .post(format!("{base}/login"))
        .header("cookie", "nanbyo_login_csrf=table")
        .header("x-csrf-token", "table")
        .form(&[("login_id", login_id), ("password", demo::PASSWORD)])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{login_id} logs in");
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("nanbyo_session="))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned()
}

async fn send(client: &Client, base: &str, c: &Cell, session: Option<&str>) -> StatusCode {
    let mut r = match c.method {
        "GET" => client.get(format!("{base}{}", c.path)),
        _ => client.post(format!("{base}{}", c.path)),
    };
    match session {
        Some(s) => {
            r = r
                .header("cookie", format!("nanbyo_session={s}"))
                .header("x-csrf-token", web::session::csrf_for(s));
        }
        None => {
            r = r
                .header("cookie", "nanbyo_login_csrf=table")
                .header("x-csrf-token", "table");
        }
    }
    r = match &c.body {
        Body::None => r,
        Body::Form(fields) => r.form(fields),
        Body::File => r.multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(CSV.as_bytes().to_vec()).file_name("forms.csv"),
        )),
    };
    r.send().await.expect("request").status()
}

#[tokio::test]
async fn every_page_for_every_role() {
    let (base, _, store) = support::spawn_with_store(Db::Postgres).await;
    let accounts: Vec<DemoAccount> = demo::create(&store).await.expect("demo registry");
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let account = |name: &str| {
        accounts
            .iter()
            .find(|a| a.name == name && a.program == Program::Nanbyo)
            .unwrap_or_else(|| panic!("demo account {name}"))
    };
    let mut callers = vec![];
    for (name, role) in CALLERS {
        let a = account(name);
        assert_eq!(a.role, role, "{name}");
        callers.push(Caller {
            name,
            session: login(&client, &base, &a.login_id).await,
        });
    }
    // The demo's first form is a draft of 山田 at 札幌中央病院; 山田 uploads a file.
    let sql = store.sql();
    let draft: String = eventstore::on_sql!(&sql, reader, |p| {
        sqlx::query_scalar(
            "SELECT stream_id FROM events WHERE event_type = 'FormDrafted' ORDER BY global_position LIMIT 1",
        )
        .fetch_one(p)
        .await
    })
    .expect("a draft");
    let upload = Cell {
        method: "POST",
        route: "/imports",
        path: "/imports".into(),
        body: Body::File,
        expect: [Go; 9],
        anonymous: Go,
    };
    let r = {
        let s = &callers[4].session;
        client
            .post(format!("{base}/imports"))
            .header("cookie", format!("nanbyo_session={s}"))
            .header("x-csrf-token", web::session::csrf_for(s))
            .multipart(reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(CSV.as_bytes().to_vec()).file_name("forms.csv"),
            ))
            .send()
            .await
            .expect("upload")
    };
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", upload.route);
    let job = r
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .and_then(|l| l.strip_prefix("/imports/"))
        .and_then(|l| l.split('?').next())
        .expect("the job's page")
        .to_owned();
    let fixtures = Fixtures {
        draft,
        job,
        sato: account("佐藤 六郎").account_id.clone(),
        asset: web::assets::url("app.css"),
    };
    let rows = table(&fixtures);
    let tabled: BTreeSet<(&str, &str)> = rows.iter().map(|c| (c.method, c.route)).collect();
    let served: BTreeSet<(&str, &str)> = web::ROUTES.iter().copied().collect();
    assert_eq!(
        tabled, served,
        "the table names every route the web client serves"
    );

    let mut failures = vec![];
    for c in &rows {
        let got = status_of(send(&client, &base, c, None).await);
        if got != Some(c.anonymous) {
            failures.push(format!(
                "{} {} without a session: {got:?}, expected {:?}",
                c.method, c.path, c.anonymous
            ));
        }
        for (caller, expected) in callers.iter().zip(c.expect) {
            let status = send(&client, &base, c, Some(&caller.session)).await;
            if status_of(status) != Some(expected) {
                failures.push(format!(
                    "{} {} as {}: {status}, expected {expected:?}",
                    c.method, c.route, caller.name
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cells differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// No input a browser can send to a page is a 5xx: every POST route of the web client, as a
/// doctor of the form's institution, with fields that are missing, empty, of the wrong type,
/// very long, with markup, control characters, malformed percent-encoding or a body that is not
/// a form at all. A refusal is a 4xx page (or a redirect); nothing is a server error.
#[tokio::test]
async fn no_input_to_a_page_is_a_server_error() {
    let (base, _, store) = support::spawn_with_store(Db::Sqlite).await;
    let accounts: Vec<DemoAccount> = demo::create(&store).await.expect("demo registry");
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let yamada = accounts
        .iter()
        .find(|a| a.name == "山田 一郎")
        .expect("山田");
    let session = login(&client, &base, &yamada.login_id).await;
    let sql = store.sql();
    let draft: String = eventstore::on_sql!(&sql, reader, |p| {
        sqlx::query_scalar(
            "SELECT stream_id FROM events WHERE event_type = 'FormDrafted' ORDER BY global_position LIMIT 1",
        )
        .fetch_one(p)
        .await
    })
    .expect("a draft");
    let long = "あ".repeat(20_000);
    let values = [
        "",
        " ",
        "0",
        "-1",
        "99999999999999999999999999",
        "1e309",
        "NaN",
        "2020-13-45",
        "0000-00",
        "true",
        "<script>alert(1)</script>",
        "\u{0}\u{7}\u{202e}",
        long.as_str(),
    ];
    let fields = [
        "item.basic.onset_ym",
        "item.basic.diagnosis_ym",
        "item.dx.parkinsonism",
        "item.sev.hoehn_yahr",
        "item.no.such.item",
        "version",
        "reason",
        "disease",
        "application",
        "purpose",
        "institution",
        "jurisdiction",
        "patient_name_kanji",
        "patient_name_kana",
        "patient_birth_date",
        "patient_sex",
        "patient_municipality",
        "patient_insurer_number",
        "carry_over",
        "research_consent",
        "decision",
        "display_name",
        "current_password",
        "new_password",
        "confirm_password",
        "q",
    ];
    let routes = [
        "/forms/new".to_owned(),
        format!("/forms/{draft}/items"),
        format!("/forms/{draft}/preview"),
        "/affiliations".to_owned(),
        format!(
            "/affiliations/{}/{}/decide",
            yamada.account_id,
            demo::HOSPITAL_B
        ),
        "/clerks".to_owned(),
        "/password".to_owned(),
        "/imports".to_owned(),
        "/forms/not-a-form/items".to_owned(),
        "/affiliations/x/not-a-code/decide".to_owned(),
    ];
    let mut failures = vec![];
    // Requests that reached a page and were told what is wrong (not stopped before it).
    let mut told = 0;
    let send = |path: String, body: Vec<u8>, content_type: &'static str, htmx: bool| {
        let (client, base, session) = (client.clone(), base.clone(), session.clone());
        async move {
            let mut r = client
                .post(format!("{base}{path}"))
                .header("cookie", format!("nanbyo_session={session}"))
                .header("x-csrf-token", web::session::csrf_for(&session))
                .header("content-type", content_type)
                .body(body);
            if htmx {
                r = r.header("hx-request", "true");
            }
            r.send().await.expect("request").status()
        }
    };
    for path in &routes {
        for (i, value) in values.iter().enumerate() {
            // Every field at once with one value, then the value alone in one field.
            let all: Vec<(&str, &str)> = fields.iter().map(|f| (*f, *value)).collect();
            let body = serde_urlencoded::to_string(&all).expect("form");
            let field = fields[i % fields.len()];
            let one = serde_urlencoded::to_string([(field, *value)]).expect("form");
            for (body, htmx) in [(body, false), (one.clone(), true), (one, false)] {
                let status = send(
                    path.clone(),
                    body.into_bytes(),
                    "application/x-www-form-urlencoded",
                    htmx,
                )
                .await;
                if status.is_server_error() {
                    failures.push(format!("POST {path} {field}={value:.40}: {status}"));
                }
                if status == StatusCode::UNPROCESSABLE_ENTITY {
                    told += 1;
                }
            }
        }
        for (body, content_type) in [
            (
                b"%ZZ=%E3%81&a".to_vec(),
                "application/x-www-form-urlencoded",
            ),
            (
                vec![0xff, 0xfe, 0x00, 0x41],
                "application/x-www-form-urlencoded",
            ),
            (b"{\"items\": {}}".to_vec(), "application/json"),
            (b"--x\r\n\r\n".to_vec(), "multipart/form-data; boundary=x"),
            (Vec::new(), "multipart/form-data"),
        ] {
            let status = send(path.clone(), body, content_type, false).await;
            if status.is_server_error() {
                failures.push(format!("POST {path} as {content_type}: {status}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} server errors:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(told > 100, "only {told} inputs were refused by a page");
}
