//! Finding one's way on the site: the sections in the header (the owner's menu, or the latest
//! articles and the topics), the topic index, the byline under the headline, author pages with
//! their photo and biography, and a description on every page.

use serde_json::json;

use crate::support::{Backend, TestApp, jpeg, upload, visible_text};

both_backends!(readers_find_their_way_around);

fn select(html: &str, css: &str) -> Vec<(String, String)> {
    let doc = scraper::Html::parse_document(html);
    doc.select(&scraper::Selector::parse(css).unwrap())
        .map(|e| {
            (
                e.text().collect::<String>().trim().to_owned(),
                e.value().attr("href").unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn readers_find_their_way_around(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, owner) = app
        .user_with_token(
            "Olga Owner",
            "olga@example.org",
            dateline_core::users::Role::Owner,
        )
        .await;
    let a = app
        .publish(
            &owner,
            "Raid on the camp",
            json!({"topics": ["Iraq", "Camp Ashraf"]}),
        )
        .await;
    app.publish(&owner, "Talks", json!({"topics": ["Iraq"]}))
        .await;
    let (s, _) = app
        .post_json(
            "/api/v1/articles",
            Some(&owner),
            &json!({"title": "Draft", "body_markdown": "x", "status": "draft", "topics": ["Secret plans"]}),
        )
        .await;
    assert_eq!(s, 201);

    // The header's sections: by default the latest articles and the topics ...
    let (_, home) = app.get_text("/").await;
    assert_eq!(
        select(&home, "nav.site-nav a"),
        [
            ("Latest".into(), "/".into()),
            ("Topics".into(), "/topics/".into())
        ]
    );
    // ... and the owner's menu once set; a line that is not a section is refused, naming it.
    let (s, body) = app
        .patch_json(
            "/api/v1/settings",
            &owner,
            &json!({"menu": "Iraq | /topics/iraq/\nJust words"}),
        )
        .await;
    assert_eq!((s, body["error"]["field"].as_str()), (422, Some("menu")));
    let (s, settings) = app
        .patch_json(
            "/api/v1/settings",
            &owner,
            &json!({"menu": "Iraq|/topics/iraq/\nTopics | /topics/\nWire | https://apnews.com/"}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        settings["menu"],
        "Iraq | /topics/iraq/\nTopics | /topics/\nWire | https://apnews.com/"
    );
    let (_, page) = app.get_text(&app.path_of(&a)).await;
    assert_eq!(
        select(&page, "nav.site-nav a"),
        [
            ("Iraq".into(), "/topics/iraq/".into()),
            ("Topics".into(), "/topics/".into()),
            ("Wire".into(), "https://apnews.com/".into()),
        ]
    );

    // The topic index: what has been published, by name, with counts; never a draft's topic.
    let (s, topics) = app.get_text("/topics/").await;
    assert_eq!(s, 200);
    assert_eq!(
        select(&topics, ".topic-index a"),
        [
            ("Camp Ashraf".into(), "/topics/camp-ashraf/".into()),
            ("Dateline".into(), "/topics/dateline/".into()),
            ("Iraq".into(), "/topics/iraq/".into()),
        ],
        "{}",
        visible_text(&topics)
    );
    assert!(visible_text(&topics).contains("Iraq (2 articles)"));
    let r = app.client.get(app.url("/topics")).send().await.unwrap();
    assert_eq!(r.status(), 308);
    assert_eq!(r.headers()["location"], "/topics/");

    // The byline under the headline, the sign-off still at the end.
    let doc = scraper::Html::parse_document(&page);
    let header = doc
        .select(&scraper::Selector::parse("header.article-header").unwrap())
        .next()
        .unwrap();
    let text = visible_text(&header.html());
    assert!(text.starts_with("Raid on the camp By Olga Owner"), "{text}");
    assert_eq!(
        select(&page, ".byline a"),
        [("Olga Owner".into(), "/authors/olga-owner/".into())]
    );
    assert_eq!(select(&page, ".signoff a").len(), 1);

    // An author page with the author's photo and biography.
    let (_, media) = upload(&app, &owner, jpeg(200, 200), "olga.jpg", "image/jpeg").await;
    let (s, _) = app
        .patch_json(
            "/api/v1/me",
            &owner,
            &json!({"bio": "Olga covers Iraq. She was based in Baghdad.", "avatar_media_id": media["id"]}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, author) = app.get_text("/authors/olga-owner/").await;
    let doc = scraper::Html::parse_document(&author);
    let photo = doc
        .select(&scraper::Selector::parse("img.author-photo").unwrap())
        .next()
        .expect("the author's photo");
    assert!(photo.value().attr("src").unwrap().starts_with("/media/"));
    assert_eq!(photo.value().attr("alt"), Some("Olga Owner, photographed"));
    assert!(visible_text(&author).contains("Olga covers Iraq. She was based in Baghdad."));

    // Every page describes itself.
    for path in [
        "/",
        "/topics/",
        "/topics/iraq/",
        "/authors/olga-owner/",
        "/2009/",
        "/nowhere/",
        "/search?q=raid",
    ] {
        let (_, html) = app.get_text(path).await;
        let described = scraper::Html::parse_document(&html)
            .select(&scraper::Selector::parse(r#"meta[name="description"]"#).unwrap())
            .filter_map(|m| m.value().attr("content").map(str::to_owned))
            .collect::<Vec<_>>();
        assert_eq!(described.len(), 1, "{path}");
        assert!(!described[0].trim().is_empty(), "{path}");
    }
    app.stop().await;
}
