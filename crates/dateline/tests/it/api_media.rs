//! `POST /api/v1/media`.

use crate::support::{Backend, TestApp, jpeg, png, upload};

both_backends!(images_are_recognised_by_decoding);

async fn images_are_recognised_by_decoding(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;

    let (s, m) = upload(
        &app,
        &token,
        png(300, 200),
        "whatever.bin",
        "application/octet-stream",
    )
    .await;
    assert_eq!(s, 201, "{m}");
    assert_eq!(
        (
            m["width"].as_i64(),
            m["height"].as_i64(),
            m["content_type"].as_str()
        ),
        (Some(300), Some(200), Some("image/png"))
    );
    let url = m["url"].as_str().unwrap();
    assert!(url.starts_with(&app.base) && url.ends_with(".png"));
    let served = app.get(url.strip_prefix(&app.base).unwrap()).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.unwrap().to_vec(), png(300, 200));
    let stored = app
        .db
        .media_by_id(m["id"].as_i64().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.size_bytes as usize, png(300, 200).len());
    assert!(stored.thumb.is_none(), "small images need no thumbnail");

    let (s, big) = upload(&app, &token, jpeg(1200, 800), "photo.png", "image/png").await;
    assert_eq!(
        (s, big["content_type"].as_str()),
        (201, Some("image/jpeg")),
        "the declared type is ignored"
    );
    let thumb = app
        .db
        .media_by_id(big["id"].as_i64().unwrap())
        .await
        .unwrap()
        .unwrap()
        .thumb
        .unwrap();
    assert_eq!((thumb.width, thumb.height), (480, 320));
    assert!(app.data_dir.join("media").join(&thumb.path).is_file());

    // Same content, same file.
    let (_, again) = upload(&app, &token, png(300, 200), "again.png", "image/png").await;
    assert_eq!(again["url"], m["url"]);

    for (bytes, name, mime) in [
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(),
            "x.svg",
            "image/svg+xml",
        ),
        (b"plain text pretending".to_vec(), "x.png", "image/png"),
        (png(10, 10)[..40].to_vec(), "truncated.png", "image/png"),
    ] {
        let (s, e) = upload(&app, &token, bytes, name, mime).await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (415, Some("unsupported_media_type")),
            "{name}: {e}"
        );
    }
    let (s, e) = upload(&app, &token, vec![], "empty.png", "image/png").await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("file")));
    let auth = format!("Bearer {token}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "multipart/form-data; boundary=x"),
    ];
    let status =
        crate::support::status_before_body(&app, "/api/v1/media", &headers, 21 * 1024 * 1024).await;
    assert_eq!(status, 413);

    // Without a token (and without a body, which an early refusal would leave unread).
    let r = app
        .client
        .post(app.url("/api/v1/media"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let part = reqwest::multipart::Part::bytes(png(5, 5)).file_name("a.png");
    let r = app
        .client
        .post(app.url("/api/v1/media"))
        .bearer_auth(&token)
        .multipart(reqwest::multipart::Form::new().part("image", part))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = app
        .client
        .post(app.url("/api/v1/media"))
        .bearer_auth(&token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    app.stop().await;
}
