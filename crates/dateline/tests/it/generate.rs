//! The benchmark's made-up site: the counts asked for, the busiest articles with several
//! hundred comments, everything readers see, and the same site from the same seed.

use dateline_app::generate::{Made, Spec, generate};

use sqlx::Connection;

use crate::support::{Backend, TestApp};

both_backends!(a_seed_makes_a_whole_site);

async fn a_seed_makes_a_whole_site(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let spec = Spec {
        articles: 120,
        comments: 2_000,
        seed: 7,
    };
    let made = generate(&app.app, spec).await.unwrap();
    assert_eq!(
        made,
        Made {
            articles: 120,
            comments: 2_000,
            busiest: 400
        }
    );
    // Published, with images, sources and topics, and the comments counted on the lists.
    let (_, list) = app.get_json("/api/v1/articles?per_page=100", None).await;
    assert_eq!(list["total"], 121, "and the welcome article");
    // The welcome article was written "now"; the made-up ones are older.
    let newest = &list["items"][1];
    assert!(newest["lead_image"]["url"].is_string());
    assert!(!newest["sources"].as_array().unwrap().is_empty());
    assert!(!newest["topics"].as_array().unwrap().is_empty());
    assert_eq!(
        newest["comment_count"], 400,
        "the newest is among the busiest"
    );
    let (s, page) = app.get_text(&app.path_of(newest)).await;
    assert_eq!(s, 200);
    assert!(page.contains("Page 1 of 4"), "400 threads on four pages");
    // Planned with what it holds: on PostgreSQL the statistics of a table made at once.
    if matches!(backend, Backend::Postgres) {
        let mut conn = sqlx::AnyConnection::connect(&app.test_db.url)
            .await
            .unwrap();
        let analyzed: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL \
             AND relname IN ('articles', 'search_documents', 'comments')",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(analyzed, 3);
        conn.close().await.unwrap();
    }
    // Found by search, like any article.
    let (_, found) = app.get_json("/api/v1/search?q=officials", None).await;
    assert!(found["total"].as_i64().unwrap() > 0);
    // The same seed, the same site.
    let again = TestApp::spawn(backend).await;
    generate(&again.app, spec).await.unwrap();
    let (_, other) = again.get_json("/api/v1/articles?per_page=5", None).await;
    let titles = |l: &serde_json::Value| -> Vec<String> {
        l["items"].as_array().unwrap()[..5]
            .iter()
            .map(|a| a["title"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(titles(&list), titles(&other));
    again.stop().await;
    app.stop().await;
}
