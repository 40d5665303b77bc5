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
use sqlx::AnyConnection;

use crate::{
    ArticleFilter, Backend, Db, WriteTx,
    articles::{SELECT_ARTICLE, article_from_row, article_where, load_details, push_filter},
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
    /// title holds the whole query, then by the engine's relevance, then newest. With the total
    /// count. An empty query matches nothing.
    pub async fn search_articles(
        &self,
        filter: &ArticleFilter,
        query: &SearchQuery,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<Article>, i64), Error> {
        if query.is_empty() {
            return Ok((Vec::new(), 0));
        }
        let source = |q: &mut Sql| match self.backend {
            Backend::Sqlite => sqlite::push_search_source(q, query),
            Backend::Postgres => postgres::push_search_source(q, query),
        };
        let mut conn = self.pool.acquire().await.map_err(db_error)?;
        let mut count = Sql::new("SELECT COUNT(*) FROM ");
        source(&mut count);
        push_filter(&mut count, filter);
        let total: i64 = count
            .query_scalar()?
            .fetch_one(&mut *conn)
            .await
            .map_err(db_error)?;
        if total == 0 {
            return Ok((Vec::new(), 0));
        }

        let mut q = Sql::new("SELECT a.id FROM ");
        source(&mut q);
        push_filter(&mut q, filter);
        q.push(" ORDER BY ");
        match self.backend {
            Backend::Sqlite => sqlite::push_search_rank(&mut q, query),
            Backend::Postgres => postgres::push_search_rank(&mut q, query),
        }
        q.push(", a.published_at DESC, a.id DESC LIMIT ")
            .bind(limit)
            .push(" OFFSET ")
            .bind(offset);
        let ids: Vec<i64> = q
            .query_scalar()?
            .fetch_all(&mut *conn)
            .await
            .map_err(db_error)?;
        if ids.is_empty() {
            return Ok((Vec::new(), total));
        }

        let mut q = Sql::new(&SELECT_ARTICLE);
        q.push(" WHERE a.id IN (")
            .bind_list(ids.iter().copied())
            .push(")");
        let rows = q.query()?.fetch_all(&mut *conn).await.map_err(db_error)?;
        let mut articles = rows
            .iter()
            .map(|r| article_from_row(r).map(|(a, _)| a))
            .collect::<Result<Vec<_>, _>>()?;
        load_details(&mut conn, &mut articles).await?;
        // Back into the order of the ranking.
        articles.sort_by_key(|a| ids.iter().position(|id| *id == a.id));
        Ok((articles, total))
    }
}
