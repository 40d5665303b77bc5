//! The newsroom in a real browser (headless Chromium through chromedriver): an editor signs
//! in, writes an article with an uploaded image and two sources, previews it, schedules it a
//! moment ahead (a whole minute, at least 30 s away), sees it on the home page once its time
//! has passed, adds a correction, changes its slug and follows the old address. The scripts (live preview) run under the
//! pages' Content-Security-Policy without a violation. Screenshots of the dashboard, the
//! editor, the article list and the media library at desktop and phone widths are saved in
//! `target/screenshots/` for a person to look at.

use std::{path::PathBuf, time::Duration};

use dateline_core::users::Role;
use fantoccini::{Client, Locator};
use serde_json::json;

use crate::browser::{Browser, browser_enabled, click, csp_violations, text_of, type_into};
use crate::support::{Backend, TestApp, jpeg};

fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Saves what the browser shows of `path` at `width` pixels, the whole page tall.
async fn screenshot(c: &Client, app: &TestApp, path: &str, name: &str, width: u32) {
    c.set_window_size(width, 900).await.unwrap();
    c.goto(&app.url(path)).await.unwrap();
    let height = c
        .execute("return document.documentElement.scrollHeight;", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap_or(900)
        .clamp(600, 6000) as u32;
    c.set_window_size(width, height).await.unwrap();
    let png = c.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
    std::fs::write(screenshot_dir().join(format!("{name}-{width}.png")), png).unwrap();
}

/// Clicks the button `css` selects and waits for the page it leads to.
pub(crate) async fn press(c: &Client, css: &str) {
    let old = c.find(Locator::Css("html")).await.unwrap();
    click(c, css).await;
    for _ in 0..600 {
        // The old page's root is gone once the new page has replaced it.
        if old.tag_name().await.is_err() {
            let ready = c
                .execute("return document.readyState;", vec![])
                .await
                .unwrap();
            if ready == "complete" {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("pressing {css} led to no new page");
}

/// The confirmation at the top of the page; if there is none, the test stops with what the page
/// says instead (a refusal, most likely).
pub(crate) async fn notice(c: &Client) -> String {
    match c
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(".notice"))
        .await
    {
        Ok(el) => el.text().await.unwrap(),
        Err(_) => {
            let main = c.find(Locator::Css("main")).await.unwrap();
            panic!(
                "no confirmation; the page says: {}",
                main.text().await.unwrap()
            );
        }
    }
}

async fn value_of(c: &Client, id: &str) -> String {
    c.find(Locator::Id(id))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

async fn set_value(c: &Client, id: &str, value: &str) {
    c.execute(
        "document.getElementById(arguments[0]).value = arguments[1];",
        vec![json!(id), json!(value)],
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_writes_schedules_corrects_and_renames_an_article_in_a_browser() {
    if !browser_enabled() {
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.user_with_token("Eve Editor", "eve@example.org", Role::Editor)
        .await;
    let browser = Browser::start(1280, &[]).await;
    let c = &browser.client;

    // A stranger at /admin is shown the login page.
    c.goto(&app.url("/admin")).await.unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), "/admin/login");
    type_into(c, "email", "eve@example.org").await;
    type_into(c, "password", "correct horse battery").await;
    press(c, "main button[type=submit]").await;
    assert_eq!(text_of(c, Locator::Css("h1")).await, "Dashboard");

    // A new article: title, dek, body, an uploaded image with its alt text and caption.
    c.goto(&app.url("/admin/articles/new")).await.unwrap();
    // Leaving asks first once something was typed (the page cancels `beforeunload`), and not
    // before.
    let leaving_is_held = || async {
        c.execute(
            "const e = new Event('beforeunload', {cancelable: true}); \
             window.dispatchEvent(e); return e.defaultPrevented;",
            vec![],
        )
        .await
        .unwrap()
    };
    assert_eq!(leaving_is_held().await, false);
    type_into(c, "title", "Iraqi troops raid Camp Ashraf").await;
    assert_eq!(leaving_is_held().await, true);
    type_into(
        c,
        "dek",
        "Seven residents were killed, the camp's spokesmen say.",
    )
    .await;
    type_into(
        c,
        "body_markdown",
        "Iraqi security forces **stormed** the camp on Tuesday.",
    )
    .await;
    // The live preview renders the body as the public page will, while typing.
    let preview = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#preview-body strong"))
        .await
        .unwrap();
    assert_eq!(preview.text().await.unwrap(), "stormed");
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("camp-gate.jpg");
    std::fs::write(&image, jpeg(800, 600)).unwrap();
    c.find(Locator::Id("lead_file"))
        .await
        .unwrap()
        .send_keys(image.to_str().unwrap())
        .await
        .unwrap();
    type_into(c, "lead_alt", "Soldiers at the gate of Camp Ashraf").await;
    type_into(c, "lead_caption", "The camp's main gate in Diyala province").await;
    // Two sources: the first row, then "Add a source" for the second.
    type_into(
        c,
        "source-0-title",
        "Iraqi Forces Raid Camp of Iranian Exiles",
    )
    .await;
    type_into(c, "source-0-outlet", "The New York Times").await;
    type_into(
        c,
        "source-0-url",
        "https://www.nytimes.com/2009/07/29/world/middleeast/29iraq.html",
    )
    .await;
    press(c, "button[value=add-source]").await;
    c.wait()
        .for_element(Locator::Id("source-1-title"))
        .await
        .unwrap();
    type_into(c, "source-1-title", "Iraq raids Iranian exile camp").await;
    type_into(c, "source-1-outlet", "BBC News").await;
    // The image sent with the first press is kept in the form as the chosen one.
    assert_eq!(
        value_of(c, "source-0-title").await,
        "Iraqi Forces Raid Camp of Iranian Exiles"
    );

    // Preview without the script's help: the button renders the body in the page.
    press(c, "button[value=preview]").await;
    let preview = text_of(c, Locator::Css("#preview-body")).await;
    assert!(preview.contains("stormed the camp on Tuesday"), "{preview}");
    assert!(csp_violations(c).await.is_empty());

    // Saved as a draft: the editor's address names it, the upload is its lead image.
    press(c, "button[value=save]").await;
    let editor_url = c.current_url().await.unwrap();
    let id: i64 = editor_url
        .path()
        .trim_start_matches("/admin/articles/")
        .parse()
        .unwrap();
    let stored = app
        .db
        .article_by_id(id)
        .await
        .unwrap()
        .expect("the draft was saved");
    assert_eq!(stored.sources.len(), 2);
    assert_eq!(
        stored
            .lead_image
            .as_ref()
            .map(|l| l.media.file_name.as_str()),
        Some("camp-gate.jpg")
    );

    // Typing more is saved by the script within a few seconds, without a press.
    c.find(Locator::Id("body_markdown"))
        .await
        .unwrap()
        .send_keys(" Seven residents were killed.")
        .await
        .unwrap();
    let mut autosaved = String::new();
    for _ in 0..150 {
        autosaved = text_of(c, Locator::Id("autosave-status")).await;
        if autosaved.starts_with("Draft saved at") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(autosaved.starts_with("Draft saved at"), "{autosaved}");
    let stored = app.db.article_by_id(id).await.unwrap().unwrap();
    assert!(
        stored
            .body_markdown
            .ends_with("Seven residents were killed.")
    );

    // Schedule it at a whole minute (the field's step), in the site's time zone (UTC here): the
    // first one at least 30 s away, so that a busy machine cannot let it pass before the press.
    let soon = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(90);
    let local = soon
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .strftime("%Y-%m-%dT%H:%M")
        .to_string();
    set_value(c, "publish_at", &local).await;
    press(c, "button[value=schedule]").await;
    let scheduled = notice(c).await;
    assert!(scheduled.starts_with("Scheduled"), "{scheduled}");
    screenshot(c, &app, &format!("/admin/articles/{id}"), "editor", 1280).await;

    // Once its time has passed, the job publishes it and the home page leads with it.
    c.set_window_size(1280, 900).await.unwrap();
    let mut on_home = false;
    for _ in 0..300 {
        c.goto(&app.url("/")).await.unwrap();
        if c.source()
            .await
            .unwrap()
            .contains("Iraqi troops raid Camp Ashraf")
        {
            on_home = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(on_home, "the scheduled article never reached the home page");
    let link = c
        .find(Locator::LinkText("Iraqi troops raid Camp Ashraf"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    c.goto(&app.url(&link)).await.unwrap();
    let old_path = c.current_url().await.unwrap().path().to_owned();
    let page = text_of(c, Locator::Css("main")).await;
    assert!(
        page.contains("The New York Times") && page.contains("BBC News"),
        "{page}"
    );
    assert!(page.contains("The camp's main gate in Diyala province"));

    // A correction from the editor, shown dated on the public page.
    c.goto(&app.url(&format!("/admin/articles/{id}")))
        .await
        .unwrap();
    type_into(
        c,
        "correction_body",
        "An earlier version misstated the number of residents.",
    )
    .await;
    press(c, "form[action$='/corrections'] button[type=submit]").await;
    c.goto(&app.url(&old_path)).await.unwrap();
    let page = text_of(c, Locator::Css("main")).await;
    assert!(
        page.contains("Correction, ") && page.contains("misstated the number of residents"),
        "{page}"
    );

    // A new slug: the old address leads to the new one.
    c.goto(&app.url(&format!("/admin/articles/{id}")))
        .await
        .unwrap();
    let slug = c.find(Locator::Id("slug")).await.unwrap();
    slug.clear().await.unwrap();
    slug.send_keys("camp-ashraf-raid").await.unwrap();
    press(c, "button[value=save]").await;
    assert!(notice(c).await.starts_with("Saved"));
    c.goto(&app.url(&old_path)).await.unwrap();
    let now_at = c.current_url().await.unwrap();
    assert!(now_at.path().ends_with("/camp-ashraf-raid/"), "{now_at}");
    assert_eq!(
        text_of(c, Locator::Css("h1")).await,
        "Iraqi troops raid Camp Ashraf"
    );

    // The keyboard alone: the first Tab reaches the skip link, drawn with a visible outline;
    // Enter moves focus to the page's content, and the next Tab stops inside it.
    c.goto(&app.url(&format!("/admin/articles/{id}")))
        .await
        .unwrap();
    c.find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys(&fantoccini::key::Key::Tab.to_string())
        .await
        .unwrap();
    let focused = c.active_element().await.unwrap();
    assert_eq!(focused.text().await.unwrap(), "Skip to content");
    let outline = c
        .execute(
            "return getComputedStyle(document.activeElement).outlineStyle;",
            vec![],
        )
        .await
        .unwrap();
    assert_ne!(outline, "none", "the focused skip link shows no outline");
    focused
        .send_keys(&fantoccini::key::Key::Enter.to_string())
        .await
        .unwrap();
    c.active_element()
        .await
        .unwrap()
        .send_keys(&fantoccini::key::Key::Tab.to_string())
        .await
        .unwrap();
    let inside_main = c
        .execute(
            "return document.getElementById('main').contains(document.activeElement);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        inside_main, true,
        "Tab after the skip link left the content"
    );

    // An image dropped on the media library is uploaded (the script hands the dropped files to
    // the form's file input and sends it). The drop is made as a browser makes one, with a
    // DataTransfer holding a PNG the page draws.
    c.goto(&app.url("/admin/media")).await.unwrap();
    let before = app.db.list_media(None, 100, 0).await.unwrap().1;
    let old = c.find(Locator::Css("html")).await.unwrap();
    c.execute_async(
        "const done = arguments[arguments.length - 1]; \
         const canvas = document.createElement('canvas'); canvas.width = 64; canvas.height = 48; \
         const g = canvas.getContext('2d'); g.fillStyle = '#8a1111'; g.fillRect(0, 0, 64, 48); \
         canvas.toBlob((blob) => { \
           const data = new DataTransfer(); \
           data.items.add(new File([blob], 'dropped-map.png', {type: 'image/png'})); \
           const zone = document.querySelector('[data-dropzone]'); \
           zone.dispatchEvent(new DragEvent('dragover', {dataTransfer: data, bubbles: true, cancelable: true})); \
           zone.dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true})); \
           done(true); \
         }, 'image/png');",
        vec![],
    )
    .await
    .unwrap();
    for _ in 0..600 {
        if old.tag_name().await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(notice(c).await, "Uploaded.");
    let (library, after) = app.db.list_media(None, 100, 0).await.unwrap();
    assert_eq!(after, before + 1);
    assert_eq!(library[0].file_name, "dropped-map.png");

    // Screenshots at desktop and phone widths.
    for width in [1280, 360] {
        screenshot(c, &app, "/admin", "dashboard", width).await;
        screenshot(c, &app, &format!("/admin/articles/{id}"), "editor", width).await;
        screenshot(c, &app, "/admin/articles", "articles", width).await;
        screenshot(c, &app, "/admin/media", "media", width).await;
        assert!(csp_violations(c).await.is_empty());
    }
    // The editor fits a phone: nothing wider than the window.
    c.set_window_size(360, 800).await.unwrap();
    c.goto(&app.url(&format!("/admin/articles/{id}")))
        .await
        .unwrap();
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        overflow.as_i64(),
        Some(0),
        "the editor scrolls sideways on a phone"
    );
    for name in ["dashboard", "editor", "articles", "media"] {
        for width in [1280, 360] {
            assert!(
                screenshot_dir()
                    .join(format!("{name}-{width}.png"))
                    .exists()
            );
        }
    }
    browser.close().await;
    app.stop().await;
}
