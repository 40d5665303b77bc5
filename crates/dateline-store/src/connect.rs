//! Opening the database, with errors that say what happened and what to do.

use std::sync::Arc;

use dateline_core::Error;
use sqlx::{AnyConnection, Connection};

use crate::{Backend, Db, postgres, sqlite};

impl Db {
    /// Connects (creating the SQLite file if its URL says `mode=rwc`). Does not migrate. One
    /// connection is tried first on its own, so that a failure is reported as what it is
    /// (connection refused, no such database, file cannot be opened) rather than as a pool
    /// timeout.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        match AnyConnection::connect(url).await {
            Ok(conn) => {
                let _ = conn.close().await;
            }
            Err(e) => return Err(Error::Internal(explain(backend, url, &e))),
        }
        let options = match backend {
            Backend::Sqlite => sqlite::pool_options(),
            Backend::Postgres => postgres::pool_options(),
        };
        let pool = options
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(|e| Error::Internal(explain(backend, url, &e)))?;
        Ok(Db {
            pool,
            backend,
            url: Arc::from(url),
            events: crate::events::Wakeups::new(),
            writers: Arc::new(tokio::sync::Semaphore::new(1)),
        })
    }
}

/// What went wrong opening the database, in words an operator can act on.
fn explain(backend: Backend, url: &str, e: &sqlx::Error) -> String {
    match backend {
        Backend::Sqlite => {
            let path = sqlite_path(url);
            format!(
                "cannot open the SQLite database {path}: {}; check that its folder exists and \
                 is writable, or pass --data or --database",
                short(e)
            )
        }
        Backend::Postgres => {
            let (user, host, database) = postgres_parts(url);
            let code = e
                .as_database_error()
                .and_then(|d| d.code())
                .map(|c| c.into_owned())
                .unwrap_or_default();
            match (e, code.as_str()) {
                (sqlx::Error::Io(io), _) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                    format!(
                        "cannot connect to PostgreSQL at {host}: connection refused; start the \
                         server or correct the host and port in the database URL"
                    )
                }
                (sqlx::Error::Io(io), _) => format!(
                    "cannot reach PostgreSQL at {host}: {io}; check the host and port in the \
                     database URL"
                ),
                (_, "3D000") => format!(
                    "the PostgreSQL database \"{database}\" does not exist at {host}; create \
                     it (createdb -h HOST -U {user} {database}) or name another in the \
                     database URL"
                ),
                (_, "28P01" | "28000") => format!(
                    "PostgreSQL at {host} refused the login of user \"{user}\"; check the user \
                     and password in the database URL"
                ),
                (sqlx::Error::PoolTimedOut, _) => format!(
                    "PostgreSQL at {host} did not answer in time; check that it is running \
                     and reachable"
                ),
                _ => format!(
                    "cannot open the PostgreSQL database at {host}: {}",
                    short(e)
                ),
            }
        }
    }
}

/// The error's own message without sqlx's wrapping.
fn short(e: &sqlx::Error) -> String {
    match e.as_database_error() {
        Some(d) => d.message().to_owned(),
        None => e.to_string(),
    }
}

/// The file path of a `sqlite://PATH?options` URL.
fn sqlite_path(url: &str) -> &str {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    rest.split('?').next().unwrap_or(rest)
}

/// User, `host:port` and database name of a PostgreSQL URL, never its password.
fn postgres_parts(url: &str) -> (String, String, String) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (userinfo, hostpart) = match rest.rsplit_once('@') {
        Some((u, h)) => (u, h),
        None => ("", rest),
    };
    let user = userinfo.split(':').next().unwrap_or("").to_owned();
    let (hostport, database) = hostpart.split_once('/').unwrap_or((hostpart, ""));
    let database = database.split('?').next().unwrap_or("").to_owned();
    let host = if hostport.is_empty() {
        "localhost:5432".to_owned()
    } else if hostport.contains(':') {
        hostport.to_owned()
    } else {
        format!("{hostport}:5432")
    };
    let user = if user.is_empty() {
        "postgres".to_owned()
    } else {
        user
    };
    (user, host, database)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_read_without_their_password() {
        assert_eq!(
            postgres_parts("postgres://dl:secret@db.internal/news?sslmode=disable"),
            (
                "dl".to_owned(),
                "db.internal:5432".to_owned(),
                "news".to_owned()
            )
        );
        assert_eq!(
            sqlite_path("sqlite:///srv/site/dateline.db?mode=rwc"),
            "/srv/site/dateline.db"
        );
    }
}
