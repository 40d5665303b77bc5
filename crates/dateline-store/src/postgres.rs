//! What only PostgreSQL needs: its migrations.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};

/// The PostgreSQL migrations, embedded in the binary. Several `dateline serve` processes may
/// start at once against one database; the migrator's advisory lock makes them take turns.
pub(crate) fn migrator() -> Migrator {
    Migrator::with_migrations(vec![Migration::new(
        1,
        Cow::Borrowed("initial"),
        MigrationType::Simple,
        sqlx::SqlSafeStr::into_sql_str(include_str!("../migrations/postgres/0001_initial.sql")),
        false,
    )])
}
