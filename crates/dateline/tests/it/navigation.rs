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

both_backends!(editors_describe_topics);

async fn editors_describe_topics(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (eve, token, _) =
        crate::admin_articles::staff(&app, "Eve", dateline_core::users::Role::Editor).await;
    let (_, author) = app
        .user_with_token("Abe", "abe@example.org", dateline_core::users::Role::Author)
        .await;
    app.publish(&token, "Raid", json!({"topics": ["Camp Ashraf"]}))
        .await;
    // Through the API: the list (staff only), a description, refusals.
    let (s, _) = app.get_json("/api/v1/topics", None).await;
    assert_eq!(s, 401);
    let (s, list) = app.get_json("/api/v1/topics", Some(&token)).await;
    assert_eq!(s, 200);
    let spec: serde_json::Value =
        serde_json::from_str(include_str!("../../../dateline-web/src/api/openapi.json")).unwrap();
    crate::api_articles::conforms(&spec, "DescribedTopicList", &list);
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["slug"] == "camp-ashraf")
    );
    let about =
        "Home to about 3,400 members of the People's Mujahedeen of Iran. Raided in July 2009.";
    let (s, _) = app
        .patch_json(
            "/api/v1/topics/camp-ashraf",
            &author,
            &json!({"description": "Mine"}),
        )
        .await;
    assert_eq!(s, 403, "authors do not describe topics");
    let (s, _) = app
        .patch_json(
            "/api/v1/topics/nowhere",
            &token,
            &json!({"description": "x"}),
        )
        .await;
    assert_eq!(s, 404);
    let (s, long) = app
        .patch_json(
            "/api/v1/topics/camp-ashraf",
            &token,
            &json!({"description": "x".repeat(1001)}),
        )
        .await;
    assert_eq!(
        (s, long["error"]["field"].as_str()),
        (422, Some("description"))
    );
    let (s, topic) = app
        .patch_json(
            "/api/v1/topics/camp-ashraf",
            &token,
            &json!({"description": about}),
        )
        .await;
    assert_eq!(s, 200, "{topic}");
    crate::api_articles::conforms(&spec, "DescribedTopic", &topic);
    assert_eq!(topic["description"], about);
    // The page opens with it, and search engines read its first sentence.
    let (_, page) = app.get_text("/topics/camp-ashraf/").await;
    assert!(visible_text(&page).contains(about));
    let doc = scraper::Html::parse_document(&page);
    let meta = doc
        .select(&scraper::Selector::parse(r#"meta[name="description"]"#).unwrap())
        .next()
        .unwrap();
    assert_eq!(
        meta.value().attr("content"),
        Some("Home to about 3,400 members of the People's Mujahedeen of Iran.")
    );
    // The activity log says so, for the caches to come.
    let (_, log) = app
        .get_json("/api/v1/activity?kind=topic.updated", Some(&token))
        .await;
    assert_eq!(log["items"][0]["subject"]["type"], "topic");
    assert_eq!(log["items"][0]["payload"]["slug"], "camp-ashraf");
    // In the admin: the topics page, a refused description kept where it was typed.
    let (s, html) = crate::support::page(&app, &eve, "/admin/topics").await;
    assert_eq!(s, 200);
    assert!(visible_text(&html).contains(about));
    let csrf = crate::support::csrf(&app, &eve).await;
    let long = "y".repeat(1001);
    let r = eve
        .post(app.url("/admin/topics/camp-ashraf"))
        .form(&[("csrf", csrf.as_str()), ("description", long.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains(&long));
    let r = eve
        .post(app.url("/admin/topics/camp-ashraf"))
        .form(&[("csrf", csrf.as_str()), ("description", "Short now.")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, page) = app.get_text("/topics/camp-ashraf/").await;
    assert!(visible_text(&page).contains("Short now."));
    app.stop().await;
}
