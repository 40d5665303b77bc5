//! `GET /api/v1/activity`: the activity log for editors and the owner.

use dateline_core::users::Role;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp, snapshot_settings};

both_backends!(staff_read_the_activity_log_page_by_page);

async fn staff_read_the_activity_log_page_by_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, owner) = app
        .user_with_token("Olga", "olga@example.org", Role::Owner)
        .await;
    let (eve, editor) = app
        .user_with_token("Eve", "eve@example.org", Role::Editor)
        .await;
    let (_, author) = app
        .user_with_token("Abe", "abe@example.org", Role::Author)
        .await;
    let (_, contributor) = app
        .user_with_token("Cora", "cora@example.org", Role::Contributor)
        .await;

    let (s, e) = app.get_json("/api/v1/activity", None).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    for token in [&author, &contributor] {
        let (s, e) = app.get_json("/api/v1/activity", Some(token)).await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (403, Some("forbidden")),
            "{e}"
        );
    }

    let a = app.publish(&editor, "Logged", json!({})).await;
    let id = a["id"].as_i64().unwrap();
    let (s, _) = app
        .post_json(
            &format!("/api/v1/articles/{id}/comments"),
            None,
            &json!({"author_name": "ali", "author_email": "ali@private.example", "body": "Hi"}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _) = app
        .patch_json(
            &format!("/api/v1/articles/{id}"),
            &editor,
            &json!({"dek": "Now with a dek."}),
        )
        .await;
    assert_eq!(s, 200);

    for token in [&owner, &editor] {
        let (s, page) = app.get_json("/api/v1/activity?limit=4", Some(token)).await;
        assert_eq!(s, 200, "{page}");
        let kinds: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "article.updated",
                "comment.submitted",
                "article.published",
                "article.created"
            ],
            "newest first"
        );
    }

    // Filters: kind, actor, subject.
    let items = |v: &Value| v["items"].as_array().unwrap().clone();
    let (_, by_kind) = app
        .get_json("/api/v1/activity?kind=comment.submitted", Some(&editor))
        .await;
    assert!(
        items(&by_kind)
            .iter()
            .all(|e| e["kind"] == "comment.submitted")
    );
    assert_eq!(
        items(&by_kind)[0]["actor"],
        json!({"type": "reader", "id": null})
    );
    assert_eq!(items(&by_kind)[0]["payload"]["article_id"], id);
    assert!(!by_kind.to_string().contains("private.example"));
    let (_, by_actor) = app
        .get_json(
            &format!("/api/v1/activity?actor=user:{}", eve.id),
            Some(&editor),
        )
        .await;
    assert_eq!(items(&by_actor).len(), 3);
    let (_, by_subject) = app
        .get_json(
            &format!("/api/v1/activity?subject=article:{id}"),
            Some(&editor),
        )
        .await;
    let about = items(&by_subject);
    let kinds: Vec<&str> = about.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["article.updated", "article.published", "article.created"]
    );
    assert_eq!(items(&by_subject)[0]["payload"]["changed"], json!(["dek"]));
    // The events of an article as consumers read them: a change of shape is reviewed here.
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("activity_of_an_article", by_subject, {
            ".items[].id" => "[id]",
            ".items[].created_at" => "[time]",
            ".items[].actor.id" => "[id]",
            ".items[].subject.id" => "[id]",
            ".items[].payload.author_id" => "[id]",
            ".items[].payload.published_at" => "[time]",
            ".items[].payload.before.author_id" => "[id]",
            ".items[].payload.before.published_at" => "[time]",
        });
    });

    // Cursor pagination walks the whole log once, newest to oldest.
    let (_, everything) = app
        .get_json("/api/v1/activity?limit=200", Some(&editor))
        .await;
    let all: Vec<i64> = items(&everything)
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert!(all.windows(2).all(|w| w[0] > w[1]));
    let mut walked = Vec::new();
    let mut path = "/api/v1/activity?limit=3".to_owned();
    loop {
        let (s, page) = app.get_json(&path, Some(&editor)).await;
        assert_eq!(s, 200);
        walked.extend(items(&page).iter().map(|e| e["id"].as_i64().unwrap()));
        match page["next_before"].as_i64() {
            Some(before) => path = format!("/api/v1/activity?limit=3&before={before}"),
            None => break,
        }
    }
    assert_eq!(walked, all);

    // Bad filters are named; unknown parameters are ignored; misspelt ones are caught.
    for (query, field) in [
        ("kind=article.exploded", "kind"),
        ("actor=robot", "actor"),
        ("subject=article:x", "subject"),
        ("limit=0", "limit"),
        ("before=soon", "before"),
        ("lmit=5", "lmit"),
    ] {
        let (s, e) = app
            .get_json(&format!("/api/v1/activity?{query}"), Some(&editor))
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some(field)),
            "{query}: {e}"
        );
        let message = e["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(char::is_uppercase) && message.ends_with(['.', '?']),
            "{message}"
        );
    }
    let (s, _) = app
        .get_json("/api/v1/activity?_=1700000000&utm_source=x", Some(&editor))
        .await;
    assert_eq!(s, 200);
    app.stop().await;
}
