//! Hostile input gets a 4xx answer, never a 5xx, and nothing half-stored, on both databases.

use dateline_core::users::Role;
use serde_json::json;

use crate::support::{Backend, TestApp};

both_backends!(
    control_characters_are_refused_or_not_found,
    huge_page_numbers_are_refused,
    forms_that_are_not_utf8_or_too_large_are_refused,
    authors_and_contributors_read_only_their_own_unpublished_articles,
);

async fn control_characters_are_refused_or_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;
    let a = app.publish(&token, "Plain", json!({})).await;
    for path in [
        "/topics/a%00b/",
        "/authors/a%00b/",
        "/2009/07/31/a%00b/",
        "/topics/%C2%85/",
        "/api/v1/articles/1%00",
    ] {
        let (s, _) = app.get_text(path).await;
        assert_eq!(s, 404, "{path}");
    }
    let (s, e) = app.get_json("/api/v1/articles?author=%00", None).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("author")),
        "{e}"
    );
    let (s, e) = app.get_json("/api/v1/articles?topic=a%00b", None).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("topic")),
        "{e}"
    );
    let (s, e) = app.get_json("/api/v1/articles?topic=", None).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("topic")),
        "{e}"
    );
    let comments = format!("/api/v1/articles/{}/comments", a["id"]);
    let (s, e) = app
        .post_json(
            &comments,
            None,
            &json!({"author_name": "a", "body": "x\u{0}y"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("body")),
        "{e}"
    );
    let r = app
        .client
        .post(app.url(&format!("/articles/{}/comments", a["id"])))
        .form(&[("author_name", "a\u{0}b"), ("body", "Hello")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Your name contains control characters")
    );
    assert!(
        app.db
            .approved_comments(a["id"].as_i64().unwrap())
            .await
            .unwrap()
            .is_empty()
    );
    app.stop().await;
}

async fn huge_page_numbers_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for page in ["4611686018427387905", "100001", "-1", "0"] {
        let (s, e) = app
            .get_json(&format!("/api/v1/articles?page={page}"), None)
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("page")),
            "{page}: {e}"
        );
    }
    let (s, _) = app.get_json("/api/v1/articles?page=100000", None).await;
    assert_eq!(s, 200, "the last page allowed is an empty page");
    let (s, _) = app.get_text("/?page=4611686018427387905").await;
    assert_eq!(s, 404);
    app.stop().await;
}

async fn forms_that_are_not_utf8_or_too_large_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;
    let a = app.publish(&token, "Forms", json!({})).await;
    let action = app.url(&format!("/articles/{}/comments", a["id"]));
    let send = |body: Vec<u8>| {
        app.client
            .post(&action)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let r = send(b"author_name=Ali&body=%FF%FEnot+text".to_vec())
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("not valid UTF-8") && html.contains("<html"),
        "{html}"
    );
    let mut big = b"author_name=Ali&body=".to_vec();
    big.extend(std::iter::repeat_n(b'x', 200 * 1024));
    let r = send(big).await.unwrap();
    assert_eq!(r.status(), 413);
    assert!(r.text().await.unwrap().contains("That is too long to send"));
    assert!(
        app.db
            .approved_comments(a["id"].as_i64().unwrap())
            .await
            .unwrap()
            .is_empty()
    );
    // Text in any script still goes through.
    let r = send("author_name=%D9%85%D8%B1%DB%8C%D9%85&body=%D8%B3%D9%84%D8%A7%D9%85".into())
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    app.stop().await;
}

async fn authors_and_contributors_read_only_their_own_unpublished_articles(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, abe) = app
        .user_with_token("Abe", "abe@example.org", Role::Author)
        .await;
    let (_, cora) = app
        .user_with_token("Cora", "cora@example.org", Role::Contributor)
        .await;
    let (_, eve) = app
        .user_with_token("Eve", "eve@example.org", Role::Editor)
        .await;
    let draft = |title: &str| json!({"title": title, "body_markdown": "x", "status": "draft"});
    let (_, abes) = app
        .post_json("/api/v1/articles", Some(&abe), &draft("Abe's draft"))
        .await;
    let (_, coras) = app
        .post_json("/api/v1/articles", Some(&cora), &draft("Cora's draft"))
        .await;
    let at = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(3)).to_string();
    let (_, scheduled) = app
        .post_json(
            "/api/v1/articles",
            Some(&abe),
            &json!({"title": "Abe's plan", "body_markdown": "x", "status": "scheduled", "published_at": at}),
        )
        .await;
    let path = |a: &serde_json::Value| format!("/api/v1/articles/{}", a["id"]);
    for (token, own, others) in [
        (&abe, vec![&abes, &scheduled], vec![&coras]),
        (&cora, vec![&coras], vec![&abes, &scheduled]),
    ] {
        for a in own {
            assert_eq!(app.get_json(&path(a), Some(token)).await.0, 200);
        }
        for a in others {
            assert_eq!(app.get_json(&path(a), Some(token)).await.0, 404, "{a}");
            let (s, _) = app
                .post_json(
                    &format!("{}/comments", path(a)),
                    Some(token),
                    &json!({"author_name": "x", "body": "y"}),
                )
                .await;
            assert_eq!(s, 404);
        }
    }
    let titles = |v: &serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, mine) = app
        .get_json("/api/v1/articles?status=draft", Some(&cora))
        .await;
    assert_eq!(titles(&mine), ["Cora's draft"]);
    let (_, listed) = app
        .get_json("/api/v1/articles?per_page=100", Some(&abe))
        .await;
    assert!(!titles(&listed).contains(&"Cora's draft".to_owned()));
    assert!(titles(&listed).contains(&"Abe's plan".to_owned()));
    assert!(titles(&listed).contains(&"Welcome to Dateline".to_owned()));
    let (_, all) = app
        .get_json("/api/v1/articles?status=draft", Some(&eve))
        .await;
    assert_eq!(all["total"], 2, "editors read every draft");
    app.stop().await;
}
