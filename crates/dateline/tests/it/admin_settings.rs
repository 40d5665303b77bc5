//! The owner's settings: changed on the settings page or through the API, checked as a whole
//! (one refused value changes nothing), recorded as events, and read by the next request on
//! every node without a restart: title, tagline, description, logo, time zone, date format,
//! language, base URL (links, cookies and HSTS follow it) and articles per page.

use std::time::Duration;

use dateline_core::users::Role;
use serde_json::{Value, json};

use crate::admin_articles::staff;
use crate::support::{Backend, Options, TestApp, csrf, jpeg, page, visible_text};

both_backends!(
    the_owner_changes_the_site_on_the_settings_page,
    one_refused_value_changes_nothing,
    settings_through_the_api_and_on_every_node,
);

fn settings_form<'a>(csrf: &'a str, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("csrf", csrf),
        ("title", "Dateline"),
        ("tagline", "News and analysis"),
        ("description", ""),
        ("logo", ""),
        ("time_zone", "UTC"),
        ("date_format", "month_day_year"),
        ("language", "en"),
        ("base_url", ""),
        ("articles_per_page", "10"),
        ("comment_max_links", "2"),
        ("comment_hold_words", ""),
        ("comment_spam_words", ""),
        ("comment_rate_address", "20"),
        ("comment_rate_article", "120"),
        ("comment_first_time", "hold_first_time"),
        ("comment_form_min_seconds", "3"),
        ("comment_form_max_hours", "24"),
        ("comment_max_chars", "5000"),
        ("comment_thread_depth", "4"),
        ("comment_order", "oldest"),
        ("comment_close_after_days", "0"),
        ("comment_forget_addresses_days", "90"),
        ("feed_content", "full"),
        ("menu", ""),
    ];
    for (k, v) in changes {
        form.iter_mut().find(|(f, _)| f == k).unwrap().1 = v;
    }
    form
}

async fn setting_events(app: &TestApp, token: &str) -> Vec<String> {
    let (s, page) = app
        .get_json(
            "/api/v1/activity?kind=setting.changed&limit=100",
            Some(token),
        )
        .await;
    assert_eq!(s, 200, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["payload"]["key"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_owner_changes_the_site_on_the_settings_page(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options::with_comment_defaults()).await;
    let (olive, token, _) = staff(&app, "Olive", Role::Owner).await;
    let c = csrf(&app, &olive).await;
    let (_, logo) =
        crate::support::upload(&app, &token, jpeg(120, 40), "masthead.jpg", "image/jpeg").await;
    let logo_id = logo["id"].to_string();
    app.publish(
        &token,
        "Iraqi troops raid Camp Ashraf",
        json!({"published_at": "2009-07-31T16:00:00Z"}),
    )
    .await;
    let article = app
        .publish(
            &token,
            "Second story",
            json!({"published_at": "2009-08-01T10:00:00Z"}),
        )
        .await;
    let before = setting_events(&app, &token).await.len();

    let (s, html) = page(&app, &olive, "/admin/settings").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("masthead.jpg"),
        "the logo is chosen from the library"
    );
    let form = settings_form(
        &c,
        &[
            ("title", "The Ashraf Monitor"),
            ("tagline", "Reporting on Diyala"),
            ("description", "Analysis of the news from Iraq."),
            ("logo", &logo_id),
            ("time_zone", "Asia/Baghdad"),
            ("date_format", "day_month_year"),
            ("articles_per_page", "1"),
        ],
    );
    let r = olive
        .post(app.url("/admin/settings"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/admin/settings?done=saved");

    // The next request shows it, without a restart.
    let (s, home) = app.get_text("/").await;
    assert_eq!(s, 200);
    let text = visible_text(&home);
    assert!(
        text.starts_with("The Ashraf Monitor Reporting on Diyala"),
        "{text}"
    );
    assert!(
        home.contains(r#"<meta name="description" content="Analysis of the news from Iraq.">"#)
    );
    assert!(home.contains(&format!(
            "src=\"/media/{}\"",
            logo["url"]
                .as_str()
                .unwrap()
                .rsplit("/media/")
                .next()
                .unwrap()
        )));
    // One article per page: the home page has a second page, then a third (the welcome article).
    assert!(home.contains("?page=2"));
    let (s, _) = app.get_text("/?page=3").await;
    assert_eq!(s, 200);
    let (s, _) = app.get_text("/?page=4").await;
    assert_eq!(s, 404);
    // Dates in the day-month format, in Baghdad's time (10:00 UTC is 14:00 there).
    let (_, story) = app.get_text(&app.path_of(&article)).await;
    assert!(
        visible_text(&story).contains("Saturday 1 August 2009"),
        "{}",
        visible_text(&story)
    );
    // Each changed key is one event; unchanged ones (language, base URL) are none.
    let events = setting_events(&app, &token).await;
    assert_eq!(events.len() - before, 7, "{events:?}");
    for key in [
        "title",
        "tagline",
        "description",
        "logo",
        "time_zone",
        "date_format",
        "articles_per_page",
    ] {
        assert!(events.iter().any(|e| e == key), "{key}");
    }
    // The logo is in use: the library will not delete it.
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/media/{}", logo["id"])))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);

    // Editors may not open the page.
    let (eve, _, _) = staff(&app, "Eve", Role::Editor).await;
    let (s, _) = page(&app, &eve, "/admin/settings").await;
    assert_eq!(s, 403);
    let (_, admin_home) = page(&app, &eve, "/admin").await;
    assert!(!admin_home.contains("href=\"/admin/settings\""));
    app.stop().await;
}

async fn one_refused_value_changes_nothing(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options::with_comment_defaults()).await;
    let (olive, token, _) = staff(&app, "Olive", Role::Owner).await;
    let c = csrf(&app, &olive).await;
    let before = setting_events(&app, &token).await.len();
    let form = settings_form(
        &c,
        &[("title", "A new name"), ("time_zone", "Mars/Olympus_Mons")],
    );
    let r = olive
        .post(app.url("/admin/settings"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(visible_text(&html).contains("Unknown time zone"), "{html}");
    // What was typed is still there, the bad field marked.
    assert!(html.contains(r#"value="A new name""#));
    assert!(html.contains(r#"id="time_zone" name="time_zone" type="text" required maxlength="64" value="Mars/Olympus_Mons" aria-invalid="true""#));
    let (_, home) = app.get_text("/").await;
    assert!(!home.contains("A new name"));
    assert_eq!(setting_events(&app, &token).await.len(), before);
    // Without the form's token nothing changes either.
    let form = settings_form("forged", &[("title", "A new name")]);
    let r = olive
        .post(app.url("/admin/settings"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let (_, home) = app.get_text("/").await;
    assert!(!home.contains("A new name"));
    app.stop().await;
}

async fn settings_through_the_api_and_on_every_node(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options::with_comment_defaults()).await;
    let (_, owner) = app
        .user_with_token("Olive", "olive@example.org", Role::Owner)
        .await;
    let editor = app.editor_token().await;
    let (s, current) = app.get_json("/api/v1/settings", Some(&editor)).await;
    assert_eq!(s, 200);
    assert_eq!(current["articles_per_page"], 10);
    assert_eq!(current["base_url"], "");
    let second = app.another_node().await;

    let patch = |token: String, body: Value| {
        let app = &app;
        async move {
            let r = app
                .client
                .patch(app.url("/api/v1/settings"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (s, _) = patch(editor.clone(), json!({"title": "Not yours"})).await;
    assert_eq!(s, 403);
    for (body, field) in [
        (json!({"articles_per_page": 0}), "articles_per_page"),
        (json!({"date_format": "yyyy"}), "date_format"),
        (json!({"base_url": "news.example.org"}), "base_url"),
        (json!({"logo_media_id": 999}), "logo_media_id"),
    ] {
        let (s, e) = patch(owner.clone(), body.clone()).await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some(field)),
            "{body}: {e}"
        );
    }
    let (s, e) = patch(owner.clone(), json!({"colour": "red"})).await;
    assert_eq!(s, 422, "{e}");

    let (s, changed) = patch(
        owner.clone(),
        json!({"title": "The Ashraf Monitor", "base_url": "https://news.example.org/"}),
    )
    .await;
    assert_eq!(s, 200, "{changed}");
    assert_eq!(changed["base_url"], "https://news.example.org");
    // Links made after the change use the new address, with HSTS and secure cookies.
    let article = app.publish(&editor, "Under a new address", json!({})).await;
    assert!(
        article["url"]
            .as_str()
            .unwrap()
            .starts_with("https://news.example.org/"),
        "{article}"
    );
    let r = app.get("/").await;
    assert!(r.headers().contains_key("strict-transport-security"));
    // The other node reads the title on its next request and learns the base URL from the
    // activity log's announcement (a few milliseconds; given up to ten seconds here).
    let client = reqwest::Client::new();
    let home = client
        .get(format!("{}/", second.base_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("The Ashraf Monitor"));
    let mut hsts = false;
    for _ in 0..100 {
        let r = client
            .get(format!("{}/", second.base_url))
            .send()
            .await
            .unwrap();
        if r.headers().contains_key("strict-transport-security") {
            hsts = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(hsts, "the second node never followed the base URL");
    // Cleared again: the server's own address.
    let (s, cleared) = patch(owner.clone(), json!({"base_url": ""})).await;
    assert_eq!((s, cleared["base_url"].as_str()), (200, Some("")));
    let r = app.get("/").await;
    assert!(!r.headers().contains_key("strict-transport-security"));
    second.stop().await.unwrap();
    app.stop().await;
}
