//! Changing site settings.

use dateline_core::{
    Result,
    actor::Actor,
    events::{EventKind, NewEvent},
    permissions,
    settings::SettingKey,
};
use serde_json::json;

use crate::App;

/// Sets an editable setting (title, tagline, time zone, language). Records `setting.changed`
/// with the old and new value, unless nothing changed.
pub async fn change(app: &App, actor: &Actor, key: SettingKey, value: &str) -> Result<()> {
    permissions::may_administer(actor)?;
    let key = SettingKey::parse_editable("key", key.as_str())?;
    let value = key.parse_value(value)?;
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    let previous = tx.setting(key).await?;
    if previous.as_deref() == Some(value.as_str()) {
        return Ok(());
    }
    tx.set_setting(key, &value).await?;
    tx.record(
        &NewEvent::new(
            EventKind::SettingChanged,
            actor.reference(),
            None,
            json!({ "key": key.as_str(), "value": value, "previous": previous }),
        ),
        now,
    )
    .await?;
    tx.commit().await
}

/// Gives an editable setting its first value, if it has none yet (the time zone from the
/// configuration on first start); later values set by staff are not overruled. True if this
/// call set it.
pub async fn initialise(app: &App, key: SettingKey, value: &str) -> Result<bool> {
    let key = SettingKey::parse_editable("key", key.as_str())?;
    let value = key.parse_value(value)?;
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    if !tx.init_setting(key, &value).await? {
        return Ok(false);
    }
    tx.record(
        &NewEvent::new(
            EventKind::SettingChanged,
            Actor::System.reference(),
            None,
            json!({ "key": key.as_str(), "value": value, "previous": null }),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
