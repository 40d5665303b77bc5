//! Reading onwards: an article offers the articles that share its topics or its sources (newest
//! first, at most five, only what readers may see), and each cited outlet has a page listing
//! the articles that cite it.

use serde_json::{Value, json};

use crate::support::{Backend, TestApp, visible_text};

both_backends!(related_articles_and_outlet_pages);

fn related_titles(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    doc.select(&scraper::Selector::parse("section.related .teaser-title a").unwrap())
        .map(|e| e.text().collect::<String>())
        .collect()
}

fn source(title: &str, outlet: &str, url: Option<&str>) -> Value {
    json!({"title": title, "outlet": outlet, "url": url})
}

async fn related_articles_and_outlet_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let editor = app.editor_token().await;
    let nyt = "https://www.nytimes.com/2009/07/29/world/middleeast/29iraq.html";
    let publish = |title: &'static str, day: u32, topics: Value, sources: Value| {
        let app = &app;
        let editor = editor.clone();
        async move {
            app.publish(
                &editor,
                title,
                json!({"published_at": format!("2009-07-{day:02}T12:00:00Z"), "topics": topics, "sources": sources}),
            )
            .await
        }
    };
    let a = publish(
        "The raid",
        20,
        json!(["Iraq"]),
        json!([source("Clashes", "New York Times", Some(nyt))]),
    )
    .await;
    publish("Same topic", 10, json!(["Iraq"]), json!([])).await;
    publish(
        "Same source",
        25,
        json!(["Iran"]),
        json!([source("Clashes at the camp", "new york times", Some(nyt))]),
    )
    .await;
    publish(
        "Unrelated",
        26,
        json!(["Sports"]),
        json!([source("Match report", "Washington Post", None)]),
    )
    .await;
    let (s, _) = app
        .post_json(
            "/api/v1/articles",
            Some(&editor),
            &json!({"title": "A draft on Iraq", "body_markdown": "x", "status": "draft", "topics": ["Iraq"]}),
        )
        .await;
    assert_eq!(s, 201);
    let path = app.path_of(&a);
    let (_, html) = app.get_text(&path).await;
    assert_eq!(related_titles(&html), ["Same source", "Same topic"]);
    // At most five, the newest.
    for day in 1..=6 {
        app.publish(
            &editor,
            &format!("Iraq day {day}"),
            json!({"published_at": format!("2009-08-{day:02}T12:00:00Z"), "topics": ["Iraq"]}),
        )
        .await;
    }
    let (_, html) = app.get_text(&path).await;
    assert_eq!(
        related_titles(&html),
        [
            "Iraq day 6",
            "Iraq day 5",
            "Iraq day 4",
            "Iraq day 3",
            "Iraq day 2"
        ]
    );

    // The outlet's name links to its page, which lists the articles citing it, however spelt.
    let doc = scraper::Html::parse_document(&html);
    let outlet = doc
        .select(&scraper::Selector::parse(".sources a[href^='/sources/']").unwrap())
        .next()
        .unwrap();
    assert_eq!(
        outlet.value().attr("href"),
        Some("/sources/new-york-times/")
    );
    let (s, page) = app.get_text("/sources/new-york-times/").await;
    assert_eq!(s, 200);
    let text = visible_text(&page);
    assert!(
        text.contains("Articles that cite reporting by New York Times."),
        "{text}"
    );
    assert!(
        text.contains("The raid") && text.contains("Same source"),
        "{text}"
    );
    assert!(!text.contains("Unrelated"));
    assert_eq!(app.get_text("/sources/nobody/").await.0, 404);
    // The index of outlets, with how often each is cited.
    let (_, index) = app.get_text("/sources/").await;
    let text = visible_text(&index);
    assert!(text.contains("New York Times (2 articles)"), "{text}");
    assert!(text.contains("Washington Post (1 article)"), "{text}");
    app.stop().await;
}
