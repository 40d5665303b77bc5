//! What only SQLite needs: per-connection pragmas and its migrations.

use std::borrow::Cow;

use sqlx::{
    Executor,
    any::AnyPoolOptions,
    migrate::{Migration, MigrationType, Migrator},
};

/// Pool settings for an embedded file. WAL lets readers proceed during a write;
/// `synchronous = FULL` makes an acknowledged comment survive a power cut, not only a crash;
/// the busy timeout makes concurrent writers (the server and a CLI command) wait their turn.
pub(crate) fn pool_options() -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(8)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                )
                .await?;
                Ok(())
            })
        })
}

/// The SQLite migrations, embedded in the binary.
pub(crate) fn migrator() -> Migrator {
    Migrator::with_migrations(vec![Migration::new(
        1,
        Cow::Borrowed("initial"),
        MigrationType::Simple,
        sqlx::SqlSafeStr::into_sql_str(include_str!("../migrations/sqlite/0001_initial.sql")),
        false,
    )])
}
