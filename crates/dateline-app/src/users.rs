//! Account actions: creating the owner (the setup page and the command line share it) and
//! adding accounts.

use dateline_core::{
    Error, Result,
    actor::Actor,
    events::{EventKind, NewEvent},
    permissions,
    secrets::{constant_time_eq, hash_password, hash_token},
    settings::SettingKey,
    text::{Email, optional_text, required_text},
    users::{Role, User, check_new_password},
};
use serde_json::json;

use crate::App;

/// An account to create, as typed.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Name shown under articles.
    pub name: String,
    /// Login address.
    pub email: String,
    /// What the account may do.
    pub role: Role,
    /// The password; `None` makes an account that cannot log in (the system's byline).
    pub password: Option<String>,
    /// Short biography for the author page.
    pub bio: String,
}

/// What entitles someone to create the owner account.
#[derive(Debug, Clone)]
pub enum OwnerCredential {
    /// The one-time token of the setup link printed at start; spent by the creation.
    SetupToken(String),
    /// Whoever runs the command line on the server (`dateline user add --role owner`).
    Operator,
}

/// Creates the owner account. With a setup token: only while the site has no owner and only
/// with the current token, which is spent in the same transaction (a failure leaves it valid;
/// two racing submissions create one owner). From the command line: any time; a setup link
/// still open stops working.
pub async fn create_owner(
    app: &App,
    credential: OwnerCredential,
    name: &str,
    email: &str,
    password: &str,
) -> Result<User> {
    if let OwnerCredential::SetupToken(token) = &credential {
        check_setup_token(app, token).await?;
    }
    let new = NewUser {
        name: name.to_owned(),
        email: email.to_owned(),
        role: Role::Owner,
        password: Some(password.to_owned()),
        bio: String::new(),
    };
    let actor = match credential {
        OwnerCredential::SetupToken(token) => SetupActor::Token(token),
        OwnerCredential::Operator => SetupActor::Operator,
    };
    insert(app, &Actor::System, new, Some(actor)).await
}

/// Adds an account (the owner, or the system from the command line).
pub async fn add(app: &App, actor: &Actor, new: NewUser) -> Result<User> {
    permissions::may_administer(actor)?;
    let owner = (new.role == Role::Owner).then_some(SetupActor::Operator);
    insert(app, actor, new, owner).await
}

/// Whether `token` opens the setup page: the site has no owner, and it is the current token.
/// Anything else is "not found", so the page does not exist for a stranger.
pub async fn check_setup_token(app: &App, token: &str) -> Result<()> {
    if token.is_empty() || app.db().owner_exists().await? {
        return Err(Error::NotFound);
    }
    let stored = app
        .db()
        .setting(SettingKey::SetupTokenHash)
        .await?
        .ok_or(Error::NotFound)?;
    if constant_time_eq(&stored, &hash_token(token)) {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

/// How an owner is being made, for the setup token's fate.
enum SetupActor {
    Token(String),
    Operator,
}

async fn insert(app: &App, actor: &Actor, new: NewUser, owner: Option<SetupActor>) -> Result<User> {
    let name = required_text("name", &new.name, 100)?;
    // Typed by a person (the setup page, the command line): stray spaces are forgiven.
    let email = Email::parse("email", new.email.trim())?;
    if let Some(p) = &new.password {
        check_new_password("password", p)?;
    }
    let bio = optional_text("bio", Some(&new.bio), 2000)?.unwrap_or_default();
    let hash = match new.password {
        // Argon2 is deliberately slow: keep it off the threads that serve requests.
        Some(p) => Some(
            tokio::task::spawn_blocking(move || hash_password(&p))
                .await
                .map_err(|e| Error::Internal(format!("password hashing task: {e}")))??,
        ),
        None => None,
    };
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    match owner {
        Some(SetupActor::Token(token)) => {
            let spent = !tx.owner_exists().await?
                && tx
                    .take_setting(SettingKey::SetupTokenHash, &hash_token(&token))
                    .await?;
            if !spent {
                return Err(Error::NotFound);
            }
        }
        Some(SetupActor::Operator) => {
            if let Some(stored) = tx.setting(SettingKey::SetupTokenHash).await? {
                tx.take_setting(SettingKey::SetupTokenHash, &stored).await?;
            }
        }
        None => {}
    }
    let user = tx
        .insert_user(&name, &email, new.role, hash.as_deref(), &bio, now)
        .await?;
    tx.record(
        &NewEvent::new(
            EventKind::UserCreated,
            actor.reference(),
            Some(user.id),
            json!({ "name": user.name, "slug": user.slug, "role": user.role.as_str() }),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

/// How long an invitation link works.
pub const INVITATION_LIFETIME: jiff::SignedDuration = jiff::SignedDuration::from_hours(24 * 7);

/// Invites someone to create an account with `role`; returns the invitation's id and the token
/// of its one-time link (stored only as a hash).
pub async fn invite(app: &App, actor: &Actor, role: Role) -> Result<(i64, String)> {
    permissions::may_administer(actor)?;
    let token = dateline_core::secrets::new_token()?;
    let now = app.now();
    let expires_at = now + INVITATION_LIFETIME;
    let mut tx = app.db().begin_write().await?;
    let id = tx
        .insert_invitation(
            &hash_token(&token),
            role,
            actor.user().map(|u| u.id),
            expires_at,
            now,
        )
        .await?;
    tx.record(
        &NewEvent::new(
            EventKind::InvitationCreated,
            actor.reference(),
            Some(id),
            json!({ "role": role.as_str(), "expires_at": expires_at.to_string() }),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((id, token))
}

/// The role an invitation link offers, if it still works.
pub async fn invitation_role(app: &App, token: &str) -> Result<Role> {
    app.db()
        .invitation_is_open(&hash_token(token), app.now())
        .await?
        .ok_or(Error::NotFound)
}

/// Creates the account an invitation offers; the link is spent in the same transaction.
pub async fn accept_invitation(
    app: &App,
    token: &str,
    name: &str,
    email: &str,
    password: &str,
) -> Result<User> {
    let role = invitation_role(app, token).await?;
    let name = required_text("name", name, 100)?;
    let email = Email::parse("email", email.trim())?;
    check_new_password("password", password)?;
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| Error::Internal(format!("password hashing task: {e}")))??;
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    let Some((invitation, _)) = tx.take_invitation(&hash_token(token), now).await? else {
        return Err(Error::NotFound);
    };
    let user = tx
        .insert_user(&name, &email, role, Some(&hash), "", now)
        .await?;
    tx.invitation_accepted_by(invitation, user.id).await?;
    tx.record(
        &NewEvent::new(
            EventKind::UserCreated,
            Actor::Staff(user.clone()).reference(),
            Some(user.id),
            json!({ "name": user.name, "slug": user.slug, "role": user.role.as_str(), "invitation_id": invitation }),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

/// Refuses a change that would leave the site without an active owner.
async fn keep_an_owner(
    tx: &mut dateline_store::WriteTx,
    target: &dateline_store::Account,
) -> Result<()> {
    if target.user.role != Role::Owner || !target.active {
        return Ok(());
    }
    if tx.active_owners().await? <= 1 {
        return Err(Error::InUse(
            "The site needs an active owner: make another account owner first.".to_owned(),
        ));
    }
    Ok(())
}

/// Gives an account another role (the owner only; the last owner stays one).
pub async fn change_role(app: &App, actor: &Actor, user_id: i64, role: Role) -> Result<()> {
    permissions::may_administer(actor)?;
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    let target = tx.account(user_id).await?.ok_or(Error::NotFound)?;
    if target.user.role == role {
        return Ok(());
    }
    keep_an_owner(&mut tx, &target).await?;
    tx.set_role(user_id, role).await?;
    tx.record(
        &NewEvent::new(
            EventKind::UserRoleChanged,
            actor.reference(),
            Some(user_id),
            json!({ "from": target.user.role.as_str(), "to": role.as_str() }),
        ),
        now,
    )
    .await?;
    tx.commit().await
}

/// Deactivates an account (its articles stay; its sessions and tokens stop working), or makes
/// it active again. The owner only; nobody deactivates themselves or the last owner.
pub async fn set_active(app: &App, actor: &Actor, user_id: i64, active: bool) -> Result<()> {
    permissions::may_administer(actor)?;
    if !active && actor.user().is_some_and(|u| u.id == user_id) {
        return Err(Error::Forbidden("You cannot deactivate your own account."));
    }
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    let target = tx.account(user_id).await?.ok_or(Error::NotFound)?;
    if target.active == active {
        return Ok(());
    }
    if !active {
        keep_an_owner(&mut tx, &target).await?;
    }
    tx.set_deactivated(user_id, (!active).then_some(now))
        .await?;
    let kind = if active {
        EventKind::UserReactivated
    } else {
        EventKind::UserDeactivated
    };
    tx.record(
        &NewEvent::new(kind, actor.reference(), Some(user_id), json!({})),
        now,
    )
    .await?;
    tx.commit().await
}

/// A profile as typed.
#[derive(Debug, Clone, Default)]
pub struct ProfileForm {
    /// Name shown under articles.
    pub name: String,
    /// Short biography.
    pub bio: String,
    /// Picture from the media library.
    pub avatar_media_id: Option<i64>,
}

/// Changes an account's name, biography and picture (its owner, or the site's owner).
pub async fn update_profile(
    app: &App,
    actor: &Actor,
    user_id: i64,
    form: &ProfileForm,
) -> Result<()> {
    if actor.user().is_none_or(|u| u.id != user_id) {
        permissions::may_administer(actor)?;
    }
    let name = required_text("name", &form.name, 100)?;
    let bio = optional_text("bio", Some(&form.bio), 2000)?.unwrap_or_default();
    if let Some(media) = form.avatar_media_id
        && app.db().media_by_id(media).await?.is_none()
    {
        return Err(Error::invalid(
            "avatar_media_id",
            "No uploaded image has this id.",
        ));
    }
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    let before = tx.account(user_id).await?.ok_or(Error::NotFound)?;
    let changed: Vec<&str> = [
        ("name", before.user.name != name),
        ("bio", before.user.bio != bio),
        ("avatar", before.avatar_media_id != form.avatar_media_id),
    ]
    .into_iter()
    .filter_map(|(f, c)| c.then_some(f))
    .collect();
    if changed.is_empty() {
        return Ok(());
    }
    tx.update_profile(user_id, &name, &bio, form.avatar_media_id)
        .await?;
    tx.record(
        &NewEvent::new(
            EventKind::UserUpdated,
            actor.reference(),
            Some(user_id),
            json!({ "changed": changed, "name": name }),
        ),
        now,
    )
    .await?;
    tx.commit().await
}

/// Changes a member's own password, given the current one. Every session ends but
/// `keep_session` (the one that asked, in the admin; none through the API).
pub async fn change_password(
    app: &App,
    actor: &Actor,
    current: &str,
    new: &str,
    keep_session: Option<i64>,
) -> Result<()> {
    let user = actor.user().ok_or(Error::Unauthorized)?;
    let stored = app
        .db()
        .password_hash(user.id)
        .await?
        .ok_or(Error::NotFound)?;
    let (current, stored_c) = (current.to_owned(), stored.clone());
    let matches = tokio::task::spawn_blocking(move || {
        dateline_core::secrets::verify_password(&current, &stored_c)
    })
    .await
    .map_err(|e| Error::Internal(format!("password check: {e}")))?;
    if !matches {
        return Err(Error::invalid(
            "current_password",
            "The current password is wrong.",
        ));
    }
    set_password(app, actor, user.id, new, keep_session).await
}

/// Sets a new password for the account with this e-mail address, from the command line (for an
/// owner who is locked out); every session of the account ends.
pub async fn reset_password(app: &App, actor: &Actor, email: &str, new: &str) -> Result<User> {
    permissions::may_administer(actor)?;
    let email = Email::parse("email", email.trim())?;
    let user = app
        .db()
        .user_by_email(email.as_str())
        .await?
        .ok_or_else(|| Error::invalid("email", "No account has this e-mail address."))?;
    set_password(app, actor, user.id, new, None).await?;
    Ok(user)
}

async fn set_password(
    app: &App,
    actor: &Actor,
    user_id: i64,
    new: &str,
    keep_session: Option<i64>,
) -> Result<()> {
    check_new_password("password", new)?;
    let new = new.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&new))
        .await
        .map_err(|e| Error::Internal(format!("password hashing task: {e}")))??;
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    tx.set_password_hash(user_id, &hash).await?;
    // Whoever knew the old password is signed out everywhere else.
    for session in app.db().sessions_of(user_id, now).await? {
        if Some(session.id) != keep_session {
            tx.revoke_sessions(user_id, Some(session.id), now).await?;
        }
    }
    tx.record(
        &NewEvent::new(
            EventKind::UserPasswordChanged,
            actor.reference(),
            Some(user_id),
            json!({}),
        ),
        now,
    )
    .await?;
    tx.commit().await
}
