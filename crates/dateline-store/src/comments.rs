//! Reader comments.

use dateline_core::{
    Error,
    clock::{from_micros, to_micros},
    comments::{Comment, CommentStatus},
    text::Email,
};
use jiff::Timestamp;
use sqlx::{Row, any::AnyRow};

use crate::{Db, WriteTx, db_error};

/// A comment as the submit action stores it: validated, with its moderation status decided
/// and what is known of the reader who sent it.
#[derive(Debug, Clone)]
pub struct NewComment {
    /// The article it belongs to.
    pub article_id: i64,
    /// The comment it answers (already checked to be on the same article).
    pub parent_id: Option<i64>,
    /// Name to show.
    pub author_name: String,
    /// Private contact address.
    pub author_email: Option<Email>,
    /// The text.
    pub body: String,
    /// Moderation state.
    pub status: CommentStatus,
    /// When it was written.
    pub created_at: Timestamp,
    /// Keyed hash of the sender's IP address; none for staff and imports.
    pub ip_hash: Option<String>,
    /// The sender's user agent.
    pub user_agent: Option<String>,
}

fn comment_from_row(r: &AnyRow) -> Result<Comment, Error> {
    let status: String = r.try_get(5).map_err(db_error)?;
    Ok(Comment {
        id: r.try_get(0).map_err(db_error)?,
        article_id: r.try_get(1).map_err(db_error)?,
        parent_id: r.try_get(2).map_err(db_error)?,
        author_name: r.try_get(3).map_err(db_error)?,
        body: r.try_get(4).map_err(db_error)?,
        status: CommentStatus::parse("status", &status)
            .map_err(|_| Error::Internal(format!("unknown comment status {status}")))?,
        created_at: from_micros(r.try_get(6).map_err(db_error)?),
    })
}

impl WriteTx {
    /// Stores a comment. Committed (and, on SQLite, synced to disk) with the transaction, before
    /// the reader is told it was accepted, so an acknowledged comment survives a crash.
    pub async fn insert_comment(&mut self, c: &NewComment) -> Result<Comment, Error> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO comments (article_id, parent_id, author_name, author_email, body, status, \
             created_at, ip_hash, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(c.article_id)
        .bind(c.parent_id)
        .bind(c.author_name.clone())
        .bind(c.author_email.as_ref().map(|e| e.as_str().to_owned()))
        .bind(c.body.clone())
        .bind(c.status.as_str())
        .bind(to_micros(c.created_at))
        .bind(c.ip_hash.clone())
        .bind(c.user_agent.clone())
        .fetch_one(&mut *self.conn())
        .await
        .map_err(db_error)?;
        Ok(Comment {
            id,
            article_id: c.article_id,
            parent_id: c.parent_id,
            author_name: c.author_name.clone(),
            body: c.body.clone(),
            status: c.status,
            created_at: c.created_at,
        })
    }

    /// The article a comment belongs to, if the comment exists.
    pub async fn article_of_comment(&mut self, comment_id: i64) -> Result<Option<i64>, Error> {
        sqlx::query_scalar("SELECT article_id FROM comments WHERE id = $1")
            .bind(comment_id)
            .fetch_optional(&mut *self.conn())
            .await
            .map_err(db_error)
    }
}

impl Db {
    /// The approved comments of an article, oldest first.
    pub async fn approved_comments(&self, article_id: i64) -> Result<Vec<Comment>, Error> {
        let rows = sqlx::query(
            "SELECT id, article_id, parent_id, author_name, body, status, created_at FROM comments \
             WHERE article_id = $1 AND status = 'approved' ORDER BY created_at, id",
        )
        .bind(article_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(comment_from_row).collect()
    }

    /// A comment by id, whatever its status.
    pub async fn comment_by_id(&self, id: i64) -> Result<Option<Comment>, Error> {
        let row = sqlx::query(
            "SELECT id, article_id, parent_id, author_name, body, status, created_at FROM comments \
             WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.as_ref().map(comment_from_row).transpose()
    }

    /// The private e-mail stored with a comment; for moderators and tests, never for pages.
    pub async fn comment_email(&self, comment_id: i64) -> Result<Option<String>, Error> {
        sqlx::query_scalar("SELECT author_email FROM comments WHERE id = $1")
            .bind(comment_id)
            .fetch_optional(&self.pool)
            .await
            .map(Option::flatten)
            .map_err(db_error)
    }

    /// The user agent stored with a comment.
    pub async fn comment_user_agent(&self, comment_id: i64) -> Result<Option<String>, Error> {
        sqlx::query_scalar("SELECT user_agent FROM comments WHERE id = $1")
            .bind(comment_id)
            .fetch_optional(&self.pool)
            .await
            .map(Option::flatten)
            .map_err(db_error)
    }

    /// The keyed IP hash stored with a comment.
    pub async fn comment_ip_hash(&self, comment_id: i64) -> Result<Option<String>, Error> {
        sqlx::query_scalar("SELECT ip_hash FROM comments WHERE id = $1")
            .bind(comment_id)
            .fetch_optional(&self.pool)
            .await
            .map(Option::flatten)
            .map_err(db_error)
    }
}
