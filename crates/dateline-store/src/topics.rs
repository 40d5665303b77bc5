//! Topics' own descriptions (the topics themselves are written with their articles).

use dateline_core::{Error, topics::Topic};
use sqlx::Row;

use crate::{Db, WriteTx, db_error};

/// A topic with its description.
#[derive(Debug, Clone)]
pub struct DescribedTopic {
    /// Id.
    pub id: i64,
    /// Name and slug.
    pub topic: Topic,
    /// A paragraph about it; empty for none.
    pub description: String,
}

fn described(r: &sqlx::any::AnyRow) -> Result<DescribedTopic, Error> {
    Ok(DescribedTopic {
        id: r.try_get(0).map_err(db_error)?,
        topic: Topic {
            name: r.try_get(1).map_err(db_error)?,
            slug: r.try_get(2).map_err(db_error)?,
        },
        description: r.try_get(3).map_err(db_error)?,
    })
}

impl Db {
    /// Every topic with its description, by name.
    pub async fn described_topics(&self) -> Result<Vec<DescribedTopic>, Error> {
        let rows = sqlx::query(
            "SELECT id, name, slug, description FROM topics ORDER BY LOWER(name), slug",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(described).collect()
    }

    /// A topic with its description, by slug.
    pub async fn described_topic(&self, slug: &str) -> Result<Option<DescribedTopic>, Error> {
        let row = sqlx::query("SELECT id, name, slug, description FROM topics WHERE slug = $1")
            .bind(slug.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.as_ref().map(described).transpose()
    }
}

impl WriteTx {
    /// A topic with its description, by slug, as this transaction sees it.
    pub async fn described_topic(&mut self, slug: &str) -> Result<Option<DescribedTopic>, Error> {
        let row = sqlx::query("SELECT id, name, slug, description FROM topics WHERE slug = $1")
            .bind(slug.to_owned())
            .fetch_optional(&mut *self.conn())
            .await
            .map_err(db_error)?;
        row.as_ref().map(described).transpose()
    }

    /// Replaces a topic's description.
    pub async fn set_topic_description(&mut self, id: i64, description: &str) -> Result<(), Error> {
        sqlx::query("UPDATE topics SET description = $1 WHERE id = $2")
            .bind(description.to_owned())
            .bind(id)
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
