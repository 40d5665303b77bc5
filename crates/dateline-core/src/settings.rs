//! Site settings that live in the database, so a settings page can change them without a restart.

use jiff::tz::TimeZone;

use crate::{Error, Result};

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
}

/// Checks an IANA time zone name.
pub fn parse_time_zone(field: &'static str, name: &str) -> Result<String> {
    TimeZone::get(name).map(|_| name.to_owned()).map_err(|_| {
        Error::invalid(
            field,
            format!("unknown time zone {name:?}; use a name such as Europe/Paris"),
        )
    })
}
