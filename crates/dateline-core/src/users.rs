//! People with accounts: the owner, editors, authors and contributors.

use crate::{Error, Result};

/// What an account may do. Ordered from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Runs the site; everything an editor can, plus site settings.
    Owner,
    /// Edits and publishes everyone's articles.
    Editor,
    /// Writes and publishes their own articles.
    Author,
    /// Writes drafts; cannot publish.
    Contributor,
}

impl Role {
    /// Parses the stored or typed form ("owner", "editor", …).
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        match s {
            "owner" => Ok(Role::Owner),
            "editor" => Ok(Role::Editor),
            "author" => Ok(Role::Author),
            "contributor" => Ok(Role::Contributor),
            _ => Err(Error::invalid(
                field,
                "The role must be owner, editor, author or contributor.",
            )),
        }
    }

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Editor => "editor",
            Role::Author => "author",
            Role::Contributor => "contributor",
        }
    }

    /// May make an article visible to readers (now or on a schedule).
    pub fn can_publish(self) -> bool {
        !matches!(self, Role::Contributor)
    }

    /// May edit articles written by someone else, and act for other authors.
    pub fn can_edit_others(self) -> bool {
        matches!(self, Role::Owner | Role::Editor)
    }
}

/// An account as the rest of the system sees it (never with its password hash).
#[derive(Debug, Clone, serde::Serialize)]
pub struct User {
    /// Database id.
    pub id: i64,
    /// Display name, as signed under articles.
    pub name: String,
    /// Login and contact address; never shown to readers.
    pub email: String,
    /// Path segment of the author page.
    pub slug: String,
    /// Short biography shown on the author page.
    pub bio: String,
    /// What the account may do.
    pub role: Role,
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Checks a new password's length; returns it unchanged.
pub fn check_new_password(field: &str, password: &str) -> Result<()> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(Error::invalid(
            field,
            format!("The password is too short: use at least {MIN_PASSWORD_CHARS} characters."),
        ));
    }
    if n > 1000 {
        return Err(Error::invalid(
            field,
            "The password is too long: use at most 1000 characters.",
        ));
    }
    if is_common_password(password) {
        return Err(Error::invalid(
            field,
            "This password is one of the most common: choose one that is hard to guess.",
        ));
    }
    Ok(())
}

/// The common passwords a new password may not be (ten characters or more: shorter ones are
/// refused anyway), lowercase.
const COMMON_PASSWORDS: &str = include_str!("common-passwords.txt");

/// Whether `password` is a common one, or one character repeated.
pub fn is_common_password(password: &str) -> bool {
    let lower = password.trim().to_lowercase();
    let mut chars = lower.chars();
    let first = chars.next();
    if first.is_some() && chars.all(|c| Some(c) == first) {
        return true;
    }
    COMMON_PASSWORDS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .any(|l| l == lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_and_short_passwords_are_refused() {
        for bad in [
            "short",
            "password123",
            "Password123",
            "1234567890",
            "qwertyuiop",
            "zzzzzzzzzzzz",
        ] {
            assert!(check_new_password("password", bad).is_err(), "{bad}");
        }
        for good in [
            "correct horse battery",
            "a long enough password",
            "tram-oboe-lantern-47",
        ] {
            assert!(check_new_password("password", good).is_ok(), "{good}");
        }
    }
}
