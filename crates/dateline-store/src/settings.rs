//! Site settings: a key-value table, read into [`SiteSettings`].

use dateline_core::{Error, settings::SiteSettings};
use sqlx::Row;

use crate::{Db, db_error};

impl Db {
    /// The settings every page needs; missing keys take their defaults.
    pub async fn site_settings(&self) -> Result<SiteSettings, Error> {
        let rows = sqlx::query(
            "SELECT key, value FROM settings WHERE key IN ('title', 'tagline', 'time_zone', 'language')",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let mut s = SiteSettings::default();
        for row in rows {
            let (key, value): (String, String) = (
                row.try_get(0).map_err(db_error)?,
                row.try_get(1).map_err(db_error)?,
            );
            match key.as_str() {
                "title" => s.title = value,
                "tagline" => s.tagline = value,
                "time_zone" => s.time_zone = value,
                "language" => s.language = value,
                _ => {}
            }
        }
        Ok(s)
    }

    /// One setting, if set.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, Error> {
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)
    }

    /// Sets a setting, replacing any earlier value.
    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key.to_owned())
        .bind(value.to_owned())
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    /// Sets a setting only if it has no value yet; returns the value now stored. Safe when
    /// several processes start at once: the first writer wins and all read its value.
    pub async fn setting_or_init(&self, key: &str, value: &str) -> Result<String, Error> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key.to_owned())
        .bind(value.to_owned())
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        self.setting(key)
            .await?
            .ok_or_else(|| Error::Internal(format!("setting {key} vanished")))
    }

    /// Removes a setting only if it still has `value`; true if this call removed it. Used to
    /// spend one-time tokens exactly once even when two requests race.
    pub async fn take_setting(&self, key: &str, value: &str) -> Result<bool, Error> {
        let r = sqlx::query("DELETE FROM settings WHERE key = $1 AND value = $2")
            .bind(key.to_owned())
            .bind(value.to_owned())
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(r.rows_affected() > 0)
    }
}
