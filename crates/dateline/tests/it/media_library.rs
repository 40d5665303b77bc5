//! The media library: metadata stripped on upload with the orientation applied, responsive
//! variants made in the background and offered in `srcset`, search, descriptions, and deletion
//! refused while an article shows the image.

use dateline_core::users::Role;
use serde_json::{Value, json};

use crate::{
    api_articles::conforms,
    support::{Backend, TestApp, jpeg, jpeg_with_exif, png_with_text, upload, wait_for_variants},
};

both_backends!(
    metadata_is_stripped_and_the_orientation_applied,
    variants_are_made_in_the_background_and_offered_in_srcset,
    the_library_is_searched_described_and_pruned,
);

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn stored(app: &TestApp, media: &Value) -> Vec<u8> {
    let r = app.get(&app.path_of(media)).await;
    assert_eq!(r.status(), 200);
    r.bytes().await.unwrap().to_vec()
}

async fn metadata_is_stripped_and_the_orientation_applied(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;

    // Upright with EXIF: the segment goes, every other byte stays (no re-encoding).
    let (upright, exif_len) = jpeg_with_exif(60, 40, 1);
    assert!(contains(&upright, b"SECRET-SERIAL-42") && contains(&upright, b"Exif"));
    let (s, m) = upload(&app, &token, upright.clone(), "upright.jpg", "image/jpeg").await;
    assert_eq!(s, 201, "{m}");
    let bytes = stored(&app, &m).await;
    assert!(!contains(&bytes, b"Exif") && !contains(&bytes, b"SECRET-SERIAL-42"));
    let mut expected = upright[..2].to_vec();
    expected.extend(&upright[2 + exif_len..]);
    assert_eq!(bytes, expected, "only the metadata was removed");
    assert_eq!(
        (m["width"].as_i64(), m["height"].as_i64()),
        (Some(60), Some(40))
    );
    assert_eq!(m["size_bytes"].as_i64(), Some(expected.len() as i64));
    assert_eq!(m["file_name"], "upright.jpg");

    // Turned a quarter: the pixels are turned instead, and no metadata survives.
    let (turned, _) = jpeg_with_exif(60, 40, 6);
    let (s, m) = upload(&app, &token, turned, "C:\\photos\\turned.jpg", "image/jpeg").await;
    assert_eq!(s, 201, "{m}");
    assert_eq!(
        (m["width"].as_i64(), m["height"].as_i64()),
        (Some(40), Some(60))
    );
    assert_eq!(
        m["file_name"], "turned.jpg",
        "only the last segment of a path is kept"
    );
    let bytes = stored(&app, &m).await;
    assert!(!contains(&bytes, b"Exif") && !contains(&bytes, b"SECRET-SERIAL-42"));
    let decoded = image::load_from_memory(&bytes).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (40, 60));

    // A PNG's text chunks go too.
    let (s, m) = upload(&app, &token, png_with_text(30, 20), "map.png", "image/png").await;
    assert_eq!(s, 201, "{m}");
    let bytes = stored(&app, &m).await;
    assert!(!contains(&bytes, b"GPS 51.5074") && !contains(&bytes, b"tEXt"));
    assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 30);
    app.stop().await;
}

async fn variants_are_made_in_the_background_and_offered_in_srcset(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;
    let (s, big) = upload(&app, &token, jpeg(2000, 1200), "wide.jpg", "image/jpeg").await;
    assert_eq!(s, 201, "{big}");
    let id = big["id"].as_i64().unwrap();
    let big = wait_for_variants(&app, &token, id).await;
    let spec: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    conforms(&spec, "Media", &big);
    let jpegs: Vec<i64> = big["variants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["content_type"] == "image/jpeg")
        .map(|v| v["width"].as_i64().unwrap())
        .collect();
    assert_eq!(jpegs, [320, 640, 1024, 1600]);
    for v in big["variants"].as_array().unwrap() {
        let r = app.get(&app.path_of(v)).await;
        assert_eq!(r.status(), 200, "{v}");
        assert_eq!(
            r.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let img = image::load_from_memory(&r.bytes().await.unwrap()).unwrap();
        assert_eq!(i64::from(img.width()), v["width"].as_i64().unwrap());
        assert_eq!(
            i64::from(img.height()),
            v["width"].as_i64().unwrap() * 1200 / 2000
        );
    }
    // Never enlarged: an image 500 wide gets the 320 copy only, in its own format.
    let (_, small) = upload(&app, &token, jpeg(500, 300), "small.jpg", "image/jpeg").await;
    let small = wait_for_variants(&app, &token, small["id"].as_i64().unwrap()).await;
    assert!(
        small["variants"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["width"].as_i64().unwrap() <= 500),
        "{small}"
    );

    // Every page that shows the image offers the copies.
    let a = app
        .publish(
            &token,
            "Wide",
            json!({"lead_image": {"media_id": id, "caption": "c", "alt": "A wide view"}}),
        )
        .await;
    for page in [app.path_of(&a), "/".to_owned()] {
        let (_, html) = app.get_text(&page).await;
        let doc = scraper::Html::parse_document(&html);
        let img = doc
            .select(&scraper::Selector::parse("picture img").unwrap())
            .next()
            .unwrap_or_else(|| panic!("no picture on {page}"));
        let srcset = img.value().attr("srcset").unwrap();
        for w in [320, 640, 1024, 1600, 2000] {
            assert!(srcset.contains(&format!(" {w}w")), "{page}: {srcset}");
        }
        assert!(img.value().attr("sizes").is_some());
    }
    app.stop().await;
}

async fn the_library_is_searched_described_and_pruned(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;
    let (_, author) = app
        .user_with_token("Abe", "abe@example.org", Role::Author)
        .await;
    let (_, contributor) = app
        .user_with_token("Cora", "cora@example.org", Role::Contributor)
        .await;
    let (_, harbour) = upload(
        &app,
        &token,
        jpeg(900, 600),
        "Harbour-at-dawn.jpg",
        "image/jpeg",
    )
    .await;
    let (_, camp) = upload(&app, &token, jpeg(800, 500), "camp.jpg", "image/jpeg").await;
    let hid = harbour["id"].as_i64().unwrap();

    let (s, found) = app.get_json("/api/v1/media?q=HARBOUR", Some(&token)).await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["id"], hid);
    let (s, _) = app.get_json("/api/v1/media", Some(&contributor)).await;
    assert_eq!(s, 403);

    // Describing: absent fields stay, null clears.
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/media/{}", camp["id"])))
        .bearer_auth(&author)
        .json(&json!({"alt": "Tents in rows at Camp Ashraf", "credit": "Reuters"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let described: Value = r.json().await.unwrap();
    assert_eq!(
        (described["alt"].as_str(), described["credit"].as_str()),
        (Some("Tents in rows at Camp Ashraf"), Some("Reuters"))
    );
    let (_, found) = app.get_json("/api/v1/media?q=tents", Some(&token)).await;
    assert_eq!(found["items"][0]["id"], camp["id"]);
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/media/{}", camp["id"])))
        .bearer_auth(&author)
        .json(&json!({"credit": null}))
        .send()
        .await
        .unwrap();
    let cleared: Value = r.json().await.unwrap();
    assert_eq!(cleared["credit"], Value::Null);
    assert_eq!(cleared["alt"], "Tents in rows at Camp Ashraf");

    // Deleting is refused while an article shows the image, and says which.
    let variants = wait_for_variants(&app, &token, hid).await;
    let a = app
        .publish(
            &token,
            "At the harbour",
            json!({"lead_image": {"media_id": hid, "alt": "Boats"}}),
        )
        .await;
    let delete = |who: &str| {
        app.client
            .delete(app.url(&format!("/api/v1/media/{hid}")))
            .bearer_auth(who)
            .send()
    };
    let r = delete(&author).await.unwrap();
    assert_eq!(r.status(), 403);
    let r = delete(&token).await.unwrap();
    assert_eq!(r.status(), 409);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["code"], "in_use");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("At the harbour"),
        "{e}"
    );
    let (s, _) = app
        .patch_json(
            &format!("/api/v1/articles/{}", a["id"]),
            &token,
            &json!({"lead_image": null}),
        )
        .await;
    assert_eq!(s, 200);
    let files: Vec<String> = std::iter::once(&variants)
        .chain(variants["variants"].as_array().unwrap())
        .map(|v| app.path_of(v))
        .collect();
    let r = delete(&token).await.unwrap();
    assert_eq!(r.status(), 204);
    for f in &files {
        assert_eq!(app.get(f).await.status(), 404, "{f} removed from disk");
    }
    let (s, _) = app
        .get_json(&format!("/api/v1/media/{hid}"), Some(&token))
        .await;
    assert_eq!(s, 404);
    let (_, activity) = app
        .get_json("/api/v1/activity?kind=media.deleted", Some(&token))
        .await;
    assert_eq!(activity["items"][0]["subject"]["id"], hid);
    app.stop().await;
}
