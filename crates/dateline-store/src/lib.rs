//! Dateline's storage. One query layer serves SQLite and PostgreSQL through sqlx's `Any`
//! driver: every query here uses `$1` placeholders and portable types (BIGINT microseconds for
//! times, TEXT, INTEGER). What truly differs between the two lives in [`sqlite`] and
//! [`postgres`] and nowhere else.

mod articles;
mod comments;
mod media;
pub mod postgres;
mod settings;
mod sql;
pub mod sqlite;
mod users;

pub use articles::{ArticleFilter, ArticleLookup};

use dateline_core::Error;
use sqlx::{AnyPool, any::AnyPoolOptions};

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
                "use a sqlite: or postgres:// database URL",
            ))
        }
    }
}

/// A pool of connections to the site's database.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

impl Db {
    /// Connects (creating the SQLite file if needed). Does not migrate.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let options = match backend {
            Backend::Sqlite => sqlite::pool_options(),
            Backend::Postgres => AnyPoolOptions::new().max_connections(16),
        };
        let pool = options
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(|e| Error::Internal(format!("cannot open the database: {e}")))?;
        Ok(Db { pool, backend })
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
