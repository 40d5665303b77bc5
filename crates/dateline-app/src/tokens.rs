//! API tokens: create, revoke, and recognise. Only a token's hash is stored; the token itself
//! is shown once, to whoever created it.

use dateline_core::{
    Error, Result,
    actor::Actor,
    events::{EventKind, NewEvent},
    permissions,
    secrets::{hash_token, new_token},
    text::{Email, required_text},
    users::User,
};
use dateline_store::{TokenInfo, TokenRef};
use serde_json::json;

use crate::App;

/// A token was presented more than this long after its last recorded use: record the use.
/// Minute resolution, so that a busy client does not turn every read into a write.
const USE_RESOLUTION_MICROS: i64 = 60_000_000;

/// The account with e-mail address `email`.
pub async fn account(app: &App, email: &str) -> Result<User> {
    let email = Email::parse("email", email.trim())?;
    app.db()
        .user_by_email(email.as_str())
        .await?
        .ok_or_else(|| Error::invalid("email", "No account has this e-mail address."))
}

/// Creates an API token for `owner`; returns its id and the token, which is not stored.
pub async fn create(app: &App, actor: &Actor, owner: &User, label: &str) -> Result<(i64, String)> {
    permissions::may_manage_tokens_of(actor, owner.id)?;
    let label = required_text("label", label, 100)?;
    let token = new_token()?;
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    let id = tx
        .insert_token(owner.id, &label, &hash_token(&token), now)
        .await?;
    tx.record(
        &NewEvent::new(
            EventKind::TokenCreated,
            actor.reference(),
            Some(id),
            json!({ "user_id": owner.id, "label": label }),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((id, token))
}

/// Revokes a live token, given its id or the token itself; not found if there is no such live
/// token.
pub async fn revoke(app: &App, actor: &Actor, which: RevokeBy<'_>) -> Result<TokenInfo> {
    let hash;
    let token_ref = match which {
        RevokeBy::Id(id) => TokenRef::Id(id),
        RevokeBy::Token(t) => {
            hash = hash_token(t.trim());
            TokenRef::Hash(&hash)
        }
    };
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    let info = tx.token(token_ref).await?.ok_or(Error::NotFound)?;
    permissions::may_manage_tokens_of(actor, info.user_id)?;
    if !tx.revoke_token(info.id, now).await? {
        return Err(Error::NotFound);
    }
    tx.record(
        &NewEvent::new(
            EventKind::TokenRevoked,
            actor.reference(),
            Some(info.id),
            json!({ "user_id": info.user_id, "label": info.label }),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(TokenInfo {
        revoked_at: Some(now),
        ..info
    })
}

/// Which token to revoke.
#[derive(Debug, Clone, Copy)]
pub enum RevokeBy<'a> {
    /// By id (from a list).
    Id(i64),
    /// By the token itself.
    Token(&'a str),
}

/// The tokens of `owner`, newest first (never the tokens themselves).
pub async fn list(app: &App, actor: &Actor, owner: &User) -> Result<Vec<TokenInfo>> {
    permissions::may_manage_tokens_of(actor, owner.id)?;
    app.db().tokens_of(owner.id).await
}

/// The account a presented token belongs to, if it is live. Records when it was used; that
/// bookkeeping is not a change to the site and writes no event.
pub async fn authenticate(app: &App, token: &str) -> Result<Option<User>> {
    let Some((user, info)) = app.db().user_by_token_hash(&hash_token(token)).await? else {
        return Ok(None);
    };
    let now = app.now();
    if info
        .last_used_at
        .is_none_or(|t| now.as_microsecond() - t.as_microsecond() > USE_RESOLUTION_MICROS)
    {
        let mut tx = app.db().begin_write().await?;
        tx.touch_token(info.id, now).await?;
        tx.commit().await?;
    }
    Ok(Some(user))
}
