//! Article actions: create, update, schedule, publish and unpublish; submit for review; trash
//! and restore; corrections; revisions; the front page's lead and featured articles; and
//! publishing a scheduled article when its time comes (run by the jobs runner).
//!
//! Every save keeps a revision in the same transaction, and a slug that readers have seen keeps
//! answering (with a redirect) after it changes.

use dateline_core::{
    Error, Result,
    actor::Actor,
    articles::{
        Article, ArticleForm, ArticleInput, ArticlePatch, ArticleStatus, CorrectionKind,
        MAX_CORRECTION_CHARS, Prominence,
    },
    events::{EventKind, NewEvent},
    patch::Patch,
    permissions,
    revisions::{Revision, Snapshot},
    text::{self, Email},
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
    if tx.slug_taken(input.slug.as_str(), None).await? {
        return Err(Error::Conflict { field: "slug" });
    }
    let id = tx
        .insert_article(author.id, &input, editor_id(actor), now)
        .await?;
    schedule_job(&mut tx, id, &input, now).await?;
    let article = tx.article_by_id(id).await?.ok_or(Error::NotFound)?;
    let who = actor.reference();
    let mut events = vec![NewEvent::new(
        EventKind::ArticleCreated,
        who,
        Some(id),
        summary(&article),
    )];
    let kinds = status_events(None, &article, now);
    keep_revision(
        &mut tx,
        actor,
        &article,
        &revision_note("Created", &kinds),
        now,
    )
    .await?;
    for kind in kinds {
        events.push(NewEvent::new(kind, who, Some(id), summary(&article)));
    }
    for e in &events {
        tx.record(e, now).await?;
    }
    tx.commit().await?;
    Ok(article)
}

/// Applies a partial update; the result is validated as a whole, like a new article. Records
/// `article.updated` with what changed, and the status events the change implies. With
/// `read_version` (the version the client read), a save made meanwhile by someone else refuses
/// this one with [`Error::EditConflict`] instead of being overwritten.
pub async fn update(
    app: &App,
    actor: &Actor,
    id: i64,
    patch: ArticlePatch,
    read_version: Option<i64>,
) -> Result<Article> {
    change(app, actor, id, read_version, "Edited", |_| Ok(patch)).await
}

/// Saves a draft as its writer types (the editor's script, every few seconds). Only drafts:
/// a published article changes when someone presses its button. The autosaves of one person in
/// a row keep one revision, the latest, rather than one every few seconds.
pub async fn autosave(
    app: &App,
    actor: &Actor,
    id: i64,
    mut patch: ArticlePatch,
    read_version: Option<i64>,
) -> Result<Article> {
    patch.status = Patch::Absent;
    patch.published_at = Patch::Absent;
    change(app, actor, id, read_version, AUTOSAVED, |before| {
        if before.status == ArticleStatus::Draft {
            Ok(patch)
        } else {
            Err(Error::invalid(
                "status",
                "Only drafts are saved automatically: save this article with its button.",
            ))
        }
    })
    .await
}

/// The note of an autosave's revision.
const AUTOSAVED: &str = "Autosaved";

/// Makes an article visible now. One already published keeps its time.
pub async fn publish(app: &App, actor: &Actor, id: i64) -> Result<Article> {
    let now = app.now();
    change(app, actor, id, None, "Edited", |before| {
        let mut patch = ArticlePatch::status(ArticleStatus::Published, None);
        if !before.is_visible_at(now) {
            // A draft's old or future time is not its publication time: it is published now.
            patch.published_at = Patch::Null;
        }
        Ok(patch)
    })
    .await
}

/// Gives an article a future publication time; the jobs runner publishes it then.
pub async fn schedule(app: &App, actor: &Actor, id: i64, at: Timestamp) -> Result<Article> {
    change(app, actor, id, None, "Edited", |_| {
        Ok(ArticlePatch::status(ArticleStatus::Scheduled, Some(at)))
    })
    .await
}

/// Takes an article back to draft: readers no longer see it.
pub async fn unpublish(app: &App, actor: &Actor, id: i64) -> Result<Article> {
    change(app, actor, id, None, "Edited", |_| {
        Ok(ArticlePatch::status(ArticleStatus::Draft, None))
    })
    .await
}

/// Brings an article's content (title, slug, dek, body, lead image, sources, topics) back to
/// what revision `number` kept; its status, time, author and corrections stay. Restoring is a
/// save like any other, so it keeps a new revision.
pub async fn restore_revision(
    app: &App,
    actor: &Actor,
    id: i64,
    number: i64,
    read_version: Option<i64>,
) -> Result<Article> {
    let revision = revision(app, actor, id, number).await?;
    let note = format!("Restored revision {number}");
    change(app, actor, id, read_version, &note, |_| {
        Ok(revision.snapshot.restoring_patch())
    })
    .await
}

/// The revisions of an article, newest first: for staff who may read it.
pub async fn revisions(app: &App, actor: &Actor, id: i64) -> Result<Vec<Revision>> {
    readable_by_staff(app, actor, id).await?;
    app.db().revisions(id).await
}

/// One revision of an article.
pub async fn revision(app: &App, actor: &Actor, id: i64, number: i64) -> Result<Revision> {
    readable_by_staff(app, actor, id).await?;
    app.db().revision(id, number).await?.ok_or(Error::NotFound)
}

/// A draft's author asks an editor to review it: it appears in the editors' "for review" list
/// until it is published or scheduled.
pub async fn submit_for_review(app: &App, actor: &Actor, id: i64) -> Result<Article> {
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    tx.lock_article(id).await?;
    let article = tx.article_by_id(id).await?.ok_or(Error::NotFound)?;
    permissions::may_edit_article(actor, &article)?;
    if article.status != ArticleStatus::Draft {
        return Err(Error::invalid(
            "status",
            "Only a draft can be submitted for review.",
        ));
    }
    tx.set_review_requested(id, Some(now)).await?;
    let article = tx.article_by_id(id).await?.ok_or(Error::NotFound)?;
    tx.record(
        &NewEvent::new(
            EventKind::ArticleReviewRequested,
            actor.reference(),
            Some(id),
            summary(&article),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(article)
}

/// Moves an article to the trash: readers get 410 at its address from now on, its slug stays
/// taken, and [`restore`] brings it back.
pub async fn trash(app: &App, actor: &Actor, id: i64) -> Result<()> {
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    tx.lock_article(id).await?;
    let article = tx.article_by_id(id).await?.ok_or(Error::NotFound)?;
    permissions::may_edit_article(actor, &article)?;
    tx.trash_article(id, now).await?;
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

/// Takes an article out of the trash as it was; a published one is visible again at its
/// address. Restoring one that is not in the trash changes nothing (a repeated request is
/// harmless).
pub async fn restore(app: &App, actor: &Actor, id: i64) -> Result<Article> {
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    tx.lock_article(id).await?;
    let Some(trashed) = tx.trashed_article_by_id(id).await? else {
        let live = tx.article_by_id(id).await?.ok_or(Error::NotFound)?;
        permissions::may_edit_article(actor, &live)?;
        return Ok(live);
    };
    permissions::may_edit_article(actor, &trashed)?;
    tx.restore_article(id).await?;
    let article = tx.article_by_id(id).await?.ok_or(Error::NotFound)?;
    tx.record(
        &NewEvent::new(
            EventKind::ArticleRestored,
            actor.reference(),
            Some(id),
            summary(&article),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(article)
}

/// Adds a dated correction or update to a published article. Readers see it on the page with
/// the article's new updated time; the revision history keeps it.
pub async fn add_correction(
    app: &App,
    actor: &Actor,
    id: i64,
    kind: &str,
    body: &str,
) -> Result<Article> {
    let now = app.now();
    let kind = CorrectionKind::parse("kind", kind)?;
    let body = text::required_text("body", body, MAX_CORRECTION_CHARS)?;
    let mut tx = app.db().begin_write().await?;
    tx.lock_article(id).await?;
    let article = tx.article_by_id(id).await?.ok_or(Error::NotFound)?;
    permissions::may_edit_article(actor, &article)?;
    if !article.is_visible_at(now) {
        return Err(Error::invalid(
            "kind",
            "Only a published article takes corrections and updates: edit the draft instead.",
        ));
    }
    tx.insert_correction(id, kind, &body, editor_id(actor), now)
        .await?;
    tx.mark_updated(id, editor_id(actor), now).await?;
    let after = tx.article_by_id(id).await?.ok_or(Error::NotFound)?;
    let note = format!("{} added", kind.label());
    keep_revision(&mut tx, actor, &after, &note, now).await?;
    let mut payload = summary(&after);
    payload["kind"] = json!(kind.as_str());
    tx.record(
        &NewEvent::new(
            EventKind::ArticleCorrected,
            actor.reference(),
            Some(id),
            payload,
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Gives an article its place on the front page: the lead story (taking the lead from the
/// article that had it), featured, or back to the list by date. Editors and the owner only.
pub async fn set_prominence(
    app: &App,
    actor: &Actor,
    id: i64,
    prominence: Prominence,
) -> Result<Article> {
    let now = app.now();
    permissions::may_arrange_front_page(actor)?;
    let mut tx = app.db().begin_write().await?;
    tx.lock_article(id).await?;
    let before = tx.article_by_id(id).await?.ok_or(Error::NotFound)?;
    let previous_lead = tx.set_prominence(id, prominence).await?;
    let after = tx.article_by_id(id).await?.ok_or(Error::NotFound)?;
    let mut payload = summary(&after);
    payload["before"] = json!(before.prominence.as_str());
    payload["previous_lead_id"] = json!(previous_lead);
    tx.record(
        &NewEvent::new(
            EventKind::ArticleProminenceChanged,
            actor.reference(),
            Some(id),
            payload,
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
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
    keep_revision(
        &mut tx,
        &Actor::System,
        &article,
        "Published as scheduled",
        now,
    )
    .await?;
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

/// What the trash shows `actor`: every trashed article for editors, their own for authors and
/// contributors.
pub fn trash_scope_for(actor: &Actor) -> Result<ArticleFilter> {
    match actor {
        Actor::Reader(_) => Err(Error::Unauthorized),
        _ if permissions::reads_all_unpublished(actor) => Ok(ArticleFilter::trash()),
        _ => Ok(ArticleFilter::trash().by_author(actor.user().map_or(-1, |u| u.id))),
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

/// An article that `actor` may read and is staff (or the system): revisions show drafts and
/// what was taken out, which readers must not see.
async fn readable_by_staff(app: &App, actor: &Actor, id: i64) -> Result<Article> {
    if matches!(actor, Actor::Reader(_)) {
        return Err(Error::Unauthorized);
    }
    readable(app, actor, id).await
}

/// The shared path of every change to an existing article: lock it, check the actor may change
/// it and that it is still the version they read, apply the patch `make` builds from it,
/// validate, write, keep a revision (noted `note`, or the status change), record.
async fn change(
    app: &App,
    actor: &Actor,
    id: i64,
    read_version: Option<i64>,
    note: &str,
    make: impl FnOnce(&Article) -> Result<ArticlePatch>,
) -> Result<Article> {
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    tx.lock_article(id).await?;
    let before = tx.article_by_id(id).await?.ok_or(Error::NotFound)?;
    permissions::may_edit_article(actor, &before)?;
    let patch = make(&before)?;
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
    // Checked after validation: a request that could never succeed says so, whatever version
    // it was made from.
    if read_version.is_some_and(|v| v != before.version) {
        return Err(Error::EditConflict {
            current_version: before.version,
        });
    }
    if input.status != before.status || input.published_at != before.published_at {
        permissions::may_set_status(actor, input.status)?;
    }
    let author_id = match new_author {
        Some(email) => choose_author(&mut tx, actor, Some(&email)).await?.id,
        None => before.author.id,
    };
    if input.slug.as_str() != before.slug {
        if tx.slug_taken(input.slug.as_str(), Some(id)).await? {
            return Err(Error::Conflict { field: "slug" });
        }
        // Readers may have linked the old address: it keeps leading here.
        if before.is_visible_at(now) {
            tx.remember_old_slug(id, &before.slug, input.slug.as_str(), now)
                .await?;
        }
    }
    tx.update_article(id, author_id, &input, editor_id(actor), now)
        .await?;
    if before.review_requested && input.status != ArticleStatus::Draft {
        tx.set_review_requested(id, None).await?;
    }
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
    let kinds = status_events(Some(&before), &after, now);
    keep_revision(&mut tx, actor, &after, &revision_note(note, &kinds), now).await?;
    for kind in kinds {
        events.push(NewEvent::new(kind, who, Some(id), summary(&after)));
    }
    for e in &events {
        tx.record(e, now).await?;
    }
    tx.commit().await?;
    Ok(after)
}

/// The account to name as the last editor: the member of staff acting, if one is.
fn editor_id(actor: &Actor) -> Option<i64> {
    actor.user().map(|u| u.id)
}

/// Keeps `article` as it now is as its next revision.
async fn keep_revision(
    tx: &mut WriteTx,
    actor: &Actor,
    article: &Article,
    note: &str,
    now: Timestamp,
) -> Result<()> {
    let snapshot = Snapshot::of(article);
    if note == AUTOSAVED
        && let Some(user) = editor_id(actor)
        && tx
            .replace_latest_revision(article.id, user, AUTOSAVED, &snapshot, now)
            .await?
    {
        return Ok(());
    }
    tx.insert_revision(
        article.id,
        editor_id(actor),
        actor.reference().kind.as_str(),
        note,
        &snapshot,
        now,
    )
    .await?;
    Ok(())
}

/// How a revision list names a save: by the status it reached, if it changed, else `note`.
fn revision_note(note: &str, status_events: &[EventKind]) -> String {
    let reached = status_events.iter().find_map(|k| match k {
        EventKind::ArticlePublished => Some("Published"),
        EventKind::ArticleScheduled => Some("Scheduled"),
        EventKind::ArticleUnpublished => Some("Unpublished"),
        _ => None,
    });
    match reached {
        Some(status) if note == "Edited" => status.to_owned(),
        Some(status) => format!("{note}; {}", status.to_lowercase()),
        None => note.to_owned(),
    }
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
        "prominence": a.prominence.as_str(),
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
        ("comments_open", before.comments_open != after.comments_open),
    ]
    .into_iter()
    .filter_map(|(name, differs)| differs.then_some(name))
    .collect()
}
