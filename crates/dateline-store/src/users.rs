//! Accounts and their API tokens.

use dateline_core::{
    Error,
    clock::{from_micros, to_micros},
    text::{Email, Slug},
    users::{Role, User},
};
use jiff::Timestamp;
use sqlx::{Row, any::AnyRow};

use crate::{Db, db_error};

/// An API token as listed to its owner: never the token itself.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    /// Id, used to revoke it.
    pub id: i64,
    /// What the owner called it.
    pub label: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it was last presented.
    pub last_used_at: Option<Timestamp>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

fn user_from_row(row: &AnyRow) -> Result<User, Error> {
    let role: String = row.try_get(5).map_err(db_error)?;
    Ok(User {
        id: row.try_get(0).map_err(db_error)?,
        name: row.try_get(1).map_err(db_error)?,
        email: row.try_get(2).map_err(db_error)?,
        slug: row.try_get(3).map_err(db_error)?,
        bio: row.try_get(4).map_err(db_error)?,
        role: Role::parse("role", &role)
            .map_err(|_| Error::Internal(format!("unknown role {role}")))?,
    })
}

impl Db {
    /// Creates an account. The author-page slug comes from the name, numbered if taken.
    pub async fn create_user(
        &self,
        name: &str,
        email: &Email,
        role: Role,
        password_hash: Option<&str>,
        bio: &str,
        now: Timestamp,
    ) -> Result<User, Error> {
        let base = Slug::from_text(name, "author").to_string();
        let mut slug = base.clone();
        let mut n = 1;
        while sqlx::query("SELECT 1 FROM users WHERE slug = $1")
            .bind(slug.clone())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?
            .is_some()
        {
            n += 1;
            slug = format!("{base}-{n}");
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (name, email, slug, bio, role, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(name.to_owned())
        .bind(email.as_str().to_owned())
        .bind(slug)
        .bind(bio.to_owned())
        .bind(role.as_str())
        .bind(password_hash.map(str::to_owned))
        .bind(to_micros(now))
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        self.user_by_id(id).await?.ok_or(Error::NotFound)
    }

    /// An account by id.
    pub async fn user_by_id(&self, id: i64) -> Result<Option<User>, Error> {
        let sql = "SELECT id, name, email, slug, bio, role FROM users WHERE id = $1";
        let row = sqlx::query(sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// An account by e-mail address (exact, as stored).
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, Error> {
        let row =
            sqlx::query("SELECT id, name, email, slug, bio, role FROM users WHERE email = $1")
                .bind(email.to_owned())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// An account by author-page slug.
    pub async fn user_by_slug(&self, slug: &str) -> Result<Option<User>, Error> {
        let row = sqlx::query("SELECT id, name, email, slug, bio, role FROM users WHERE slug = $1")
            .bind(slug.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Whether the site has an owner account that can log in.
    pub async fn owner_exists(&self) -> Result<bool, Error> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE role = 'owner' AND password_hash IS NOT NULL",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(n > 0)
    }

    /// The stored password hash of an account, for logging in.
    pub async fn password_hash(&self, user_id: i64) -> Result<Option<String>, Error> {
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await
            .map(Option::flatten)
            .map_err(db_error)
    }

    /// Stores the hash of a new API token for `user_id`; returns the token's id.
    pub async fn create_token(
        &self,
        user_id: i64,
        label: &str,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<i64, Error> {
        sqlx::query_scalar(
            "INSERT INTO api_tokens (user_id, label, token_hash, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(user_id)
        .bind(label.to_owned())
        .bind(token_hash.to_owned())
        .bind(to_micros(now))
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)
    }

    /// The account a token belongs to, if the token exists and is not revoked; records its use.
    pub async fn user_by_token_hash(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<User>, Error> {
        let row = sqlx::query(
            "SELECT u.id, u.name, u.email, u.slug, u.bio, u.role, t.id, t.last_used_at \
             FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
        )
        .bind(token_hash.to_owned())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        let Some(row) = row else { return Ok(None) };
        let user = user_from_row(&row)?;
        let token_id: i64 = row.try_get(6).map_err(db_error)?;
        let last_used: Option<i64> = row.try_get(7).map_err(db_error)?;
        // Record use at minute resolution so that a busy API client does not turn every read
        // into a write.
        if last_used.is_none_or(|t| to_micros(now) - t > 60_000_000) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(to_micros(now))
                .bind(token_id)
                .execute(&self.pool)
                .await
                .map_err(db_error)?;
        }
        Ok(Some(user))
    }

    /// Revokes a token by id; false if there was no such live token.
    pub async fn revoke_token(&self, token_id: i64, now: Timestamp) -> Result<bool, Error> {
        let r = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(to_micros(now))
        .bind(token_id)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(r.rows_affected() > 0)
    }

    /// Revokes a token given the token itself; returns its id if one was revoked.
    pub async fn revoke_token_by_hash(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<i64>, Error> {
        let id: Option<i64> = sqlx::query_scalar(
            "UPDATE api_tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL RETURNING id",
        )
        .bind(to_micros(now))
        .bind(token_hash.to_owned())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(id)
    }

    /// The tokens of one account, newest first.
    pub async fn tokens_of(&self, user_id: i64) -> Result<Vec<TokenInfo>, Error> {
        let rows = sqlx::query(
            "SELECT id, label, created_at, last_used_at, revoked_at FROM api_tokens \
             WHERE user_id = $1 ORDER BY id DESC",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok(TokenInfo {
                    id: r.try_get(0).map_err(db_error)?,
                    label: r.try_get(1).map_err(db_error)?,
                    created_at: from_micros(r.try_get(2).map_err(db_error)?),
                    last_used_at: r
                        .try_get::<Option<i64>, _>(3)
                        .map_err(db_error)?
                        .map(from_micros),
                    revoked_at: r
                        .try_get::<Option<i64>, _>(4)
                        .map_err(db_error)?
                        .map(from_micros),
                })
            })
            .collect()
    }
}
