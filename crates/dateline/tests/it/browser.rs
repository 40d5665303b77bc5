//! What a person clicks, in a real browser: Debian's Chromium driven through chromedriver.
//! Runs when `DATELINE_TEST_BROWSER=1`; says loudly that it skipped otherwise, and fails when
//! `DATELINE_REQUIRE_BROWSER=1` (CI sets both).

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::support::{Backend, TestApp};

pub(crate) fn browser_enabled() -> bool {
    if std::env::var("DATELINE_TEST_BROWSER").as_deref() == Ok("1") {
        return true;
    }
    assert!(
        std::env::var("DATELINE_REQUIRE_BROWSER").as_deref() != Ok("1"),
        "DATELINE_REQUIRE_BROWSER=1 but DATELINE_TEST_BROWSER is not 1"
    );
    eprintln!(
        "SKIPPED: browser test; set DATELINE_TEST_BROWSER=1 (needs chromium and chromium-driver)"
    );
    false
}

/// A chromedriver process and a headless Chromium session through it; both end on drop.
pub(crate) struct Browser {
    pub(crate) client: Client,
    driver: Child,
}

impl Browser {
    /// A browser whose window is `width` pixels wide; `extra` adds command-line switches.
    pub(crate) async fn start(width: u32, extra: &[&str]) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver =
            Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver (Debian package chromium-driver)");
        let window = format!("--window-size={width},900");
        let mut args = vec![
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            window.as_str(),
        ];
        args.extend_from_slice(extra);
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), json!({ "args": args }));
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = None;
        for _ in 0..50 {
            let mut builder =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
            builder.capabilities(caps.clone());
            match builder.connect(&url).await {
                Ok(client) => return Browser { client, driver },
                Err(e) => last_error = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("chromedriver did not start: {last_error:?}");
    }

    pub(crate) async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Types `text` into the field with id `id`.
pub(crate) async fn type_into(c: &fantoccini::Client, id: &str, text: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

/// Clicks the element `css` selects.
pub(crate) async fn click(c: &fantoccini::Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// The text of the element `locator` finds, once it is there. An element that a page
/// navigating away took with it is looked for again on the new page.
pub(crate) async fn text_of(c: &fantoccini::Client, locator: Locator<'_>) -> String {
    for _ in 0..50 {
        let element = c.wait().for_element(locator).await.unwrap();
        match element.text().await {
            Ok(text) => return text,
            Err(e) if e.to_string().contains("stale element") => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
    panic!("the element kept going stale")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_sets_up_the_site_and_comments_in_a_browser() {
    if !browser_enabled() {
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await;
    let browser = Browser::start(1024, &[]).await;
    let c = &browser.client;

    // The owner follows the setup link and fills in the form.
    let setup = app.running.as_ref().unwrap().setup_url.clone().unwrap();
    c.goto(&setup).await.unwrap();
    type_into(c, "name", "Olive Owner").await;
    type_into(c, "email", "olive@example.org").await;
    type_into(c, "password", "a long enough password").await;
    crate::browser_newsroom::press(c, "main button[type=submit]").await;
    let heading = text_of(c, Locator::Css("h1")).await;
    assert_eq!(heading, "Your site is ready");
    assert!(app.db.owner_exists().await.unwrap());
    // The form was answered with a redirect: reloading shows the page, sends nothing again.
    assert_eq!(c.current_url().await.unwrap().path(), "/setup/done");
    c.refresh().await.unwrap();
    let heading = text_of(c, Locator::Css("h1")).await;
    assert_eq!(heading, "Your site is ready");

    // A reader opens the welcome article from the front page and leaves a comment.
    c.goto(&app.url("/")).await.unwrap();
    c.find(Locator::LinkText("Welcome to Dateline"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("leave-comment"))
        .await
        .unwrap();
    type_into(c, "author_name", "مریم").await;
    type_into(c, "body", "ممنون برای گزارش.\n\nSee https://example.org/").await;
    click(c, ".comment-form button[type=submit]").await;
    let mut url = c.current_url().await.unwrap();
    for _ in 0..50 {
        if url.fragment().is_some_and(|f| f.starts_with("comment-")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        url = c.current_url().await.unwrap();
    }
    let anchor = url
        .fragment()
        .expect("redirected to the new comment")
        .to_owned();
    let comment = c.find(Locator::Id(&anchor)).await.unwrap();
    assert!(comment.text().await.unwrap().contains("ممنون برای گزارش."));
    let direction: String = c
        .execute("return getComputedStyle(document.querySelector('#' + arguments[0] + ' .comment-body p')).direction", vec![json!(anchor)])
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(direction, "rtl", "a Persian comment reads right to left");
    let link = comment.find(Locator::Css("a")).await.unwrap();
    assert_eq!(
        link.attr("rel").await.unwrap().as_deref(),
        Some("nofollow ugc noopener")
    );

    // A comment the server refuses comes back with what was typed, and the focus on the
    // message that names the field.
    type_into(c, "author_name", "Ali").await;
    type_into(c, "body", "   ").await;
    click(c, ".comment-form button[type=submit]").await;
    assert_eq!(
        text_of(c, Locator::Id("form-error")).await,
        "The comment is required."
    );
    let focused = c
        .execute(
            "return [document.activeElement.id, document.getElementById('author_name').value]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(focused, json!(["form-error", "Ali"]));

    // A keyboard user sees where the focus is.
    let outline: String = c
        .execute(
            "const f = document.getElementById('author_name'); f.focus(); \
             const s = getComputedStyle(f); return s.outlineStyle + ' ' + s.outlineWidth;",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(outline, "solid 3px");
    browser.close().await;

    // On a 320-pixel phone nothing scrolls sideways; with a dark preference the page is dark.
    let phone = Browser::start(320, &["--force-dark-mode"]).await;
    phone
        .client
        .goto(&app.url(&format!("/{}", url.path().trim_start_matches('/'))))
        .await
        .unwrap();
    let layout = phone
        .client
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth, \
             getComputedStyle(document.body).backgroundColor]",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        layout[0].as_i64().unwrap() <= layout[1].as_i64().unwrap(),
        "horizontal scroll: {layout}"
    );
    assert_eq!(
        layout[2], "rgb(18, 18, 18)",
        "dark background under prefers-color-scheme: dark"
    );
    phone.close().await;
    app.stop().await;
}

/// The Content-Security-Policy violations the page in `c` has caused since it began to load, as
/// the browser reports them.
pub(crate) async fn csp_violations(c: &Client) -> Vec<String> {
    let seen = c
        .execute_async(
            "const done = arguments[arguments.length - 1]; const seen = []; \
             const note = (rs) => { for (const r of rs) seen.push(r.body.effectiveDirective + ' ' + (r.body.blockedURL || '')); }; \
             const o = new ReportingObserver(note, {types: ['csp-violation'], buffered: true}); \
             o.observe(); \
             setTimeout(() => { note(o.takeRecords()); done(seen); }, 500);",
            vec![],
        )
        .await
        .unwrap();
    seen.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_theme_runs_under_its_content_security_policy() {
    if !browser_enabled() {
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app.editor_token().await;
    let (_, media) = crate::support::upload(
        &app,
        &token,
        crate::support::jpeg(800, 500),
        "lead.jpg",
        "image/jpeg",
    )
    .await;
    let a = app
        .publish(
            &token,
            "Under policy",
            json!({"lead_image": {"media_id": media["id"], "caption": "c", "alt": "a"},
                   "sources": [{"title": "s", "url": "https://example.org/"}], "topics": ["Policy"]}),
        )
        .await;
    let setup = app.running.as_ref().unwrap().setup_url.clone().unwrap();
    let browser = Browser::start(1024, &[]).await;
    let c = &browser.client;
    for url in [
        app.url("/"),
        a["url"].as_str().unwrap().to_owned(),
        app.url("/topics/policy/"),
        app.url("/nothing-here"),
        setup,
    ] {
        c.goto(&url).await.unwrap();
        assert_eq!(csp_violations(c).await, Vec::<String>::new(), "{url}");
    }
    // The comment form, refused and shown again, then accepted: no violation either.
    c.goto(a["url"].as_str().unwrap()).await.unwrap();
    type_into(c, "author_name", "Ali").await;
    type_into(c, "body", "   ").await;
    click(c, ".comment-form button[type=submit]").await;
    text_of(c, Locator::Id("form-error")).await;
    assert!(csp_violations(c).await.is_empty());
    browser.close().await;
    app.stop().await;

    // The same check sees a violation where there is one: a theme with an inline script.
    let theme = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(theme.path().join("templates")).unwrap();
    let base = include_str!("../../../dateline-web/templates/base.html").replace(
        "</body>",
        "<script>document.title = 'inline';</script></body>",
    );
    std::fs::write(theme.path().join("templates/base.html"), base).unwrap();
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        crate::support::Options {
            theme_dir: Some(theme.path().to_path_buf()),
            ..Default::default()
        },
    )
    .await;
    let browser = Browser::start(1024, &[]).await;
    browser.client.goto(&app.url("/")).await.unwrap();
    let seen = csp_violations(&browser.client).await;
    assert!(
        seen.iter().any(|v| v.starts_with("script-src")),
        "the inline script was blocked and reported: {seen:?}"
    );
    browser.close().await;
    app.stop().await;
}
