//! Small validated values that appear across the domain: slugs, e-mail addresses, names.

use std::fmt;

use crate::{Error, Result};

/// A URL path segment: lowercase ASCII letters, digits and single hyphens, 1–120 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Slug(String);

impl Slug {
    /// Longest slug accepted.
    pub const MAX_LEN: usize = 120;

    /// Accepts `s` only if it already is a valid slug.
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        let ok = !s.is_empty()
            && s.len() <= Self::MAX_LEN
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if ok {
            Ok(Slug(s.to_owned()))
        } else {
            Err(Error::invalid(
                field,
                format!(
                    "{} must be 1 to 120 lowercase letters, digits and single hyphens.",
                    label(field)
                ),
            ))
        }
    }

    /// Derives a slug from free text ("Why is Iraq Attacking…?" → "why-is-iraq-attacking").
    /// Letters outside ASCII are folded where a plain equivalent exists and dropped otherwise;
    /// text with nothing usable yields `fallback`.
    pub fn from_text(text: &str, fallback: &str) -> Self {
        let mut out = String::new();
        for c in text.chars().flat_map(fold_char) {
            if c.is_ascii_alphanumeric() {
                if out.len() >= Self::MAX_LEN {
                    break;
                }
                out.push(c.to_ascii_lowercase());
            } else if c == '\'' || c == '’' {
                // "People's" → "peoples", as readers would type it.
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        let trimmed = out.trim_end_matches('-');
        if trimmed.is_empty() {
            Slug(fallback.to_owned())
        } else {
            Slug(trimmed.to_owned())
        }
    }

    /// The slug as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Folds the common Latin accented letters to ASCII so that slugs stay readable.
fn fold_char(c: char) -> impl Iterator<Item = char> {
    let folded: &str = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => {
            "a"
        }
        'æ' | 'Æ' => "ae",
        'ç' | 'Ç' | 'č' | 'Č' | 'ć' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' | 'ń' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'œ' | 'Œ' => "oe",
        'ß' => "ss",
        'š' | 'Š' | 'ś' => "s",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ž' | 'Ž' | 'ź' | 'ż' => "z",
        _ => "",
    };
    let own = if folded.is_empty() { Some(c) } else { None };
    folded.chars().chain(own)
}

/// An e-mail address, checked for shape only (the only proof of an address is a message to it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Accepts `local@domain.tld` shapes up to 254 characters, without spaces or angle brackets;
    /// the domain is lowercased. Not trimmed: a form that wants that trims first.
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        let bad = || Error::invalid(field, "Enter an e-mail address such as name@example.org.");
        if s.chars().count() > 254
            || s.chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>\"".contains(c))
        {
            return Err(bad());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || domain.len() < 3
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains('@')
        {
            return Err(bad());
        }
        Ok(Email(format!("{local}@{}", domain.to_lowercase())))
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How a message names a field: "The title", "Your name", "A source's title".
pub fn label(field: &str) -> String {
    // "sources[2].url" is labelled as "sources.url".
    let mut general = String::with_capacity(field.len());
    let mut in_index = false;
    for c in field.chars() {
        match c {
            '[' => in_index = true,
            ']' => in_index = false,
            _ if !in_index => general.push(c),
            _ => {}
        }
    }
    let known = match general.as_str() {
        "title" => "The title",
        "body_markdown" => "The body",
        "dek" => "The dek",
        "slug" => "The slug",
        "status" => "The status",
        "published_at" => "The publication time",
        "author_email" | "email" => "The e-mail address",
        "author_name" => "Your name",
        "body" => "The comment",
        "name" => "The name",
        "password" => "The password",
        "lead_image.caption" => "The lead image's caption",
        "lead_image.alt" => "The lead image's alt text",
        "lead_image.credit" => "The lead image's credit",
        "sources.title" => "A source's title",
        "sources.author" => "A source's author",
        "sources.outlet" => "A source's outlet",
        "sources.url" => "A source's address",
        "sources.published_at" => "A source's date",
        "topics" | "topic" => "A topic",
        "label" => "The label",
        "bio" => "The biography",
        _ => "",
    };
    if known.is_empty() {
        format!("The field {field}")
    } else {
        known.to_owned()
    }
}

/// Checks that `s` holds at most `max` characters, no control characters but line breaks and
/// tabs, and something besides white space; returns it trimmed. The length is that of `s` as
/// sent, so that the published schema (`maxLength`) and this agree.
pub fn required_text(field: &str, s: &str, max: usize) -> Result<String> {
    check_length_and_controls(field, s, max)?;
    let t = s.trim();
    if t.is_empty() {
        return Err(Error::invalid(
            field,
            format!("{} is required.", label(field)),
        ));
    }
    Ok(t.to_owned())
}

/// Like [`required_text`] but an absent, empty or blank value is `None`.
pub fn optional_text(field: &str, s: Option<&str>, max: usize) -> Result<Option<String>> {
    let Some(s) = s else { return Ok(None) };
    check_length_and_controls(field, s, max)?;
    let t = s.trim();
    Ok((!t.is_empty()).then(|| t.to_owned()))
}

fn check_length_and_controls(field: &str, t: &str, max: usize) -> Result<()> {
    if t.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!(
                "{} is too long: use at most {max} characters.",
                label(field)
            ),
        ));
    }
    check_controls(field, t)
}

/// Refuses control characters other than line breaks and tabs: a NUL, say, is text no reader
/// can see, that PostgreSQL refuses to store and SQLite stores silently.
pub fn check_controls(field: &str, t: &str) -> Result<()> {
    if t.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(Error::invalid(
            field,
            format!("{} contains control characters: remove them.", label(field)),
        ));
    }
    Ok(())
}

/// Checks an http(s) URL's shape: scheme, a host, no spaces.
pub fn parse_web_url(field: &str, s: &str) -> Result<String> {
    let t = s;
    let rest = t
        .strip_prefix("https://")
        .or_else(|| t.strip_prefix("http://"))
        .ok_or_else(|| {
            Error::invalid(
                field,
                format!("{} must be an http:// or https:// address.", label(field)),
            )
        })?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty()
        || t.chars().count() > 2000
        || t.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Error::invalid(
            field,
            format!("{} is not a valid web address.", label(field)),
        ));
    }
    Ok(t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slugs_from_headlines() {
        let s = Slug::from_text("Why is Iraq Attacking Iranian Opposition?", "article");
        assert_eq!(s.as_str(), "why-is-iraq-attacking-iranian-opposition");
        assert_eq!(
            Slug::from_text("People’s Mujahedeen", "x").as_str(),
            "peoples-mujahedeen"
        );
        assert_eq!(
            Slug::from_text("Ernesto Londoño", "x").as_str(),
            "ernesto-londono"
        );
        assert_eq!(Slug::from_text("ایران", "topic").as_str(), "topic");
    }

    #[test]
    fn slug_parse_rejects_bad_shapes() {
        for bad in ["", "A", "a--b", "-a", "a-", "a b", "é", &"a".repeat(121)] {
            assert!(Slug::parse("slug", bad).is_err(), "{bad:?}");
        }
        assert!(Slug::parse("slug", "camp-ashraf-2009").is_ok());
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse("e", "Ali@Example.ORG").unwrap().as_str(),
            "Ali@example.org"
        );
        for bad in [
            "",
            "ali",
            "ali@",
            "@x.org",
            "a@b",
            "a b@x.org",
            "a@x.org.",
            "<a@x.org>",
        ] {
            assert!(Email::parse("e", bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn derived_slugs_always_parse(text in "\\PC{0,200}") {
            let s = Slug::from_text(&text, "fallback");
            prop_assert!(Slug::parse("slug", s.as_str()).is_ok(), "{:?}", s);
        }
    }
}
