//! Reader comments.

use dateline_core::{
    Error,
    clock::{from_micros, to_micros},
    comments::{Comment, CommentInput, CommentStatus},
};
use sqlx::{Row, any::AnyRow};

use crate::{Db, db_error};

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

impl Db {
    /// Stores a comment. The insert is committed (and, on SQLite, synced to disk) before this
    /// returns, so a comment that was acknowledged survives a crash the instant after.
    pub async fn insert_comment(
        &self,
        article_id: i64,
        input: &CommentInput,
        ip_hash: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<Comment, Error> {
        if let Some(parent) = input.parent_id {
            let same_article: Option<i64> =
                sqlx::query_scalar("SELECT article_id FROM comments WHERE id = $1")
                    .bind(parent)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_error)?;
            if same_article != Some(article_id) {
                return Err(Error::invalid(
                    "parent_id",
                    "no comment on this article has this id",
                ));
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO comments (article_id, parent_id, author_name, author_email, body, status, \
             created_at, ip_hash, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(article_id)
        .bind(input.parent_id)
        .bind(input.author_name.clone())
        .bind(input.author_email.as_ref().map(|e| e.as_str().to_owned()))
        .bind(input.body.clone())
        .bind(input.status.as_str())
        .bind(to_micros(input.created_at))
        .bind(ip_hash.map(str::to_owned))
        .bind(user_agent.map(|ua| ua.chars().take(500).collect::<String>()))
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(Comment {
            id,
            article_id,
            parent_id: input.parent_id,
            author_name: input.author_name.clone(),
            body: input.body.clone(),
            status: input.status,
            created_at: input.created_at,
        })
    }

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

    /// The private e-mail stored with a comment; for moderators and tests, never for pages.
    pub async fn comment_email(&self, comment_id: i64) -> Result<Option<String>, Error> {
        sqlx::query_scalar("SELECT author_email FROM comments WHERE id = $1")
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
