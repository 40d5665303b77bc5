//! What search engines read: robots.txt names the sitemaps and keeps them out of the admin, the
//! API and search results; the sitemap index, the article, list-page and Google News sitemaps
//! list only what readers may see, each address with its time, as an XML parser reads them.

use serde_json::json;

use crate::support::{Backend, TestApp, snapshot_settings};

both_backends!(sitemaps_list_what_readers_see);

/// The text of every `<loc>` (or other named element) in a document.
fn texts(xml: &str, name: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    doc.descendants()
        .filter(|n| n.tag_name().name() == name)
        .map(|n| n.text().unwrap_or_default().to_owned())
        .collect()
}

async fn xml(app: &TestApp, path: &str) -> String {
    let r = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/xml; charset=utf-8",
        "{path}"
    );
    r.text().await.unwrap()
}

async fn sitemaps_list_what_readers_see(backend: Backend) {
    let (app, _clock) = TestApp::spawn_at(backend, "2026-03-01T12:00:00Z").await;
    let editor = app.editor_token().await;
    let old = app
        .publish(
            &editor,
            "Iraqi troops raid Camp Ashraf",
            json!({"published_at": "2009-07-31T16:00:00Z", "topics": ["Iraq"]}),
        )
        .await;
    let fresh = app
        .publish(
            &editor,
            "Talks resume in Baghdad",
            json!({"published_at": "2026-03-01T08:00:00Z", "topics": ["Iraq", "Diplomacy"]}),
        )
        .await;
    app.publish(
        &editor,
        "Tomorrow's story",
        json!({"status": "scheduled", "published_at": "2026-03-02T09:00:00Z", "topics": ["Secret"]}),
    )
    .await;
    let (s, _) = app
        .post_json(
            "/api/v1/articles",
            Some(&editor),
            &json!({"title": "A draft", "body_markdown": "x", "status": "draft", "topics": ["Hidden"]}),
        )
        .await;
    assert_eq!(s, 201);

    // robots.txt names both sitemaps and keeps crawlers out of the admin, the API and search.
    let r = app.client.get(app.url("/robots.txt")).send().await.unwrap();
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "text/plain; charset=utf-8"
    );
    let robots = r.text().await.unwrap();
    for line in [
        "User-agent: *",
        "Disallow: /admin",
        "Disallow: /api/",
        "Disallow: /search",
        &format!("Sitemap: {}", app.url("/sitemap.xml")),
        &format!("Sitemap: {}", app.url("/sitemaps/news.xml")),
    ] {
        assert!(robots.lines().any(|l| l == line), "{line}\n{robots}");
    }

    // The index lists the others, each of which parses.
    let index = xml(&app, "/sitemap.xml").await;
    let maps = texts(&index, "loc");
    assert_eq!(
        maps,
        [
            app.url("/sitemaps/pages.xml"),
            app.url("/sitemaps/articles-1.xml"),
            app.url("/sitemaps/news.xml"),
        ]
    );
    assert_eq!(texts(&index, "lastmod").len(), 3);
    let articles = xml(&app, "/sitemaps/articles-1.xml").await;
    assert_eq!(
        texts(&articles, "loc"),
        [
            old["url"].as_str().unwrap(),
            fresh["url"].as_str().unwrap(),
            &app.url("/2026/03/01/welcome-to-dateline/"),
        ]
    );
    assert!(texts(&articles, "lastmod").iter().all(|t| t.ends_with('Z')));
    assert_eq!(
        app.client
            .get(app.url("/sitemaps/articles-2.xml"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let pages = xml(&app, "/sitemaps/pages.xml").await;
    let locs = texts(&pages, "loc");
    assert_eq!(locs[0], app.url("/"));
    for page in [
        "/topics/",
        "/sources/",
        "/topics/iraq/",
        "/topics/diplomacy/",
        "/authors/eda-editor/",
    ] {
        assert!(locs.contains(&app.url(page)), "{page}: {locs:?}");
    }
    for hidden in ["/topics/secret/", "/topics/hidden/"] {
        assert!(!locs.contains(&app.url(hidden)), "{hidden}");
    }
    // Google News: the last 48 hours only, with the publication and the headline.
    let news = xml(&app, "/sitemaps/news.xml").await;
    assert_eq!(
        texts(&news, "title"),
        ["Welcome to Dateline", "Talks resume in Baghdad"]
    );
    assert_eq!(texts(&news, "name"), ["Dateline", "Dateline"]);
    assert_eq!(texts(&news, "language"), ["en", "en"]);
    let mut settings = snapshot_settings();
    settings.add_filter(r"/articles/\d+", "/articles/[id]");
    settings.bind(|| insta::assert_snapshot!("sitemap_news", news));
    // Conditional requests, as for feeds.
    let r = app
        .client
        .get(app.url("/sitemap.xml"))
        .send()
        .await
        .unwrap();
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let again = app
        .client
        .get(app.url("/sitemap.xml"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    app.stop().await;
}
