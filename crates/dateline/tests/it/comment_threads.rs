//! Comments in threads and in a small Markdown subset: replies inside their parent's thread to
//! the configured depth and flat below it, naming whom they answer; the Reply link that works
//! without JavaScript; the formatting readers may use.

use serde_json::{Value, json};

use crate::support::{Backend, TestApp, visible_text};

both_backends!(
    replies_nest_to_the_depth_then_answer_by_name,
    the_reply_link_sets_the_parent_without_javascript,
);

async fn comment(app: &TestApp, article: i64, name: &str, body: &str, parent: Option<i64>) -> i64 {
    let (s, c) = app
        .post_json(
            &format!("/api/v1/articles/{article}/comments"),
            None,
            &json!({"author_name": name, "body": body, "parent_id": parent}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    c["id"].as_i64().unwrap()
}

fn select<'a>(doc: &'a scraper::Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&scraper::Selector::parse(css).unwrap())
        .collect()
}

async fn replies_nest_to_the_depth_then_answer_by_name(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.allow_many_comments().await;
    let token = app.editor_token().await;
    let article: Value = app.publish(&token, "Threads", json!({})).await;
    let id = article["id"].as_i64().unwrap();
    let a = comment(&app, id, "Ava", "A *first* thought.", None).await;
    let b = comment(
        &app,
        id,
        "Ben",
        "> A first thought.\n\nI disagree.",
        Some(a),
    )
    .await;
    let c = comment(&app, id, "Cyd", "Why?", Some(b)).await;
    let d = comment(&app, id, "Dan", "Because `reasons`.", Some(c)).await;
    let e = comment(&app, id, "Eve", "Deeper still:\n\n- one\n- two", Some(d)).await;
    let f = comment(&app, id, "Fay", "A thread of my own.", None).await;

    let (_, html) = app.get_text(&app.path_of(&article)).await;
    let doc = scraper::Html::parse_document(&html);
    // Two threads at the top, in order.
    let top: Vec<String> = select(&doc, ".comment-list > li")
        .iter()
        .map(|li| li.value().id().unwrap().to_owned())
        .collect();
    assert_eq!(top, [format!("comment-{a}"), format!("comment-{f}")]);
    // Four levels deep: each reply inside its parent's thread.
    for (parent, child) in [(a, b), (b, c), (c, d)] {
        let css = format!("#comment-{parent} > ol.replies > #comment-{child}");
        assert_eq!(select(&doc, &css).len(), 1, "{css}");
    }
    // A reply to the fourth level joins it, after its parent, and names whom it answers.
    let last_level: Vec<String> = select(&doc, &format!("#comment-{c} > ol.replies > li"))
        .iter()
        .map(|li| li.value().id().unwrap().to_owned())
        .collect();
    assert_eq!(last_level, [format!("comment-{d}"), format!("comment-{e}")]);
    let eve = visible_text(&select(&doc, &format!("#comment-{e}"))[0].html());
    assert!(eve.contains("in reply to Dan"), "{eve}");
    assert!(select(&doc, &format!("#comment-{d} .in-reply-to")).is_empty());
    // The reader's formatting, and the direction of each block and name.
    for css in [
        format!("#comment-{a} > .comment-body em"),
        format!("#comment-{b} > .comment-body blockquote"),
        format!("#comment-{d} > .comment-body code"),
        format!("#comment-{e} > .comment-body ul > li:nth-child(2)"),
        format!("#comment-{a} > .comment-meta > bdi.comment-author[dir=auto]"),
        format!("#comment-{a} > .comment-body[dir=auto]"),
    ] {
        assert_eq!(select(&doc, &css).len(), 1, "{css}");
    }
    // A reply must answer a comment on the same article.
    let other: Value = app.publish(&token, "Elsewhere", json!({})).await;
    let (s, err) = app
        .post_json(
            &format!("/api/v1/articles/{}/comments", other["id"]),
            None,
            &json!({"author_name": "Gus", "body": "Hi", "parent_id": a}),
        )
        .await;
    assert_eq!(
        (s, err["error"]["field"].as_str()),
        (422, Some("parent_id"))
    );
    app.stop().await;
}

async fn the_reply_link_sets_the_parent_without_javascript(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;
    let article: Value = app.publish(&token, "Replies", json!({})).await;
    let id = article["id"].as_i64().unwrap();
    let a = comment(&app, id, "Ava", "Start here.", None).await;
    let path = app.path_of(&article);

    let (_, html) = app.get_text(&path).await;
    assert!(html.contains(&format!("href=\"?reply_to={a}#leave-comment\"")));
    // Following it: the form answers Ava.
    let (s, html) = app.get_text(&format!("{path}?reply_to={a}")).await;
    assert_eq!(s, 200);
    let doc = scraper::Html::parse_document(&html);
    assert_eq!(
        visible_text(&select(&doc, "#leave-comment")[0].html()),
        "Reply to Ava"
    );
    let hidden = select(&doc, "form input[name=parent_id]");
    assert_eq!(
        hidden[0].value().attr("value"),
        Some(a.to_string().as_str())
    );
    // Sent, the reply is stored under Ava's comment and shown in her thread.
    let a_text = a.to_string();
    let r = app
        .send_comment_form(
            &app.client,
            id,
            &[
                ("author_name", "Ben"),
                ("body", "Agreed."),
                ("parent_id", a_text.as_str()),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = app.get_text(&path).await;
    let doc = scraper::Html::parse_document(&html);
    let replies = select(&doc, &format!("#comment-{a} > ol.replies > li"));
    assert_eq!(replies.len(), 1);
    assert!(visible_text(&replies[0].html()).contains("Agreed."));
    // An id that names no comment here gives the ordinary form.
    let (s, html) = app.get_text(&format!("{path}?reply_to=999999")).await;
    assert_eq!(s, 200);
    assert!(html.contains(r#"<input type="hidden" name="parent_id" value="">"#));
    assert!(html.contains(">Leave a comment</h2>"));
    app.stop().await;
}
