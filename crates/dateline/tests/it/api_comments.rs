//! `/api/v1/articles/{id}/comments`.

use serde_json::json;

use crate::support::{Backend, TestApp};

both_backends!(
    readers_and_editors_comment_through_the_api,
    the_form_and_the_api_record_the_same_facts,
);

/// One intake: a reader's comment through the form and through the API is checked the same way
/// and stored and logged with the same facts.
async fn the_form_and_the_api_record_the_same_facts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;
    let a = app.publish(&token, "Two doors", json!({})).await;
    let id = a["id"].as_i64().unwrap();
    let before = app.db.latest_event_id().await.unwrap();
    let form = app
        .client
        .post(app.url(&format!("/articles/{id}/comments")))
        .header("User-Agent", "SameBrowser/2.0")
        .form(&[
            ("form_token", app.comment_token(id).as_str()),
            ("author_name", "Ali"),
            ("author_email", "ali@private.example"),
            ("body", "Via the form"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 303);
    let api = app
        .client
        .post(app.url(&format!("/api/v1/articles/{id}/comments")))
        .header("User-Agent", "SameBrowser/2.0")
        .json(&json!({"author_name": "Ali", "author_email": "ali@private.example", "body": "Via the API"}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 201);
    let events = app.db.events_after(before, 10).await.unwrap();
    assert_eq!(events.len(), 2);
    let ids: Vec<i64> = events.iter().map(|e| e.subject.id.unwrap()).collect();
    let mut facts = Vec::new();
    for (event, comment_id) in events.iter().zip(&ids) {
        let c = app.db.comment_by_id(*comment_id).await.unwrap().unwrap();
        facts.push((
            event.kind,
            event.actor,
            event
                .payload
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect::<Vec<_>>(),
            c.status,
            app.db.comment_email(*comment_id).await.unwrap(),
            app.db.comment_ip_hash(*comment_id).await.unwrap(),
            app.db.comment_user_agent(*comment_id).await.unwrap(),
        ));
    }
    assert_eq!(facts[0], facts[1]);
    assert_eq!(facts[0].6.as_deref(), Some("SameBrowser/2.0"));
    assert_eq!(facts[0].1.kind.as_str(), "reader");
    // And the same checks: an empty body is refused by both, naming the field.
    let form = app
        .client
        .post(app.url(&format!("/articles/{id}/comments")))
        .form(&[
            ("form_token", app.comment_token(id).as_str()),
            ("author_name", "Ali"),
            ("body", " "),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 422);
    assert!(
        form.text()
            .await
            .unwrap()
            .contains("The comment is required.")
    );
    let (s, e) = app
        .post_json(
            &format!("/api/v1/articles/{id}/comments"),
            None,
            &json!({"author_name": "Ali", "body": " "}),
        )
        .await;
    assert_eq!(
        (
            s,
            e["error"]["field"].as_str(),
            e["error"]["message"].as_str()
        ),
        (422, Some("body"), Some("The comment is required."))
    );
    app.stop().await;
}

async fn readers_and_editors_comment_through_the_api(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;
    let a = app.publish(&token, "Open thread", json!({})).await;
    let path = format!("/api/v1/articles/{}/comments", a["id"]);

    let (s, c) = app.post_json(&path, None, &json!({"author_name": "ali", "author_email": "ali@example.org", "body": "سلام، این یک نظر است."})).await;
    assert_eq!((s, c["status"].as_str()), (201, Some("approved")), "{c}");
    let (s, reply) = app
        .post_json(
            &path,
            None,
            &json!({"author_name": "b", "body": "Reply", "parent_id": c["id"]}),
        )
        .await;
    assert_eq!(s, 201, "{reply}");

    // Readers may not date or moderate their own comments.
    let (s, e) = app
        .post_json(
            &path,
            None,
            &json!({"author_name": "x", "body": "y", "created_at": "2009-08-01T06:12:00-07:00"}),
        )
        .await;
    assert_eq!((s, e["error"]["code"].as_str()), (403, Some("forbidden")));
    let (s, _) = app
        .post_json(
            &path,
            None,
            &json!({"author_name": "x", "body": "y", "status": "approved"}),
        )
        .await;
    assert_eq!(s, 403);
    // Editors may, to bring in history.
    let (s, old) = app
        .post_json(&path, Some(&token), &json!({"author_name": "ali", "body": "Old", "created_at": "2009-08-01T06:12:00-07:00", "status": "approved"}))
        .await;
    assert_eq!(s, 201, "{old}");
    let (s, spam) = app
        .post_json(
            &path,
            Some(&token),
            &json!({"author_name": "s", "body": "Buy now", "status": "spam"}),
        )
        .await;
    assert_eq!((s, spam["status"].as_str()), (201, Some("spam")));

    for (body, field) in [
        (json!({"author_name": "", "body": "x"}), "author_name"),
        (
            json!({"author_name": "n".repeat(81), "body": "x"}),
            "author_name",
        ),
        (json!({"author_name": "a", "body": ""}), "body"),
        (
            json!({"author_name": "a", "body": "b".repeat(10_001)}),
            "body",
        ),
        (
            json!({"author_name": "a", "body": "b", "author_email": "nope"}),
            "author_email",
        ),
        (
            json!({"author_name": "a", "body": "b", "parent_id": 999_999}),
            "parent_id",
        ),
        (
            json!({"author_name": "a", "body": "b", "parent_id": "one"}),
            "parent_id",
        ),
        (json!({"author_name": "a"}), "body"),
        (json!({"author_name": "a", "body": "b", "website": "x"}), ""),
    ] {
        let (s, e) = app.post_json(&path, None, &body).await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (422, Some("invalid")),
            "{body}: {e}"
        );
        assert!(
            e["error"]["field"]
                .as_str()
                .unwrap_or("")
                .starts_with(field),
            "{body}: {e}"
        );
    }
    let (s, e) = app
        .post_json(
            &path,
            Some(&token),
            &json!({"author_name": "a", "body": "b", "created_at": "2999-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("created_at")));

    let (s, list) = app.get_json(&path, None).await;
    assert_eq!(s, 200);
    let bodies: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        ["Old", "سلام، این یک نظر است.", "Reply"],
        "approved only, oldest first"
    );
    assert_eq!(list["items"][2]["parent_id"], c["id"]);
    assert!(!list.to_string().contains("ali@example.org"));

    // Comments on what readers cannot see.
    let (s, d) = app
        .post_json(
            "/api/v1/articles",
            Some(&token),
            &json!({"title": "Hidden", "body_markdown": "x", "status": "draft"}),
        )
        .await;
    assert_eq!(s, 201);
    let hidden = format!("/api/v1/articles/{}/comments", d["id"]);
    let (s, _) = app
        .post_json(&hidden, None, &json!({"author_name": "a", "body": "b"}))
        .await;
    assert_eq!(s, 404);
    let (s, _) = app.get_json(&hidden, None).await;
    assert_eq!(s, 404);
    let (s, _) = app
        .post_json(
            "/api/v1/articles/424242/comments",
            None,
            &json!({"author_name": "a", "body": "b"}),
        )
        .await;
    assert_eq!(s, 404);

    // The page shows the right-to-left comment with its own direction.
    let page = app.path_of(&a);
    let (_, html) = app.get_text(&page).await;
    assert!(html.contains("<p dir=\"auto\">سلام، این یک نظر است.</p>"));
    assert!(
        html.contains("years ago"),
        "the imported comment keeps its age"
    );
    app.stop().await;
}
