//! End to end: the seed article, created through the API, renders as the page it came from.

use dateline_core::users::Role;
use jiff::{Timestamp, tz::TimeZone};
use serde_json::{Value, json};

use crate::support::{
    Backend, Options, TestApp, fixture, jpeg, snapshot_settings, upload, visible_text,
    wait_for_variants,
};

both_backends!(seed_article_renders_as_the_original_page);

/// Whole calendar years from `then` to now in `tz`, computed apart from the code under test.
fn whole_years_since(then: Timestamp, tz: &TimeZone) -> i64 {
    let (t, n) = (
        then.to_zoned_datetime(tz.clone()),
        Timestamp::now().to_zoned_datetime(tz.clone()),
    );
    let mut years = i64::from(n.year() - t.year());
    if (n.month(), n.day(), n.time()) < (t.month(), t.day(), t.time()) {
        years -= 1;
    }
    years
}

async fn seed_article_renders_as_the_original_page(backend: Backend) {
    let seed: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("seed-article/article.json")).unwrap(),
    )
    .unwrap();
    let page_txt = std::fs::read_to_string(fixture("seed-article/page.txt")).unwrap();
    let tz_name = seed["site_time_zone"].as_str().unwrap();
    let app = TestApp::spawn_with(
        backend,
        Options {
            time_zone: Some(tz_name.to_owned()),
            ..Default::default()
        },
    )
    .await;
    let editor = app.editor_token().await;
    app.user_with_token(
        seed["author"]["name"].as_str().unwrap(),
        "noel@example.org",
        Role::Author,
    )
    .await;

    let (s, media) = upload(
        &app,
        &editor,
        jpeg(600, 400),
        "camp-ashraf.jpg",
        "image/jpeg",
    )
    .await;
    assert_eq!(s, 201, "{media}");
    // The page offers the responsive copies the background job makes: wait for them, so that
    // the page is the same on every run.
    wait_for_variants(&app, &editor, media["id"].as_i64().unwrap()).await;
    let paragraphs: Vec<&str> = seed["body_paragraphs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let sources: Vec<Value> = seed["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| json!({"title": s["title"], "author": s["author"], "outlet": s["outlet"]}))
        .collect();
    let (s, article) = app
        .post_json(
            "/api/v1/articles",
            Some(&editor),
            &json!({
                "title": seed["title"],
                "body_markdown": paragraphs.join("\n\n"),
                "status": "published",
                "published_at": seed["published_at"],
                "author_email": "noel@example.org",
                "lead_image": {"media_id": media["id"], "caption": seed["lead_image"]["caption"], "alt": seed["lead_image"]["alt"]},
                "sources": sources,
                "topics": seed["topics"],
            }),
        )
        .await;
    assert_eq!(s, 201, "{article}");
    let comment = &seed["comments"][0];
    let (s, c) = app
        .post_json(
            &format!("/api/v1/articles/{}/comments", article["id"]),
            Some(&editor),
            &json!({"author_name": comment["author_name"], "body": comment["body"], "created_at": comment["posted_at"], "status": "approved"}),
        )
        .await;
    assert_eq!(s, 201, "{c}");

    let url = article["url"].as_str().unwrap();
    assert_eq!(
        url,
        app.url("/2009/07/31/why-is-iraq-attacking-iranian-opposition/")
    );
    let (status, html) = app.get_text(url.strip_prefix(&app.base).unwrap()).await;
    assert_eq!(status, 200);
    // The page and the API resource as a whole, reviewed as a diff when they change; the same
    // snapshot on both databases.
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("seed_article_page", html);
        insta::assert_json_snapshot!("seed_article_api", article, {
            ".id" => "[id]",
            ".author.id" => "[id]",
            ".lead_image.media_id" => "[id]",
            ".created_at" => "[time]",
            ".updated_at" => "[time]",
        });
    });
    let text = visible_text(&html);

    let posted: Timestamp = comment["posted_at"].as_str().unwrap().parse().unwrap();
    let age = format!(
        "{} years ago",
        whole_years_since(posted, &TimeZone::get(tz_name).unwrap())
    );
    let mut at = 0;
    for line in page_txt.lines() {
        let block = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if block.is_empty() {
            continue;
        }
        let block = block.replace(comment["shown_when_read_in_2024"].as_str().unwrap(), &age);
        match text[at..].find(&block) {
            Some(i) => at += i + block.len(),
            None => panic!("{block:?} is missing or out of order after byte {at} of:\n{text}"),
        }
    }
    for topic in seed["topics"].as_array().unwrap() {
        assert!(text.contains(topic.as_str().unwrap()));
    }
    app.stop().await;
}
