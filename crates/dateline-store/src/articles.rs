//! Articles with their sources and topics.

use dateline_core::{
    Error,
    articles::{
        Article, ArticleInput, ArticleStatus, Byline, Correction, CorrectionKind, Editor,
        LeadImage, Prominence, Source,
    },
    clock::{from_micros, to_micros},
    revisions::{Revision, Snapshot},
    topics::Topic,
};
use jiff::Timestamp;
use sqlx::{
    AnyConnection, Arguments, Row,
    any::{AnyArguments, AnyRow},
    error::BoxDynError,
};

use crate::{
    Db, WriteTx, db_error,
    media::{MEDIA_COLUMN_COUNT, MEDIA_COLUMNS, media_from_row},
    sql::Sql,
};

/// Which articles a list shows. Built from [`ArticleFilter::readers`] or
/// [`ArticleFilter::staff`], so that no list forgets whose view it is; there is no default.
#[derive(Debug, Clone)]
pub struct ArticleFilter {
    scope: Scope,
    status: Option<ArticleStatus>,
    author_id: Option<i64>,
    topic_slug: Option<String>,
    published_between: Option<(Timestamp, Timestamp)>,
    title_contains: Option<String>,
    for_review: bool,
    prominence: Option<Prominence>,
}

#[derive(Debug, Clone, Copy)]
enum Scope {
    /// What a reader may see at this instant: published (or scheduled and due), not deleted.
    Readers(Timestamp),
    /// What readers may see, and every article of one author (their drafts and schedule).
    ReadersAndAuthor(Timestamp, i64),
    /// Every article that is not deleted.
    Staff,
    /// Every article in the trash.
    Trash,
}

impl ArticleFilter {
    /// What a reader may see at `now`: [`Article::is_visible_at`] in SQL.
    pub fn readers(now: Timestamp) -> Self {
        Self::new(Scope::Readers(now))
    }

    /// What readers may see at `now`, and every (undeleted) article by `author_id`: what an
    /// author or contributor reads.
    pub fn readers_and_author(now: Timestamp, author_id: i64) -> Self {
        Self::new(Scope::ReadersAndAuthor(now, author_id))
    }

    /// Every article that is not deleted, whatever its status.
    pub fn staff() -> Self {
        Self::new(Scope::Staff)
    }

    /// Every article in the trash (what staff may restore).
    pub fn trash() -> Self {
        Self::new(Scope::Trash)
    }

    fn new(scope: Scope) -> Self {
        ArticleFilter {
            scope,
            status: None,
            author_id: None,
            topic_slug: None,
            published_between: None,
            title_contains: None,
            for_review: false,
            prominence: None,
        }
    }

    /// Only those whose title contains `words` (ignoring case).
    pub fn title_contains(mut self, words: String) -> Self {
        self.title_contains = Some(words);
        self
    }

    /// Only drafts whose author asked for a review.
    pub fn for_review(mut self) -> Self {
        self.for_review = true;
        self
    }

    /// Only those with this place on the front page.
    pub fn with_prominence(mut self, prominence: Prominence) -> Self {
        self.prominence = Some(prominence);
        self
    }

    /// Only this status.
    pub fn with_status(mut self, status: ArticleStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only by this author.
    pub fn by_author(mut self, author_id: i64) -> Self {
        self.author_id = Some(author_id);
        self
    }

    /// Only filed under this topic slug.
    pub fn in_topic(mut self, slug: String) -> Self {
        self.topic_slug = Some(slug);
        self
    }

    /// Only published in `[from, to)`.
    pub fn published_between(mut self, from: Timestamp, to: Timestamp) -> Self {
        self.published_between = Some((from, to));
        self
    }
}

/// What a reader's request for an article slug finds.
#[derive(Debug)]
pub enum ArticleLookup {
    /// A visible article.
    Found(Box<Article>),
    /// It was deleted: answer 410.
    Gone,
    /// No visible article has that slug.
    Missing,
}

// Column order read by `article_from_row`.
pub(crate) static SELECT_ARTICLE: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| select_article("a.body_markdown, a.body_html"));

/// [`SELECT_ARTICLE`] with an empty body (Markdown and HTML), for what never shows it:
/// PostgreSQL would decompress each body to read it.
pub(crate) fn select_article_without_body() -> String {
    select_article("'', ''")
}

fn select_article(body: &str) -> String {
    format!(
        "SELECT a.id, a.slug, a.title, a.dek, {body}, a.status, \
         a.published_at, a.created_at, a.updated_at, u.id, u.name, u.slug, {MEDIA_COLUMNS}, \
         a.lead_caption, a.lead_alt, a.lead_credit, \
         COALESCE((SELECT k.approved FROM article_comment_counts k WHERE k.article_id = a.id), 0), \
         a.deleted_at, a.version, a.updated_by, ub.name, a.review_requested_at, a.prominence, \
         a.comments_open FROM articles a JOIN users u ON u.id = a.author_id \
         LEFT JOIN media m ON m.id = a.lead_media_id LEFT JOIN users ub ON ub.id = a.updated_by"
    )
}

/// Where the columns after the lead image's begin.
const AFTER_MEDIA: usize = 13 + MEDIA_COLUMN_COUNT;

/// The articles of rows read with [`SELECT_ARTICLE`], without their details.
pub(crate) fn articles_from_rows(rows: &[AnyRow]) -> Result<Vec<Article>, Error> {
    rows.iter()
        .map(|r| article_from_row(r).map(|(a, _)| a))
        .collect()
}

/// The article status in column `i`.
pub(crate) fn status_from_row(row: &AnyRow, i: usize) -> Result<ArticleStatus, Error> {
    let status: String = row.try_get(i).map_err(db_error)?;
    ArticleStatus::parse("status", &status)
        .map_err(|_| Error::Internal(format!("unknown article status {status}")))
}

/// The time in microseconds in column `i`, if any.
pub(crate) fn time_from_row(row: &AnyRow, i: usize) -> Result<Option<Timestamp>, Error> {
    Ok(row
        .try_get::<Option<i64>, _>(i)
        .map_err(db_error)?
        .map(from_micros))
}

pub(crate) fn article_from_row(row: &AnyRow) -> Result<(Article, bool), Error> {
    let lead_image = match media_from_row(row, 13)? {
        Some(media) => Some(LeadImage {
            media,
            caption: row
                .try_get::<Option<String>, _>(AFTER_MEDIA)
                .map_err(db_error)?
                .unwrap_or_default(),
            alt: row
                .try_get::<Option<String>, _>(AFTER_MEDIA + 1)
                .map_err(db_error)?
                .unwrap_or_default(),
            credit: row.try_get(AFTER_MEDIA + 2).map_err(db_error)?,
        }),
        None => None,
    };
    let deleted = row
        .try_get::<Option<i64>, _>(AFTER_MEDIA + 4)
        .map_err(db_error)?
        .is_some();
    let article = Article {
        id: row.try_get(0).map_err(db_error)?,
        slug: row.try_get(1).map_err(db_error)?,
        title: row.try_get(2).map_err(db_error)?,
        dek: row.try_get(3).map_err(db_error)?,
        body_markdown: row.try_get(4).map_err(db_error)?,
        body_html: row.try_get(5).map_err(db_error)?,
        status: status_from_row(row, 6)?,
        published_at: time_from_row(row, 7)?,
        created_at: from_micros(row.try_get(8).map_err(db_error)?),
        updated_at: from_micros(row.try_get(9).map_err(db_error)?),
        author: Byline {
            id: row.try_get(10).map_err(db_error)?,
            name: row.try_get(11).map_err(db_error)?,
            slug: row.try_get(12).map_err(db_error)?,
        },
        lead_image,
        sources: Vec::new(),
        topics: Vec::new(),
        comment_count: row.try_get(AFTER_MEDIA + 3).map_err(db_error)?,
        version: row.try_get(AFTER_MEDIA + 5).map_err(db_error)?,
        updated_by: match row
            .try_get::<Option<i64>, _>(AFTER_MEDIA + 6)
            .map_err(db_error)?
        {
            Some(id) => Some(Editor {
                id,
                name: row.try_get(AFTER_MEDIA + 7).map_err(db_error)?,
            }),
            None => None,
        },
        review_requested: row
            .try_get::<Option<i64>, _>(AFTER_MEDIA + 8)
            .map_err(db_error)?
            .is_some(),
        prominence: Prominence::from_i64(row.try_get(AFTER_MEDIA + 9).map_err(db_error)?),
        corrections: Vec::new(),
        comments_open: row.try_get::<i64, _>(AFTER_MEDIA + 10).map_err(db_error)? != 0,
    };
    Ok((article, deleted))
}

const SELECT_REVISION: &str = "SELECT r.number, r.author_id, u.name, r.actor, r.note, r.created_at, \
     r.snapshot FROM article_revisions r LEFT JOIN users u ON u.id = r.author_id";

fn revision_from_row(row: &AnyRow) -> Result<Revision, Error> {
    let snapshot: String = row.try_get(6).map_err(db_error)?;
    Ok(Revision {
        number: row.try_get(0).map_err(db_error)?,
        author: match row.try_get::<Option<i64>, _>(1).map_err(db_error)? {
            Some(id) => Some(Editor {
                id,
                name: row.try_get(2).map_err(db_error)?,
            }),
            None => None,
        },
        actor: row.try_get(3).map_err(db_error)?,
        note: row.try_get(4).map_err(db_error)?,
        created_at: from_micros(row.try_get(5).map_err(db_error)?),
        snapshot: serde_json::from_str::<Snapshot>(&snapshot)
            .map_err(|e| Error::Internal(format!("revision snapshot: {e}")))?,
    })
}

/// A `LIKE … ESCAPE '\\'` pattern that finds `words` anywhere, in lower case. Written out for
/// both engines: SQLite's LIKE ignores ASCII case, PostgreSQL's does not, so both sides are
/// lowered (SQLite's LOWER lowers ASCII only).
pub(crate) fn like_pattern(words: &str) -> String {
    format!(
        "%{}%",
        words
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// Appends the reader-visibility condition for lists: [`Article::is_visible_at`] in SQL.
pub(crate) fn push_visible(q: &mut Sql, at: Timestamp) {
    q.push("(a.status IN ('published', 'scheduled') AND a.published_at <= ")
        .bind(to_micros(at))
        .push(")");
}

impl WriteTx {
    /// Stores a new article with its sources and topics, and its search document; returns its
    /// id. `editor` is the member of staff who wrote it, if one did.
    pub async fn insert_article(
        &mut self,
        author_id: i64,
        input: &ArticleInput,
        editor: Option<i64>,
        now: Timestamp,
    ) -> Result<i64, Error> {
        check_lead_media(self.conn(), input).await?;
        let id: i64 = sqlx::query_scalar_with(
            "INSERT INTO articles (slug, title, dek, body_markdown, body_html, status, published_at, \
             updated_at, author_id, lead_media_id, lead_caption, lead_alt, lead_credit, updated_by, \
             comments_open, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $8) \
             RETURNING id",
            article_arguments(input, author_id, editor, now)?,
        )
        .fetch_one(&mut *self.conn())
        .await
        .map_err(db_error)?;
        write_sources_and_topics(self.conn(), id, input).await?;
        self.index_article(id).await?;
        Ok(id)
    }

    /// Replaces an article's content, sources and topics, and its search document, and counts
    /// one more version.
    pub async fn update_article(
        &mut self,
        id: i64,
        author_id: i64,
        input: &ArticleInput,
        editor: Option<i64>,
        now: Timestamp,
    ) -> Result<(), Error> {
        check_lead_media(self.conn(), input).await?;
        let mut args = article_arguments(input, author_id, editor, now)?;
        args.add(id).map_err(|e| Error::Internal(e.to_string()))?;
        let r = sqlx::query_with(
            "UPDATE articles SET slug = $1, title = $2, dek = $3, body_markdown = $4, body_html = $5, \
             status = $6, published_at = $7, updated_at = $8, author_id = $9, lead_media_id = $10, \
             lead_caption = $11, lead_alt = $12, lead_credit = $13, updated_by = $14, \
             comments_open = $15, version = version + 1 \
             WHERE id = $16 AND deleted_at IS NULL",
            args,
        )
        .execute(&mut *self.conn())
        .await
        .map_err(db_error)?;
        if r.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        for sql in [
            "DELETE FROM article_sources WHERE article_id = $1",
            "DELETE FROM article_topics WHERE article_id = $1",
        ] {
            sqlx::query(sql)
                .bind(id)
                .execute(&mut *self.conn())
                .await
                .map_err(db_error)?;
        }
        write_sources_and_topics(self.conn(), id, input).await?;
        self.index_article(id).await?;
        Ok(())
    }

    /// Moves an article to the trash: readers get 410 from now on; its slug stays reserved
    /// and [`WriteTx::restore_article`] brings it back.
    pub async fn trash_article(&mut self, id: i64, now: Timestamp) -> Result<(), Error> {
        let r = sqlx::query(
            "UPDATE articles SET deleted_at = $1, prominence = 0 WHERE id = $2 AND deleted_at IS NULL",
        )
        .bind(to_micros(now))
        .bind(id)
        .execute(&mut *self.conn())
        .await
        .map_err(db_error)?;
        if r.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    /// Marks one scheduled article published if its time has come; true if this call did it.
    /// Conditional, so that two processes running the same job publish it once. The version
    /// stays: readers saw the article from its time on, and nothing an editor wrote changed, so
    /// an editor whose form was open when the job ran can still save it.
    pub async fn publish_if_due(&mut self, id: i64, now: Timestamp) -> Result<bool, Error> {
        let r = sqlx::query(
            "UPDATE articles SET status = 'published' WHERE id = $1 \
             AND status = 'scheduled' AND deleted_at IS NULL AND published_at <= $2",
        )
        .bind(id)
        .bind(to_micros(now))
        .execute(&mut *self.conn())
        .await
        .map_err(db_error)?;
        Ok(r.rows_affected() > 0)
    }

    /// An article by id inside the transaction (after [`WriteTx::lock_article`], the row as it
    /// will stay until commit).
    pub async fn article_by_id(&mut self, id: i64) -> Result<Option<Article>, Error> {
        article_by_id(self.conn(), id).await
    }

    /// An article in the trash, by id.
    pub async fn trashed_article_by_id(&mut self, id: i64) -> Result<Option<Article>, Error> {
        trashed_article_by_id(self.conn(), id).await
    }

    /// Notes that an article changed now (a correction was added), by `editor`.
    pub async fn mark_updated(
        &mut self,
        id: i64,
        editor: Option<i64>,
        now: Timestamp,
    ) -> Result<(), Error> {
        sqlx::query("UPDATE articles SET updated_at = $1, updated_by = $2 WHERE id = $3")
            .bind(to_micros(now))
            .bind(editor)
            .bind(id)
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// Takes an article out of the trash, as it was when it went in.
    pub async fn restore_article(&mut self, id: i64) -> Result<(), Error> {
        let r = sqlx::query(
            "UPDATE articles SET deleted_at = NULL WHERE id = $1 AND deleted_at IS NOT NULL",
        )
        .bind(id)
        .execute(&mut *self.conn())
        .await
        .map_err(db_error)?;
        if r.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    /// Marks an article as waiting for an editor's review (`Some`), or no longer (`None`).
    pub async fn set_review_requested(
        &mut self,
        id: i64,
        at: Option<Timestamp>,
    ) -> Result<(), Error> {
        sqlx::query("UPDATE articles SET review_requested_at = $1 WHERE id = $2")
            .bind(at.map(to_micros))
            .bind(id)
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// Gives an article its place on the front page. Making it the lead takes the lead from
    /// whichever article had it (it goes back to the list by date); returns that article's id.
    pub async fn set_prominence(
        &mut self,
        id: i64,
        prominence: Prominence,
    ) -> Result<Option<i64>, Error> {
        let mut previous = None;
        if prominence == Prominence::Lead {
            previous = sqlx::query_scalar(
                "SELECT id FROM articles WHERE prominence = $1 AND id <> $2 AND deleted_at IS NULL",
            )
            .bind(Prominence::Lead.as_i64())
            .bind(id)
            .fetch_optional(&mut *self.conn())
            .await
            .map_err(db_error)?;
            sqlx::query("UPDATE articles SET prominence = $1 WHERE prominence = $2 AND id <> $3")
                .bind(Prominence::Normal.as_i64())
                .bind(Prominence::Lead.as_i64())
                .bind(id)
                .execute(&mut *self.conn())
                .await
                .map_err(db_error)?;
        }
        sqlx::query("UPDATE articles SET prominence = $1 WHERE id = $2")
            .bind(prominence.as_i64())
            .bind(id)
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
        Ok(previous)
    }

    /// Adds a correction or update to an article; returns its id.
    pub async fn insert_correction(
        &mut self,
        article_id: i64,
        kind: CorrectionKind,
        body: &str,
        created_by: Option<i64>,
        now: Timestamp,
    ) -> Result<i64, Error> {
        sqlx::query_scalar(
            "INSERT INTO article_corrections (article_id, kind, body, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(article_id)
        .bind(kind.as_str().to_owned())
        .bind(body.to_owned())
        .bind(created_by)
        .bind(to_micros(now))
        .fetch_one(&mut *self.conn())
        .await
        .map_err(db_error)
    }

    /// Keeps a save of an article as its next revision; returns the revision's number.
    pub async fn insert_revision(
        &mut self,
        article_id: i64,
        saved_by: Option<i64>,
        actor: &str,
        note: &str,
        snapshot: &Snapshot,
        now: Timestamp,
    ) -> Result<i64, Error> {
        let json = serde_json::to_string(snapshot)
            .map_err(|e| Error::Internal(format!("revision snapshot: {e}")))?;
        // The article's row is locked (or the database has one writer), so MAX + 1 is free.
        let number: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM article_revisions WHERE article_id = $1",
        )
        .bind(article_id)
        .fetch_one(&mut *self.conn())
        .await
        .map_err(db_error)?;
        sqlx::query(
            "INSERT INTO article_revisions (article_id, number, author_id, actor, note, snapshot, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(article_id)
        .bind(number)
        .bind(saved_by)
        .bind(actor.to_owned())
        .bind(note.to_owned())
        .bind(json)
        .bind(to_micros(now))
        .execute(&mut *self.conn())
        .await
        .map_err(db_error)?;
        Ok(number)
    }

    /// Replaces the snapshot of an article's latest revision if `saved_by` made it with
    /// `note` (an autosave following an autosave); true if it did.
    pub async fn replace_latest_revision(
        &mut self,
        article_id: i64,
        saved_by: i64,
        note: &str,
        snapshot: &Snapshot,
        now: Timestamp,
    ) -> Result<bool, Error> {
        let json = serde_json::to_string(snapshot)
            .map_err(|e| Error::Internal(format!("revision snapshot: {e}")))?;
        let r = sqlx::query(
            "UPDATE article_revisions SET snapshot = $1, created_at = $2 \
             WHERE article_id = $3 AND author_id = $4 AND note = $5 AND number = \
             (SELECT MAX(number) FROM article_revisions WHERE article_id = $3)",
        )
        .bind(json)
        .bind(to_micros(now))
        .bind(article_id)
        .bind(saved_by)
        .bind(note.to_owned())
        .execute(&mut *self.conn())
        .await
        .map_err(db_error)?;
        Ok(r.rows_affected() > 0)
    }

    /// Remembers that `old_slug` was an address of `article_id`, so that it keeps answering
    /// with a redirect; and forgets `current_slug` as an old address (an article may get an
    /// old slug back).
    pub async fn remember_old_slug(
        &mut self,
        article_id: i64,
        old_slug: &str,
        current_slug: &str,
        now: Timestamp,
    ) -> Result<(), Error> {
        sqlx::query("DELETE FROM article_redirects WHERE old_slug = $1 OR old_slug = $2")
            .bind(old_slug.to_owned())
            .bind(current_slug.to_owned())
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
        sqlx::query(
            "INSERT INTO article_redirects (old_slug, article_id, created_at) VALUES ($1, $2, $3)",
        )
        .bind(old_slug.to_owned())
        .bind(article_id)
        .bind(to_micros(now))
        .execute(&mut *self.conn())
        .await
        .map_err(db_error)?;
        Ok(())
    }

    /// Whether `slug` is taken, by an article (in the trash or not) or as an old address of one
    /// other than `except`.
    pub async fn slug_taken(&mut self, slug: &str, except: Option<i64>) -> Result<bool, Error> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM articles WHERE slug = $1 AND id <> $2 \
             UNION ALL SELECT article_id FROM article_redirects WHERE old_slug = $1 AND article_id <> $2",
        )
        .bind(slug.to_owned())
        .bind(except.unwrap_or(0))
        .fetch_optional(&mut *self.conn())
        .await
        .map_err(db_error)?;
        Ok(found.is_some())
    }
}

impl Db {
    /// The first moment after `now` at which an article becomes visible by time alone (a
    /// scheduled one coming due), if any: until then, which articles readers see cannot change
    /// without an event.
    pub async fn next_visible_after(&self, now: Timestamp) -> Result<Option<Timestamp>, Error> {
        let at: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(published_at) FROM articles WHERE status IN ('published', 'scheduled') \
             AND deleted_at IS NULL AND published_at > $1",
        )
        .bind(to_micros(now))
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(at.map(from_micros))
    }

    /// An article by id for staff, with sources and topics; deleted ones are not found.
    pub async fn article_by_id(&self, id: i64) -> Result<Option<Article>, Error> {
        let mut conn = self.pool.acquire().await.map_err(db_error)?;
        article_by_id(&mut conn, id).await
    }

    /// A published article by id as a reader may see it at `now`.
    pub async fn visible_article_by_id(
        &self,
        id: i64,
        now: Timestamp,
    ) -> Result<Option<Article>, Error> {
        Ok(self
            .article_by_id(id)
            .await?
            .filter(|a| a.is_visible_at(now)))
    }

    /// An article by slug as a reader may see it at `now`, without its sources, topics and
    /// corrections (left empty): a page that shows them reads them with
    /// [`Db::load_details`] alongside its other reads, instead of after this one.
    pub async fn article_for_reader(
        &self,
        slug: &str,
        now: Timestamp,
    ) -> Result<ArticleLookup, Error> {
        let mut q = Sql::new(&SELECT_ARTICLE);
        q.push(" WHERE a.slug = ").bind(slug.to_owned());
        let Some(row) = q
            .query()?
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?
        else {
            return Ok(ArticleLookup::Missing);
        };
        let (article, deleted) = article_from_row(&row)?;
        // A deleted article that readers once saw is gone; one they never saw was never there.
        if deleted && article.published_at.is_some_and(|t| t <= now) {
            return Ok(ArticleLookup::Gone);
        }
        if deleted || !article.is_visible_at(now) {
            return Ok(ArticleLookup::Missing);
        }
        Ok(ArticleLookup::Found(Box::new(article)))
    }

    /// Reads the sources, topics and corrections of `articles`, replacing what they held.
    pub async fn load_details(&self, articles: &mut [Article]) -> Result<(), Error> {
        let mut conn = self.pool.acquire().await.map_err(db_error)?;
        load_details(&mut conn, articles).await
    }

    /// One page of articles, newest first, with the total count for pagination. Lists carry
    /// topics and sources too, so that API clients need no second request.
    pub async fn list_articles(
        &self,
        filter: &ArticleFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<Article>, i64), Error> {
        let mut conn = self.pool.acquire().await.map_err(db_error)?;
        let mut count = Sql::new("SELECT COUNT(*) FROM articles a WHERE 1 = 1");
        push_filter(&mut count, filter);
        let total: i64 = count
            .query_scalar()?
            .fetch_one(&mut *conn)
            .await
            .map_err(db_error)?;

        let mut q = Sql::new(&SELECT_ARTICLE);
        q.push(" WHERE 1 = 1");
        push_filter(&mut q, filter);
        // Readers see only articles with a time, so theirs is the plain order of the readers'
        // indexes (0010); a draft has no time, and staff see it by its last change.
        q.push(match filter.scope {
            Scope::Readers(_) => " ORDER BY a.published_at DESC, a.id DESC",
            _ => " ORDER BY COALESCE(a.published_at, a.updated_at) DESC, a.id DESC",
        })
        .limit(limit)
        .offset(offset);
        let rows = q.query()?.fetch_all(&mut *conn).await.map_err(db_error)?;
        let mut articles = articles_from_rows(&rows)?;
        load_details(&mut conn, &mut articles).await?;
        Ok((articles, total))
    }

    /// An article in the trash by id.
    pub async fn trashed_article_by_id(&self, id: i64) -> Result<Option<Article>, Error> {
        let mut conn = self.pool.acquire().await.map_err(db_error)?;
        trashed_article_by_id(&mut conn, id).await
    }

    /// The revisions of an article, newest first, with their snapshots.
    pub async fn revisions(&self, article_id: i64) -> Result<Vec<Revision>, Error> {
        let mut q = Sql::new(SELECT_REVISION);
        q.push(" WHERE r.article_id = ")
            .bind(article_id)
            .push(" ORDER BY r.number DESC");
        let rows = q.query()?.fetch_all(&self.pool).await.map_err(db_error)?;
        rows.iter().map(revision_from_row).collect()
    }

    /// One revision of an article.
    pub async fn revision(&self, article_id: i64, number: i64) -> Result<Option<Revision>, Error> {
        let mut q = Sql::new(SELECT_REVISION);
        q.push(" WHERE r.article_id = ")
            .bind(article_id)
            .push(" AND r.number = ")
            .bind(number);
        let row = q
            .query()?
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.as_ref().map(revision_from_row).transpose()
    }

    /// The article that once had `old_slug`, as a reader may see it at `now`: where an old
    /// address now leads.
    pub async fn moved_article(
        &self,
        old_slug: &str,
        now: Timestamp,
    ) -> Result<Option<Article>, Error> {
        let id: Option<i64> =
            sqlx::query_scalar("SELECT article_id FROM article_redirects WHERE old_slug = $1")
                .bind(old_slug.to_owned())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
        match id {
            Some(id) => self.visible_article_by_id(id, now).await,
            None => Ok(None),
        }
    }

    /// Every topic, by name: what an editor may choose from.
    pub async fn topics(&self) -> Result<Vec<Topic>, Error> {
        let rows = sqlx::query("SELECT name, slug FROM topics ORDER BY LOWER(name), slug")
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok(Topic {
                    name: r.try_get(0).map_err(db_error)?,
                    slug: r.try_get(1).map_err(db_error)?,
                })
            })
            .collect()
    }

    /// A topic by slug.
    pub async fn topic_by_slug(&self, slug: &str) -> Result<Option<Topic>, Error> {
        let row = sqlx::query("SELECT name, slug FROM topics WHERE slug = $1")
            .bind(slug.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.map(|r| {
            Ok(Topic {
                name: r.try_get(0).map_err(db_error)?,
                slug: r.try_get(1).map_err(db_error)?,
            })
        })
        .transpose()
    }
}

/// An article by id with its details; deleted ones are not found.
async fn article_by_id(conn: &mut AnyConnection, id: i64) -> Result<Option<Article>, Error> {
    article_where(conn, id, "a.deleted_at IS NULL").await
}

/// An article in the trash by id, with its details.
async fn trashed_article_by_id(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<Article>, Error> {
    article_where(conn, id, "a.deleted_at IS NOT NULL").await
}

pub(crate) async fn article_where(
    conn: &mut AnyConnection,
    id: i64,
    condition: &'static str,
) -> Result<Option<Article>, Error> {
    let mut q = Sql::new(&SELECT_ARTICLE);
    q.push(" WHERE ")
        .push(condition)
        .push(" AND a.id = ")
        .bind(id);
    let Some(row) = q
        .query()?
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_error)?
    else {
        return Ok(None);
    };
    let mut articles = vec![article_from_row(&row)?.0];
    load_details(conn, &mut articles).await?;
    Ok(articles.pop())
}

/// Fills in the sources, topics and corrections of `articles` (replacing what they held) with
/// one statement: each is a round trip, and a page rendered after a change waits for them.
/// Each row is one detail, named by its first column (`s`ource, `t`opic, `c`orrection), in the
/// columns its kind uses; the rest are NULL.
pub(crate) async fn load_details(
    conn: &mut AnyConnection,
    articles: &mut [Article],
) -> Result<(), Error> {
    if articles.is_empty() {
        return Ok(());
    }
    for a in articles.iter_mut() {
        a.sources.clear();
        a.topics.clear();
        a.corrections.clear();
    }
    let ids: Vec<i64> = articles.iter().map(|a| a.id).collect();
    let mut q = Sql::new(
        "SELECT 's', article_id, position, title, author, outlet, url, published_on, \
         CAST(NULL AS BIGINT), CAST(NULL AS BIGINT) FROM article_sources WHERE article_id IN (",
    );
    q.bind_list(ids.iter().copied()).push(
        ") UNION ALL SELECT 't', at.article_id, at.position, t.name, t.slug, NULL, NULL, NULL, \
         NULL, NULL FROM article_topics at JOIN topics t ON t.id = at.topic_id \
         WHERE at.article_id IN (",
    );
    q.bind_list(ids.iter().copied()).push(
        ") UNION ALL SELECT 'c', article_id, 0, kind, body, NULL, NULL, NULL, created_at, id \
         FROM article_corrections WHERE article_id IN (",
    );
    q.bind_list(ids.iter().copied())
        .push(") ORDER BY 2, 1, 3, 9, 10");
    for r in q.query()?.fetch_all(&mut *conn).await.map_err(db_error)? {
        let kind: String = r.try_get(0).map_err(db_error)?;
        let article_id: i64 = r.try_get(1).map_err(db_error)?;
        let Some(a) = articles.iter_mut().find(|a| a.id == article_id) else {
            continue;
        };
        match kind.as_str() {
            "s" => a.sources.push(Source {
                title: r.try_get(3).map_err(db_error)?,
                author: r.try_get(4).map_err(db_error)?,
                outlet: r.try_get(5).map_err(db_error)?,
                url: r.try_get(6).map_err(db_error)?,
                published_at: r.try_get(7).map_err(db_error)?,
            }),
            "t" => a.topics.push(Topic {
                name: r.try_get(3).map_err(db_error)?,
                slug: r.try_get(4).map_err(db_error)?,
            }),
            _ => {
                let kind: String = r.try_get(3).map_err(db_error)?;
                a.corrections.push(Correction {
                    id: r.try_get(9).map_err(db_error)?,
                    kind: CorrectionKind::parse("kind", &kind)
                        .map_err(|_| Error::Internal(format!("unknown correction kind {kind}")))?,
                    body: r.try_get(4).map_err(db_error)?,
                    created_at: from_micros(r.try_get(8).map_err(db_error)?),
                });
            }
        }
    }
    Ok(())
}

pub(crate) fn push_filter(q: &mut Sql, f: &ArticleFilter) {
    match f.scope {
        Scope::Readers(at) => {
            q.push(" AND a.deleted_at IS NULL AND ");
            push_visible(q, at);
        }
        Scope::ReadersAndAuthor(at, author) => {
            q.push(" AND a.deleted_at IS NULL AND (a.author_id = ")
                .bind(author)
                .push(" OR ");
            push_visible(q, at);
            q.push(")");
        }
        Scope::Staff => {
            q.push(" AND a.deleted_at IS NULL");
        }
        Scope::Trash => {
            q.push(" AND a.deleted_at IS NOT NULL");
        }
    }
    if let Some(words) = &f.title_contains {
        let pattern = like_pattern(words);
        q.push(" AND LOWER(a.title) LIKE ")
            .bind(pattern)
            .push(" ESCAPE '\\'");
    }
    if f.for_review {
        q.push(" AND a.review_requested_at IS NOT NULL AND a.status = 'draft'");
    }
    if let Some(p) = f.prominence {
        q.push(" AND a.prominence = ").bind(p.as_i64());
    }
    if let Some(status) = f.status {
        q.push(" AND a.status = ").bind(status.as_str().to_owned());
    }
    if let Some(author) = f.author_id {
        q.push(" AND a.author_id = ").bind(author);
    }
    if let Some(topic) = &f.topic_slug {
        // The topic's articles are found through article_topics_topic_article, rather than each
        // visible article tested for the topic.
        q.push(
            " AND a.id IN (SELECT at.article_id FROM article_topics at \
             JOIN topics t ON t.id = at.topic_id WHERE t.slug = ",
        )
        .bind(topic.clone())
        .push(")");
    }
    if let Some((from, to)) = f.published_between {
        q.push(" AND a.published_at >= ")
            .bind(to_micros(from))
            .push(" AND a.published_at < ")
            .bind(to_micros(to));
    }
}

/// The values of `$1` to `$15` that the INSERT and the UPDATE of an article share, in order:
/// slug, title, dek, body_markdown, body_html, status, published_at, updated_at, author_id,
/// lead_media_id, lead_caption, lead_alt, lead_credit, updated_by, comments_open.
fn article_arguments(
    input: &ArticleInput,
    author_id: i64,
    editor: Option<i64>,
    now: Timestamp,
) -> Result<AnyArguments, Error> {
    let lead = input.lead_image.as_ref();
    let mut args = AnyArguments::default();
    let added: Result<(), BoxDynError> = (|| {
        args.add(input.slug.to_string())?;
        args.add(input.title.clone())?;
        args.add(input.dek.clone())?;
        args.add(input.body_markdown.clone())?;
        args.add(input.body_html.clone())?;
        args.add(input.status.as_str().to_owned())?;
        args.add(input.published_at.map(to_micros))?;
        args.add(to_micros(now))?;
        args.add(author_id)?;
        args.add(lead.map(|l| l.0))?;
        args.add(lead.map(|l| l.1.clone()))?;
        args.add(lead.map(|l| l.2.clone()))?;
        args.add(lead.and_then(|l| l.3.clone()))?;
        args.add(editor)?;
        args.add(i64::from(input.comments_open))?;
        Ok(())
    })();
    added.map_err(|e| Error::Internal(format!("binding article values: {e}")))?;
    Ok(args)
}

async fn check_lead_media(conn: &mut AnyConnection, input: &ArticleInput) -> Result<(), Error> {
    if let Some((media_id, ..)) = &input.lead_image {
        let found = sqlx::query("SELECT 1 FROM media WHERE id = $1")
            .bind(*media_id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_error)?;
        if found.is_none() {
            return Err(Error::invalid(
                "lead_image.media_id",
                "No uploaded media has this id: upload the image first.",
            ));
        }
    }
    Ok(())
}

async fn write_sources_and_topics(
    conn: &mut AnyConnection,
    article_id: i64,
    input: &ArticleInput,
) -> Result<(), Error> {
    for (position, s) in input.sources.iter().enumerate() {
        sqlx::query(
            "INSERT INTO article_sources (article_id, position, title, author, outlet, url, published_on) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(article_id)
        .bind(position as i64)
        .bind(s.title.clone())
        .bind(s.author.clone())
        .bind(s.outlet.clone())
        .bind(s.url.clone())
        .bind(s.published_at.clone())
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    }
    for (position, t) in input.topics.iter().enumerate() {
        sqlx::query(
            "INSERT INTO topics (name, slug) VALUES ($1, $2) ON CONFLICT (slug) DO NOTHING",
        )
        .bind(t.name.clone())
        .bind(t.slug.clone())
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
        let topic_id: i64 = sqlx::query_scalar("SELECT id FROM topics WHERE slug = $1")
            .bind(t.slug.clone())
            .fetch_one(&mut *conn)
            .await
            .map_err(db_error)?;
        sqlx::query(
            "INSERT INTO article_topics (article_id, topic_id, position) VALUES ($1, $2, $3)",
        )
        .bind(article_id)
        .bind(topic_id)
        .bind(position as i64)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    }
    Ok(())
}
