//! The long probes of `scripts/attack`, run on demand (`--ignored`), not in CI: every XSS
//! payload of `tests/fixtures/xss/` in every text field a reader sees and as a search, each
//! page loaded in Chromium, looking for a dialog opened, a script or event handler that came
//! from the payload, or a policy violation the browser reported (an injection the CSP stopped).
//!
//! `DATELINE_ATTACK_SAMPLE=N` tries every Nth payload (default: all 6,613), starting from the
//! `DATELINE_ATTACK_OFFSET`th (default 0);
//! `DATELINE_ATTACK_BACKEND=postgres` uses PostgreSQL.

use std::time::Instant;

use dateline_core::settings::SettingKey;
use fantoccini::ClientBuilder;
use serde_json::json;

use crate::support::{Backend, TestApp, fixture, jpeg, upload};

/// What the page has that no template of ours puts there: scripts, inline handlers,
/// `javascript:` addresses, frames and plugins.
// The theme's own script (the comment form's enhancement) and the page's schema.org data (JSON,
// which a browser never runs) are the scripts a page may hold.
const INJECTED: &str = "return [
  document.querySelectorAll('script:not([src^=\"/static/comments.js\"]):not([type=\"application/ld+json\"]), iframe, object, embed, frame, frameset, applet, base, meta[http-equiv]').length,
  [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
  document.querySelectorAll('[href^=\"javascript:\" i], [src^=\"javascript:\" i], [action^=\"javascript:\" i], [formaction]').length,
  document.querySelectorAll('svg, math, style:not(head style)').length
]";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long: run by scripts/attack"]
async fn xss_payloads_in_every_field_never_run_in_a_browser() {
    let backend = match std::env::var("DATELINE_ATTACK_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    let sample: usize = std::env::var("DATELINE_ATTACK_SAMPLE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1);
    let offset: usize = std::env::var("DATELINE_ATTACK_OFFSET")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let payloads: Vec<String> = std::fs::read_to_string(fixture("xss/payloadbox.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .skip(offset)
        .step_by(sample)
        .map(str::to_owned)
        .collect();
    let started = Instant::now();
    let app = TestApp::spawn(backend).await;
    // Every payload's comment must reach its page: no limit, hold or length stops one here.
    app.allow_many_comments().await;
    app.set_setting(SettingKey::CommentMaxLinks, "1000").await;
    app.set_setting(SettingKey::CommentMaxChars, "10000").await;
    let token = app.editor_token().await;
    let (_, media) = upload(&app, &token, jpeg(64, 48), "lead.jpg", "image/jpeg").await;
    let cut = |s: &str, n: usize| s.chars().take(n).collect::<String>();
    let mut pages = Vec::new();
    let (mut stored, mut refused) = (0, 0);
    for (i, p) in payloads.iter().enumerate() {
        let article = json!({
            "title": format!("{} {i}", cut(p, 290)),
            "slug": format!("payload-{i}"),
            "dek": cut(p, 1000),
            "body_markdown": format!("{p}\n\n[{}]({})", cut(p, 100), cut(p, 500)),
            "status": "published",
            "lead_image": {"media_id": media["id"], "caption": cut(p, 500), "alt": cut(p, 500), "credit": cut(p, 200)},
            "sources": [{"title": cut(p, 500), "author": cut(p, 200), "outlet": cut(p, 200)}],
            "topics": [cut(p, 80)],
        });
        let (s, a) = app
            .post_json("/api/v1/articles", Some(&token), &article)
            .await;
        if s != 201 {
            // A payload with control characters is refused whole, naming the field: fine.
            assert!(s < 500, "{s} for payload {i}: {a}");
            refused += 1;
            continue;
        }
        stored += 1;
        let id = a["id"].as_i64().unwrap();
        let (s, c) = app
            .post_json(
                &format!("/api/v1/articles/{id}/comments"),
                None,
                &json!({"author_name": cut(p, 80), "body": p}),
            )
            .await;
        assert!(s < 500, "{s} for the comment of payload {i}");
        if s == 201 {
            assert_eq!(
                c["status"], "approved",
                "the comment of payload {i} is shown"
            );
        }
        pages.push(app.path_of(&a));
        if let Some(topic) = a["topics"][0]["slug"].as_str() {
            pages.push(format!("/topics/{topic}/"));
        }
        // The payload as a search: shown back in the form and the summary, and its article
        // found, its title and excerpt marked.
        let search = reqwest::Url::parse_with_params(&app.url("/search"), &[("q", p)]).unwrap();
        pages.push(format!("/search?{}", search.query().unwrap_or_default()));
    }
    pages.push("/".into());
    pages.dedup();

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut driver = std::process::Command::new(
        std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()),
    )
    .arg(format!("--port={port}"))
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .expect("chromedriver");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--disable-component-update", "--no-first-run"]}),
    );
    let mut client = None;
    for _ in 0..50 {
        let mut b = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        b.capabilities(caps.clone());
        if let Ok(c) = b.connect(&format!("http://127.0.0.1:{port}")).await {
            client = Some(c);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let c = client.expect("a browser session");
    let (mut dialogs, mut injected, mut reported) = (Vec::new(), Vec::new(), Vec::new());
    for path in &pages {
        c.goto(&app.url(path)).await.unwrap();
        if let Ok(text) = c.get_alert_text().await {
            dialogs.push(format!("{path}: {text}"));
            let _ = c.dismiss_alert().await;
            continue;
        }
        let found = c.execute(INJECTED, vec![]).await.unwrap();
        if found
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_i64() != Some(0))
        {
            injected.push(format!("{path}: {found}"));
        }
        let csp = c
            .execute_async(
                "const done = arguments[arguments.length - 1]; const o = new ReportingObserver(() => {}, \
                 {types: ['csp-violation'], buffered: true}); o.observe(); \
                 setTimeout(() => done(o.takeRecords().length), 50);",
                vec![],
            )
            .await
            .unwrap();
        if csp.as_i64() != Some(0) {
            reported.push(format!("{path}: {csp}"));
        }
    }
    let _ = c.close().await;
    let _ = driver.kill();
    let _ = driver.wait();
    println!(
        "ATTACK xss | {} payloads ({} stored in every field of an article and a comment, {} refused whole) | {} pages loaded in Chromium | dialogs {} | injected elements {} | CSP reports {} | {:.0} s",
        payloads.len(),
        stored,
        refused,
        pages.len(),
        dialogs.len(),
        injected.len(),
        reported.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(dialogs.is_empty(), "scripts ran: {dialogs:#?}");
    assert!(injected.is_empty(), "markup got through: {injected:#?}");
    assert!(
        reported.is_empty(),
        "the policy had to stop something: {reported:#?}"
    );
    app.stop().await;
}
