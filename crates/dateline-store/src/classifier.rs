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

/// The row of `classifier_features` that counts the examples themselves: every example holds
/// it, so its counts are the totals, read with the features in one query. `features()` never
/// yields it (each of them has a prefix and a colon).
pub(crate) const TOTALS: &str = "#examples";

impl Db {
    /// How many spam and approved comments the classifier has learned from.
    pub async fn classifier_examples(&self) -> Result<Examples, Error> {
        let row = sqlx::query("SELECT spam, ham FROM classifier_features WHERE feature = $1")
            .bind(TOTALS)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.map_or(Ok(Examples::default()), |r| {
            Ok(Examples {
                spam: r.try_get(0).map_err(db_error)?,
                ham: r.try_get(1).map_err(db_error)?,
            })
        })
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

impl Db {
    /// The classifier's totals, and the counts of those of `features` it has seen: one query,
    /// by primary key, for every reader's comment the intake judges. Read before the comment's
    /// transaction: the counts change only when the classifier learns, in a transaction of its
    /// own that follows the activity log, so reading them a moment earlier judges the same.
    pub async fn classifier_counts(
        &self,
        features: &[String],
    ) -> Result<(Examples, Vec<FeatureCount>), Error> {
        let mut q =
            Sql::new("SELECT feature, spam, ham FROM classifier_features WHERE feature IN (");
        q.bind(TOTALS.to_owned());
        for f in features {
            q.push(", ").bind(f.clone());
        }
        q.push(")");
        let rows = q.query()?.fetch_all(&self.pool).await.map_err(db_error)?;
        let mut examples = Examples::default();
        let mut counts = Vec::with_capacity(rows.len());
        for r in &rows {
            let feature: String = r.try_get(0).map_err(db_error)?;
            let count = FeatureCount {
                spam: r.try_get(1).map_err(db_error)?,
                ham: r.try_get(2).map_err(db_error)?,
            };
            if feature == TOTALS {
                examples = Examples {
                    spam: count.spam,
                    ham: count.ham,
                };
            } else {
                counts.push(count);
            }
        }
        Ok((examples, counts))
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

    /// Adds `spam` and `ham` (either may be negative, to unlearn) to the counts of the
    /// features of one example, and to the totals.
    pub async fn add_feature_counts(
        &mut self,
        features: &[String],
        spam: i64,
        ham: i64,
    ) -> Result<(), Error> {
        let mut all = Vec::with_capacity(features.len() + 1);
        all.push(TOTALS.to_owned());
        all.extend_from_slice(features);
        // A few hundred rows at a time keeps every statement within both engines' limits on
        // bound values.
        for chunk in all.chunks(200) {
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
