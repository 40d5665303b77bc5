//! `POST /api/v1/media`.

use crate::support::{Backend, TestApp, jpeg, png, upload};

both_backends!(images_are_recognised_by_decoding);

/// CRC-32 of PNG chunks (ISO 3309), to forge a header.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A tiny PNG whose header claims `width` × `height`: a decompression bomb's shape, without
/// its cost to the test.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = png(1, 1);
    // Signature (8), IHDR length (4) and type (4), then width and height, then the rest of the
    // 13-byte IHDR, then its CRC over type and data.
    bytes[16..20].copy_from_slice(&width.to_be_bytes());
    bytes[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

/// An animated GIF of `frames` 1 × 1 frames.
fn gif_with_frames(frames: usize) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = gif::Encoder::new(&mut out, 1, 1, &[0, 0, 0, 255, 255, 255]).unwrap();
        for i in 0..frames {
            let frame = gif::Frame {
                width: 1,
                height: 1,
                buffer: std::borrow::Cow::Owned(vec![(i % 2) as u8]),
                ..Default::default()
            };
            encoder.write_frame(&frame).unwrap();
        }
    }
    out
}

/// Images too large in pixels are refused from their header, before any decoding; GIFs with
/// too many frames likewise; a 24-megapixel photograph passes; decodes take turns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decompression_bombs_are_refused_and_decodes_take_turns() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        crate::support::Options {
            media: Some(dateline_app::media::MediaLimits {
                concurrent_decodes: 1,
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await;
    let token = app.editor_token().await;
    let bomb = png_claiming(13_000, 13_000);
    assert!(bomb.len() < 200);
    let (s, e) = upload(&app, &token, bomb, "bomb.png", "image/png").await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("file")),
        "{e}"
    );
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("13000 × 13000"),
        "{e}"
    );
    let (s, _) = upload(
        &app,
        &token,
        png_claiming(100_000, 2),
        "wide.png",
        "image/png",
    )
    .await;
    assert_eq!(s, 422, "a side over 16,384 pixels");
    let (s, e) = upload(&app, &token, gif_with_frames(1001), "long.gif", "image/gif").await;
    assert_eq!(s, 422, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1000 frames")
    );
    let (s, m) = upload(&app, &token, gif_with_frames(1000), "ok.gif", "image/gif").await;
    assert_eq!(
        (s, m["content_type"].as_str()),
        (201, Some("image/gif")),
        "{m}"
    );
    let (s, m) = upload(&app, &token, png(6000, 4000), "camera.png", "image/png").await;
    assert_eq!(
        (s, m["width"].as_i64()),
        (201, Some(6000)),
        "24 megapixels pass"
    );

    // Eight uploads at once are all stored, decoded one at a time as configured.
    let mut uploads = tokio::task::JoinSet::new();
    let app = std::sync::Arc::new(app);
    for i in 0..8u32 {
        let (app, token) = (app.clone(), token.clone());
        uploads.spawn(async move {
            upload(&app, &token, jpeg(1200 + i, 900), "p.jpg", "image/jpeg")
                .await
                .0
        });
    }
    while let Some(s) = uploads.join_next().await {
        assert_eq!(s.unwrap(), 201);
    }
    assert_eq!(app.app.media_decode_peak(), 1);
}

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
