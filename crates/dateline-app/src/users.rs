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
