//! Article actions: create, update, delete, schedule, publish and unpublish; and publishing a
//! scheduled article when its time comes (run by the jobs runner).

use dateline_core::{
    Error, Result,
    actor::Actor,
    articles::{Article, ArticleForm, ArticleInput, ArticlePatch, ArticleStatus},
    events::{EventKind, NewEvent},
    patch::Patch,
    permissions,
    text::Email,
    users::User,
};
use dateline_store::{ArticleFilter, WriteTx};
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::{App, jobs::Job};

/// Creates an article. One created straight to published also records `article.published`;
/// one scheduled records `article.scheduled` and enqueues the job that publishes it.
pub async fn create(app: &App, actor: &Actor, form: &ArticleForm) -> Result<Article> {
    let now = app.now();
    let input = form.parse(now)?;
    permissions::may_create_article(actor, input.status)?;
    let mut tx = app.db().begin_write().await?;
    let author = choose_author(&mut tx, actor, form.author_email.as_deref()).await?;
    let id = tx.insert_article(author.id, &input, now).await?;
    schedule_job(&mut tx, id, &input, now).await?;
    let article = tx.article_by_id(id).await?.ok_or(Error::NotFound)?;
    let who = actor.reference();
    let mut events = vec![NewEvent::new(
        EventKind::ArticleCreated,
        who,
        Some(id),
        summary(&article),
    )];
    for kind in status_events(None, &article, now) {
        events.push(NewEvent::new(kind, who, Some(id), summary(&article)));
    }
    for e in &events {
        tx.record(e, now).await?;
    }
    tx.commit().await?;
    Ok(article)
}

/// Applies a partial update; the result is validated as a whole, like a new article. Records
/// `article.updated` with what changed, and the status events the change implies.
pub async fn update(app: &App, actor: &Actor, id: i64, patch: ArticlePatch) -> Result<Article> {
    change(app, actor, id, |_| patch).await
}

/// Makes an article visible now. One already published keeps its time.
pub async fn publish(app: &App, actor: &Actor, id: i64) -> Result<Article> {
    let now = app.now();
    change(app, actor, id, |before| {
        let mut patch = ArticlePatch::status(ArticleStatus::Published, None);
        if !before.is_visible_at(now) {
            // A draft's old or future time is not its publication time: it is published now.
            patch.published_at = Patch::Null;
        }
        patch
    })
    .await
}

/// Gives an article a future publication time; the jobs runner publishes it then.
pub async fn schedule(app: &App, actor: &Actor, id: i64, at: Timestamp) -> Result<Article> {
    change(app, actor, id, |_| {
        ArticlePatch::status(ArticleStatus::Scheduled, Some(at))
    })
    .await
}

/// Takes an article back to draft: readers no longer see it.
pub async fn unpublish(app: &App, actor: &Actor, id: i64) -> Result<Article> {
    change(app, actor, id, |_| {
        ArticlePatch::status(ArticleStatus::Draft, None)
    })
    .await
}

/// Deletes an article: readers get 410 at its address from now on, and its slug stays taken.
pub async fn delete(app: &App, actor: &Actor, id: i64) -> Result<()> {
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    tx.lock_article(id).await?;
    let article = tx.article_by_id(id).await?.ok_or(Error::NotFound)?;
    permissions::may_edit_article(actor, &article)?;
    tx.delete_article(id, now).await?;
    tx.record(
        &NewEvent::new(
            EventKind::ArticleDeleted,
            actor.reference(),
            Some(id),
            summary(&article),
        ),
        now,
    )
    .await?;
    tx.commit().await
}

/// Publishes a scheduled article whose time has come, as the system; does nothing if it was
/// already published, rescheduled, unpublished or deleted, so running it twice is harmless.
/// Returns whether this call published it.
pub async fn publish_due(app: &App, id: i64) -> Result<bool> {
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    tx.lock_article(id).await?;
    if !tx.publish_if_due(id, now).await? {
        return Ok(false);
    }
    let article = tx.article_by_id(id).await?.ok_or(Error::NotFound)?;
    tx.record(
        &NewEvent::new(
            EventKind::ArticlePublished,
            Actor::System.reference(),
            Some(id),
            summary(&article),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The articles `actor` may list at `now`: readers what is visible; authors and contributors
/// that and their own unpublished ones; editors, the owner and the system everything.
pub fn scope_for(actor: &Actor, now: Timestamp) -> ArticleFilter {
    if permissions::reads_all_unpublished(actor) {
        ArticleFilter::staff()
    } else if let Some(user) = actor.user() {
        ArticleFilter::readers_and_author(now, user.id)
    } else {
        ArticleFilter::readers(now)
    }
}

/// An article `actor` may read, or not found (another author's draft is not found, not
/// forbidden: its existence is not told).
pub async fn readable(app: &App, actor: &Actor, id: i64) -> Result<Article> {
    let now = app.now();
    app.db()
        .article_by_id(id)
        .await?
        .filter(|a| permissions::may_read_article(actor, a, now))
        .ok_or(Error::NotFound)
}

/// The shared path of every change to an existing article: lock it, check the actor may change
/// it, apply the patch `make` builds from it, validate, write, record.
async fn change(
    app: &App,
    actor: &Actor,
    id: i64,
    make: impl FnOnce(&Article) -> ArticlePatch,
) -> Result<Article> {
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    tx.lock_article(id).await?;
    let before = tx.article_by_id(id).await?.ok_or(Error::NotFound)?;
    permissions::may_edit_article(actor, &before)?;
    let patch = make(&before);
    let new_author = match &patch.author_email {
        Patch::Value(e) if !e.trim().is_empty() => Some(e.clone()),
        _ => None,
    };
    let mut base = ArticleForm::from_article(&before);
    // A scheduled article whose time has come is published, even before its job has run;
    // validating it as "scheduled" again would refuse its (now past) time.
    if before.status == ArticleStatus::Scheduled && before.is_visible_at(now) {
        base.status = ArticleStatus::Published.as_str().to_owned();
    }
    let input = patch.apply(base).parse(now)?;
    if input.status != before.status || input.published_at != before.published_at {
        permissions::may_set_status(actor, input.status)?;
    }
    let author_id = match new_author {
        Some(email) => choose_author(&mut tx, actor, Some(&email)).await?.id,
        None => before.author.id,
    };
    tx.update_article(id, author_id, &input, now).await?;
    schedule_job(&mut tx, id, &input, now).await?;
    let after = tx.article_by_id(id).await?.ok_or(Error::NotFound)?;
    let who = actor.reference();
    let mut payload = summary(&after);
    payload["changed"] = json!(changed_fields(&before, &after));
    payload["before"] = summary(&before);
    let mut events = vec![NewEvent::new(
        EventKind::ArticleUpdated,
        who,
        Some(id),
        payload,
    )];
    for kind in status_events(Some(&before), &after, now) {
        events.push(NewEvent::new(kind, who, Some(id), summary(&after)));
    }
    for e in &events {
        tx.record(e, now).await?;
    }
    tx.commit().await?;
    Ok(after)
}

/// Who the article is by: the actor, or (editors, the system and importers) the account named
/// by `author_email`.
async fn choose_author(
    tx: &mut WriteTx,
    actor: &Actor,
    author_email: Option<&str>,
) -> Result<User> {
    let named = author_email.filter(|e| !e.is_empty());
    match (named, actor.user()) {
        (None, Some(user)) => Ok(user.clone()),
        (None, None) => Err(Error::invalid(
            "author_email",
            "Name the author with author_email.",
        )),
        (Some(e), Some(user)) if e.eq_ignore_ascii_case(&user.email) => Ok(user.clone()),
        (Some(e), _) => {
            permissions::may_write_for_others(actor)?;
            let email = Email::parse("author_email", e)?;
            tx.user_by_email(email.as_str()).await?.ok_or_else(|| {
                Error::invalid("author_email", "No account has this e-mail address.")
            })
        }
    }
}

/// Keeps the publishing job of a scheduled article at its time. Other statuses leave any job
/// in place: it finds nothing to publish and ends.
async fn schedule_job(
    tx: &mut WriteTx,
    id: i64,
    input: &ArticleInput,
    now: Timestamp,
) -> Result<()> {
    if let (ArticleStatus::Scheduled, Some(at)) = (input.status, input.published_at) {
        tx.enqueue(&Job::PublishScheduled { article_id: id }.at(at), now)
            .await?;
    }
    Ok(())
}

/// The status events a change implies: `article.published` when an article becomes visible,
/// `article.scheduled` when it gets a (new) future time, `article.unpublished` when a visible
/// or scheduled article goes back out of readers' reach.
fn status_events(before: Option<&Article>, after: &Article, now: Timestamp) -> Vec<EventKind> {
    let pending = |a: &Article| a.status == ArticleStatus::Scheduled && !a.is_visible_at(now);
    let was_visible = before.is_some_and(|b| b.is_visible_at(now));
    let was_pending = before.is_some_and(pending);
    let (is_visible, is_pending) = (after.is_visible_at(now), pending(after));
    let mut kinds = Vec::new();
    if !was_visible && is_visible {
        kinds.push(EventKind::ArticlePublished);
    }
    let back_to_draft = (was_visible || was_pending) && after.status == ArticleStatus::Draft;
    if back_to_draft || (was_visible && is_pending) {
        kinds.push(EventKind::ArticleUnpublished);
    }
    let new_time = before.is_none_or(|b| !was_pending || b.published_at != after.published_at);
    if is_pending && new_time {
        kinds.push(EventKind::ArticleScheduled);
    }
    kinds
}

/// What events say about an article: enough for a consumer to find the pages it appears on
/// (its path needs the site's time zone, so the time is given, not the path).
fn summary(a: &Article) -> Value {
    json!({
        "slug": a.slug,
        "title": a.title,
        "status": a.status.as_str(),
        "published_at": a.published_at.map(|t| t.to_string()),
        "author_id": a.author.id,
        "topics": a.topics.iter().map(|t| t.slug.as_str()).collect::<Vec<_>>(),
    })
}

/// The names of the fields that differ between two versions of an article.
fn changed_fields(before: &Article, after: &Article) -> Vec<&'static str> {
    let lead = |a: &Article| {
        a.lead_image.as_ref().map(|l| {
            (
                l.media.id,
                l.caption.clone(),
                l.alt.clone(),
                l.credit.clone(),
            )
        })
    };
    let topics = |a: &Article| a.topics.iter().map(|t| t.slug.clone()).collect::<Vec<_>>();
    [
        ("title", before.title != after.title),
        ("slug", before.slug != after.slug),
        ("dek", before.dek != after.dek),
        ("body_markdown", before.body_markdown != after.body_markdown),
        ("status", before.status != after.status),
        ("published_at", before.published_at != after.published_at),
        ("author", before.author.id != after.author.id),
        ("lead_image", lead(before) != lead(after)),
        ("sources", before.sources != after.sources),
        ("topics", topics(before) != topics(after)),
    ]
    .into_iter()
    .filter_map(|(name, differs)| differs.then_some(name))
    .collect()
}
