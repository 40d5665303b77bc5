//! What sitemaps list: the addresses of what readers may see, without the articles' bodies.

use dateline_core::{
    Error,
    clock::{from_micros, to_micros},
};
use jiff::Timestamp;
use sqlx::Row;

use crate::{Db, articles::push_visible, db_error, sql::Sql};

/// An article's place on the site.
#[derive(Debug, Clone)]
pub struct ArticleLocation {
    /// Last path segment.
    pub slug: String,
    /// Headline (Google News sitemaps carry it).
    pub title: String,
    /// When it was published (its dated address needs it).
    pub published_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// A list page (a topic's, an author's) and when its newest article appeared.
#[derive(Debug, Clone)]
pub struct ListLocation {
    /// Path segment.
    pub slug: String,
    /// Newest article's time.
    pub latest: Timestamp,
}

impl Db {
    /// Articles readers may see at `now` (published at or after `since`, if given), oldest
    /// first so that a page of a sitemap keeps its articles, at most `limit` after `offset`.
    pub async fn article_locations(
        &self,
        now: Timestamp,
        since: Option<Timestamp>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ArticleLocation>, Error> {
        let mut q = Sql::new(
            "SELECT a.slug, a.title, a.published_at, a.updated_at FROM articles a \
             WHERE a.deleted_at IS NULL AND ",
        );
        push_visible(&mut q, now);
        if let Some(since) = since {
            q.push(" AND a.published_at >= ").bind(to_micros(since));
        }
        q.push(" ORDER BY a.published_at, a.id")
            .limit(limit)
            .offset(offset);
        let rows = q.query()?.fetch_all(&self.pool).await.map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok(ArticleLocation {
                    slug: r.try_get(0).map_err(db_error)?,
                    title: r.try_get(1).map_err(db_error)?,
                    published_at: from_micros(r.try_get(2).map_err(db_error)?),
                    updated_at: from_micros(r.try_get(3).map_err(db_error)?),
                })
            })
            .collect()
    }

    /// How many articles readers may see at `now`, and when the newest of them changed.
    pub async fn visible_article_totals(
        &self,
        now: Timestamp,
    ) -> Result<(i64, Option<Timestamp>), Error> {
        let mut q = Sql::new(
            "SELECT COUNT(*), MAX(a.updated_at) FROM articles a WHERE a.deleted_at IS NULL AND ",
        );
        push_visible(&mut q, now);
        let row = q.query()?.fetch_one(&self.pool).await.map_err(db_error)?;
        let latest: Option<i64> = row.try_get(1).map_err(db_error)?;
        Ok((row.try_get(0).map_err(db_error)?, latest.map(from_micros)))
    }

    /// Topics with an article readers may see, and the newest such article's time.
    pub async fn topic_locations(&self, now: Timestamp) -> Result<Vec<ListLocation>, Error> {
        let mut q = Sql::new(
            "SELECT t.slug, MAX(a.published_at) FROM topics t \
             JOIN article_topics at ON at.topic_id = t.id \
             JOIN articles a ON a.id = at.article_id WHERE a.deleted_at IS NULL AND ",
        );
        push_visible(&mut q, now);
        q.push(" GROUP BY t.slug ORDER BY t.slug");
        self.list_locations(q).await
    }

    /// Every topic with an article readers may see, by name, with how many it has: the topic
    /// index.
    pub async fn topic_index(
        &self,
        now: Timestamp,
    ) -> Result<Vec<(dateline_core::topics::Topic, i64)>, Error> {
        let mut q = Sql::new(
            "SELECT t.name, t.slug, COUNT(*) FROM topics t \
             JOIN article_topics at ON at.topic_id = t.id \
             JOIN articles a ON a.id = at.article_id WHERE a.deleted_at IS NULL AND ",
        );
        push_visible(&mut q, now);
        q.push(" GROUP BY t.name, t.slug ORDER BY LOWER(t.name), t.slug");
        let rows = q.query()?.fetch_all(&self.pool).await.map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok((
                    dateline_core::topics::Topic {
                        name: r.try_get(0).map_err(db_error)?,
                        slug: r.try_get(1).map_err(db_error)?,
                    },
                    r.try_get(2).map_err(db_error)?,
                ))
            })
            .collect()
    }

    /// Authors with an article readers may see, and the newest such article's time.
    pub async fn author_locations(&self, now: Timestamp) -> Result<Vec<ListLocation>, Error> {
        let mut q = Sql::new(
            "SELECT u.slug, MAX(a.published_at) FROM users u \
             JOIN articles a ON a.author_id = u.id WHERE a.deleted_at IS NULL AND ",
        );
        push_visible(&mut q, now);
        q.push(" GROUP BY u.slug ORDER BY u.slug");
        self.list_locations(q).await
    }

    async fn list_locations(&self, q: Sql) -> Result<Vec<ListLocation>, Error> {
        let rows = q.query()?.fetch_all(&self.pool).await.map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok(ListLocation {
                    slug: r.try_get(0).map_err(db_error)?,
                    latest: from_micros(r.try_get(1).map_err(db_error)?),
                })
            })
            .collect()
    }
}
