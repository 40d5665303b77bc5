//! The storage story: every store method, in one script, on each backend. Writes go through
//! `WriteTx`, as the actions use it.

use dateline_core::{
    Error,
    actor::{Actor, ActorKind},
    articles::{ArticleForm, ArticleStatus, LeadImageForm, SourceForm},
    comments::{CommentForm, CommentStatus},
    events::{EventKind, NewEvent, SubjectKind},
    media::Media,
    secrets::hash_token,
    settings::SettingKey,
    text::Email,
    users::Role,
};
use dateline_store::{
    ArticleFilter, ArticleLookup, EventFilter, JobStatus, NewComment, NewJob, TokenRef,
};
use jiff::{SignedDuration, Timestamp};
use sqlx::{Connection, Executor};

use crate::support::{Backend, TestDb};

both_backends!(
    store_story,
    migrations_are_idempotent,
    the_log_is_append_only,
    comment_counts_follow_every_change
);

async fn migrations_are_idempotent(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    db.migrate().await.unwrap();
    db.migrate().await.unwrap();
    assert!(db.ping().await);
    assert!(db.has_site().await.unwrap());
}

/// Each article's count of approved comments, kept by triggers, follows every way its comments
/// change (through the store, or by statements typed by hand), and a site made before the
/// counts existed has them counted from its comments when it is upgraded.
async fn comment_counts_follow_every_change(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = dateline_store::Db::connect(&test_db.url).await.unwrap();
    db.migrate_up_to(12).await.unwrap();
    let now: Timestamp = "2024-03-01T12:00:00Z".parse().unwrap();
    let email = Email::parse("email", "counts@example.org").unwrap();
    let article = |title: &str| ArticleForm {
        title: title.into(),
        body_markdown: "x".into(),
        status: "published".into(),
        published_at: Some("2024-02-01T09:00:00Z".into()),
        ..Default::default()
    };
    let comment = |article_id, status| NewComment {
        article_id,
        parent_id: None,
        author_name: "Ali".into(),
        author_email: None,
        body: "Noted.".into(),
        status,
        created_at: now,
        ip_hash: None,
        user_agent: None,
        reasons: Vec::new(),
        email_hash: None,
        author_user_id: None,
    };
    use CommentStatus::{Approved, Pending, Spam};

    // The release before: two articles (written by hand: the store reads articles with their
    // counts) with comments of every status.
    let mut tx = db.begin_write().await.unwrap();
    let author = tx
        .insert_user("Counter", &email, Role::Author, None, "", now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut conn = sqlx::AnyConnection::connect(&test_db.url).await.unwrap();
    let mut by_hand = async |slug: &str| -> i64 {
        let sql = format!(
            "INSERT INTO articles (slug, title, body_markdown, body_html, status, published_at, \
             created_at, updated_at, author_id) \
             VALUES ('{slug}', '{slug}', 'x', '<p>x</p>', 'published', 0, 0, 0, {}) RETURNING id",
            author.id
        );
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut conn)
            .await
            .unwrap()
    };
    let (a, b) = (by_hand("a").await, by_hand("b").await);
    let mut tx = db.begin_write().await.unwrap();
    let old = tx
        .insert_comments(&[
            comment(a, Approved),
            comment(a, Approved),
            comment(a, Approved),
            comment(a, Pending),
            comment(b, Approved),
            comment(b, Spam),
        ])
        .await
        .unwrap();
    tx.commit().await.unwrap();

    db.migrate().await.unwrap();
    let counts = async |expected: &[(i64, i64)]| {
        for &(id, n) in expected {
            let shown = db.article_by_id(id).await.unwrap().unwrap().comment_count;
            let counted = db
                .approved_comments(id)
                .await
                .unwrap()
                .len()
                .try_into()
                .unwrap();
            assert_eq!((shown, counted), (n, n), "article {id}");
        }
    };
    counts(&[(a, 3), (b, 1)]).await;

    // A new article starts at none; a batch counts each article's approved comments alone.
    let mut tx = db.begin_write().await.unwrap();
    let c = tx
        .insert_article(author.id, &article("C").parse(now).unwrap(), None, now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    counts(&[(c, 0)]).await;
    let mut tx = db.begin_write().await.unwrap();
    let new = tx
        .insert_comments(&[
            comment(c, Approved),
            comment(a, Approved),
            comment(b, Pending),
            comment(a, Approved),
        ])
        .await
        .unwrap();
    tx.insert_comment(&comment(c, Spam)).await.unwrap();
    tx.commit().await.unwrap();
    counts(&[(a, 5), (b, 1), (c, 1)]).await;

    // Moderation: approving a held comment, marking an approved one as spam, a status set
    // again to what it was, and removals.
    let mut tx = db.begin_write().await.unwrap();
    tx.set_comment_status(old[3].id, Approved).await.unwrap();
    tx.set_comment_status(old[4].id, Spam).await.unwrap();
    tx.set_comment_status(old[0].id, Approved).await.unwrap();
    tx.delete_comment(old[1].id).await.unwrap();
    tx.delete_comment(new[2].id).await.unwrap();
    tx.commit().await.unwrap();
    counts(&[(a, 5), (b, 0), (c, 1)]).await;

    // By hand: a comment moved to another article, then every comment of an article removed.
    let moved = format!(
        "UPDATE comments SET article_id = {c} WHERE id = {}",
        old[0].id
    );
    conn.execute(sqlx::AssertSqlSafe(moved)).await.unwrap();
    counts(&[(a, 4), (c, 2)]).await;
    let removed = format!("DELETE FROM comments WHERE article_id = {c}");
    conn.execute(sqlx::AssertSqlSafe(removed)).await.unwrap();
    counts(&[(a, 4), (b, 0), (c, 0)]).await;
}

/// Events can be added, never changed or removed, even by hand.
async fn the_log_is_append_only(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    record_a_change(&db).await;
    let mut conn = sqlx::AnyConnection::connect(&test_db.url).await.unwrap();
    for sql in ["UPDATE events SET kind = 'x'", "DELETE FROM events"] {
        let e = conn.execute(sql).await.unwrap_err().to_string();
        assert!(e.contains("append-only"), "{sql}: {e}");
    }
    assert_eq!(db.latest_event_id().await.unwrap(), 1);
}

async fn store_story(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let now: Timestamp = "2024-03-01T12:00:00Z".parse().unwrap();

    // Settings: defaults, set, init-once, take-once.
    assert_eq!(db.site_settings().await.unwrap().time_zone, "UTC");
    let mut tx = db.begin_write().await.unwrap();
    tx.set_setting(SettingKey::TimeZone, "America/Los_Angeles")
        .await
        .unwrap();
    tx.set_setting(SettingKey::Title, "The Ledger")
        .await
        .unwrap();
    assert!(tx.init_setting(SettingKey::Seeded, "first").await.unwrap());
    assert!(!tx.init_setting(SettingKey::Seeded, "second").await.unwrap());
    assert_eq!(
        tx.setting(SettingKey::Seeded).await.unwrap().as_deref(),
        Some("first")
    );
    assert!(!tx.take_setting(SettingKey::Seeded, "second").await.unwrap());
    assert!(tx.take_setting(SettingKey::Seeded, "first").await.unwrap());
    tx.commit().await.unwrap();
    let s = db.site_settings().await.unwrap();
    assert_eq!(
        (s.title.as_str(), s.time_zone.as_str()),
        ("The Ledger", "America/Los_Angeles")
    );
    assert_eq!(db.setting(SettingKey::Seeded).await.unwrap(), None);

    // Users: slugs numbered on collision, e-mail unique.
    let email = Email::parse("email", "noel@example.org").unwrap();
    assert!(!db.owner_exists().await.unwrap());
    let mut tx = db.begin_write().await.unwrap();
    let noel = tx
        .insert_user(
            "Noel Brinkerhoff",
            &email,
            Role::Author,
            Some("hash"),
            "Writes.",
            now,
        )
        .await
        .unwrap();
    assert_eq!(noel.slug, "noel-brinkerhoff");
    let other = Email::parse("email", "noel2@example.org").unwrap();
    let noel2 = tx
        .insert_user("Noel Brinkerhoff", &other, Role::Owner, Some("h"), "", now)
        .await
        .unwrap();
    assert_eq!(noel2.slug, "noel-brinkerhoff-2");
    assert!(tx.owner_exists().await.unwrap());
    assert_eq!(
        tx.user_by_email("noel@example.org")
            .await
            .unwrap()
            .unwrap()
            .id,
        noel.id
    );
    tx.commit().await.unwrap();
    assert!(db.owner_exists().await.unwrap());
    let mut tx = db.begin_write().await.unwrap();
    let dup = tx
        .insert_user("Someone", &email, Role::Author, None, "", now)
        .await;
    assert!(
        matches!(dup, Err(Error::Conflict { field: "email" })),
        "{dup:?}"
    );
    drop(tx);
    assert_eq!(
        db.user_by_email("noel@example.org")
            .await
            .unwrap()
            .unwrap()
            .id,
        noel.id
    );
    assert_eq!(
        db.user_by_id(noel2.id).await.unwrap().unwrap().slug,
        noel2.slug
    );
    assert_eq!(
        db.user_by_slug("noel-brinkerhoff")
            .await
            .unwrap()
            .unwrap()
            .role,
        Role::Author
    );
    assert_eq!(
        db.password_hash(noel.id).await.unwrap().as_deref(),
        Some("hash")
    );

    // Tokens: only hashes stored; revoked tokens stop working; use is recorded.
    let mut tx = db.begin_write().await.unwrap();
    let tid = tx
        .insert_token(noel.id, "laptop", &hash_token("secret-token"), now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (user, info) = db
        .user_by_token_hash(&hash_token("secret-token"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((user.id, info.id, info.last_used_at), (noel.id, tid, None));
    assert!(
        db.user_by_token_hash(&hash_token("other"))
            .await
            .unwrap()
            .is_none()
    );
    let mut tx = db.begin_write().await.unwrap();
    tx.touch_token(tid, now).await.unwrap();
    assert_eq!(
        tx.token(TokenRef::Hash(&hash_token("secret-token")))
            .await
            .unwrap()
            .unwrap()
            .id,
        tid
    );
    assert!(tx.revoke_token(tid, now).await.unwrap());
    assert!(!tx.revoke_token(tid, now).await.unwrap());
    assert_eq!(
        tx.token(TokenRef::Id(tid))
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        Some(now)
    );
    tx.commit().await.unwrap();
    let listed = db.tokens_of(noel.id).await.unwrap();
    assert_eq!((listed.len(), listed[0].last_used_at), (1, Some(now)));
    assert!(
        db.user_by_token_hash(&hash_token("secret-token"))
            .await
            .unwrap()
            .is_none()
    );

    // Media.
    let mut tx = db.begin_write().await.unwrap();
    let media = tx
        .insert_media(
            &Media {
                id: 0,
                path: "2024/03/abc.jpg".into(),
                content_type: "image/jpeg".into(),
                width: 800,
                height: 600,
                size_bytes: 1234,
                checksum: "abc".into(),
                thumb: None,
                ..Media::default()
            },
            Some(noel.id),
            now,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(db.media_by_id(media.id).await.unwrap().unwrap().width, 800);
    assert!(db.media_by_id(media.id + 100).await.unwrap().is_none());

    // Articles with sources, topics and a lead image.
    let form = ArticleForm {
        title: "Why is Iraq Attacking Iranian Opposition?".into(),
        body_markdown: "Para one.\n\nPara two.".into(),
        status: "published".into(),
        published_at: Some("2009-07-31T09:00:00-07:00".into()),
        lead_image: Some(LeadImageForm {
            media_id: media.id,
            caption: "Camp".into(),
            alt: "Alt".into(),
            credit: None,
        }),
        sources: Some(vec![
            SourceForm {
                title: "A".into(),
                author: Some("W".into()),
                outlet: Some("NYT".into()),
                ..Default::default()
            },
            SourceForm {
                title: "B".into(),
                url: Some("https://example.org/b".into()),
                ..Default::default()
            },
        ]),
        topics: Some(vec!["Iraq".into(), "Iran".into(), "iraq".into()]),
        ..Default::default()
    };
    let input = form.parse(now).unwrap();
    let mut tx = db.begin_write().await.unwrap();
    let id = tx
        .insert_article(noel.id, &input, Some(noel.id), now)
        .await
        .unwrap();
    tx.lock_article(id).await.unwrap();
    assert_eq!(tx.article_by_id(id).await.unwrap().unwrap().id, id);
    tx.commit().await.unwrap();
    let a = db.article_by_id(id).await.unwrap().unwrap();
    assert_eq!(
        a.sources
            .iter()
            .map(|s| s.title.as_str())
            .collect::<Vec<_>>(),
        ["A", "B"]
    );
    assert_eq!(
        a.topics.iter().map(|t| t.slug.as_str()).collect::<Vec<_>>(),
        ["iraq", "iran"]
    );
    assert_eq!(a.lead_image.as_ref().unwrap().media.id, media.id);
    assert_eq!(a.author.slug, "noel-brinkerhoff");
    assert_eq!(
        a.published_at,
        Some("2009-07-31T16:00:00Z".parse().unwrap())
    );
    let mut tx = db.begin_write().await.unwrap();
    assert_eq!(
        tx.insert_article(noel.id, &input, Some(noel.id), now)
            .await
            .unwrap_err()
            .to_string(),
        Error::Conflict { field: "slug" }.to_string()
    );
    drop(tx);
    let mut bad = form.clone();
    bad.slug = Some("another".into());
    bad.lead_image.as_mut().unwrap().media_id = 9999;
    let bad = bad.parse(now).unwrap();
    let mut tx = db.begin_write().await.unwrap();
    assert!(matches!(
        tx.insert_article(noel.id, &bad, Some(noel.id), now).await,
        Err(Error::Invalid { field, .. }) if field == "lead_image.media_id"
    ));
    drop(tx);
    assert!(matches!(
        db.article_for_reader("another", now).await.unwrap(),
        ArticleLookup::Missing
    ));

    // A transaction dropped without commit leaves nothing, not even new topics.
    let mut unsaved = form.clone();
    unsaved.slug = Some("never-saved".into());
    unsaved.topics = Some(vec!["Rolled Back".into()]);
    let mut tx = db.begin_write().await.unwrap();
    tx.insert_article(noel.id, &unsaved.parse(now).unwrap(), Some(noel.id), now)
        .await
        .unwrap();
    drop(tx);
    assert!(db.topic_by_slug("rolled-back").await.unwrap().is_none());
    assert_eq!(
        db.list_articles(&ArticleFilter::staff(), 10, 0)
            .await
            .unwrap()
            .1,
        1
    );

    // A draft and a scheduled article, invisible to readers until due.
    let draft = ArticleForm {
        title: "Draft".into(),
        body_markdown: "x".into(),
        status: "draft".into(),
        ..Default::default()
    };
    let later = now + SignedDuration::from_hours(2);
    let scheduled = ArticleForm {
        title: "Later".into(),
        body_markdown: "x".into(),
        status: "scheduled".into(),
        published_at: Some(later.to_string()),
        topics: Some(vec!["Iran".into()]),
        ..Default::default()
    };
    let mut tx = db.begin_write().await.unwrap();
    let draft_id = tx
        .insert_article(noel2.id, &draft.parse(now).unwrap(), None, now)
        .await
        .unwrap();
    let sched_id = tx
        .insert_article(noel.id, &scheduled.parse(now).unwrap(), Some(noel.id), now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let readers = ArticleFilter::readers;
    assert_eq!(db.list_articles(&readers(now), 10, 0).await.unwrap().1, 1);
    assert_eq!(
        db.list_articles(&ArticleFilter::staff(), 10, 0)
            .await
            .unwrap()
            .1,
        3
    );
    assert!(matches!(
        db.article_for_reader("draft", now).await.unwrap(),
        ArticleLookup::Missing
    ));
    assert!(matches!(
        db.article_for_reader("later", now).await.unwrap(),
        ArticleLookup::Missing
    ));
    assert!(
        db.visible_article_by_id(sched_id, now)
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        db.article_for_reader("later", later).await.unwrap(),
        ArticleLookup::Found(_)
    ));
    let mut tx = db.begin_write().await.unwrap();
    assert!(!tx.publish_if_due(sched_id, now).await.unwrap());
    assert!(tx.publish_if_due(sched_id, later).await.unwrap());
    assert!(
        !tx.publish_if_due(sched_id, later).await.unwrap(),
        "published once"
    );
    assert!(!tx.publish_if_due(draft_id, later).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(
        db.article_by_id(sched_id).await.unwrap().unwrap().status,
        ArticleStatus::Published
    );

    // Filters: topic, author, status, date range; pagination.
    let at = later + SignedDuration::from_secs(1);
    let by_topic = readers(at).in_topic("iran".into());
    assert_eq!(db.list_articles(&by_topic, 10, 0).await.unwrap().1, 2);
    let by_author = ArticleFilter::staff().by_author(noel2.id);
    assert_eq!(
        db.list_articles(&by_author, 10, 0).await.unwrap().0[0].id,
        draft_id
    );
    let drafts = ArticleFilter::staff().with_status(ArticleStatus::Draft);
    assert_eq!(db.list_articles(&drafts, 10, 0).await.unwrap().1, 1);
    assert_eq!(
        db.list_articles(&readers(at).by_author(noel2.id), 10, 0)
            .await
            .unwrap()
            .1,
        0,
        "the reader scope holds under every refinement"
    );
    let july = readers(at).published_between(
        "2009-07-01T07:00:00Z".parse().unwrap(),
        "2009-08-01T07:00:00Z".parse().unwrap(),
    );
    let (in_july, n) = db.list_articles(&july, 10, 0).await.unwrap();
    assert_eq!((n, in_july[0].id), (1, id));
    let (page2, total) = db.list_articles(&readers(at), 1, 1).await.unwrap();
    assert_eq!(
        (page2.len(), total, page2[0].id),
        (1, 2, id),
        "newest first"
    );
    assert_eq!(in_july[0].sources.len(), 2, "lists carry sources");

    // Update replaces sources and topics; a failed update changes nothing.
    let mut edited = form.clone();
    edited.sources = Some(vec![SourceForm {
        title: "C".into(),
        ..Default::default()
    }]);
    edited.topics = Some(vec!["Camp Ashraf".into()]);
    let mut tx = db.begin_write().await.unwrap();
    tx.update_article(id, noel.id, &edited.parse(now).unwrap(), None, now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let a = db.article_by_id(id).await.unwrap().unwrap();
    assert_eq!(
        (a.sources.len(), a.topics[0].slug.as_str()),
        (1, "camp-ashraf")
    );
    let mut clash = edited.clone();
    clash.slug = Some("later".into());
    clash.topics = Some(vec!["Something Else".into()]);
    let mut tx = db.begin_write().await.unwrap();
    assert!(matches!(
        tx.update_article(id, noel.id, &clash.parse(now).unwrap(), None, now)
            .await,
        Err(Error::Conflict { field: "slug" })
    ));
    drop(tx);
    let a = db.article_by_id(id).await.unwrap().unwrap();
    assert_eq!(
        (a.slug.as_str(), a.topics[0].slug.as_str()),
        ("why-is-iraq-attacking-iranian-opposition", "camp-ashraf")
    );
    assert!(db.topic_by_slug("camp-ashraf").await.unwrap().is_some());
    assert!(db.topic_by_slug("something-else").await.unwrap().is_none());

    // Comments: stored with private fields, listed when approved, threaded within an article.
    let c = CommentForm {
        author_name: "ali".into(),
        author_email: Some("ali@example.org".into()),
        body: "Thanks".into(),
        ..Default::default()
    }
    .parse(now)
    .unwrap();
    let comment = |body: &str, status, parent_id| NewComment {
        article_id: id,
        parent_id,
        author_name: c.author_name.clone(),
        author_email: c.author_email.clone(),
        body: body.to_owned(),
        status,
        created_at: now,
        ip_hash: Some("iphash".into()),
        user_agent: Some("UA".into()),
        reasons: Vec::new(),
        email_hash: None,
        author_user_id: None,
    };
    let mut tx = db.begin_write().await.unwrap();
    let first = tx
        .insert_comment(&comment("Thanks", CommentStatus::Approved, None))
        .await
        .unwrap();
    tx.insert_comment(&comment("Reply", CommentStatus::Approved, Some(first.id)))
        .await
        .unwrap();
    let spam = tx
        .insert_comment(&comment("Buy", CommentStatus::Spam, None))
        .await
        .unwrap();
    assert_eq!(tx.article_of_comment(first.id).await.unwrap(), Some(id));
    assert_eq!(tx.article_of_comment(first.id + 100).await.unwrap(), None);
    tx.commit().await.unwrap();
    assert_eq!(
        db.comment_email(first.id).await.unwrap().as_deref(),
        Some("ali@example.org")
    );
    assert_eq!(
        db.comment_ip_hash(first.id).await.unwrap().as_deref(),
        Some("iphash")
    );
    assert_eq!(
        db.comment_by_id(spam.id).await.unwrap().unwrap().status,
        CommentStatus::Spam
    );
    let shown = db.approved_comments(id).await.unwrap();
    assert_eq!(
        shown.iter().map(|c| c.body.as_str()).collect::<Vec<_>>(),
        ["Thanks", "Reply"]
    );
    assert_eq!(
        db.article_by_id(id).await.unwrap().unwrap().comment_count,
        2
    );

    // Deleting: readers get Gone, staff lookups find nothing, the slug stays taken.
    let mut tx = db.begin_write().await.unwrap();
    tx.trash_article(id, now).await.unwrap();
    assert!(matches!(
        tx.trash_article(id, now).await,
        Err(Error::NotFound)
    ));
    tx.commit().await.unwrap();
    assert!(matches!(
        db.article_for_reader("why-is-iraq-attacking-iranian-opposition", at)
            .await
            .unwrap(),
        ArticleLookup::Gone
    ));
    assert!(db.article_by_id(id).await.unwrap().is_none());
    let mut tx = db.begin_write().await.unwrap();
    assert!(matches!(
        tx.insert_article(noel.id, &input, Some(noel.id), now).await,
        Err(Error::Conflict { field: "slug" })
    ));
    drop(tx);

    // Events: increasing ids, filters, catching up by position, announced only when committed.
    let mut wake = db.subscribe_events();
    let staff = Actor::Staff(noel.clone()).reference();
    let event =
        |kind, actor, subject| NewEvent::new(kind, actor, subject, serde_json::json!({"n": 1}));
    let mut tx = db.begin_write().await.unwrap();
    let e1 = tx
        .record(&event(EventKind::ArticleCreated, staff, Some(id)), now)
        .await
        .unwrap();
    let e2 = tx
        .record(&event(EventKind::ArticlePublished, staff, Some(id)), now)
        .await
        .unwrap();
    let e3 = tx
        .record(
            &event(
                EventKind::CommentSubmitted,
                Actor::System.reference(),
                Some(first.id),
            ),
            now,
        )
        .await
        .unwrap();
    assert!(wake.try_recv().is_err(), "nothing announced before commit");
    tx.commit().await.unwrap();
    assert!(e1 < e2 && e2 < e3);
    assert_eq!(
        (wake.recv().await.unwrap(), wake.recv().await.unwrap()),
        (e1, e2)
    );
    let mut tx = db.begin_write().await.unwrap();
    tx.record(&event(EventKind::ArticleDeleted, staff, Some(id)), now)
        .await
        .unwrap();
    drop(tx);
    assert_eq!(db.latest_event_id().await.unwrap(), e3, "rolled back");
    let all = db.events(&EventFilter::default(), 10).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.id).collect::<Vec<_>>(),
        [e3, e2, e1],
        "newest first"
    );
    assert_eq!(all[1].payload["n"], 1);
    assert_eq!(all[1].actor.id, Some(noel.id));
    let about_article = EventFilter {
        subject: Some((SubjectKind::Article, Some(id))),
        ..Default::default()
    };
    assert_eq!(db.events(&about_article, 10).await.unwrap().len(), 2);
    let published = EventFilter {
        kind: Some(EventKind::ArticlePublished),
        ..Default::default()
    };
    assert_eq!(db.events(&published, 10).await.unwrap()[0].id, e2);
    let by_system = EventFilter {
        actor: Some((ActorKind::System, None)),
        ..Default::default()
    };
    assert_eq!(db.events(&by_system, 10).await.unwrap()[0].id, e3);
    let older = EventFilter {
        before: Some(e2),
        ..Default::default()
    };
    assert_eq!(db.events(&older, 10).await.unwrap()[0].id, e1);
    assert_eq!(
        db.events_after(e1, 10)
            .await
            .unwrap()
            .iter()
            .map(|e| e.id)
            .collect::<Vec<_>>(),
        [e2, e3]
    );

    // Jobs: due only at their time, claimed once, finished only by their claim, retried,
    // failed after the last attempt, and replaced when their key is enqueued again.
    let job = |key: &str, at| NewJob {
        kind: "publish_scheduled",
        payload: format!("{{\"article_id\": {sched_id}}}"),
        unique_key: Some(key.to_owned()),
        run_at: at,
        max_attempts: 2,
    };
    let mut tx = db.begin_write().await.unwrap();
    tx.enqueue(&job("a", later), now).await.unwrap();
    tx.enqueue(&job("b", now), now).await.unwrap();
    tx.commit().await.unwrap();
    let lease = now + SignedDuration::from_mins(2);
    assert!(db.has_due_job(now).await.unwrap());
    let b = db.claim_job("c1", now, lease).await.unwrap().unwrap();
    assert_eq!((b.attempt, b.claim.as_str()), (1, "c1"));
    assert!(
        db.claim_job("c2", now, lease).await.unwrap().is_none(),
        "a is not due, b is claimed"
    );
    assert!(!db.has_due_job(now).await.unwrap());
    let stale = dateline_store::ClaimedJob {
        claim: "someone else".into(),
        ..b.clone()
    };
    assert!(!db.finish_job(&stale, now).await.unwrap());
    db.fail_job(&b, "boom", Some(now), now).await.unwrap();
    let b = db.claim_job("c3", now, lease).await.unwrap().unwrap();
    assert_eq!(b.attempt, 2);
    db.fail_job(&b, "boom again", None, now).await.unwrap();
    let failed = db.jobs(&[JobStatus::Failed], 10).await.unwrap();
    assert_eq!(
        (failed.len(), failed[0].last_error.as_deref()),
        (1, Some("boom again"))
    );
    // A claim whose process died runs out, and the job is claimed again.
    let a = db.claim_job("c4", later, later).await.unwrap().unwrap();
    assert_eq!(a.attempt, 1);
    let a2 = db
        .claim_job(
            "c5",
            later + SignedDuration::from_secs(1),
            lease + SignedDuration::from_hours(3),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((a2.id, a2.attempt), (a.id, 2));
    assert!(
        !db.finish_job(&a, later).await.unwrap(),
        "the old claim is void"
    );
    // Enqueuing the same key again makes it pending at its new time.
    let mut tx = db.begin_write().await.unwrap();
    tx.enqueue(&job("a", at), now).await.unwrap();
    tx.commit().await.unwrap();
    assert!(!db.finish_job(&a2, later).await.unwrap(), "re-enqueued");
    let pending = db.jobs(&[JobStatus::Pending], 10).await.unwrap();
    assert_eq!(
        (pending.len(), pending[0].run_at, pending[0].attempts),
        (1, at, 0)
    );
    let a3 = db
        .claim_job("c6", at, lease + SignedDuration::from_hours(3))
        .await
        .unwrap()
        .unwrap();
    assert!(db.finish_job(&a3, at).await.unwrap());
    assert_eq!(db.jobs(&[JobStatus::Done], 10).await.unwrap().len(), 1);
    assert!(db.jobs(&[], 10).await.unwrap().is_empty());
    db.close().await;
}

/// Commits one event (a setting changed) through `db`; its id.
async fn record_a_change(db: &dateline_store::Db) -> i64 {
    let mut tx = db.begin_write().await.unwrap();
    let id = tx
        .record(
            &NewEvent::new(
                EventKind::SettingChanged,
                Actor::System.reference(),
                None,
                serde_json::json!({"key": "title"}),
            ),
            Timestamp::now(),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// On PostgreSQL, a process learns of other processes' commits through `LISTEN`. When that
/// connection is lost (a restarted server, a proxy cutting idle connections), the listener
/// connects again, tells its consumers to look at the log for what they missed (id 0), and
/// hears every later commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_listen_connection_comes_back_and_says_so() {
    if crate::support::postgres_url().is_none() {
        return;
    }
    let test_db = TestDb::new(Backend::Postgres).await;
    let db = test_db.connect().await;
    let other_process = test_db.connect().await;
    let mut wake = db.subscribe_events();
    let listening = db.listen_for_events().expect("a listener on PostgreSQL");
    let next = async |wake: &mut tokio::sync::broadcast::Receiver<i64>| {
        tokio::time::timeout(std::time::Duration::from_secs(10), wake.recv())
            .await
            .expect("announced within ten seconds")
            .unwrap()
    };
    assert_eq!(
        next(&mut wake).await,
        0,
        "a first connection says: read the log"
    );
    let commit = async || record_a_change(&other_process).await;
    let first = commit().await;
    assert_eq!(next(&mut wake).await, first);

    // The server ends the listener's connection.
    let mut admin = sqlx::AnyConnection::connect(&test_db.url).await.unwrap();
    let ended: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(ended, [true], "one listening connection, ended");
    admin.close().await.unwrap();
    // What was committed while it was away is not announced by id; the listener says to read
    // the log once it is back (0), perhaps more than once as it notices the loss.
    let missed = commit().await;
    let mut heard = Vec::new();
    loop {
        let id = next(&mut wake).await;
        heard.push(id);
        if id == 0 {
            break;
        }
    }
    assert!(
        heard.iter().all(|id| *id == 0 || *id == missed),
        "{heard:?}"
    );
    // Listening again: a later commit is announced by id.
    let later = commit().await;
    loop {
        let id = next(&mut wake).await;
        if id == later {
            break;
        }
        assert!(id == 0 || id == missed, "unexpected {id}");
    }
    listening.abort();
}
