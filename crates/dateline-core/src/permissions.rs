//! Who may do what: the role rules as plain functions, called by every action so that the API,
//! the admin and the command line enforce the same table.
//!
//! | may…                               | owner | editor | author | contributor | system | importer |
//! |------------------------------------|-------|--------|--------|-------------|--------|----------|
//! | write a draft (own)                | yes   | yes    | yes    | yes         | yes    | yes      |
//! | publish or schedule (own)          | yes   | yes    | yes    | no          | yes    | yes      |
//! | edit, delete others' articles      | yes   | yes    | no     | no          | yes    | yes      |
//! | write in another author's name     | yes   | yes    | no     | no          | yes    | yes      |
//! | change a published article (own)  | yes   | yes    | yes    | no          | yes    | yes      |
//! | upload media, describe it          | yes   | yes    | yes    | no          | yes    | no       |
//! | delete media                       | yes   | yes    | no     | no          | yes    | no       |
//! | set a comment's time or status     | yes   | yes    | no     | no          | yes    | yes      |
//! | add accounts, change settings      | yes   | no     | no     | no          | yes    | no       |
//! | create, revoke own API tokens      | yes   | yes    | yes    | yes         | yes    | no       |
//! | create, revoke others' API tokens  | yes   | no     | no     | no          | yes    | no       |
//! | read the activity log              | yes   | yes    | no     | no          | yes    | no       |
//! | choose the front page's lead       | yes   | yes    | no     | no          | yes    | no       |
//!
//! Readers may only comment.

use crate::{
    Error, Result,
    actor::Actor,
    articles::{Article, ArticleStatus, CommentTarget},
    users::Role,
};

fn staff_role(actor: &Actor) -> Option<Role> {
    actor.user().map(|u| u.role)
}

fn trusted(actor: &Actor) -> bool {
    matches!(actor, Actor::System | Actor::Importer { .. })
}

fn forbidden(why: &'static str) -> Error {
    Error::Forbidden(why)
}

/// May create an article with `status`.
pub fn may_create_article(actor: &Actor, status: ArticleStatus) -> Result<()> {
    match staff_role(actor) {
        _ if trusted(actor) => Ok(()),
        None => Err(Error::Unauthorized),
        Some(role) if status != ArticleStatus::Draft && !role.can_publish() => Err(forbidden(
            "Contributors may save drafts only; an editor publishes them.",
        )),
        Some(_) => Ok(()),
    }
}

/// May change (or delete) `article` as it stands now.
pub fn may_edit_article(actor: &Actor, article: &Article) -> Result<()> {
    let Some(user) = actor.user() else {
        return if trusted(actor) {
            Ok(())
        } else {
            Err(Error::Unauthorized)
        };
    };
    if !user.role.can_edit_others() && article.author.id != user.id {
        return Err(forbidden("You may change only your own articles."));
    }
    if !user.role.can_publish() && article.status != ArticleStatus::Draft {
        return Err(forbidden("Contributors may change drafts only."));
    }
    Ok(())
}

/// May give an article the status `status` (checked after [`may_edit_article`]).
pub fn may_set_status(actor: &Actor, status: ArticleStatus) -> Result<()> {
    may_create_article(actor, status)
}

/// May sign an article with the name of someone else.
pub fn may_write_for_others(actor: &Actor) -> Result<()> {
    match actor.user() {
        None if trusted(actor) => Ok(()),
        None => Err(Error::Unauthorized),
        Some(u) if u.role.can_edit_others() => Ok(()),
        Some(_) => Err(forbidden(
            "Only editors may write in another author's name.",
        )),
    }
}

/// May add files to the media library.
pub fn may_upload_media(actor: &Actor) -> Result<()> {
    match actor {
        Actor::System => Ok(()),
        Actor::Staff(u) if u.role.can_publish() => Ok(()),
        Actor::Staff(_) => Err(forbidden(
            "Contributors may not upload media; ask an editor.",
        )),
        Actor::Importer { .. } => Err(forbidden("Imports do not upload media.")),
        Actor::Reader(_) => Err(Error::Unauthorized),
    }
}

/// May delete files from the media library.
pub fn may_delete_media(actor: &Actor) -> Result<()> {
    match actor {
        Actor::System => Ok(()),
        Actor::Staff(u) if u.role.can_edit_others() => Ok(()),
        Actor::Staff(_) | Actor::Importer { .. } => {
            Err(forbidden("Only editors and the owner may delete media."))
        }
        Actor::Reader(_) => Err(Error::Unauthorized),
    }
}

/// May give a comment its original time or a moderation status (bringing in history).
pub fn may_set_comment_history(actor: &Actor) -> Result<()> {
    match actor {
        Actor::System | Actor::Importer { .. } => Ok(()),
        Actor::Staff(u) if u.role.can_edit_others() => Ok(()),
        _ => Err(forbidden(
            "Only editors may set created_at or status on a comment.",
        )),
    }
}

/// May moderate comments: read the queue with commenters' e-mail and address hashes, approve,
/// mark spam, trash, restore, edit and delete. Editors and the owner.
pub fn may_moderate(actor: &Actor) -> Result<()> {
    match actor {
        Actor::System => Ok(()),
        Actor::Staff(u) if u.role.can_edit_others() => Ok(()),
        Actor::Staff(_) | Actor::Importer { .. } => Err(forbidden(
            "Only editors and the owner may moderate comments.",
        )),
        Actor::Reader(_) => Err(Error::Unauthorized),
    }
}

/// May create accounts and change site settings.
pub fn may_administer(actor: &Actor) -> Result<()> {
    match actor {
        Actor::System => Ok(()),
        Actor::Staff(u) if u.role == Role::Owner => Ok(()),
        Actor::Staff(_) | Actor::Importer { .. } => Err(forbidden(
            "Only the owner may manage accounts and settings.",
        )),
        Actor::Reader(_) => Err(Error::Unauthorized),
    }
}

/// May create or revoke API tokens of the account `owner_id`.
pub fn may_manage_tokens_of(actor: &Actor, owner_id: i64) -> Result<()> {
    match actor {
        Actor::System => Ok(()),
        Actor::Staff(u) if u.id == owner_id || u.role == Role::Owner => Ok(()),
        Actor::Staff(_) | Actor::Importer { .. } => {
            Err(forbidden("You may manage only your own API tokens."))
        }
        Actor::Reader(_) => Err(Error::Unauthorized),
    }
}

/// May read the activity log.
pub fn may_read_activity(actor: &Actor) -> Result<()> {
    match actor {
        Actor::System => Ok(()),
        Actor::Staff(u) if u.role.can_edit_others() => Ok(()),
        Actor::Staff(_) | Actor::Importer { .. } => Err(forbidden(
            "Only editors and the owner may read the activity log.",
        )),
        Actor::Reader(_) => Err(Error::Unauthorized),
    }
}

/// May choose the front page's lead story and featured articles.
pub fn may_arrange_front_page(actor: &Actor) -> Result<()> {
    match actor {
        Actor::System => Ok(()),
        Actor::Staff(u) if u.role.can_edit_others() => Ok(()),
        Actor::Staff(_) | Actor::Importer { .. } => Err(forbidden(
            "Only editors and the owner choose what leads the front page.",
        )),
        Actor::Reader(_) => Err(Error::Unauthorized),
    }
}

/// May describe topics (the paragraph on a topic's page).
pub fn may_describe_topics(actor: &Actor) -> Result<()> {
    match actor {
        Actor::System => Ok(()),
        Actor::Staff(u) if u.role.can_edit_others() => Ok(()),
        Actor::Staff(_) | Actor::Importer { .. } => {
            Err(forbidden("Only editors and the owner describe topics."))
        }
        Actor::Reader(_) => Err(Error::Unauthorized),
    }
}

/// Whether `actor` may read articles readers cannot see yet (drafts, scheduled) by anyone:
/// editors, the owner, the system and importers. Authors and contributors read only their own.
pub fn reads_all_unpublished(actor: &Actor) -> bool {
    match actor {
        Actor::Staff(u) => u.role.can_edit_others(),
        Actor::System | Actor::Importer { .. } => true,
        Actor::Reader(_) => false,
    }
}

/// Whether `actor` may read `article` at `now`: readers what is visible, authors and
/// contributors that and their own, editors everything.
pub fn may_read_article(actor: &Actor, article: &Article, now: jiff::Timestamp) -> bool {
    may_read(actor, article.is_visible_at(now), article.author.id)
}

/// [`may_read_article`], for the article as the comment intake reads it.
pub fn may_read_comment_target(
    actor: &Actor,
    article: &CommentTarget,
    now: jiff::Timestamp,
) -> bool {
    may_read(actor, article.is_visible_at(now), article.author_id)
}

fn may_read(actor: &Actor, visible: bool, author_id: i64) -> bool {
    visible || reads_all_unpublished(actor) || actor.user().is_some_and(|u| u.id == author_id)
}
