//! The newsroom's doors: signing in and out, sessions, CSRF tokens, throttled logins,
//! invitations, roles and deactivation, the profile page.

use dateline_core::users::Role;
use serde_json::json;

use crate::support::{Backend, Options, TestApp, browser, csrf, form_token, page, sign_in};

both_backends!(
    strangers_meet_the_login_page_and_staff_sign_in_and_out,
    every_admin_form_needs_its_csrf_token,
    failed_logins_slow_down_without_telling_who_exists,
    the_owner_invites_changes_roles_and_deactivates,
    the_profile_page_changes_the_password_and_manages_tokens,
    the_profile_picture_is_chosen_from_the_library,
    no_admin_change_happens_without_the_form_token,
);

async fn the_profile_picture_is_chosen_from_the_library(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (abe, api) = app
        .user_with_token("Abe Author", "abe@example.org", Role::Author)
        .await;
    let client = browser();
    sign_in(&app, &client, "abe@example.org", PASSWORD).await;
    let (_, picture) = crate::support::upload(
        &app,
        &api,
        crate::support::jpeg(200, 200),
        "abe-portrait.jpg",
        "image/jpeg",
    )
    .await;
    let id = picture["id"].as_i64().unwrap();
    let (_, profile) = page(&app, &client, "/admin/profile").await;
    assert!(profile.contains(&format!(r#"name="avatar_media_id" value="{id}""#)));
    assert!(profile.contains("abe-portrait.jpg"));
    let token = csrf(&app, &client).await;
    let id_text = id.to_string();
    let r = client
        .post(app.url("/admin/profile"))
        .form(&[
            ("csrf", token.as_str()),
            ("name", "Abe Author"),
            ("bio", ""),
            ("avatar_media_id", id_text.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let account = app.db.account(abe.id).await.unwrap().unwrap();
    assert_eq!(account.avatar_media_id, Some(id));
    let (_, profile) = page(&app, &client, "/admin/profile").await;
    assert!(profile.contains(&format!(r#"name="avatar_media_id" value="{id}" checked"#)));
    // While it is his picture, the library keeps it.
    let editor = app.editor_token().await;
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/media/{id}")))
        .bearer_auth(&editor)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("the profile of Abe Author")
    );
    app.stop().await;
}

const PASSWORD: &str = "correct horse battery";

async fn strangers_meet_the_login_page_and_staff_sign_in_and_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user_with_token("Eve Editor", "eve@example.org", Role::Editor)
        .await;
    let eve = browser();
    let r = eve.get(app.url("/admin/profile")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        "/admin/login?next=%2Fadmin%2Fprofile"
    );
    let (s, login) = page(&app, &eve, "/admin/login").await;
    assert_eq!(s, 200);
    assert!(login.contains("<label for=\"email\">E-mail</label>"));
    assert!(login.contains("<label for=\"password\">Password</label>"));

    let r = sign_in(&app, &eve, "eve@example.org", PASSWORD).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/admin");
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("dateline_session="))
        .unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "not over http: {cookie}");
    let (s, dashboard) = page(&app, &eve, "/admin").await;
    assert_eq!(s, 200);
    assert!(
        dashboard.contains("Signed in as Eve Editor (editor)"),
        "{dashboard}"
    );
    let r = eve.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");

    // A second browser; the profile lists both sessions; signing out everywhere ends both.
    let phone = browser();
    assert_eq!(
        sign_in(&app, &phone, "eve@example.org", PASSWORD)
            .await
            .status(),
        303
    );
    let (_, profile) = page(&app, &eve, "/admin/profile").await;
    assert_eq!(
        profile.matches("/admin/profile/sessions/").count(),
        2,
        "{profile}"
    );
    let token = csrf(&app, &phone).await;
    let r = phone
        .post(app.url("/admin/logout"))
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(page(&app, &phone, "/admin").await.0, 303, "signed out");
    assert_eq!(
        page(&app, &eve, "/admin").await.0,
        200,
        "the other session lives"
    );
    assert_eq!(
        sign_in(&app, &phone, "eve@example.org", PASSWORD)
            .await
            .status(),
        303
    );
    let token = csrf(&app, &eve).await;
    eve.post(app.url("/admin/logout"))
        .form(&[("csrf", token.as_str()), ("everywhere", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(page(&app, &eve, "/admin").await.0, 303);
    assert_eq!(page(&app, &phone, "/admin").await.0, 303, "everywhere");
    let events = app.db.events_after(0, 1000).await.unwrap();
    let signed: Vec<&str> = events
        .iter()
        .map(|e| e.kind.as_str())
        .filter(|k| k.starts_with("user.signed"))
        .collect();
    assert_eq!(
        signed,
        [
            "user.signed_in",
            "user.signed_in",
            "user.signed_out",
            "user.signed_in",
            "user.signed_out"
        ]
    );
    app.stop().await;

    // Over https the cookie is marked Secure.
    let app = TestApp::spawn_with(
        backend,
        Options {
            base_url: Some("https://news.example".into()),
            ..Default::default()
        },
    )
    .await;
    app.user_with_token("Eve Editor", "eve@example.org", Role::Editor)
        .await;
    let r = sign_in(&app, &browser(), "eve@example.org", PASSWORD).await;
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        cookies.iter().all(|c| c.contains("; Secure")),
        "{cookies:?}"
    );
    app.stop().await;
}

async fn every_admin_form_needs_its_csrf_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user_with_token("Eve Editor", "eve@example.org", Role::Editor)
        .await;
    let eve = browser();
    sign_in(&app, &eve, "eve@example.org", PASSWORD).await;
    let token = csrf(&app, &eve).await;
    for sent in [None, Some("wrong"), Some("")] {
        let mut fields = vec![("name", "Mallory Was Here"), ("bio", "")];
        if let Some(t) = sent {
            fields.push(("csrf", t));
        }
        let r = eve
            .post(app.url("/admin/profile"))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{sent:?}");
        assert!(r.text().await.unwrap().contains("This form has expired"));
    }
    let (_, profile) = page(&app, &eve, "/admin/profile").await;
    assert!(!profile.contains("Mallory"), "nothing changed");
    // The token of another session is not this one's.
    let other = browser();
    sign_in(&app, &other, "eve@example.org", PASSWORD).await;
    let others = csrf(&app, &other).await;
    assert_ne!(others, token);
    let r = eve
        .post(app.url("/admin/profile"))
        .form(&[("name", "Not Mine"), ("bio", ""), ("csrf", others.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = eve
        .post(app.url("/admin/profile"))
        .form(&[
            ("name", "Eve Everett"),
            ("bio", "Edits."),
            ("csrf", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/admin/profile?done=saved");
    let (_, profile) = page(&app, &eve, "/admin/profile?done=saved").await;
    assert!(profile.contains("value=\"Eve Everett\"") && profile.contains("Saved."));
    // Signing out is a form too.
    let r = eve
        .post(app.url("/admin/logout"))
        .form(&[("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The login form needs the token of its own page.
    let r = browser()
        .post(app.url("/admin/login"))
        .form(&[
            ("email", "eve@example.org"),
            ("password", PASSWORD),
            ("form_token", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    app.stop().await;
}

/// Every form that changes something, sent without its token by the owner (who may do
/// anything): 403, and the activity log is unchanged.
async fn no_admin_change_happens_without_the_form_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (olga, api) = app
        .user_with_token("Olga Owner", "olga@example.org", Role::Owner)
        .await;
    let client = browser();
    sign_in(&app, &client, "olga@example.org", PASSWORD).await;
    let article = app
        .publish(
            &api,
            "A story",
            json!({"published_at": "2009-07-31T16:00:00Z"}),
        )
        .await;
    let a = article["id"].as_i64().unwrap();
    let (_, media) = crate::support::upload(
        &app,
        &api,
        crate::support::jpeg(50, 50),
        "m.jpg",
        "image/jpeg",
    )
    .await;
    let m = media["id"].as_i64().unwrap();
    // The job that makes the image's variants records its own event: let it finish first.
    crate::support::wait_for_variants(&app, &api, m).await;
    let (_, tokens) = app.get_json("/api/v1/tokens", Some(&api)).await;
    let t = tokens[0]["id"].as_i64().unwrap();
    let before = app.db.latest_event_id().await.unwrap();
    let text_forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/admin/logout".into(), vec![("everywhere", "1")]),
        (
            "/admin/profile".into(),
            vec![("name", "Mallory"), ("bio", "")],
        ),
        (
            "/admin/profile/password".into(),
            vec![
                ("current_password", PASSWORD),
                ("new_password", "mallory was here"),
            ],
        ),
        ("/admin/profile/tokens".into(), vec![("label", "mallory")]),
        (format!("/admin/profile/tokens/{t}/revoke"), vec![]),
        ("/admin/profile/sessions/1/end".into(), vec![]),
        ("/admin/users/invite".into(), vec![("role", "owner")]),
        (
            format!("/admin/users/{}/role", olga.id),
            vec![("role", "editor")],
        ),
        (
            format!("/admin/users/{}/active", olga.id),
            vec![("active", "0")],
        ),
        (format!("/admin/articles/{a}/trash"), vec![]),
        (format!("/admin/articles/{a}/restore"), vec![]),
        (
            format!("/admin/articles/{a}/corrections"),
            vec![("kind", "correction"), ("body", "Mallory")],
        ),
        (
            format!("/admin/articles/{a}/prominence"),
            vec![("prominence", "lead")],
        ),
        (format!("/admin/articles/{a}/revisions/1/restore"), vec![]),
        (format!("/admin/media/{m}"), vec![("alt", "Mallory")]),
        (format!("/admin/media/{m}/delete"), vec![]),
        (
            "/admin/comments/decide".into(),
            vec![("decision", "trash"), ("ids", "1")],
        ),
        (
            "/admin/comments/1/edit".into(),
            vec![("body", "Mallory"), ("note", "")],
        ),
        ("/admin/comments/1/block".into(), vec![("kind", "email")]),
        ("/admin/comments/1/reply".into(), vec![("body", "Mallory")]),
        ("/admin/comments/blocks/1/lift".into(), vec![]),
        (
            "/admin/settings".into(),
            vec![
                ("title", "Mallory's site"),
                ("time_zone", "UTC"),
                ("articles_per_page", "10"),
            ],
        ),
    ];
    for (path, fields) in &text_forms {
        let r = client
            .post(app.url(path))
            .form(fields)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{path}");
    }
    for path in [
        "/admin/articles".to_owned(),
        format!("/admin/articles/{a}"),
        "/admin/media".to_owned(),
    ] {
        let form = reqwest::multipart::Form::new()
            .text("title", "Mallory")
            .text("body_markdown", "Mallory.")
            .text("intent", "publish")
            .part(
                "files",
                reqwest::multipart::Part::bytes(crate::support::jpeg(40, 40)).file_name("x.jpg"),
            );
        let r = client
            .post(app.url(&path))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{path}");
    }
    assert_eq!(
        app.db.latest_event_id().await.unwrap(),
        before,
        "something changed"
    );
    assert_eq!(
        page(&app, &client, "/admin").await.0,
        200,
        "still signed in"
    );
    app.stop().await;
}

async fn failed_logins_slow_down_without_telling_who_exists(backend: Backend) {
    // The clock stands still, so that a wait cannot run out while the test runs.
    let clock = crate::support::fixed_clock(&jiff::Timestamp::now().to_string());
    let app = TestApp::spawn_with(
        backend,
        Options {
            clock: Some(clock.clone()),
            ..Default::default()
        },
    )
    .await;
    app.user_with_token("Eve Editor", "eve@example.org", Role::Editor)
        .await;
    // From two addresses, since failures are counted per address as well as per account.
    for (email, from) in [
        ("eve@example.org", "127.0.0.1"),
        ("nobody@example.org", "127.0.0.2"),
    ] {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .local_address(from.parse::<std::net::IpAddr>().unwrap())
            .build()
            .unwrap();
        let mut answers = Vec::new();
        for _ in 0..5 {
            let r = sign_in(&app, &client, email, "not the password at all").await;
            answers.push(r.status().as_u16());
            let html = r.text().await.unwrap();
            assert!(
                html.contains("The e-mail address or the password is wrong."),
                "{html}"
            );
        }
        assert_eq!(answers, [422; 5], "{email}");
        let r = sign_in(&app, &client, email, PASSWORD).await;
        assert_eq!(r.status(), 429, "{email}: the sixth quick attempt waits");
        let wait: u64 = r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(wait >= 1);
        let html = r.text().await.unwrap();
        assert!(html.contains("Try again in"), "{html}");
    }
    // A third address trying the account now waits too: failures count per account.
    let elsewhere = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .local_address("127.0.0.3".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    assert_eq!(
        sign_in(&app, &elsewhere, "eve@example.org", PASSWORD)
            .await
            .status(),
        429
    );
    // Once the wait is over, the right password works.
    clock.set(jiff::Timestamp::now() + jiff::SignedDuration::from_secs(5));
    assert_eq!(
        sign_in(&app, &elsewhere, "eve@example.org", PASSWORD)
            .await
            .status(),
        303
    );
    app.stop().await;
}

async fn the_owner_invites_changes_roles_and_deactivates(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user_with_token("Olga Owner", "olga@example.org", Role::Owner)
        .await;
    let (_, editor_token) = app
        .user_with_token("Eve Editor", "eve@example.org", Role::Editor)
        .await;
    let olga = browser();
    sign_in(&app, &olga, "olga@example.org", PASSWORD).await;
    let eve = browser();
    sign_in(&app, &eve, "eve@example.org", PASSWORD).await;
    assert_eq!(page(&app, &eve, "/admin/users").await.0, 403, "owners only");

    let token = csrf(&app, &olga).await;
    let r = olga
        .post(app.url("/admin/users/invite"))
        .form(&[("csrf", token.as_str()), ("role", "author")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let start = html.find("id=\"invitation-link\">").unwrap() + "id=\"invitation-link\">".len();
    let link = html[start..].split('<').next().unwrap().to_owned();
    let path = link.strip_prefix(&app.base).unwrap().to_owned();
    assert!(path.starts_with("/admin/join?token="), "{link}");

    let newcomer = browser();
    let (s, join) = page(&app, &newcomer, &path).await;
    assert_eq!(s, 200);
    assert!(join.contains("invited as <strong>author</strong>"));
    let invitation = path.split("token=").nth(1).unwrap().to_owned();
    let send = |password: &'static str| {
        let (newcomer, url, invitation, form) = (
            newcomer.clone(),
            app.url("/admin/join"),
            invitation.clone(),
            form_token(&join),
        );
        async move {
            newcomer
                .post(url)
                .form(&[
                    ("token", invitation.as_str()),
                    ("form_token", form.as_str()),
                    ("name", "Nina Newcomer"),
                    ("email", "nina@example.org"),
                    ("password", password),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let r = send("password123").await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("one of the most common"));
    let r = send("a long and private phrase").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/admin/login?joined=1");
    assert_eq!(
        send("a long and private phrase").await.status(),
        404,
        "the link worked once"
    );
    assert_eq!(
        sign_in(
            &app,
            &newcomer,
            "nina@example.org",
            "a long and private phrase"
        )
        .await
        .status(),
        303
    );
    let nina = app
        .db
        .user_by_email("nina@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(nina.role, Role::Author);

    let token = csrf(&app, &olga).await;
    let r = olga
        .post(app.url(&format!("/admin/users/{}/role", nina.id)))
        .form(&[("csrf", token.as_str()), ("role", "editor")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/admin/users?done=role");
    assert_eq!(
        app.db.user_by_id(nina.id).await.unwrap().unwrap().role,
        Role::Editor
    );

    // Deactivating: articles stay, sessions and tokens stop working.
    let eve_user = app
        .db
        .user_by_email("eve@example.org")
        .await
        .unwrap()
        .unwrap();
    let article = app.publish(&editor_token, "By Eve", json!({})).await;
    let r = olga
        .post(app.url(&format!("/admin/users/{}/active", eve_user.id)))
        .form(&[("csrf", token.as_str()), ("active", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/admin/users?done=deactivated");
    assert_eq!(page(&app, &eve, "/admin").await.0, 303, "her session ended");
    assert_eq!(
        sign_in(&app, &eve, "eve@example.org", PASSWORD)
            .await
            .status(),
        422
    );
    assert_eq!(
        app.get_json("/api/v1/articles", Some(&editor_token))
            .await
            .0,
        401
    );
    assert_eq!(
        app.get(&app.path_of(&article)).await.status(),
        200,
        "her articles stay"
    );
    // The last owner cannot demote or deactivate themselves away.
    let olga_user = app
        .db
        .user_by_email("olga@example.org")
        .await
        .unwrap()
        .unwrap();
    let r = olga
        .post(app.url(&format!("/admin/users/{}/role", olga_user.id)))
        .form(&[("csrf", token.as_str()), ("role", "editor")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("needs an active owner"));
    let kinds: Vec<&str> = app
        .db
        .events_after(0, 1000)
        .await
        .unwrap()
        .iter()
        .map(|e| e.kind.as_str())
        .filter(|k| {
            k.starts_with("invitation") || k.starts_with("user.role") || k.starts_with("user.deact")
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "invitation.created",
            "user.role_changed",
            "user.deactivated"
        ]
    );
    app.stop().await;
}

async fn the_profile_page_changes_the_password_and_manages_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user_with_token("Abe Author", "abe@example.org", Role::Author)
        .await;
    let abe = browser();
    sign_in(&app, &abe, "abe@example.org", PASSWORD).await;
    let laptop = browser();
    sign_in(&app, &laptop, "abe@example.org", PASSWORD).await;
    let token = csrf(&app, &abe).await;
    let change = |current: &'static str, new: &'static str| {
        let (abe, url, token) = (
            abe.clone(),
            app.url("/admin/profile/password"),
            token.clone(),
        );
        async move {
            abe.post(url)
                .form(&[
                    ("csrf", token.as_str()),
                    ("current_password", current),
                    ("new_password", new),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let r = change("wrong password here", "a brand new phrase").await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("The current password is wrong.")
    );
    let r = change(PASSWORD, "qwertyuiop").await;
    assert_eq!(r.status(), 422);
    let r = change(PASSWORD, "a brand new phrase").await;
    assert_eq!(r.headers()["location"], "/admin/profile?done=password");
    assert_eq!(
        page(&app, &abe, "/admin").await.0,
        200,
        "this session stays"
    );
    assert_eq!(page(&app, &laptop, "/admin").await.0, 303, "the others end");
    assert_eq!(
        sign_in(&app, &browser(), "abe@example.org", "a brand new phrase")
            .await
            .status(),
        303
    );

    // An API token, shown once; it works; revoked, it does not.
    let r = abe
        .post(app.url("/admin/profile/tokens"))
        .form(&[("csrf", token.as_str()), ("label", "desk")])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    let start = html.find("id=\"new-token\">").unwrap() + "id=\"new-token\">".len();
    let api_token = html[start..start + 64].to_owned();
    assert_eq!(
        app.get_json("/api/v1/articles", Some(&api_token)).await.0,
        200
    );
    let (_, profile) = page(&app, &abe, "/admin/profile").await;
    assert!(!profile.contains(&api_token), "shown only once");
    let info = app
        .db
        .tokens_of(
            app.db
                .user_by_email("abe@example.org")
                .await
                .unwrap()
                .unwrap()
                .id,
        )
        .await
        .unwrap();
    let desk = info.iter().find(|t| t.label == "desk").unwrap();
    let r = abe
        .post(app.url(&format!("/admin/profile/tokens/{}/revoke", desk.id)))
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/admin/profile?done=token-revoked");
    assert_eq!(
        app.get_json("/api/v1/articles", Some(&api_token)).await.0,
        401
    );
    app.stop().await;
}
