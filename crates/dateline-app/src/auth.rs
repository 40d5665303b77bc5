//! Signing in to the admin: passwords checked against their argon2 hashes, sessions kept
//! server-side (the cookie holds a random token whose hash is stored), and failed attempts
//! slowed down per account and per address. A wrong address and a wrong password get the same
//! answer, in the same time, so the page never tells whether an account exists.

use std::net::IpAddr;

use dateline_core::{
    Error, Result,
    actor::Actor,
    events::{EventKind, NewEvent},
    secrets::{hash_password, hash_token, hex, new_token, random_bytes, verify_password},
    users::User,
};
use dateline_store::{NewSession, SessionInfo, WriteTx};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use crate::App;

/// How long a session lasts without being used.
pub const SESSION_LIFETIME: SignedDuration = SignedDuration::from_hours(24 * 30);
/// Failures (per account, per address) answered at once; after them, each attempt waits.
pub const FREE_FAILURES: i64 = 5;
/// Failures older than this are forgotten.
const FAILURE_WINDOW: SignedDuration = SignedDuration::from_hours(1);
/// The longest wait between attempts.
const MAX_WAIT_SECS: i64 = 15 * 60;

/// A signed-in member of staff and the session they use.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The account.
    pub user: User,
    /// The session.
    pub session: SessionInfo,
}

impl SignedIn {
    /// The actor of what they do.
    pub fn actor(&self) -> Actor {
        Actor::Staff(self.user.clone())
    }
}

/// The browser asking.
#[derive(Debug, Clone)]
pub struct Client {
    /// Its address.
    pub ip: IpAddr,
    /// Its `User-Agent`.
    pub user_agent: Option<String>,
}

/// Seconds to wait after `failures` failures, the last at `last`, seen at `now`.
fn wait_after(failures: i64, last: Timestamp, now: Timestamp) -> Option<u64> {
    if failures < FREE_FAILURES {
        return None;
    }
    let exponent = (failures - FREE_FAILURES).min(20) as u32;
    let wait = 2_i64.saturating_pow(exponent).min(MAX_WAIT_SECS);
    let until = last + SignedDuration::from_secs(wait);
    (until > now).then(|| until.duration_since(now).as_secs_f64().ceil().max(1.0) as u64)
}

/// The throttle keys of an attempt: the account asked for, and the address.
fn keys(app: &App, email: &str, client: &Client) -> [String; 2] {
    [
        format!("account:{}", email.trim().to_lowercase()),
        format!("address:{}", app.ip_hash(client.ip)),
    ]
}

/// A hash to check a password against when the account does not exist, so that a wrong address
/// costs the same time as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("no account has this password").unwrap_or_default())
}

/// Signs in with an e-mail address and password; returns the session's cookie token (shown
/// once, stored only as a hash) and who signed in.
pub async fn sign_in(
    app: &App,
    email: &str,
    password: &str,
    client: &Client,
) -> Result<(String, SignedIn)> {
    let now = app.now();
    let window_start = now - FAILURE_WINDOW;
    let keys = keys(app, email, client);
    for key in &keys {
        if let Some((failures, last)) = app.db().login_failures(key, window_start).await?
            && let Some(secs) = wait_after(failures, last, now)
        {
            return Err(Error::TooManyRequests {
                retry_after_secs: secs,
            });
        }
    }
    let found = app.db().sign_in_credentials(email.trim()).await?;
    let (hash, user) = match &found {
        Some((user, hash)) => (hash.clone(), Some(user.clone())),
        None => (decoy_hash().to_owned(), None),
    };
    let password = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| Error::Internal(format!("password check: {e}")))?;
    let mut tx = app.db().begin_write().await?;
    let Some(user) = user.filter(|_| matches) else {
        for key in &keys {
            tx.count_login_failure(key, now, window_start).await?;
        }
        tx.commit().await?;
        return Err(Error::invalid(
            "email",
            "The e-mail address or the password is wrong.",
        ));
    };
    tx.clear_login_failures(&keys[0]).await?;
    let token = new_token()?;
    let session = open_session(&mut tx, app, &user, &token, client, now).await?;
    tx.record(
        &NewEvent::new(
            EventKind::UserSignedIn,
            Actor::Staff(user.clone()).reference(),
            Some(user.id),
            json!({ "session_id": session.id }),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((token, SignedIn { user, session }))
}

async fn open_session(
    tx: &mut WriteTx,
    app: &App,
    user: &User,
    token: &str,
    client: &Client,
    now: Timestamp,
) -> Result<SessionInfo> {
    let new = NewSession {
        token_hash: hash_token(token),
        user_id: user.id,
        csrf_token: hex(&random_bytes::<32>()?),
        expires_at: now + SESSION_LIFETIME,
        user_agent: client
            .user_agent
            .as_ref()
            .map(|ua| ua.chars().take(300).collect()),
        ip_hash: Some(app.ip_hash(client.ip)),
    };
    let id = tx.insert_session(&new, now).await?;
    Ok(SessionInfo {
        id,
        user_id: user.id,
        csrf_token: new.csrf_token,
        created_at: now,
        last_seen_at: now,
        expires_at: new.expires_at,
        user_agent: new.user_agent,
    })
}

/// The signed-in member of staff a session cookie belongs to, if the session is live and the
/// account active. Records its use (to the minute) and keeps it alive.
pub async fn session(app: &App, token: &str) -> Result<Option<SignedIn>> {
    let now = app.now();
    let Some((session, user)) = app
        .db()
        .session_by_token_hash(&hash_token(token), now)
        .await?
    else {
        return Ok(None);
    };
    if now.duration_since(session.last_seen_at) > SignedDuration::from_mins(1) {
        let mut tx = app.db().begin_write().await?;
        tx.touch_session(session.id, now, now + SESSION_LIFETIME)
            .await?;
        tx.commit().await?;
    }
    Ok(Some(SignedIn { user, session }))
}

/// Ends the current session, or (`everywhere`) every session of the account.
pub async fn sign_out(app: &App, signed_in: &SignedIn, everywhere: bool) -> Result<()> {
    let only = (!everywhere).then_some(signed_in.session.id);
    end(app, &signed_in.actor(), signed_in.user.id, only, everywhere).await
}

/// Ends one session of the actor's own account (from the list on the profile page).
pub async fn end_session(app: &App, signed_in: &SignedIn, session_id: i64) -> Result<()> {
    end(
        app,
        &signed_in.actor(),
        signed_in.user.id,
        Some(session_id),
        false,
    )
    .await
}

async fn end(
    app: &App,
    actor: &Actor,
    user_id: i64,
    only: Option<i64>,
    everywhere: bool,
) -> Result<()> {
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    let ended = tx.revoke_sessions(user_id, only, now).await?;
    if ended == 0 {
        return Err(Error::NotFound);
    }
    tx.record(
        &NewEvent::new(
            EventKind::UserSignedOut,
            actor.reference(),
            Some(user_id),
            json!({ "sessions": ended, "everywhere": everywhere, "session_id": only }),
        ),
        now,
    )
    .await?;
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_after_five_failures() {
        let t: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(wait_after(4, t, t), None);
        assert_eq!(wait_after(5, t, t), Some(1));
        assert_eq!(wait_after(6, t, t), Some(2));
        assert_eq!(wait_after(9, t, t), Some(16));
        assert_eq!(wait_after(40, t, t), Some(15 * 60));
        assert_eq!(wait_after(6, t, t + SignedDuration::from_secs(3)), None);
    }
}
