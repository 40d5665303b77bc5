//! Dateline's storage. One query layer serves SQLite and PostgreSQL through sqlx's `Any`
//! driver: every query here uses `$1` placeholders and portable types (BIGINT microseconds for
//! times, TEXT, INTEGER). What truly differs between the two lives in [`sqlite`] and
//! [`postgres`] and nowhere else.
//!
//! Reads are methods of [`Db`]. Writes are methods of [`WriteTx`], a transaction that the
//! actions tier (`dateline-app`) opens with [`Db::begin_write`], fills with every write of one
//! action and its event, and commits whole; dropped uncommitted, it changes nothing.

mod articles;
mod classifier;
mod comments;
mod connect;
mod events;
mod jobs;
mod media;
pub mod postgres;
mod related;
mod search;
mod sessions;
mod settings;
mod sitemaps;
mod sql;
pub mod sqlite;
mod topics;
mod tx;
mod users;

pub use articles::{ArticleFilter, ArticleLookup};
pub use classifier::LearnedExample;
pub use comments::{
    Block, CommentInContext, ModerationItem, NewComment, RateBucket, ReaderCommentFacts,
    ReaderCommentRead,
};
pub use events::{EventFilter, LogReading, next_wakeup};
pub use jobs::{ClaimedJob, JobInfo, JobStatus, NewJob};
pub use search::{Found, SEARCH_RANKED};
pub use sessions::{InvitationInfo, NewSession, SessionInfo};
pub use sitemaps::{ArticleLocation, ListLocation};
pub use topics::DescribedTopic;
pub use tx::WriteTx;
pub use users::{Account, TokenInfo, TokenRef};

use std::sync::Arc;

use dateline_core::Error;
use sqlx::{
    AnyPool,
    migrate::{Migration, MigrationType},
};

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

impl Backend {
    /// Tells the backend from a database URL.
    pub fn from_url(url: &str) -> Result<Self, Error> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(Error::invalid(
                "database",
                "Use a sqlite: or postgres:// database URL.",
            ))
        }
    }
}

/// A pool of connections to the site's database, and the wake-up channel of the activity log.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    url: Arc<str>,
    /// Ids of events as they commit: from this process's own commits, and on PostgreSQL from
    /// every process through `LISTEN` (see [`Db::listen_for_events`]).
    events: events::Wakeups,
    /// On SQLite, the turn of this process's writers, given in the order they asked (see
    /// [`Db::begin_write`]).
    writers: Arc<tokio::sync::Semaphore>,
}

impl Db {
    /// Copies a SQLite database, consistent as of one moment, into the new file `to` while
    /// the site keeps serving (`VACUUM INTO`, SQLite's online copy, which readers and writers do
    /// not wait for beyond one read transaction). On PostgreSQL the server's own tools back up.
    pub async fn backup_to(&self, to: &std::path::Path) -> Result<(), Error> {
        if self.backend != Backend::Sqlite {
            return Err(Error::invalid(
                "to",
                "This site runs on PostgreSQL: back it up with pg_dump, or keep a replica (see \
                 docs/DEPLOY.md).",
            ));
        }
        if to.exists() {
            return Err(Error::invalid(
                "to",
                format!("{} exists already: name a new file.", to.display()),
            ));
        }
        let path = to
            .to_str()
            .ok_or_else(|| Error::invalid("to", "Name the file in UTF-8."))?;
        sqlx::query("VACUUM INTO $1")
            .bind(path.to_owned())
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// Which engine this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies the migrations this backend has not yet seen; safe to call on every start.
    pub async fn migrate(&self) -> Result<(), Error> {
        match self.backend {
            Backend::Sqlite => sqlite::migrate(&self.pool).await,
            // Several processes may start at once: the migrator holds an advisory lock.
            Backend::Postgres => postgres::migrator().run(&self.pool).await,
        }
        .map_err(|e| Error::Internal(format!("migration failed: {e}")))
    }

    /// Applies the migrations up to `version` only, as a site of an earlier release has them:
    /// how the tests check that a migration carries an existing site's data over.
    #[doc(hidden)]
    pub async fn migrate_up_to(&self, version: i64) -> Result<(), Error> {
        let all = match self.backend {
            Backend::Sqlite => sqlite::migrator(),
            Backend::Postgres => postgres::migrator(),
        };
        let earlier = all.iter().filter(|m| m.version <= version).cloned();
        sqlx::migrate::Migrator::with_migrations(earlier.collect())
            .run(&self.pool)
            .await
            .map_err(|e| Error::Internal(format!("migration failed: {e}")))
    }

    /// Whether the database holds a Dateline site (its migrations have run at least once).
    pub async fn has_site(&self) -> Result<bool, Error> {
        // The settings table is made by the first migration; asking for a row of it fails on
        // an empty database whatever the engine.
        Ok(sqlx::query("SELECT 1 FROM settings LIMIT 1")
            .fetch_optional(&self.pool)
            .await
            .is_ok())
    }

    /// Refreshes the planner's statistics after a bulk load, and on PostgreSQL the visibility
    /// map too: `VACUUM (ANALYZE)`, which autovacuum runs in its own time (or never, where it
    /// is off). Without statistics the planner guesses sizes, and walked every article for a
    /// search of a site just made (50 ms at 10,000 articles against 5); without the visibility
    /// map an index-only scan reads every row's page as well (counting the comments of an
    /// article's related articles, before migration 0013 kept the counts: 0.87 ms against
    /// 0.43). SQLite plans without statistics, as every site's does: nothing to do.
    pub async fn analyze(&self) -> Result<(), Error> {
        if self.backend == Backend::Postgres {
            // Outside any transaction, as VACUUM must be: one statement, simple protocol.
            sqlx::raw_sql("VACUUM (ANALYZE)")
                .execute(&self.pool)
                .await
                .map_err(db_error)?;
        }
        Ok(())
    }

    /// Answers whether the database responds to a trivial query.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Connections open and idle, for the metrics endpoint.
    pub fn pool_usage(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    /// Closes every connection; pending queries finish first.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// An embedded migration: `version`, `name` and its SQL, in one transaction.
pub(crate) fn migration(version: i64, name: &'static str, sql: &'static str) -> Migration {
    Migration::new(
        version,
        std::borrow::Cow::Borrowed(name),
        MigrationType::Simple,
        sqlx::SqlSafeStr::into_sql_str(sql),
        false,
    )
}

/// Turns a database error into the domain's: unique violations become a conflict on the field
/// they concern, anything else is internal.
pub(crate) fn db_error(e: sqlx::Error) -> Error {
    if let Some(db) = e.as_database_error()
        && db.is_unique_violation()
    {
        // SQLite names the column in the message ("UNIQUE constraint failed: articles.slug"),
        // PostgreSQL in the constraint ("articles_slug_key"); both contain the column name.
        let text = format!("{} {}", db.message(), db.constraint().unwrap_or_default());
        for field in ["slug", "email", "token_hash"] {
            if text.contains(field) {
                return Error::Conflict { field };
            }
        }
        return Error::Conflict { field: "id" };
    }
    Error::Internal(format!("database: {e}"))
}
