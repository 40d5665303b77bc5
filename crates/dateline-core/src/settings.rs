//! Site settings that live in the database, so a settings page can change them without a restart.

use jiff::tz::TimeZone;

use crate::{Error, Result};

/// Every key the settings table may hold. One enum rather than strings spread over crates, so a
/// misspelt key does not compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SettingKey {
    /// Site name.
    Title,
    /// One line under the title.
    Tagline,
    /// IANA time zone for dates on pages.
    TimeZone,
    /// BCP 47 language tag of the site's own text.
    Language,
    /// Key of the keyed hash under which readers' IP addresses are stored; never shown.
    IpHashKey,
    /// Records that the welcome content of a new site was made (or claimed by another process).
    Seeded,
    /// Hash of the current one-time setup token, while the site has no owner.
    SetupTokenHash,
}

impl SettingKey {
    /// The settings a staff member may read and change (the others are the system's own).
    pub const EDITABLE: [SettingKey; 4] = [
        SettingKey::Title,
        SettingKey::Tagline,
        SettingKey::TimeZone,
        SettingKey::Language,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SettingKey::Title => "title",
            SettingKey::Tagline => "tagline",
            SettingKey::TimeZone => "time_zone",
            SettingKey::Language => "language",
            SettingKey::IpHashKey => "ip_hash_key",
            SettingKey::Seeded => "seeded",
            SettingKey::SetupTokenHash => "setup_token_hash",
        }
    }

    /// Whether the value is a secret, kept out of events and logs.
    pub fn is_secret(self) -> bool {
        matches!(self, SettingKey::IpHashKey | SettingKey::SetupTokenHash)
    }

    /// An editable key by its stored name.
    pub fn parse_editable(field: &str, name: &str) -> Result<Self> {
        Self::EDITABLE
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| {
                Error::invalid(
                    field,
                    "Use one of the settings title, tagline, time_zone or language.",
                )
            })
    }

    /// Checks and normalises a value typed for this key.
    pub fn parse_value(self, value: &str) -> Result<String> {
        let field = self.as_str();
        match self {
            SettingKey::Title => crate::text::required_text(field, value, 200),
            SettingKey::Tagline => {
                Ok(crate::text::optional_text(field, Some(value), 300)?.unwrap_or_default())
            }
            SettingKey::TimeZone => parse_time_zone(field, value.trim()),
            SettingKey::Language => {
                let v = value.trim();
                let ok = !v.is_empty()
                    && v.len() <= 35
                    && v.split('-').all(|p| {
                        !p.is_empty()
                            && p.len() <= 8
                            && p.bytes().all(|b| b.is_ascii_alphanumeric())
                    });
                if ok {
                    Ok(v.to_owned())
                } else {
                    Err(Error::invalid(
                        field,
                        "Use a language tag such as en or pt-BR.",
                    ))
                }
            }
            SettingKey::IpHashKey | SettingKey::Seeded | SettingKey::SetupTokenHash => Err(
                Error::invalid(field, "This setting is managed by Dateline itself."),
            ),
        }
    }
}

/// The settings every page needs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SiteSettings {
    /// Site name, in the header and the title of every page.
    pub title: String,
    /// One line under the title.
    pub tagline: String,
    /// IANA time zone name used to show dates ("America/Los_Angeles").
    pub time_zone: String,
    /// BCP 47 language tag of the site's own text ("en").
    pub language: String,
}

impl Default for SiteSettings {
    fn default() -> Self {
        SiteSettings {
            title: "Dateline".to_owned(),
            tagline: "News and analysis".to_owned(),
            time_zone: "UTC".to_owned(),
            language: "en".to_owned(),
        }
    }
}

impl SiteSettings {
    /// The time zone to display dates in; an unknown stored name falls back to UTC.
    pub fn tz(&self) -> TimeZone {
        TimeZone::get(&self.time_zone).unwrap_or(TimeZone::UTC)
    }

    /// Takes a stored value for `key`; keys that are not page settings are ignored.
    pub fn set(&mut self, key: SettingKey, value: String) {
        match key {
            SettingKey::Title => self.title = value,
            SettingKey::Tagline => self.tagline = value,
            SettingKey::TimeZone => self.time_zone = value,
            SettingKey::Language => self.language = value,
            SettingKey::IpHashKey | SettingKey::Seeded | SettingKey::SetupTokenHash => {}
        }
    }
}

/// Checks an IANA time zone name.
pub fn parse_time_zone(field: &str, name: &str) -> Result<String> {
    TimeZone::get(name).map(|_| name.to_owned()).map_err(|_| {
        Error::invalid(
            field,
            format!("Unknown time zone {name:?}: use a name such as Europe/Paris."),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editable_keys_parse_and_check_their_values() {
        assert_eq!(
            SettingKey::parse_editable("key", "time_zone").unwrap(),
            SettingKey::TimeZone
        );
        assert!(SettingKey::parse_editable("key", "ip_hash_key").is_err());
        assert!(SettingKey::TimeZone.parse_value("Mars/Olympus").is_err());
        assert_eq!(
            SettingKey::Language.parse_value(" pt-BR ").unwrap(),
            "pt-BR"
        );
        assert!(SettingKey::Language.parse_value("en_US").is_err());
        assert!(SettingKey::Title.parse_value("  ").is_err());
        assert!(SettingKey::IpHashKey.is_secret());
    }
}
