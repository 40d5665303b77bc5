//! Writing in the admin without JavaScript: the editor's fields and buttons, preview, sources,
//! uploads, validation shown in place, the refusal of a stale save with both versions kept,
//! the list's filters, review, trash, scheduling in the site's time zone, corrections, the
//! front page, revisions, and the script's autosave and live preview endpoints.

use dateline_core::users::Role;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::support::{Backend, Options, TestApp, browser, csrf, jpeg, page, sign_in, visible_text};

both_backends!(
    an_article_is_written_previewed_and_published_in_the_editor,
    mistakes_are_shown_in_place_and_nothing_is_lost,
    a_stale_save_is_refused_and_both_versions_are_shown,
    the_list_filters_searches_and_pages,
    contributors_submit_for_review_and_editors_publish,
    scheduling_reads_the_site_time_zone,
    corrections_front_page_trash_and_revisions_from_the_editor,
    autosave_and_live_preview_for_the_script,
);

const PASSWORD: &str = "correct horse battery";

/// A signed-in browser for a new account with `role`.
pub(crate) async fn staff(app: &TestApp, name: &str, role: Role) -> (reqwest::Client, String, i64) {
    let email = format!("{}@example.org", name.to_lowercase());
    let (user, token) = app.user_with_token(name, &email, role).await;
    let client = browser();
    let r = sign_in(app, &client, &email, PASSWORD).await;
    assert_eq!(r.status(), 303);
    (client, token, user.id)
}

/// The editor's form: the fields given, over an empty article.
pub(crate) fn editor_form(csrf: &str, fields: &[(&str, &str)]) -> Form {
    let mut form = Form::new().text("csrf", csrf.to_owned());
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    form
}

pub(crate) async fn post_editor(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    form: Form,
) -> (u16, String, String) {
    let r = client
        .post(app.url(path))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, r.text().await.unwrap())
}

pub(crate) fn id_of(location: &str) -> i64 {
    location
        .trim_start_matches("/admin/articles/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn input_value(html: &str, id: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(&format!("#{id}")).unwrap();
    let el = doc.select(&sel).next()?;
    Some(match el.value().name() {
        "textarea" => el.text().collect(),
        _ => el.value().attr("value").unwrap_or_default().to_owned(),
    })
}

fn is_marked_invalid(html: &str, id: &str) -> bool {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(&format!("#{id}[aria-invalid=true]")).unwrap();
    doc.select(&sel).next().is_some()
}

async fn an_article_is_written_previewed_and_published_in_the_editor(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (eve, token, _) = staff(&app, "Eve", Role::Editor).await;
    let (s, html) = page(&app, &eve, "/admin/articles/new").await;
    assert_eq!(s, 200);
    let token_of_page = crate::support::form_token(&html);
    let fields = [
        ("title", "Raid on Camp Ashraf"),
        ("dek", "Iraqi forces moved in."),
        (
            "body_markdown",
            "Iraqi forces **raided** the camp.\n\n<script>alert(1)</script>",
        ),
        ("source-0-title", "Iraqi troops raid camp"),
        ("source-0-outlet", "The Times"),
        ("source-0-url", "https://example.org/raid"),
        ("source-1-title", ""),
        ("source-2-title", "Second report"),
        ("source-2-date", "2009-07-30"),
        ("topics", "Iraq, Iran,  "),
        ("lead_alt", "Tents in rows"),
        ("lead_caption", "Camp Ashraf"),
    ];

    // Preview: the body rendered by the public renderer, nothing saved.
    let (s, _, html) = post_editor(
        &app,
        &eve,
        "/admin/articles",
        editor_form(&token_of_page, &fields).text("intent", "preview"),
    )
    .await;
    assert_eq!(s, 200);
    assert!(html.contains("<strong>raided</strong>"), "{html}");
    assert!(!html.contains("<script>alert(1)</script>"));
    assert_eq!(
        input_value(&html, "source-1-title").as_deref(),
        Some("Second report"),
        "blank rows close up"
    );
    let (_, drafts) = app
        .get_json("/api/v1/articles?status=draft", Some(&token))
        .await;
    assert_eq!(drafts["total"], 0);

    // Add a source row without JavaScript.
    let (s, _, html) = post_editor(
        &app,
        &eve,
        "/admin/articles",
        editor_form(&token_of_page, &fields).text("intent", "add-source"),
    )
    .await;
    assert_eq!(s, 200);
    assert!(input_value(&html, "source-3-title").is_some(), "{html}");

    // Save with an uploaded lead image.
    let form = editor_form(&token_of_page, &fields)
        .text("intent", "save")
        .part(
            "lead_file",
            Part::bytes(jpeg(1200, 800))
                .file_name("tents.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        );
    let (s, location, _) = post_editor(&app, &eve, "/admin/articles", form).await;
    assert_eq!(s, 303);
    assert!(location.ends_with("?done=saved"), "{location}");
    let id = id_of(&location);
    let (_, a) = app
        .get_json(&format!("/api/v1/articles/{id}"), Some(&token))
        .await;
    assert_eq!(a["status"], "draft");
    assert_eq!(a["slug"], "raid-on-camp-ashraf");
    assert_eq!(a["lead_image"]["alt"], "Tents in rows");
    assert_eq!(a["lead_image"]["width"], 1200);
    let sources: Vec<&str> = a["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["Iraqi troops raid camp", "Second report"]);
    assert_eq!(a["sources"][1]["published_at"], "2009-07-30");
    let topics: Vec<&str> = a["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(topics, ["Iraq", "Iran"]);
    assert_eq!(a["updated_by"]["name"], "Eve");

    // The editor shows it as stored; publish it.
    let (s, html) = page(&app, &eve, &location).await;
    assert_eq!(s, 200);
    assert!(html.contains("Saved."));
    assert_eq!(
        input_value(&html, "title").as_deref(),
        Some("Raid on Camp Ashraf")
    );
    let version = crate::support::form_token(&html);
    let _ = version;
    let edit = format!("/admin/articles/{id}");
    let stored_fields: Vec<(&str, String)> = [
        "title",
        "slug",
        "dek",
        "body_markdown",
        "lead_alt",
        "lead_caption",
        "lead_credit",
        "topics",
        "source-0-title",
        "source-0-outlet",
        "source-0-url",
        "source-1-title",
        "source-1-date",
    ]
    .into_iter()
    .map(|k| (k, input_value(&html, k).unwrap_or_default()))
    .collect();
    let lead_media_id = a["lead_image"]["media_id"].to_string();
    let form_from_page = |version: &Value, intent: &str, changes: &[(&str, &str)]| {
        let mut f = Form::new()
            .text("csrf", crate::support::form_token(&html))
            .text("version", version.to_string())
            .text("lead_media_id", lead_media_id.clone())
            .text("intent", intent.to_owned());
        for (k, v) in &stored_fields {
            let v = changes
                .iter()
                .find(|(c, _)| c == k)
                .map_or(v.clone(), |(_, nv)| nv.to_string());
            f = f.text(k.to_string(), v);
        }
        f
    };
    let (s, location, _) = post_editor(
        &app,
        &eve,
        &edit,
        form_from_page(&a["version"], "publish", &[]),
    )
    .await;
    assert_eq!(
        (s, location.as_str()),
        (303, format!("{edit}?done=published").as_str())
    );
    let (_, a) = app
        .get_json(&format!("/api/v1/articles/{id}"), Some(&token))
        .await;
    assert_eq!(a["status"], "published");
    let public = app.path_of(&a);
    let (s, reader_page) = app.get_text(&public).await;
    assert_eq!(s, 200);
    assert!(visible_text(&reader_page).contains("Iraqi troops raid camp"));

    // A new slug: the old address leads to the new one.
    let (s, _, _) = post_editor(
        &app,
        &eve,
        &edit,
        form_from_page(&a["version"], "save", &[("slug", "ashraf-raid")]),
    )
    .await;
    assert_eq!(s, 303);
    let r = app.get(&public).await;
    assert_eq!(r.status(), 301);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("/ashraf-raid/")
    );
    app.stop().await;
}

async fn mistakes_are_shown_in_place_and_nothing_is_lost(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (eve, token, _) = staff(&app, "Eve", Role::Editor).await;
    let c = csrf(&app, &eve).await;
    let (_, media) =
        crate::support::upload(&app, &token, jpeg(400, 300), "a.jpg", "image/jpeg").await;
    let base = [
        ("title", "Half done"),
        ("body_markdown", "Some words."),
        ("source-0-title", "A source"),
        ("source-1-title", "Another"),
        ("source-1-url", "javascript:alert(1)"),
    ];
    // A bad URL in the second source: that input is marked, every value is kept.
    let (s, _, html) = post_editor(
        &app,
        &eve,
        "/admin/articles",
        editor_form(&c, &base).text("intent", "save"),
    )
    .await;
    assert_eq!(s, 422, "{html}");
    assert!(is_marked_invalid(&html, "source-1-url"), "{html}");
    assert_eq!(input_value(&html, "title").as_deref(), Some("Half done"));
    assert_eq!(
        input_value(&html, "source-1-url").as_deref(),
        Some("javascript:alert(1)")
    );
    // Publishing needs the lead image's alt text; a draft may wait for it.
    let mut with_image = base.to_vec();
    with_image[4] = ("source-1-url", "https://example.org/");
    let media_id = media["id"].to_string();
    with_image.push(("lead_media_id", &media_id));
    let (s, _, html) = post_editor(
        &app,
        &eve,
        "/admin/articles",
        editor_form(&c, &with_image).text("intent", "publish"),
    )
    .await;
    assert_eq!(s, 422);
    assert!(is_marked_invalid(&html, "lead_alt"), "{html}");
    assert!(html.contains("alt text before publishing"));
    let (s, location, _) = post_editor(
        &app,
        &eve,
        "/admin/articles",
        editor_form(&c, &with_image).text("intent", "save"),
    )
    .await;
    assert_eq!(s, 303, "a draft saves without alt text");
    assert!(location.contains("done=saved"));
    // A slug another article has: 409, the slug input marked.
    let mut clash = base.to_vec();
    clash[4] = ("source-1-url", "");
    clash.push(("slug", "half-done"));
    let (s, _, html) = post_editor(
        &app,
        &eve,
        "/admin/articles",
        editor_form(&c, &clash).text("intent", "save"),
    )
    .await;
    assert_eq!(s, 409);
    assert!(is_marked_invalid(&html, "slug"));
    // Without the session's token nothing happens.
    let (s, _, _) = post_editor(
        &app,
        &eve,
        "/admin/articles",
        editor_form("forged", &base).text("intent", "save"),
    )
    .await;
    assert_eq!(s, 403);
    let (_, drafts) = app
        .get_json("/api/v1/articles?status=draft", Some(&token))
        .await;
    assert_eq!(drafts["total"], 1);
    app.stop().await;
}

async fn a_stale_save_is_refused_and_both_versions_are_shown(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, token, _) = staff(&app, "Ann", Role::Editor).await;
    let (bob, _, _) = staff(&app, "Bob", Role::Editor).await;
    let a = app
        .publish(
            &token,
            "The first headline",
            json!({"body_markdown": "The same body."}),
        )
        .await;
    let id = a["id"].as_i64().unwrap();
    let edit = format!("/admin/articles/{id}");
    // Both open version 1.
    let (_, ann_page) = page(&app, &ann, &edit).await;
    let (_, bob_page) = page(&app, &bob, &edit).await;
    let save = |html: &str, title: &str| {
        editor_form(
            &crate::support::form_token(html),
            &[
                ("version", &input_named(html, "version")),
                ("title", title),
                ("body_markdown", "The same body."),
                ("slug", "the-first-headline"),
                ("intent", "save"),
            ],
        )
    };
    let (s, _, _) = post_editor(&app, &ann, &edit, save(&ann_page, "Ann's headline")).await;
    assert_eq!(s, 303);
    let (s, _, html) = post_editor(&app, &bob, &edit, save(&bob_page, "Bob's headline")).await;
    assert_eq!(s, 409, "{html}");
    let text = visible_text(&html);
    assert!(text.contains("Someone else saved this article"), "{text}");
    assert!(text.contains("Ann saved it"), "{text}");
    assert!(text.contains("Their version Ann's headline"), "{text}");
    assert_eq!(
        input_value(&html, "title").as_deref(),
        Some("Bob's headline")
    );
    let (_, stored) = app
        .get_json(&format!("/api/v1/articles/{id}"), Some(&token))
        .await;
    assert_eq!(stored["title"], "Ann's headline", "nothing overwritten");
    // Having seen both, Bob saves again on top of Ann's version.
    let (s, _, _) = post_editor(&app, &bob, &edit, save(&html, "Bob's headline")).await;
    assert_eq!(s, 303);
    let (_, stored) = app
        .get_json(&format!("/api/v1/articles/{id}"), Some(&token))
        .await;
    assert_eq!(stored["title"], "Bob's headline");
    let (_, revs) = app
        .get_json(&format!("/api/v1/articles/{id}/revisions"), Some(&token))
        .await;
    assert_eq!(
        revs["items"].as_array().unwrap().len(),
        3,
        "both saves kept"
    );
    app.stop().await;
}

fn input_named(html: &str, name: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(&format!("input[name={name}]")).unwrap();
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .unwrap_or_default()
        .to_owned()
}

fn titles(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("tbody .item-title").unwrap();
    doc.select(&sel).map(|e| e.text().collect()).collect()
}

async fn the_list_filters_searches_and_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (eve, eve_token, _) = staff(&app, "Eve", Role::Editor).await;
    let (abe, abe_token, abe_id) = staff(&app, "Abe", Role::Author).await;
    for i in 0..22 {
        app.publish(
            &eve_token,
            &format!("Harbour news {i}"),
            json!({"topics": ["Ports"]}),
        )
        .await;
    }
    app.publish(&abe_token, "Desert report", json!({})).await;
    let (s, draft) = app
        .post_json(
            "/api/v1/articles",
            Some(&abe_token),
            &json!({"title": "Unfinished desert piece", "body_markdown": "x", "status": "draft"}),
        )
        .await;
    assert_eq!(s, 201);

    let (s, html) = page(&app, &eve, "/admin/articles").await;
    assert_eq!(s, 200);
    assert_eq!(titles(&html).len(), 20, "twenty to a page");
    // With the welcome article of the first start.
    assert!(visible_text(&html).contains("25 articles, page 1 of 2"));
    let (_, html) = page(&app, &eve, "/admin/articles?page=2").await;
    assert_eq!(titles(&html).len(), 5);
    let (_, html) = page(&app, &eve, "/admin/articles?q=DESERT").await;
    assert_eq!(titles(&html), ["Unfinished desert piece", "Desert report"]);
    let (_, html) = page(&app, &eve, "/admin/articles?status=draft").await;
    assert_eq!(titles(&html), ["Unfinished desert piece"]);
    let (_, html) = page(&app, &eve, &format!("/admin/articles?author={abe_id}")).await;
    assert_eq!(titles(&html).len(), 2);
    let (_, html) = page(&app, &eve, "/admin/articles?topic=ports&q=news+21").await;
    assert_eq!(titles(&html), ["Harbour news 21"]);
    assert!(
        visible_text(&html).contains("by Eve"),
        "last edited by whom"
    );
    // An author's list holds their own work.
    let (_, html) = page(&app, &abe, "/admin/articles").await;
    assert_eq!(titles(&html).len(), 2);
    // Another's article does not open in an author's editor.
    let (_, mine) = page(&app, &abe, &format!("/admin/articles/{}", draft["id"])).await;
    assert!(mine.contains("Unfinished desert piece"));
    let (_, eve_article) = app
        .get_json("/api/v1/articles?q=news+0&per_page=1", Some(&eve_token))
        .await;
    let (s, _) = page(
        &app,
        &abe,
        &format!("/admin/articles/{}", eve_article["items"][0]["id"]),
    )
    .await;
    assert_eq!(s, 403);
    app.stop().await;
}

async fn contributors_submit_for_review_and_editors_publish(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (cora, _, _) = staff(&app, "Cora", Role::Contributor).await;
    let (eve, eve_token, _) = staff(&app, "Eve", Role::Editor).await;
    let c = csrf(&app, &cora).await;
    let fields = [("title", "Please check"), ("body_markdown", "Draft text.")];
    let (s, _, _) = post_editor(
        &app,
        &cora,
        "/admin/articles",
        editor_form(&c, &fields).text("intent", "publish"),
    )
    .await;
    assert_eq!(s, 403, "contributors do not publish");
    let (s, location, _) = post_editor(
        &app,
        &cora,
        "/admin/articles",
        editor_form(&c, &fields).text("intent", "review"),
    )
    .await;
    assert_eq!(s, 303);
    assert!(location.ends_with("?done=review"));
    let (_, html) = page(&app, &cora, &location).await;
    assert!(!html.contains("value=\"publish\""), "no publish button");
    assert!(visible_text(&html).contains("Waiting for an editor's review"));
    let (_, queue) = page(&app, &eve, "/admin/articles?status=review").await;
    assert_eq!(titles(&queue), ["Please check"]);
    let id = id_of(&location);
    // The editor's dashboard lists it under "For review", linking to the editor.
    let (_, dashboard) = page(&app, &eve, "/admin").await;
    let text = visible_text(&dashboard);
    let review = &text[text.find("For review").unwrap()..text.find("Scheduled").unwrap()];
    assert!(review.contains("Please check"), "{text}");
    assert!(dashboard.contains(&format!("href=\"/admin/articles/{id}\"")));
    let (_, html) = page(&app, &eve, &format!("/admin/articles/{id}")).await;
    let form = editor_form(
        &crate::support::form_token(&html),
        &[
            ("version", &input_named(&html, "version")),
            ("title", "Please check"),
            ("body_markdown", "Draft text."),
            ("intent", "publish"),
        ],
    );
    let (s, _, _) = post_editor(&app, &eve, &format!("/admin/articles/{id}"), form).await;
    assert_eq!(s, 303);
    let (_, queue) = page(&app, &eve, "/admin/articles?status=review").await;
    assert!(titles(&queue).is_empty());
    let (_, a) = app
        .get_json(&format!("/api/v1/articles/{id}"), Some(&eve_token))
        .await;
    assert_eq!(
        (a["status"].as_str(), a["author"]["name"].as_str()),
        (Some("published"), Some("Cora"))
    );
    app.stop().await;
}

async fn scheduling_reads_the_site_time_zone(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            time_zone: Some("America/Los_Angeles".into()),
            ..Default::default()
        },
    )
    .await;
    let (eve, token, _) = staff(&app, "Eve", Role::Editor).await;
    let c = csrf(&app, &eve).await;
    let (s, location, _) = post_editor(
        &app,
        &eve,
        "/admin/articles",
        editor_form(
            &c,
            &[
                ("title", "Later"),
                ("body_markdown", "Soon."),
                ("publish_at", "2030-01-01T09:00"),
                ("intent", "schedule"),
            ],
        ),
    )
    .await;
    assert_eq!(s, 303);
    let (_, a) = app
        .get_json(
            &format!("/api/v1/articles/{}", id_of(&location)),
            Some(&token),
        )
        .await;
    assert_eq!(a["status"], "scheduled");
    assert_eq!(a["published_at"], "2030-01-01T17:00:00Z");
    let (_, html) = page(&app, &eve, &location).await;
    assert_eq!(
        input_value(&html, "publish_at").as_deref(),
        Some("2030-01-01T09:00")
    );
    assert!(visible_text(&html).contains("America/Los_Angeles"));
    let (s, _, html) = post_editor(
        &app,
        &eve,
        "/admin/articles",
        editor_form(
            &c,
            &[
                ("title", "Bad time"),
                ("body_markdown", "x"),
                ("publish_at", "soon"),
                ("intent", "schedule"),
            ],
        ),
    )
    .await;
    assert_eq!(s, 422);
    assert!(is_marked_invalid(&html, "publish_at"));
    app.stop().await;
}

async fn corrections_front_page_trash_and_revisions_from_the_editor(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (eve, token, _) = staff(&app, "Eve", Role::Editor).await;
    let a = app
        .publish(
            &token,
            "Camp raid",
            json!({"body_markdown": "Forces raided on Tuesday."}),
        )
        .await;
    let id = a["id"].as_i64().unwrap();
    let edit = format!("/admin/articles/{id}");
    let c = csrf(&app, &eve).await;
    let post_form = |path: String, fields: Vec<(&'static str, String)>| {
        let mut all = vec![("csrf", c.clone())];
        all.extend(fields);
        eve.post(app.url(&path)).form(&all).send()
    };

    // A correction from the editor's form.
    let r = post_form(
        format!("{edit}/corrections"),
        vec![
            ("kind", "correction".into()),
            ("body", "It was Wednesday.".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    let (_, reader) = app.get_text(&app.path_of(&a)).await;
    assert!(visible_text(&reader).contains(": It was Wednesday."));
    let r = post_form(
        format!("{edit}/corrections"),
        vec![("kind", "correction".into()), ("body", " ".into())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 422);
    assert!(is_marked_invalid(
        &r.text().await.unwrap(),
        "correction_body"
    ));

    // The lead story.
    let r = post_form(
        format!("{edit}/prominence"),
        vec![("prominence", "lead".into())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    let (_, home) = app.get_text("/").await;
    assert!(home.contains("lead-story-title"));

    // Revisions: an edit, the diff, a restore.
    let (_, html) = page(&app, &eve, &edit).await;
    let form = editor_form(
        &c,
        &[
            ("version", &input_named(&html, "version")),
            ("title", "Camp raid"),
            ("slug", "camp-raid"),
            ("body_markdown", "Forces raided on Wednesday."),
            ("intent", "save"),
        ],
    );
    let (s, _, _) = post_editor(&app, &eve, &edit, form).await;
    assert_eq!(s, 303);
    let (s, html) = page(&app, &eve, &format!("{edit}/revisions")).await;
    assert_eq!(s, 200);
    let doc = scraper::Html::parse_document(&html);
    let changed = |tag: &str| -> Vec<String> {
        doc.select(&scraper::Selector::parse(&format!(".diff {tag}")).unwrap())
            .map(|e| e.text().collect())
            .collect()
    };
    assert_eq!(changed("del"), ["Tuesday."]);
    assert_eq!(changed("ins"), ["Wednesday."]);
    let (_, html) = page(&app, &eve, &format!("{edit}/revisions?from=1&to=2")).await;
    assert!(visible_text(&html).contains("From revision 1 to revision 2"));
    let version = input_named(&html, "version");
    let r = post_form(
        format!("{edit}/revisions/1/restore"),
        vec![("version", version)],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    let (_, restored) = app
        .get_json(&format!("/api/v1/articles/{id}"), Some(&token))
        .await;
    assert_eq!(restored["body_markdown"], "Forces raided on Tuesday.");

    // Trash and back.
    let r = post_form(format!("{edit}/trash"), vec![]).await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(app.get(&app.path_of(&a)).await.status(), 410);
    let (_, trash) = page(&app, &eve, "/admin/articles?status=trash").await;
    assert_eq!(titles(&trash), ["Camp raid"]);
    let r = post_form(format!("{edit}/restore"), vec![]).await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(app.get(&app.path_of(&a)).await.status(), 200);

    // The welcome article of the first start goes to the trash like any other.
    let (_, all) = app.get_json("/api/v1/articles", None).await;
    let welcome = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["title"] == "Welcome to Dateline")
        .unwrap()
        .clone();
    let r = post_form(format!("/admin/articles/{}/trash", welcome["id"]), vec![])
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(app.get(&app.path_of(&welcome)).await.status(), 410);
    let (_, home) = app.get_text("/").await;
    assert!(!home.contains("Welcome to Dateline"));
    app.stop().await;
}

async fn autosave_and_live_preview_for_the_script(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (eve, token, _) = staff(&app, "Eve", Role::Editor).await;
    let c = csrf(&app, &eve).await;
    // The first autosave of a new article creates the draft and tells the script where it is.
    let (s, _, body) = post_editor(
        &app,
        &eve,
        "/admin/articles",
        editor_form(
            &c,
            &[
                ("title", "Typing"),
                ("body_markdown", "One"),
                ("intent", "autosave"),
            ],
        ),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let saved: Value = serde_json::from_str(&body).unwrap();
    let id = saved["id"].as_i64().unwrap();
    assert_eq!(saved["edit_url"], format!("/admin/articles/{id}"));
    let mut version = saved["version"].as_i64().unwrap();
    for words in ["One two", "One two three"] {
        let (s, _, body) = post_editor(
            &app,
            &eve,
            &format!("/admin/articles/{id}"),
            editor_form(
                &c,
                &[
                    ("version", &version.to_string()),
                    ("title", "Typing"),
                    ("body_markdown", words),
                    ("intent", "autosave"),
                ],
            ),
        )
        .await;
        assert_eq!(s, 200, "{body}");
        version = serde_json::from_str::<Value>(&body).unwrap()["version"]
            .as_i64()
            .unwrap();
    }
    let (_, revs) = app
        .get_json(&format!("/api/v1/articles/{id}/revisions"), Some(&token))
        .await;
    let notes: Vec<&str> = revs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["note"].as_str().unwrap())
        .collect();
    assert_eq!(
        notes,
        ["Autosaved", "Created"],
        "autosaves in a row keep one revision"
    );
    let (_, rev) = app
        .get_json(&format!("/api/v1/articles/{id}/revisions/2"), Some(&token))
        .await;
    assert_eq!(rev["snapshot"]["body_markdown"], "One two three");
    // A stale autosave is refused, and so is one of a published article.
    let (s, _, _) = post_editor(
        &app,
        &eve,
        &format!("/admin/articles/{id}"),
        editor_form(
            &c,
            &[
                ("version", "1"),
                ("title", "Typing"),
                ("body_markdown", "Old"),
                ("intent", "autosave"),
            ],
        ),
    )
    .await;
    assert_eq!(s, 412);
    let published = app.publish(&token, "Out", json!({})).await;
    let (s, _, _) = post_editor(
        &app,
        &eve,
        &format!("/admin/articles/{}", published["id"]),
        editor_form(
            &c,
            &[
                ("title", "Out"),
                ("body_markdown", "Changed"),
                ("intent", "autosave"),
            ],
        ),
    )
    .await;
    assert_eq!(s, 422);
    let (_, still) = app
        .get_json(
            &format!("/api/v1/articles/{}", published["id"]),
            Some(&token),
        )
        .await;
    assert_eq!(still["body_markdown"], "Body of Out.");
    // The live preview renders as the public page does.
    let (s, _, html) = post_editor(
        &app,
        &eve,
        "/admin/preview",
        editor_form(
            &c,
            &[("body_markdown", "*Hi* <img src=x onerror=alert(1)>")],
        ),
    )
    .await;
    assert_eq!(s, 200);
    assert!(html.contains("<em>Hi</em>"), "{html}");
    assert!(!html.contains("onerror"));
    let (s, _, _) = post_editor(
        &app,
        &eve,
        "/admin/preview",
        editor_form("forged", &[("body_markdown", "x")]),
    )
    .await;
    assert_eq!(s, 403);
    app.stop().await;
}
