//! `/api/v1/articles`: roles, validation of every field, and the error envelope.

use dateline_core::users::Role;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp};

both_backends!(
    articles_round_trip,
    roles_are_enforced,
    every_field_is_validated_and_failures_change_nothing,
    malformed_requests_get_the_error_envelope,
    openapi_describes_the_served_api,
);

fn valid() -> Value {
    json!({
        "title": "Why is Iraq Attacking Iranian Opposition?",
        "body_markdown": "Text.",
        "status": "published",
        "published_at": "2009-07-31T09:00:00-07:00",
        "sources": [{"title": "Clashes at Iranian Exile Camp in Iraq", "author": "Timothy Williams", "outlet": "New York Times", "published_at": "2009-07-29"}],
        "topics": ["Iraq", "Iran"]
    })
}

async fn articles_round_trip(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;
    let (s, a) = app
        .post_json("/api/v1/articles", Some(&token), &valid())
        .await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["slug"], "why-is-iraq-attacking-iranian-opposition");
    assert_eq!(
        a["url"],
        app.url("/2009/07/31/why-is-iraq-attacking-iranian-opposition/")
    );
    assert_eq!(a["published_at"], "2009-07-31T16:00:00Z");
    assert_eq!(a["sources"][0]["published_at"], "2009-07-29");
    assert_eq!(a["topics"][1]["slug"], "iran");
    assert_eq!(a["body_html"], "<p>Text.</p>\n");
    let id = a["id"].as_i64().unwrap();

    let (s, got) = app.get_json(&format!("/api/v1/articles/{id}"), None).await;
    assert_eq!((s, &got["title"]), (200, &a["title"]));

    let (s, patched) = app
        .patch_json(
            &format!("/api/v1/articles/{id}"),
            &token,
            &json!({"dek": "A standfirst.", "topics": ["Camp Ashraf"]}),
        )
        .await;
    assert_eq!(s, 200, "{patched}");
    assert_eq!(
        (patched["dek"].as_str(), patched["title"].as_str()),
        (Some("A standfirst."), a["title"].as_str())
    );
    assert_eq!(
        patched["topics"],
        json!([{"name": "Camp Ashraf", "slug": "camp-ashraf"}])
    );
    assert_eq!(
        patched["sources"], a["sources"],
        "fields not in the patch are kept"
    );
    let (s, cleared) = app
        .patch_json(
            &format!("/api/v1/articles/{id}"),
            &token,
            &json!({"dek": null, "sources": null}),
        )
        .await;
    assert_eq!(
        (
            s,
            cleared["dek"].as_str(),
            cleared["sources"].as_array().map(Vec::len)
        ),
        (200, Some(""), Some(0))
    );

    // A draft, then filters.
    let (s, d) = app
        .post_json(
            "/api/v1/articles",
            Some(&token),
            &json!({"title": "Draft", "body_markdown": "x", "status": "draft"}),
        )
        .await;
    assert_eq!((s, &d["url"]), (201, &Value::Null));
    let (_, drafts) = app
        .get_json("/api/v1/articles?status=draft", Some(&token))
        .await;
    assert_eq!(drafts["total"], 1);
    let (s, _) = app.get_json("/api/v1/articles?status=draft", None).await;
    assert_eq!(s, 401, "readers cannot list drafts");
    let (_, by_topic) = app
        .get_json("/api/v1/articles?topic=Camp%20Ashraf", None)
        .await;
    assert_eq!(
        (by_topic["total"].as_i64(), &by_topic["items"][0]["id"]),
        (Some(1), &json!(id))
    );
    let (_, paged) = app
        .get_json("/api/v1/articles?per_page=1&page=1", None)
        .await;
    assert_eq!(
        (paged["total"].as_i64(), paged["next_page"].as_i64()),
        (Some(2), Some(2)),
        "welcome article + this one"
    );
    let (_, page2) = app
        .get_json("/api/v1/articles?per_page=1&page=2", None)
        .await;
    assert_eq!(page2["next_page"], Value::Null);
    let (_, by_author) = app.get_json("/api/v1/articles?author=dateline", None).await;
    assert_eq!(by_author["items"][0]["title"], "Welcome to Dateline");
    let (_, nobody) = app.get_json("/api/v1/articles?author=nobody", None).await;
    assert_eq!(nobody["total"], 0);

    let r = app
        .client
        .delete(app.url(&format!("/api/v1/articles/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (s, _) = app
        .get_json(&format!("/api/v1/articles/{id}"), Some(&token))
        .await;
    assert_eq!(s, 404);
    app.stop().await;
}

async fn roles_are_enforced(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, contributor) = app
        .user_with_token("Cora", "cora@example.org", Role::Contributor)
        .await;
    let (_, author) = app
        .user_with_token("Abe", "abe@example.org", Role::Author)
        .await;
    let (_, other_author) = app
        .user_with_token("Ann", "ann@example.org", Role::Author)
        .await;
    let (_, editor) = app
        .user_with_token("Eve", "eve@example.org", Role::Editor)
        .await;
    let (_, owner) = app
        .user_with_token("Olga", "olga@example.org", Role::Owner)
        .await;

    // No token, a bad token, a revoked token.
    let (s, e) = app.post_json("/api/v1/articles", None, &valid()).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let (s, _) = app
        .post_json("/api/v1/articles", Some("not-a-token"), &valid())
        .await;
    assert_eq!(s, 401);
    let (s, _) = app.get_json("/api/v1/articles", Some("not-a-token")).await;
    assert_eq!(
        s, 401,
        "an invalid token is refused even where none is needed"
    );

    // Contributors write drafts only.
    let (s, e) = app
        .post_json("/api/v1/articles", Some(&contributor), &valid())
        .await;
    assert_eq!((s, e["error"]["code"].as_str()), (403, Some("forbidden")));
    let mut draft = valid();
    draft["status"] = json!("draft");
    draft["slug"] = json!("cora-draft");
    let (s, d) = app
        .post_json("/api/v1/articles", Some(&contributor), &draft)
        .await;
    assert_eq!(s, 201);
    let draft_path = format!("/api/v1/articles/{}", d["id"]);
    let (s, _) = app
        .patch_json(&draft_path, &contributor, &json!({"status": "published"}))
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .patch_json(&draft_path, &contributor, &json!({"title": "Better"}))
        .await;
    assert_eq!(s, 200);

    // Authors publish and edit their own only; they cannot write as someone else.
    let (s, mine) = app
        .post_json("/api/v1/articles", Some(&author), &valid())
        .await;
    assert_eq!(s, 201);
    let mine_path = format!("/api/v1/articles/{}", mine["id"]);
    let (s, _) = app
        .patch_json(&mine_path, &other_author, &json!({"title": "Hijacked"}))
        .await;
    assert_eq!(s, 403);
    let r = app
        .client
        .delete(app.url(&mine_path))
        .bearer_auth(&other_author)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let (s, _) = app
        .patch_json(&draft_path, &author, &json!({"title": "Not yours"}))
        .await;
    assert_eq!(s, 403);
    let mut as_other = valid();
    as_other["slug"] = json!("as-other");
    as_other["author_email"] = json!("ann@example.org");
    let (s, _) = app
        .post_json("/api/v1/articles", Some(&author), &as_other)
        .await;
    assert_eq!(s, 403);

    // Editors and the owner edit everything and may write in another's name.
    let (s, e) = app
        .post_json("/api/v1/articles", Some(&editor), &as_other)
        .await;
    assert_eq!((s, e["author"]["name"].as_str()), (201, Some("Ann")));
    let (s, _) = app
        .patch_json(&mine_path, &editor, &json!({"title": "Edited by the desk"}))
        .await;
    assert_eq!(s, 200);
    let (s, published) = app
        .patch_json(&draft_path, &owner, &json!({"status": "published"}))
        .await;
    assert_eq!(
        (s, published["author"]["name"].as_str()),
        (200, Some("Cora")),
        "publishing keeps the author"
    );
    let (s, _) = app
        .patch_json(&draft_path, &contributor, &json!({"title": "Too late"}))
        .await;
    assert_eq!(s, 403, "contributors cannot change what is published");
    app.stop().await;
}

async fn every_field_is_validated_and_failures_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;
    let (_, before) = app
        .get_json("/api/v1/articles?per_page=100", Some(&token))
        .await;
    let long = "x".repeat(301);
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({"title": ""}), 422, "title"),
        (json!({"title": "  "}), 422, "title"),
        (json!({"title": long}), 422, "title"),
        (json!({"title": 5}), 422, "title"),
        (json!({"body_markdown": ""}), 422, "body_markdown"),
        (json!({"body_markdown": null}), 422, "body_markdown"),
        (json!({"status": "live"}), 422, "status"),
        (
            json!({"status": "scheduled", "published_at": null}),
            422,
            "published_at",
        ),
        (
            json!({"status": "scheduled", "published_at": "2001-01-01T00:00:00Z"}),
            422,
            "published_at",
        ),
        (
            json!({"published_at": "2999-01-01T00:00:00Z"}),
            422,
            "published_at",
        ),
        (json!({"published_at": "yesterday"}), 422, "published_at"),
        (json!({"slug": "Not A Slug"}), 422, "slug"),
        (json!({"slug": "a--b"}), 422, "slug"),
        (json!({"dek": "d".repeat(1001)}), 422, "dek"),
        (
            json!({"author_email": "nobody@example.org"}),
            422,
            "author_email",
        ),
        (json!({"author_email": "not an email"}), 422, "author_email"),
        (
            json!({"lead_image": {"media_id": 999, "caption": "c", "alt": "a"}}),
            422,
            "lead_image.media_id",
        ),
        (
            json!({"lead_image": {"media_id": 1, "caption": "c"}}),
            422,
            "lead_image.alt",
        ),
        (
            json!({"lead_image": {"media_id": 1, "caption": "c", "alt": " "}}),
            422,
            "lead_image.alt",
        ),
        (json!({"sources": [{"title": ""}]}), 422, "sources[0].title"),
        (
            json!({"sources": [{"title": "t", "url": "javascript:alert(1)"}]}),
            422,
            "sources[0].url",
        ),
        (
            json!({"sources": [{"title": "t", "published_at": "July"}]}),
            422,
            "sources[0].published_at",
        ),
        (
            json!({"sources": [{"title": "t", "extra": 1}]}),
            422,
            "sources[0].extra",
        ),
        (
            json!({"sources": [{"title": "t"}, {"title": "u", "url": "ftp://x"}]}),
            422,
            "sources[1].url",
        ),
        (
            json!({"body_markdown": "nul \u{0} here"}),
            422,
            "body_markdown",
        ),
        (json!({"title": "bell \u{7}"}), 422, "title"),
        (
            json!({"sources": [{"title": "t", "outlet": "a\u{0}b"}]}),
            422,
            "sources[0].outlet",
        ),
        (json!({"sources": "none"}), 422, "sources"),
        (json!({"topics": ["Iraq", ""]}), 422, "topics[1]"),
        (json!({"topics": [3]}), 422, "topics[0]"),
        (json!({"surprise": true}), 422, "."),
    ];
    for (overlay, status, field) in cases {
        let mut body = valid();
        body["slug"] = json!("validation-case");
        for (k, v) in overlay.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (s, e) = app.post_json("/api/v1/articles", Some(&token), &body).await;
        assert_eq!(s, status, "{overlay}: {e}");
        assert_eq!(e["error"]["code"], "invalid", "{overlay}: {e}");
        assert!(!e["error"]["message"].as_str().unwrap().is_empty());
        if field != "." {
            assert_eq!(e["error"]["field"].as_str(), Some(field), "{overlay}: {e}");
        }
    }
    // A slug that is taken: 409 naming the field, on create and on update.
    let (s, first) = app
        .post_json("/api/v1/articles", Some(&token), &valid())
        .await;
    assert_eq!(s, 201);
    let (s, e) = app
        .post_json("/api/v1/articles", Some(&token), &valid())
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str(), e["error"]["field"].as_str()),
        (409, Some("conflict"), Some("slug"))
    );
    let (s, _) = app
        .patch_json(
            &format!("/api/v1/articles/{}", first["id"]),
            &token,
            &json!({"slug": "welcome-to-dateline", "title": "Changed"}),
        )
        .await;
    assert_eq!(s, 409);
    let (_, unchanged) = app
        .get_json(&format!("/api/v1/articles/{}", first["id"]), Some(&token))
        .await;
    assert_eq!(unchanged["title"], first["title"]);
    let (s, e) = app
        .patch_json(
            &format!("/api/v1/articles/{}", first["id"]),
            &token,
            &json!({"status": "bogus"}),
        )
        .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("status")));

    let (_, after) = app
        .get_json("/api/v1/articles?per_page=100", Some(&token))
        .await;
    assert_eq!(
        after["total"].as_i64().unwrap(),
        before["total"].as_i64().unwrap() + 1,
        "only the one valid article was stored"
    );
    app.stop().await;
}

async fn malformed_requests_get_the_error_envelope(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;
    let send = |body: Vec<u8>, content_type: &'static str| {
        app.client
            .post(app.url("/api/v1/articles"))
            .bearer_auth(&token)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let r = send(b"{\"title\": ".to_vec(), "application/json")
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["code"], "bad_request");
    let r = send(b"title=x".to_vec(), "application/x-www-form-urlencoded")
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "unsupported_media_type"
    );
    let auth = format!("Bearer {token}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let status =
        crate::support::status_before_body(&app, "/api/v1/articles", &headers, 3 * 1024 * 1024)
            .await;
    assert_eq!(
        status, 413,
        "refused from the declared length, before the body is sent"
    );
    let big_body = serde_json::to_vec(
        &json!({"title": "t", "status": "draft", "body_markdown": "x".repeat(1_000_001)}),
    )
    .unwrap();
    let r = send(big_body, "application/json").await.unwrap();
    assert_eq!(r.status(), 422);
    for (path, status) in [
        ("/api/v1/articles/abc", 404),
        ("/api/v1/articles/0", 404),
        ("/api/v1/articles/99999", 404),
        ("/api/v1/nothing", 404),
    ] {
        let (s, e) = app.get_json(path, None).await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (status, Some("not_found")),
            "{path}"
        );
    }
    let r = app
        .client
        .put(app.url("/api/v1/articles"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "method_not_allowed"
    );
    let (s, e) = app.get_json("/api/v1/articles?per_page=1000", None).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("per_page")));
    let (s, e) = app.get_json("/api/v1/articles?page=x", None).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("page")));
    let (s, _) = app
        .get_json("/api/v1/articles?status=bogus", Some(&token))
        .await;
    assert_eq!(s, 422);
    // Unknown parameters are ignored, as a cache-buster needs; misspelt ones are caught.
    let (s, _) = app
        .get_json("/api/v1/articles?_=1700000000&utm_source=feed", None)
        .await;
    assert_eq!(s, 200);
    let (s, e) = app.get_json("/api/v1/articles?per-page=5", None).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("per-page")));
    assert_eq!(
        e["error"]["message"],
        "The parameter per-page is not known: did you mean per_page?"
    );
    // No parser internals, and one style: a sentence naming the field.
    let (_, e) = app.get_json("/api/v1/articles?page=x", None).await;
    assert_eq!(
        e["error"]["message"],
        "The parameter page must be a whole number."
    );
    let r = send(b"{\"title\": ".to_vec(), "application/json")
        .await
        .unwrap();
    let e: Value = r.json().await.unwrap();
    assert_eq!(
        e["error"]["message"],
        "The body is not valid JSON: it ends before the JSON is complete."
    );
    let (_, e) = app
        .post_json(
            "/api/v1/articles",
            Some(&token),
            &json!({"body_markdown": "x", "status": "draft"}),
        )
        .await;
    assert_eq!(
        (e["error"]["field"].as_str(), e["error"]["message"].as_str()),
        (Some("title"), Some("The field title is required."))
    );
    for body in [
        json!({"title": 5, "body_markdown": "x", "status": "draft"}),
        json!({"title": "t", "body_markdown": "x", "status": "draft", "extra": 1}),
        json!({"title": "", "body_markdown": "x", "status": "draft"}),
        json!({"title": "t", "body_markdown": "x", "status": "live"}),
        json!({"title": "t", "body_markdown": "x", "status": "draft", "sources": [{"title": "s", "url": "ftp://x"}]}),
    ] {
        let (s, e) = app.post_json("/api/v1/articles", Some(&token), &body).await;
        assert_eq!(s, 422);
        let m = e["error"]["message"].as_str().unwrap();
        assert!(
            m.starts_with(char::is_uppercase) && m.ends_with('.') && !m.contains('`'),
            "{body}: {m}"
        );
    }
    app.stop().await;
}

async fn openapi_describes_the_served_api(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, spec) = app.get_json("/api/v1/openapi.json", None).await;
    assert_eq!(s, 200);
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    // Every documented operation exists: calling it without credentials or body answers one of
    // its documented statuses, never 405 or an undocumented code.
    let paths = spec["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            if method == "parameters" {
                continue;
            }
            operations += 1;
            let concrete = path.replace("{id}", "1").replace("{rev}", "1");
            let url = app.url(&format!("/api/v1{concrete}"));
            let req = app
                .client
                .request(method.to_uppercase().parse().unwrap(), url);
            let req = if matches!(method.as_str(), "post" | "patch" | "put") {
                req.json(&json!({}))
            } else {
                req
            };
            let status = req.send().await.unwrap().status().as_u16().to_string();
            assert!(
                op["responses"].get(&status).is_some(),
                "{method} {path} answered {status}, not documented"
            );
        }
    }
    assert_eq!(operations, 47);

    // Responses have the documented shapes.
    let token = app.editor_token().await;
    let (_, list) = app.get_json("/api/v1/articles", None).await;
    conforms(&spec, "ArticleList", &list);
    let (_, media) = crate::support::upload(
        &app,
        &token,
        crate::support::png(600, 400),
        "a.png",
        "image/png",
    )
    .await;
    conforms(&spec, "Media", &media);
    let (_, settings) = app.get_json("/api/v1/settings", Some(&token)).await;
    conforms(&spec, "Settings", &settings);
    let (_, me) = app.get_json("/api/v1/me", Some(&token)).await;
    conforms(&spec, "Account", &me);
    let (_, tokens) = app.get_json("/api/v1/tokens", Some(&token)).await;
    conforms(&spec, "TokenList", &tokens);
    let (_, article) = app
        .post_json(
            "/api/v1/articles",
            Some(&token),
            &json!({"title": "Shaped", "body_markdown": "x", "status": "published",
                    "lead_image": {"media_id": media["id"], "caption": "c", "alt": "a"},
                    "sources": [{"title": "s", "url": "https://example.org/"}], "topics": ["T"]}),
        )
        .await;
    conforms(&spec, "Article", &article);
    let comments = format!("/api/v1/articles/{}/comments", article["id"]);
    let (_, created) = app
        .post_json(&comments, None, &json!({"author_name": "a", "body": "b"}))
        .await;
    conforms(&spec, "CommentCreated", &created);
    let (_, listed) = app.get_json(&comments, None).await;
    conforms(&spec, "CommentList", &listed);
    let (_, error) = app
        .post_json(&comments, None, &json!({"author_name": ""}))
        .await;
    conforms(&spec, "Error", &error);
    let (_, activity) = app.get_json("/api/v1/activity?limit=5", Some(&token)).await;
    conforms(&spec, "ActivityPage", &activity);
    // Every kind of event the log can hold is documented.
    let documented: Vec<&str> =
        spec["components"]["schemas"]["Event"]["properties"]["kind"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
    let kinds: Vec<&str> = dateline_core::events::EventKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(documented, kinds);
    // Every route the server has is documented: a request to an undocumented path is a 404.
    for documented in [
        "/articles",
        "/articles/{id}",
        "/articles/{id}/comments",
        "/articles/{id}/restore",
        "/articles/{id}/review",
        "/articles/{id}/corrections",
        "/articles/{id}/prominence",
        "/articles/{id}/revisions",
        "/articles/{id}/revisions/{rev}",
        "/articles/{id}/revisions/{rev}/restore",
        "/media",
        "/media/{id}",
        "/openapi.json",
        "/activity",
    ] {
        assert!(paths.contains_key(documented), "{documented}");
    }
    app.stop().await;
}

/// Checks `value` against the named schema of the OpenAPI document: types, required
/// properties, no undocumented properties, enums; following `$ref`, `oneOf` and arrays.
pub fn conforms(spec: &Value, schema: &str, value: &Value) {
    check(spec, &spec["components"]["schemas"][schema], value, schema);
}

fn check(spec: &Value, schema: &Value, value: &Value, at: &str) {
    if let Some(r) = schema["$ref"].as_str() {
        let mut target = spec;
        for part in r.trim_start_matches("#/").split('/') {
            target = &target[part];
        }
        return check(spec, target, value, at);
    }
    if let Some(options) = schema["oneOf"].as_array() {
        let ok = options
            .iter()
            .any(|o| std::panic::catch_unwind(|| check(spec, o, value, at)).is_ok());
        assert!(ok, "{at}: {value} matches no option");
        return;
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    assert!(
        types.is_empty() || types.contains(&kind),
        "{at}: {value} is {kind}, documented {types:?}"
    );
    if let Some(allowed) = schema["enum"].as_array() {
        assert!(allowed.contains(value), "{at}: {value} not in {allowed:?}");
    }
    if let Value::Object(map) = value {
        let properties = schema["properties"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for required in schema["required"].as_array().into_iter().flatten() {
            assert!(
                map.contains_key(required.as_str().unwrap()),
                "{at}: {required} missing from {value}"
            );
        }
        // An object documented as open (`additionalProperties: true`) may hold more.
        let open = schema["additionalProperties"] == Value::Bool(true);
        for (key, v) in map {
            match properties.get(key) {
                Some(property) => check(spec, property, v, &format!("{at}.{key}")),
                None => assert!(open, "{at}.{key} is not documented"),
            }
        }
    }
    if let Value::Array(items) = value {
        for (i, item) in items.iter().enumerate() {
            check(spec, &schema["items"], item, &format!("{at}[{i}]"));
        }
    }
}
