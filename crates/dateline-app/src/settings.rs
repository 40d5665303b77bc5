//! Changing site settings.

use dateline_core::{
    Error, Result,
    actor::Actor,
    events::{EventKind, NewEvent},
    permissions,
    settings::{SettingKey, SiteSettings},
};
use serde_json::json;

use crate::App;

/// Sets an editable setting. Records `setting.changed` with the old and new value, unless
/// nothing changed.
pub async fn change(app: &App, actor: &Actor, key: SettingKey, value: &str) -> Result<()> {
    change_many(app, actor, &[(key, value.to_owned())])
        .await
        .map(|_| ())
}

/// Sets several editable settings at once (a settings page, a PATCH): every value is checked
/// first, then all change in one transaction, each changed key recording its own
/// `setting.changed`. Pages read settings on every request, so the change shows on the next
/// request on every process. Returns the keys that changed.
pub async fn change_many(
    app: &App,
    actor: &Actor,
    changes: &[(SettingKey, String)],
) -> Result<Vec<SettingKey>> {
    permissions::may_administer(actor)?;
    let mut checked = Vec::with_capacity(changes.len());
    for (key, value) in changes {
        let key = SettingKey::parse_editable("key", key.as_str())?;
        checked.push((key, key.parse_value(value)?));
    }
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    let mut changed = Vec::new();
    for (key, value) in checked {
        if key == SettingKey::Logo && !value.is_empty() {
            let id: i64 = value.parse().unwrap_or_default();
            if tx.media_by_id(id).await?.is_none() {
                return Err(Error::invalid(
                    key.as_str(),
                    "No uploaded image has this id: choose one from the media library.",
                ));
            }
        }
        let previous = tx.setting(key).await?;
        if previous.as_deref() == Some(value.as_str())
            || (previous.is_none() && value == default_value(key))
        {
            continue;
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
        changed.push(key);
    }
    tx.commit().await?;
    Ok(changed)
}

/// The value a key has while nothing is stored for it, as stored text.
fn default_value(key: SettingKey) -> String {
    SiteSettings::default().value_of(key)
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
