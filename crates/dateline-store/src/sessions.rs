//! Signed-in browsers (admin sessions), invitations, and failed logins.

use dateline_core::{
    Error,
    clock::{from_micros, to_micros},
    users::{Role, User},
};
use jiff::Timestamp;
use sqlx::{Row, any::AnyRow};

use crate::{Db, WriteTx, db_error};

/// A session as its owner's session list shows it (never its token).
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// Id, used to end it.
    pub id: i64,
    /// The account.
    pub user_id: i64,
    /// The token every state-changing form of this session carries.
    pub csrf_token: String,
    /// When it began.
    pub created_at: Timestamp,
    /// When it was last used (to the minute).
    pub last_seen_at: Timestamp,
    /// When it ends unless used.
    pub expires_at: Timestamp,
    /// The browser that opened it.
    pub user_agent: Option<String>,
}

/// A session being opened.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Hash of the cookie's token.
    pub token_hash: String,
    /// The account.
    pub user_id: i64,
    /// Token for forms.
    pub csrf_token: String,
    /// When it ends unless used.
    pub expires_at: Timestamp,
    /// The browser.
    pub user_agent: Option<String>,
    /// Keyed hash of the address it was opened from.
    pub ip_hash: Option<String>,
}

/// An invitation as the users page lists it.
#[derive(Debug, Clone)]
pub struct InvitationInfo {
    /// Id.
    pub id: i64,
    /// The role the account will have.
    pub role: Role,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// When it was used, if it was.
    pub accepted_at: Option<Timestamp>,
}

const SESSION_COLUMNS: &str =
    "s.id, s.user_id, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at, s.user_agent";

fn session_from_row(r: &AnyRow, at: usize) -> Result<SessionInfo, Error> {
    Ok(SessionInfo {
        id: r.try_get(at).map_err(db_error)?,
        user_id: r.try_get(at + 1).map_err(db_error)?,
        csrf_token: r.try_get(at + 2).map_err(db_error)?,
        created_at: from_micros(r.try_get(at + 3).map_err(db_error)?),
        last_seen_at: from_micros(r.try_get(at + 4).map_err(db_error)?),
        expires_at: from_micros(r.try_get(at + 5).map_err(db_error)?),
        user_agent: r.try_get(at + 6).map_err(db_error)?,
    })
}

impl WriteTx {
    /// Opens a session; returns its id.
    pub async fn insert_session(&mut self, s: &NewSession, now: Timestamp) -> Result<i64, Error> {
        sqlx::query_scalar(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, \
             expires_at, user_agent, ip_hash) VALUES ($1, $2, $3, $4, $4, $5, $6, $7) RETURNING id",
        )
        .bind(s.token_hash.clone())
        .bind(s.user_id)
        .bind(s.csrf_token.clone())
        .bind(to_micros(now))
        .bind(to_micros(s.expires_at))
        .bind(s.user_agent.clone())
        .bind(s.ip_hash.clone())
        .fetch_one(&mut *self.conn())
        .await
        .map_err(db_error)
    }

    /// Ends sessions of `user_id`: one (`Some(id)`) or all; returns how many were live.
    pub async fn revoke_sessions(
        &mut self,
        user_id: i64,
        only: Option<i64>,
        now: Timestamp,
    ) -> Result<u64, Error> {
        let r = match only {
            Some(id) => {
                sqlx::query(
                    "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND id = $3 AND revoked_at IS NULL",
                )
                .bind(to_micros(now))
                .bind(user_id)
                .bind(id)
                .execute(&mut *self.conn())
                .await
            }
            None => {
                sqlx::query(
                    "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
                )
                .bind(to_micros(now))
                .bind(user_id)
                .execute(&mut *self.conn())
                .await
            }
        }
        .map_err(db_error)?;
        Ok(r.rows_affected())
    }

    /// Records that a session was used, and moves its end further away.
    pub async fn touch_session(
        &mut self,
        id: i64,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), Error> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id = $3")
            .bind(to_micros(now))
            .bind(to_micros(expires_at))
            .bind(id)
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// Creates an invitation; returns its id.
    pub async fn insert_invitation(
        &mut self,
        token_hash: &str,
        role: Role,
        invited_by: Option<i64>,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<i64, Error> {
        sqlx::query_scalar(
            "INSERT INTO invitations (token_hash, role, invited_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(token_hash.to_owned())
        .bind(role.as_str())
        .bind(invited_by)
        .bind(to_micros(now))
        .bind(to_micros(expires_at))
        .fetch_one(&mut *self.conn())
        .await
        .map_err(db_error)
    }

    /// Spends a live invitation (once, even when two requests race); returns its role.
    pub async fn take_invitation(
        &mut self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<(i64, Role)>, Error> {
        let row = sqlx::query(
            "UPDATE invitations SET accepted_at = $1 WHERE token_hash = $2 AND accepted_at IS NULL \
             AND expires_at > $1 RETURNING id, role",
        )
        .bind(to_micros(now))
        .bind(token_hash.to_owned())
        .fetch_optional(&mut *self.conn())
        .await
        .map_err(db_error)?;
        row.map(|r| {
            let role: String = r.try_get(1).map_err(db_error)?;
            Ok((
                r.try_get(0).map_err(db_error)?,
                Role::parse("role", &role).map_err(|_| Error::Internal(format!("role {role}")))?,
            ))
        })
        .transpose()
    }

    /// Records who used an invitation.
    pub async fn invitation_accepted_by(&mut self, id: i64, user_id: i64) -> Result<(), Error> {
        sqlx::query("UPDATE invitations SET accepted_by = $1 WHERE id = $2")
            .bind(user_id)
            .bind(id)
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// Counts a failed login under `key`; returns the failures now counted and when the first
    /// of them was (older failures than `window_start` are forgotten).
    pub async fn count_login_failure(
        &mut self,
        key: &str,
        now: Timestamp,
        window_start: Timestamp,
    ) -> Result<i64, Error> {
        sqlx::query(
            "INSERT INTO login_failures (key, failures, last_failure_at) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
             failures = CASE WHEN login_failures.last_failure_at < $3 THEN 1 ELSE login_failures.failures + 1 END, \
             last_failure_at = $2",
        )
        .bind(key.to_owned())
        .bind(to_micros(now))
        .bind(to_micros(window_start))
        .execute(&mut *self.conn())
        .await
        .map_err(db_error)?;
        sqlx::query_scalar("SELECT failures FROM login_failures WHERE key = $1")
            .bind(key.to_owned())
            .fetch_one(&mut *self.conn())
            .await
            .map_err(db_error)
    }

    /// Forgets the failed logins under `key`.
    pub async fn clear_login_failures(&mut self, key: &str) -> Result<(), Error> {
        sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(key.to_owned())
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
        Ok(())
    }
}

impl Db {
    /// The live session with this token hash at `now`, and its account (if not deactivated).
    pub async fn session_by_token_hash(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<(SessionInfo, User)>, Error> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SESSION_COLUMNS}, u.id, u.name, u.email, u.slug, u.bio, u.role \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 \
             AND u.deactivated_at IS NULL"
        )))
        .bind(token_hash.to_owned())
        .bind(to_micros(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some((
            session_from_row(&row, 0)?,
            crate::users::user_from_row_at(&row, 7)?,
        )))
    }

    /// The live sessions of an account, most recently used first.
    pub async fn sessions_of(
        &self,
        user_id: i64,
        now: Timestamp,
    ) -> Result<Vec<SessionInfo>, Error> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.user_id = $1 \
             AND s.revoked_at IS NULL AND s.expires_at > $2 ORDER BY s.last_seen_at DESC, s.id DESC"
        )))
        .bind(user_id)
        .bind(to_micros(now))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(|r| session_from_row(r, 0)).collect()
    }

    /// Failed logins counted under `key` since `window_start`, and the last one's time.
    pub async fn login_failures(
        &self,
        key: &str,
        window_start: Timestamp,
    ) -> Result<Option<(i64, Timestamp)>, Error> {
        let row = sqlx::query(
            "SELECT failures, last_failure_at FROM login_failures WHERE key = $1 AND last_failure_at >= $2",
        )
        .bind(key.to_owned())
        .bind(to_micros(window_start))
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(|r| {
            Ok((
                r.try_get(0).map_err(db_error)?,
                from_micros(r.try_get(1).map_err(db_error)?),
            ))
        })
        .transpose()
    }

    /// The invitations not yet used, newest first.
    pub async fn open_invitations(&self, now: Timestamp) -> Result<Vec<InvitationInfo>, Error> {
        let rows = sqlx::query(
            "SELECT id, role, expires_at, accepted_at FROM invitations \
             WHERE accepted_at IS NULL AND expires_at > $1 ORDER BY id DESC",
        )
        .bind(to_micros(now))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                let role: String = r.try_get(1).map_err(db_error)?;
                Ok(InvitationInfo {
                    id: r.try_get(0).map_err(db_error)?,
                    role: Role::parse("role", &role)
                        .map_err(|_| Error::Internal(format!("role {role}")))?,
                    expires_at: from_micros(r.try_get(2).map_err(db_error)?),
                    accepted_at: r
                        .try_get::<Option<i64>, _>(3)
                        .map_err(db_error)?
                        .map(from_micros),
                })
            })
            .collect()
    }

    /// Whether a live invitation has this token hash.
    pub async fn invitation_is_open(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Role>, Error> {
        let role: Option<String> = sqlx::query_scalar(
            "SELECT role FROM invitations WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash.to_owned())
        .bind(to_micros(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        role.map(|r| Role::parse("role", &r).map_err(|_| Error::Internal(format!("role {r}"))))
            .transpose()
    }
}
