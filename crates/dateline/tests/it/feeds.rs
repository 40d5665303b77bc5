//! Feeds as feed readers take them: Atom, RSS and JSON Feed for the site, a topic, an author,
//! an article's comments and the latest comments, parsed with a real parser (feed-rs) and JSON
//! Feed checked against its published JSON Schema; only what readers may see, never an e-mail
//! address; conditional requests answered 304; every page announces its feeds.

use feed_rs::model::Feed as Parsed;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp, jpeg, snapshot_settings, upload};

both_backends!(
    feeds_carry_what_readers_see_in_three_formats,
    feeds_answer_conditional_requests,
);

/// A feed as served: its status, content type and body.
async fn fetch(app: &TestApp, path: &str) -> (u16, String, String) {
    let r = app.client.get(app.url(path)).send().await.unwrap();
    let status = r.status().as_u16();
    let kind = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, r.text().await.unwrap())
}

/// Fetches `path` (a folder: `/`, `/topics/iraq/`), checks the three formats agree, and returns
/// the Atom feed parsed.
async fn feeds_at(app: &TestApp, dir: &str) -> Parsed {
    let mut parsed = Vec::new();
    for (file, kind) in [
        ("atom.xml", "application/atom+xml; charset=utf-8"),
        ("rss.xml", "application/rss+xml; charset=utf-8"),
        ("feed.json", "application/feed+json; charset=utf-8"),
    ] {
        let (s, content_type, body) = fetch(app, &format!("{dir}{file}")).await;
        assert_eq!(s, 200, "{dir}{file}: {body}");
        assert_eq!(content_type, kind, "{dir}{file}");
        if file == "feed.json" {
            json_feed_conforms(&body);
        }
        let feed = feed_rs::parser::parse(body.as_bytes())
            .unwrap_or_else(|e| panic!("{dir}{file} does not parse: {e}\n{body}"));
        parsed.push(feed);
    }
    // The same entries, in the same order, with the same links, whatever the format.
    let links =
        |f: &Parsed| -> Vec<String> { f.entries.iter().map(|e| e.links[0].href.clone()).collect() };
    assert_eq!(links(&parsed[0]), links(&parsed[1]), "{dir}: Atom and RSS");
    assert_eq!(
        links(&parsed[0]),
        links(&parsed[2]),
        "{dir}: Atom and JSON Feed"
    );
    parsed.swap_remove(0)
}

/// JSON Feed 1.1 as its published schema judges it (the npm package `jsonfeed-schema`, which
/// `.ci/run` installs; `DATELINE_JSONFEED_SCHEMA` names the file).
fn json_feed_conforms(body: &str) {
    let path = std::env::var("DATELINE_JSONFEED_SCHEMA")
        .ok()
        .filter(|p| !p.is_empty());
    let Some(path) = path else {
        assert!(
            std::env::var("DATELINE_REQUIRE_JSONFEED_SCHEMA").as_deref() != Ok("1"),
            "DATELINE_REQUIRE_JSONFEED_SCHEMA=1 but DATELINE_JSONFEED_SCHEMA is not set"
        );
        eprintln!(
            "SKIPPED: the JSON Feed schema check; set DATELINE_JSONFEED_SCHEMA to the \
             jsonfeed-schema package's schema-v1.1.json"
        );
        return;
    };
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    // The schema is the real one: it refuses a feed without items.
    assert!(
        !validator.is_valid(&json!({"version": "https://jsonfeed.org/version/1.1", "title": "t"}))
    );
    let feed: Value = serde_json::from_str(body).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&feed)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "JSON Feed 1.1: {errors:#?}\n{body}");
}

fn titles(feed: &Parsed) -> Vec<String> {
    feed.entries
        .iter()
        .map(|e| e.title.as_ref().unwrap().content.clone())
        .collect()
}

async fn feeds_carry_what_readers_see_in_three_formats(backend: Backend) {
    let (app, _clock) = TestApp::spawn_at(backend, "2026-03-01T12:00:00Z").await;
    let editor = app.editor_token().await;
    let (_, media) = upload(&app, &editor, jpeg(64, 48), "camp.jpg", "image/jpeg").await;
    let raid = app
        .publish(
            &editor,
            "Iraqi troops raid Camp Ashraf",
            json!({
                "published_at": "2026-02-27T16:00:00Z",
                "dek": "Fighting left six to 11 dead.",
                "body_markdown": "The *camp* was stormed & searched.",
                "topics": ["Iraq", "Iran"],
                "lead_image": {"media_id": media["id"], "alt": "The camp's gate", "caption": ""},
            }),
        )
        .await;
    app.publish(
        &editor,
        "Tehran answers",
        json!({"published_at": "2026-02-28T09:00:00Z", "topics": ["Iran"]}),
    )
    .await;
    let (s, _) = app
        .post_json(
            "/api/v1/articles",
            Some(&editor),
            &json!({"title": "Draft in progress", "body_markdown": "Not yet.", "status": "draft", "topics": ["Iraq"]}),
        )
        .await;
    assert_eq!(s, 201);
    app.publish(
        &editor,
        "Tomorrow's story",
        json!({"status": "scheduled", "published_at": "2026-03-02T09:00:00Z", "topics": ["Iraq"]}),
    )
    .await;
    let r = raid["id"].as_i64().unwrap();
    let comment = |body: &'static str| {
        let app = &app;
        async move {
            app.post_json(
                &format!("/api/v1/articles/{r}/comments"),
                None,
                &json!({"author_name": "Ali", "author_email": "ali@private.example", "body": body}),
            )
            .await
        }
    };
    assert_eq!(comment("A crime against humanity.").await.0, 201);
    // Held for its links: not in any feed.
    let (_, held) = comment("See https://a.org https://b.org https://c.org").await;
    assert_eq!(held["status"], "pending");

    // The site: published articles only, newest first (the welcome article was written at
    // the site's start, "now"), with everything an entry carries.
    let site = feeds_at(&app, "/").await;
    assert_eq!(
        titles(&site),
        [
            "Welcome to Dateline",
            "Tehran answers",
            "Iraqi troops raid Camp Ashraf"
        ]
    );
    let entry = &site.entries[2];
    assert_eq!(entry.links[0].href, raid["url"].as_str().unwrap());
    assert!(
        entry.id.starts_with("tag:127.0.0.1,2026-02-27:article:"),
        "{}",
        entry.id
    );
    assert_eq!(
        entry.published.unwrap().to_rfc3339(),
        "2026-02-27T16:00:00+00:00"
    );
    assert!(entry.updated.is_some());
    assert_eq!(entry.authors[0].name.as_deref(), Some("Eda Editor"));
    assert_eq!(
        entry.summary.as_ref().unwrap().content,
        "Fighting left six to 11 dead."
    );
    let content = entry.content.as_ref().unwrap().body.clone().unwrap();
    assert!(
        content.contains("<em>camp</em> was stormed &amp; searched"),
        "{content}"
    );
    let categories: Vec<&str> = entry.categories.iter().map(|c| c.term.as_str()).collect();
    assert_eq!(categories, ["iraq", "iran"]);
    let enclosure = entry
        .links
        .iter()
        .find(|l| l.rel.as_deref() == Some("enclosure"))
        .unwrap();
    assert!(
        enclosure.href.starts_with(&app.url("/media/")),
        "{}",
        enclosure.href
    );
    assert_eq!(enclosure.media_type.as_deref(), Some("image/jpeg"));
    // A topic, an author: their own articles.
    assert_eq!(
        titles(&feeds_at(&app, "/topics/iraq/").await),
        ["Iraqi troops raid Camp Ashraf"]
    );
    assert_eq!(
        titles(&feeds_at(&app, "/topics/iran/").await),
        ["Tehran answers", "Iraqi troops raid Camp Ashraf"]
    );
    assert_eq!(
        titles(&feeds_at(&app, "/authors/eda-editor/").await).len(),
        2
    );
    // Comments: approved ones, on the article and across the site; no e-mail address anywhere.
    let path = app.path_of(&raid);
    let on_article = feeds_at(&app, &format!("{path}comments/")).await;
    assert_eq!(
        titles(&on_article),
        ["Ali on “Iraqi troops raid Camp Ashraf”"]
    );
    assert!(on_article.entries[0].links[0].href.contains("#comment-"));
    let latest = feeds_at(&app, "/comments/").await;
    assert!(titles(&latest).contains(&"Ali on “Iraqi troops raid Camp Ashraf”".to_owned()));
    for dir in ["/", "/comments/", &format!("{path}comments/")] {
        for file in ["atom.xml", "rss.xml", "feed.json"] {
            let (_, _, body) = fetch(&app, &format!("{dir}{file}")).await;
            assert!(!body.contains("ali@private.example"), "{dir}{file}");
            assert!(
                !body.contains("Draft in progress") && !body.contains("Tomorrow"),
                "{dir}{file}"
            );
        }
    }
    // Unknown topics and authors have no feed.
    assert_eq!(fetch(&app, "/topics/nowhere/atom.xml").await.0, 404);
    assert_eq!(fetch(&app, "/authors/nobody/rss.xml").await.0, 404);

    // Field by field, as a snapshot.
    let (_, _, atom) = fetch(&app, "/topics/iraq/atom.xml").await;
    let (_, _, rss) = fetch(&app, "/topics/iraq/rss.xml").await;
    let (_, _, json_feed) = fetch(&app, "/topics/iraq/feed.json").await;
    let mut settings = snapshot_settings();
    settings.add_filter(r#"length=\"\d+\""#, r#"length="[bytes]""#);
    settings.add_filter(r":article:\d+", ":article:[id]");
    settings.add_filter(r"<updated>[^<]+</updated>", "<updated>[time]</updated>");
    settings.add_filter(
        r#""date_modified": "[^"]+""#,
        r#""date_modified": "[time]""#,
    );
    settings.bind(|| {
        insta::assert_snapshot!("feed_topic_atom", atom);
        insta::assert_snapshot!("feed_topic_rss", rss);
        insta::assert_snapshot!("feed_topic_json", json_feed);
    });

    // Summaries only, when the site says so.
    dateline_app::settings::change(
        &app.app,
        &dateline_core::actor::Actor::System,
        dateline_core::settings::SettingKey::FeedContent,
        "summary",
    )
    .await
    .unwrap();
    let summary = feeds_at(&app, "/topics/iraq/").await;
    assert!(summary.entries[0].content.is_none());
    assert_eq!(
        summary.entries[0].summary.as_ref().unwrap().content,
        "Fighting left six to 11 dead."
    );

    // Every page that has feeds announces them.
    for (page, feed) in [
        ("/".to_owned(), "/atom.xml".to_owned()),
        (
            "/topics/iraq/".to_owned(),
            "/topics/iraq/rss.xml".to_owned(),
        ),
        (
            "/authors/eda-editor/".to_owned(),
            "/authors/eda-editor/feed.json".to_owned(),
        ),
        (path.clone(), format!("{path}comments/atom.xml")),
    ] {
        let (_, html) = app.get_text(&page).await;
        assert!(
            html.contains(&format!(
                r#"rel="alternate" type="{}""#,
                if feed.ends_with("json") {
                    "application/feed+json"
                } else if feed.ends_with("rss.xml") {
                    "application/rss+xml"
                } else {
                    "application/atom+xml"
                }
            )) && html.contains(&format!(r#"href="{feed}""#)),
            "{page} announces {feed}"
        );
    }
    app.stop().await;
}

async fn feeds_answer_conditional_requests(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let editor = app.editor_token().await;
    app.publish(&editor, "First", json!({})).await;
    let r = app.client.get(app.url("/atom.xml")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let modified = r.headers()["last-modified"].to_str().unwrap().to_owned();
    assert!(modified.ends_with(" GMT"), "{modified}");
    let again = |name: &'static str, value: String| {
        app.client
            .get(app.url("/atom.xml"))
            .header(name, value)
            .send()
    };
    let r = again("if-none-match", etag.clone()).await.unwrap();
    assert_eq!(r.status(), 304);
    assert_eq!(r.headers()["etag"].to_str().unwrap(), etag);
    assert!(r.text().await.unwrap().is_empty());
    assert_eq!(
        again("if-modified-since", modified.clone())
            .await
            .unwrap()
            .status(),
        304
    );
    assert_eq!(
        again("if-modified-since", "Sat, 01 Jan 2000 00:00:00 GMT".into())
            .await
            .unwrap()
            .status(),
        200
    );
    // A new article changes the feed: the old tag no longer matches.
    app.publish(&editor, "Second", json!({})).await;
    let r = again("if-none-match", etag.clone()).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_ne!(r.headers()["etag"].to_str().unwrap(), etag);
    assert!(r.text().await.unwrap().contains("Second"));
    app.stop().await;
}
