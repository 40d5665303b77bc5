//! The search index and the search. Every article has one search document (see
//! `dateline_core::search::SearchDocument`), written in the transaction of every change to
//! what the article is found by: [`WriteTx::insert_article`], [`WriteTx::update_article`] and a
//! change of its author's name ([`WriteTx::update_profile`]) call [`WriteTx::index_article`]
//! themselves, so no action can forget it. Documents are kept whatever the article's status;
//! a search joins `articles` and applies the scope of its [`ArticleFilter`], so drafts and the
//! trash are never found by readers and a scheduled article is found from its time on.
//!
//! How a document matches and ranks is the engine's own (`sqlite.rs`: FTS5; `postgres.rs`:
//! `tsvector`); the rest is here, once.

use dateline_core::{
    Error,
    articles::Article,
    search::{SearchDocument, SearchQuery},
};
use sqlx::{AnyConnection, Row};

use crate::{
    ArticleFilter, Backend, Db, WriteTx,
    articles::{SELECT_ARTICLE, article_where, articles_from_rows, load_details, push_filter},
    db_error, postgres,
    sql::Sql,
    sqlite,
};

impl WriteTx {
    /// Writes the search document of article `id` (in the trash or not) as it now is.
    pub async fn index_article(&mut self, id: i64) -> Result<(), Error> {
        write_document(self.conn(), id, Write::Replace).await
    }

    /// Writes the search document of article `id` unless it has one: the start-up pass over
    /// articles written before search existed. An action that changes the article meanwhile
    /// writes its own document, which this never overwrites with what it read before.
    pub async fn index_article_if_missing(&mut self, id: i64) -> Result<(), Error> {
        self.lock_article(id).await?;
        write_document(self.conn(), id, Write::IfMissing).await
    }

    /// Writes the search documents of every article by `author_id` again (their name is part
    /// of each).
    pub(crate) async fn index_articles_by(&mut self, author_id: i64) -> Result<(), Error> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM articles WHERE author_id = $1 ORDER BY id")
                .bind(author_id)
                .fetch_all(&mut *self.conn())
                .await
                .map_err(db_error)?;
        for id in ids {
            self.index_article(id).await?;
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Write {
    Replace,
    IfMissing,
}

async fn write_document(conn: &mut AnyConnection, id: i64, write: Write) -> Result<(), Error> {
    // Trashed articles keep a document, so that a restored one is found again at once.
    let Some(article) = article_where(conn, id, "1 = 1").await? else {
        return Err(Error::NotFound);
    };
    let doc = SearchDocument::of(&article);
    // An upsert, not delete-then-insert: two processes indexing one article at start-up must
    // not collide on its key.
    let sql = match write {
        Write::Replace => {
            "INSERT INTO search_documents (article_id, title, secondary, body) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (article_id) DO UPDATE SET \
             title = excluded.title, secondary = excluded.secondary, body = excluded.body"
        }
        Write::IfMissing => {
            "INSERT INTO search_documents (article_id, title, secondary, body) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (article_id) DO NOTHING"
        }
    };
    sqlx::query(sql)
        .bind(id)
        .bind(doc.title)
        .bind(doc.secondary)
        .bind(doc.body)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

impl Db {
    /// Up to `limit` articles (trashed ones too) that have no search document yet, by id.
    pub async fn articles_without_search_document(&self, limit: i64) -> Result<Vec<i64>, Error> {
        sqlx::query_scalar(
            "SELECT a.id FROM articles a WHERE NOT EXISTS \
             (SELECT 1 FROM search_documents d WHERE d.article_id = a.id) ORDER BY a.id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)
    }

    /// One page of the articles in `filter`'s scope that match `query`, best first: those whose
    /// title holds the whole query, then by the engine's relevance, then newest. Only the
    /// [`SEARCH_RANKED`] matches written last are ranked (and counted, and can be paged to), so
    /// that a word in most articles costs no more than a rare one. An empty query matches
    /// nothing.
    pub async fn search_articles(
        &self,
        filter: &ArticleFilter,
        query: &SearchQuery,
        limit: i64,
        offset: i64,
    ) -> Result<Found, Error> {
        if query.is_empty() {
            return Ok(Found::default());
        }
        let mut pooled = self.pool.acquire().await.map_err(db_error)?;
        // One snapshot for the ranking and the articles it names.
        let mut conn = sqlx::Connection::begin(&mut *pooled)
            .await
            .map_err(db_error)?;
        if self.backend == Backend::Postgres {
            // Planned for this query's own words: a prepared statement's generic plan, made
            // without them after a few runs, scores every match of a common word through the
            // GIN index (150 to 360 ms at 100,000 articles, against 6 ms).
            sqlx::query("SET LOCAL plan_cache_mode = force_custom_plan")
                .execute(&mut *conn)
                .await
                .map_err(db_error)?;
        }
        // One statement, so that only the page's ids leave the database. `w`: the newest
        // matches with their relevance, one more than are ranked, to tell whether there are
        // more; the engines walk their index in article order and stop there, instead of
        // scoring every match. Then `w` ranked (the extra, oldest one left out): those whose
        // title holds the whole query first, then by relevance, then newest.
        let mut q = Sql::new("WITH w AS MATERIALIZED (");
        self.push_matches(&mut q, filter, query);
        q.push(match self.backend {
            Backend::Sqlite => sqlite::SEARCH_NEWEST_FIRST,
            Backend::Postgres => postgres::SEARCH_NEWEST_FIRST,
        })
        .limit(SEARCH_RANKED as i64 + 1)
        .push(
            "), counted AS (SELECT COUNT(*) AS n, MIN(id) AS oldest FROM w) \
             SELECT w.id, counted.n FROM w CROSS JOIN counted \
             WHERE counted.n <= ",
        )
        .bind(SEARCH_RANKED as i64)
        .push(" OR w.id > counted.oldest ORDER BY ");
        match self.backend {
            Backend::Sqlite => sqlite::push_in_title(&mut q, query),
            Backend::Postgres => postgres::push_in_title(&mut q, query),
        }
        q.push(" DESC, w.score DESC, w.published_at DESC, w.id DESC")
            .limit(limit)
            .offset(offset);
        let rows = q.query()?.fetch_all(&mut *conn).await.map_err(db_error)?;
        let mut ids = Vec::with_capacity(rows.len());
        let mut matched = None;
        for r in &rows {
            ids.push(r.try_get::<i64, _>(0).map_err(db_error)?);
            matched = Some(r.try_get::<i64, _>(1).map_err(db_error)?);
        }
        let matched = match matched {
            Some(n) => n,
            // A page past the last: counted on its own.
            None => self.count_matches(&mut conn, filter, query).await?,
        };
        let more = matched > SEARCH_RANKED as i64;
        let total = matched.min(SEARCH_RANKED as i64);
        if ids.is_empty() {
            return Ok(Found {
                articles: Vec::new(),
                total,
                more,
            });
        }

        let mut q = Sql::new(&SELECT_ARTICLE);
        q.push(" WHERE a.id IN (")
            .bind_list(ids.iter().copied())
            .push(")");
        let rows = q.query()?.fetch_all(&mut *conn).await.map_err(db_error)?;
        let mut articles = articles_from_rows(&rows)?;
        load_details(&mut conn, &mut articles).await?;
        conn.commit().await.map_err(db_error)?;
        // Back into the order of the ranking.
        articles.sort_by_key(|a| ids.iter().position(|id| *id == a.id));
        Ok(Found {
            articles,
            total,
            more,
        })
    }

    /// `SELECT` of the articles in `filter`'s scope that match `query`, with their `id`,
    /// `published_at` and the engine's columns (`score`, and on PostgreSQL `in_title`).
    fn push_matches(&self, q: &mut Sql, filter: &ArticleFilter, query: &SearchQuery) {
        q.push("SELECT a.id AS id, a.published_at AS published_at, ");
        match self.backend {
            Backend::Sqlite => sqlite::push_search_window(q, query),
            Backend::Postgres => postgres::push_search_window(q, query),
        }
        push_filter(q, filter);
    }

    /// How many articles in `filter`'s scope match `query`, up to one more than are ranked.
    async fn count_matches(
        &self,
        conn: &mut AnyConnection,
        filter: &ArticleFilter,
        query: &SearchQuery,
    ) -> Result<i64, Error> {
        let mut q = Sql::new("SELECT COUNT(*) FROM (");
        self.push_matches(&mut q, filter, query);
        q.limit(SEARCH_RANKED as i64 + 1).push(") m");
        q.query_scalar()?
            .fetch_one(&mut *conn)
            .await
            .map_err(db_error)
    }
}

/// How many matches a search ranks at most: the ones written last. Scoring every match of a
/// word most articles hold would make a search's cost grow with the site (250 to 300 ms at
/// 100,000 articles on SQLite); walking the newest matches costs about a microsecond each, a
/// few milliseconds for these. A reader who finds more than this many narrows the search
/// instead (a topic, dates, another word), which reaches older articles.
pub const SEARCH_RANKED: usize = 500;

/// One page of what a search found.
#[derive(Debug, Default)]
pub struct Found {
    /// The articles of the page, best first.
    pub articles: Vec<Article>,
    /// How many articles matched, up to [`SEARCH_RANKED`].
    pub total: i64,
    /// Whether more matched than `total` counts: only the [`SEARCH_RANKED`] written last were
    /// ranked.
    pub more: bool,
}
