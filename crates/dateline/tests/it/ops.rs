//! `/healthz`, `/metrics`, request ids.

use serde_json::json;

use crate::support::{Backend, TestApp};

both_backends!(health_metrics_and_request_ids);

async fn health_metrics_and_request_ids(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), 200);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let next = app.get("/healthz").await.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(id, next);

    let token = app.editor_token().await;
    let a = app.publish(&token, "Counted", json!({})).await;
    let (s, _) = app
        .post_json(
            &format!("/api/v1/articles/{}/comments", a["id"]),
            None,
            &json!({"author_name": "a", "body": "b"}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, metrics) = app.get_text("/metrics").await;
    assert_eq!(s, 200);
    assert!(
        metrics.contains(
            "http_requests_total{route=\"/api/v1/articles\",method=\"POST\",status=\"201\"}"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("http_request_duration_seconds_bucket{route=\"/healthz\""));
    assert!(metrics.contains("db_pool_connections{state=\"open\"}"));
    assert!(metrics.contains("comments_posted_total"));

    // When the database stops answering, health says so.
    app.db.close().await;
    assert_eq!(app.get("/healthz").await.status(), 503);
}
