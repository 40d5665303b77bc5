//! `/healthz`, `/metrics`, request ids.

use serde_json::json;

use crate::support::{Backend, TestApp};

both_backends!(
    health_metrics_and_request_ids,
    two_servers_start_together_on_one_database
);

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

/// Made-up methods and unknown paths add no time series: a method outside the standard ones is
/// counted as `other`, a path by its route template (`unmatched` when none).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn made_up_methods_and_paths_do_not_grow_the_metrics() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let send = |i: usize| {
        let method = reqwest::Method::from_bytes(format!("XMADE{i}").as_bytes()).unwrap();
        app.client
            .request(method, app.url(&format!("/made-up-{i}/path")))
            .send()
    };
    for i in 1..=300 {
        send(i).await.unwrap();
        app.get(&format!("/2009/07/31/no-such-{i}/")).await;
    }
    let (_, after) = app.get_text("/metrics").await;
    assert!(!after.contains("XMADE"), "a made-up method became a label");
    assert!(!after.contains("no-such-"), "a path became a label");
    assert!(after.contains("method=\"other\""));
    assert!(after.contains("route=\"/{year}/{month}/{day}/{slug}/\""));
    // Other tests share this process's metrics, but none sends made-up methods: the 300 here
    // are one series per status at most.
    let other = after
        .lines()
        .filter(|l| l.starts_with("http_requests_total{") && l.contains("method=\"other\""))
        .count();
    assert!(
        (1..=3).contains(&other),
        "{other} series for made-up methods"
    );
    app.stop().await;
}

/// `/metrics` answers loopback clients, and others only when configured to. A request from
/// another address cannot be made over this machine's loopback, so it goes through the real
/// router in process with the peer address a listener would have recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_for_loopback_clients_unless_configured() {
    use std::{net::SocketAddr, sync::Arc};

    use axum::{body::Body, extract::ConnectInfo, http::Request};
    use dateline_web::{AppState, Theme, WebConfig};
    use tower::ServiceExt;

    let test_db = crate::support::TestDb::new(Backend::Sqlite).await;
    let db = test_db.connect().await;
    let app = |public: bool| {
        let config = WebConfig {
            base_url: "http://news.example".into(),
            media_dir: test_db.dir.path().join("media"),
            metrics_public: public,
            trust_host_header: true,
            frame_ancestors: Vec::new(),
            cors_origins: vec!["*".into()],
            auth_failures_per_minute: 10,
            trusted_proxies: Default::default(),
            page_cache_bytes: 1 << 20,
        };
        let actions = dateline_app::App::new(
            db.clone(),
            Arc::new(dateline_core::SystemClock),
            test_db.dir.path().join("media"),
            vec![7; 32],
        );
        dateline_web::app(AppState::new(actions, Theme::new(None), config))
    };
    let from = |peer: [u8; 4]| {
        let mut req = Request::get("/metrics").body(Body::empty()).unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((peer, 40000))));
        req
    };
    assert_eq!(
        app(false)
            .oneshot(from([127, 0, 0, 1]))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        app(false)
            .oneshot(from([203, 0, 113, 5]))
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        app(true)
            .oneshot(from([203, 0, 113, 5]))
            .await
            .unwrap()
            .status(),
        200
    );
    db.close().await;
}

/// Several `dateline serve` processes may start at once against one database: migrations run
/// once, the welcome article is written once, and both serve the same site.
async fn two_servers_start_together_on_one_database(backend: Backend) {
    use std::sync::Arc;

    use dateline::{config::Config, server};

    // A race shows only sometimes: a few fresh databases give it a few chances.
    for _ in 0..3 {
        let test_db = crate::support::TestDb::new(backend).await;
        let config = |dir: &std::path::Path| Config {
            data_dir: dir.to_path_buf(),
            database_url: test_db.url.clone(),
            bind: "127.0.0.1:0".parse().unwrap(),
            bind_host: None,
            base_url: None,
            frame_ancestors: Vec::new(),
            cors_origins: vec!["*".into()],
            limits: Default::default(),
            media: Default::default(),
            auth_failures_per_minute: 10,
            theme_dir: None,
            time_zone: None,
            metrics_public: false,
            shared_media: None,
            trusted_proxies: Default::default(),
            page_cache_bytes: 1 << 20,
        };
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (config_a, config_b) = (config(a.path()), config(b.path()));
        let clock: Arc<dyn dateline_core::Clock> = Arc::new(dateline_core::SystemClock);
        let (first, second) = tokio::join!(
            server::start(&config_a, clock.clone(), false),
            server::start(&config_b, clock.clone(), false)
        );
        let (first, second) = (first.unwrap(), second.unwrap());
        for node in [&first, &second] {
            let list: serde_json::Value =
                reqwest::get(format!("{}/api/v1/articles", node.base_url))
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
            assert_eq!(
                list["total"], 1,
                "one welcome article, seen from every node"
            );
        }
        first.stop().await.unwrap();
        second.stop().await.unwrap();
    }
}
