//! Group commit: comments sent at the same moment share one transaction and one commit, yet
//! each is judged as if it had come alone, after those before it, and is acknowledged only
//! once it is durable.

use std::{
    collections::HashMap,
    io::{BufRead, BufReader},
    process::Stdio,
};

use dateline_app::{App, articles, comments};
use dateline_core::{
    Error,
    actor::Actor,
    articles::{Article, ArticleForm},
    comments::{Comment, CommentForm, CommentStatus},
    events::{EventKind, SubjectKind},
};
use dateline_store::EventFilter;
use serde_json::json;
use sqlx::{Connection, Executor};

use crate::{
    cli::{dateline as dateline_command, serve},
    support::{ActionsSite, Backend, TestApp, TestDb},
};

both_backends!(
    each_comment_of_a_batch_is_checked_after_those_before_it,
    a_comment_that_fails_in_a_batch_fails_alone,
    a_batch_that_fails_as_a_whole_stores_nothing_and_tells_everyone,
    comments_sent_at_once_share_commits,
    readers_comments_sent_at_once_share_reads_and_each_gets_its_own,
    every_acknowledged_comment_survives_a_kill_in_the_middle_of_a_burst,
    the_log_is_read_once_for_a_batch_not_once_for_each_of_its_comments,
);

async fn published(site: &ActionsSite, slug: &str) -> Article {
    articles::create(
        &site.app,
        &Actor::System,
        &ArticleForm {
            title: format!("Article {slug}"),
            body_markdown: "Text.".into(),
            slug: Some(slug.to_owned()),
            status: "published".into(),
            author_email: Some(site.author.email.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

fn reader_at(app: &App, ip: &str) -> Actor {
    app.reader(ip.parse().unwrap(), Some("TestBrowser/1.0"))
}

fn comment(name: &str, email: Option<&str>, body: &str) -> CommentForm {
    CommentForm {
        author_name: name.into(),
        author_email: email.map(str::to_owned),
        body: body.into(),
        ..Default::default()
    }
}

/// The `comment.submitted` events recorded after event `after`, by comment id, in order.
async fn submitted_after(app: &App, after: i64) -> Vec<i64> {
    app.db()
        .events_after(after, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == EventKind::CommentSubmitted)
        .map(|e| e.subject.id.unwrap())
        .collect()
}

async fn each_comment_of_a_batch_is_checked_after_those_before_it(backend: Backend) {
    let site = ActionsSite::new(backend).await;
    let article = published(&site, "batch").await;
    let app = &site.app;
    let start = app.db().latest_event_id().await.unwrap();
    let before = comments::intake_stats(app);

    // The same text twice in one batch: the second is refused as a duplicate, as it would be
    // a moment after the first.
    let same = comment("Ada", Some("ada@example.org"), "The tide tables are wrong.");
    let answers = comments::submit_many(
        app,
        &[
            (
                reader_at(app, "198.51.100.1"),
                article.id,
                same.clone(),
                None,
            ),
            (reader_at(app, "198.51.100.2"), article.id, same, None),
        ],
    )
    .await;
    let first = answers[0].as_ref().unwrap();
    assert!(
        matches!(&answers[1], Err(Error::Invalid { field, .. }) if field == "body"),
        "{:?}",
        answers[1]
    );
    let after = comments::intake_stats(app);
    assert_eq!(
        (
            after.batches - before.batches,
            after.comments - before.comments
        ),
        (1, 1),
        "the two were decided in one transaction"
    );

    // One address over its limit within one batch: the burst (5 with the default hourly
    // rate) is stored, the rest refused with the time to wait; exactly what the same comments
    // sent one by one get.
    let burst: Vec<_> = (0..8)
        .map(|i| {
            (
                reader_at(app, "198.51.100.3"),
                article.id,
                comment("Bo", None, &format!("In a batch, number {i}.")),
                None,
            )
        })
        .collect();
    let batched: Vec<bool> = comments::submit_many(app, &burst)
        .await
        .iter()
        .map(|a| match a {
            Ok(_) => true,
            Err(Error::TooManyRequests { retry_after_secs }) => {
                assert!(*retry_after_secs > 0);
                false
            }
            Err(e) => panic!("{e:?}"),
        })
        .collect();
    let mut one_by_one = Vec::new();
    for i in 0..8 {
        let sent = comments::submit(
            app,
            &reader_at(app, "198.51.100.4"),
            article.id,
            &comment("Bo", None, &format!("One by one, number {i}.")),
        )
        .await;
        one_by_one.push(sent.is_ok());
    }
    assert_eq!(batched, [true, true, true, true, true, false, false, false]);
    assert_eq!(batched, one_by_one);

    // First-time commenters wait for a moderator (a new site's rule), unless a comment from
    // their address was approved: even earlier in the same batch, brought in by an editor.
    let imported = CommentForm {
        status: Some("approved".into()),
        ..comment("Cy", Some("cy@example.org"), "An old comment, brought in.")
    };
    let answers = comments::submit_many(
        app,
        &[
            (
                reader_at(app, "198.51.100.5"),
                article.id,
                comment("Cy", Some("cy@example.org"), "Before the import."),
                None,
            ),
            (ActionsSite::staff(&site.editor), article.id, imported, None),
            (
                reader_at(app, "198.51.100.5"),
                article.id,
                comment("Cy", Some("cy@example.org"), "After the import."),
                None,
            ),
            (
                reader_at(app, "198.51.100.6"),
                article.id,
                comment("Di", Some("di@example.org"), "A first comment."),
                None,
            ),
        ],
    )
    .await;
    let statuses: Vec<CommentStatus> = answers.iter().map(|a| a.as_ref().unwrap().status).collect();
    assert_eq!(
        statuses,
        [
            CommentStatus::Pending,
            CommentStatus::Approved,
            CommentStatus::Approved,
            CommentStatus::Pending
        ]
    );

    // A reply to a comment stored earlier in the same batch finds its parent.
    let answers = comments::submit_many(
        app,
        &[(
            reader_at(app, "198.51.100.7"),
            article.id,
            comment("Ed", None, "A question."),
            None,
        )],
    )
    .await;
    let question = answers[0].as_ref().unwrap().id;
    let reply = CommentForm {
        parent_id: Some(question),
        ..comment("Fay", None, "An answer.")
    };
    let answered = comments::submit_many(
        app,
        &[(reader_at(app, "198.51.100.8"), article.id, reply, None)],
    )
    .await;
    assert_eq!(answered[0].as_ref().unwrap().parent_id, Some(question));

    // Every stored comment has its event, in the order the comments were stored; refused ones
    // have none.
    let mut stored: Vec<i64> = vec![first.id];
    let all = app
        .db()
        .moderation_queue(CommentStatus::Pending, Some(article.id), 100, 0)
        .await
        .unwrap()
        .0
        .into_iter()
        .chain(
            app.db()
                .moderation_queue(CommentStatus::Approved, Some(article.id), 100, 0)
                .await
                .unwrap()
                .0,
        )
        .map(|m| m.comment.id);
    stored.extend(all);
    stored.sort_unstable();
    stored.dedup();
    assert_eq!(submitted_after(app, start).await, stored);
    assert_eq!(stored.len(), 1 + 5 + 5 + 4 + 2);
}

/// A trigger of the test's own, which fails an insert the way a database fails: the comments
/// whose text holds `marker` cannot be stored.
async fn refuse_in_the_database(db: &TestDb, table: &str, column: &str, marker: &str) {
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    if db.url.starts_with("sqlite:") {
        conn.execute(sqlx::AssertSqlSafe(format!(
            "CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} \
             WHEN NEW.{column} LIKE '%{marker}%' \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )))
        .await
        .unwrap();
    } else {
        conn.execute(sqlx::AssertSqlSafe(format!(
            "CREATE FUNCTION refuse_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.{column} LIKE '%{marker}%' THEN RAISE EXCEPTION 'refused by the test'; END IF; \
             RETURN NEW; END $$"
        )))
        .await
        .unwrap();
        conn.execute(sqlx::AssertSqlSafe(format!(
            "CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} FOR EACH ROW \
             EXECUTE FUNCTION refuse_{table}()"
        )))
        .await
        .unwrap();
    }
    conn.close().await.unwrap();
}

async fn total_comments(app: &App) -> i64 {
    app.db()
        .comment_counts()
        .await
        .unwrap()
        .into_iter()
        .map(|(_, n)| n)
        .sum()
}

async fn a_comment_that_fails_in_a_batch_fails_alone(backend: Backend) {
    let site = ActionsSite::new(backend).await;
    let article = published(&site, "alone").await;
    let app = &site.app;
    refuse_in_the_database(&site.test_db, "comments", "body", "UNSTORABLE").await;
    let start = app.db().latest_event_id().await.unwrap();
    let reader = reader_at(app, "198.51.100.9");
    let answers = comments::submit_many(
        app,
        &[
            (
                reader.clone(),
                article.id,
                comment("Gil", None, "First."),
                None,
            ),
            (
                reader.clone(),
                article.id,
                comment("Gil", None, "UNSTORABLE text."),
                None,
            ),
            (
                reader.clone(),
                article.id,
                comment("Gil", None, "Third."),
                None,
            ),
        ],
    )
    .await;
    assert!(
        matches!(answers[1], Err(Error::Internal(_))),
        "{:?}",
        answers[1]
    );
    let kept: Vec<&Comment> = [&answers[0], &answers[2]]
        .into_iter()
        .map(|a| a.as_ref().unwrap())
        .collect();
    assert_eq!(
        submitted_after(app, start).await,
        kept.iter().map(|c| c.id).collect::<Vec<_>>()
    );
    for c in kept {
        assert!(app.db().comment_by_id(c.id).await.unwrap().is_some());
    }
    // The failed one took nothing from the address's burst: two more pass, the sixth is
    // refused.
    for i in 0..3 {
        let sent = comments::submit(
            app,
            &reader,
            article.id,
            &comment("Gil", None, &format!("Later, {i}.")),
        )
        .await;
        assert_eq!(sent.is_ok(), i < 3, "{sent:?}");
    }
    let sent = comments::submit(app, &reader, article.id, &comment("Gil", None, "Too many.")).await;
    assert!(
        matches!(sent, Err(Error::TooManyRequests { .. })),
        "{sent:?}"
    );
}

async fn a_batch_that_fails_as_a_whole_stores_nothing_and_tells_everyone(backend: Backend) {
    let site = ActionsSite::new(backend).await;
    let article = published(&site, "whole").await;
    let app = &site.app;
    // The events are written after every comment of the batch: failing there fails the whole.
    refuse_in_the_database(&site.test_db, "events", "payload", "Saboteur").await;
    let count = total_comments(app).await;
    let start = app.db().latest_event_id().await.unwrap();
    let answers = comments::submit_many(
        app,
        &[
            (
                reader_at(app, "198.51.100.10"),
                article.id,
                comment("Hal", None, "Innocent."),
                None,
            ),
            (
                reader_at(app, "198.51.100.11"),
                article.id,
                comment("Sam Saboteur", None, "Guilty."),
                None,
            ),
        ],
    )
    .await;
    for a in &answers {
        assert!(matches!(a, Err(Error::Internal(_))), "{a:?}");
    }
    assert_eq!(total_comments(app).await, count);
    assert_eq!(submitted_after(app, start).await, Vec::<i64>::new());
    // The committer goes on, and the innocent comment can be sent again.
    let again = comments::submit(
        app,
        &reader_at(app, "198.51.100.10"),
        article.id,
        &comment("Hal", None, "Innocent."),
    )
    .await
    .unwrap();
    assert_eq!(submitted_after(app, start).await, [again.id]);
}

async fn comments_sent_at_once_share_commits(backend: Backend) {
    let site = ActionsSite::new(backend).await;
    let article = published(&site, "together").await;
    let app = site.app.clone();
    let before = comments::intake_stats(&app);
    let sent: Vec<_> = (0..200)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                comments::submit(
                    &app,
                    &Actor::System,
                    article.id,
                    &comment("Ida", None, &format!("At once, {i}.")),
                )
                .await
            })
        })
        .collect();
    let mut ids = Vec::new();
    for s in sent {
        ids.push(s.await.unwrap().unwrap().id);
    }
    let after = comments::intake_stats(&app);
    assert_eq!(after.comments - before.comments, 200);
    assert!(
        after.batches - before.batches < 200,
        "{} commits for 200 comments",
        after.batches - before.batches
    );
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 200);
}

/// The consumers of the activity log in a running server (the page cache, the jobs runner)
/// each read it once for the wake-ups queued when they look ([`dateline_store::next_wakeup`]):
/// a batch of sixty comments commits sixty events, and a consumer that read the log for each
/// made that read most of the database's work for every comment.
async fn the_log_is_read_once_for_a_batch_not_once_for_each_of_its_comments(backend: Backend) {
    let site = TestApp::spawn(backend).await;
    let token = site.editor_token().await;
    let article = site.publish(&token, "Read once", json!({})).await;
    let article_id = article["id"].as_i64().unwrap();
    let settled = || async {
        for _ in 0..1000 {
            let reading = site.db.log_reading();
            if reading.untaken == 0 {
                return reading.reads;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the consumers never took their wake-ups");
    };
    let before = settled().await;
    let batch: Vec<_> = (0..60)
        .map(|i| {
            (
                Actor::System,
                article_id,
                comment("Ida", None, &format!("In one batch, {i}.")),
                None,
            )
        })
        .collect();
    let stored = comments::submit_many(&site.app, &batch).await;
    assert!(stored.iter().all(Result::is_ok));
    // Every consumer has taken all sixty wake-ups: one that read the log for each has read it
    // at least fifty-nine times by now.
    let reads = settled().await - before;
    assert!(reads < 20, "{reads} reads of the log for one batch");
}

async fn readers_comments_sent_at_once_share_reads_and_each_gets_its_own(backend: Backend) {
    let site = ActionsSite::new(backend).await;
    let app = site.app.clone();
    let open = published(&site, "open").await;
    let other = published(&site, "other").await;
    let hidden = articles::create(
        &app,
        &Actor::System,
        &ArticleForm {
            title: "A draft".into(),
            body_markdown: "Text.".into(),
            status: "draft".into(),
            author_email: Some(site.author.email.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let troll = "troll@example.org";
    let first = comments::submit(
        &app,
        &reader_at(&app, "203.0.113.9"),
        open.id,
        &comment("Troll", Some(troll), "First."),
    )
    .await
    .unwrap();
    comments::block(
        &app,
        &ActionsSite::staff(&site.editor),
        first.id,
        comments::BlockKind::Email,
        None,
    )
    .await
    .unwrap();

    // One statement for several reads, each answered with its own article and its own writer.
    let now = app.now();
    let read =
        |article_id: i64, email: Option<&str>, address: &str| dateline_store::ReaderCommentRead {
            article_id,
            email_hash: email.map(|e| app.email_hash(e)),
            address_hash: address.to_owned(),
            at: now,
        };
    let found = app
        .db()
        .articles_for_reader_comments(&[
            read(other.id, Some(troll), "a"),
            read(i64::MAX, None, "b"),
            read(open.id, Some("kind@example.org"), "c"),
            read(other.id, None, "d"),
        ])
        .await
        .unwrap();
    let seen: Vec<Option<(i64, Option<&str>)>> = found
        .iter()
        .map(|f| {
            f.as_ref()
                .map(|(a, facts)| (a.id, facts.blocked_as.as_deref()))
        })
        .collect();
    assert_eq!(
        seen,
        [
            Some((other.id, Some("email"))),
            None,
            Some((open.id, None)),
            Some((other.id, None)),
        ]
    );

    // Readers' comments sent at once: read together, each judged on its own.
    let before = comments::group_read_stats(&app);
    let targets = [open.id, other.id, hidden.id, i64::MAX];
    let sent: Vec<_> = (0..32)
        .map(|i| {
            let app = app.clone();
            let email = match i % 5 {
                0 => troll.to_owned(),
                _ => format!("reader{i}@example.org"),
            };
            tokio::spawn(async move {
                comments::submit(
                    &app,
                    &reader_at(&app, &format!("198.51.100.{}", 10 + i)),
                    targets[i % 4],
                    &comment(
                        &format!("Reader {i}"),
                        Some(&email),
                        &format!("At once, {i}."),
                    ),
                )
                .await
            })
        })
        .collect();
    for (i, s) in sent.into_iter().enumerate() {
        let answer = s.await.unwrap();
        match targets[i % 4] {
            id if id == open.id || id == other.id => {
                let c = answer.unwrap();
                assert_eq!(c.article_id, id, "comment {i}");
                assert_eq!(c.status == CommentStatus::Spam, i % 5 == 0, "comment {i}");
            }
            // A draft is no more there for a reader than an article that does not exist.
            _ => assert!(
                matches!(answer, Err(Error::NotFound)),
                "comment {i}: {answer:?}"
            ),
        }
    }
    let after = comments::group_read_stats(&app);
    assert_eq!(after.reads - before.reads, 32);
    assert!(
        after.statements - before.statements < 32,
        "{} statements for 32 reads",
        after.statements - before.statements
    );
}

async fn every_acknowledged_comment_survives_a_kill_in_the_middle_of_a_burst(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (mut child, base, _) = serve(&db);
    // The owner raises the limits: every comment here comes from one loopback address.
    let mut add = dateline_command(&db);
    add.args([
        "user",
        "add",
        "--email",
        "olga@example.org",
        "--name",
        "Olga Owner",
        "--role",
        "owner",
    ]);
    let (ok, _, err) = crate::cli::run(add, "a long enough password\n");
    assert!(ok, "{err}");
    let mut create = dateline_command(&db);
    create.args(["token", "create", "--email", "olga@example.org"]);
    let (ok, token, err) = crate::cli::run(create, "");
    assert!(ok, "{err}");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let changed = client
        .patch(format!("{base}/api/v1/settings"))
        .bearer_auth(token.trim())
        .json(&json!({"comment_rate_address": 100000, "comment_rate_article": 100000}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    let list: serde_json::Value = client
        .get(format!("{base}/api/v1/articles"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = list["items"][0]["id"].as_i64().unwrap();
    let page = client
        .get(list["items"][0]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form_token = crate::support::form_token(&page);

    // Readers keep sending, through the API and the form, until the server dies under them.
    let (acked_tx, mut acked_rx) = tokio::sync::mpsc::unbounded_channel::<(i64, String)>();
    let mut senders = Vec::new();
    for s in 0..32 {
        let (client, base, acked, form_token) = (
            client.clone(),
            base.clone(),
            acked_tx.clone(),
            form_token.clone(),
        );
        senders.push(tokio::spawn(async move {
            for n in 0.. {
                let body = format!("Sender {s}, comment {n}.");
                let sent = if s % 2 == 0 {
                    client
                        .post(format!("{base}/api/v1/articles/{id}/comments"))
                        .json(&json!({"author_name": "Jo", "body": body}))
                        .send()
                        .await
                } else {
                    client
                        .post(format!("{base}/articles/{id}/comments"))
                        .form(&[
                            ("author_name", "Jo"),
                            ("author_email", "jo@example.org"),
                            ("body", body.as_str()),
                            ("form_token", form_token.as_str()),
                        ])
                        .send()
                        .await
                };
                let Ok(r) = sent else { return };
                let comment_id = match r.status().as_u16() {
                    201 => match r.json::<serde_json::Value>().await {
                        Ok(v) => v["id"].as_i64().unwrap(),
                        Err(_) => return,
                    },
                    // The form's answer names the new comment: `…?c=ID#comment-ID`.
                    303 => r.headers()["location"]
                        .to_str()
                        .unwrap()
                        .rsplit_once("#comment-")
                        .unwrap()
                        .1
                        .parse()
                        .unwrap(),
                    other => panic!("sender {s} got {other}"),
                };
                if acked.send((comment_id, body)).is_err() {
                    return;
                }
            }
        }));
    }
    drop(acked_tx);
    let mut acked = HashMap::new();
    while acked.len() < 300 {
        let (cid, body) = acked_rx.recv().await.unwrap();
        acked.insert(cid, body);
    }
    // SIGKILL, with requests in flight: no shutdown code runs.
    child.kill().unwrap();
    child.wait().unwrap();
    for s in senders {
        s.await.unwrap();
    }
    while let Ok((cid, body)) = acked_rx.try_recv() {
        acked.insert(cid, body);
    }

    // The site starts again on what was on disk, and every acknowledged comment is there,
    // with its event.
    let mut again = dateline_command(&db);
    again
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATELINE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = again.spawn().unwrap();
    // A site with an owner prints its address only (no setup link).
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let base = first
        .trim()
        .rsplit(' ')
        .next()
        .unwrap()
        .trim_end_matches('/');
    let health = reqwest::get(format!("{base}/healthz")).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(health.unwrap().status(), 200);
    let store = db.connect().await;
    for (cid, body) in &acked {
        let kept = store.comment_by_id(*cid).await.unwrap();
        assert_eq!(kept.map(|c| c.body).as_ref(), Some(body), "comment {cid}");
        let events = store
            .events(
                &EventFilter {
                    kind: Some(EventKind::CommentSubmitted),
                    subject: Some((SubjectKind::Comment, Some(*cid))),
                    ..Default::default()
                },
                10,
            )
            .await
            .unwrap();
        assert_eq!(events.len(), 1, "the event of comment {cid}");
    }
    store.close().await;
}
