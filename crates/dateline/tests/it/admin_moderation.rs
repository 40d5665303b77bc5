//! The moderation desk in the admin: the queues with their counts and what the intake
//! recorded, decisions one at a time and in bulk, edits with a note, deletion for good, and the
//! doors (editors and the owner only, the form token).

use dateline_core::users::Role;
use serde_json::json;

use crate::admin_articles::staff;
use crate::support::{Backend, TestApp, csrf, page, visible_text};

both_backends!(moderators_work_the_queue_in_the_admin);

async fn moderators_work_the_queue_in_the_admin(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (eve, token, _) = staff(&app, "Eve", Role::Editor).await;
    let article = app.publish(&token, "Discussed", json!({})).await;
    let a = article["id"].as_i64().unwrap();
    let mut held = Vec::new();
    for (name, email) in [("Hal", "hal@example.org"), ("Ivy", "ivy@example.org")] {
        let (_, c) = app
            .post_json(
                &format!("/api/v1/articles/{a}/comments"),
                None,
                &json!({"author_name": name, "author_email": email,
                        "body": format!("{name}: https://a.org https://b.org https://c.org")}),
            )
            .await;
        assert_eq!(c["status"], "pending");
        held.push(c["id"].as_i64().unwrap());
    }
    app.post_json(
        &format!("/api/v1/articles/{a}/comments"),
        None,
        &json!({"author_name": "Hal", "author_email": "HAL@example.org", "body": "An earlier one."}),
    )
    .await;

    let (s, html) = page(&app, &eve, "/admin/comments").await;
    assert_eq!(s, 200);
    let text = visible_text(&html);
    assert!(text.contains("Pending (2)"), "{text}");
    assert!(
        text.contains("hal@example.org") && text.contains("3 links > 2"),
        "{text}"
    );
    assert!(text.contains("history: 1 approved, 0 spam"), "{text}");
    assert!(text.contains("Discussed"));
    let c = csrf(&app, &eve).await;
    let decide = |fields: Vec<(&'static str, String)>| {
        let mut all = vec![("csrf", c.clone()), ("status", "pending".to_owned())];
        all.extend(fields);
        eve.post(app.url("/admin/comments/decide"))
            .form(&all)
            .send()
    };

    // One at a time: approved, on the page.
    let r = decide(vec![
        ("decision", "approve".into()),
        ("ids", held[0].to_string()),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    let (_, reader_page) = app.get_text(&app.path_of(&article)).await;
    assert!(reader_page.contains("Hal: "));
    // In bulk: the rest to spam, then restored, then trashed and deleted for good.
    let r = decide(vec![
        ("decision", "spam".into()),
        ("ids", held[1].to_string()),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &eve, "/admin/comments?status=spam").await;
    assert!(visible_text(&html).contains("Spam (1)"));
    let ids: Vec<(&str, String)> = held.iter().map(|id| ("ids", id.to_string())).collect();
    let mut fields = vec![("decision", "trash".to_owned())];
    fields.extend(ids.iter().cloned());
    assert_eq!(decide(fields).await.unwrap().status(), 303);
    let (_, html) = page(&app, &eve, "/admin/comments?status=trash").await;
    assert!(visible_text(&html).contains("Trash (2)"));
    let r = decide(vec![
        ("decision", "delete".into()),
        ("ids", held[1].to_string()),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    let (s, _) = app
        .get_json(&format!("/api/v1/comments/{}", held[1]), Some(&token))
        .await;
    assert_eq!(s, 404);
    // Nothing ticked: said so, nothing changes.
    let r = decide(vec![("decision", "approve".into())]).await.unwrap();
    assert_eq!(r.status(), 422);

    // An edit with its note.
    let r = eve
        .post(app.url(&format!("/admin/comments/{}/edit", held[0])))
        .form(&[
            ("csrf", c.as_str()),
            ("body", "Hal, edited."),
            ("note", "Removed links."),
            ("status", "trash"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &eve, "/admin/comments?status=trash").await;
    assert!(visible_text(&html).contains("Edited: Removed links."));
    let (_, log) = app
        .get_json(
            &format!("/api/v1/activity?subject=comment:{}", held[0]),
            Some(&token),
        )
        .await;
    let kinds: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "comment.edited",
            "comment.trashed",
            "comment.approved",
            "comment.submitted"
        ]
    );

    // Block Hal's e-mail from the desk: his next comment is spam; lifted, it is not.
    let (_, html) = page(&app, &eve, "/admin/comments?status=trash").await;
    assert!(html.contains("Block this e-mail"));
    let r = eve
        .post(app.url(&format!("/admin/comments/{}/block", held[0])))
        .form(&[("csrf", c.as_str()), ("kind", "email"), ("status", "trash")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, c2) = app
        .post_json(
            &format!("/api/v1/articles/{a}/comments"),
            None,
            &json!({"author_name": "Hal", "author_email": "hal@example.org", "body": "Blocked now."}),
        )
        .await;
    assert_eq!(c2["status"], "spam");
    let (_, html) = page(&app, &eve, "/admin/comments").await;
    assert!(visible_text(&html).contains("E-mail address, blocked"));
    let (_, blocks) = app.get_json("/api/v1/comments/blocks", Some(&token)).await;
    let block = blocks["items"][0]["id"].as_i64().unwrap();
    let r = eve
        .post(app.url(&format!("/admin/comments/blocks/{block}/lift")))
        .form(&[("csrf", c.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &eve, "/admin/comments").await;
    assert!(visible_text(&html).contains("Nobody is blocked."));

    // The doors.
    let r = eve
        .post(app.url("/admin/comments/decide"))
        .form(&[("decision", "approve"), ("ids", &held[0].to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let (ann, _, _) = staff(&app, "Ann", Role::Author).await;
    let (s, _) = page(&app, &ann, "/admin/comments").await;
    assert_eq!(s, 403);
    let (_, dashboard) = page(&app, &ann, "/admin").await;
    assert!(!dashboard.contains("href=\"/admin/comments\""));
    app.stop().await;
}
