//! Security headers, cross-site form posts and cross-origin reads of the API.

use serde_json::json;

use crate::support::{Backend, Options, TestApp, jpeg, upload};

both_backends!(forms_from_other_sites_are_refused);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_says_how_to_treat_it() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app.editor_token().await;
    let (_, media) = upload(&app, &token, jpeg(32, 32), "a.jpg", "image/jpeg").await;
    let media_path = media["url"]
        .as_str()
        .unwrap()
        .strip_prefix(&app.base)
        .unwrap()
        .to_owned();
    for path in [
        "/",
        "/nothing-here",
        "/api/v1/articles",
        "/static/style.css",
        media_path.as_str(),
        "/healthz",
    ] {
        let r = app.get(path).await;
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(
            h["referrer-policy"], "strict-origin-when-cross-origin",
            "{path}"
        );
        assert!(
            h.get("strict-transport-security").is_none(),
            "not over http"
        );
        let html = h["content-type"].to_str().unwrap().starts_with("text/html");
        assert_eq!(h.get("content-security-policy").is_some(), html, "{path}");
        if html {
            let csp = h["content-security-policy"].to_str().unwrap();
            for directive in [
                "default-src 'self'",
                "script-src 'self'",
                "frame-ancestors 'none'",
                "form-action 'self'",
                "base-uri 'none'",
                "object-src 'none'",
            ] {
                assert!(csp.contains(directive), "{path}: {csp}");
            }
            assert!(!csp.contains("unsafe"), "{csp}");
            assert!(
                h["permissions-policy"]
                    .to_str()
                    .unwrap()
                    .contains("camera=()")
            );
            assert_eq!(h["x-frame-options"], "DENY");
        }
    }
    app.stop().await;

    // Over https the browser is told to stay on https; embedding can be allowed.
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            base_url: Some("https://news.example".into()),
            frame_ancestors: vec!["https://partner.example".into()],
            ..Default::default()
        },
    )
    .await;
    let r = app.get("/").await;
    let h = r.headers();
    assert!(
        h["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors https://partner.example"),
        "{csp}"
    );
    assert!(h.get("x-frame-options").is_none());
    app.stop().await;
}

async fn forms_from_other_sites_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;
    let a = app.publish(&token, "Guarded", json!({})).await;
    let id = a["id"].as_i64().unwrap();
    // Each post says something new: the same text twice is refused as a duplicate.
    let sent = std::sync::atomic::AtomicUsize::new(0);
    let post = |headers: Vec<(&'static str, String)>| {
        let n = sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut req = app
            .client
            .post(app.url(&format!("/articles/{id}/comments")))
            .form(&[
                ("form_token", app.comment_token(id)),
                ("author_name", "Ali".to_owned()),
                ("body", format!("Hello {n}")),
            ]);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    for headers in [
        vec![("Origin", "http://evil.example".to_owned())],
        vec![("Origin", "null".to_owned())],
        vec![("Referer", "http://evil.example/page".to_owned())],
        vec![
            ("Origin", "http://evil.example".to_owned()),
            ("Referer", app.url("/")),
        ],
    ] {
        let r = post(headers.clone()).await.unwrap();
        assert_eq!(r.status(), 403, "{headers:?}");
        let html = r.text().await.unwrap();
        assert!(html.contains("sent from another site"), "{html}");
    }
    assert!(
        app.db.approved_comments(id).await.unwrap().is_empty(),
        "nothing stored"
    );
    for headers in [
        vec![("Origin", app.base.clone())],
        vec![("Referer", app.url("/some/page/"))],
        vec![],
    ] {
        let r = post(headers.clone()).await.unwrap();
        assert_eq!(r.status(), 303, "{headers:?}");
    }
    app.stop().await;

    // With a base URL configured, that is the site's origin, whatever host was asked.
    let app = TestApp::spawn_with(
        backend,
        Options {
            base_url: Some("https://news.example".into()),
            ..Default::default()
        },
    )
    .await;
    let token = app.editor_token().await;
    let a = app.publish(&token, "Behind a proxy", json!({})).await;
    let action = app.url(&format!("/articles/{}/comments", a["id"]));
    for (origin, status) in [(app.base.as_str(), 403), ("https://news.example", 303)] {
        let r = app
            .client
            .post(&action)
            .header("Origin", origin)
            .form(&[("author_name", "Ali"), ("body", "Hello")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{origin}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_api_may_be_read_across_origins_and_never_written() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let r = app
        .client
        .get(app.url("/api/v1/articles"))
        .header("Origin", "https://reader-app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert!(
        r.headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
    for (method, path) in [
        ("POST", "/api/v1/articles"),
        ("PATCH", "/api/v1/articles/1"),
        ("POST", "/api/v1/articles/1/comments"),
    ] {
        let r = app
            .client
            .request(reqwest::Method::OPTIONS, app.url(path))
            .header("Origin", "https://reader-app.example")
            .header("Access-Control-Request-Method", method)
            .header(
                "Access-Control-Request-Headers",
                "content-type, authorization",
            )
            .send()
            .await
            .unwrap();
        let allowed = r
            .headers()
            .get("access-control-allow-methods")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        assert!(!allowed.contains(method), "{method} {path}: {allowed}");
        let headers = r
            .headers()
            .get("access-control-allow-headers")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        assert!(!headers.contains("authorization"), "{headers}");
        assert!(
            r.headers()
                .get("access-control-allow-credentials")
                .is_none()
        );
    }
    app.stop().await;

    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            cors_origins: Some(vec!["https://app.example".into()]),
            ..Default::default()
        },
    )
    .await;
    for (origin, allowed) in [
        ("https://app.example", true),
        ("https://other.example", false),
    ] {
        let r = app
            .client
            .get(app.url("/api/v1/articles"))
            .header("Origin", origin)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.headers()
                .get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap().to_owned()),
            allowed.then(|| origin.to_owned()),
            "{origin}"
        );
    }
    app.stop().await;
}

/// Guessing tokens from one address is answered 429 after ten failures a minute, before the
/// token is looked at; other addresses are not affected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_tokens_are_throttled_per_address() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app.editor_token().await;
    for i in 1..10 {
        let (s, _) = app
            .get_json("/api/v1/articles", Some(&format!("guess-{i}")))
            .await;
        assert_eq!(s, 401, "guess {i}");
    }
    let r = app
        .client
        .get(app.url("/api/v1/articles"))
        .bearer_auth("guess-10")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let e: serde_json::Value = r.json().await.unwrap();
    assert_eq!(e["error"]["code"], "too_many_requests");
    // Until the minute is over, even a good token from that address waits.
    let (s, _) = app.get_json("/api/v1/articles", Some(&token)).await;
    assert_eq!(s, 429);
    // Another address is served.
    let elsewhere = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let r = elsewhere
        .get(app.url("/api/v1/articles"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.stop().await;
}
