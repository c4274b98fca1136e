//! Headless Chromium for the browser tests: Debian's `chromium` driven over WebDriver by its
//! `chromedriver` (one per browser, on a free port, killed with it), a fresh profile directory
//! each time, the page checked with axe-core (vendored in `tests/browser/`) and kept as a
//! screenshot in `target/browser-screenshots/`. A missing browser fails the test: scripts/test
//! installs it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

const AXE: &str = include_str!("../../browser/axe-core/axe.min.js");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Where screenshots and printed PDFs go.
pub fn output_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/browser-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    dir
}

/// One browser: its chromedriver process, its WebDriver session, its profile directory.
pub struct Browser {
    pub client: Client,
    pub base: String,
    driver: Child,
    _profile: tempfile::TempDir,
    /// Whether the page's scripts run (a session with them off shows the no-script flows).
    pub scripts: bool,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    /// A fresh browser on the service at `base`.
    pub async fn open(base: &str) -> Browser {
        Self::launch(base, true).await
    }

    /// A fresh browser with JavaScript switched off.
    pub async fn without_scripts(base: &str) -> Browser {
        Self::launch(base, false).await
    }

    async fn launch(base: &str, scripts: bool) -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "chromedriver (apt-get install chromium chromium-driver; scripts/test does it)",
            );
        let url = format!("http://127.0.0.1:{port}");
        let profile = tempfile::Builder::new()
            .prefix("nanbyo-test-chromium-")
            .tempdir()
            .expect("profile dir");
        let mut options = json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,1000",
                "--lang=ja-JP", format!("--user-data-dir={}", profile.path().display()),
            ],
        });
        if !scripts {
            options["prefs"] = json!({"profile.managed_default_content_settings.javascript": 2});
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), options);
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("no WebDriver session with headless Chromium: {e}"),
            }
        };
        Browser {
            client,
            base: base.to_owned(),
            driver,
            _profile: profile,
            scripts,
        }
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The path (and query) the browser is on.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css} on {}: {e}", self.path_now()))
    }

    fn path_now(&self) -> String {
        String::from("the page")
    }

    pub async fn exists(&self, css: &str) -> bool {
        self.client
            .find_all(Locator::Css(css))
            .await
            .map(|v| !v.is_empty())
            .unwrap_or(false)
    }

    /// Types `text` into the field `css`, replacing what it held. A date or month picker
    /// takes its value as the user's picker would set it (keys are read in the locale's order).
    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        let kind = e.attr("type").await.ok().flatten().unwrap_or_default();
        if kind == "date" || kind == "month" {
            let element = serde_json::to_value(&e).expect("element");
            self.client
                .execute(
                    "const [el, v] = arguments; el.focus(); el.value = v;
                     el.dispatchEvent(new Event('input', {bubbles: true}));
                     el.dispatchEvent(new Event('change', {bubbles: true}));",
                    vec![element, json!(text)],
                )
                .await
                .expect("set a date");
            return;
        }
        e.clear().await.expect("clear");
        e.send_keys(text).await.expect("type");
    }

    /// Clicks `css`; an element a partial update replaced meanwhile is found again.
    pub async fn click(&self, css: &str) {
        let mut tries = 0;
        loop {
            match self.find(css).await.click().await {
                Ok(()) => return,
                Err(e) if tries < 30 && e.to_string().contains("stale element") => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("click {css}: {e}"),
            }
        }
    }

    /// Chooses option `value` of the select `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("select {value} in {css}: {e}"));
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    /// What the page shows, as text (read again when the page changed under the reading).
    pub async fn page_text(&self) -> String {
        for _ in 0..30 {
            match self.client.find(Locator::Css("body")).await {
                Ok(body) => match body.text().await {
                    Ok(t) => return t,
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                },
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        panic!("the page has no readable body")
    }

    pub async fn source(&self) -> String {
        self.client.source().await.expect("source")
    }

    /// Waits (up to 30 s) until the page text contains `what`.
    pub async fn wait_text(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if self.page_text().await.contains(what) {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "the page never showed {what:?}; it shows:\n{}",
                    self.page_text().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits (up to 30 s) until the browser is on `path` (a prefix).
    pub async fn wait_path(&self, path: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.path().await.starts_with(path) {
            if Instant::now() > deadline {
                panic!("never reached {path}; on {}", self.path().await);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Keeps a screenshot of the page as `name.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(output_dir().join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// The serious and critical accessibility violations axe-core finds in the page.
    pub async fn axe(&self) -> Vec<String> {
        self.client
            .execute(AXE, vec![])
            .await
            .expect("inject axe-core");
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {resultTypes: ['violations']}).then(r => done(
                   r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — ' +
                          v.nodes.map(n => n.target.join(' ')).join(', '))));",
                vec![],
            )
            .await
            .expect("run axe-core");
        match found {
            Value::Array(v) => v
                .into_iter()
                .map(|s| s.as_str().unwrap_or_default().to_owned())
                .collect(),
            other => vec![format!("axe answered {other}")],
        }
    }

    /// The page as a user arrived at it: a screenshot kept, and no serious or critical
    /// accessibility violation.
    pub async fn check(&self, name: &str) {
        self.screenshot(name).await;
        if self.scripts {
            let violations = self.axe().await;
            assert!(
                violations.is_empty(),
                "{name}: accessibility violations:\n{}",
                violations.join("\n")
            );
        }
    }

    /// Logs in through the login page.
    pub async fn login(&self, login_id: &str, password: &str) {
        self.goto("/login").await;
        self.fill("#login_id", login_id).await;
        self.fill("#password", password).await;
        self.click("form[action='/login'] button[type=submit]")
            .await;
    }

    /// The page printed to PDF by Chromium (A4).
    pub async fn print_pdf(&self) -> Vec<u8> {
        use fantoccini::wd::{PrintConfiguration, PrintSize};
        let config = PrintConfiguration::builder()
            .size(PrintSize::A4)
            .build()
            .expect("print configuration");
        self.client.print(config).await.expect("print to PDF")
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}
