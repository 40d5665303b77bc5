//! The classifier's counts, and how far each consumer of the activity log has read.

use dateline_core::{
    Error,
    classifier::{Examples, FeatureCount},
};
use sqlx::Row;

use crate::{Backend, Db, WriteTx, db_error, sql::Sql};

/// A comment the classifier learned from: as what, and the text it learned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnedExample {
    /// `spam` or `ham`.
    pub label: String,
    /// The text as it was learned (the comment may have been edited since).
    pub text: String,
}

const EXAMPLE_TOTALS: &str = "SELECT \
     COALESCE(SUM(CASE WHEN label = 'spam' THEN 1 ELSE 0 END), 0), \
     COALESCE(SUM(CASE WHEN label = 'ham' THEN 1 ELSE 0 END), 0) FROM classifier_examples";

fn examples_from_row(row: &sqlx::any::AnyRow) -> Result<Examples, Error> {
    Ok(Examples {
        spam: row.try_get(0).map_err(db_error)?,
        ham: row.try_get(1).map_err(db_error)?,
    })
}

impl Db {
    /// How many spam and approved comments the classifier has learned from.
    pub async fn classifier_examples(&self) -> Result<Examples, Error> {
        let row = sqlx::query(EXAMPLE_TOTALS)
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)?;
        examples_from_row(&row)
    }

    /// Where consumer `name` has read the activity log up to (0 before it starts).
    pub async fn consumer_position(&self, name: &str) -> Result<i64, Error> {
        let p: Option<i64> =
            sqlx::query_scalar("SELECT position FROM event_consumers WHERE name = $1")
                .bind(name.to_owned())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
        Ok(p.unwrap_or(0))
    }
}

impl WriteTx {
    /// Where consumer `name` has read up to, its row locked for this transaction on PostgreSQL,
    /// so that two processes never apply the same events.
    pub async fn lock_consumer_position(&mut self, name: &str) -> Result<i64, Error> {
        sqlx::query(
            "INSERT INTO event_consumers (name, position) VALUES ($1, 0) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name.to_owned())
        .execute(&mut *self.conn())
        .await
        .map_err(db_error)?;
        let sql = match self.backend() {
            Backend::Postgres => "SELECT position FROM event_consumers WHERE name = $1 FOR UPDATE",
            Backend::Sqlite => "SELECT position FROM event_consumers WHERE name = $1",
        };
        sqlx::query_scalar(sql)
            .bind(name.to_owned())
            .fetch_one(&mut *self.conn())
            .await
            .map_err(db_error)
    }

    /// Moves consumer `name` on to `position`, in the transaction that applied the events.
    pub async fn set_consumer_position(&mut self, name: &str, position: i64) -> Result<(), Error> {
        sqlx::query("UPDATE event_consumers SET position = $1 WHERE name = $2")
            .bind(position)
            .bind(name.to_owned())
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// The classifier's totals, and the counts of those of `features` it has seen.
    pub async fn classifier_counts(
        &mut self,
        features: &[String],
    ) -> Result<(Examples, Vec<FeatureCount>), Error> {
        let row = sqlx::query(EXAMPLE_TOTALS)
            .fetch_one(&mut *self.conn())
            .await
            .map_err(db_error)?;
        let examples = examples_from_row(&row)?;
        if !examples.ready() || features.is_empty() {
            return Ok((examples, Vec::new()));
        }
        let mut q = Sql::new("SELECT spam, ham FROM classifier_features WHERE feature IN (");
        for (i, f) in features.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.bind(f.clone());
        }
        q.push(")");
        let rows = q
            .query()?
            .fetch_all(&mut *self.conn())
            .await
            .map_err(db_error)?;
        let counts = rows
            .iter()
            .map(|r| {
                Ok(FeatureCount {
                    spam: r.try_get(0).map_err(db_error)?,
                    ham: r.try_get(1).map_err(db_error)?,
                })
            })
            .collect::<Result<_, Error>>()?;
        Ok((examples, counts))
    }

    /// What the classifier learned from comment `comment_id`, if it did.
    pub async fn learned_example(
        &mut self,
        comment_id: i64,
    ) -> Result<Option<LearnedExample>, Error> {
        let row = sqlx::query("SELECT label, text FROM classifier_examples WHERE comment_id = $1")
            .bind(comment_id)
            .fetch_optional(&mut *self.conn())
            .await
            .map_err(db_error)?;
        row.map(|r| {
            Ok(LearnedExample {
                label: r.try_get(0).map_err(db_error)?,
                text: r.try_get(1).map_err(db_error)?,
            })
        })
        .transpose()
    }

    /// Records (or replaces) what the classifier learned from comment `comment_id`.
    pub async fn put_learned_example(
        &mut self,
        comment_id: i64,
        example: &LearnedExample,
    ) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO classifier_examples (comment_id, label, text) VALUES ($1, $2, $3) \
             ON CONFLICT (comment_id) DO UPDATE SET label = excluded.label, text = excluded.text",
        )
        .bind(comment_id)
        .bind(example.label.clone())
        .bind(example.text.clone())
        .execute(&mut *self.conn())
        .await
        .map_err(db_error)?;
        Ok(())
    }

    /// Adds `spam` and `ham` (either may be negative, to unlearn) to the counts of `features`.
    pub async fn add_feature_counts(
        &mut self,
        features: &[String],
        spam: i64,
        ham: i64,
    ) -> Result<(), Error> {
        // A few hundred rows at a time keeps every statement within both engines' limits on
        // bound values.
        for chunk in features.chunks(200) {
            let mut q = Sql::new("INSERT INTO classifier_features (feature, spam, ham) VALUES ");
            for (i, f) in chunk.iter().enumerate() {
                q.push(if i == 0 { "(" } else { ", (" })
                    .bind(f.clone())
                    .push(", ")
                    .bind(spam)
                    .push(", ")
                    .bind(ham)
                    .push(")");
            }
            q.push(
                " ON CONFLICT (feature) DO UPDATE SET \
                 spam = classifier_features.spam + excluded.spam, \
                 ham = classifier_features.ham + excluded.ham",
            );
            q.query()?
                .execute(&mut *self.conn())
                .await
                .map_err(db_error)?;
        }
        Ok(())
    }
}
