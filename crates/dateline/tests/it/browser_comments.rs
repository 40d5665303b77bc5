//! Comments as people handle them in a real browser: a reader answers a comment with the form
//! opening in place (JavaScript) or on its own page (without), and a moderator works the desk
//! from the keyboard and replies as staff.

use std::time::Duration;

use dateline_core::{settings::SettingKey, users::Role};
use fantoccini::{
    Client, Locator,
    actions::{InputSource, KeyAction, KeyActions},
};
use serde_json::{Value, json};

use crate::{
    browser::{Browser, browser_enabled, click, text_of, type_into},
    browser_newsroom::{notice, press},
    support::{Backend, TestApp},
};

async fn comment(app: &TestApp, article: i64, name: &str, body: &str) -> i64 {
    let (s, c) = app
        .post_json(
            &format!("/api/v1/articles/{article}/comments"),
            None,
            &json!({"author_name": name, "body": body}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    c["id"].as_i64().unwrap()
}

async fn script(c: &Client, js: &str, args: Vec<Value>) -> Value {
    c.execute(js, args).await.unwrap()
}

/// Waits for the page to show the comment `anchor` names and returns its thread's text.
async fn landed_reply(c: &Client, parent: i64) -> String {
    text_of(
        c,
        Locator::Css(&format!("#comment-{parent} > ol.replies > li")),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_replies_in_place_with_javascript_and_on_a_page_without() {
    if !browser_enabled() {
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await;
    let editor = app.editor_token().await;
    let article = app.publish(&editor, "Replies", json!({})).await;
    let a = article["id"].as_i64().unwrap();
    let path = app.path_of(&article);
    let ann = comment(&app, a, "Ann", "First point.").await;
    let ben = comment(&app, a, "Ben", "Second point.").await;

    // With JavaScript: the form moves under Ann's comment, without loading a page.
    let browser = Browser::start(1024, &[]).await;
    let c = &browser.client;
    c.goto(&app.url(&path)).await.unwrap();
    click(c, &format!("a.reply-link[data-reply='{ann}']")).await;
    let state = script(
        c,
        "return [!!document.querySelector('#comment-' + arguments[0] + ' .comment-form form'), \
         document.querySelector('input[name=parent_id]').value, \
         document.getElementById('leave-comment').textContent, location.search];",
        vec![json!(ann)],
    )
    .await;
    assert_eq!(
        state,
        json!([true, ann.to_string(), "Reply to Ann", ""]),
        "the form opened in place"
    );
    // Cancelling puts it back as an ordinary comment form.
    click(c, "button.cancel-reply").await;
    let state = script(
        c,
        "return [!!document.querySelector('.comment .comment-form'), \
         document.querySelector('input[name=parent_id]').value, \
         document.getElementById('leave-comment').textContent];",
        vec![],
    )
    .await;
    assert_eq!(state, json!([false, "", "Leave a comment"]));
    click(c, &format!("a.reply-link[data-reply='{ann}']")).await;
    type_into(c, "author_name", "Cleo").await;
    type_into(c, "body", "Answering Ann in place.").await;
    press(c, ".comment-form button[type=submit]").await;
    let thread = landed_reply(c, ann).await;
    assert!(thread.contains("Answering Ann in place."), "{thread}");
    browser.close().await;

    // Without JavaScript: the Reply link opens the page with the form set to answer Ben.
    let plain = Browser::start(1024, &["--blink-settings=scriptEnabled=false"]).await;
    let c = &plain.client;
    c.goto(&app.url(&path)).await.unwrap();
    press(c, &format!("a.reply-link[data-reply='{ben}']")).await;
    let url = c.current_url().await.unwrap();
    assert_eq!(url.query(), Some(format!("reply_to={ben}").as_str()));
    assert_eq!(
        text_of(c, Locator::Id("leave-comment")).await,
        "Reply to Ben"
    );
    type_into(c, "author_name", "Dara").await;
    type_into(c, "body", "Answering Ben on a page of its own.").await;
    press(c, ".comment-form button[type=submit]").await;
    let thread = landed_reply(c, ben).await;
    assert!(
        thread.contains("Answering Ben on a page of its own."),
        "{thread}"
    );
    plain.close().await;
    app.stop().await;
}

/// Presses `key` on the keyboard, wherever the focus is.
async fn key(c: &Client, key: char) {
    let press = KeyActions::new("keyboard".to_owned())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    c.perform_actions(press).await.unwrap();
}

/// Presses j (the next comment), then `decision`'s key, and waits for the page it leads to;
/// returns the id of the comment j selected.
async fn next_then(c: &Client, decision: char) -> String {
    key(c, 'j').await;
    let current = script(
        c,
        "return document.querySelector('.moderation-item.current').id;",
        vec![],
    )
    .await;
    let old = c.find(Locator::Css("html")).await.unwrap();
    key(c, decision).await;
    for _ in 0..200 {
        if old.tag_name().await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    current.as_str().unwrap_or_default().to_owned()
}

async fn status_of(app: &TestApp, token: &str, id: i64) -> String {
    let (_, c) = app
        .get_json(&format!("/api/v1/comments/{id}"), Some(token))
        .await;
    c["status"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_works_the_desk_from_the_keyboard_and_replies_as_staff() {
    if !browser_enabled() {
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.set_setting(SettingKey::CommentFirstTime, "hold_all")
        .await;
    let (_, token) = app
        .user_with_token("Eve Editor", "eve@example.org", Role::Editor)
        .await;
    let article = app.publish(&token, "Moderated", json!({})).await;
    let a = article["id"].as_i64().unwrap();
    // The desk shows the newest first.
    let question = comment(&app, a, "Quinn", "Is the date right?").await;
    let spam = comment(&app, a, "Promo", "Cheap pills here.").await;
    let fine = comment(&app, a, "Rosa", "A fair summary.").await;

    let browser = Browser::start(1280, &[]).await;
    let c = &browser.client;
    c.goto(&app.url("/admin/login")).await.unwrap();
    type_into(c, "email", "eve@example.org").await;
    type_into(c, "password", "correct horse battery").await;
    press(c, "main button[type=submit]").await;
    c.goto(&app.url("/admin/comments")).await.unwrap();
    assert!(
        text_of(c, Locator::Id("desk-shortcuts"))
            .await
            .contains("approve"),
        "the shortcuts are shown once they work"
    );
    // j selects the first comment (Rosa's); a approves it.
    assert_eq!(next_then(c, 'a').await, format!("comment-{fine}"));
    assert_eq!(notice(c).await, "Done.");
    assert_eq!(status_of(&app, &token, fine).await, "approved");
    // Then j, s: Promo's is spam.
    assert_eq!(next_then(c, 's').await, format!("comment-{spam}"));
    assert_eq!(status_of(&app, &token, spam).await, "spam");
    // j, p opens the reply under Quinn's question with the focus in it.
    key(c, 'j').await;
    key(c, 'p').await;
    let focused = script(c, "return document.activeElement.id;", vec![]).await;
    assert_eq!(focused, json!(format!("reply-{question}")));
    c.active_element()
        .await
        .unwrap()
        .send_keys("It is: we corrected it this morning.")
        .await
        .unwrap();
    press(
        c,
        &format!("#comment-{question} .reply-comment button[type=submit]"),
    )
    .await;
    assert_eq!(
        notice(c).await,
        "Your reply is published, marked as from the staff."
    );
    assert_eq!(status_of(&app, &token, question).await, "approved");
    // Readers see the answer in Quinn's thread, marked as from the staff.
    c.goto(&app.url(&app.path_of(&article))).await.unwrap();
    let thread = landed_reply(c, question).await;
    assert!(thread.contains("Eve Editor"), "{thread}");
    assert!(thread.to_lowercase().contains("staff"), "{thread}");
    assert!(thread.contains("It is: we corrected it this morning."));
    browser.close().await;
    app.stop().await;
}
