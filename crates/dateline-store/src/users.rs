//! Accounts and their API tokens.

use dateline_core::{
    Error,
    clock::{from_micros, to_micros},
    text::{Email, Slug},
    users::{Role, User},
};
use jiff::Timestamp;
use sqlx::{AnyConnection, Row, any::AnyRow};

use crate::{Db, WriteTx, db_error};

/// An API token as listed to its owner: never the token itself.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    /// Id, used to revoke it.
    pub id: i64,
    /// The account it belongs to.
    pub user_id: i64,
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
    user_from_row_at(row, 0)
}

/// Reads a [`User`] from `row` starting at column `at`: `id, name, email, slug, bio, role`.
pub(crate) fn user_from_row_at(row: &AnyRow, at: usize) -> Result<User, Error> {
    let role: String = row.try_get(at + 5).map_err(db_error)?;
    Ok(User {
        id: row.try_get(at).map_err(db_error)?,
        name: row.try_get(at + 1).map_err(db_error)?,
        email: row.try_get(at + 2).map_err(db_error)?,
        slug: row.try_get(at + 3).map_err(db_error)?,
        bio: row.try_get(at + 4).map_err(db_error)?,
        role: Role::parse("role", &role)
            .map_err(|_| Error::Internal(format!("unknown role {role}")))?,
    })
}

impl WriteTx {
    /// Creates an account. The author-page slug comes from the name, numbered if taken.
    pub async fn insert_user(
        &mut self,
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
            .fetch_optional(&mut *self.conn())
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
        .fetch_one(&mut *self.conn())
        .await
        .map_err(db_error)?;
        user_by(self.conn(), Key::Id(id))
            .await?
            .ok_or(Error::NotFound)
    }

    /// An account by e-mail address, as this transaction sees it.
    pub async fn user_by_email(&mut self, email: &str) -> Result<Option<User>, Error> {
        user_by(self.conn(), Key::Text(email.to_owned())).await
    }

    /// Whether the site has an owner account that can log in, as this transaction sees it.
    pub async fn owner_exists(&mut self) -> Result<bool, Error> {
        owner_exists(self.conn()).await
    }

    /// Stores the hash of a new API token for `user_id`; returns the token's id.
    pub async fn insert_token(
        &mut self,
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
        .fetch_one(&mut *self.conn())
        .await
        .map_err(db_error)
    }

    /// A token by id or by hash, as this transaction sees it.
    pub async fn token(&mut self, which: TokenRef<'_>) -> Result<Option<TokenInfo>, Error> {
        let (sql, key) = match which {
            TokenRef::Id(id) => (
                "SELECT id, user_id, label, created_at, last_used_at, revoked_at FROM api_tokens WHERE id = $1",
                Key::Id(id),
            ),
            TokenRef::Hash(h) => (
                "SELECT id, user_id, label, created_at, last_used_at, revoked_at FROM api_tokens WHERE token_hash = $1",
                Key::Text(h.to_owned()),
            ),
        };
        let q = sqlx::query(sql);
        let q = match key {
            Key::Id(id) => q.bind(id),
            Key::Text(t) => q.bind(t),
        };
        let row = q
            .fetch_optional(&mut *self.conn())
            .await
            .map_err(db_error)?;
        row.as_ref().map(|r| token_from_row(r, 0)).transpose()
    }

    /// Revokes a live token by id; false if it was already revoked.
    pub async fn revoke_token(&mut self, token_id: i64, now: Timestamp) -> Result<bool, Error> {
        let r = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(to_micros(now))
        .bind(token_id)
        .execute(&mut *self.conn())
        .await
        .map_err(db_error)?;
        Ok(r.rows_affected() > 0)
    }

    /// Records that a token was presented.
    pub async fn touch_token(&mut self, token_id: i64, now: Timestamp) -> Result<(), Error> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(to_micros(now))
            .bind(token_id)
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
        Ok(())
    }
}

/// Which token.
#[derive(Debug, Clone, Copy)]
pub enum TokenRef<'a> {
    /// By id.
    Id(i64),
    /// By the hash of the token itself.
    Hash(&'a str),
}

/// A lookup key: an id, or a text value (an e-mail address, a token hash).
enum Key {
    Id(i64),
    Text(String),
}

/// An account by id (`Key::Id`) or e-mail address (`Key::Text`).
async fn user_by(conn: &mut AnyConnection, key: Key) -> Result<Option<User>, Error> {
    let q = match key {
        Key::Id(id) => {
            sqlx::query("SELECT id, name, email, slug, bio, role FROM users WHERE id = $1").bind(id)
        }
        Key::Text(email) => {
            sqlx::query("SELECT id, name, email, slug, bio, role FROM users WHERE email = $1")
                .bind(email)
        }
    };
    let row = q.fetch_optional(&mut *conn).await.map_err(db_error)?;
    row.as_ref().map(user_from_row).transpose()
}

async fn owner_exists(conn: &mut AnyConnection) -> Result<bool, Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE role = 'owner' AND password_hash IS NOT NULL",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(db_error)?;
    Ok(n > 0)
}

/// Reads a token from `r` starting at column `at`: `id, user_id, label, created_at,
/// last_used_at, revoked_at`.
fn token_from_row(r: &AnyRow, at: usize) -> Result<TokenInfo, Error> {
    let time = |i: usize| -> Result<Option<jiff::Timestamp>, Error> {
        Ok(r.try_get::<Option<i64>, _>(at + i)
            .map_err(db_error)?
            .map(from_micros))
    };
    Ok(TokenInfo {
        id: r.try_get(at).map_err(db_error)?,
        user_id: r.try_get(at + 1).map_err(db_error)?,
        label: r.try_get(at + 2).map_err(db_error)?,
        created_at: from_micros(r.try_get(at + 3).map_err(db_error)?),
        last_used_at: time(4)?,
        revoked_at: time(5)?,
    })
}

impl Db {
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
        let mut conn = self.pool.acquire().await.map_err(db_error)?;
        owner_exists(&mut conn).await
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

    /// The account a live (unrevoked) token belongs to, with the token.
    pub async fn user_by_token_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<(User, TokenInfo)>, Error> {
        let row = sqlx::query(
            "SELECT u.id, u.name, u.email, u.slug, u.bio, u.role, \
             t.id, t.user_id, t.label, t.created_at, t.last_used_at, t.revoked_at \
             FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.deactivated_at IS NULL",
        )
        .bind(token_hash.to_owned())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some((user_from_row(&row)?, token_from_row(&row, 6)?)))
    }

    /// The tokens of one account, newest first.
    pub async fn tokens_of(&self, user_id: i64) -> Result<Vec<TokenInfo>, Error> {
        let rows = sqlx::query(
            "SELECT id, user_id, label, created_at, last_used_at, revoked_at FROM api_tokens \
             WHERE user_id = $1 ORDER BY id DESC",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(|r| token_from_row(r, 0)).collect()
    }
}

/// An account as the users page lists it.
#[derive(Debug, Clone)]
pub struct Account {
    /// The account.
    pub user: User,
    /// Whether it may sign in (not deactivated).
    pub active: bool,
    /// When it was created.
    pub created_at: Timestamp,
    /// Its picture, from the media library.
    pub avatar_media_id: Option<i64>,
    /// Whether it has a password (the system's byline has none and cannot sign in).
    pub can_sign_in: bool,
}

const ACCOUNT_COLUMNS: &str = "SELECT id, name, email, slug, bio, role, deactivated_at, created_at, \
     avatar_media_id, CAST(CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END AS BIGINT) FROM users";

fn account_from_row(r: &AnyRow) -> Result<Account, Error> {
    let has_password: i64 = r.try_get(9).map_err(db_error)?;
    Ok(Account {
        user: user_from_row(r)?,
        active: r.try_get::<Option<i64>, _>(6).map_err(db_error)?.is_none(),
        created_at: from_micros(r.try_get(7).map_err(db_error)?),
        avatar_media_id: r.try_get(8).map_err(db_error)?,
        can_sign_in: has_password != 0,
    })
}

impl WriteTx {
    /// An account with its state, as this transaction sees it.
    pub async fn account(&mut self, id: i64) -> Result<Option<Account>, Error> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ACCOUNT_COLUMNS} WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&mut *self.conn())
        .await
        .map_err(db_error)?;
        row.as_ref().map(account_from_row).transpose()
    }

    /// Changes an account's role.
    pub async fn set_role(&mut self, id: i64, role: Role) -> Result<(), Error> {
        sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(role.as_str())
            .bind(id)
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// Deactivates (`Some(now)`) or reactivates (`None`) an account. A deactivated account keeps
    /// its articles; its sessions and tokens stop working.
    pub async fn set_deactivated(&mut self, id: i64, at: Option<Timestamp>) -> Result<(), Error> {
        sqlx::query("UPDATE users SET deactivated_at = $1 WHERE id = $2")
            .bind(at.map(to_micros))
            .bind(id)
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
        if let Some(now) = at {
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
            )
            .bind(to_micros(now))
            .bind(id)
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
            self.revoke_sessions(id, None, now).await?;
        }
        Ok(())
    }

    /// Changes an account's name, biography and picture; a new name is written into the
    /// search documents of their articles.
    pub async fn update_profile(
        &mut self,
        id: i64,
        name: &str,
        bio: &str,
        avatar_media_id: Option<i64>,
    ) -> Result<(), Error> {
        let before: Option<String> = sqlx::query_scalar("SELECT name FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.conn())
            .await
            .map_err(db_error)?;
        sqlx::query("UPDATE users SET name = $1, bio = $2, avatar_media_id = $3 WHERE id = $4")
            .bind(name.to_owned())
            .bind(bio.to_owned())
            .bind(avatar_media_id)
            .bind(id)
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
        // Articles are found by their author's name.
        if before.is_some_and(|b| b != name) {
            self.index_articles_by(id).await?;
        }
        Ok(())
    }

    /// Replaces an account's password hash.
    pub async fn set_password_hash(&mut self, id: i64, hash: &str) -> Result<(), Error> {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash.to_owned())
            .bind(id)
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
        Ok(())
    }
}

impl Db {
    /// Every account, by name.
    pub async fn accounts(&self) -> Result<Vec<Account>, Error> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ACCOUNT_COLUMNS} ORDER BY name, id"
        )))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(account_from_row).collect()
    }

    /// One account with its state.
    pub async fn account(&self, id: i64) -> Result<Option<Account>, Error> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ACCOUNT_COLUMNS} WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.as_ref().map(account_from_row).transpose()
    }

    /// The password hash of an active account with this e-mail address, for signing in.
    pub async fn sign_in_credentials(&self, email: &str) -> Result<Option<(User, String)>, Error> {
        let row = sqlx::query(
            "SELECT id, name, email, slug, bio, role, password_hash FROM users \
             WHERE email = $1 AND deactivated_at IS NULL AND password_hash IS NOT NULL",
        )
        .bind(email.to_owned())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(|r| Ok((user_from_row(&r)?, r.try_get(6).map_err(db_error)?)))
            .transpose()
    }
}

impl WriteTx {
    /// Active owners that can sign in.
    pub async fn active_owners(&mut self) -> Result<i64, Error> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE role = 'owner' AND deactivated_at IS NULL \
             AND password_hash IS NOT NULL",
        )
        .fetch_one(&mut *self.conn())
        .await
        .map_err(db_error)
    }
}
