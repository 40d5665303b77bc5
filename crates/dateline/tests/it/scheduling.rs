//! Scheduled publishing, run by the jobs runner inside `dateline serve`: once per article,
//! within five seconds of its time, across restarts and across several servers on one database.

use std::time::Duration;

use dateline_core::events::{EventKind, SubjectKind};
use dateline_store::EventFilter;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::support::{Backend, TestApp};

both_backends!(
    a_scheduled_article_is_published_once_at_its_time,
    publishing_survives_a_restart_over_its_time,
    two_servers_publish_ten_scheduled_articles_exactly_once,
    an_editor_open_when_the_job_publishes_can_still_save,
);

/// Schedules an article through the API `secs` seconds from now; returns its id and time.
async fn schedule(app: &TestApp, token: &str, title: &str, secs: i64) -> (i64, Timestamp) {
    let at = Timestamp::now() + SignedDuration::from_secs(secs);
    let (s, a) = app
        .post_json(
            "/api/v1/articles",
            Some(token),
            &json!({"title": title, "body_markdown": "Soon.", "status": "scheduled",
                    "published_at": at.to_string()}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    (a["id"].as_i64().unwrap(), at)
}

/// The `article.published` events of an article.
async fn published_events(app: &TestApp, id: i64) -> Vec<dateline_core::events::Event> {
    let filter = EventFilter {
        kind: Some(EventKind::ArticlePublished),
        subject: Some((SubjectKind::Article, Some(id))),
        ..Default::default()
    };
    app.db.events(&filter, 10).await.unwrap()
}

/// Waits (up to a generous limit) until every article has its `article.published` event.
async fn wait_until_published(app: &TestApp, ids: &[i64]) {
    for _ in 0..200 {
        let mut all = true;
        for id in ids {
            all &= !published_events(app, *id).await.is_empty();
        }
        if all {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not all of {ids:?} were published");
}

/// The job that publishes a scheduled article changes nothing an editor wrote: a save made
/// with the version read before it ran is not refused as stale.
async fn an_editor_open_when_the_job_publishes_can_still_save(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;
    let (id, _) = schedule(&app, &token, "Open in the editor", 1).await;
    let r = app
        .client
        .get(app.url(&format!("/api/v1/articles/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let read = r.headers()["etag"].to_str().unwrap().to_owned();
    wait_until_published(&app, &[id]).await;
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/articles/{id}")))
        .bearer_auth(&token)
        .header("If-Match", read)
        .json(&json!({"dek": "Written while the job ran."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let (_, a) = app
        .get_json(&format!("/api/v1/articles/{id}"), Some(&token))
        .await;
    assert_eq!(a["status"], "published");
    app.stop().await;
}

/// A job runs at most this long after the article's time.
const WITHIN: SignedDuration = SignedDuration::from_secs(5);

async fn a_scheduled_article_is_published_once_at_its_time(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;
    let (id, at) = schedule(&app, &token, "Embargoed", 2).await;
    let (_, before) = app
        .get_json(&format!("/api/v1/articles/{id}"), Some(&token))
        .await;
    assert_eq!(before["status"], "scheduled");
    wait_until_published(&app, &[id]).await;
    let (_, after) = app
        .get_json(&format!("/api/v1/articles/{id}"), Some(&token))
        .await;
    assert_eq!(after["status"], "published");
    let events = published_events(&app, id).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor.kind.as_str(), "system");
    let late = events[0].created_at.duration_since(at);
    eprintln!("published {late:?} after its time");
    assert!(
        late >= SignedDuration::ZERO && late <= WITHIN,
        "published {late:?} after its time"
    );
    // The job is done and runs no more.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(published_events(&app, id).await.len(), 1);
    assert!(
        app.db
            .jobs(&[dateline_store::JobStatus::Pending], 10)
            .await
            .unwrap()
            .is_empty()
    );
    app.stop().await;
}

async fn publishing_survives_a_restart_over_its_time(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let token = app.editor_token().await;
    let (id, at) = schedule(&app, &token, "Over the restart", 2).await;
    app.stop_server().await;
    // The server is down when the article's time comes.
    let wait = at.duration_since(Timestamp::now()) + SignedDuration::from_secs(1);
    tokio::time::sleep(wait.unsigned_abs()).await;
    app.start_again().await;
    wait_until_published(&app, &[id]).await;
    let events = published_events(&app, id).await;
    assert_eq!(events.len(), 1);
    assert!(events[0].created_at > at);
    app.stop().await;
}

async fn two_servers_publish_ten_scheduled_articles_exactly_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let second = app.another_node().await;
    let token = app.editor_token().await;
    let mut scheduled = Vec::new();
    for i in 0..10 {
        scheduled.push(schedule(&app, &token, &format!("Ten at once {i}"), 3).await);
    }
    let ids: Vec<i64> = scheduled.iter().map(|(id, _)| *id).collect();
    wait_until_published(&app, &ids).await;
    // Give the other node every chance to publish a second time.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let filter = EventFilter {
        kind: Some(EventKind::ArticlePublished),
        ..Default::default()
    };
    let events = app.db.events(&filter, 100).await.unwrap();
    let ours: Vec<_> = events
        .iter()
        .filter(|e| e.subject.id.is_some_and(|id| ids.contains(&id)))
        .collect();
    assert_eq!(ours.len(), 10, "exactly ten article.published events");
    for (id, at) in &scheduled {
        let e = ours.iter().find(|e| e.subject.id == Some(*id)).unwrap();
        assert!(e.created_at.duration_since(*at) <= WITHIN, "{id} was late");
    }
    // Both nodes see the same site.
    let list: Value = reqwest::get(format!("{}/api/v1/articles?per_page=100", second.base_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 11, "the ten and the welcome article");
    second.stop().await.unwrap();
    app.stop().await;
}
