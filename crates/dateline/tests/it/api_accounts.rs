//! Accounts over the API, with the admin's rules: the owner lists, invites, changes roles and
//! deactivates (the last owner stays); every member reads and changes their own profile and
//! password and creates, lists and revokes their tokens.

use dateline_core::users::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp, browser, jpeg, sign_in};

both_backends!(
    the_owner_invites_changes_roles_and_deactivates_over_the_api,
    members_change_their_profile_password_and_tokens_over_the_api,
);

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn the_owner_invites_changes_roles_and_deactivates_over_the_api(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (olga, owner) = app
        .user_with_token("Olga", "olga@example.org", Role::Owner)
        .await;
    let (ann, ann_token) = app
        .user_with_token("Ann", "ann@example.org", Role::Author)
        .await;

    let (s, users) = call(&app, Method::GET, "/api/v1/users", &owner, None).await;
    assert_eq!(s, 200);
    let names: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ann", "Olga"]);
    // Editors and below may not.
    let (s, _) = call(&app, Method::GET, "/api/v1/users", &ann_token, None).await;
    assert_eq!(s, 403);
    let (s, _) = call(
        &app,
        Method::POST,
        "/api/v1/users/invitations",
        &ann_token,
        Some(json!({"role": "editor"})),
    )
    .await;
    assert_eq!(s, 403);

    // An invitation: a one-time link that the join page opens.
    let (s, inv) = call(
        &app,
        Method::POST,
        "/api/v1/users/invitations",
        &owner,
        Some(json!({"role": "editor"})),
    )
    .await;
    assert_eq!(s, 201, "{inv}");
    assert_eq!(inv["role"], "editor");
    let url = inv["url"].as_str().unwrap();
    let path = &url[url.find("/admin/join?token=").expect(url)..];
    let (s, join) = app.get_text(path).await;
    assert_eq!(s, 200);
    assert!(join.contains("editor"));
    let (s, e) = call(
        &app,
        Method::POST,
        "/api/v1/users/invitations",
        &owner,
        Some(json!({"role": "king"})),
    )
    .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("role")));

    // Role and deactivation: her token stops working, her articles stay.
    let article = app.publish(&ann_token, "Ann's story", json!({})).await;
    let (s, changed) = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/users/{}", ann.id),
        &owner,
        Some(json!({"role": "editor"})),
    )
    .await;
    assert_eq!((s, changed["role"].as_str()), (200, Some("editor")));
    let (s, changed) = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/users/{}", ann.id),
        &owner,
        Some(json!({"active": false})),
    )
    .await;
    assert_eq!((s, changed["active"].as_bool()), (200, Some(false)));
    let (s, _) = call(&app, Method::GET, "/api/v1/me", &ann_token, None).await;
    assert_eq!(s, 401);
    assert_eq!(app.get(&app.path_of(&article)).await.status(), 200);
    // Nobody deactivates themselves; the last owner stays one.
    let (s, _) = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/users/{}", olga.id),
        &owner,
        Some(json!({"active": false})),
    )
    .await;
    assert_eq!(s, 403);
    let (s, e) = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/users/{}", olga.id),
        &owner,
        Some(json!({"role": "editor"})),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("in_use")),
        "{e}"
    );
    let (s, _) = call(
        &app,
        Method::PATCH,
        "/api/v1/users/99999",
        &owner,
        Some(json!({"role": "editor"})),
    )
    .await;
    assert_eq!(s, 404);
    app.stop().await;
}

async fn members_change_their_profile_password_and_tokens_over_the_api(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, token) = app
        .user_with_token("Ann", "ann@example.org", Role::Author)
        .await;
    let (_, other) = app
        .user_with_token("Bob", "bob@example.org", Role::Author)
        .await;

    let (s, me) = call(&app, Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(
        (s, me["email"].as_str(), me["role"].as_str()),
        (200, Some("ann@example.org"), Some("author"))
    );
    let (_, picture) =
        crate::support::upload(&app, &token, jpeg(64, 64), "ann.jpg", "image/jpeg").await;
    let (s, me) = call(
        &app,
        Method::PATCH,
        "/api/v1/me",
        &token,
        Some(
            json!({"name": "Ann Author", "bio": "Covers Iraq.", "avatar_media_id": picture["id"]}),
        ),
    )
    .await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(
        (
            me["name"].as_str(),
            me["bio"].as_str(),
            &me["avatar_media_id"]
        ),
        (Some("Ann Author"), Some("Covers Iraq."), &picture["id"])
    );
    for (body, field) in [
        (json!({"name": "  "}), "name"),
        (json!({"avatar_media_id": 99999}), "avatar_media_id"),
    ] {
        let (s, e) = call(
            &app,
            Method::PATCH,
            "/api/v1/me",
            &token,
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some(field)),
            "{body}: {e}"
        );
    }

    // The password: the current one is asked; a common one is refused; the new one signs in.
    let (s, e) = call(
        &app,
        Method::POST,
        "/api/v1/me/password",
        &token,
        Some(
            json!({"current_password": "wrong password", "new_password": "a brand new passphrase"}),
        ),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("current_password"))
    );
    let (s, e) = call(
        &app,
        Method::POST,
        "/api/v1/me/password",
        &token,
        Some(json!({"current_password": "correct horse battery", "new_password": "1234567890"})),
    )
    .await;
    assert_eq!(s, 422, "{e}");
    let (s, _) = call(&app, Method::POST, "/api/v1/me/password", &token, Some(json!({"current_password": "correct horse battery", "new_password": "a brand new passphrase"}))).await;
    assert_eq!(s, 204);
    assert_eq!(
        sign_in(&app, &browser(), "ann@example.org", "correct horse battery")
            .await
            .status(),
        422,
        "the old password still signs in"
    );
    assert_eq!(
        sign_in(
            &app,
            &browser(),
            "ann@example.org",
            "a brand new passphrase"
        )
        .await
        .status(),
        303
    );

    // Tokens: made (shown once), listed without the secret, revoked.
    let (s, made) = call(
        &app,
        Method::POST,
        "/api/v1/tokens",
        &token,
        Some(json!({"label": "laptop"})),
    )
    .await;
    assert_eq!(s, 201, "{made}");
    let fresh = made["token"].as_str().unwrap().to_owned();
    let (s, me) = call(&app, Method::GET, "/api/v1/me", &fresh, None).await;
    assert_eq!((s, me["id"].as_i64()), (200, Some(ann.id)));
    let (_, list) = call(&app, Method::GET, "/api/v1/tokens", &token, None).await;
    let labels: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["label"].as_str().unwrap())
        .collect();
    assert!(labels.contains(&"laptop"), "{list}");
    assert!(
        !list.to_string().contains(&fresh),
        "a listed token shows its secret"
    );
    // Another author's token is not hers to revoke.
    let (_, bobs) = call(&app, Method::GET, "/api/v1/tokens", &other, None).await;
    let (s, _) = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/tokens/{}", bobs[0]["id"]),
        &token,
        None,
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/tokens/{}", made["id"]),
        &token,
        None,
    )
    .await;
    assert_eq!(s, 204);
    let (s, _) = call(&app, Method::GET, "/api/v1/me", &fresh, None).await;
    assert_eq!(s, 401);
    let (s, _) = call(
        &app,
        Method::POST,
        "/api/v1/tokens",
        &token,
        Some(json!({"label": ""})),
    )
    .await;
    assert_eq!(s, 422);
    app.stop().await;
}
