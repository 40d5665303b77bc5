//! The page cache: public pages answered from memory, and never once what they show has
//! changed, on this node or another.

use std::io::Read;

use dateline_core::settings::SettingKey;
use serde_json::json;

use crate::support::{Backend, TestApp};

/// A page as a reader gets it: status, `X-Cache`, body (decompressed), and headers.
struct Page {
    status: u16,
    cache: String,
    body: String,
    headers: reqwest::header::HeaderMap,
}

async fn fetch(client: &reqwest::Client, url: &str, encoding: Option<&str>) -> Page {
    let mut req = client.get(url);
    if let Some(e) = encoding {
        req = req.header("accept-encoding", e);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let cache = headers
        .get("x-cache")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = r.bytes().await.unwrap();
    let body = match headers.get("content-encoding").map(|v| v.to_str().unwrap()) {
        Some("gzip") => {
            let mut s = String::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_string(&mut s)
                .unwrap();
            s
        }
        Some("br") => {
            let mut s = String::new();
            brotli::Decompressor::new(&bytes[..], 4096)
                .read_to_string(&mut s)
                .unwrap();
            s
        }
        None => String::from_utf8(bytes.to_vec()).unwrap(),
        Some(other) => panic!("unexpected encoding {other}"),
    };
    Page {
        status,
        cache,
        body,
        headers,
    }
}

impl TestApp {
    async fn page(&self, path: &str) -> Page {
        fetch(&self.client, &self.url(path), None).await
    }
}

fn form_token(body: &str) -> String {
    let at = body.find("name=\"form_token\" value=\"").unwrap() + 25;
    body[at..at + body[at..].find('"').unwrap()].to_owned()
}

both_backends!(a_page_is_kept_and_answered_with_a_fresh_form_token);

async fn a_page_is_kept_and_answered_with_a_fresh_form_token(backend: Backend) {
    let (app, clock) = TestApp::spawn_at(backend, "2026-03-02T12:00:00.050Z").await;
    let token = app.editor_token().await;
    let article = app.publish(&token, "Kept", json!({})).await;
    let path = app.path_of(&article);
    let first = app.page(&path).await;
    assert_eq!((first.status, first.cache.as_str()), (200, "miss"));
    let second = app.page(&path).await;
    assert_eq!((second.status, second.cache.as_str()), (200, "hit"));
    assert_eq!(second.headers["etag"], first.headers["etag"]);
    assert!(second.headers.contains_key("last-modified"));
    // Answered before it is routed, a page from memory has every header a rendered one has,
    // and is logged and counted like any request.
    for name in [
        "content-security-policy",
        "x-frame-options",
        "x-content-type-options",
        "referrer-policy",
        "permissions-policy",
        "cache-control",
        "vary",
        "content-type",
    ] {
        assert!(first.headers.contains_key(name), "{name}");
        assert_eq!(second.headers.get(name), first.headers.get(name), "{name}");
    }
    assert_ne!(
        second.headers["x-request-id"],
        first.headers["x-request-id"]
    );
    let served = |metrics: &str| -> f64 {
        let line = "http_requests_total{route=\"/{year}/{month}/{day}/{slug}/\",method=\"GET\",status=\"200\"} ";
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(line))
            .map_or(0.0, |n| n.parse().unwrap())
    };
    let before = served(&app.get_text("/metrics").await.1);
    for _ in 0..3 {
        assert_eq!(app.page(&path).await.cache, "hit");
    }
    // Other tests in this process may count too, so at least these three.
    assert!(served(&app.get_text("/metrics").await.1) >= before + 3.0);
    // The form's token says when the form was shown, to a tenth of a second and rounded up
    // (a program posting at once gains nothing): readers within one tenth share it, and the
    // page from memory is then the very page rendered.
    let (a, b) = (form_token(&first.body), form_token(&second.body));
    let shown_at = "2026-03-02T12:00:00.100Z"
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_microsecond();
    assert_eq!(a.split_once('.').unwrap().0, shown_at.to_string());
    assert_eq!(a, b);
    assert_eq!(first.body, second.body);
    // A reader a moment later gets a fresh token, in the same page from memory.
    clock.set("2026-03-02T12:00:01.020Z".parse().unwrap());
    let third = app.page(&path).await;
    assert_eq!(third.cache, "hit");
    let c = form_token(&third.body);
    assert_ne!(
        a, c,
        "a kept page must not hand out the token it was rendered with"
    );
    assert_eq!(
        first.body.replace(&a, ""),
        third.body.replace(&c, ""),
        "the page from memory is the page rendered"
    );
    // Compressed as the reader's browser asks, the same page.
    for encoding in ["br", "gzip", "gzip, deflate, br"] {
        let home = fetch(&app.client, &app.url("/"), Some(encoding)).await;
        let plain = app.page("/").await;
        assert_eq!(home.body, plain.body, "{encoding}");
        assert!(home.headers.contains_key("content-encoding"), "{encoding}");
        let article = fetch(&app.client, &app.url(&path), Some(encoding)).await;
        assert!(article.body.contains("<h1"), "{encoding}");
    }
    // HEAD from memory too, and If-Modified-Since with the time it was rendered.
    let head = app.client.head(app.url(&path)).send().await.unwrap();
    assert_eq!(head.status(), 200);
    let since = second.headers["last-modified"].to_str().unwrap().to_owned();
    let again = app
        .client
        .get(app.url(&path))
        .header("if-modified-since", since)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    app.stop().await;
}

both_backends!(a_change_drops_exactly_the_pages_that_show_it);

async fn a_change_drops_exactly_the_pages_that_show_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;
    let a = app
        .publish(&token, "Alpha story", json!({"topics": ["alpha"]}))
        .await;
    let b = app
        .publish(&token, "Beta story", json!({"topics": ["beta"]}))
        .await;
    let (path_a, path_b) = (app.path_of(&a), app.path_of(&b));
    let pages = ["/", "/topics/alpha/", "/topics/beta/", &path_a, &path_b];
    for p in pages {
        assert_eq!(app.page(p).await.status, 200, "{p}");
        assert_eq!(app.page(p).await.cache, "hit", "{p}");
    }
    // A new headline for Alpha: every page naming it is rendered again, Beta's are kept.
    let (s, body) = app
        .patch_json(
            &format!("/api/v1/articles/{}", a["id"]),
            &token,
            &json!({"title": "Alpha story, revised"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    for p in ["/", "/topics/alpha/", &path_a] {
        let page = app.page(p).await;
        assert_eq!(page.cache, "miss", "{p} shows Alpha");
        assert!(page.body.contains("Alpha story, revised"), "{p}");
    }
    for p in ["/topics/beta/", &path_b] {
        assert_eq!(app.page(p).await.cache, "hit", "{p} does not show Alpha");
    }
    // An approved comment on Beta: its page and the lists counting its comments.
    let (s, _) = app
        .api_comment(
            b["id"].as_i64().unwrap(),
            json!({"author_name": "Ann", "body": "First to say so."}),
        )
        .await;
    assert_eq!(s, 201);
    let beta = app.page(&path_b).await;
    assert_eq!(beta.cache, "miss");
    assert!(beta.body.contains("First to say so."));
    assert!(app.page("/topics/beta/").await.body.contains("1 comment"));
    assert_eq!(app.page(&path_a).await.cache, "hit");
    // The related articles under an article count their comments: a comment on one of them
    // is a change to the article's page too.
    let g = app
        .publish(&token, "Gamma story", json!({"topics": ["alpha"]}))
        .await;
    let alpha = app.page(&path_a).await;
    assert!(alpha.body.contains("Gamma story"), "related by its topic");
    assert!(alpha.body.contains("0 comments</a>"));
    assert_eq!(app.page(&path_a).await.cache, "hit");
    let (s, _) = app
        .api_comment(
            g["id"].as_i64().unwrap(),
            json!({"author_name": "Ann", "body": "Gamma, noted."}),
        )
        .await;
    assert_eq!(s, 201);
    let alpha = app.page(&path_a).await;
    assert_eq!(alpha.cache, "miss", "Alpha's page counts Gamma's comments");
    assert!(alpha.body.contains("1 comment</a>"));
    // A setting shows on every page.
    app.set_setting(SettingKey::Title, "The Renamed Gazette")
        .await;
    for p in pages {
        let page = app.page(p).await;
        assert_eq!(page.cache, "miss", "{p}");
        assert!(page.body.contains("The Renamed Gazette"), "{p}");
    }
    app.stop().await;
}

both_backends!(a_kept_list_of_comments_takes_each_change_to_one_of_them);

/// The comments under a kept page are kept apart from it: an event about one comment makes
/// the next render read that comment alone and put it in its place, or take it out.
async fn a_kept_list_of_comments_takes_each_change_to_one_of_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.set_setting(SettingKey::CommentFirstTime, "hold_all")
        .await;
    let token = app.editor_token().await;
    let article = app.publish(&token, "Kept comments", json!({})).await;
    let id = article["id"].as_i64().unwrap();
    let path = app.path_of(&article);
    let decide = |comment: i64, decision: &'static str| {
        let app = &app;
        let token = &token;
        async move {
            let (s, body) = app
                .post_json(
                    &format!("/api/v1/comments/{comment}/{decision}"),
                    Some(token),
                    &json!({}),
                )
                .await;
            assert_eq!(s, 200, "{decision}: {body}");
        }
    };
    let mut ids = Vec::new();
    for text in [
        "One, as it was.",
        "Two, before its edit.",
        "Three, soon trashed.",
    ] {
        let (s, c) = app
            .api_comment(id, json!({"author_name": "Ann", "body": text}))
            .await;
        assert_eq!(s, 201, "{c}");
        ids.push(c["id"].as_i64().unwrap());
        decide(ids[ids.len() - 1], "approve").await;
    }
    let (s, four) = app
        .api_comment(
            id,
            json!({"author_name": "Bo", "body": "Four, approved last."}),
        )
        .await;
    assert_eq!(s, 201, "{four}");
    assert_eq!(app.page(&path).await.cache, "miss");
    assert_eq!(app.page(&path).await.cache, "hit");

    // One approved, one edited, one trashed, all while the list is kept.
    decide(four["id"].as_i64().unwrap(), "approve").await;
    let (s, body) = app
        .patch_json(
            &format!("/api/v1/comments/{}", ids[1]),
            &token,
            &json!({"body": "Two, after its edit.", "note": "Typo."}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    decide(ids[2], "trash").await;
    let page = app.page(&path).await;
    assert_eq!(page.cache, "miss");
    let at = |text: &str| page.body.find(text);
    assert_eq!(at("Two, before its edit."), None);
    assert_eq!(at("Three, soon trashed."), None);
    let shown = [
        at("One, as it was."),
        at("Two, after its edit."),
        at("Four, approved last."),
    ];
    assert!(shown.iter().all(Option::is_some), "{shown:?}");
    assert!(shown.is_sorted(), "oldest first: {shown:?}");
    assert_eq!(page.body.matches("<li id=\"comment-").count(), 3);
    app.stop().await;
}

both_backends!(related_articles_under_a_kept_page_follow_every_change_to_them);

/// The related articles under an article are kept apart from its page, like its comments: an
/// edit of the article's own text or a comment on it reads its page's other parts again, not
/// them; a change to one of them, a new article in its topics or a scheduled one coming due
/// does.
async fn related_articles_under_a_kept_page_follow_every_change_to_them(backend: Backend) {
    let (app, clock) = TestApp::spawn_at(backend, "2026-03-02T12:00:00Z").await;
    let token = app.editor_token().await;
    let x = app
        .publish(&token, "Harbour plans", json!({"topics": ["harbour"]}))
        .await;
    let y = app
        .publish(&token, "Quay costs", json!({"topics": ["harbour"]}))
        .await;
    let path = app.path_of(&x);
    assert!(app.page(&path).await.body.contains("Quay costs"));
    let edit = |id: &serde_json::Value, change: serde_json::Value| {
        let (app, token) = (&app, &token);
        let id = id.as_i64().unwrap();
        async move {
            let (s, body) = app
                .patch_json(&format!("/api/v1/articles/{id}"), token, &change)
                .await;
            assert_eq!(s, 200, "{body}");
        }
    };
    edit(&x["id"], json!({"dek": "A new summary."})).await;
    let page = app.page(&path).await;
    assert_eq!(page.cache, "miss");
    assert!(page.body.contains("A new summary.") && page.body.contains("Quay costs"));
    edit(&y["id"], json!({"title": "Dock costs revised"})).await;
    let page = app.page(&path).await;
    assert!(page.body.contains("Dock costs revised"), "a related title");
    assert!(page.body.contains("0 comments</a>"));
    let (s, _) = app
        .api_comment(
            y["id"].as_i64().unwrap(),
            json!({"author_name": "Ann", "body": "On the docks."}),
        )
        .await;
    assert_eq!(s, 201);
    assert!(
        app.page(&path).await.body.contains("1 comment</a>"),
        "a related article's comments"
    );
    let z = app
        .publish(&token, "Pier opens", json!({"topics": ["harbour"]}))
        .await;
    assert!(app.page(&path).await.body.contains("Pier opens"), "{z}");
    let due = "2026-03-02T12:10:00Z";
    let (s, body) = app
        .post_json(
            "/api/v1/articles",
            Some(&token),
            &json!({"title": "Harbour vote", "body_markdown": "Soon.", "status": "scheduled",
                    "published_at": due, "topics": ["harbour"]}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    assert!(!app.page(&path).await.body.contains("Harbour vote"));
    clock.set(due.parse().unwrap());
    assert!(
        app.page(&path).await.body.contains("Harbour vote"),
        "a scheduled article come due"
    );
    app.stop().await;
}

both_backends!(a_held_comment_shows_to_its_writer_and_nobody_else);

async fn a_held_comment_shows_to_its_writer_and_nobody_else(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.set_setting(SettingKey::CommentFirstTime, "hold_all")
        .await;
    let token = app.editor_token().await;
    let article = app.publish(&token, "Held", json!({})).await;
    let id = article["id"].as_i64().unwrap();
    let path = app.path_of(&article);
    let writer = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // Kept by a reader's visit, then the writer's comment is held.
    app.page(&path).await;
    assert_eq!(app.page(&path).await.cache, "hit");
    let r = app
        .send_comment_form(
            &writer,
            id,
            &[
                ("author_name", "Wren"),
                ("body", "Waiting for a moderator."),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let own = fetch(&writer, &app.url(&path), None).await;
    assert!(own.body.contains("Waiting for a moderator."));
    assert_eq!(own.headers["cache-control"], "private, no-store");
    assert!(own.cache.is_empty(), "not from memory, not kept");
    let other = app.page(&path).await;
    assert_eq!(other.cache, "hit");
    assert!(!other.body.contains("Waiting for a moderator."));
    app.stop().await;
}

both_backends!(time_alone_ends_a_kept_page);

async fn time_alone_ends_a_kept_page(backend: Backend) {
    let (app, clock) = TestApp::spawn_at(backend, "2026-03-02T12:00:00Z").await;
    let token = app.editor_token().await;
    let article = app.publish(&token, "Aging", json!({})).await;
    let path = app.path_of(&article);
    let (s, _) = app
        .api_comment(
            article["id"].as_i64().unwrap(),
            json!({"author_name": "Ann", "body": "Early."}),
        )
        .await;
    assert_eq!(s, 201);
    assert!(app.page(&path).await.body.contains("just now"));
    assert_eq!(app.page(&path).await.cache, "hit");
    clock.set("2026-03-02T12:03:10Z".parse().unwrap());
    let later = app.page(&path).await;
    assert_eq!(later.cache, "miss");
    assert!(later.body.contains("3 minutes ago"), "the age moved on");
    // A scheduled article comes due: the front page shows it from its minute, job or not.
    let due = "2026-03-02T12:10:00Z";
    let (s, body) = app
        .post_json(
            "/api/v1/articles",
            Some(&token),
            &json!({"title": "Embargoed", "body_markdown": "Soon.", "status": "scheduled", "published_at": due}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    assert!(!app.page("/").await.body.contains("Embargoed"));
    assert_eq!(app.page("/").await.cache, "hit");
    clock.set(due.parse().unwrap());
    assert!(app.page("/").await.body.contains("Embargoed"));
    app.stop().await;
}

/// Polls `url` until `check` holds of its body, for at most `limit`; returns how long it took.
async fn until(
    client: &reqwest::Client,
    url: &str,
    limit: std::time::Duration,
    check: impl Fn(&str) -> bool,
) -> Option<std::time::Duration> {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if check(&fetch(client, url, None).await.body) {
            return Some(start.elapsed());
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    None
}

both_backends!(two_nodes_on_one_database_behave_as_one_site);

async fn two_nodes_on_one_database_behave_as_one_site(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.set_setting(SettingKey::CommentFirstTime, "hold_all")
        .await;
    let token = app.editor_token().await;
    let article = app.publish(&token, "Shared", json!({})).await;
    let path = app.path_of(&article);
    let node_b = app.another_node().await;
    let on_b = format!("http://{}{path}", node_b.addr);
    let on_a = app.url(&path);
    // Both nodes keep the page.
    for url in [&on_a, &on_b] {
        fetch(&app.client, url, None).await;
        assert_eq!(fetch(&app.client, url, None).await.cache, "hit", "{url}");
    }
    // A comment approved through node A shows on node B's kept page within a second: on
    // PostgreSQL the commit's NOTIFY reaches B at once; on SQLite, where commits are not
    // announced to other processes, B reads the log four times a second.
    let (s, comment) = app
        .api_comment(
            article["id"].as_i64().unwrap(),
            json!({"author_name": "Ann", "body": "Approved on A."}),
        )
        .await;
    assert_eq!(s, 201, "{comment}");
    assert!(
        !fetch(&app.client, &on_b, None)
            .await
            .body
            .contains("Approved on A.")
    );
    let (s, _) = app
        .post_json(
            &format!("/api/v1/comments/{}/approve", comment["id"]),
            Some(&token),
            &json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let took = until(&app.client, &on_b, std::time::Duration::from_secs(1), |b| {
        b.contains("Approved on A.")
    })
    .await;
    assert!(
        took.is_some(),
        "node B still shows the page without the comment"
    );
    // An edit through node B drops node A's kept page.
    fetch(&app.client, &on_a, None).await;
    assert_eq!(fetch(&app.client, &on_a, None).await.cache, "hit");
    let r = app
        .client
        .patch(format!(
            "http://{}/api/v1/articles/{}",
            node_b.addr, article["id"]
        ))
        .bearer_auth(&token)
        .json(&json!({"dek": "Edited on B."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let took = until(&app.client, &on_a, std::time::Duration::from_secs(1), |b| {
        b.contains("Edited on B.")
    })
    .await;
    assert!(
        took.is_some(),
        "node A still shows the page before the edit"
    );
    // An article scheduled once is published once, whichever node's jobs runner comes first.
    let due = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(2);
    let (s, scheduled) = app
        .post_json(
            "/api/v1/articles",
            Some(&token),
            &json!({"title": "Once", "body_markdown": "Only once.", "status": "scheduled", "published_at": due.to_string()}),
        )
        .await;
    assert_eq!(s, 201, "{scheduled}");
    let published = || async {
        let (_, log) = app
            .get_json(
                &format!(
                    "/api/v1/activity?subject=article:{}&kind=article.published",
                    scheduled["id"]
                ),
                Some(&token),
            )
            .await;
        log["items"].as_array().map_or(0, Vec::len)
    };
    let start = std::time::Instant::now();
    while published().await == 0 && start.elapsed() < std::time::Duration::from_secs(15) {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // Both runners have looked at least twice more by now.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(published().await, 1);
    let (_, shown) = app
        .get_json(
            &format!("/api/v1/articles/{}", scheduled["id"]),
            Some(&token),
        )
        .await;
    assert_eq!(shown["status"], "published");
    node_b.stop().await.unwrap();
    app.stop().await;
}

both_backends!(readers_of_a_page_being_rendered_wait_for_that_render);

async fn readers_of_a_page_being_rendered_wait_for_that_render(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;
    let article = app.publish(&token, "Busy", json!({})).await;
    let path = app.path_of(&article);
    // Twenty readers ask at once for a page nobody has asked for: one renders it.
    let answers = futures_join(
        (0..20)
            .map(|_| {
                let (client, url) = (app.client.clone(), app.url(&path));
                tokio::spawn(async move { fetch(&client, &url, None).await })
            })
            .collect(),
    )
    .await;
    let misses = answers.iter().filter(|p| p.cache == "miss").count();
    assert!(answers.iter().all(|p| p.status == 200));
    assert_eq!(
        misses, 1,
        "every reader but one should have had the one render"
    );
    app.stop().await;
}

async fn futures_join(tasks: Vec<tokio::task::JoinHandle<Page>>) -> Vec<Page> {
    let mut pages = Vec::new();
    for t in tasks {
        pages.push(t.await.unwrap());
    }
    pages
}
