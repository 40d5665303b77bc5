//! The intake's checks, each tripping and not: too many links and the word lists hold or mark
//! spam with their reasons, a duplicate is refused, the hidden field catches robots; the form
//! and the API record the same facts; staff are trusted; a held comment is shown to its writer
//! alone, never to anyone else or a cache.

use dateline_core::users::Role;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp, browser, visible_text};

both_backends!(
    links_and_word_lists_hold_or_spam_with_their_reasons,
    duplicates_are_refused_and_robots_fill_the_hidden_field,
    a_held_comment_is_shown_to_its_writer_alone,
    floods_are_refused_per_address_and_per_article_on_every_node,
);

async fn floods_are_refused_per_address_and_per_article_on_every_node(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let editor = app.editor_token().await;
    let article = app.publish(&editor, "Busy", json!({})).await;
    let a = article["id"].as_i64().unwrap();
    // Per article: with the address limit lifted, the article's own bucket (30 at once) holds.
    dateline_app::settings::change(
        &app.app,
        &dateline_core::actor::Actor::System,
        dateline_core::settings::SettingKey::CommentRateAddress,
        "100000",
    )
    .await
    .unwrap();
    let other = app.publish(&editor, "Busier", json!({})).await;
    let o = other["id"].as_i64().unwrap();
    let mut accepted = 0;
    let mut refused = 0;
    for i in 0..32 {
        let (s, _) = app
            .post_json(
                &format!("/api/v1/articles/{o}/comments"),
                None,
                &json!({"author_name": "Bob", "body": format!("Take {i}.")}),
            )
            .await;
        match s {
            201 => accepted += 1,
            429 => refused += 1,
            other => panic!("status {other}"),
        }
    }
    assert_eq!((accepted, refused), (30, 2));
    // Per address, at the default rate (lowering it clamps the bucket to the new burst).
    dateline_app::settings::change(
        &app.app,
        &dateline_core::actor::Actor::System,
        dateline_core::settings::SettingKey::CommentRateAddress,
        "20",
    )
    .await
    .unwrap();
    let second = app.another_node().await;
    let client = browser();
    // A person may post five in a row, on either node (the buckets live in the database).
    for i in 0..5 {
        let base = if i % 2 == 0 {
            app.url("")
        } else {
            second.base_url.clone()
        };
        let r = client
            .post(format!("{base}/api/v1/articles/{a}/comments"))
            .json(&json!({"author_name": "Ann", "body": format!("Point {i}.")}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "comment {i}");
    }
    // The sixth is refused with the time to wait, on either node, through the API ...
    for base in [app.url(""), second.base_url.clone()] {
        let r = client
            .post(format!("{base}/api/v1/articles/{a}/comments"))
            .json(&json!({"author_name": "Ann", "body": "One too many."}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 429);
        let wait: u64 = r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=180).contains(&wait), "{wait}");
    }
    // ... and through the form, which keeps what was typed.
    let r = app
        .send_comment_form(
            &client,
            a,
            &[("author_name", "Ann"), ("body", "Typed with care.")],
        )
        .await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let html = r.text().await.unwrap();
    assert!(visible_text(&html).contains("try again in"));
    assert!(html.contains(">Typed with care.</textarea>"));
    // Staff are not limited.
    let (s, _) = app
        .post_json(
            &format!("/api/v1/articles/{a}/comments"),
            Some(&editor),
            &json!({"author_name": "Desk", "body": "From the desk."}),
        )
        .await;
    assert_eq!(s, 201);

    second.stop().await.unwrap();
    app.stop().await;
}

async fn links_and_word_lists_hold_or_spam_with_their_reasons(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.allow_many_comments().await;
    let editor = app.editor_token().await;
    let (_, owner) = app
        .user_with_token("Olga", "olga@example.org", Role::Owner)
        .await;
    let article = app.publish(&editor, "Open", json!({})).await;
    let a = article["id"].as_i64().unwrap();

    // Two links pass; three are held, and say so.
    let (s, ok) = app
        .api_comment(
            a,
            json!({"author_name": "Ann", "body": "See https://a.org and www.b.org."}),
        )
        .await;
    assert_eq!((s, ok["status"].as_str()), (201, Some("approved")));
    let three = "Links: https://a.org http://b.org www.c.org";
    let (_, held) = app
        .api_comment(a, json!({"author_name": "Bob", "body": three}))
        .await;
    assert_eq!(held["status"], "pending");
    let held = app
        .moderation_item(&editor, held["id"].as_i64().unwrap())
        .await;
    assert_eq!(held["reasons"], json!(["3 links > 2"]));
    // The same text through the form records the same facts.
    let r = app
        .send_comment_form(
            &app.client,
            a,
            &[
                ("author_name", "Bob"),
                ("body", "Form links: https://a.org http://b.org www.c.org"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, queue) = app
        .get_json("/api/v1/comments?status=pending", Some(&editor))
        .await;
    let reasons: Vec<&Value> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["reasons"])
        .collect();
    assert_eq!(reasons, [&json!(["3 links > 2"]), &json!(["3 links > 2"])]);
    // Held ones are not on the page (for anyone but the form's writer, whose client this is).
    let page = browser()
        .get(app.url(&app.path_of(&article)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("www.c.org") && page.contains("www.b.org"));
    // The owner allows more links: the same count passes.
    let r = app
        .client
        .patch(app.url("/api/v1/settings"))
        .bearer_auth(&owner)
        .json(&json!({"comment_max_links": 3, "comment_hold_words": "casino*\n", "comment_spam_words": "cheap pills"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let (_, now_ok) = app
        .api_comment(
            a,
            json!({"author_name": "Bob", "body": "Again: https://a.org http://b.org www.c.org"}),
        )
        .await;
    assert_eq!(now_ok["status"], "approved");

    // Word lists: on the text, the name and the e-mail; spam outweighs a hold.
    for (body, status, reason) in [
        (
            json!({"author_name": "Cy", "body": "Our CASINOS pay out."}),
            "pending",
            "matched hold word 'casino*'",
        ),
        (
            json!({"author_name": "Cheap Pills", "body": "Hello there."}),
            "spam",
            "matched spam word 'cheap pills'",
        ),
        (
            json!({"author_name": "Di", "author_email": "casino@example.org", "body": "Hi all."}),
            "pending",
            "matched hold word 'casino*'",
        ),
        (
            json!({"author_name": "Ed", "body": "casino and cheap pills"}),
            "spam",
            "matched spam word 'cheap pills'",
        ),
    ] {
        let (s, c) = app.api_comment(a, body.clone()).await;
        assert_eq!((s, c["status"].as_str()), (201, Some(status)), "{body}");
        let m = app
            .moderation_item(&editor, c["id"].as_i64().unwrap())
            .await;
        assert_eq!(m["reasons"], json!([reason]), "{body}");
    }
    let (_, plain) = app
        .api_comment(
            a,
            json!({"author_name": "Fay", "body": "The occasion was grim."}),
        )
        .await;
    assert_eq!(plain["status"], "approved");
    // Staff are trusted: no check holds them.
    let (_, staff) = app
        .post_json(&format!("/api/v1/articles/{a}/comments"), Some(&editor), &json!({"author_name": "Desk", "body": "casino https://a.org https://b.org https://c.org https://d.org"}))
        .await;
    assert_eq!(staff["status"], "approved");
    app.stop().await;
}

async fn duplicates_are_refused_and_robots_fill_the_hidden_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let editor = app.editor_token().await;
    let article = app.publish(&editor, "Once", json!({})).await;
    let other = app.publish(&editor, "Twice", json!({})).await;
    let a = article["id"].as_i64().unwrap();
    let body = json!({"author_name": "Ann", "body": "Said once."});
    let (s, _) = app.api_comment(a, body.clone()).await;
    assert_eq!(s, 201);
    let (s, e) = app.api_comment(a, body.clone()).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("body")));
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already posted")
    );
    // Elsewhere it is new.
    let (s, _) = app.api_comment(other["id"].as_i64().unwrap(), body).await;
    assert_eq!(s, 201);
    // The form shows the refusal with what was typed.
    let r = app
        .send_comment_form(
            &app.client,
            a,
            &[("author_name", "Ann"), ("body", "Said once.")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(visible_text(&html).contains("You have already posted this comment here."));
    assert!(html.contains(">Said once.</textarea>"));

    // The hidden field: a person leaves it empty; a robot's comment is stored as spam, and the
    // robot is answered as if it had worked.
    let (_, page) = app.get_text(&app.path_of(&article)).await;
    assert!(page.contains(r#"<p class="hp" aria-hidden="true">"#));
    let r = app
        .send_comment_form(
            &app.client,
            a,
            &[
                ("author_name", "Bot"),
                ("body", "Great post!"),
                ("website", "https://spam.example"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, spam) = app
        .get_json("/api/v1/comments?status=spam", Some(&editor))
        .await;
    assert_eq!(spam["items"][0]["author_name"], "Bot");
    assert_eq!(
        spam["items"][0]["reasons"],
        json!(["filled in the hidden field that people leave empty"])
    );
    assert!(
        r.headers().get("set-cookie").is_none(),
        "spam is not shown to its sender"
    );
    let (_, page) = app.get_text(&app.path_of(&article)).await;
    assert!(!page.contains("Great post!"));
    app.stop().await;
}

async fn a_held_comment_is_shown_to_its_writer_alone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let editor = app.editor_token().await;
    let article = app.publish(&editor, "Held", json!({})).await;
    let a = article["id"].as_i64().unwrap();
    let path = app.path_of(&article);
    let writer = browser();
    let r = app
        .send_comment_form(
            &writer,
            a,
            &[
                ("author_name", "Ann"),
                ("body", "Mine: https://a.org https://b.org https://c.org"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("dateline_pending=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    // Its writer sees it, marked, on a page no cache may keep.
    let r = writer.get(app.url(&path)).send().await.unwrap();
    assert_eq!(r.headers()["cache-control"], "private, no-store");
    let html = r.text().await.unwrap();
    assert!(visible_text(&html).contains("Awaiting moderation"));
    assert!(html.contains("https://c.org"));
    // Nobody else does, and their page may be cached as usual.
    let r = browser().get(app.url(&path)).send().await.unwrap();
    assert_ne!(
        r.headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("private, no-store")
    );
    assert!(!r.text().await.unwrap().contains("https://c.org"));
    // A forged cookie names nothing.
    let (_, held) = app
        .get_json("/api/v1/comments?status=pending", Some(&editor))
        .await;
    let id = held["items"][0]["id"].as_i64().unwrap();
    let r = app
        .client
        .get(app.url(&path))
        .header("cookie", format!("dateline_pending={id}~0000"))
        .send()
        .await
        .unwrap();
    assert!(!r.text().await.unwrap().contains("https://c.org"));
    // Once approved, everyone sees it, and it is no longer marked.
    app.client
        .post(app.url(&format!("/api/v1/comments/{id}/approve")))
        .bearer_auth(&editor)
        .send()
        .await
        .unwrap();
    let html = writer
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!visible_text(&html).contains("Awaiting moderation"));
    let (_, html) = app.get_text(&path).await;
    assert!(html.contains("https://c.org"));
    app.stop().await;
}
