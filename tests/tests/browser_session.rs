//! Logging in, out and changing the password in a real browser (headless Chromium), as a
//! doctor of the demo registry would: the same credentials, lockout and forced password change
//! as the API; the session in an HttpOnly cookie; a clear page when it has ended; a CSRF token
//! on every form; the language switch.

mod browser_support;
mod support;

use api::demo::{self, DemoAccount};
use browser_support::Browser;
use domain::Role;
use nanbyo_tests::Db;
use reqwest::StatusCode;

async fn demo_app(
    db: Db,
) -> (
    String,
    Vec<DemoAccount>,
    std::sync::Arc<dyn eventstore::EventStore>,
) {
    let (base, _, store) = support::spawn_with_store(db).await;
    let accounts = demo::create(&store).await.expect("demo registry");
    (base, accounts, store)
}

fn login_of(accounts: &[DemoAccount], role: Role) -> String {
    accounts
        .iter()
        .find(|a| a.role == role && a.program == domain::Program::Nanbyo)
        .map(|a| a.login_id.clone())
        .expect("a demo account of the role")
}

#[tokio::test]
async fn a_doctor_logs_in_sees_the_account_and_logs_out() {
    let (base, accounts, _) = demo_app(Db::Sqlite).await;
    let b = Browser::open(&base).await;
    b.goto("/").await;
    b.wait_path("/login").await;
    b.check("login").await;
    // A wrong password: the error at the top and at the field, focus on the summary.
    b.fill("#login_id", &login_of(&accounts, Role::DesignatedDoctor))
        .await;
    b.fill("#password", "not-the-password").await;
    b.click("form[action='/login'] button[type=submit]").await;
    b.wait_text("ログインIDまたはパスワードが正しくありません")
        .await;
    assert!(b.exists(".error-summary a[href='#login_id']").await);
    assert!(b.exists("#login_id[aria-invalid=true]").await);
    let focused = b
        .client
        .active_element()
        .await
        .expect("focus")
        .attr("class")
        .await
        .expect("class")
        .unwrap_or_default();
    assert!(focused.contains("error-summary"), "focus is on {focused}");
    b.check("login-error").await;

    b.login(&login_of(&accounts, Role::DesignatedDoctor), demo::PASSWORD)
        .await;
    b.wait_path("/forms").await;
    b.goto("/me").await;
    b.wait_text("山田 一郎").await;
    let text = b.page_text().await;
    assert!(text.contains("指定医"), "{text}");
    assert!(text.contains("0110113719"), "{text}");
    b.check("me").await;
    // The session cookie is out of the page's reach.
    let cookie = b
        .client
        .execute("return document.cookie;", vec![])
        .await
        .expect("cookie");
    assert!(!cookie.to_string().contains("nanbyo_session"), "{cookie}");

    b.click("form[action='/logout'] button").await;
    b.wait_path("/login").await;
    b.wait_text("ログアウトしました").await;
    b.goto("/me").await;
    b.wait_path("/login").await;
    b.close().await;
}

#[tokio::test]
async fn an_issued_password_is_changed_before_anything_else() {
    let (base, _, store) = demo_app(Db::Postgres).await;
    // A new clerk, as the responsible person registers one: an issued password.
    let provisioner = api::provision::Provisioner::new(store.clone());
    let responsible = provisioner
        .login(&api::provision::Who::new(Role::ResponsiblePerson).at(demo::HOSPITAL_A))
        .await
        .expect("responsible person");
    let (account, _) = commands::load::<domain::account::Account>(&store, &responsible.account_id)
        .await
        .expect("account");
    let actor = account
        .actor(&commands::forms::today_in_japan())
        .expect("actor");
    let issued = match commands::accounts::create_account(
        &store,
        &actor,
        commands::accounts::CreateAccount {
            role: Role::Clerk,
            display_name: "新人 クラーク".into(),
            designation: None,
            primary_institution: Some(domain::InstitutionCode::parse(demo::HOSPITAL_A).unwrap()),
            responsible_for: None,
            jurisdiction: None,
        },
        None,
        None,
    )
    .await
    .expect("clerk")
    {
        commands::accounts::Created::New(i, _) => i,
        other => panic!("{other:?}"),
    };
    let b = Browser::open(&base).await;
    b.login(&issued.login_id, &issued.initial_password).await;
    b.wait_path("/password").await;
    b.wait_text("発行されたパスワードのままです").await;
    b.check("password-forced").await;
    // Any other page leads back here.
    b.goto("/me").await;
    b.wait_path("/password").await;
    // The confirmation must match; the policy applies (the API's).
    b.fill("#current_password", &issued.initial_password).await;
    b.fill("#new_password", "Brand-New-Passw0rd").await;
    b.fill("#confirm_password", "Another-Passw0rd").await;
    b.click("form[action='/password'] button").await;
    b.wait_text("確認用のパスワードが一致しません").await;
    b.fill("#current_password", &issued.initial_password).await;
    b.fill("#new_password", "short").await;
    b.fill("#confirm_password", "short").await;
    b.click("form[action='/password'] button").await;
    b.wait_path("/password").await;
    assert!(b.exists(".error-summary").await);
    b.fill("#current_password", &issued.initial_password).await;
    b.fill("#new_password", "Brand-New-Passw0rd").await;
    b.fill("#confirm_password", "Brand-New-Passw0rd").await;
    b.click("form[action='/password'] button").await;
    b.wait_path("/me").await;
    b.wait_text("パスワードを変更しました").await;
    b.close().await;
}

#[tokio::test]
async fn five_failed_logins_lock_the_account() {
    let (base, accounts, _) = demo_app(Db::Sqlite).await;
    let b = Browser::open(&base).await;
    let id = login_of(&accounts, Role::Clerk);
    for _ in 0..5 {
        b.login(&id, "Wrong-Passw0rd-x").await;
        b.wait_path("/login").await;
    }
    b.login(&id, demo::PASSWORD).await;
    b.wait_text("ログインに続けて失敗したため").await;
    b.close().await;
}

#[tokio::test]
async fn an_ended_session_says_so_and_english_is_a_switch() {
    let (base, accounts, _) = demo_app(Db::Sqlite).await;
    let b = Browser::open(&base).await;
    b.login(&login_of(&accounts, Role::DesignatedDoctor), demo::PASSWORD)
        .await;
    b.wait_path("/forms").await;
    b.goto("/me").await;
    b.click("a[lang=en]").await;
    b.wait_text("My account").await;
    assert!(b.page_text().await.contains("Designated doctor"));
    b.check("me-en").await;
    b.click("a[lang=ja]").await;
    b.wait_text("アカウント情報").await;
    // The session ends elsewhere (a logout through the API with the same token).
    let token = b
        .client
        .get_named_cookie("nanbyo_session")
        .await
        .expect("session cookie")
        .value()
        .to_owned();
    let r = reqwest::Client::new()
        .post(format!("{base}/api/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("api logout");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    b.goto("/me").await;
    b.wait_text("ログインの有効期限が切れました").await;
    b.check("session-expired").await;
    b.close().await;
}

/// What a browser cannot see but a hostile page could try: a form post without the CSRF token,
/// or from another origin, is refused and changes nothing; the cookie flags and the page
/// headers are as they must be.
#[tokio::test]
async fn state_changing_requests_need_their_csrf_token() {
    let (base, accounts, _) = demo_app(Db::Sqlite).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = client
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("login page");
    let headers = page.headers().clone();
    let csp = headers["content-security-policy"].to_str().expect("csp");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let set = headers["set-cookie"].to_str().expect("cookie").to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"),
        "{set}"
    );
    let login_csrf = set
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_owned())
        .expect("token");
    let id = login_of(&accounts, Role::DesignatedDoctor);
    // Without the token: 403, no session.
    let r = client
        .post(format!("{base}/login"))
        .header("cookie", format!("nanbyo_login_csrf={login_csrf}"))
        .form(&[("login_id", id.as_str()), ("password", demo::PASSWORD)])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.headers().get("set-cookie").is_none());
    // With it: a session cookie.
    let r = client
        .post(format!("{base}/login"))
        .header("cookie", format!("nanbyo_login_csrf={login_csrf}"))
        .form(&[
            ("login_id", id.as_str()),
            ("password", demo::PASSWORD),
            ("_csrf", login_csrf.as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let session = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("nanbyo_session="))
        .expect("session cookie")
        .to_owned();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Strict"),
        "{session}"
    );
    assert!(!session.contains("Secure"), "not over TLS: {session}");
    let token = session
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_owned())
        .expect("token");
    // Behind a TLS proxy the cookie is Secure.
    let r = client
        .get(format!("{base}/login"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .expect("get");
    assert!(r.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .contains("Secure"));
    // Logging out without the token, or from another origin, is refused: the session lives on.
    let cookie = format!("nanbyo_session={token}");
    let r = client
        .post(format!("{base}/logout"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let me = client
        .get(format!("{base}/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), StatusCode::OK);
    let body = me.text().await.expect("body");
    let csrf = body
        .split("name=\"csrf-token\" content=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("csrf meta")
        .to_owned();
    let r = client
        .post(format!("{base}/logout"))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = client
        .post(format!("{base}/logout"))
        .header("cookie", &cookie)
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let me = client
        .get(format!("{base}/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("me");
    assert_eq!(
        me.status(),
        StatusCode::UNAUTHORIZED,
        "the session ended: the expired page"
    );
}
