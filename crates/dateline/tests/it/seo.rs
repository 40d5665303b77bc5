//! What search engines and link previews read of a page: the description, Open Graph and
//! Twitter tags, schema.org NewsArticle in JSON-LD (parsed and checked field by field, with the
//! article's sources and corrections), and the neighbouring pages of a list.

use serde_json::{Value, json};

use crate::support::{Backend, TestApp, jpeg, upload};

both_backends!(
    an_article_describes_itself_to_search_engines,
    lists_describe_themselves_and_their_neighbours,
);

fn select(html: &str, css: &str, attr: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    doc.select(&scraper::Selector::parse(css).unwrap())
        .map(|e| e.value().attr(attr).unwrap_or_default().to_owned())
        .collect()
}

fn property(html: &str, name: &str) -> Vec<String> {
    select(html, &format!(r#"meta[property="{name}"]"#), "content")
}

fn json_ld(html: &str) -> Value {
    let doc = scraper::Html::parse_document(html);
    let scripts: Vec<String> = doc
        .select(&scraper::Selector::parse(r#"script[type="application/ld+json"]"#).unwrap())
        .map(|e| e.text().collect::<String>())
        .collect();
    assert_eq!(scripts.len(), 1, "one JSON-LD block");
    serde_json::from_str(&scripts[0]).unwrap_or_else(|e| panic!("{e}: {}", scripts[0]))
}

async fn an_article_describes_itself_to_search_engines(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let editor = app.editor_token().await;
    let (_, media) = upload(&app, &editor, jpeg(600, 400), "camp.jpg", "image/jpeg").await;
    let article = app
        .publish(
            &editor,
            "Why is Iraq attacking </script><script>alert(1)</script>?",
            json!({
                "published_at": "2009-07-31T16:00:00Z",
                "dek": "The fate of an opposition group.",
                "topics": ["Iraq", "Iran"],
                "lead_image": {"media_id": media["id"], "alt": "Women at the camp", "caption": ""},
                "sources": [{"title": "Clashes at Camp Ashraf", "author": "Timothy Williams",
                             "outlet": "New York Times", "url": "https://www.nytimes.com/2009/07/29/world/middleeast/29iraq.html",
                             "published_at": "2009-07-29"}],
            }),
        )
        .await;
    let id = article["id"].as_i64().unwrap();
    let url = article["url"].as_str().unwrap().to_owned();
    let path = app.path_of(&article);
    let (_, html) = app.get_text(&path).await;
    assert_eq!(
        select(&html, r#"meta[name="description"]"#, "content"),
        ["The fate of an opposition group."]
    );
    assert_eq!(
        select(&html, r#"link[rel="canonical"]"#, "href"),
        [url.as_str()]
    );
    assert_eq!(property(&html, "og:type"), ["article"]);
    assert_eq!(property(&html, "og:url"), [url.as_str()]);
    assert_eq!(
        property(&html, "og:title"),
        ["Why is Iraq attacking </script><script>alert(1)</script>?"]
    );
    assert_eq!(property(&html, "og:image:width"), ["600"]);
    assert_eq!(property(&html, "og:image:height"), ["400"]);
    assert!(property(&html, "og:image")[0].starts_with(&app.url("/media/")));
    assert_eq!(
        property(&html, "article:published_time"),
        ["2009-07-31T16:00:00Z"]
    );
    assert_eq!(property(&html, "article:modified_time").len(), 1);
    assert_eq!(
        property(&html, "article:author"),
        [app.url("/authors/eda-editor/")]
    );
    assert_eq!(property(&html, "article:tag"), ["Iraq", "Iran"]);
    assert_eq!(
        select(&html, r#"meta[name="twitter:card"]"#, "content"),
        ["summary_large_image"]
    );
    // No markup from the headline ran or closed the JSON-LD early; the data says it all.
    assert_eq!(
        select(&html, "script:not([src]):not([type])", "type").len(),
        0,
        "no script but the page's own"
    );
    let ld = json_ld(&html);
    assert_eq!(ld["@context"], "https://schema.org");
    assert_eq!(ld["@type"], "NewsArticle");
    assert_eq!(
        ld["headline"],
        "Why is Iraq attacking </script><script>alert(1)</script>?"
    );
    assert_eq!(ld["datePublished"], "2009-07-31T16:00:00Z");
    assert!(ld["dateModified"].is_string());
    assert_eq!(ld["author"][0]["@type"], "Person");
    assert_eq!(ld["author"][0]["name"], "Eda Editor");
    assert_eq!(ld["author"][0]["url"], app.url("/authors/eda-editor/"));
    assert_eq!(ld["publisher"]["@type"], "Organization");
    assert_eq!(ld["publisher"]["name"], "Dateline");
    assert_eq!(ld["image"][0]["width"], 600);
    assert_eq!(ld["image"][0]["height"], 400);
    assert_eq!(ld["articleSection"], "Iraq");
    assert_eq!(ld["keywords"], json!(["Iraq", "Iran"]));
    let source = json!({
        "@type": "CreativeWork",
        "name": "Clashes at Camp Ashraf",
        "author": {"@type": "Person", "name": "Timothy Williams"},
        "publisher": {"@type": "Organization", "name": "New York Times"},
        "url": "https://www.nytimes.com/2009/07/29/world/middleeast/29iraq.html",
        "datePublished": "2009-07-29",
    });
    assert_eq!(ld["isBasedOn"], json!([source.clone()]));
    assert_eq!(ld["citation"], json!([source]));
    assert!(ld.get("correction").is_none());
    // A correction is part of the record; an update is not a correction.
    for (kind, body) in [
        ("correction", "An earlier version misdated the raid."),
        ("update", "Talks resumed."),
    ] {
        let (s, _) = app
            .post_json(
                &format!("/api/v1/articles/{id}/corrections"),
                Some(&editor),
                &json!({"kind": kind, "body": body}),
            )
            .await;
        assert_eq!(s, 201);
    }
    let (_, html) = app.get_text(&path).await;
    let ld = json_ld(&html);
    assert_eq!(ld["correction"][0]["@type"], "CorrectionComment");
    assert_eq!(
        ld["correction"][0]["text"],
        "An earlier version misdated the raid."
    );
    assert_eq!(ld["correction"].as_array().unwrap().len(), 1);

    // Without a dek, the first sentence of the body describes it.
    let plain = app
        .publish(
            &editor,
            "No dek",
            json!({"body_markdown": "With the *withdrawal* of U.S. forces, the camp fell. Then more."}),
        )
        .await;
    let (_, html) = app.get_text(&app.path_of(&plain)).await;
    assert_eq!(
        select(&html, r#"meta[name="description"]"#, "content"),
        ["With the withdrawal of U.S. forces, the camp fell."]
    );
    assert_eq!(
        select(&html, r#"meta[name="twitter:card"]"#, "content"),
        ["summary"]
    );
    app.stop().await;
}

async fn lists_describe_themselves_and_their_neighbours(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let editor = app.editor_token().await;
    for i in 0..3 {
        app.publish(&editor, &format!("Story {i}"), json!({"topics": ["Iraq"]}))
            .await;
    }
    dateline_app::settings::change_many(
        &app.app,
        &dateline_core::actor::Actor::System,
        &[
            (
                dateline_core::settings::SettingKey::ArticlesPerPage,
                "1".into(),
            ),
            (
                dateline_core::settings::SettingKey::Description,
                "Analysis of the news from Iraq.".into(),
            ),
        ],
    )
    .await
    .unwrap();
    let (_, home) = app.get_text("/").await;
    assert_eq!(
        select(&home, r#"meta[name="description"]"#, "content"),
        ["Analysis of the news from Iraq."]
    );
    assert!(select(&home, r#"link[rel="prev"]"#, "href").is_empty());
    assert_eq!(
        select(&home, r#"link[rel="next"]"#, "href"),
        [app.url("/?page=2")]
    );
    let (_, topic) = app.get_text("/topics/iraq/?page=2").await;
    assert_eq!(
        select(&topic, r#"meta[name="description"]"#, "content"),
        ["Articles on Iraq from Dateline."]
    );
    assert_eq!(
        select(&topic, r#"link[rel="prev"]"#, "href"),
        [app.url("/topics/iraq/")]
    );
    assert_eq!(
        select(&topic, r#"link[rel="next"]"#, "href"),
        [app.url("/topics/iraq/?page=3")]
    );
    assert_eq!(
        select(&topic, r#"link[rel="canonical"]"#, "href"),
        [app.url("/topics/iraq/?page=2")]
    );
    let (_, author) = app.get_text("/authors/eda-editor/").await;
    assert_eq!(
        select(&author, r#"meta[name="description"]"#, "content"),
        ["Articles by Eda Editor in Dateline."]
    );
    app.stop().await;
}
