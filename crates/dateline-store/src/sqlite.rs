//! What only SQLite needs: per-connection pragmas and its migrations.

use std::{borrow::Cow, time::Duration};

use sqlx::{
    AnyPool, Executor,
    any::AnyPoolOptions,
    migrate::{MigrateError, Migration, MigrationType, Migrator},
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

/// Applies the SQLite migrations. sqlx's migration lock exists only on PostgreSQL, so two
/// processes starting together on a new file can both try the same migration; the loser's
/// transaction rolls back whole, and on another look it finds the migration applied.
pub(crate) async fn migrate(pool: &AnyPool) -> Result<(), MigrateError> {
    let mut attempt = 0;
    loop {
        match migrator().run(pool).await {
            Err(e) if attempt < 4 => {
                attempt += 1;
                tracing::debug!(error = %e, attempt, "migration raced another process; looking again");
                tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
            }
            result => return result,
        }
    }
}

/// The SQLite migrations, embedded in the binary.
fn migrator() -> Migrator {
    Migrator::with_migrations(vec![Migration::new(
        1,
        Cow::Borrowed("initial"),
        MigrationType::Simple,
        sqlx::SqlSafeStr::into_sql_str(include_str!("../migrations/sqlite/0001_initial.sql")),
        false,
    )])
}
