//! The storage story: every store method, in one script, on each backend.

use dateline_core::{
    Error,
    articles::{ArticleForm, LeadImageForm, SourceForm},
    comments::{CommentForm, CommentStatus},
    media::Media,
    secrets::hash_token,
    text::Email,
    users::Role,
};
use dateline_store::{ArticleFilter, ArticleLookup};
use jiff::{SignedDuration, Timestamp};

use crate::support::{Backend, TestDb};

both_backends!(store_story, migrations_are_idempotent);

async fn migrations_are_idempotent(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    db.migrate().await.unwrap();
    db.migrate().await.unwrap();
    assert!(db.ping().await);
}

async fn store_story(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let now: Timestamp = "2024-03-01T12:00:00Z".parse().unwrap();

    // Settings: defaults, set, init-once, take-once.
    assert_eq!(db.site_settings().await.unwrap().time_zone, "UTC");
    db.set_setting("time_zone", "America/Los_Angeles")
        .await
        .unwrap();
    db.set_setting("title", "The Ledger").await.unwrap();
    let s = db.site_settings().await.unwrap();
    assert_eq!(
        (s.title.as_str(), s.time_zone.as_str()),
        ("The Ledger", "America/Los_Angeles")
    );
    assert_eq!(db.setting_or_init("k", "first").await.unwrap(), "first");
    assert_eq!(db.setting_or_init("k", "second").await.unwrap(), "first");
    assert!(!db.take_setting("k", "second").await.unwrap());
    assert!(db.take_setting("k", "first").await.unwrap());
    assert_eq!(db.setting("k").await.unwrap(), None);

    // Users: slugs numbered on collision, e-mail unique.
    let email = Email::parse("email", "noel@example.org").unwrap();
    assert!(!db.owner_exists().await.unwrap());
    let noel = db
        .create_user(
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
    let noel2 = db
        .create_user("Noel Brinkerhoff", &other, Role::Owner, Some("h"), "", now)
        .await
        .unwrap();
    assert_eq!(noel2.slug, "noel-brinkerhoff-2");
    assert!(db.owner_exists().await.unwrap());
    let dup = db
        .create_user("Someone", &email, Role::Author, None, "", now)
        .await;
    assert!(
        matches!(dup, Err(Error::Conflict { field: "email" })),
        "{dup:?}"
    );
    assert_eq!(
        db.user_by_email("noel@example.org")
            .await
            .unwrap()
            .unwrap()
            .id,
        noel.id
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

    // Tokens: only hashes stored; revoked tokens stop working.
    let tid = db
        .create_token(noel.id, "laptop", &hash_token("secret-token"), now)
        .await
        .unwrap();
    assert_eq!(
        db.user_by_token_hash(&hash_token("secret-token"), now)
            .await
            .unwrap()
            .unwrap()
            .id,
        noel.id
    );
    assert!(
        db.user_by_token_hash(&hash_token("other"), now)
            .await
            .unwrap()
            .is_none()
    );
    let listed = db.tokens_of(noel.id).await.unwrap();
    assert_eq!((listed.len(), listed[0].last_used_at), (1, Some(now)));
    assert!(db.revoke_token(tid, now).await.unwrap());
    assert!(!db.revoke_token(tid, now).await.unwrap());
    assert!(
        db.user_by_token_hash(&hash_token("secret-token"), now)
            .await
            .unwrap()
            .is_none()
    );
    db.create_token(noel.id, "b", &hash_token("t2"), now)
        .await
        .unwrap();
    assert!(
        db.revoke_token_by_hash(&hash_token("t2"), now)
            .await
            .unwrap()
            .is_some()
    );

    // Media.
    let media = db
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
            },
            noel.id,
            now,
        )
        .await
        .unwrap();
    assert_eq!(db.media_by_id(media.id).await.unwrap().unwrap().width, 800);
    assert!(db.media_by_id(media.id + 100).await.unwrap().is_none());

    // Articles with sources, topics and a lead image; all or nothing.
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
    let id = db.create_article(noel.id, &input, now).await.unwrap();
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
    assert_eq!(
        db.create_article(noel.id, &input, now)
            .await
            .unwrap_err()
            .to_string(),
        Error::Conflict { field: "slug" }.to_string()
    );
    let mut bad = form.clone();
    bad.slug = Some("another".into());
    bad.lead_image.as_mut().unwrap().media_id = 9999;
    let bad = bad.parse(now).unwrap();
    assert!(matches!(
        db.create_article(noel.id, &bad, now).await,
        Err(Error::Invalid {
            field: "lead_image.media_id",
            ..
        })
    ));
    assert!(matches!(
        db.article_for_reader("another", now).await.unwrap(),
        ArticleLookup::Missing
    ));

    // A draft and a scheduled article, invisible to readers until due.
    let draft = ArticleForm {
        title: "Draft".into(),
        body_markdown: "x".into(),
        status: "draft".into(),
        ..Default::default()
    };
    let draft_id = db
        .create_article(noel2.id, &draft.parse(now).unwrap(), now)
        .await
        .unwrap();
    let later = now + SignedDuration::from_hours(2);
    let scheduled = ArticleForm {
        title: "Later".into(),
        body_markdown: "x".into(),
        status: "scheduled".into(),
        published_at: Some(later.to_string()),
        topics: Some(vec!["Iran".into()]),
        ..Default::default()
    };
    let sched_id = db
        .create_article(noel.id, &scheduled.parse(now).unwrap(), now)
        .await
        .unwrap();
    let visible = |at| ArticleFilter {
        visible_at: Some(at),
        ..Default::default()
    };
    assert_eq!(db.list_articles(&visible(now), 10, 0).await.unwrap().1, 1);
    assert_eq!(
        db.list_articles(&ArticleFilter::default(), 10, 0)
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
    assert_eq!(db.publish_due(now).await.unwrap(), 0);
    assert_eq!(db.publish_due(later).await.unwrap(), 1);
    assert_eq!(
        db.article_by_id(sched_id)
            .await
            .unwrap()
            .unwrap()
            .status
            .as_str(),
        "published"
    );

    // Filters: topic, author, status, date range; pagination.
    let at = later + SignedDuration::from_secs(1);
    let by_topic = ArticleFilter {
        topic_slug: Some("iran".into()),
        ..visible(at)
    };
    assert_eq!(db.list_articles(&by_topic, 10, 0).await.unwrap().1, 2);
    let by_author = ArticleFilter {
        author_id: Some(noel2.id),
        ..Default::default()
    };
    assert_eq!(
        db.list_articles(&by_author, 10, 0).await.unwrap().0[0].id,
        draft_id
    );
    let drafts = ArticleFilter {
        status: Some(dateline_core::articles::ArticleStatus::Draft),
        ..Default::default()
    };
    assert_eq!(db.list_articles(&drafts, 10, 0).await.unwrap().1, 1);
    let july = ArticleFilter {
        published_between: Some((
            "2009-07-01T07:00:00Z".parse().unwrap(),
            "2009-08-01T07:00:00Z".parse().unwrap(),
        )),
        ..visible(at)
    };
    let (in_july, n) = db.list_articles(&july, 10, 0).await.unwrap();
    assert_eq!((n, in_july[0].id), (1, id));
    let (page2, total) = db.list_articles(&visible(at), 1, 1).await.unwrap();
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
    db.update_article(id, noel.id, &edited.parse(now).unwrap(), now)
        .await
        .unwrap();
    let a = db.article_by_id(id).await.unwrap().unwrap();
    assert_eq!(
        (a.sources.len(), a.topics[0].slug.as_str()),
        (1, "camp-ashraf")
    );
    let mut clash = edited.clone();
    clash.slug = Some("later".into());
    clash.topics = Some(vec!["Something Else".into()]);
    assert!(matches!(
        db.update_article(id, noel.id, &clash.parse(now).unwrap(), now)
            .await,
        Err(Error::Conflict { field: "slug" })
    ));
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
    .parse(now, false)
    .unwrap();
    let first = db
        .insert_comment(id, &c, Some("iphash"), Some("UA"))
        .await
        .unwrap();
    assert_eq!(first.status, CommentStatus::Approved);
    assert_eq!(
        db.comment_email(first.id).await.unwrap().as_deref(),
        Some("ali@example.org")
    );
    assert_eq!(
        db.comment_ip_hash(first.id).await.unwrap().as_deref(),
        Some("iphash")
    );
    let reply = CommentForm {
        author_name: "b".into(),
        body: "Reply".into(),
        parent_id: Some(first.id),
        ..Default::default()
    }
    .parse(now, false)
    .unwrap();
    db.insert_comment(id, &reply, None, None).await.unwrap();
    assert!(matches!(
        db.insert_comment(sched_id, &reply, None, None).await,
        Err(Error::Invalid {
            field: "parent_id",
            ..
        })
    ));
    let held = CommentForm {
        author_name: "s".into(),
        body: "Buy".into(),
        status: Some("spam".into()),
        ..Default::default()
    }
    .parse(now, true)
    .unwrap();
    db.insert_comment(id, &held, None, None).await.unwrap();
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
    db.delete_article(id, now).await.unwrap();
    assert!(matches!(
        db.article_for_reader("why-is-iraq-attacking-iranian-opposition", at)
            .await
            .unwrap(),
        ArticleLookup::Gone
    ));
    assert!(db.article_by_id(id).await.unwrap().is_none());
    assert!(matches!(
        db.delete_article(id, now).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        db.create_article(noel.id, &input, now).await,
        Err(Error::Conflict { field: "slug" })
    ));
    db.close().await;
}
