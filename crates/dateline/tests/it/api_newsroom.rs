//! The newsroom's editing through the API: versions and `If-Match`, revisions with diffs and
//! restore, corrections on the public page, old addresses, trash, review requests and the front
//! page's lead.

use dateline_core::users::Role;
use reqwest::header::{ETAG, IF_MATCH};
use serde_json::{Value, json};

use crate::{
    api_articles::conforms,
    support::{Backend, TestApp, visible_text},
};

both_backends!(
    a_stale_save_is_refused_with_412,
    every_save_is_a_revision_that_can_be_compared_and_restored,
    corrections_are_dated_on_the_page_and_kept_in_history,
    old_addresses_answer_301_with_the_current_one,
    trash_review_and_the_front_page,
);

async fn patch_if_match(
    app: &TestApp,
    id: i64,
    token: &str,
    tag: Option<&str>,
    body: Value,
) -> (u16, Option<String>, Value) {
    let mut req = app
        .client
        .patch(app.url(&format!("/api/v1/articles/{id}")))
        .bearer_auth(token)
        .json(&body);
    if let Some(tag) = tag {
        req = req.header(IF_MATCH, tag);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let etag = r
        .headers()
        .get(ETAG)
        .map(|v| v.to_str().unwrap().to_owned());
    (status, etag, r.json().await.unwrap())
}

async fn etag_of(app: &TestApp, id: i64, token: &str) -> String {
    let r = app
        .client
        .get(app.url(&format!("/api/v1/articles/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.headers()[ETAG].to_str().unwrap().to_owned()
}

async fn a_stale_save_is_refused_with_412(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let eve = app.editor_token().await;
    let a = app.publish(&eve, "Two editors", json!({})).await;
    let id = a["id"].as_i64().unwrap();
    assert_eq!(a["version"], 1);

    // Both read version 1; the first to save wins, the second is told and changes nothing.
    let read = etag_of(&app, id, &eve).await;
    let (s, first_tag, first) =
        patch_if_match(&app, id, &eve, Some(&read), json!({"dek": "First."})).await;
    assert_eq!((s, first["version"].as_i64()), (200, Some(2)), "{first}");
    assert_ne!(first_tag.as_deref(), Some(read.as_str()));
    let (s, _, refused) =
        patch_if_match(&app, id, &eve, Some(&read), json!({"dek": "Second."})).await;
    assert_eq!(s, 412, "{refused}");
    assert_eq!(refused["error"]["code"], "edit_conflict");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("version 2"),
        "{refused}"
    );
    let (_, now) = app
        .get_json(&format!("/api/v1/articles/{id}"), Some(&eve))
        .await;
    assert_eq!(
        (now["dek"].as_str(), now["version"].as_i64()),
        (Some("First."), Some(2))
    );

    // The tag of the current version saves; `*` and no header save whatever the version; a tag
    // that is not ours never matches.
    let (s, _, _) = patch_if_match(&app, id, &eve, first_tag.as_deref(), json!({"dek": "3"})).await;
    assert_eq!(s, 200);
    let (s, _, _) = patch_if_match(&app, id, &eve, Some("*"), json!({"dek": "4"})).await;
    assert_eq!(s, 200);
    let (s, _, _) = patch_if_match(&app, id, &eve, Some("W/\"v5-c0\""), json!({"dek": "x"})).await;
    assert_eq!(s, 412);
    let (s, _, _) = patch_if_match(&app, id, &eve, Some("\"nonsense\""), json!({"dek": "x"})).await;
    assert_eq!(s, 412);
    let (s, _, last) = patch_if_match(&app, id, &eve, None, json!({"dek": "5"})).await;
    assert_eq!((s, last["version"].as_i64()), (200, Some(5)));
    // A new comment changes the representation, and so the tag, but not the version.
    let before = etag_of(&app, id, &eve).await;
    let (s, _) = app
        .post_json(
            &format!("/api/v1/articles/{id}/comments"),
            None,
            &json!({"author_name": "ali", "body": "Hi"}),
        )
        .await;
    assert_eq!(s, 201);
    let after = etag_of(&app, id, &eve).await;
    assert_ne!(before, after);
    let (s, _, _) = patch_if_match(&app, id, &eve, Some(&after), json!({"dek": "6"})).await;
    assert_eq!(s, 200);
    app.stop().await;
}

async fn every_save_is_a_revision_that_can_be_compared_and_restored(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let eve = app.editor_token().await;
    let (_, abe) = app
        .user_with_token("Abe", "abe@example.org", Role::Author)
        .await;
    let (s, a) = app
        .post_json(
            "/api/v1/articles",
            Some(&eve),
            &json!({"title": "Camp raid", "body_markdown": "Iraqi forces raided the camp on Tuesday.",
                    "status": "draft"}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    let id = a["id"].as_i64().unwrap();
    let path = format!("/api/v1/articles/{id}");
    app.patch_json(
        &path,
        &eve,
        &json!({"body_markdown": "Iraqi troops raided the camp on Wednesday."}),
    )
    .await;
    app.patch_json(&path, &eve, &json!({"status": "published"}))
        .await;

    let (s, list) = app.get_json(&format!("{path}/revisions"), Some(&eve)).await;
    assert_eq!(s, 200, "{list}");
    let spec: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    conforms(&spec, "RevisionList", &list);
    let notes: Vec<(i64, &str)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["number"].as_i64().unwrap(), r["note"].as_str().unwrap()))
        .collect();
    assert_eq!(notes, [(3, "Published"), (2, "Edited"), (1, "Created")]);
    assert_eq!(list["items"][0]["author"]["name"], "Eda Editor");

    // Words, not characters, are compared; unchanged fields are left out.
    let (s, rev) = app
        .get_json(&format!("{path}/revisions/2?compare_to=1"), Some(&eve))
        .await;
    assert_eq!(s, 200, "{rev}");
    conforms(&spec, "Revision", &rev);
    let fields: Vec<&str> = rev["diff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["Body"]);
    let spans = &rev["diff"][0]["spans"];
    let of = |change: &str| -> String {
        spans
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["change"] == change)
            .map(|s| s["text"].as_str().unwrap())
            .collect::<Vec<_>>()
            .join("|")
    };
    assert_eq!(of("removed"), "forces|Tuesday.");
    assert_eq!(of("added"), "troops|Wednesday.");
    let (s, e) = app
        .get_json(&format!("{path}/revisions/2?compare_to=9"), Some(&eve))
        .await;
    assert_eq!((s, e["error"]["code"].as_str()), (404, Some("not_found")));
    let (s, _) = app
        .get_json(&format!("{path}/revisions/9"), Some(&eve))
        .await;
    assert_eq!(s, 404);

    // Restoring brings back the words, keeps the status, and is itself a revision.
    let (s, restored) = app
        .post_json(
            &format!("{path}/revisions/1/restore"),
            Some(&eve),
            &json!({}),
        )
        .await;
    assert_eq!(s, 200, "{restored}");
    assert_eq!(
        (
            restored["body_markdown"].as_str(),
            restored["status"].as_str()
        ),
        (
            Some("Iraqi forces raided the camp on Tuesday."),
            Some("published")
        )
    );
    let (_, list) = app.get_json(&format!("{path}/revisions"), Some(&eve)).await;
    assert_eq!(list["items"][0]["note"], "Restored revision 1");
    assert_eq!(list["items"][0]["number"], 4);

    // Restoring is guarded like a PATCH.
    let r = app
        .client
        .post(app.url(&format!("{path}/revisions/2/restore")))
        .bearer_auth(&eve)
        .header(IF_MATCH, "\"v1-c0\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 412);

    // Revisions are for staff: readers are asked to sign in; an author may read them of an
    // article they can read, but not of another's draft, whose existence is not told.
    let (s, _) = app.get_json(&format!("{path}/revisions"), None).await;
    assert_eq!(s, 401);
    let (s, draft) = app
        .post_json(
            "/api/v1/articles",
            Some(&eve),
            &json!({"title": "Secret", "body_markdown": "Not yet.", "status": "draft"}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _) = app
        .get_json(
            &format!("/api/v1/articles/{}/revisions", draft["id"]),
            Some(&abe),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = app.get_json(&format!("{path}/revisions"), Some(&abe)).await;
    assert_eq!(s, 200);
    app.stop().await;
}

async fn corrections_are_dated_on_the_page_and_kept_in_history(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let eve = app.editor_token().await;
    let (_, cora) = app
        .user_with_token("Cora", "cora@example.org", Role::Contributor)
        .await;
    let (_, draft) = app
        .post_json(
            "/api/v1/articles",
            Some(&eve),
            &json!({"title": "Unfinished", "body_markdown": "x", "status": "draft"}),
        )
        .await;
    let (s, e) = app
        .post_json(
            &format!("/api/v1/articles/{}/corrections", draft["id"]),
            Some(&eve),
            &json!({"kind": "correction", "body": "Too early."}),
        )
        .await;
    assert_eq!(s, 422, "{e}");

    let a = app.publish(&eve, "Raid on the camp", json!({})).await;
    let id = a["id"].as_i64().unwrap();
    let url = format!("/api/v1/articles/{id}/corrections");
    for (body, status, field) in [
        (
            json!({"kind": "retraction", "body": "x"}),
            422,
            Some("kind"),
        ),
        (json!({"kind": "update", "body": "   "}), 422, Some("body")),
        (json!({"kind": "update"}), 422, Some("body")),
    ] {
        let (s, e) = app.post_json(&url, Some(&eve), &body).await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (status, field),
            "{body}: {e}"
        );
    }
    let (s, _) = app
        .post_json(&url, None, &json!({"kind": "update", "body": "x"}))
        .await;
    assert_eq!(s, 401);
    let (s, _) = app
        .post_json(&url, Some(&cora), &json!({"kind": "update", "body": "x"}))
        .await;
    assert_eq!(s, 403);

    let (s, corrected) = app
        .post_json(
            &url,
            Some(&eve),
            &json!({"kind": "correction", "body": "An earlier version said <b>Tuesday</b>; it was Wednesday."}),
        )
        .await;
    assert_eq!(s, 201, "{corrected}");
    assert_eq!(corrected["corrections"][0]["kind"], "correction");
    assert_ne!(corrected["updated_at"], a["updated_at"]);
    let (s, page) = app.get_text(&app.path_of(&a)).await;
    assert_eq!(s, 200);
    assert!(!page.contains("<b>Tuesday</b>"), "escaped on the page");
    let text = visible_text(&page);
    let day = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .strftime("%B %-d, %Y")
        .to_string();
    assert!(
        text.contains(&format!(
            "Correction, {day}: An earlier version said <b>Tuesday</b>; it was Wednesday."
        )),
        "{text}"
    );
    assert!(text.contains("Updated"), "{text}");
    // The correction comes after the body and before the sources: at the end of the piece.
    let (body_at, note_at) = (
        text.find("Body of Raid on the camp.").unwrap(),
        text.find("Correction,").unwrap(),
    );
    assert!(body_at < note_at);

    let (_, list) = app
        .get_json(&format!("/api/v1/articles/{id}/revisions"), Some(&eve))
        .await;
    assert_eq!(list["items"][0]["note"], "Correction added");
    let (_, rev) = app
        .get_json(
            &format!("/api/v1/articles/{id}/revisions/2?compare_to=1"),
            Some(&eve),
        )
        .await;
    assert_eq!(rev["snapshot"]["corrections"][0]["kind"], "correction");
    assert_eq!(rev["diff"][0]["field"], "Corrections");
    let (_, activity) = app
        .get_json("/api/v1/activity?kind=article.corrected", Some(&eve))
        .await;
    assert_eq!(activity["items"][0]["subject"]["id"], id);
    app.stop().await;
}

async fn old_addresses_answer_301_with_the_current_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let eve = app.editor_token().await;
    let a = app
        .publish(
            &eve,
            "Camp Ashraf",
            json!({"slug": "camp-ashraf", "published_at": "2009-07-31T16:00:00Z"}),
        )
        .await;
    let id = a["id"].as_i64().unwrap();
    let api = format!("/api/v1/articles/{id}");
    let first = app.path_of(&a);
    assert_eq!(first, "/2009/07/31/camp-ashraf/");

    let (s, moved) = app
        .patch_json(&api, &eve, &json!({"slug": "ashraf-raid"}))
        .await;
    assert_eq!(s, 200, "{moved}");
    let second = app.path_of(&moved);
    let (s, moved) = app
        .patch_json(&api, &eve, &json!({"published_at": "2009-08-02T16:00:00Z"}))
        .await;
    assert_eq!(s, 200, "{moved}");
    let current = app.path_of(&moved);
    assert_eq!(current, "/2009/08/02/ashraf-raid/");
    for old in [&first, &second, &"/2009/07/31/ashraf-raid/".to_owned()] {
        let r = app.get(old).await;
        assert_eq!(
            (
                r.status().as_u16(),
                r.headers()["location"].to_str().unwrap()
            ),
            (301, current.as_str()),
            "{old}"
        );
    }
    assert_eq!(app.get(&current).await.status(), 200);

    // An old address stays this article's: another may not take it.
    let (s, e) = app
        .post_json(
            "/api/v1/articles",
            Some(&eve),
            &json!({"title": "Other", "slug": "camp-ashraf", "body_markdown": "x", "status": "draft"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (409, Some("slug")),
        "{e}"
    );
    // The article may take it back; then the newer slug is the old address.
    let (s, back) = app
        .patch_json(&api, &eve, &json!({"slug": "camp-ashraf"}))
        .await;
    assert_eq!(s, 200, "{back}");
    let r = app.get("/2009/08/02/ashraf-raid/").await;
    assert_eq!(
        (
            r.status().as_u16(),
            r.headers()["location"].to_str().unwrap()
        ),
        (301, "/2009/08/02/camp-ashraf/")
    );
    assert_eq!(app.get("/2009/08/02/camp-ashraf/").await.status(), 200);

    // A draft's slug was never public: renaming it leaves nothing behind.
    let (_, draft) = app
        .post_json(
            "/api/v1/articles",
            Some(&eve),
            &json!({"title": "Draft", "slug": "first-name", "body_markdown": "x", "status": "draft"}),
        )
        .await;
    let (s, _) = app
        .patch_json(
            &format!("/api/v1/articles/{}", draft["id"]),
            &eve,
            &json!({"slug": "second-name"}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .post_json(
            "/api/v1/articles",
            Some(&eve),
            &json!({"title": "Taker", "slug": "first-name", "body_markdown": "x", "status": "draft"}),
        )
        .await;
    assert_eq!(s, 201);
    app.stop().await;
}

async fn trash_review_and_the_front_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let eve = app.editor_token().await;
    let (_, abe) = app
        .user_with_token("Abe", "abe@example.org", Role::Author)
        .await;
    let (_, cora) = app
        .user_with_token("Cora", "cora@example.org", Role::Contributor)
        .await;

    // Trash and restore.
    let a = app.publish(&eve, "Binned", json!({})).await;
    let id = a["id"].as_i64().unwrap();
    let page = app.path_of(&a);
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/articles/{id}")))
        .bearer_auth(&eve)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(app.get(&page).await.status(), 410);
    let (s, trash) = app
        .get_json("/api/v1/articles?list=trash", Some(&eve))
        .await;
    assert_eq!(
        (s, trash["items"][0]["id"].as_i64()),
        (200, Some(id)),
        "{trash}"
    );
    let (s, _) = app.get_json("/api/v1/articles?list=trash", None).await;
    assert_eq!(s, 401);
    let (_, own) = app
        .get_json("/api/v1/articles?list=trash", Some(&abe))
        .await;
    assert_eq!(
        own["total"], 0,
        "an author's trash holds their own articles only"
    );
    let (s, _) = app
        .post_json(
            &format!("/api/v1/articles/{id}/restore"),
            Some(&abe),
            &json!({}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, back) = app
        .post_json(
            &format!("/api/v1/articles/{id}/restore"),
            Some(&eve),
            &json!({}),
        )
        .await;
    assert_eq!((s, back["status"].as_str()), (200, Some("published")));
    assert_eq!(app.get(&page).await.status(), 200);
    let (s, _) = app
        .post_json(
            &format!("/api/v1/articles/{id}/restore"),
            Some(&eve),
            &json!({}),
        )
        .await;
    assert_eq!(s, 200, "restoring twice is harmless");
    let (_, restored) = app
        .get_json("/api/v1/activity?kind=article.restored", Some(&eve))
        .await;
    assert_eq!(restored["items"].as_array().unwrap().len(), 1);

    // A contributor submits a draft for review; editors see it until it is published.
    let (_, draft) = app
        .post_json(
            "/api/v1/articles",
            Some(&cora),
            &json!({"title": "Please read", "body_markdown": "x", "status": "draft"}),
        )
        .await;
    let did = draft["id"].as_i64().unwrap();
    let (s, submitted) = app
        .post_json(
            &format!("/api/v1/articles/{did}/review"),
            Some(&cora),
            &json!({}),
        )
        .await;
    assert_eq!(
        (s, submitted["review_requested"].as_bool()),
        (200, Some(true))
    );
    let (_, queue) = app
        .get_json("/api/v1/articles?list=for_review", Some(&eve))
        .await;
    assert_eq!(queue["items"][0]["id"].as_i64(), Some(did), "{queue}");
    let (s, _) = app
        .patch_json(
            &format!("/api/v1/articles/{did}"),
            &eve,
            &json!({"status": "published"}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, queue) = app
        .get_json("/api/v1/articles?list=for_review", Some(&eve))
        .await;
    assert_eq!(queue["total"], 0);
    let (s, _) = app
        .post_json(
            &format!("/api/v1/articles/{did}/review"),
            Some(&eve),
            &json!({}),
        )
        .await;
    assert_eq!(s, 422, "a published article is not a draft to review");

    // One lead at a time; authors may not choose it.
    let b = app.publish(&eve, "Second", json!({})).await;
    let put = |id: &Value, who: &str, p: &str| {
        let req = app
            .client
            .put(app.url(&format!("/api/v1/articles/{id}/prominence")))
            .bearer_auth(who)
            .json(&json!({"prominence": p}));
        async move {
            let r = req.send().await.unwrap();
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap())
        }
    };
    let (s, _) = put(&a["id"], &abe, "lead").await;
    assert_eq!(s, 403);
    let (s, led) = put(&a["id"], &eve, "lead").await;
    assert_eq!((s, led["prominence"].as_str()), (200, Some("lead")));
    let (s, _) = put(&b["id"], &eve, "lead").await;
    assert_eq!(s, 200);
    let (_, leads) = app.get_json("/api/v1/articles?list=lead", Some(&eve)).await;
    assert_eq!(leads["total"], 1);
    assert_eq!(leads["items"][0]["id"], b["id"]);
    let (s, e) = put(&a["id"], &eve, "top").await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("prominence")));

    // The home page: the lead large with its dek, then the featured, then the rest by date,
    // each once.
    let c = app
        .publish(&eve, "Third", json!({"dek": "Featured dek."}))
        .await;
    let (s, _) = put(&c["id"], &eve, "featured").await;
    assert_eq!(s, 200);
    let (s, _) = app
        .patch_json(
            &format!("/api/v1/articles/{}", b["id"]),
            &eve,
            &json!({"dek": "The lead's dek."}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, home) = app.get_text("/").await;
    let doc = scraper::Html::parse_document(&home);
    let titles = |css: &str| -> Vec<String> {
        doc.select(&scraper::Selector::parse(css).unwrap())
            .map(|e| e.text().collect::<String>())
            .collect()
    };
    assert_eq!(titles(".lead-story-title"), ["Second"]);
    assert_eq!(titles(".lead-story .dek"), ["The lead's dek."]);
    assert_eq!(titles(".featured .teaser-title"), ["Third"]);
    let all = titles(".teaser-title, .lead-story-title");
    assert_eq!(all.iter().filter(|t| *t == "Second").count(), 1);
    assert_eq!(all.iter().filter(|t| *t == "Third").count(), 1);
    let order: Vec<usize> = ["Second", "Third", "Binned"]
        .iter()
        .map(|t| all.iter().position(|x| x == t).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{all:?}");
    app.stop().await;
}
