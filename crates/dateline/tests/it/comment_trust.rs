//! Trust and time in the intake: first-time commenters wait for a moderator, the form's signed
//! token catches hasty robots and stale forms, closed threads refuse new comments, the site's
//! length, depth and order settings shape the page, and old addresses are forgotten.

use dateline_core::settings::SettingKey;
use serde_json::{Value, json};

use crate::support::{Backend, Options, TestApp, browser, fixed_clock, visible_text};

both_backends!(
    first_time_commenters_wait_until_one_comment_is_approved,
    the_form_token_holds_hasty_forms_and_asks_again_for_stale_ones,
    closed_threads_show_their_comments_and_refuse_new_ones,
    length_depth_order_and_pages_follow_the_settings,
    old_addresses_are_forgotten,
);

/// The token in a page's comment form.
fn token_in(html: &str) -> String {
    let start = html
        .find(r#"name="form_token" value=""#)
        .expect("a form token")
        + 25;
    html[start..][..html[start..].find('"').unwrap()].to_owned()
}

async fn first_time_commenters_wait_until_one_comment_is_approved(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options::with_comment_defaults()).await;
    app.allow_many_comments().await;
    let editor = app.editor_token().await;
    let a = app.publish(&editor, "Trust", json!({})).await["id"]
        .as_i64()
        .unwrap();
    let post = |name: &'static str, email: Option<&'static str>, body: &'static str| {
        let mut c = json!({"author_name": name, "body": body});
        if let Some(e) = email {
            c["author_email"] = json!(e);
        }
        app.api_comment(a, c)
    };
    // The first comment from an address waits, and says why; so does a second, in another case.
    let (s, first) = post("Ann", Some("ann@example.org"), "My first word.").await;
    assert_eq!((s, first["status"].as_str()), (201, Some("pending")));
    let first = first["id"].as_i64().unwrap();
    assert_eq!(
        app.moderation_item(&editor, first).await["reasons"],
        json!(["first comment from this e-mail"])
    );
    let (_, second) = post("Ann", Some("ANN@Example.org"), "Still waiting.").await;
    assert_eq!(second["status"], "pending");
    // Without an address there is no history to go by.
    let (_, anonymous) = post("Anon", None, "Who am I?").await;
    assert_eq!(anonymous["status"], "pending");
    assert_eq!(
        app.moderation_item(&editor, anonymous["id"].as_i64().unwrap())
            .await["reasons"],
        json!(["no e-mail address, so no history to go by"])
    );
    // Once one is approved, the writer is trusted, whatever the case of the address.
    let (s, _) = app
        .post_json(
            &format!("/api/v1/comments/{first}/approve"),
            Some(&editor),
            &json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, trusted) = post("Ann", Some("Ann@EXAMPLE.org"), "Now I am known.").await;
    assert_eq!(trusted["status"], "approved");
    // Trust is earned by approval only: a spammer's address stays held.
    let (_, spam) = post("Sam", Some("sam@example.org"), "Buy now.").await;
    let (s, _) = app
        .post_json(
            &format!("/api/v1/comments/{}/spam", spam["id"]),
            Some(&editor),
            &json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, again) = post("Sam", Some("sam@example.org"), "Buy again.").await;
    assert_eq!(again["status"], "pending");

    // "Hold all": even a trusted writer waits, with the site's reason.
    app.set_setting(SettingKey::CommentFirstTime, "hold_all")
        .await;
    let (_, held) = post("Ann", Some("ann@example.org"), "Held anyway.").await;
    assert_eq!(held["status"], "pending");
    assert_eq!(
        app.moderation_item(&editor, held["id"].as_i64().unwrap())
            .await["reasons"],
        json!(["every comment waits for a moderator on this site"])
    );
    // "Hold none": a newcomer is published at once.
    app.set_setting(SettingKey::CommentFirstTime, "hold_none")
        .await;
    let (_, newcomer) = post("Nia", Some("nia@example.org"), "Hello there.").await;
    assert_eq!(newcomer["status"], "approved");
    // Staff are trusted whatever the policy.
    app.set_setting(SettingKey::CommentFirstTime, "hold_all")
        .await;
    let (s, staff) = app
        .post_json(
            &format!("/api/v1/articles/{a}/comments"),
            Some(&editor),
            &json!({"author_name": "Desk", "body": "From the desk."}),
        )
        .await;
    assert_eq!((s, staff["status"].as_str()), (201, Some("approved")));
    app.stop().await;
}

async fn the_form_token_holds_hasty_forms_and_asks_again_for_stale_ones(backend: Backend) {
    let clock = fixed_clock("2026-03-01T12:00:00Z");
    let app = TestApp::spawn_with(
        backend,
        Options {
            clock: Some(clock.clone()),
            comment_defaults: true,
            ..Default::default()
        },
    )
    .await;
    app.allow_many_comments().await;
    app.set_setting(SettingKey::CommentFirstTime, "hold_none")
        .await;
    let editor = app.editor_token().await;
    let article = app.publish(&editor, "Timing", json!({})).await;
    let a = article["id"].as_i64().unwrap();
    let path = app.path_of(&article);
    let reader = browser();
    let shown = reader.get(app.url(&path)).send().await.unwrap();
    let token = token_in(&shown.text().await.unwrap());
    let at = |secs: i64| {
        let t: jiff::Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
        clock.set(t + jiff::SignedDuration::from_millis(secs));
    };
    let send = |token: String, body: &'static str| {
        reader
            .post(app.url(&format!("/articles/{a}/comments")))
            .form(&[
                ("form_token", token),
                ("author_name", "Rita".to_owned()),
                ("body", body.to_owned()),
            ])
            .send()
    };
    let newest = || async {
        let (_, q) = app
            .get_json(
                &format!("/api/v1/comments?status=pending&article_id={a}"),
                Some(&editor),
            )
            .await;
        let (_, s) = app
            .get_json(
                &format!("/api/v1/comments?status=spam&article_id={a}"),
                Some(&editor),
            )
            .await;
        (q, s)
    };
    // Sent 1.2 s after the form was shown: held, with the time it took.
    at(1200);
    let r = send(token.clone(), "Too quick to have read it.")
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (pending, _) = newest().await;
    assert_eq!(
        pending["items"][0]["reasons"],
        json!(["sent 1.2 s after the form was shown"])
    );
    // Sent after the 3 seconds a person needs: published.
    at(4000);
    let r = send(token.clone(), "Read, then written.").await.unwrap();
    assert_eq!(r.status(), 303);
    let (_, page) = app.get_text(&path).await;
    assert!(visible_text(&page).contains("Read, then written."));
    // Without the token, or with one this site did not sign.
    let r = send(String::new(), "No token at all.").await.unwrap();
    assert_eq!(r.status(), 303);
    let (pending, _) = newest().await;
    assert_eq!(
        pending["items"][0]["reasons"],
        json!(["sent without the form's token"])
    );
    let forged = format!(
        "{}.{}",
        jiff::Timestamp::UNIX_EPOCH.as_microsecond(),
        "0".repeat(64)
    );
    let r = send(forged, "Forged token.").await.unwrap();
    assert_eq!(r.status(), 303);
    let (_, spam) = newest().await;
    assert_eq!(
        spam["items"][0]["reasons"],
        json!(["sent with a form token this site did not make"])
    );
    // A day later the form is stale: shown again with the text kept and a fresh token, which
    // then works.
    at(25 * 3600 * 1000);
    let r = send(token.clone(), "Left open overnight.").await.unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(visible_text(&html).contains("This form was shown more than 24 hours ago"));
    assert!(html.contains(">Left open overnight.</textarea>"));
    let fresh = token_in(&html);
    assert_ne!(fresh, token);
    at(25 * 3600 * 1000 + 10_000);
    let r = send(fresh, "Left open overnight.").await.unwrap();
    assert_eq!(r.status(), 303);
    // The API has no form, and no token to judge.
    let (s, api) = app
        .api_comment(a, json!({"author_name": "Api", "body": "Straight in."}))
        .await;
    assert_eq!((s, api["status"].as_str()), (201, Some("approved")));
    app.stop().await;
}

async fn closed_threads_show_their_comments_and_refuse_new_ones(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let editor = app.editor_token().await;
    let article = app.publish(&editor, "Closing", json!({})).await;
    assert_eq!(article["comments_open"], true);
    let a = article["id"].as_i64().unwrap();
    let path = app.path_of(&article);
    let (s, _) = app
        .api_comment(a, json!({"author_name": "Ann", "body": "Said before."}))
        .await;
    assert_eq!(s, 201);
    // The editor closes the thread through the API.
    let (s, closed) = app
        .patch_json(
            &format!("/api/v1/articles/{a}"),
            &editor,
            &json!({"comments_open": false}),
        )
        .await;
    assert_eq!(
        (s, &closed["comments_open"]),
        (200, &json!(false)),
        "{closed}"
    );
    // The page caches to come learn of it from the log.
    let (_, log) = app
        .get_json(
            "/api/v1/activity?kind=article.updated&limit=1",
            Some(&editor),
        )
        .await;
    assert_eq!(
        log["items"][0]["payload"]["changed"],
        json!(["comments_open"])
    );
    // The page still shows the comments, says the thread is closed, and has no form.
    let (_, html) = app.get_text(&path).await;
    let text = visible_text(&html);
    assert!(text.contains("Said before."));
    assert!(text.contains("Comments are closed"));
    assert!(!html.contains("<form method=\"post\" action=\"/articles/"));
    assert!(!html.contains("reply-link"));
    // A form sent anyway gets a clear page that keeps the text; the API answers 403.
    let r = app
        .send_comment_form(
            &browser(),
            a,
            &[("author_name", "Bob"), ("body", "Too late?")],
        )
        .await;
    assert_eq!(r.status(), 403);
    let html = r.text().await.unwrap();
    assert!(visible_text(&html).contains("Comments on this article are closed."));
    assert!(html.contains(">Too late?</textarea>"));
    let (s, body) = app
        .api_comment(a, json!({"author_name": "Bob", "body": "Too late?"}))
        .await;
    assert_eq!(s, 403, "{body}");
    assert_eq!(
        body["error"]["message"],
        "Comments on this article are closed."
    );
    // Null opens it again.
    let (s, open) = app
        .patch_json(
            &format!("/api/v1/articles/{a}"),
            &editor,
            &json!({"comments_open": null}),
        )
        .await;
    assert_eq!((s, &open["comments_open"]), (200, &json!(true)));
    let (s, _) = app
        .api_comment(a, json!({"author_name": "Bob", "body": "Open again."}))
        .await;
    assert_eq!(s, 201);

    // The site's rule: articles older than 30 days are closed; newer ones are not.
    let old = app
        .publish(
            &editor,
            "Old news",
            json!({"published_at": "2009-07-31T16:00:00Z"}),
        )
        .await;
    let o = old["id"].as_i64().unwrap();
    let (s, _) = app
        .api_comment(o, json!({"author_name": "Cy", "body": "Before the rule."}))
        .await;
    assert_eq!(s, 201);
    app.set_setting(SettingKey::CommentCloseAfterDays, "30")
        .await;
    let (s, _) = app
        .api_comment(o, json!({"author_name": "Cy", "body": "After the rule."}))
        .await;
    assert_eq!(s, 403);
    let (_, html) = app.get_text(&app.path_of(&old)).await;
    assert!(visible_text(&html).contains("Comments are closed"));
    assert!(visible_text(&html).contains("Before the rule."));
    let (s, _) = app
        .api_comment(a, json!({"author_name": "Cy", "body": "Fresh enough."}))
        .await;
    assert_eq!(s, 201);
    app.stop().await;
}

async fn length_depth_order_and_pages_follow_the_settings(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.allow_many_comments().await;
    let editor = app.editor_token().await;
    let article = app.publish(&editor, "Busy thread", json!({})).await;
    let a = article["id"].as_i64().unwrap();
    let path = app.path_of(&article);
    // The longest comment: refused with the limit, by the API and the form (which keeps it).
    app.set_setting(SettingKey::CommentMaxChars, "40").await;
    let long = "This comment runs past forty characters, by far.";
    let (s, body) = app
        .api_comment(a, json!({"author_name": "Lu", "body": long}))
        .await;
    assert_eq!(s, 422);
    assert_eq!(body["error"]["field"], "body");
    assert_eq!(
        body["error"]["message"],
        format!(
            "Keep your comment to 40 characters; it has {}.",
            long.chars().count()
        )
    );
    let r = app
        .send_comment_form(&browser(), a, &[("author_name", "Lu"), ("body", long)])
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains(&format!(">{long}</textarea>")));
    assert!(html.contains(r#"maxlength="40""#));
    let (s, _) = app
        .api_comment(a, json!({"author_name": "Lu", "body": "Short."}))
        .await;
    assert_eq!(s, 201);
    app.set_setting(SettingKey::CommentMaxChars, "5000").await;

    // Depth 2: a reply to a reply is shown at the second level, naming whom it answers.
    app.set_setting(SettingKey::CommentThreadDepth, "2").await;
    let mut parent = None;
    let mut ids = Vec::new();
    for name in ["Ada", "Bo", "Cy"] {
        let (_, c) = app.api_comment(a,
            json!({"author_name": name, "body": format!("{name} speaks."), "parent_id": parent}),
        )
        .await;
        parent = c["id"].as_i64();
        ids.push(parent.unwrap());
    }
    let (_, html) = app.get_text(&path).await;
    let doc = scraper::Html::parse_document(&html);
    let under = |css: &str| doc.select(&scraper::Selector::parse(css).unwrap()).count();
    assert_eq!(under(&format!("#comment-{} > ol.replies > li", ids[0])), 2);
    assert_eq!(under(&format!("#comment-{} ol.replies", ids[1])), 0);
    assert_eq!(
        under(&format!("#comment-{} .in-reply-to", ids[2])),
        1,
        "the deepest answers Bo by name"
    );

    // More than 100 threads: pages of 100, oldest first by default, the reader may choose.
    for i in 0..101 {
        let (s, _) = app
            .api_comment(
                a,
                json!({"author_name": "Many", "body": format!("Thread {i}.")}),
            )
            .await;
        assert_eq!(s, 201);
    }
    let (_, first) = app.get_text(&path).await;
    let first_text = visible_text(&first);
    assert!(
        first_text.contains("Page 1 of 2 (103 threads)"),
        "{first_text}"
    );
    assert!(first_text.contains("Short."));
    assert!(!first_text.contains("Thread 100."));
    assert!(first.contains("rel=\"next\""));
    let (_, second) = app.get_text(&format!("{path}?cpage=2")).await;
    let second_text = visible_text(&second);
    assert!(second_text.contains("Thread 98.") && second_text.contains("Thread 100."));
    assert!(!second_text.contains("Short."));
    // Newest first, as the reader's choice and then as the site's.
    let (_, newest) = app.get_text(&format!("{path}?comments=newest")).await;
    let newest_text = visible_text(&newest);
    assert!(newest_text.contains("Thread 100.") && !newest_text.contains("Short."));
    assert!(newest_text.find("Thread 100.") < newest_text.find("Thread 99."));
    app.set_setting(SettingKey::CommentOrder, "newest").await;
    let (_, html) = app.get_text(&path).await;
    assert!(visible_text(&html).contains("Newest first"));
    assert!(visible_text(&html).contains("Thread 100."));
    // A link to one comment (where a reader lands after posting) opens its page.
    let (_, html) = app.get_text(&format!("{path}?c={}", ids[2])).await;
    assert!(visible_text(&html).contains("Cy speaks."));
    assert!(visible_text(&html).contains("Page 2 of 2"));
    app.stop().await;
}

async fn old_addresses_are_forgotten(backend: Backend) {
    let (app, clock) = TestApp::spawn_at(backend, "2026-01-01T00:00:00Z").await;
    let editor = app.editor_token().await;
    let a = app.publish(&editor, "Memory", json!({})).await["id"]
        .as_i64()
        .unwrap();
    let (_, c) = app
        .api_comment(a, json!({"author_name": "Ida", "body": "Remember me?"}))
        .await;
    let id = c["id"].as_i64().unwrap();
    assert!(app.moderation_item(&editor, id).await["ip_hash"].is_string());
    let later: jiff::Timestamp = "2026-04-02T00:00:00Z".parse().unwrap();
    clock.set(later);
    // Kept while the setting says to keep them ...
    app.set_setting(SettingKey::CommentForgetAddressesDays, "0")
        .await;
    assert_eq!(
        dateline_app::comments::forget_addresses(&app.app)
            .await
            .unwrap(),
        0
    );
    assert!(app.moderation_item(&editor, id).await["ip_hash"].is_string());
    // ... and forgotten after 90 days (the default), leaving the comment.
    app.set_setting(SettingKey::CommentForgetAddressesDays, "90")
        .await;
    assert_eq!(
        dateline_app::comments::forget_addresses(&app.app)
            .await
            .unwrap(),
        1
    );
    let kept = app.moderation_item(&editor, id).await;
    assert!(kept["ip_hash"].is_null(), "{kept}");
    assert_eq!(kept["body"], "Remember me?");
    app.stop().await;
}

both_backends!(
    the_classifier_learns_from_decisions_and_holds_what_it_learned,
    a_staff_reply_is_marked_and_approves_what_it_answers,
    the_classifier_writes_its_position_only_for_a_lesson,
);

const SPAM: [&str; 6] = [
    "Cheap casino bonus codes",
    "Win real money at the online casino tonight",
    "Buy discount pills without prescription",
    "Best crypto investment doubles your bitcoin",
    "Hot singles casino jackpot free spins",
    "Earn money fast, click for the casino bonus",
];
const HAM: [&str; 6] = [
    "The ministry's figures for the camp do not match the reporting from Baghdad",
    "I read the Associated Press account differently: the police station came first",
    "Which agreement governs the protection of the residents after the withdrawal?",
    "This analysis leaves out what the United Nations said about the raid",
    "The correction at the end is welcome; the date in the second paragraph was wrong",
    "Good summary of the sources, though the Times piece was updated since",
];

async fn classifier_status(app: &TestApp, token: &str) -> Value {
    let (s, status) = app
        .get_json("/api/v1/comments/classifier", Some(token))
        .await;
    assert_eq!(s, 200, "{status}");
    status
}

/// Waits until the classifier has read the whole activity log (it learns in the background).
async fn until_learned(app: &TestApp, token: &str) -> Value {
    for _ in 0..200 {
        let status = classifier_status(app, token).await;
        if status["position"].as_i64() == Some(app.db.latest_event_id().await.unwrap()) {
            return status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the classifier did not catch up");
}

/// Readers' comments teach the classifier nothing: it reads past them without a write (which
/// took the writers' turn from the comments themselves), and stores its position with the next
/// lesson.
async fn the_classifier_writes_its_position_only_for_a_lesson(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let editor = app.editor_token().await;
    let a = app.publish(&editor, "Nothing to learn", json!({})).await["id"]
        .as_i64()
        .unwrap();
    until_learned(&app, &editor).await;
    let stored = app.db.consumer_position("classifier").await.unwrap();
    let mut ids = Vec::new();
    for (i, body) in HAM.iter().take(5).enumerate() {
        let (s, c) = app
            .api_comment(
                a,
                json!({"author_name": format!("Reader {i}"), "body": body}),
            )
            .await;
        assert_eq!(s, 201, "{c}");
        ids.push(c["id"].as_i64().unwrap());
    }
    let status = until_learned(&app, &editor).await;
    assert_eq!(status["approved_examples"], 0, "{status}");
    assert_eq!(
        app.db.consumer_position("classifier").await.unwrap(),
        stored,
        "no write for events that teach nothing"
    );
    let (s, _) = app
        .post_json(
            &format!("/api/v1/comments/{}/spam", ids[0]),
            Some(&editor),
            &json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let status = until_learned(&app, &editor).await;
    assert_eq!(status["spam_examples"], 1, "{status}");
    assert_eq!(
        app.db.consumer_position("classifier").await.unwrap(),
        app.db.latest_event_id().await.unwrap(),
        "stored with the lesson"
    );
    app.stop().await;
}

async fn the_classifier_learns_from_decisions_and_holds_what_it_learned(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options::with_comment_defaults()).await;
    app.allow_many_comments().await;
    app.set_setting(SettingKey::CommentFirstTime, "hold_all")
        .await;
    // A second process on the same database: each decision must still be learned once.
    let second = app.another_node().await;
    let editor = app.editor_token().await;
    let a = app.publish(&editor, "Learning", json!({})).await["id"]
        .as_i64()
        .unwrap();
    let spec: Value =
        serde_json::from_str(include_str!("../../../dateline-web/src/api/openapi.json")).unwrap();
    let status = until_learned(&app, &editor).await;
    crate::api_articles::conforms(&spec, "ClassifierStatus", &status);
    assert_eq!(
        (
            status["spam_examples"].as_i64(),
            status["approved_examples"].as_i64(),
            &status["ready"]
        ),
        (Some(0), Some(0), &json!(false))
    );
    let decide = |id: i64, decision: &'static str| {
        let app = &app;
        let editor = editor.clone();
        async move {
            app.post_json(
                &format!("/api/v1/comments/{id}/{decision}"),
                Some(&editor),
                &json!({}),
            )
            .await
        }
    };
    let mut spam_ids = Vec::new();
    for i in 0..20 {
        let body = format!(
            "{} {i}! Visit https://casino{}.example now",
            SPAM[i % 6],
            i % 3
        );
        let (_, c) = app.api_comment(a,
            json!({"author_name": "Promo", "author_email": format!("promo{i}@casino.example"), "body": body}),
        )
        .await;
        spam_ids.push(c["id"].as_i64().unwrap());
        assert_eq!(decide(spam_ids[i], "spam").await.0, 200);
    }
    let mut ham_ids = Vec::new();
    for i in 0..19 {
        let body = format!("{} (point {i}).", HAM[i % 6]);
        let (_, c) = app
            .api_comment(
                a,
                json!({"author_name": format!("Reader {i}"), "body": body}),
            )
            .await;
        ham_ids.push(c["id"].as_i64().unwrap());
        assert_eq!(decide(ham_ids[i], "approve").await.0, 200);
    }
    let status = until_learned(&app, &editor).await;
    assert_eq!(
        (
            status["spam_examples"].as_i64(),
            status["approved_examples"].as_i64()
        ),
        (Some(20), Some(19)),
        "each decision learned once, by one of the two processes"
    );
    // With 19 good examples it is still silent: spam passes as far as it is concerned.
    app.set_setting(SettingKey::CommentFirstTime, "hold_none")
        .await;
    let (_, early) = app.api_comment(a,
        json!({"author_name": "Promo", "body": "Cheap casino bonus, early bird! https://casino1.example"}),
    )
    .await;
    assert_eq!(early["status"], "approved");
    // A comment brought in with its status teaches it too: the twentieth good example.
    let (s, _) = app
        .post_json(
            &format!("/api/v1/articles/{a}/comments"),
            Some(&editor),
            &json!({"author_name": "Old reader", "body": "An imported, thoughtful remark on the raid.",
                    "status": "approved", "created_at": "2009-08-01T10:00:00Z"}),
        )
        .await;
    assert_eq!(s, 201);
    let status = until_learned(&app, &editor).await;
    assert_eq!(
        (status["approved_examples"].as_i64(), &status["ready"]),
        (Some(20), &json!(true))
    );
    // Now it judges: spam like what it learned is held or marked, saying how sure it is.
    let (_, caught) = app
        .api_comment(
            a,
            json!({"author_name": "Promo", "author_email": "promo99@casino.example",
               "body": "Win money with the casino bonus! https://casino2.example"}),
        )
        .await;
    assert_ne!(caught["status"], "approved", "{caught}");
    let reasons = app
        .moderation_item(&editor, caught["id"].as_i64().unwrap())
        .await["reasons"]
        .clone();
    let reason = reasons[0].as_str().unwrap();
    assert!(reason.starts_with("classifier: spam 0."), "{reason}");
    let p: f64 = reason["classifier: spam ".len()..].parse().unwrap();
    assert!(p >= 0.8, "{reason}");
    // An ordinary comment is not touched.
    let (_, fine) = app.api_comment(a,
        json!({"author_name": "Reader", "body": "The reporting from Baghdad about the police station is not what the ministry said."}),
    )
    .await;
    assert_eq!(fine["status"], "approved", "{fine}");
    // A reversed decision is unlearned: a spam example approved becomes a good one.
    assert_eq!(decide(spam_ids[0], "approve").await.0, 200);
    let status = until_learned(&app, &editor).await;
    assert_eq!(
        (
            status["spam_examples"].as_i64(),
            status["approved_examples"].as_i64()
        ),
        (Some(19), Some(21))
    );
    // The desk says what it has learned.
    let (eve, _, _) =
        crate::admin_articles::staff(&app, "Eve", dateline_core::users::Role::Editor).await;
    let (_, desk) = crate::support::page(&app, &eve, "/admin/comments").await;
    assert!(visible_text(&desk).contains("Learned from 19 spam and 21 approved comments"));
    second.stop().await.unwrap();
    app.stop().await;
}

async fn a_staff_reply_is_marked_and_approves_what_it_answers(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options::with_comment_defaults()).await;
    let (eve, token, _) =
        crate::admin_articles::staff(&app, "Eve", dateline_core::users::Role::Editor).await;
    let article = app.publish(&token, "Ask the desk", json!({})).await;
    let a = article["id"].as_i64().unwrap();
    let (_, question) = app.api_comment(a,
        json!({"author_name": "Quinn", "author_email": "quinn@example.org", "body": "Is the date right?"}),
    )
    .await;
    assert_eq!(question["status"], "pending");
    let q = question["id"].as_i64().unwrap();
    let csrf = crate::support::csrf(&app, &eve).await;
    let r = eve
        .post(app.url(&format!("/admin/comments/{q}/reply")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("status", "pending"),
            ("body", "It is: we corrected it this morning."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .contains("done=replied")
    );
    // The question is approved with it, and the answer sits in its thread, marked as staff.
    assert_eq!(app.moderation_item(&token, q).await["status"], "approved");
    let (_, html) = app.get_text(&app.path_of(&article)).await;
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse(&format!("#comment-{q} > ol.replies > li")).unwrap();
    let reply = doc.select(&sel).next().expect("the reply in the thread");
    let text = visible_text(&reply.html());
    assert!(text.contains("Eve Staff"), "{text}");
    assert!(text.contains("It is: we corrected it this morning."));
    let (_, list) = app
        .get_json(&format!("/api/v1/articles/{a}/comments"), None)
        .await;
    let flags: Vec<(String, bool)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["author_name"].as_str().unwrap().to_owned(),
                c["by_staff"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        flags,
        [("Quinn".to_owned(), false), ("Eve".to_owned(), true)]
    );
    // Comments brought in by staff keep their own writers: not marked.
    let (s, _) = app
        .post_json(
            &format!("/api/v1/articles/{a}/comments"),
            Some(&token),
            &json!({"author_name": "Imported", "body": "From the old site.", "status": "approved",
                    "created_at": "2009-08-01T10:00:00Z"}),
        )
        .await;
    assert_eq!(s, 201);
    let (_, list) = app
        .get_json(&format!("/api/v1/articles/{a}/comments"), None)
        .await;
    assert_eq!(list["items"][0]["author_name"], "Imported");
    assert_eq!(list["items"][0]["by_staff"], false);
    app.stop().await;
}

both_backends!(the_editor_closes_and_opens_comments);

async fn the_editor_closes_and_opens_comments(backend: Backend) {
    use crate::admin_articles::{editor_form, id_of, post_editor, staff};
    let app = TestApp::spawn(backend).await;
    let (eve, token, _) = staff(&app, "Eve", dateline_core::users::Role::Editor).await;
    let c = crate::support::csrf(&app, &eve).await;
    let fields = [("title", "Quiet piece"), ("body_markdown", "No debate.")];
    // Ticked, the article is published closed ...
    let (s, location, html) = post_editor(
        &app,
        &eve,
        "/admin/articles",
        editor_form(&c, &fields)
            .text("comments_closed", "1")
            .text("intent", "publish"),
    )
    .await;
    assert_eq!(s, 303, "{html}");
    let id = id_of(&location);
    let (_, article) = app
        .get_json(&format!("/api/v1/articles/{id}"), Some(&token))
        .await;
    assert_eq!(article["comments_open"], false);
    let (_, editor) = crate::support::page(&app, &eve, &format!("/admin/articles/{id}")).await;
    assert!(editor.contains(r#"name="comments_closed" type="checkbox" value="1" checked"#));
    let (s, _) = app
        .api_comment(id, json!({"author_name": "Ann", "body": "Hello?"}))
        .await;
    assert_eq!(s, 403);
    // ... unticked, another is open.
    let (s, location, _) = post_editor(
        &app,
        &eve,
        "/admin/articles",
        editor_form(&c, &[("title", "Open piece"), ("body_markdown", "Debate.")])
            .text("intent", "publish"),
    )
    .await;
    assert_eq!(s, 303);
    let (s, _) = app
        .api_comment(
            id_of(&location),
            json!({"author_name": "Ann", "body": "Hello!"}),
        )
        .await;
    assert_eq!(s, 201);
    app.stop().await;
}

both_backends!(the_comment_rules_are_set_and_checked_through_the_api);

async fn the_comment_rules_are_set_and_checked_through_the_api(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options::with_comment_defaults()).await;
    let (_, owner) = app
        .user_with_token(
            "Olga",
            "olga@example.org",
            dateline_core::users::Role::Owner,
        )
        .await;
    let (s, settings) = app.get_json("/api/v1/settings", Some(&owner)).await;
    assert_eq!(s, 200);
    for (k, v) in [
        ("comment_first_time", json!("hold_first_time")),
        ("comment_form_min_seconds", json!(3)),
        ("comment_form_max_hours", json!(24)),
        ("comment_max_chars", json!(5000)),
        ("comment_thread_depth", json!(4)),
        ("comment_order", json!("oldest")),
        ("comment_close_after_days", json!(0)),
        ("comment_forget_addresses_days", json!(90)),
    ] {
        assert_eq!(settings[k], v, "{k}");
    }
    let change = json!({"comment_first_time": "hold_all", "comment_thread_depth": 6,
                        "comment_order": "newest", "comment_close_after_days": 365});
    let (s, changed) = app.patch_json("/api/v1/settings", &owner, &change).await;
    assert_eq!(s, 200, "{changed}");
    for (k, v) in change.as_object().unwrap() {
        assert_eq!(&changed[k], v, "{k}");
    }
    // A refused value names its field and changes nothing.
    for (k, v) in [
        ("comment_first_time", json!("hold_some")),
        ("comment_thread_depth", json!(0)),
        ("comment_max_chars", json!(10001)),
        ("comment_order", json!("random")),
        ("comment_form_min_seconds", json!(-1)),
    ] {
        let (s, body) = app
            .patch_json(
                "/api/v1/settings",
                &owner,
                &json!({k: v, "comment_forget_addresses_days": 7}),
            )
            .await;
        assert_eq!(s, 422, "{k}: {body}");
        assert_eq!(body["error"]["field"], k);
    }
    let (_, after) = app.get_json("/api/v1/settings", Some(&owner)).await;
    assert_eq!(after["comment_forget_addresses_days"], 90);
    assert_eq!(after["comment_thread_depth"], 6);
    app.stop().await;
}

both_backends!(readers_behind_a_trusted_proxy_are_told_apart);

/// Behind a load balancer named with `--trusted-proxies`, each reader is counted under their
/// own address (the nearest one the balancer vouches for), not the balancer's; a stranger's
/// `X-Forwarded-For` is ignored.
async fn readers_behind_a_trusted_proxy_are_told_apart(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            trusted_proxies: vec!["127.0.0.0/8".into()],
            ..Default::default()
        },
    )
    .await;
    let editor = app.editor_token().await;
    let a = app.publish(&editor, "Behind a proxy", json!({})).await["id"]
        .as_i64()
        .unwrap();
    let send = |forwarded: &'static str, body: String| {
        let app = &app;
        async move {
            let r = app
                .client
                .post(app.url(&format!("/api/v1/articles/{a}/comments")))
                .header("x-forwarded-for", forwarded)
                .json(&json!({"author_name": "Ann", "body": body}))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or_default())
        }
    };
    let hash_of = |ip: &str| app.app.ip_hash(ip.parse().unwrap());
    let (s, c) = send("1.1.1.1, 203.0.113.9", "Forwarded for me.".into()).await;
    assert_eq!(s, 201);
    let stored = app
        .moderation_item(&editor, c["id"].as_i64().unwrap())
        .await;
    assert_eq!(
        stored["ip_hash"].as_str(),
        Some(hash_of("203.0.113.9").as_str()),
        "the nearest address the proxy vouches for, not the one the client wrote"
    );
    // Each reader has their own rate limit: five in a row from one, then the sixth is refused,
    // while another reader behind the same balancer still posts.
    for i in 1..5 {
        assert_eq!(send("203.0.113.9", format!("Again {i}.")).await.0, 201);
    }
    assert_eq!(send("203.0.113.9", "One too many.".into()).await.0, 429);
    assert_eq!(send("198.51.100.4", "Someone else.".into()).await.0, 201);
    app.stop().await;

    // A site that trusts no proxy ignores the header.
    let plain = TestApp::spawn(backend).await;
    let editor = plain.editor_token().await;
    let a = plain.publish(&editor, "Direct", json!({})).await["id"]
        .as_i64()
        .unwrap();
    let r = plain
        .client
        .post(plain.url(&format!("/api/v1/articles/{a}/comments")))
        .header("x-forwarded-for", "203.0.113.9")
        .json(&json!({"author_name": "Ann", "body": "Direct."}))
        .send()
        .await
        .unwrap();
    let c: Value = r.json().await.unwrap();
    let stored = plain
        .moderation_item(&editor, c["id"].as_i64().unwrap())
        .await;
    assert_eq!(
        stored["ip_hash"].as_str(),
        Some(plain.app.ip_hash("127.0.0.1".parse().unwrap()).as_str())
    );
    plain.stop().await;
}
