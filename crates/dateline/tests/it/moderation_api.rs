//! The moderation desk over the API: the queue by status with the commenter's private facts
//! (for editors and the owner only), the decisions and their events, edits with a note, and
//! deletion for good.

use dateline_core::users::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp, visible_text};

both_backends!(
    moderators_decide_and_the_log_keeps_every_decision,
    blocked_writers_are_held_as_spam_silently,
);

async fn blocked_writers_are_held_as_spam_silently(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.allow_many_comments().await;
    let editor = app.editor_token().await;
    let (_, author) = app
        .user_with_token("Ann", "ann@example.org", Role::Author)
        .await;
    let article = app.publish(&editor, "Blocks", json!({})).await;
    let a = article["id"].as_i64().unwrap();
    let post = |name: &str, email: Option<&str>, body: &str| {
        let body = json!({"author_name": name, "author_email": email, "body": body});
        let app = &app;
        async move {
            let (s, c) = app
                .post_json(&format!("/api/v1/articles/{a}/comments"), None, &body)
                .await;
            assert_eq!(s, 201, "{c}");
            c
        }
    };
    let first = post("Troll", Some("troll@example.org"), "First.").await;
    let id = first["id"].as_i64().unwrap();
    // Authors may not block; a comment without an e-mail cannot be blocked by one.
    let (s, _) = call(
        &app,
        Method::POST,
        &format!("/api/v1/comments/{id}/block"),
        Some(&author),
        Some(json!({"kind": "email"})),
    )
    .await;
    assert_eq!(s, 403);
    let anon = post("Anon", None, "No e-mail.").await;
    let (s, e) = call(
        &app,
        Method::POST,
        &format!("/api/v1/comments/{}/block", anon["id"]),
        Some(&editor),
        Some(json!({"kind": "email"})),
    )
    .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("kind")));
    let (s, e) = call(
        &app,
        Method::POST,
        &format!("/api/v1/comments/{id}/block"),
        Some(&editor),
        Some(json!({"kind": "email", "until": "2001-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("until")));

    // Blocked by e-mail (whatever its case): stored as spam, answered as anyone else.
    let (s, block) = call(
        &app,
        Method::POST,
        &format!("/api/v1/comments/{id}/block"),
        Some(&editor),
        Some(json!({"kind": "email"})),
    )
    .await;
    assert_eq!(s, 201, "{block}");
    let again = post("Troll", Some("TROLL@Example.org"), "Again.").await;
    assert_eq!(again["status"], "spam");
    let m = call(
        &app,
        Method::GET,
        &format!("/api/v1/comments/{}", again["id"]),
        Some(&editor),
        None,
    )
    .await
    .1;
    assert_eq!(m["reasons"], json!(["blocked e-mail address"]));
    let other = post("Kind", Some("kind@example.org"), "Hello.").await;
    assert_eq!(other["status"], "approved");
    let (_, list) = call(
        &app,
        Method::GET,
        "/api/v1/comments/blocks",
        Some(&editor),
        None,
    )
    .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains("troll"), "{list}");
    // Lifted: welcome again.
    let (s, _) = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/comments/blocks/{}", block["id"]),
        Some(&editor),
        None,
    )
    .await;
    assert_eq!(s, 204);
    let back = post("Troll", Some("troll@example.org"), "Back.").await;
    assert_eq!(back["status"], "approved");
    // By address: everything from it, until the time given.
    let (s, _) = call(
        &app,
        Method::POST,
        &format!("/api/v1/comments/{id}/block"),
        Some(&editor),
        Some(json!({"kind": "address", "until": "2999-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(s, 201);
    let any = post("Someone", None, "From the same machine.").await;
    assert_eq!(any["status"], "spam");
    // The log names the block, never the address.
    let (_, log) = call(
        &app,
        Method::GET,
        "/api/v1/activity?kind=comment.author_blocked",
        Some(&editor),
        None,
    )
    .await;
    assert_eq!(log["items"].as_array().unwrap().len(), 2);
    assert!(!log.to_string().contains("troll@"));
    let (_, log) = call(
        &app,
        Method::GET,
        "/api/v1/activity?kind=comment.author_unblocked",
        Some(&editor),
        None,
    )
    .await;
    assert_eq!(log["items"][0]["subject"]["id"].as_i64(), Some(id));
    app.stop().await;
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app.client.request(method, app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Sends a moderator's decision on comment `id` (`approve`, `spam`, `trash`, `restore`).
async fn decide(app: &TestApp, token: &str, id: i64, decision: &str) -> (u16, Value) {
    call(
        app,
        Method::POST,
        &format!("/api/v1/comments/{id}/{decision}"),
        Some(token),
        None,
    )
    .await
}

async fn decisions(app: &TestApp, editor: &str, id: i64) -> Vec<(String, Value)> {
    let (_, log) = call(
        app,
        Method::GET,
        &format!("/api/v1/activity?subject=comment:{id}"),
        Some(editor),
        None,
    )
    .await;
    let mut out: Vec<(String, Value)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap().to_owned(), e["payload"].clone()))
        .collect();
    out.reverse();
    out
}

async fn moderators_decide_and_the_log_keeps_every_decision(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let editor = app.editor_token().await;
    let (_, author) = app
        .user_with_token("Ann", "ann@example.org", Role::Author)
        .await;
    let article = app.publish(&editor, "Open for comments", json!({})).await;
    let a = article["id"].as_i64().unwrap();
    let path = app.path_of(&article);
    // A comment brought in as pending, with its e-mail; and a reader's.
    let (s, held) = call(
        &app,
        Method::POST,
        &format!("/api/v1/articles/{a}/comments"),
        Some(&editor),
        Some(json!({"author_name": "Hal", "author_email": "hal@private.example", "body": "Held for now.", "status": "pending"})),
    )
    .await;
    assert_eq!(s, 201, "{held}");
    let held = held["id"].as_i64().unwrap();
    let (_, reader) = call(
        &app,
        Method::POST,
        &format!("/api/v1/articles/{a}/comments"),
        None,
        Some(json!({"author_name": "Rea", "body": "Visible.", "parent_id": held})),
    )
    .await;
    let reader = reader["id"].as_i64().unwrap();

    // The queue: pending by default, with what only moderators see, and the counts.
    let (s, queue) = call(&app, Method::GET, "/api/v1/comments", Some(&editor), None).await;
    assert_eq!(s, 200, "{queue}");
    assert_eq!(queue["total"], 1);
    let item = &queue["items"][0];
    assert_eq!(
        (item["id"].as_i64(), item["author_email"].as_str()),
        (Some(held), Some("hal@private.example"))
    );
    assert_eq!(item["article_title"], "Open for comments");
    assert_eq!(item["reasons"], json!([]));
    assert_eq!(queue["counts"]["pending"], 1);
    // Rea's, and the one under the welcome article of the first start.
    assert_eq!(queue["counts"]["approved"], 2);
    let (_, approved) = call(
        &app,
        Method::GET,
        &format!("/api/v1/comments?status=approved&article_id={a}"),
        Some(&editor),
        None,
    )
    .await;
    assert_eq!(approved["items"][0]["id"].as_i64(), Some(reader));
    assert!(
        approved["items"][0]["ip_hash"]
            .as_str()
            .is_some_and(|h| !h.is_empty())
    );
    // Authors, readers and bad filters.
    let (s, _) = call(&app, Method::GET, "/api/v1/comments", Some(&author), None).await;
    assert_eq!(s, 403);
    let (s, _) = decide(&app, &author, held, "approve").await;
    assert_eq!(s, 403);
    let (s, _) = call(&app, Method::GET, "/api/v1/comments", None, None).await;
    assert_eq!(s, 401);
    let (s, e) = call(
        &app,
        Method::GET,
        "/api/v1/comments?status=hidden",
        Some(&editor),
        None,
    )
    .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("status")));
    // Pending is not on the page; the public API never shows e-mails.
    let (_, page) = app.get_text(&path).await;
    assert!(!page.contains("Held for now."));
    let (_, public) = call(
        &app,
        Method::GET,
        &format!("/api/v1/articles/{a}/comments"),
        None,
        None,
    )
    .await;
    assert!(!public.to_string().contains("private.example"));

    // Approve: on the page at once. Again: nothing new in the log.
    let (s, done) = decide(&app, &editor, held, "approve").await;
    assert_eq!((s, done["status"].as_str()), (200, Some("approved")));
    decide(&app, &editor, held, "approve").await;
    let (_, page) = app.get_text(&path).await;
    assert!(visible_text(&page).contains("Held for now."));
    // Spam hides it; restore brings it back to pending; restoring a pending one is refused.
    decide(&app, &editor, held, "spam").await;
    let (_, page) = app.get_text(&path).await;
    assert!(!page.contains("Held for now."));
    let (s, done) = decide(&app, &editor, held, "restore").await;
    assert_eq!((s, done["status"].as_str()), (200, Some("pending")));
    let (s, _) = decide(&app, &editor, held, "restore").await;
    assert_eq!(s, 422);
    decide(&app, &editor, held, "trash").await;
    decide(&app, &editor, held, "restore").await;
    decide(&app, &editor, held, "approve").await;

    // An edit keeps its note; the page shows the new text.
    let (s, edited) = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/comments/{held}"),
        Some(&editor),
        Some(json!({"body": "Held, then *edited*.", "note": "Removed an insult."})),
    )
    .await;
    assert_eq!(s, 200, "{edited}");
    assert_eq!(edited["edit_note"], "Removed an insult.");
    assert!(edited["edited_at"].is_string());
    let (_, page) = app.get_text(&path).await;
    assert!(page.contains("Held, then <em>edited</em>."));
    let (s, e) = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/comments/{held}"),
        Some(&editor),
        Some(json!({"body": "   "})),
    )
    .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("body")));

    // The log: every decision, with the status before and after.
    let kinds: Vec<(String, Option<String>, Option<String>)> = decisions(&app, &editor, held)
        .await
        .into_iter()
        .map(|(k, p)| {
            (
                k,
                p["from"].as_str().map(str::to_owned),
                p["to"].as_str().map(str::to_owned),
            )
        })
        .collect();
    let expected: Vec<(&str, Option<&str>, Option<&str>)> = vec![
        ("comment.submitted", None, None),
        ("comment.approved", Some("pending"), Some("approved")),
        ("comment.spammed", Some("approved"), Some("spam")),
        ("comment.restored", Some("spam"), Some("pending")),
        ("comment.trashed", Some("pending"), Some("trash")),
        ("comment.restored", Some("trash"), Some("pending")),
        ("comment.approved", Some("pending"), Some("approved")),
        ("comment.edited", None, None),
    ];
    let got: Vec<(&str, Option<&str>, Option<&str>)> = kinds
        .iter()
        .map(|(k, f, t)| (k.as_str(), f.as_deref(), t.as_deref()))
        .collect();
    assert_eq!(got, expected);
    assert!(
        !serde_json::to_string(&decisions(&app, &editor, held).await)
            .unwrap()
            .contains("private.example")
    );

    // Deleted for good: gone; the reply stays, answering nothing.
    let (s, _) = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/comments/{held}"),
        Some(&editor),
        None,
    )
    .await;
    assert_eq!(s, 204);
    let (s, _) = call(
        &app,
        Method::GET,
        &format!("/api/v1/comments/{held}"),
        Some(&editor),
        None,
    )
    .await;
    assert_eq!(s, 404);
    let (_, reply) = call(
        &app,
        Method::GET,
        &format!("/api/v1/comments/{reader}"),
        Some(&editor),
        None,
    )
    .await;
    assert_eq!(reply["parent_id"], Value::Null);
    let (_, page) = app.get_text(&path).await;
    assert!(visible_text(&page).contains("Visible."));
    assert_eq!(
        decisions(&app, &editor, held).await.last().unwrap().0,
        "comment.deleted"
    );
    app.stop().await;
}
