//! Topics: the subjects an article is filed under ("Iraq", "Camp Ashraf").

use crate::{Result, text};

/// A topic as readers see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Topic {
    /// Display name.
    pub name: String,
    /// Path segment of the topic page.
    pub slug: String,
}

impl Topic {
    /// Validates a topic name typed by an editor and derives its slug.
    pub fn parse(name: &str) -> Result<Self> {
        Self::parse_at("topics", name)
    }

    /// Like [`Topic::parse`], naming `field` in an error (`topics[2]`, `topic`).
    pub fn parse_at(field: &str, name: &str) -> Result<Self> {
        let name = text::required_text(field, name, 80)?;
        let slug = text::Slug::from_text(&name, "topic").to_string();
        Ok(Topic { name, slug })
    }
}
