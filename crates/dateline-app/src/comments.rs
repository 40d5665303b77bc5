//! The one intake of comments: whoever sends a comment and through whichever surface (the form
//! under an article, the API, staff, an importer), it goes through [`submit`], which runs the
//! same checks in the same order and records the same facts.

use dateline_core::{
    Error, Result,
    actor::Actor,
    comments::{Comment, CommentForm, CommentStatus},
    events::{EventKind, NewEvent},
    permissions,
};
use dateline_store::NewComment;
use serde_json::json;

use crate::App;

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
    let now = app.now();
    let article = app
        .db()
        .article_by_id(article_id)
        .await?
        .filter(|a| permissions::may_read_article(actor, a, now))
        .ok_or(Error::NotFound)?;
    let input = form.parse(now)?;
    if input.sets_history() {
        permissions::may_set_comment_history(actor)?;
    }
    let (ip_hash, user_agent) = match actor {
        Actor::Reader(r) => (Some(r.ip_hash.clone()), r.user_agent.clone()),
        _ => (None, None),
    };
    let comment = NewComment {
        article_id: article.id,
        parent_id: input.parent_id,
        author_name: input.author_name,
        author_email: input.author_email,
        body: input.body,
        status: input.status.unwrap_or(CommentStatus::Approved),
        created_at: input.created_at.unwrap_or(now),
        ip_hash,
        user_agent,
    };
    let mut tx = app.db().begin_write().await?;
    if let Some(parent) = comment.parent_id
        && tx.article_of_comment(parent).await? != Some(article.id)
    {
        return Err(Error::invalid(
            "parent_id",
            "No comment on this article has this id.",
        ));
    }
    let stored = tx.insert_comment(&comment).await?;
    // The author's name is public; the e-mail address and the IP hash never enter the log.
    let payload = json!({
        "article_id": article.id,
        "parent_id": stored.parent_id,
        "status": stored.status.as_str(),
        "author_name": stored.author_name,
    });
    tx.record(
        &NewEvent::new(
            EventKind::CommentSubmitted,
            actor.reference(),
            Some(stored.id),
            payload,
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(stored)
}
