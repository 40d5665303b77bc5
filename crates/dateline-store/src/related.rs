//! Reading onwards: the articles related to one (by the topics and the reporting they share),
//! and the outlets the site cites, with the articles that cite each.

use dateline_core::{Error, articles::Article};
use jiff::Timestamp;
use sqlx::Row;

use crate::{
    Db,
    articles::{SELECT_ARTICLE, articles_from_rows, load_details, push_visible},
    db_error,
    sql::Sql,
};

/// The related articles as their teasers show them: without their bodies, which PostgreSQL
/// would decompress and every page cache would keep for nothing.
static TEASERS: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(crate::articles::select_article_without_body);

impl Db {
    /// Up to `limit` articles readers may see that share a topic or a cited piece (the same
    /// address, or the same headline from the same outlet) with article `id`, newest first, as
    /// a teaser shows them: without their bodies, sources, topics and corrections (left empty),
    /// which would be three more round trips for a page rendered after every change to its
    /// article.
    pub async fn related_articles(
        &self,
        id: i64,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<Article>, Error> {
        // The ids first, newest first, so that only the few kept are read whole: asked for whole
        // rows, SQLite built every candidate (its comment count too) and sorted them all
        // before keeping five (40 ms an article page at 10,000 articles). In one statement, as
        // a materialized CTE, which neither planner folds into the outer query: a second
        // statement was a second round trip for every article page rendered after a change.
        //
        // The newest sharing a topic and the newest sharing a source are found apart, then
        // merged. Asked for either at once (`OR`), PostgreSQL gathered every article of the
        // article's topics into a hash before walking the newest (1.4 ms at 3,000 articles,
        // growing with the site). Topics: the newest articles are walked until `limit` share
        // one. Sources: the few articles citing the same pieces are looked up from the
        // article's own sources, in that order (`CROSS JOIN` fixes it for SQLite, which
        // otherwise walked every article: 36 ms).
        let mut q = Sql::new(
            "WITH kept AS MATERIALIZED (SELECT id FROM (SELECT id, published_at FROM \
             (SELECT a.id, a.published_at FROM articles a WHERE a.deleted_at IS NULL AND a.id <> ",
        );
        q.bind(id).push(" AND ");
        push_visible(&mut q, now);
        q.push(
            " AND EXISTS (SELECT 1 FROM article_topics x JOIN article_topics y \
             ON y.topic_id = x.topic_id WHERE x.article_id = ",
        )
        .bind(id)
        .push(" AND y.article_id = a.id) ORDER BY a.published_at DESC, a.id DESC")
        .limit(limit)
        .push(
            ") topical UNION SELECT id, published_at FROM (SELECT DISTINCT a.id, a.published_at \
             FROM article_sources s CROSS JOIN article_sources t CROSS JOIN articles a \
             WHERE s.article_id = ",
        )
        .bind(id)
        .push(
            " AND (t.url = s.url OR (t.title = s.title \
             AND COALESCE(t.outlet, '') = COALESCE(s.outlet, ''))) AND a.id = t.article_id \
             AND a.deleted_at IS NULL AND a.id <> ",
        )
        .bind(id)
        .push(" AND ");
        push_visible(&mut q, now);
        q.push(" ORDER BY a.published_at DESC, a.id DESC")
            .limit(limit)
            .push(") cited");
        q.push(") r ORDER BY published_at DESC, id DESC")
            .limit(limit)
            .push(") ")
            .push(&TEASERS)
            .push(" WHERE a.id IN (SELECT id FROM kept) ORDER BY a.published_at DESC, a.id DESC");
        let rows = q.query()?.fetch_all(&self.pool).await.map_err(db_error)?;
        articles_from_rows(&rows)
    }

    /// Every outlet cited by an article readers may see, with how many articles cite it.
    pub async fn cited_outlets(&self, now: Timestamp) -> Result<Vec<(String, i64)>, Error> {
        let mut q = Sql::new(
            "SELECT s.outlet, COUNT(DISTINCT a.id) FROM article_sources s \
             JOIN articles a ON a.id = s.article_id \
             WHERE s.outlet IS NOT NULL AND a.deleted_at IS NULL AND ",
        );
        push_visible(&mut q, now);
        q.push(" GROUP BY s.outlet ORDER BY LOWER(s.outlet), s.outlet");
        let rows = q.query()?.fetch_all(&self.pool).await.map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0).map_err(db_error)?,
                    r.try_get(1).map_err(db_error)?,
                ))
            })
            .collect()
    }

    /// Articles readers may see that cite any of `outlets` (as spelt in the sources), newest
    /// first, at most `limit` after `offset`, with how many there are.
    pub async fn articles_citing(
        &self,
        outlets: &[String],
        now: Timestamp,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<Article>, i64), Error> {
        if outlets.is_empty() {
            return Ok((Vec::new(), 0));
        }
        let cites = |q: &mut Sql| {
            q.push(
                " EXISTS (SELECT 1 FROM article_sources s WHERE s.article_id = a.id \
                 AND s.outlet IN (",
            );
            for (i, o) in outlets.iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                q.bind(o.clone());
            }
            q.push("))");
        };
        let mut count = Sql::new("SELECT COUNT(*) FROM articles a WHERE a.deleted_at IS NULL AND ");
        push_visible(&mut count, now);
        count.push(" AND");
        cites(&mut count);
        let total: i64 = count
            .query_scalar()?
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)?;
        let mut q = Sql::new(&SELECT_ARTICLE);
        q.push(" WHERE a.deleted_at IS NULL AND ");
        push_visible(&mut q, now);
        q.push(" AND");
        cites(&mut q);
        q.push(" ORDER BY a.published_at DESC, a.id DESC")
            .limit(limit)
            .offset(offset);
        Ok((self.articles_of(q).await?, total))
    }

    async fn articles_of(&self, q: Sql) -> Result<Vec<Article>, Error> {
        let mut conn = self.pool.acquire().await.map_err(db_error)?;
        let rows = q.query()?.fetch_all(&mut *conn).await.map_err(db_error)?;
        let mut articles = articles_from_rows(&rows)?;
        load_details(&mut conn, &mut articles).await?;
        Ok(articles)
    }
}
