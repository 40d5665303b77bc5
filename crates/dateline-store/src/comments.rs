//! Reader comments.

use dateline_core::{
    Error,
    articles::CommentTarget,
    clock::{from_micros, to_micros},
    comments::{Comment, CommentStatus},
    text::Email,
};
use jiff::Timestamp;
use sqlx::{Row, any::AnyRow};

use crate::{Db, WriteTx, db_error, postgres, sql::Sql, sqlite};

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
    /// Why the intake held it or marked it as spam; empty for none.
    pub reasons: Vec<String>,
    /// Keyed hash of the e-mail address given, lower-cased ([`dateline_app`]'s `email_hash`).
    pub email_hash: Option<String>,
    /// The member of staff who wrote it.
    pub author_user_id: Option<i64>,
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
        by_staff: r.try_get::<Option<i64>, _>(7).map_err(db_error)?.is_some(),
    })
}

/// The comment `c` as stored with id `id`.
fn stored_comment(id: i64, c: &NewComment) -> Comment {
    Comment {
        id,
        article_id: c.article_id,
        parent_id: c.parent_id,
        author_name: c.author_name.clone(),
        body: c.body.clone(),
        status: c.status,
        created_at: c.created_at,
        by_staff: c.author_user_id.is_some(),
    }
}

impl WriteTx {
    /// Stores a comment. Committed (and, on SQLite, synced to disk) with the transaction, before
    /// the reader is told it was accepted, so an acknowledged comment survives a crash.
    pub async fn insert_comment(&mut self, c: &NewComment) -> Result<Comment, Error> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO comments (article_id, parent_id, author_name, author_email, body, status, \
             created_at, ip_hash, user_agent, reasons, email_hash, author_user_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
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
        .bind(serde_json::to_string(&c.reasons).map_err(|e| Error::Internal(e.to_string()))?)
        .bind(c.email_hash.clone())
        .bind(c.author_user_id)
        .fetch_one(&mut *self.conn())
        .await
        .map_err(db_error)?;
        Ok(stored_comment(id, c))
    }

    /// Stores several comments with one statement, in order; returns them as stored. Either
    /// every one is stored or, if the statement fails, none (the intake then stores them one by
    /// one, to find the one that fails).
    pub async fn insert_comments(&mut self, cs: &[NewComment]) -> Result<Vec<Comment>, Error> {
        match cs {
            [] => return Ok(Vec::new()),
            [one] => return Ok(vec![self.insert_comment(one).await?]),
            _ => {}
        }
        let rows = cs
            .iter()
            .map(|c| {
                Ok((
                    c.article_id,
                    c.parent_id,
                    c.author_name.as_str(),
                    c.author_email.as_ref().map(|e| e.as_str()),
                    c.body.as_str(),
                    c.status.as_str(),
                    to_micros(c.created_at),
                    c.ip_hash.as_deref(),
                    c.user_agent.as_deref(),
                    serde_json::to_string(&c.reasons)
                        .map_err(|e| Error::Internal(e.to_string()))?,
                    c.email_hash.as_deref(),
                    c.author_user_id,
                ))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let rows = serde_json::to_string(&rows).map_err(|e| Error::Internal(e.to_string()))?;
        let sql = match self.backend() {
            crate::Backend::Sqlite => sqlite::INSERT_COMMENTS_JSON,
            crate::Backend::Postgres => postgres::INSERT_COMMENTS_JSON,
        };
        let mut ids: Vec<i64> = sqlx::query_scalar(sql)
            .bind(rows)
            .fetch_all(&mut *self.conn())
            .await
            .map_err(db_error)?;
        if ids.len() != cs.len() {
            return Err(Error::Internal(format!(
                "{} comments inserted, {} ids returned",
                cs.len(),
                ids.len()
            )));
        }
        // Both engines give the rows their ids in the order they are inserted, which the
        // `ORDER BY` of the array's positions sets; RETURNING's own order is not promised, so
        // the ids are put in order.
        ids.sort_unstable();
        Ok(cs
            .iter()
            .zip(ids)
            .map(|(c, id)| stored_comment(id, c))
            .collect())
    }

    /// The comments (trashed ones aside) written after `since` on one of `article_ids` with one
    /// of `bodies`, as (article id, text, time): what the intake's duplicate check of a batch
    /// looks for, in one query (it pairs them up itself).
    pub async fn recent_comments_like(
        &mut self,
        article_ids: &[i64],
        bodies: &[&str],
        since: Timestamp,
    ) -> Result<Vec<(i64, String, Timestamp)>, Error> {
        if article_ids.is_empty() || bodies.is_empty() {
            return Ok(Vec::new());
        }
        let mut q =
            Sql::new("SELECT article_id, body, created_at FROM comments WHERE article_id IN (");
        q.bind_list(article_ids.iter().copied())
            .push(") AND body IN (")
            .bind_list(bodies.iter().map(|b| (*b).to_owned()))
            .push(") AND created_at > ")
            .bind(to_micros(since))
            .push(" AND status <> 'trash'");
        let rows = q
            .query()?
            .fetch_all(&mut *self.conn())
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0).map_err(db_error)?,
                    r.try_get(1).map_err(db_error)?,
                    from_micros(r.try_get(2).map_err(db_error)?),
                ))
            })
            .collect()
    }

    /// Those of `email_hashes` (keyed hashes of e-mail addresses) that a comment was ever
    /// approved from: the first-time rule of a whole batch, in one query.
    pub async fn approved_senders(
        &mut self,
        email_hashes: &[&str],
    ) -> Result<std::collections::HashSet<String>, Error> {
        if email_hashes.is_empty() {
            return Ok(Default::default());
        }
        let mut q = Sql::new(
            "SELECT DISTINCT email_hash FROM comments WHERE status = 'approved' AND email_hash IN (",
        );
        q.bind_list(email_hashes.iter().map(|h| (*h).to_owned()))
            .push(")");
        let found: Vec<String> = q
            .query_scalar()?
            .fetch_all(&mut *self.conn())
            .await
            .map_err(db_error)?;
        Ok(found.into_iter().collect())
    }

    /// The article of each of the comments `ids` that exists, in one query.
    pub async fn articles_of_comments(
        &mut self,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, i64>, Error> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let mut q = Sql::new("SELECT id, article_id FROM comments WHERE id IN (");
        q.bind_list(ids.iter().copied()).push(")");
        let rows = q
            .query()?
            .fetch_all(&mut *self.conn())
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0).map_err(db_error)?,
                    r.try_get(1).map_err(db_error)?,
                ))
            })
            .collect()
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

impl WriteTx {
    /// Marks where one comment of a batch begins, so that [`WriteTx::undo_comment`] can take
    /// back its writes alone (a refused comment, a failed insert) and leave the others'. The
    /// intake writes several comments in one transaction to share one commit.
    pub async fn begin_comment(&mut self) -> Result<(), Error> {
        self.savepoint_sql("SAVEPOINT comment").await
    }

    /// Keeps the writes since [`WriteTx::begin_comment`] in the transaction.
    pub async fn keep_comment(&mut self) -> Result<(), Error> {
        self.savepoint_sql("RELEASE SAVEPOINT comment").await
    }

    /// Takes back the writes since [`WriteTx::begin_comment`], and on PostgreSQL clears the
    /// error that a failed statement left the transaction in.
    pub async fn undo_comment(&mut self) -> Result<(), Error> {
        // Rolling back to a savepoint keeps it; releasing it too leaves none behind.
        self.savepoint_sql("ROLLBACK TO SAVEPOINT comment").await?;
        self.savepoint_sql("RELEASE SAVEPOINT comment").await
    }

    /// One savepoint statement; one comment's savepoint at a time, so one name serves.
    async fn savepoint_sql(&mut self, sql: &'static str) -> Result<(), Error> {
        sqlx::query(sql)
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
        Ok(())
    }
}

impl Db {
    /// An article (not in the trash) as the comment intake needs it.
    pub async fn article_for_comment(&self, id: i64) -> Result<Option<CommentTarget>, Error> {
        let mut q = crate::sql::Sql::new(&COMMENT_TARGET);
        q.push(" WHERE a.deleted_at IS NULL AND a.id = ").bind(id);
        let row = q
            .query()?
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.as_ref().map(comment_target_from_row).transpose()
    }
}

/// The columns of a [`CommentTarget`], then `extra`'s, from `articles a`.
fn select_comment_target(extra: &str) -> String {
    format!(
        "SELECT a.id, a.slug, a.status, a.published_at, a.author_id, a.comments_open{extra} \
         FROM articles a"
    )
}

static COMMENT_TARGET: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| select_comment_target(""));

/// How many columns [`select_comment_target`] reads before `extra`'s.
const COMMENT_TARGET_COLUMNS: usize = 6;

fn comment_target_from_row(row: &AnyRow) -> Result<CommentTarget, Error> {
    Ok(CommentTarget {
        id: row.try_get(0).map_err(db_error)?,
        slug: row.try_get(1).map_err(db_error)?,
        status: crate::articles::status_from_row(row, 2)?,
        published_at: crate::articles::time_from_row(row, 3)?,
        author_id: row.try_get(4).map_err(db_error)?,
        comments_open: row.try_get::<i64, _>(5).map_err(db_error)? != 0,
    })
}

/// [`Db::articles_for_reader_comments`]: for each read given as a JSON array `[n, article_id,
/// email_hash, address_hash, at]` (`$1`, as the rows `reads`), the article as
/// [`Db::article_for_comment`] reads it, then which of the writer's e-mail address hash and
/// address hash is blocked at `at` (the e-mail first), the classifier's totals (`$2` names
/// their row), and `n`. `text(i)` and `number(i)` read field `i` of a read.
fn articles_for_reader_comments_sql(
    reads: &str,
    text: fn(usize) -> String,
    number: fn(usize) -> String,
) -> String {
    let extra = format!(
        ", (SELECT kind FROM comment_blocks \
         WHERE ((kind = 'email' AND hash = {}) OR (kind = 'address' AND hash = {})) \
         AND (until IS NULL OR until > {}) ORDER BY kind DESC LIMIT 1), \
         (SELECT spam FROM classifier_features WHERE feature = $2), \
         (SELECT ham FROM classifier_features WHERE feature = $2), {}",
        text(2),
        text(3),
        number(4),
        number(0),
    );
    format!(
        "{}, {reads} WHERE a.deleted_at IS NULL AND a.id = {}",
        select_comment_target(&extra),
        number(1),
    )
}

/// [`articles_for_reader_comments_sql`] for SQLite, then for PostgreSQL.
static ARTICLES_FOR_READER_COMMENTS: std::sync::LazyLock<[String; 2]> =
    std::sync::LazyLock::new(|| {
        [
            articles_for_reader_comments_sql(
                "jsonb_each($1) AS r",
                |i| format!("(r.value ->> {i})"),
                |i| format!("(r.value ->> {i})"),
            ),
            articles_for_reader_comments_sql(
                "jsonb_array_elements($1::jsonb) AS r(v)",
                |i| format!("(r.v ->> {i})"),
                |i| format!("(r.v ->> {i})::bigint"),
            ),
        ]
    });

/// What the intake reads about a reader's comment with its article, before the transaction.
#[derive(Debug, Clone, Default)]
pub struct ReaderCommentFacts {
    /// Which of the writer's e-mail address and address is blocked (`email` or `address`,
    /// the e-mail first), if one is.
    pub blocked_as: Option<String>,
    /// How many examples of each kind the classifier has learned from.
    pub examples: dateline_core::classifier::Examples,
}

/// One reader's comment whose article and facts [`Db::articles_for_reader_comments`] reads.
#[derive(Debug, Clone)]
pub struct ReaderCommentRead {
    /// The article commented on.
    pub article_id: i64,
    /// The keyed hash of the writer's e-mail address, if they gave one.
    pub email_hash: Option<String>,
    /// The keyed hash of their address.
    pub address_hash: String,
    /// When the comment arrived, for blocks that end.
    pub at: Timestamp,
}

impl Db {
    /// For each of `reads`, in order: [`Db::article_for_comment`] (`None` when there is no
    /// such article), and what the intake needs to know of the writer that no other comment
    /// can change: whether their e-mail address (by its keyed hash) or their address is
    /// blocked, and the classifier's totals. One statement for all of them, whose text is the
    /// same however many they are.
    pub async fn articles_for_reader_comments(
        &self,
        reads: &[ReaderCommentRead],
    ) -> Result<Vec<Option<(CommentTarget, ReaderCommentFacts)>>, Error> {
        let mut found: Vec<Option<_>> = reads.iter().map(|_| None).collect();
        if reads.is_empty() {
            return Ok(found);
        }
        let rows: Vec<serde_json::Value> = reads
            .iter()
            .enumerate()
            .map(|(n, r)| {
                serde_json::json!([
                    n,
                    r.article_id,
                    r.email_hash,
                    r.address_hash,
                    to_micros(r.at)
                ])
            })
            .collect();
        let sql = match self.backend {
            crate::Backend::Sqlite => &ARTICLES_FOR_READER_COMMENTS[0],
            crate::Backend::Postgres => &ARTICLES_FOR_READER_COMMENTS[1],
        };
        let rows = sqlx::query(sql.as_str())
            .bind(serde_json::Value::Array(rows).to_string())
            .bind(crate::classifier::TOTALS)
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        let at = COMMENT_TARGET_COLUMNS;
        for row in &rows {
            let article = comment_target_from_row(row)?;
            let facts = ReaderCommentFacts {
                blocked_as: row.try_get(at).map_err(db_error)?,
                examples: dateline_core::classifier::Examples {
                    spam: row
                        .try_get::<Option<i64>, _>(at + 1)
                        .map_err(db_error)?
                        .unwrap_or(0),
                    ham: row
                        .try_get::<Option<i64>, _>(at + 2)
                        .map_err(db_error)?
                        .unwrap_or(0),
                },
            };
            let n: i64 = row.try_get(at + 3).map_err(db_error)?;
            let slot = usize::try_from(n)
                .ok()
                .and_then(|n| found.get_mut(n))
                .ok_or_else(|| Error::Internal(format!("a read numbered {n} came back")))?;
            *slot = Some((article, facts));
        }
        Ok(found)
    }
}

impl Db {
    /// The approved comments of an article, oldest first.
    ///
    /// Read as one row holding a JSON array, one `[id, parent_id, author_name, body,
    /// created_at, author_user_id]` for each: a row costs sqlx's `Any` driver an allocation for
    /// each of its columns' names and values (and SQLite's driver a message between threads),
    /// which for an article with 500 comments took longer than rendering them.
    pub async fn approved_comments(&self, article_id: i64) -> Result<Vec<Comment>, Error> {
        let sql = match self.backend {
            crate::Backend::Sqlite => sqlite::APPROVED_COMMENTS_JSON,
            crate::Backend::Postgres => postgres::APPROVED_COMMENTS_JSON,
        };
        let json: String = sqlx::query_scalar(sql)
            .bind(article_id)
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)?;
        type Fields = (i64, Option<i64>, String, String, i64, Option<i64>);
        let rows: Vec<Fields> = serde_json::from_str(&json)
            .map_err(|e| Error::Internal(format!("approved comments read back as {e}")))?;
        let mut comments: Vec<Comment> = rows
            .into_iter()
            .map(
                |(id, parent_id, author_name, body, created_at, author_user_id)| Comment {
                    id,
                    article_id,
                    parent_id,
                    author_name,
                    body,
                    status: CommentStatus::Approved,
                    created_at: from_micros(created_at),
                    by_staff: author_user_id.is_some(),
                },
            )
            .collect();
        // An aggregate's order is the database's to choose.
        comments.sort_by_key(|c| (c.created_at, c.id));
        Ok(comments)
    }

    /// A comment by id, whatever its status.
    pub async fn comment_by_id(&self, id: i64) -> Result<Option<Comment>, Error> {
        let row = sqlx::query(
            "SELECT id, article_id, parent_id, author_name, body, status, created_at, author_user_id \
             FROM comments \
             WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.as_ref().map(comment_from_row).transpose()
    }

    /// The comments with these ids (those that exist), in one query.
    pub async fn comments_by_ids(&self, ids: &[i64]) -> Result<Vec<Comment>, Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = crate::sql::Sql::new(
            "SELECT id, article_id, parent_id, author_name, body, status, created_at, author_user_id \
             FROM comments WHERE id IN (",
        );
        q.bind_list(ids.iter().copied()).push(")");
        let rows = q.query()?.fetch_all(&self.pool).await.map_err(db_error)?;
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

/// An approved comment with what a link to it needs of its article.
#[derive(Debug, Clone)]
pub struct CommentInContext {
    /// The comment.
    pub comment: Comment,
    /// Its article's headline.
    pub article_title: String,
    /// Its article's slug.
    pub article_slug: String,
    /// When its article was published (its dated address needs it).
    pub article_published_at: Timestamp,
}

impl Db {
    /// The newest approved comments (on one article, if given) on articles readers may see at
    /// `now`, newest first: what comment feeds show.
    pub async fn latest_comments(
        &self,
        now: Timestamp,
        article_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<CommentInContext>, Error> {
        let mut q = crate::sql::Sql::new(
            "SELECT c.id, c.article_id, c.parent_id, c.author_name, c.body, c.status, \
             c.created_at, c.author_user_id, a.title, a.slug, a.published_at \
             FROM comments c JOIN articles a ON a.id = c.article_id \
             WHERE c.status = 'approved' AND a.deleted_at IS NULL AND ",
        );
        crate::articles::push_visible(&mut q, now);
        if let Some(id) = article_id {
            q.push(" AND c.article_id = ").bind(id);
        }
        q.push(" ORDER BY c.created_at DESC, c.id DESC")
            .limit(limit);
        let rows = q.query()?.fetch_all(&self.pool).await.map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok(CommentInContext {
                    comment: comment_from_row(r)?,
                    article_title: r.try_get(8).map_err(db_error)?,
                    article_slug: r.try_get(9).map_err(db_error)?,
                    article_published_at: from_micros(r.try_get(10).map_err(db_error)?),
                })
            })
            .collect()
    }
}

/// A comment as moderators see it: with the private facts the intake recorded.
#[derive(Debug, Clone)]
pub struct ModerationItem {
    /// The comment.
    pub comment: Comment,
    /// The title of its article.
    pub article_title: String,
    /// The e-mail address the commenter gave.
    pub author_email: Option<String>,
    /// Keyed hash of the sender's address.
    pub ip_hash: Option<String>,
    /// Why the intake held it ("3 links > 2"); empty for none.
    pub reasons: Vec<String>,
    /// When a moderator last changed its text, and their note.
    pub edited: Option<(Timestamp, String)>,
}

const MODERATION_COLUMNS: &str = "c.id, c.article_id, c.parent_id, c.author_name, c.body, \
     c.status, c.created_at, c.author_user_id, a.title, c.author_email, c.ip_hash, c.reasons, c.edited_at, c.edit_note";

fn moderation_item(r: &AnyRow) -> Result<ModerationItem, Error> {
    let reasons: String = r.try_get(11).map_err(db_error)?;
    let edited_at: Option<i64> = r.try_get(12).map_err(db_error)?;
    let edit_note: Option<String> = r.try_get(13).map_err(db_error)?;
    Ok(ModerationItem {
        comment: comment_from_row(r)?,
        article_title: r.try_get(8).map_err(db_error)?,
        author_email: r.try_get(9).map_err(db_error)?,
        ip_hash: r.try_get(10).map_err(db_error)?,
        reasons: serde_json::from_str(&reasons).unwrap_or_default(),
        edited: edited_at.map(|t| (from_micros(t), edit_note.unwrap_or_default())),
    })
}

impl WriteTx {
    /// A comment by id, locked for this transaction's change on PostgreSQL.
    pub async fn comment_for_update(&mut self, id: i64) -> Result<Option<Comment>, Error> {
        let sql = match self.backend() {
            crate::Backend::Postgres => {
                "SELECT id, article_id, parent_id, author_name, body, status, created_at, \
                 author_user_id FROM comments WHERE id = $1 FOR UPDATE"
            }
            crate::Backend::Sqlite => {
                "SELECT id, article_id, parent_id, author_name, body, status, created_at, \
                 author_user_id FROM comments WHERE id = $1"
            }
        };
        let row = sqlx::query(sql)
            .bind(id)
            .fetch_optional(&mut *self.conn())
            .await
            .map_err(db_error)?;
        row.as_ref().map(comment_from_row).transpose()
    }

    /// Moves a comment to another moderation status.
    pub async fn set_comment_status(
        &mut self,
        id: i64,
        status: CommentStatus,
    ) -> Result<(), Error> {
        sqlx::query("UPDATE comments SET status = $1 WHERE id = $2")
            .bind(status.as_str())
            .bind(id)
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// Replaces a comment's text, keeping when and why.
    pub async fn edit_comment(
        &mut self,
        id: i64,
        body: &str,
        note: &str,
        at: Timestamp,
    ) -> Result<(), Error> {
        sqlx::query("UPDATE comments SET body = $1, edit_note = $2, edited_at = $3 WHERE id = $4")
            .bind(body.to_owned())
            .bind(note.to_owned())
            .bind(to_micros(at))
            .bind(id)
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// Deletes a comment for good; its replies stay, answering nothing.
    pub async fn delete_comment(&mut self, id: i64) -> Result<(), Error> {
        sqlx::query("UPDATE comments SET parent_id = NULL WHERE parent_id = $1")
            .bind(id)
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
        sqlx::query("DELETE FROM comments WHERE id = $1")
            .bind(id)
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
        Ok(())
    }
}

impl Db {
    /// One page of the moderation queue: comments in `status` (on one article, if given),
    /// newest first, with the total.
    pub async fn moderation_queue(
        &self,
        status: CommentStatus,
        article_id: Option<i64>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<ModerationItem>, i64), Error> {
        let filter = |q: &mut crate::sql::Sql| {
            q.push(" WHERE c.status = ")
                .bind(status.as_str().to_owned());
            if let Some(a) = article_id {
                q.push(" AND c.article_id = ").bind(a);
            }
        };
        let mut count = crate::sql::Sql::new("SELECT COUNT(*) FROM comments c");
        filter(&mut count);
        let total: i64 = count
            .query_scalar()?
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)?;
        let mut q = crate::sql::Sql::new(&format!(
            "SELECT {MODERATION_COLUMNS} FROM comments c JOIN articles a ON a.id = c.article_id"
        ));
        filter(&mut q);
        q.push(" ORDER BY c.created_at DESC, c.id DESC")
            .limit(limit)
            .offset(offset);
        let rows = q.query()?.fetch_all(&self.pool).await.map_err(db_error)?;
        let items = rows.iter().map(moderation_item).collect::<Result<_, _>>()?;
        Ok((items, total))
    }

    /// A comment as moderators see it.
    pub async fn moderation_item(&self, id: i64) -> Result<Option<ModerationItem>, Error> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MODERATION_COLUMNS} FROM comments c JOIN articles a ON a.id = c.article_id \
             WHERE c.id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.as_ref().map(moderation_item).transpose()
    }

    /// How many comments each moderation status holds.
    pub async fn comment_counts(&self) -> Result<Vec<(CommentStatus, i64)>, Error> {
        let rows = sqlx::query("SELECT status, COUNT(*) FROM comments GROUP BY status")
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        let mut counts = Vec::new();
        for r in rows {
            let status: String = r.try_get(0).map_err(db_error)?;
            if let Ok(s) = CommentStatus::parse("status", &status) {
                counts.push((s, r.try_get(1).map_err(db_error)?));
            }
        }
        Ok(counts)
    }
}

impl Db {
    /// Forgets the address hashes and user agents of comments written before `before`;
    /// returns how many comments changed. Also drops rate-limit buckets untouched since
    /// `stale_buckets`, which are full again and named by address hashes.
    pub async fn forget_comment_addresses(
        &self,
        before: Timestamp,
        stale_buckets: Timestamp,
    ) -> Result<u64, Error> {
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE comments SET ip_hash = NULL, user_agent = NULL \
             WHERE created_at < $1 AND (ip_hash IS NOT NULL OR user_agent IS NOT NULL)",
        )
        .bind(to_micros(before))
        .execute(&mut *tx.conn())
        .await
        .map_err(db_error)?
        .rows_affected();
        sqlx::query("DELETE FROM rate_buckets WHERE updated_at < $1")
            .bind(to_micros(stale_buckets))
            .execute(&mut *tx.conn())
            .await
            .map_err(db_error)?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Comments with an e-mail address but no hash of it (written before hashes were kept).
    pub async fn comments_without_email_hash(&self) -> Result<Vec<(i64, String)>, Error> {
        let sql = match self.backend {
            crate::Backend::Sqlite => sqlite::COMMENTS_WITHOUT_EMAIL_HASH,
            crate::Backend::Postgres => postgres::COMMENTS_WITHOUT_EMAIL_HASH,
        };
        let rows = sqlx::query(sql)
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0).map_err(db_error)?,
                    r.try_get(1).map_err(db_error)?,
                ))
            })
            .collect()
    }

    /// Stores the hash of a comment's e-mail address.
    pub async fn set_comment_email_hash(&self, id: i64, hash: &str) -> Result<(), Error> {
        sqlx::query("UPDATE comments SET email_hash = $1 WHERE id = $2")
            .bind(hash.to_owned())
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// How many of a commenter's comments (by the keyed hash of their e-mail address) were
    /// approved and how many were spam: their history, as moderators weigh it.
    pub async fn commenter_history(&self, email_hash: &str) -> Result<(i64, i64), Error> {
        let row = sqlx::query(
            "SELECT COALESCE(SUM(CASE WHEN status = 'approved' THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN status = 'spam' THEN 1 ELSE 0 END), 0) \
             FROM comments WHERE email_hash = $1",
        )
        .bind(email_hash.to_owned())
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok((
            row.try_get(0).map_err(db_error)?,
            row.try_get(1).map_err(db_error)?,
        ))
    }
}

/// A rate-limit bucket as stored: how many tokens it held at `updated_at` (microseconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateBucket {
    /// Tokens (fractions count: the bucket refills continuously).
    pub tokens: f64,
    /// When it last changed, in microseconds since the epoch.
    pub updated_at: i64,
}

/// What a bucket made for [`WriteTx::lock_rate_buckets`] holds until it is saved: no bucket.
const NEW_BUCKET: i64 = -1;

impl WriteTx {
    /// The rate-limit buckets `keys` (distinct) as stored, `None` for one that does not exist
    /// yet, each locked until the transaction ends, so that concurrent writers take turns. On
    /// SQLite the write transaction already excludes every other writer; on PostgreSQL a
    /// missing bucket is made as a placeholder so that there is a row to lock (a no-op update
    /// locks an existing one), in the order of the keys, so that two writers never wait for
    /// each other crosswise. [`WriteTx::save_rate_buckets`] then writes them back.
    pub async fn lock_rate_buckets(
        &mut self,
        keys: &[String],
    ) -> Result<std::collections::HashMap<String, Option<RateBucket>>, Error> {
        let mut found = std::collections::HashMap::with_capacity(keys.len());
        if keys.is_empty() {
            return Ok(found);
        }
        let mut sorted: Vec<&String> = keys.iter().collect();
        sorted.sort_unstable();
        let rows = match self.backend() {
            crate::Backend::Sqlite => {
                let mut q =
                    Sql::new("SELECT key, tokens, updated_at FROM rate_buckets WHERE key IN (");
                q.bind_list(sorted.iter().map(|k| (*k).clone())).push(")");
                q.query()?.fetch_all(&mut *self.conn()).await
            }
            crate::Backend::Postgres => {
                let keys =
                    serde_json::to_string(&sorted).map_err(|e| Error::Internal(e.to_string()))?;
                sqlx::query(postgres::LOCK_RATE_BUCKETS_JSON)
                    .bind(keys)
                    .bind(NEW_BUCKET)
                    .fetch_all(&mut *self.conn())
                    .await
            }
        }
        .map_err(db_error)?;
        for k in keys {
            found.insert(k.clone(), None);
        }
        for r in &rows {
            let key: String = r.try_get(0).map_err(db_error)?;
            let bucket = RateBucket {
                tokens: r.try_get(1).map_err(db_error)?,
                updated_at: r.try_get(2).map_err(db_error)?,
            };
            found.insert(key, (bucket.updated_at != NEW_BUCKET).then_some(bucket));
        }
        Ok(found)
    }

    /// Writes back the buckets the transaction took tokens from, and removes the placeholders
    /// of [`WriteTx::lock_rate_buckets`] that nothing was taken from (`untouched`): one
    /// statement each.
    pub async fn save_rate_buckets(
        &mut self,
        taken: &[(String, RateBucket)],
        untouched: &[String],
    ) -> Result<(), Error> {
        if !taken.is_empty() {
            let rows: Vec<(&str, f64, i64)> = taken
                .iter()
                .map(|(key, b)| (key.as_str(), b.tokens, b.updated_at))
                .collect();
            let rows = serde_json::to_string(&rows).map_err(|e| Error::Internal(e.to_string()))?;
            let sql = match self.backend() {
                crate::Backend::Sqlite => sqlite::SAVE_RATE_BUCKETS_JSON,
                crate::Backend::Postgres => postgres::SAVE_RATE_BUCKETS_JSON,
            };
            sqlx::query(sql)
                .bind(rows)
                .execute(&mut *self.conn())
                .await
                .map_err(db_error)?;
        }
        if self.backend() == crate::Backend::Postgres && !untouched.is_empty() {
            let mut q = Sql::new("DELETE FROM rate_buckets WHERE updated_at = ");
            q.bind(NEW_BUCKET)
                .push(" AND key IN (")
                .bind_list(untouched.iter().cloned())
                .push(")");
            q.query()?
                .execute(&mut *self.conn())
                .await
                .map_err(db_error)?;
        }
        Ok(())
    }
}

/// A commenter a moderator blocked.
#[derive(Debug, Clone)]
pub struct Block {
    /// Id, to lift it.
    pub id: i64,
    /// `email` or `address`.
    pub kind: String,
    /// The keyed hash blocked.
    pub hash: String,
    /// Until when; `None` for good.
    pub until: Option<Timestamp>,
    /// The comment it was made from.
    pub comment_id: Option<i64>,
    /// When it was made.
    pub created_at: Timestamp,
}

fn block_from_row(r: &AnyRow) -> Result<Block, Error> {
    Ok(Block {
        id: r.try_get(0).map_err(db_error)?,
        kind: r.try_get(1).map_err(db_error)?,
        hash: r.try_get(2).map_err(db_error)?,
        until: r
            .try_get::<Option<i64>, _>(3)
            .map_err(db_error)?
            .map(from_micros),
        comment_id: r.try_get(4).map_err(db_error)?,
        created_at: from_micros(r.try_get(5).map_err(db_error)?),
    })
}

impl WriteTx {
    /// Blocks `hash` of `kind` until `until` (or for good); blocking it again replaces the
    /// time. Returns the block's id.
    pub async fn add_block(
        &mut self,
        kind: &str,
        hash: &str,
        until: Option<Timestamp>,
        comment_id: i64,
        now: Timestamp,
    ) -> Result<i64, Error> {
        sqlx::query_scalar(
            "INSERT INTO comment_blocks (kind, hash, until, comment_id, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, hash) \
             DO UPDATE SET until = excluded.until, comment_id = excluded.comment_id RETURNING id",
        )
        .bind(kind.to_owned())
        .bind(hash.to_owned())
        .bind(until.map(to_micros))
        .bind(comment_id)
        .bind(to_micros(now))
        .fetch_one(&mut *self.conn())
        .await
        .map_err(db_error)
    }

    /// Lifts a block; the block as it was, if there was one.
    pub async fn remove_block(&mut self, id: i64) -> Result<Option<Block>, Error> {
        let row = sqlx::query(
            "SELECT id, kind, hash, until, comment_id, created_at FROM comment_blocks WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *self.conn())
        .await
        .map_err(db_error)?;
        let Some(block) = row.as_ref().map(block_from_row).transpose()? else {
            return Ok(None);
        };
        sqlx::query("DELETE FROM comment_blocks WHERE id = $1")
            .bind(id)
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
        Ok(Some(block))
    }

    /// The e-mail address and address hash stored with a comment.
    pub async fn comment_sender(
        &mut self,
        id: i64,
    ) -> Result<Option<(Option<String>, Option<String>)>, Error> {
        let row = sqlx::query("SELECT author_email, ip_hash FROM comments WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.conn())
            .await
            .map_err(db_error)?;
        row.map(|r| {
            Ok((
                r.try_get(0).map_err(db_error)?,
                r.try_get(1).map_err(db_error)?,
            ))
        })
        .transpose()
    }
}

impl Db {
    /// The blocks in force at `now`, newest first.
    pub async fn blocks(&self, now: Timestamp) -> Result<Vec<Block>, Error> {
        let rows = sqlx::query(
            "SELECT id, kind, hash, until, comment_id, created_at FROM comment_blocks \
             WHERE until IS NULL OR until > $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(to_micros(now))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(block_from_row).collect()
    }
}
