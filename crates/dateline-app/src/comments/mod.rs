//! The one intake of comments: whoever sends a comment and through whichever surface (the form
//! under an article, the API, staff, an importer), it goes through [`submit`], which runs the
//! same checks in the same order and records the same facts. A reader's comment passes the
//! checks of [`checks::PIPELINE`]; its status and their reasons are stored with it. Staff are
//! trusted, and importers bring the status the comment already had.

mod checks;
pub mod classifier;
mod intake;
mod reads;
mod task_queue;

pub use checks::FormFacts;
pub(crate) use intake::Intake;
pub use intake::IntakeStats;
pub use reads::GroupReadStats;
pub(crate) use reads::GroupReads;

use checks::FormShown;
use dateline_core::{
    Error, Result,
    actor::Actor,
    articles::CommentTarget,
    comments::{Comment, CommentForm, CommentStatus},
    events::{EventKind, NewEvent},
    moderation::CommentRules,
    permissions,
};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use crate::App;

/// Whether `article` takes new comments at `now`: its own switch, and the site's rule that
/// closes articles older than so many days.
pub fn open_for_comments(article: &CommentTarget, rules: &CommentRules, now: Timestamp) -> bool {
    let too_old = rules.close_after_days > 0
        && article.published_at.is_some_and(|t| {
            now - t > SignedDuration::from_hours(24 * i64::from(rules.close_after_days))
        });
    article.comments_open && !too_old
}

const FORM_TOKEN: &str = "comment form";

/// The token the form under article `article_id` carries: when it was shown, signed, so that
/// the intake can tell a person who read and typed from a program that posts at once.
pub fn form_token(app: &App, article_id: i64) -> String {
    form_token_shown_at(app, article_id, form_token_moment(app))
}

/// How finely a form token tells the time, in microseconds. Every reader of an article within
/// one step gets the same token, so a page kept in memory is put together once a step instead
/// of once a reader.
const FORM_TOKEN_STEP: i64 = 100_000;

/// The moment a form shown now says it was shown (microseconds): now, rounded up to the
/// token's step, so that a form never seems older than it is and a program that posts at once
/// gains nothing from the rounding.
pub fn form_token_moment(app: &App) -> i64 {
    let now = app.now().as_microsecond();
    (now + FORM_TOKEN_STEP - 1).div_euclid(FORM_TOKEN_STEP) * FORM_TOKEN_STEP
}

/// The token of the form under article `article_id` shown at `shown` (from
/// [`form_token_moment`]).
pub fn form_token_shown_at(app: &App, article_id: i64, shown: i64) -> String {
    let signature = app.sign(FORM_TOKEN, &format!("{article_id}.{shown}"));
    format!("{shown}.{signature}")
}

/// When the form was shown, as its token says.
fn form_shown(app: &App, article_id: i64, facts: Option<&FormFacts>) -> FormShown {
    let Some(facts) = facts else {
        return FormShown::NoForm;
    };
    let token = facts.token.trim();
    if token.is_empty() {
        return FormShown::Missing;
    }
    let shown = token.split_once('.').and_then(|(shown, signature)| {
        let expected = app.sign(FORM_TOKEN, &format!("{article_id}.{shown}"));
        dateline_core::secrets::constant_time_eq(&expected, signature)
            .then(|| shown.parse::<i64>().ok())
            .flatten()
            .and_then(|us| Timestamp::from_microsecond(us).ok())
    });
    shown.map_or(FormShown::Forged, FormShown::At)
}

/// Forgets the address hashes of comments older than the site's setting (none when it is 0);
/// run now and then by every process's jobs runner. Returns how many comments changed.
pub async fn forget_addresses(app: &App) -> Result<u64> {
    let days = app
        .db()
        .site_settings()
        .await?
        .comment_forget_addresses_days;
    let now = app.now();
    let stale_buckets = now - SignedDuration::from_hours(24);
    if days == 0 {
        return Ok(0);
    }
    let before = now - SignedDuration::from_hours(24 * i64::from(days));
    app.db()
        .forget_comment_addresses(before, stale_buckets)
        .await
}

/// Accepts a comment on article `article_id`; returns it as stored. Readers may comment on
/// what they can see; staff on any article. Only editors, the system and importers may give a
/// comment its original time and a moderation status (bringing in history); without them a
/// comment is approved and dated now.
pub async fn submit(
    app: &App,
    actor: &Actor,
    article_id: i64,
    form: &CommentForm,
) -> Result<Comment> {
    submit_with(app, actor, article_id, form, None).await
}

/// [`submit`], with what the form under an article adds (the field people leave empty).
/// Comments sent at the same moment share one transaction and one commit (see [`intake`]);
/// this returns once the commit that stored the comment has returned.
pub async fn submit_with(
    app: &App,
    actor: &Actor,
    article_id: i64,
    form: &CommentForm,
    facts: Option<&FormFacts>,
) -> Result<Comment> {
    let pending = prepare(app, actor, article_id, form, facts).await?;
    submit_one(app, pending).await.map(|stored| stored.comment)
}

/// A comment sent through the form under an article, as stored, with what the answer to the
/// form needs: where the article is, and the site's settings, as the intake read them to
/// judge it.
#[derive(Debug)]
pub struct FormAnswer {
    /// The comment as stored.
    pub comment: Comment,
    /// Its article, as the intake read it.
    pub article: CommentTarget,
    /// The settings it was judged by.
    pub settings: std::sync::Arc<dateline_core::settings::SiteSettings>,
}

/// [`submit_with`] for the form under an article, which answers with the article's address:
/// the article and the settings come with the answer, as the intake read them, so that the
/// form reads neither again.
pub async fn submit_form(
    app: &App,
    actor: &Actor,
    article_id: i64,
    form: &CommentForm,
    facts: &FormFacts,
) -> Result<FormAnswer> {
    let pending = prepare(app, actor, article_id, form, Some(facts)).await?;
    let article = pending.article.clone();
    let stored = submit_one(app, pending).await?;
    let settings = match stored.settings {
        Some(s) => s,
        None => std::sync::Arc::new(app.db().site_settings().await?),
    };
    Ok(FormAnswer {
        comment: stored.comment,
        article,
        settings,
    })
}

async fn submit_one(app: &App, pending: intake::Pending) -> Result<intake::Stored> {
    let mut answers = app.intake().submit(app.db(), vec![pending]).await;
    answers
        .pop()
        .unwrap_or_else(|| Err(Error::Internal("the intake gave no answer".to_owned())))
}

/// Several comments at once, answered in the same order, each as [`submit_with`] would answer
/// it alone: up to 64 of them are written in one transaction, each checked after those before
/// it were written (an importer's batch, and the tests of group commit).
pub async fn submit_many(
    app: &App,
    comments: &[(Actor, i64, CommentForm, Option<FormFacts>)],
) -> Vec<Result<Comment>> {
    let mut answers: Vec<Option<Result<Comment>>> = Vec::with_capacity(comments.len());
    let mut pending = Vec::new();
    for (actor, article_id, form, facts) in comments {
        match prepare(app, actor, *article_id, form, facts.as_ref()).await {
            Ok(p) => {
                pending.push(p);
                answers.push(None);
            }
            Err(e) => answers.push(Some(Err(e))),
        }
    }
    let mut committed = app.intake().submit(app.db(), pending).await.into_iter();
    answers
        .into_iter()
        .map(|a| {
            a.or_else(|| committed.next().map(|s| s.map(|stored| stored.comment)))
                .unwrap_or_else(|| Err(Error::Internal("the intake gave no answer".to_owned())))
        })
        .collect()
}

/// How many statements read readers' comments' articles in this process, and for how many
/// comments.
pub fn group_read_stats(app: &App) -> GroupReadStats {
    app.comment_reads().stats()
}

/// How many commits the intake has made in this process, and how many comments they stored.
pub fn intake_stats(app: &App) -> IntakeStats {
    app.intake().stats()
}

/// What can be decided before the transaction, outside the committer: the article is one the
/// actor may read, the form parses, only those who may bring in history do. For a reader's
/// comment, also what no other comment can change, read here, concurrently with other
/// requests, instead of in the committer's transaction: whether a moderator blocked the writer,
/// and what the classifier says (its counts change only when it learns, in a transaction of its
/// own that follows the activity log). A block that a moderator makes while the comment is on
/// its way is the same as the comment arriving a moment before the block: it is let through,
/// as it would have been then.
async fn prepare(
    app: &App,
    actor: &Actor,
    article_id: i64,
    form: &CommentForm,
    facts: Option<&FormFacts>,
) -> Result<intake::Pending> {
    let now = app.now();
    // Parsed first, for the e-mail hash the reader's query needs; an error in the form is
    // answered after the article is found, as before.
    let parsed = form.parse(now);
    let email_hash = parsed
        .as_ref()
        .ok()
        .and_then(|input| input.author_email.as_ref())
        .map(|e| app.email_hash(e.as_str()));
    let (article, found) = match actor {
        Actor::Reader(r) => app
            .comment_reads()
            .read(
                app.db(),
                dateline_store::ReaderCommentRead {
                    article_id,
                    email_hash: email_hash.clone(),
                    address_hash: r.ip_hash.clone(),
                    at: now,
                },
            )
            .await?
            .map(|(a, found)| (a, Some(found))),
        _ => app
            .db()
            .article_for_comment(article_id)
            .await?
            .map(|a| (a, None)),
    }
    .filter(|(a, _)| permissions::may_read_comment_target(actor, a, now))
    .ok_or(Error::NotFound)?;
    let input = parsed?;
    let history = input.sets_history();
    if history {
        permissions::may_set_comment_history(actor)?;
    }
    let reader = match (actor, found) {
        (Actor::Reader(r), Some(found)) => {
            let judgement = if found.examples.ready() {
                let text = classifier::text_of(
                    &input.author_name,
                    input.author_email.as_ref().map(|e| e.as_str()),
                    &input.body,
                );
                let features = dateline_core::classifier::features(&text);
                let (examples, counts) = app.db().classifier_counts(&features).await?;
                dateline_core::classifier::judge(examples, &counts)
            } else {
                // Too few examples of either kind: it would say nothing of any text.
                dateline_core::classifier::Judgement::Silent
            };
            Some(intake::ReaderFacts {
                ip_hash: r.ip_hash.clone(),
                network_hash: r.network_hash.clone(),
                user_agent: r.user_agent.clone(),
                blocked_as: found.blocked_as,
                judgement,
            })
        }
        _ => None,
    };
    Ok(intake::Pending {
        form_shown: form_shown(app, article.id, facts),
        article,
        actor: actor.reference(),
        reader,
        // Staff bringing in history bring other people's comments.
        author_user_id: match actor {
            Actor::Staff(user) if !history => Some(user.id),
            _ => None,
        },
        input,
        email_hash,
        form: facts.cloned(),
        now,
    })
}

/// What a moderator decides about a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Readers see it.
    Approve,
    /// It is spam (and, later, teaches the classifier so).
    Spam,
    /// Out of sight, kept until deleted for good.
    Trash,
    /// Out of the spam or the trash, back to pending.
    Restore,
}

impl Decision {
    /// The decision a path segment names (`/comments/{id}/approve`).
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        match s {
            "approve" => Ok(Decision::Approve),
            "spam" => Ok(Decision::Spam),
            "trash" => Ok(Decision::Trash),
            "restore" => Ok(Decision::Restore),
            _ => Err(Error::invalid(
                field,
                "The decision must be approve, spam, trash or restore.",
            )),
        }
    }
}

/// Applies a moderator's decision; records `comment.approved`, `comment.spammed`,
/// `comment.trashed` or `comment.restored` with the status before and after (the moderation
/// log). A decision that changes nothing records nothing.
pub async fn moderate(app: &App, actor: &Actor, id: i64, decision: Decision) -> Result<Comment> {
    permissions::may_moderate(actor)?;
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    let comment = tx.comment_for_update(id).await?.ok_or(Error::NotFound)?;
    let (to, kind) = match decision {
        Decision::Approve => (CommentStatus::Approved, EventKind::CommentApproved),
        Decision::Spam => (CommentStatus::Spam, EventKind::CommentSpammed),
        Decision::Trash => (CommentStatus::Trash, EventKind::CommentTrashed),
        Decision::Restore => {
            if !matches!(comment.status, CommentStatus::Spam | CommentStatus::Trash) {
                return Err(Error::invalid(
                    "status",
                    "Only a comment in the spam or the trash can be restored.",
                ));
            }
            (CommentStatus::Pending, EventKind::CommentRestored)
        }
    };
    if comment.status == to {
        return Ok(comment);
    }
    tx.set_comment_status(id, to).await?;
    tx.record(
        &NewEvent::new(
            kind,
            actor.reference(),
            Some(id),
            json!({
                "article_id": comment.article_id,
                "from": comment.status.as_str(),
                "to": to.as_str(),
            }),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Comment {
        status: to,
        ..comment
    })
}

/// Changes a comment's text, keeping the moderator's note of why; records `comment.edited`.
pub async fn edit(app: &App, actor: &Actor, id: i64, body: &str, note: &str) -> Result<Comment> {
    permissions::may_moderate(actor)?;
    let body =
        dateline_core::text::required_text("body", body, dateline_core::comments::MAX_BODY_CHARS)?;
    let note = dateline_core::text::optional_text("note", Some(note), 300)?.unwrap_or_default();
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    let comment = tx.comment_for_update(id).await?.ok_or(Error::NotFound)?;
    if comment.body == body {
        return Ok(comment);
    }
    tx.edit_comment(id, &body, &note, now).await?;
    tx.record(
        &NewEvent::new(
            EventKind::CommentEdited,
            actor.reference(),
            Some(id),
            json!({ "article_id": comment.article_id, "note": note }),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Comment { body, ..comment })
}

/// Deletes a comment for good (its replies stay, answering nothing); records
/// `comment.deleted`.
pub async fn delete(app: &App, actor: &Actor, id: i64) -> Result<()> {
    permissions::may_moderate(actor)?;
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    let comment = tx.comment_for_update(id).await?.ok_or(Error::NotFound)?;
    tx.delete_comment(id).await?;
    tx.record(
        &NewEvent::new(
            EventKind::CommentDeleted,
            actor.reference(),
            Some(id),
            json!({ "article_id": comment.article_id, "status": comment.status.as_str() }),
        ),
        now,
    )
    .await?;
    tx.commit().await
}

/// What a block names: the writer's e-mail address, or their address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// By the keyed hash of the e-mail address, whatever its case.
    Email,
    /// By the keyed hash of the address.
    Address,
}

impl BlockKind {
    /// Parses `email` or `address`.
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        match s {
            "email" => Ok(BlockKind::Email),
            "address" => Ok(BlockKind::Address),
            _ => Err(Error::invalid(field, "Block by email or by address.")),
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            BlockKind::Email => "email",
            BlockKind::Address => "address",
        }
    }
}

/// Blocks the writer of comment `id` by their e-mail address or their address, until `until`
/// (or for good): their comments from now on are stored as spam. Records
/// `comment.author_blocked`, without the e-mail or the hash. Returns the block's id.
pub async fn block(
    app: &App,
    actor: &Actor,
    id: i64,
    kind: BlockKind,
    until: Option<jiff::Timestamp>,
) -> Result<i64> {
    permissions::may_moderate(actor)?;
    let now = app.now();
    if until.is_some_and(|t| t <= now) {
        return Err(Error::invalid(
            "until",
            "Give a time in the future, or none for good.",
        ));
    }
    let mut tx = app.db().begin_write().await?;
    let comment = tx.comment_for_update(id).await?.ok_or(Error::NotFound)?;
    let (email, address) = tx.comment_sender(id).await?.unwrap_or_default();
    let hash = match kind {
        BlockKind::Email => email.map(|e| app.email_hash(&e)).ok_or_else(|| {
            Error::invalid("kind", "This comment was sent without an e-mail address.")
        })?,
        BlockKind::Address => address.ok_or_else(|| {
            Error::invalid("kind", "This comment was not sent from a reader's address.")
        })?,
    };
    let block_id = tx.add_block(kind.as_str(), &hash, until, id, now).await?;
    tx.record(
        &NewEvent::new(
            EventKind::CommentAuthorBlocked,
            actor.reference(),
            Some(id),
            json!({
                "article_id": comment.article_id,
                "block_id": block_id,
                "kind": kind.as_str(),
                "until": until.map(|t| t.to_string()),
            }),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(block_id)
}

/// Lifts block `block_id`; records `comment.author_unblocked` on the comment it was made from.
pub async fn unblock(app: &App, actor: &Actor, block_id: i64) -> Result<()> {
    permissions::may_moderate(actor)?;
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    let block = tx.remove_block(block_id).await?.ok_or(Error::NotFound)?;
    tx.record(
        &NewEvent::new(
            EventKind::CommentAuthorUnblocked,
            actor.reference(),
            block.comment_id,
            json!({ "block_id": block_id, "kind": block.kind }),
        ),
        now,
    )
    .await?;
    tx.commit().await
}
