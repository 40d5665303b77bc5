//! Reader pages, through a real server.

use dateline_core::users::Role;
use serde_json::json;

use crate::support::{Backend, Options, TestApp, fixture, visible_text};

both_backends!(
    first_start_has_a_welcome_article_and_a_one_time_setup_link,
    article_page_shows_everything_in_order,
    drafts_and_scheduled_articles_stay_hidden,
    deleted_articles_answer_gone,
    lists_paginate_and_filter,
    comment_form_posts_without_javascript,
    comment_form_errors_keep_what_was_typed,
    a_comment_sent_to_a_moved_address_is_kept,
    the_configured_time_zone_is_only_the_first_value,
    reader_html_is_always_escaped,
    theme_folder_overrides_templates,
);

async fn first_start_has_a_welcome_article_and_a_one_time_setup_link(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, home) = app.get_text("/").await;
    assert_eq!(status, 200);
    assert!(home.contains("Welcome to Dateline"), "{home}");
    assert!(home.contains("1 comment"));

    let (_, system_author) = app.get_text("/authors/dateline/").await;
    assert!(
        system_author.contains("The Dateline publishing system"),
        "the author page shows the bio"
    );
    assert!(system_author.contains("Welcome to Dateline"));

    let setup = app
        .running
        .as_ref()
        .unwrap()
        .setup_url
        .clone()
        .expect("setup link while no owner");
    let path = setup.strip_prefix(&app.base).unwrap().to_owned();
    let token = path.split("token=").nth(1).unwrap().to_owned();
    assert_eq!(app.get("/setup").await.status(), 404);
    assert_eq!(app.get("/setup?token=wrong").await.status(), 404);
    let (status, form) = app.get_text(&path).await;
    assert_eq!(status, 200);
    assert!(form.contains("<label for=\"password\">"));
    let form_token = crate::support::form_token(&form);

    // Without the form token of the page (a form forged elsewhere), nothing happens.
    let forged = app
        .client
        .post(app.url("/setup"))
        .form(&[
            ("token", token.as_str()),
            ("name", "Mallory"),
            ("email", "mallory@example.org"),
            ("password", "long enough password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(!app.db.owner_exists().await.unwrap());

    let post = |mut fields: Vec<(&'static str, String)>| {
        let client = app.client.clone();
        let url = app.url("/setup");
        fields.push(("form_token", form_token.clone()));
        async move { client.post(url).form(&fields).send().await.unwrap() }
    };
    let short = post(vec![
        ("token", token.clone()),
        ("name", "Olive".into()),
        ("email", "olive@example.org".into()),
        ("password", "short".into()),
    ])
    .await;
    assert_eq!(short.status(), 422);
    let body = short.text().await.unwrap();
    assert!(
        body.contains("at least 10 characters") && body.contains("olive@example.org"),
        "{body}"
    );

    let cross_site = app
        .client
        .post(app.url("/setup"))
        .header("Origin", "https://evil.example")
        .form(&[
            ("token", token.as_str()),
            ("name", "Olive"),
            ("email", "olive@example.org"),
            ("password", "long enough password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    assert_eq!(
        app.get("/setup/done").await.status(),
        404,
        "no owner yet, nothing is done"
    );

    // A malformed POST gets the themed page, not a plain-text rejection.
    let malformed = app
        .client
        .post(app.url("/setup"))
        .header("Content-Type", "application/json")
        .body("{\"token\": 1}")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 422);
    assert!(
        malformed.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        malformed
            .text()
            .await
            .unwrap()
            .contains("Please check what you entered")
    );

    let ok = post(vec![
        ("token", token.clone()),
        ("name", "Olive Owner".into()),
        ("email", "olive@example.org".into()),
        ("password", "long enough password".into()),
    ])
    .await;
    // A redirect after the POST, so that reloading the page does not send the form again.
    assert_eq!(ok.status(), 303);
    assert_eq!(ok.headers()["location"], "/setup/done");
    let (status, done) = app.get_text("/setup/done").await;
    assert_eq!(status, 200);
    assert!(done.contains("Your site is ready"), "{done}");
    let owner = app
        .db
        .user_by_email("olive@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(owner.role, Role::Owner);
    let hash = app.db.password_hash(owner.id).await.unwrap().unwrap();
    assert!(hash.starts_with("$argon2id$") && !hash.contains("long enough"));

    // The link worked once.
    assert_eq!(app.get(&path).await.status(), 404);
    let again = post(vec![
        ("token", token),
        ("name", "Mallory".into()),
        ("email", "m@example.org".into()),
        ("password", "long enough password".into()),
    ])
    .await;
    assert_eq!(again.status(), 404);
    assert!(
        app.db
            .user_by_email("m@example.org")
            .await
            .unwrap()
            .is_none()
    );
    app.stop().await;
}

async fn article_page_shows_everything_in_order(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            time_zone: Some("America/Los_Angeles".into()),
            ..Default::default()
        },
    )
    .await;
    let (_, token) = app
        .user_with_token("Noel Brinkerhoff", "noel@example.org", Role::Author)
        .await;
    let (status, media) = crate::support::upload(
        &app,
        &token,
        crate::support::jpeg(640, 427),
        "ashraf.jpg",
        "image/jpeg",
    )
    .await;
    assert_eq!(status, 201, "{media}");
    let article = app
        .publish(
            &token,
            "Camp Ashraf",
            json!({
                "dek": "What happened at the camp.",
                "published_at": "2009-07-31T21:30:00-07:00",
                "body_markdown": "First *paragraph*.\n\nSecond paragraph.",
                "lead_image": {"media_id": media["id"], "caption": "Iranian women at Camp Ashraf", "alt": "Women in a courtyard", "credit": "Photo: Reuters"},
                "sources": [
                    {"title": "Full source", "author": "Timothy Williams", "outlet": "New York Times", "url": "https://www.nytimes.com/2009/07/29/world/middleeast/29iraq.html"},
                    {"title": "Outlet only", "outlet": "Washington Post"},
                    {"title": "Author only", "author": "Jane Doe"},
                    {"title": "Title only"}
                ],
                "topics": ["Iraq", "Camp Ashraf"]
            }),
        )
        .await;
    // 21:30 in Los Angeles is already August 1 in UTC: the URL and dateline use the site's zone.
    let url = article["url"].as_str().unwrap();
    assert_eq!(url, app.url("/2009/07/31/camp-ashraf/"));
    let (status, html) = app.get_text("/2009/07/31/camp-ashraf/").await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("<h1").count(), 1);
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains(&format!("<link rel=\"canonical\" href=\"{url}\">")));
    assert!(
        html.contains("<time datetime=\"2009-08-01T04:30:00Z\">Friday, July 31, 2009</time>"),
        "{html}"
    );
    assert!(html.contains("<figure class=\"lead-image\">"));
    assert!(html.contains("width=\"640\" height=\"427\" alt=\"Women in a courtyard\""));
    assert!(html.contains("<figcaption>Iranian women at Camp Ashraf <span class=\"credit\">Photo: Reuters</span></figcaption>"));
    assert!(html.contains("<p>First <em>paragraph</em>.</p>"));
    assert!(
        html.contains(
            "-<a href=\"/authors/noel-brinkerhoff/\" rel=\"author\">Noel Brinkerhoff</a>"
        )
    );
    assert!(html.contains("<a href=\"https://www.nytimes.com/2009/07/29/world/middleeast/29iraq.html\" rel=\"noopener\">Full source</a> (by Timothy Williams, <a href=\"/sources/new-york-times/\">New York Times</a>)"));
    let text = visible_text(&html);
    for expected in [
        "Camp Ashraf",
        "Friday, July 31, 2009",
        "Iranian women at Camp Ashraf Photo: Reuters",
        "First paragraph. Second paragraph.",
        "-Noel Brinkerhoff",
        "Full source (by Timothy Williams, New York Times)",
        "Outlet only (Washington Post)",
        "Author only (by Jane Doe)",
        "Title only",
        "Comments",
        "No comments yet.",
        "Leave a comment",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in {text}");
    }
    let order: Vec<usize> = [
        "Friday, July 31",
        "Iranian women",
        "First paragraph",
        "-Noel",
        "Full source",
        "Comments",
        "Leave a comment",
    ]
    .iter()
    .map(|s| text.find(s).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");

    // Nothing is fetched from another host: every source of an image or script, and every
    // linked stylesheet or icon, is on this site.
    let doc = scraper::Html::parse_document(&html);
    let loaded = scraper::Selector::parse("[src], link[href]:not([rel=canonical])").unwrap();
    for el in doc.select(&loaded) {
        let url = el.value().attr("src").or(el.value().attr("href")).unwrap();
        assert!(
            url.starts_with('/') && !url.starts_with("//"),
            "{url} is not local"
        );
    }

    // The image and its thumbnail are served.
    let img = app.get(&app.path_of(&media)).await;
    assert_eq!(img.headers()["content-type"], "image/jpeg");
    assert_eq!(
        img.bytes().await.unwrap().len(),
        crate::support::jpeg(640, 427).len()
    );
    let (_, home) = app.get_text("/").await;
    let doc = scraper::Html::parse_document(&home);
    let thumb = doc
        .select(&scraper::Selector::parse(".teaser-image img").unwrap())
        .next()
        .expect("a thumbnail on the home page");
    let attr = |name| thumb.value().attr(name).unwrap_or_default();
    assert!(attr("src").ends_with("-w480.jpg"), "{home}");
    assert_eq!((attr("width"), attr("height")), ("480", "320"));

    // A stale date redirects to the canonical URL; a missing slash is added.
    let r = app.get("/2009/08/01/camp-ashraf/").await;
    assert_eq!(
        (
            r.status().as_u16(),
            r.headers()["location"].to_str().unwrap()
        ),
        (301, "/2009/07/31/camp-ashraf/")
    );
    let r = app.get("/2009/07/31/camp-ashraf").await;
    assert_eq!(
        (
            r.status().as_u16(),
            r.headers()["location"].to_str().unwrap()
        ),
        (308, "/2009/07/31/camp-ashraf/")
    );
    // Topic and author pages.
    let (status, topic) = app.get_text("/topics/camp-ashraf/").await;
    assert!(
        status == 200
            && topic.contains("Camp Ashraf")
            && topic.contains("/2009/07/31/camp-ashraf/")
    );
    let (status, author) = app.get_text("/authors/noel-brinkerhoff/").await;
    assert!(
        status == 200
            && author.contains("<h1>Noel Brinkerhoff</h1>")
            && author.contains("/2009/07/31/camp-ashraf/")
    );
    assert_eq!(app.get("/topics/nothing-here/").await.status(), 404);
    assert_eq!(app.get("/authors/nobody/").await.status(), 404);
    app.stop().await;
}

async fn drafts_and_scheduled_articles_stay_hidden(backend: Backend) {
    let (app, clock) = TestApp::spawn_at(backend, "2024-05-01T12:00:00Z").await;
    let token = app.editor_token().await;
    let (s, _) = app
        .post_json("/api/v1/articles", Some(&token), &json!({"title": "Secret draft", "body_markdown": "x", "status": "draft", "published_at": "2024-04-01T00:00:00Z"}))
        .await;
    assert_eq!(s, 201);
    let (s, sched) = app
        .post_json("/api/v1/articles", Some(&token), &json!({"title": "Embargoed", "body_markdown": "x", "status": "scheduled", "published_at": "2024-05-01T14:00:00Z"}))
        .await;
    assert_eq!(s, 201);
    for path in [
        "/2024/04/01/secret-draft/",
        "/2024/05/01/embargoed/",
        "/2024/04/01/",
        "/2024/04/",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
    let (_, home) = app.get_text("/").await;
    assert!(!home.contains("Secret draft") && !home.contains("Embargoed"));
    let (s, _) = app
        .get_json(&format!("/api/v1/articles/{}", sched["id"]), None)
        .await;
    assert_eq!(s, 404);
    let (_, list) = app.get_json("/api/v1/articles", None).await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["status"] == "published")
    );

    clock.set("2024-05-01T14:00:00Z".parse().unwrap());
    assert_eq!(app.get("/2024/05/01/embargoed/").await.status(), 200);
    let (_, day) = app.get_text("/2024/05/01/").await;
    assert!(day.contains("Embargoed"));
    assert_eq!(app.get("/2024/04/01/secret-draft/").await.status(), 404);
    // Once due, editing it keeps it published.
    let (s, edited) = app
        .patch_json(
            &format!("/api/v1/articles/{}", sched["id"]),
            &token,
            &json!({"dek": "Now public."}),
        )
        .await;
    assert_eq!(
        (s, edited["status"].as_str()),
        (200, Some("published")),
        "{edited}"
    );
    app.stop().await;
}

async fn deleted_articles_answer_gone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;
    let a = app.publish(&token, "Short lived", json!({})).await;
    let path = app.path_of(&a);
    assert_eq!(app.get(&path).await.status(), 200);
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/articles/{}", a["id"])))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (status, html) = app.get_text(&path).await;
    assert_eq!(status, 410);
    assert!(html.contains("This article has been removed"));
    let (status, html) = app.get_text("/no/such/page/here/at/all").await;
    assert_eq!(status, 404);
    assert!(
        html.contains("Page not found") && html.contains("Go to the front page"),
        "{html}"
    );
    assert!(
        html.contains("Welcome to Dateline"),
        "a 404 suggests the latest articles"
    );
    app.stop().await;
}

async fn lists_paginate_and_filter(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;
    for day in 1..=12 {
        app.publish(
            &token,
            &format!("Story {day}"),
            json!({"published_at": format!("2020-03-{day:02}T12:00:00Z"), "topics": ["Elections"]}),
        )
        .await;
    }
    let (s, p1) = app.get_text("/").await;
    assert_eq!(s, 200);
    assert!(
        p1.contains("Welcome to Dateline") && p1.contains("Story 12") && !p1.contains("Story 2<")
    );
    assert!(p1.contains("href=\"/?page=2\" rel=\"next\""));
    let (s, p2) = app.get_text("/?page=2").await;
    assert_eq!(s, 200);
    assert!(
        p2.contains("Story 1<")
            && p2.contains("href=\"/\" rel=\"prev\"")
            && !p2.contains("rel=\"next\"")
    );
    for bad in ["/?page=3", "/?page=0", "/?page=x"] {
        assert_eq!(app.get(bad).await.status(), 404, "{bad}");
    }
    let (_, topic) = app.get_text("/topics/elections/?page=2").await;
    assert!(topic.contains("Story 2<") && topic.contains("Page 2 of 2"));
    let (s, year) = app.get_text("/2020/").await;
    assert!(s == 200 && year.contains("Articles from 2020"));
    let (s, month) = app.get_text("/2020/03/").await;
    assert!(s == 200 && month.contains("Articles from March 2020"));
    let (s, day) = app.get_text("/2020/03/05/").await;
    assert!(s == 200 && day.contains("Story 5<") && !day.contains("Story 6<"));
    for bad in ["/2020/13/", "/2020/02/30/", "/1999/", "/20x0/", "/2020/3/"] {
        assert_eq!(app.get(bad).await.status(), 404, "{bad}");
    }
    app.stop().await;
}

async fn comment_form_posts_without_javascript(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;
    let a = app.publish(&token, "Discuss", json!({})).await;
    let path = app.path_of(&a);
    let r = app
        .client
        .post(app.url(&format!("{path}comments")))
        .header("User-Agent", "TestBrowser/1.0")
        .form(&[
            (
                "form_token",
                app.comment_token(a["id"].as_i64().unwrap()).as_str(),
            ),
            ("author_name", "ali"),
            ("author_email", "ali@private.example"),
            (
                "body",
                "First line\nsecond line\n\nSee https://example.org/report.",
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    // The page of comments that holds the new one, at its anchor.
    let (path_part, anchor) = location.split_once('#').unwrap();
    assert_eq!(
        path_part,
        format!("{path}?c={}", &anchor["comment-".len()..])
    );
    let (_, html) = app.get_text(path_part).await;
    assert!(html.contains(&format!("id=\"{anchor}\"")));
    assert!(html.contains("<bdi class=\"comment-author\" dir=\"auto\">ali</bdi>"));
    assert!(html.contains("just now"));
    assert!(html.contains("<p dir=\"auto\">First line<br>\nsecond line</p>"));
    assert!(html.contains("<a href=\"https://example.org/report\" rel=\"nofollow ugc noopener\">https://example.org/report</a>."));
    assert!(
        !html.contains("ali@private.example"),
        "commenter e-mail must never be shown"
    );
    let (_, api) = app
        .get_json(&format!("/api/v1/articles/{}/comments", a["id"]), None)
        .await;
    assert!(!api.to_string().contains("private.example"));
    let id: i64 = anchor.trim_start_matches("comment-").parse().unwrap();
    let stored_hash = app.db.comment_ip_hash(id).await.unwrap().unwrap();
    assert!(!stored_hash.contains("127.0.0.1") && stored_hash.len() == 64);
    app.stop().await;
}

async fn comment_form_errors_keep_what_was_typed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;
    let a = app.publish(&token, "Errors", json!({})).await;
    let path = app.path_of(&a);
    let cases = [
        (
            ("", "a@example.org", "My long thoughts"),
            "Your name is required.",
            "author_name",
        ),
        (
            ("ali", "not-an-email", "My long thoughts"),
            "Enter an e-mail address such as name@example.org.",
            "author_email",
        ),
        (("ali", "", "   "), "The comment is required.", "body"),
    ];
    let (_, page) = app.get_text(&path).await;
    let action = format!("/articles/{}/comments", a["id"]);
    assert!(
        page.contains(&format!("action=\"{action}\"")),
        "the form posts to an address that cannot go stale"
    );
    for ((name, email, body), message, field) in cases {
        let r = app
            .client
            .post(app.url(&action))
            .form(&[
                ("author_name", name),
                ("author_email", email),
                ("body", body),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains(message), "{message}: {html}");
        // The message names the field, and focus moves to it when the page loads.
        assert!(
            html.contains(&format!(
                "role=\"alert\" id=\"form-error\" tabindex=\"-1\" autofocus>{message}</p>"
            )),
            "{html}"
        );
        assert!(
            html.contains(&format!("id=\"{field}\"")) && html.contains("aria-invalid=\"true\"")
        );
        if !body.trim().is_empty() {
            assert!(html.contains(body), "typed text kept");
        }
    }
    assert_eq!(
        app.db
            .approved_comments(a["id"].as_i64().unwrap())
            .await
            .unwrap()
            .len(),
        0
    );
    let not_a_form = app
        .client
        .post(app.url(&action))
        .json(&json!({"author_name": "a", "body": "b"}))
        .send()
        .await
        .unwrap();
    assert_eq!(not_a_form.status(), 422);
    assert!(
        not_a_form
            .text()
            .await
            .unwrap()
            .contains("Please check what you entered")
    );
    let too_long = "x".repeat(10_001);
    let r = app
        .client
        .post(app.url(&action))
        .form(&[("author_name", "a"), ("body", too_long.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    app.stop().await;
}

/// A page rendered before the site's time zone changed posts its comment to the article's old
/// dated address: the comment is stored, and the reader sent to it at the new address.
async fn a_comment_sent_to_a_moved_address_is_kept(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            time_zone: Some("Pacific/Kiritimati".into()),
            ..Default::default()
        },
    )
    .await;
    let token = app.editor_token().await;
    // 23:00 UTC is the next day at UTC+14.
    let a = app
        .publish(
            &token,
            "Late Night",
            json!({"published_at": "2024-05-01T23:00:00Z"}),
        )
        .await;
    let old_path = app.path_of(&a);
    assert_eq!(old_path, "/2024/05/02/late-night/");
    dateline_app::settings::change(
        &app.app,
        &dateline_core::actor::Actor::System,
        dateline_core::settings::SettingKey::TimeZone,
        "UTC",
    )
    .await
    .unwrap();
    for (i, target) in [
        format!("{old_path}comments"),
        format!("/articles/{}/comments", a["id"]),
    ]
    .iter()
    .enumerate()
    {
        let body = format!("Still here {i}");
        let r = app
            .client
            .post(app.url(target))
            .form(&[
                (
                    "form_token",
                    app.comment_token(a["id"].as_i64().unwrap()).as_str(),
                ),
                ("author_name", "ali"),
                ("body", body.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{target}");
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            location.starts_with("/2024/05/01/late-night/?c="),
            "{location}"
        );
        let (_, html) = app.get_text("/2024/05/01/late-night/").await;
        assert!(html.contains(&body));
    }
    app.stop().await;
}

/// `--time-zone` gives a new site its time zone; a later change to the setting is not overruled
/// when the server starts again with the same configuration.
async fn the_configured_time_zone_is_only_the_first_value(backend: Backend) {
    let mut app = TestApp::spawn_with(
        backend,
        Options {
            time_zone: Some("Europe/Paris".into()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        app.db.site_settings().await.unwrap().time_zone,
        "Europe/Paris"
    );
    dateline_app::settings::change(
        &app.app,
        &dateline_core::actor::Actor::System,
        dateline_core::settings::SettingKey::TimeZone,
        "Asia/Tehran",
    )
    .await
    .unwrap();
    app.stop_server().await;
    app.start_again().await;
    assert_eq!(app.config.time_zone.as_deref(), Some("Europe/Paris"));
    assert_eq!(
        app.db.site_settings().await.unwrap().time_zone,
        "Asia/Tehran"
    );
    app.stop().await;
}

async fn reader_html_is_always_escaped(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.allow_many_comments().await;
    // Long comments, so that the whole list fits in a few.
    dateline_app::settings::change(
        &app.app,
        &dateline_core::actor::Actor::System,
        dateline_core::settings::SettingKey::CommentMaxChars,
        "10000",
    )
    .await
    .unwrap();
    let token = app.editor_token().await;
    let a = app.publish(&token, "Payloads", json!({})).await;
    let id = a["id"].as_i64().unwrap();
    let payloads = std::fs::read_to_string(fixture("xss/payloadbox.txt")).unwrap();
    let lines: Vec<&str> = payloads.lines().filter(|l| !l.trim().is_empty()).collect();
    // Every payload, in comments of up to 9,000 characters, plus each of the first 20 as a name.
    let mut chunks = vec![String::new()];
    for line in &lines {
        let current = chunks.last_mut().unwrap();
        if current.chars().count() + line.chars().count() > 9_000 {
            chunks.push(String::new());
        }
        let current = chunks.last_mut().unwrap();
        current.push_str(line);
        current.push('\n');
    }
    for chunk in &chunks {
        let (s, body) = app
            .post_json(
                &format!("/api/v1/articles/{id}/comments"),
                None,
                &json!({"author_name": "x", "body": chunk}),
            )
            .await;
        assert_eq!(s, 201, "{body}");
    }
    for (i, name) in lines.iter().take(20).enumerate() {
        let name: String = name.chars().take(80).collect();
        let (s, _) = app
            .post_json(
                &format!("/api/v1/articles/{id}/comments"),
                None,
                &json!({"author_name": name, "body": format!("hi {i}")}),
            )
            .await;
        assert_eq!(s, 201);
    }
    // Payloads full of links are held; a moderator lets every one through, to be rendered.
    loop {
        let (_, queue) = app
            .get_json("/api/v1/comments?status=pending&per_page=100", Some(&token))
            .await;
        let held = queue["items"].as_array().unwrap();
        if held.is_empty() {
            break;
        }
        for c in held {
            let r = app
                .client
                .post(app.url(&format!("/api/v1/comments/{}/approve", c["id"])))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
    }
    let path = app.path_of(&a);
    let (_, html) = app.get_text(&path).await;
    let doc = scraper::Html::parse_document(&html);
    // What readers wrote: the bodies' markup and the names.
    let comments = scraper::Selector::parse(".comment-body *, .comment-author *").unwrap();
    let mut elements = 0;
    for el in doc.select(&comments) {
        elements += 1;
        let name = el.value().name();
        assert!(
            matches!(
                name,
                "li" | "p"
                    | "br"
                    | "a"
                    | "em"
                    | "strong"
                    | "code"
                    | "blockquote"
                    | "ul"
                    | "ol"
                    | "del"
            ),
            "unexpected element <{name}>"
        );
        for (attr, value) in el.value().attrs() {
            assert!(
                matches!(attr, "dir" | "href" | "rel"),
                "unexpected attribute {attr}"
            );
            if attr == "href" {
                // Links readers wrote: only the web and mail, never script.
                assert!(
                    ["http://", "https://", "mailto:"]
                        .iter()
                        .any(|s| value.starts_with(s)),
                    "{value}"
                );
            }
        }
    }
    assert!(elements > 100);
    let text = visible_text(&html);
    assert!(text.contains(&lines[0].split_whitespace().collect::<Vec<_>>().join(" ")));
    app.stop().await;
}

async fn theme_folder_overrides_templates(backend: Backend) {
    let theme = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(theme.path().join("templates")).unwrap();
    std::fs::create_dir_all(theme.path().join("static")).unwrap();
    let base = include_str!("../../../dateline-web/templates/base.html").replace(
        "<footer class=\"site-footer\">",
        "<footer class=\"site-footer\"><p>Restyled by a theme</p>",
    );
    std::fs::write(theme.path().join("templates/base.html"), base).unwrap();
    std::fs::write(
        theme.path().join("static/style.css"),
        "body { color: teal }",
    )
    .unwrap();
    let app = TestApp::spawn_with(
        backend,
        Options {
            theme_dir: Some(theme.path().to_path_buf()),
            ..Default::default()
        },
    )
    .await;
    let (_, home) = app.get_text("/").await;
    assert!(home.contains("Restyled by a theme"));
    let (_, css) = app.get_text("/static/style.css").await;
    assert_eq!(css, "body { color: teal }");
    // Pages link the theme's own file by its fingerprint, kept for good; the bare address
    // (an old link) is kept five minutes, and so is a stale fingerprint.
    let href = scraper::Html::parse_document(&home)
        .select(&scraper::Selector::parse(r#"link[rel="stylesheet"]"#).unwrap())
        .next()
        .unwrap()
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    assert!(href.starts_with("/static/style.css?v="), "{href}");
    let linked = app.get(&href).await;
    assert_eq!(
        linked.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(linked.text().await.unwrap(), "body { color: teal }");
    for bare in ["/static/style.css", "/static/style.css?v=0000000000000000"] {
        assert_eq!(
            app.get(bare).await.headers()["cache-control"],
            "public, max-age=300",
            "{bare}"
        );
    }
    // Files the theme does not override come from the built-in theme.
    let favicon = app.get("/static/favicon.svg").await;
    assert_eq!(favicon.headers()["content-type"], "image/svg+xml");
    assert_eq!(app.get("/static/..%2Fsecret").await.status(), 404);
    app.stop().await;
}

both_backends!(public_pages_answer_conditional_requests);

async fn public_pages_answer_conditional_requests(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;
    let article = app.publish(&token, "Tagged", json!({})).await;
    let path = app.path_of(&article);
    for page in ["/", path.as_str(), "/topics/", "/search?q=tagged"] {
        let r = app.get(page).await;
        assert_eq!(r.status(), 200, "{page}");
        assert_eq!(
            r.headers()["cache-control"],
            "public, max-age=0, s-maxage=5",
            "{page}"
        );
        let tag = r.headers()["etag"].to_str().unwrap().to_owned();
        let again = app
            .client
            .get(app.url(page))
            .header("if-none-match", &tag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{page}");
        assert_eq!(again.headers()["etag"].to_str().unwrap(), tag);
        assert!(again.text().await.unwrap().is_empty());
    }
    // A new comment changes the page, and its tag: the old copy is no longer current.
    let r = app.get(&path).await;
    let tag = r.headers()["etag"].to_str().unwrap().to_owned();
    let id = article["id"].as_i64().unwrap();
    let (s, _) = app
        .api_comment(id, json!({"author_name": "Ann", "body": "Seen at once."}))
        .await;
    assert_eq!(s, 201);
    let again = app
        .client
        .get(app.url(&path))
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert!(again.text().await.unwrap().contains("Seen at once."));
    app.stop().await;
}
