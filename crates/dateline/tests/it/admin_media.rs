//! The media library in the admin: several uploads at once (a refused file named, the others
//! kept), search, descriptions, deletion refused while an article shows the image (the same
//! 409 as the API), the roles, and the operator's upload limit on every surface.

use dateline_core::users::Role;
use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::admin_articles::{post_editor, staff};
use crate::support::{Backend, Options, TestApp, csrf, jpeg, page, png, visible_text};

both_backends!(
    images_are_uploaded_searched_described_and_deleted,
    contributors_see_the_library_but_cannot_change_it,
);

fn file(bytes: Vec<u8>, name: &str, mime: &str) -> Part {
    Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(mime)
        .unwrap()
}

async fn images_are_uploaded_searched_described_and_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (eve, token, _) = staff(&app, "Eve", Role::Editor).await;
    let c = csrf(&app, &eve).await;

    // Two images and a text file at once: the images are kept, the text file is named.
    let form = Form::new()
        .text("csrf", c.clone())
        .part(
            "files",
            file(jpeg(640, 480), "camp-ashraf.jpg", "image/jpeg"),
        )
        .part(
            "files",
            file(png(300, 200), "map-of-diyala.png", "image/png"),
        )
        .part(
            "files",
            file(b"not an image".to_vec(), "notes.txt", "text/plain"),
        );
    let (s, _, html) = post_editor(&app, &eve, "/admin/media", form).await;
    assert_eq!(s, 415, "{html}");
    let text = visible_text(&html);
    assert!(
        text.contains("Not uploaded: notes.txt (the file is not a JPEG"),
        "{text}"
    );
    assert!(text.contains("2 other files were uploaded."), "{text}");
    let (_, listed) = app.get_json("/api/v1/media", Some(&token)).await;
    let names: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["file_name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{listed}");
    assert!(names.contains(&"camp-ashraf.jpg") && names.contains(&"map-of-diyala.png"));
    let id_of = |name: &str| {
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["file_name"] == name)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (photo, map) = (id_of("camp-ashraf.jpg"), id_of("map-of-diyala.png"));

    // Nothing chosen: said in place.
    let (s, _, html) = post_editor(
        &app,
        &eve,
        "/admin/media",
        Form::new().text("csrf", c.clone()),
    )
    .await;
    assert_eq!(s, 422);
    assert!(visible_text(&html).contains("Choose one or more images"));

    // Described, then found by its alt text; the other is not.
    let r = eve
        .post(app.url(&format!("/admin/media/{photo}")))
        .form(&[
            ("csrf", c.as_str()),
            ("alt", "Soldiers at the gate of Camp Ashraf"),
            ("caption", "The camp's gate"),
            ("credit", "Reuters"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, m) = app
        .get_json(&format!("/api/v1/media/{photo}"), Some(&token))
        .await;
    assert_eq!(
        (m["alt"].as_str(), m["credit"].as_str()),
        (Some("Soldiers at the gate of Camp Ashraf"), Some("Reuters"))
    );
    let (s, html) = page(&app, &eve, "/admin/media?q=gate+of+camp").await;
    assert_eq!(s, 200);
    assert!(html.contains(&format!("id=\"media-{photo}\"")));
    assert!(!html.contains(&format!("id=\"media-{map}\"")));
    assert!(visible_text(&html).contains("1 image."));
    // A description with a control character is refused in place.
    let r = eve
        .post(app.url(&format!("/admin/media/{map}")))
        .form(&[
            ("csrf", c.as_str()),
            ("alt", "bad\u{7}alt"),
            ("caption", ""),
            ("credit", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);

    // An article shows the photo: deleting it is refused here and in the API alike.
    let (s, article) = app
        .post_json(
            "/api/v1/articles",
            Some(&token),
            &json!({
                "title": "Iraqi troops raid Camp Ashraf",
                "status": "draft",
                "body_markdown": "Words.",
                "lead_image": {"media_id": photo, "alt": "The gate"},
            }),
        )
        .await;
    assert_eq!(s, 201, "{article}");
    let r = eve
        .post(app.url(&format!("/admin/media/{photo}/delete")))
        .form(&[("csrf", c.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let html = r.text().await.unwrap();
    assert!(
        visible_text(&html).contains("Iraqi troops raid Camp Ashraf"),
        "{html}"
    );
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/media/{photo}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);

    // A wrong token changes nothing; the unused map is deleted with the right one.
    let r = eve
        .post(app.url(&format!("/admin/media/{map}/delete")))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = eve
        .post(app.url(&format!("/admin/media/{map}/delete")))
        .form(&[("csrf", c.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (s, _) = app
        .get_json(&format!("/api/v1/media/{map}"), Some(&token))
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .get_json(&format!("/api/v1/media/{photo}"), Some(&token))
        .await;
    assert_eq!(s, 200);
    app.stop().await;
}

async fn contributors_see_the_library_but_cannot_change_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (cody, _, _) = staff(&app, "Cody", Role::Contributor).await;
    let c = csrf(&app, &cody).await;
    let (s, html) = page(&app, &cody, "/admin/media").await;
    assert_eq!(s, 200);
    assert!(!html.contains("name=\"files\""));
    let form = Form::new()
        .text("csrf", c)
        .part("files", file(jpeg(64, 64), "a.jpg", "image/jpeg"));
    let (s, _, _) = post_editor(&app, &cody, "/admin/media", form).await;
    assert_eq!(s, 403);
    let (_, listed) = app
        .get_json("/api/v1/media", Some(&app.editor_token().await))
        .await;
    assert_eq!(listed["total"], 0);
    app.stop().await;
}

/// The operator's limit holds in the library, the editor and the API, and is what they say.
#[tokio::test]
async fn the_upload_limit_is_a_setting() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            media: Some(dateline_app::media::MediaLimits {
                max_upload_bytes: 1024 * 1024,
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await;
    let (eve, token, _) = staff(&app, "Eve", Role::Editor).await;
    let c = csrf(&app, &eve).await;
    let (_, html) = page(&app, &eve, "/admin/media").await;
    assert!(visible_text(&html).contains("at most 1 MB each"));
    // Noise does not compress: a 1,000 × 1,000 PNG of it is well over 1 MB.
    let mut seed = 7u32;
    let noisy = image::RgbImage::from_fn(1000, 1000, |_, _| {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let b = seed.to_be_bytes();
        image::Rgb([b[0], b[1], b[2]])
    });
    let mut big = Vec::new();
    noisy
        .write_to(&mut std::io::Cursor::new(&mut big), image::ImageFormat::Png)
        .unwrap();
    assert!(big.len() > 1024 * 1024);
    let form = Form::new()
        .text("csrf", c.clone())
        .part("files", file(big.clone(), "noise.png", "image/png"));
    let (s, _, html) = post_editor(&app, &eve, "/admin/media", form).await;
    assert_eq!(s, 413);
    assert!(visible_text(&html).contains("at most 1 MB"), "{html}");
    let form = Form::new()
        .text("csrf", c.clone())
        .text("title", "With a large image")
        .text("body_markdown", "Words.")
        .part("lead_file", file(big.clone(), "noise.png", "image/png"));
    let (s, _, _) = post_editor(&app, &eve, "/admin/articles", form).await;
    assert_eq!(s, 413);
    let (s, e) = crate::support::upload(&app, &token, big, "noise.png", "image/png").await;
    assert_eq!(s, 413);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 1 MB")
    );
    // Under the limit, it is taken.
    let (s, _) = crate::support::upload(&app, &token, jpeg(200, 100), "ok.jpg", "image/jpeg").await;
    assert_eq!(s, 201);
    app.stop().await;
}
