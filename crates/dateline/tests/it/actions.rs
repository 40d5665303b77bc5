//! The actions, called as functions on both backends: the role table, atomicity, the events
//! they record (and what they never record), and jobs.

use dateline_app::{activity, articles, comments, jobs, media, settings, tokens, users};
use dateline_core::{
    Error,
    actor::Actor,
    articles::{Article, ArticleForm, ArticlePatch, ArticleStatus, SourceForm},
    comments::CommentForm,
    events::{Event, EventKind},
    patch::Patch,
    settings::SettingKey,
    users::{Role, User},
};
use dateline_store::{ArticleFilter, EventFilter, JobStatus};
use jiff::SignedDuration;
use sqlx::{Connection, Executor};

use crate::support::{ActionsSite, Backend, jpeg};

both_backends!(
    every_action_enforces_the_role_table,
    an_action_that_fails_midway_changes_nothing,
    every_action_records_its_event_and_never_a_secret,
    a_failing_job_is_retried_with_its_error_recorded,
);

/// An article written by `author` (as the system, so that any status is allowed).
async fn article_by(site: &ActionsSite, author: &User, status: &str, slug: &str) -> Article {
    let at = site.app.now() + SignedDuration::from_hours(1);
    articles::create(
        &site.app,
        &Actor::System,
        &ArticleForm {
            title: format!("Article {slug}"),
            body_markdown: "Text.".into(),
            slug: Some(slug.to_owned()),
            status: status.to_owned(),
            published_at: (status == "scheduled").then(|| at.to_string()),
            author_email: Some(author.email.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

fn form(slug: &str, status: &str) -> ArticleForm {
    ArticleForm {
        title: format!("By the actor {slug}"),
        body_markdown: "Text.".into(),
        slug: Some(slug.to_owned()),
        status: status.to_owned(),
        ..Default::default()
    }
}

#[derive(Debug, Clone, Copy)]
enum Case {
    CreateDraft,
    CreatePublished,
    CreateInAnothersName,
    EditAnothersPublished,
    EditOwnPublished,
    EditOwnDraft,
    PublishAnothersDraft,
    PublishOwnDraft,
    ScheduleOwnDraft,
    UnpublishAnothers,
    DeleteAnothers,
    DeleteOwnDraft,
    Comment,
    CommentWithHistory,
    AddUser,
    TokenForSelf,
    TokenForAnother,
    RevokeAnothersToken,
    ChangeSetting,
    UploadMedia,
    ReadActivity,
    SubmitOwnForReview,
    CorrectOwnPublished,
    ArrangeFrontPage,
    RestoreOwnRevision,
    DescribeMedia,
    DeleteMedia,
    InviteUser,
    ChangeRole,
    Deactivate,
    ModerateComment,
    EditComment,
    DeleteComment,
    BlockWriter,
    DescribeTopic,
}

const Y: bool = true;
const N: bool = false;

/// Who may do what; columns: owner, editor, author, contributor, reader.
const TABLE: &[(Case, [bool; 5])] = &[
    (Case::CreateDraft, [Y, Y, Y, Y, N]),
    (Case::CreatePublished, [Y, Y, Y, N, N]),
    (Case::CreateInAnothersName, [Y, Y, N, N, N]),
    (Case::EditAnothersPublished, [Y, Y, N, N, N]),
    (Case::EditOwnPublished, [Y, Y, Y, N, N]),
    (Case::EditOwnDraft, [Y, Y, Y, Y, N]),
    (Case::PublishAnothersDraft, [Y, Y, N, N, N]),
    (Case::PublishOwnDraft, [Y, Y, Y, N, N]),
    (Case::ScheduleOwnDraft, [Y, Y, Y, N, N]),
    (Case::UnpublishAnothers, [Y, Y, N, N, N]),
    (Case::DeleteAnothers, [Y, Y, N, N, N]),
    (Case::DeleteOwnDraft, [Y, Y, Y, Y, N]),
    (Case::Comment, [Y, Y, Y, Y, Y]),
    (Case::CommentWithHistory, [Y, Y, N, N, N]),
    (Case::AddUser, [Y, N, N, N, N]),
    (Case::TokenForSelf, [Y, Y, Y, Y, N]),
    (Case::TokenForAnother, [Y, N, N, N, N]),
    (Case::RevokeAnothersToken, [Y, N, N, N, N]),
    (Case::ChangeSetting, [Y, N, N, N, N]),
    (Case::UploadMedia, [Y, Y, Y, N, N]),
    (Case::ReadActivity, [Y, Y, N, N, N]),
    (Case::SubmitOwnForReview, [Y, Y, Y, Y, N]),
    (Case::CorrectOwnPublished, [Y, Y, Y, N, N]),
    (Case::ArrangeFrontPage, [Y, Y, N, N, N]),
    (Case::RestoreOwnRevision, [Y, Y, Y, Y, N]),
    (Case::DescribeMedia, [Y, Y, Y, N, N]),
    (Case::DeleteMedia, [Y, Y, N, N, N]),
    (Case::InviteUser, [Y, N, N, N, N]),
    (Case::ChangeRole, [Y, N, N, N, N]),
    (Case::Deactivate, [Y, N, N, N, N]),
    (Case::ModerateComment, [Y, Y, N, N, N]),
    (Case::EditComment, [Y, Y, N, N, N]),
    (Case::DeleteComment, [Y, Y, N, N, N]),
    (Case::BlockWriter, [Y, Y, N, N, N]),
    (Case::DescribeTopic, [Y, Y, N, N, N]),
];

/// Makes what `case` acts on (as the system): an article or a token, by `own` or by another
/// author; returns its id.
async fn prepare(site: &ActionsSite, case: Case, own: &User, n: usize) -> Option<i64> {
    let other = &site.other_author;
    let slug = format!("target-{n}");
    let (by, status) = match case {
        Case::EditAnothersPublished | Case::UnpublishAnothers | Case::DeleteAnothers => {
            (other, "published")
        }
        Case::Comment | Case::CommentWithHistory | Case::ArrangeFrontPage => (other, "published"),
        Case::EditOwnPublished | Case::CorrectOwnPublished => (own, "published"),
        Case::SubmitOwnForReview | Case::RestoreOwnRevision => (own, "draft"),
        Case::DescribeTopic => {
            let mut f = form(&slug, "published");
            f.topics = Some(vec![format!("Topic {n}")]);
            let a = articles::create(&site.app, &ActionsSite::staff(other), &f)
                .await
                .unwrap();
            return Some(a.id);
        }
        Case::DescribeMedia | Case::DeleteMedia => {
            let m = media::upload(&site.app, &Actor::System, jpeg(100 + n as u32, 9), "m.jpg")
                .await
                .unwrap();
            return Some(m.id);
        }
        Case::BlockWriter => {
            let article = article_by(site, other, "published", &slug).await;
            let c = comments::submit(
                &site.app,
                &site.reader(),
                article.id,
                &CommentForm {
                    author_name: "Someone".into(),
                    author_email: Some(format!("someone{n}@example.org")),
                    body: format!("Comment {n}"),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            return Some(c.id);
        }
        Case::ModerateComment | Case::EditComment | Case::DeleteComment => {
            let article = article_by(site, other, "published", &slug).await;
            let c = comments::submit(
                &site.app,
                &Actor::System,
                article.id,
                &CommentForm {
                    author_name: "Someone".into(),
                    body: format!("Comment {n}"),
                    status: Some("pending".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            return Some(c.id);
        }
        Case::ChangeRole | Case::Deactivate => {
            let u = users::add(
                &site.app,
                &Actor::System,
                users::NewUser {
                    name: format!("Target {n}"),
                    email: format!("target{n}@example.org"),
                    role: Role::Author,
                    password: Some("correct horse battery".into()),
                    bio: String::new(),
                },
            )
            .await
            .unwrap();
            return Some(u.id);
        }
        Case::EditOwnDraft
        | Case::PublishOwnDraft
        | Case::ScheduleOwnDraft
        | Case::DeleteOwnDraft => (own, "draft"),
        Case::PublishAnothersDraft => (other, "draft"),
        Case::RevokeAnothersToken => {
            let (id, _) = tokens::create(&site.app, &Actor::System, other, "t")
                .await
                .unwrap();
            return Some(id);
        }
        _ => return None,
    };
    Some(article_by(site, by, status, &slug).await.id)
}

/// Tries `case` as `actor` on `target`.
async fn act(
    site: &ActionsSite,
    case: Case,
    actor: &Actor,
    own: &User,
    target: Option<i64>,
    n: usize,
) -> Result<(), Error> {
    let app = &site.app;
    let other = &site.other_author;
    let id = target.unwrap_or(0);
    let slug = |what: &str| format!("{what}-{n}");
    match case {
        Case::CreateDraft => articles::create(app, actor, &form(&slug("d"), "draft"))
            .await
            .map(drop),
        Case::CreatePublished => articles::create(app, actor, &form(&slug("p"), "published"))
            .await
            .map(drop),
        Case::CreateInAnothersName => {
            let mut f = form(&slug("n"), "draft");
            f.author_email = Some(other.email.clone());
            articles::create(app, actor, &f).await.map(drop)
        }
        Case::EditAnothersPublished | Case::EditOwnPublished | Case::EditOwnDraft => {
            let patch = ArticlePatch {
                title: Patch::Value("Edited".into()),
                ..Default::default()
            };
            articles::update(app, actor, id, patch, None)
                .await
                .map(drop)
        }
        Case::PublishAnothersDraft | Case::PublishOwnDraft => {
            articles::publish(app, actor, id).await.map(drop)
        }
        Case::ScheduleOwnDraft => {
            let at = app.now() + SignedDuration::from_hours(5);
            articles::schedule(app, actor, id, at).await.map(drop)
        }
        Case::UnpublishAnothers => articles::unpublish(app, actor, id).await.map(drop),
        Case::DeleteAnothers | Case::DeleteOwnDraft => articles::trash(app, actor, id).await,
        Case::Comment | Case::CommentWithHistory => {
            let f = CommentForm {
                author_name: "Someone".into(),
                body: "A comment.".into(),
                status: matches!(case, Case::CommentWithHistory).then(|| "spam".into()),
                ..Default::default()
            };
            comments::submit(app, actor, id, &f).await.map(drop)
        }
        Case::AddUser => users::add(
            app,
            actor,
            users::NewUser {
                name: format!("New {n}"),
                email: format!("new{n}@example.org"),
                role: Role::Author,
                password: Some("correct horse battery".into()),
                bio: String::new(),
            },
        )
        .await
        .map(drop),
        Case::TokenForSelf => tokens::create(app, actor, own, "mine").await.map(drop),
        Case::TokenForAnother => tokens::create(app, actor, other, "theirs").await.map(drop),
        Case::RevokeAnothersToken => tokens::revoke(app, actor, tokens::RevokeBy::Id(id))
            .await
            .map(drop),
        Case::ChangeSetting => {
            settings::change(app, actor, SettingKey::Tagline, &format!("Tagline {n}")).await
        }
        Case::UploadMedia => media::upload(app, actor, jpeg(8 + n as u32, 8), "a.jpg")
            .await
            .map(drop),
        Case::ReadActivity => activity::page(app, actor, &EventFilter::default(), 10)
            .await
            .map(drop),
        Case::SubmitOwnForReview => articles::submit_for_review(app, actor, id).await.map(drop),
        Case::CorrectOwnPublished => {
            articles::add_correction(app, actor, id, "correction", "A name was misspelt.")
                .await
                .map(drop)
        }
        Case::ArrangeFrontPage => {
            articles::set_prominence(app, actor, id, dateline_core::articles::Prominence::Lead)
                .await
                .map(drop)
        }
        Case::RestoreOwnRevision => articles::restore_revision(app, actor, id, 1, None)
            .await
            .map(drop),
        Case::DescribeMedia => {
            let d = media::Description {
                alt: format!("Described {n}"),
                ..Default::default()
            };
            media::describe(app, actor, id, &d).await.map(drop)
        }
        Case::DeleteMedia => media::delete(app, actor, id).await,
        Case::InviteUser => users::invite(app, actor, Role::Author).await.map(drop),
        Case::ChangeRole => users::change_role(app, actor, id, Role::Editor).await,
        Case::Deactivate => users::set_active(app, actor, id, false).await,
        Case::ModerateComment => comments::moderate(app, actor, id, comments::Decision::Approve)
            .await
            .map(drop),
        Case::EditComment => comments::edit(app, actor, id, "Edited.", "typo")
            .await
            .map(drop),
        Case::DeleteComment => comments::delete(app, actor, id).await,
        Case::BlockWriter => comments::block(app, actor, id, comments::BlockKind::Email, None)
            .await
            .map(drop),
        Case::DescribeTopic => {
            dateline_app::topics::describe(app, actor, &format!("topic-{n}"), &format!("About {n}"))
                .await
                .map(drop)
        }
    }
}

/// Prepares and tries `case` as `actor` (whose account, if any, is `me`); returns the result
/// and whether the activity log grew.
async fn attempt(
    site: &ActionsSite,
    case: Case,
    actor: &Actor,
    me: Option<&User>,
    n: usize,
) -> (Result<(), Error>, bool) {
    // "Own" for a reader means someone else's: a reader owns nothing.
    let own = me.unwrap_or(&site.other_author);
    let target = prepare(site, case, own, n).await;
    let before = site.app.db().latest_event_id().await.unwrap();
    let result = act(site, case, actor, own, target, n).await;
    let after = site.app.db().latest_event_id().await.unwrap();
    (result, after > before)
}

async fn every_action_enforces_the_role_table(backend: Backend) {
    let site = ActionsSite::new(backend).await;
    // Many comments come from the one test reader: lift the rate limits as an owner would.
    settings::change_many(
        &site.app,
        &Actor::System,
        &[
            (SettingKey::CommentRateAddress, "100000".into()),
            (SettingKey::CommentRateArticle, "100000".into()),
        ],
    )
    .await
    .unwrap();
    let columns: [(&str, Actor, Option<&User>); 5] = [
        ("owner", ActionsSite::staff(&site.owner), Some(&site.owner)),
        (
            "editor",
            ActionsSite::staff(&site.editor),
            Some(&site.editor),
        ),
        (
            "author",
            ActionsSite::staff(&site.author),
            Some(&site.author),
        ),
        (
            "contributor",
            ActionsSite::staff(&site.contributor),
            Some(&site.contributor),
        ),
        ("reader", site.reader(), None),
    ];
    let mut n = 0;
    for (case, row) in TABLE {
        for ((who, actor, me), allowed) in columns.iter().zip(row) {
            n += 1;
            let (result, logged) = attempt(&site, *case, actor, *me, n).await;
            match (allowed, &result) {
                (true, Ok(())) => {
                    let reads_only = matches!(case, Case::ReadActivity);
                    assert_eq!(logged, !reads_only, "{case:?} by {who}: event recorded?");
                }
                (false, Err(Error::Forbidden(_) | Error::Unauthorized)) => {
                    assert!(!logged, "{case:?} refused to {who} changed the log");
                }
                _ => panic!("{case:?} by {who}: expected allowed = {allowed}, got {result:?}"),
            }
        }
    }
    // Readers are unauthenticated, not merely forbidden.
    let reader = site.reader();
    assert!(matches!(
        attempt(&site, Case::CreateDraft, &reader, None, 9999)
            .await
            .0,
        Err(Error::Unauthorized)
    ));
    // The system and importers may bring in history.
    let importer = Actor::Importer {
        source: "wordpress".into(),
    };
    attempt(&site, Case::CommentWithHistory, &importer, None, 10_000)
        .await
        .0
        .unwrap();
    attempt(&site, Case::AddUser, &Actor::System, None, 10_001)
        .await
        .0
        .unwrap();
}

/// Makes the database refuse a write that an action makes midway: the third source of an
/// article, and the event of a comment.
async fn refuse_midway(site: &ActionsSite, backend: Backend) {
    let mut conn = sqlx::AnyConnection::connect(&site.test_db.url)
        .await
        .unwrap();
    let statements: &[&str] = match backend {
        Backend::Sqlite => &[
            "CREATE TRIGGER refuse_third_source BEFORE INSERT ON article_sources \
             WHEN NEW.position = 2 BEGIN SELECT RAISE(ABORT, 'third source refused'); END",
            "CREATE TRIGGER refuse_comment_event BEFORE INSERT ON events \
             WHEN NEW.kind = 'comment.submitted' BEGIN SELECT RAISE(ABORT, 'event refused'); END",
        ],
        Backend::Postgres => &[
            "CREATE FUNCTION refuse_third_source() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.position = 2 THEN RAISE EXCEPTION 'third source refused'; END IF; \
             RETURN NEW; END $$",
            "CREATE TRIGGER refuse_third_source BEFORE INSERT ON article_sources \
             FOR EACH ROW EXECUTE FUNCTION refuse_third_source()",
            "CREATE FUNCTION refuse_comment_event() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.kind = 'comment.submitted' THEN RAISE EXCEPTION 'event refused'; \
             END IF; RETURN NEW; END $$",
            "CREATE TRIGGER refuse_comment_event BEFORE INSERT ON events \
             FOR EACH ROW EXECUTE FUNCTION refuse_comment_event()",
        ],
    };
    for sql in statements {
        conn.execute(*sql).await.unwrap();
    }
    conn.close().await.unwrap();
}

async fn an_action_that_fails_midway_changes_nothing(backend: Backend) {
    let site = ActionsSite::new(backend).await;
    let editor = ActionsSite::staff(&site.editor);
    let existing = article_by(&site, &site.author, "published", "existing").await;
    refuse_midway(&site, backend).await;
    let db = site.app.db();
    let events_before = db.latest_event_id().await.unwrap();
    let (_, articles_before) = db
        .list_articles(&ArticleFilter::staff(), 100, 0)
        .await
        .unwrap();
    let sources = |n: usize| {
        (0..n)
            .map(|i| SourceForm {
                title: format!("Source {i}"),
                ..Default::default()
            })
            .collect::<Vec<_>>()
    };

    // A new scheduled article with a new topic: its row, two sources, the topic and its job
    // are written before the third source is refused.
    let at = site.app.now() + SignedDuration::from_hours(3);
    let mut f = form("three-sources", "scheduled");
    f.published_at = Some(at.to_string());
    f.sources = Some(sources(3));
    f.topics = Some(vec!["Never Filed".into()]);
    let e = articles::create(&site.app, &editor, &f).await.unwrap_err();
    assert!(matches!(e, Error::Internal(_)), "{e:?}");
    let (_, articles_after) = db
        .list_articles(&ArticleFilter::staff(), 100, 0)
        .await
        .unwrap();
    assert_eq!(articles_after, articles_before, "no article");
    assert!(
        db.topic_by_slug("never-filed").await.unwrap().is_none(),
        "no topic"
    );
    assert!(
        db.jobs(&[JobStatus::Pending], 100)
            .await
            .unwrap()
            .is_empty(),
        "no job"
    );

    // An update that fails midway leaves the article as it was.
    let patch = ArticlePatch {
        title: Patch::Value("Changed".into()),
        sources: Patch::Value(sources(3)),
        ..Default::default()
    };
    articles::update(&site.app, &editor, existing.id, patch, None)
        .await
        .unwrap_err();
    let kept = db.article_by_id(existing.id).await.unwrap().unwrap();
    assert_eq!(
        (kept.title, kept.sources.len()),
        (existing.title.clone(), 0)
    );

    // A comment whose event is refused is not stored either.
    let c = CommentForm {
        author_name: "Ali".into(),
        body: "Lost?".into(),
        ..Default::default()
    };
    comments::submit(&site.app, &site.reader(), existing.id, &c)
        .await
        .unwrap_err();
    assert!(db.approved_comments(existing.id).await.unwrap().is_empty());
    assert_eq!(
        db.latest_event_id().await.unwrap(),
        events_before,
        "no event"
    );

    // Two sources are fine: the refusal, not the action, was the fault.
    let mut f = form("two-sources", "draft");
    f.sources = Some(sources(2));
    articles::create(&site.app, &editor, &f).await.unwrap();
}

/// The events of everything after `since`, oldest first.
async fn events_since(site: &ActionsSite, since: i64) -> Vec<Event> {
    site.app.db().events_after(since, 1000).await.unwrap()
}

async fn every_action_records_its_event_and_never_a_secret(backend: Backend) {
    let site = ActionsSite::new(backend).await;
    let app = &site.app;
    let author = ActionsSite::staff(&site.author);
    let owner = ActionsSite::staff(&site.owner);
    let start = app.db().latest_event_id().await.unwrap();
    let mut expected: Vec<(EventKind, Option<i64>)> = Vec::new();
    let me = Some(site.author.id);

    let a = articles::create(app, &author, &form("events", "published"))
        .await
        .unwrap();
    expected.extend([
        (EventKind::ArticleCreated, me),
        (EventKind::ArticlePublished, me),
    ]);
    let patch = ArticlePatch {
        title: Patch::Value("Events, revised".into()),
        ..Default::default()
    };
    let edited = articles::update(app, &author, a.id, patch, None)
        .await
        .unwrap();
    assert_eq!(
        edited.published_at, a.published_at,
        "an edit keeps the time"
    );
    expected.push((EventKind::ArticleUpdated, me));
    articles::unpublish(app, &author, a.id).await.unwrap();
    expected.extend([
        (EventKind::ArticleUpdated, me),
        (EventKind::ArticleUnpublished, me),
    ]);
    articles::publish(app, &author, a.id).await.unwrap();
    expected.extend([
        (EventKind::ArticleUpdated, me),
        (EventKind::ArticlePublished, me),
    ]);
    let due = app.now() + SignedDuration::from_secs(30);
    let mut later = form("later", "scheduled");
    later.published_at = Some(due.to_string());
    let later = articles::create(app, &author, &later).await.unwrap();
    expected.extend([
        (EventKind::ArticleCreated, me),
        (EventKind::ArticleScheduled, me),
    ]);
    articles::trash(app, &author, a.id).await.unwrap();
    expected.push((EventKind::ArticleDeleted, me));
    let reader = site.reader();
    let comment = comments::submit(
        app,
        &reader,
        later.id,
        &CommentForm {
            author_name: "Ali".into(),
            author_email: Some("ali@private.example".into()),
            body: "Early.".into(),
            ..Default::default()
        },
    )
    .await;
    assert!(
        matches!(comment, Err(Error::NotFound)),
        "readers cannot comment on what is not yet out"
    );
    let visible = article_by(&site, &site.author, "published", "visible").await;
    expected.extend([
        (EventKind::ArticleCreated, None),
        (EventKind::ArticlePublished, None),
    ]);
    comments::submit(
        app,
        &reader,
        visible.id,
        &CommentForm {
            author_name: "Ali".into(),
            author_email: Some("ali@private.example".into()),
            body: "Thanks.".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    expected.push((EventKind::CommentSubmitted, None));
    users::add(
        app,
        &owner,
        users::NewUser {
            name: "Newcomer".into(),
            email: "newcomer@example.org".into(),
            role: Role::Editor,
            password: Some("a long secret passphrase".into()),
            bio: String::new(),
        },
    )
    .await
    .unwrap();
    let by_owner = Some(site.owner.id);
    expected.push((EventKind::UserCreated, by_owner));
    let (token_id, token) = tokens::create(app, &owner, &site.owner, "laptop")
        .await
        .unwrap();
    expected.push((EventKind::TokenCreated, by_owner));
    tokens::revoke(app, &owner, tokens::RevokeBy::Token(&token))
        .await
        .unwrap();
    expected.push((EventKind::TokenRevoked, by_owner));
    settings::change(app, &owner, SettingKey::TimeZone, "Europe/Paris")
        .await
        .unwrap();
    expected.push((EventKind::SettingChanged, by_owner));
    settings::change(app, &owner, SettingKey::TimeZone, "Europe/Paris")
        .await
        .unwrap();
    let mut filed = form("filed", "published");
    filed.topics = Some(vec!["Events".into()]);
    articles::create(app, &owner, &filed).await.unwrap();
    expected.extend([
        (EventKind::ArticleCreated, by_owner),
        (EventKind::ArticlePublished, by_owner),
    ]);
    dateline_app::topics::describe(app, &owner, "events", "What happened.")
        .await
        .unwrap();
    expected.push((EventKind::TopicUpdated, by_owner));
    // The same description again changes nothing, and records nothing.
    dateline_app::topics::describe(app, &owner, "events", "What happened.")
        .await
        .unwrap();
    media::upload(app, &author, jpeg(40, 30), "b.jpg")
        .await
        .unwrap();
    expected.push((EventKind::MediaUploaded, me));
    // The job publishes the scheduled article once its time has come, as the system.
    assert!(
        !articles::publish_due(app, later.id).await.unwrap(),
        "not yet"
    );
    site.clock.set(due);
    assert!(articles::publish_due(app, later.id).await.unwrap());
    assert!(!articles::publish_due(app, later.id).await.unwrap(), "once");
    expected.push((EventKind::ArticlePublished, None));

    let events = events_since(&site, start).await;
    let got: Vec<(EventKind, Option<i64>)> = events.iter().map(|e| (e.kind, e.actor.id)).collect();
    assert_eq!(got, expected);
    assert!(
        events.windows(2).all(|w| w[0].id < w[1].id),
        "increasing ids"
    );
    let updated = &events[2];
    assert_eq!(updated.payload["changed"], serde_json::json!(["title"]));
    assert_eq!(updated.payload["before"]["title"], "By the actor events");
    assert_eq!(updated.subject.id, Some(a.id));
    let comment_event = events
        .iter()
        .find(|e| e.kind == EventKind::CommentSubmitted)
        .unwrap();
    assert_eq!(comment_event.actor.kind.as_str(), "reader");
    assert_eq!(comment_event.payload["article_id"], visible.id);
    assert_eq!(
        events
            .iter()
            .find(|e| e.kind == EventKind::TokenRevoked)
            .unwrap()
            .subject
            .id,
        Some(token_id)
    );

    // Never a secret, a token, a commenter's e-mail address or IP hash.
    let stored_ip_hash = app
        .db()
        .comment_ip_hash(comment_event.subject.id.unwrap())
        .await
        .unwrap()
        .unwrap();
    let everything = serde_json::to_string(&events).unwrap();
    for secret in [
        "ali@private.example",
        stored_ip_hash.as_str(),
        token.as_str(),
        &dateline_core::secrets::hash_token(&token),
        "a long secret passphrase",
        "argon2",
        "newcomer@example.org",
    ] {
        assert!(!everything.contains(secret), "{secret} leaked into the log");
    }
    let status_of = |id| async move { app.db().article_by_id(id).await.unwrap().unwrap().status };
    assert_eq!(status_of(later.id).await, ArticleStatus::Published);
}

async fn a_failing_job_is_retried_with_its_error_recorded(backend: Backend) {
    let site = ActionsSite::new(backend).await;
    let app = &site.app;
    let a = article_by(&site, &site.author, "scheduled", "retried").await;
    let mut conn = sqlx::AnyConnection::connect(&site.test_db.url)
        .await
        .unwrap();
    let (refuse, allow): (&[&str], &[&str]) = match backend {
        Backend::Sqlite => (
            &[
                "CREATE TRIGGER refuse_publish BEFORE UPDATE OF status ON articles \
               BEGIN SELECT RAISE(ABORT, 'publishing refused'); END",
            ],
            &["DROP TRIGGER refuse_publish"],
        ),
        Backend::Postgres => (
            &[
                "CREATE FUNCTION refuse_publish() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN RAISE EXCEPTION 'publishing refused'; END $$",
                "CREATE TRIGGER refuse_publish BEFORE UPDATE OF status ON articles \
                 FOR EACH ROW EXECUTE FUNCTION refuse_publish()",
            ],
            &["DROP TRIGGER refuse_publish ON articles"],
        ),
    };
    for sql in refuse {
        conn.execute(*sql).await.unwrap();
    }
    assert_eq!(jobs::run_due(app, "test").await.unwrap(), 0, "not due yet");
    let due = a.published_at.unwrap();
    site.clock.set(due);
    assert_eq!(jobs::run_due(app, "test").await.unwrap(), 1);
    let pending = app.db().jobs(&[JobStatus::Pending], 10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].attempts, 1);
    assert!(
        pending[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("publishing refused"),
        "{:?}",
        pending[0].last_error
    );
    assert!(pending[0].run_at > due, "retried later, not at once");
    assert_eq!(jobs::run_due(app, "test").await.unwrap(), 0, "backing off");
    for sql in allow {
        conn.execute(*sql).await.unwrap();
    }
    site.clock.set(pending[0].run_at);
    assert_eq!(jobs::run_due(app, "test").await.unwrap(), 1);
    assert_eq!(
        app.db().article_by_id(a.id).await.unwrap().unwrap().status,
        ArticleStatus::Published
    );
    let done = app.db().jobs(&[JobStatus::Done], 10).await.unwrap();
    assert_eq!((done.len(), done[0].attempts), (1, 2));
    let published = EventFilter {
        kind: Some(EventKind::ArticlePublished),
        subject: Some((dateline_core::events::SubjectKind::Article, Some(a.id))),
        ..Default::default()
    };
    assert_eq!(app.db().events(&published, 10).await.unwrap().len(), 1);
}
