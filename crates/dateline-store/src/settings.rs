//! Site settings: a key-value table, read into [`SiteSettings`].

use dateline_core::{
    Error,
    settings::{SettingKey, SiteSettings},
};
use sqlx::Row;

use crate::{Db, WriteTx, db_error};

impl Db {
    /// The settings every page needs; missing keys take their defaults.
    pub async fn site_settings(&self) -> Result<SiteSettings, Error> {
        // The secrets are not read here; the editable keys are picked out below.
        let rows = sqlx::query(
            "SELECT key, value FROM settings \
             WHERE key NOT IN ('ip_hash_key', 'setup_token_hash', 'seeded')",
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
            if let Some(key) = SettingKey::EDITABLE.into_iter().find(|k| k.as_str() == key) {
                s.set(key, value);
            }
        }
        if let Some(id) = s.logo {
            s.logo_path = sqlx::query_scalar("SELECT path FROM media WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
        }
        Ok(s)
    }

    /// One setting, if set.
    pub async fn setting(&self, key: SettingKey) -> Result<Option<String>, Error> {
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)
    }
}

impl WriteTx {
    /// One setting, if set, as this transaction sees it.
    pub async fn setting(&mut self, key: SettingKey) -> Result<Option<String>, Error> {
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key.as_str())
            .fetch_optional(&mut *self.conn())
            .await
            .map_err(db_error)
    }

    /// Sets a setting, replacing any earlier value.
    pub async fn set_setting(&mut self, key: SettingKey, value: &str) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key.as_str())
        .bind(value.to_owned())
        .execute(&mut *self.conn())
        .await
        .map_err(db_error)?;
        Ok(())
    }

    /// Sets a setting only if it has no value yet; true if this call set it. Safe when several
    /// processes start at once: the first writer wins and the others find its value.
    pub async fn init_setting(&mut self, key: SettingKey, value: &str) -> Result<bool, Error> {
        let r = sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key.as_str())
        .bind(value.to_owned())
        .execute(&mut *self.conn())
        .await
        .map_err(db_error)?;
        Ok(r.rows_affected() > 0)
    }

    /// Removes a setting only if it still has `value`; true if this call removed it. Spends a
    /// one-time token exactly once even when two requests race.
    pub async fn take_setting(&mut self, key: SettingKey, value: &str) -> Result<bool, Error> {
        let r = sqlx::query("DELETE FROM settings WHERE key = $1 AND value = $2")
            .bind(key.as_str())
            .bind(value.to_owned())
            .execute(&mut *self.conn())
            .await
            .map_err(db_error)?;
        Ok(r.rows_affected() > 0)
    }
}
