//! What the comment intake decides, and the site's rules it decides by. Each check of the
//! intake (in `dateline-app`) returns a [`Verdict`] with a reason a moderator can read; the
//! rules here are the ones a site sets on its settings page.

use unicode_normalization::UnicodeNormalization;

use crate::{Error, settings::FirstTimePolicy};

/// What one check says about a comment.
#[derive(Debug)]
pub enum Verdict {
    /// Nothing to say.
    Pass,
    /// A moderator should look first; the reason says why ("3 links > 2").
    Hold(String),
    /// Spam: kept out of sight, with the reason.
    Spam(String),
    /// Not accepted at all: the error says why (a duplicate, a closed thread).
    Refuse(Error),
}

/// The site's comment rules, from its settings.
#[derive(Debug, Clone)]
pub struct CommentRules {
    /// A comment with more links than this is held.
    pub max_links: usize,
    /// Words or patterns that hold a comment for a moderator.
    pub hold_words: Vec<String>,
    /// Words or patterns that mark a comment as spam.
    pub spam_words: Vec<String>,
    /// Comments an hour one address may post (a burst of [`ADDRESS_BURST`] at once).
    pub per_address_hourly: u32,
    /// Comments an hour one article may receive (a burst of [`ARTICLE_BURST`] at once).
    pub per_article_hourly: u32,
    /// Whose comments wait for a moderator.
    pub first_time: FirstTimePolicy,
    /// A form sent sooner than this after it was shown is held.
    pub form_min_seconds: u32,
    /// A form sent later than this after it was shown is refused, to be sent again.
    pub form_max_hours: u32,
    /// The longest comment a reader may post, in characters.
    pub max_chars: usize,
    /// Articles older than this many days take no new comments; 0 for never.
    pub close_after_days: u32,
}

/// Comments one address may post in a row before its hourly rate applies: a person answering
/// a few others, not a flood.
pub const ADDRESS_BURST: f64 = 5.0;
/// Comments one article may receive in a row before its hourly rate applies.
pub const ARTICLE_BURST: f64 = 30.0;

impl Default for CommentRules {
    fn default() -> Self {
        crate::settings::SiteSettings::default().comment_rules()
    }
}

/// A word list as typed on the settings page: one entry per line, blank lines ignored.
pub fn parse_word_list(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| normalise(l.trim()))
        .filter(|l| !l.is_empty())
        .collect()
}

/// Text as the word lists match it: Unicode-normalised (NFKC, so that full-width or styled
/// letters are the plain ones) and lower-case.
pub fn normalise(text: &str) -> String {
    // ASCII is its own NFKC form: most comments need not go through the Unicode tables.
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    text.nfkc().collect::<String>().to_lowercase()
}

/// How many web addresses a text holds (`http://`, `https://` and `www.`), as a moderator
/// would count them.
pub fn count_links(text: &str) -> usize {
    let lower = text.to_lowercase();
    lower.matches("http://").count()
        + lower.matches("https://").count()
        + lower
            .match_indices("www.")
            .filter(|(i, _)| !lower[..*i].ends_with("://"))
            .count()
}

/// The first entry of `list` that `text` holds: an entry is matched as whole words (a phrase
/// of several words matches them in a row); `*` at its start or end matches any letters there
/// ("casino*" matches "casinos").
pub fn first_match<'a>(text: &str, list: &'a [String]) -> Option<&'a str> {
    Words::of(text).first_match(list)
}

/// A text normalised once ([`normalise`]) for matching against several word lists.
pub struct Words {
    normalised: String,
}

impl Words {
    /// The words of `text`.
    pub fn of(text: &str) -> Self {
        Words {
            normalised: normalise(text),
        }
    }

    /// The first entry of `list` the text holds (see [`first_match`]).
    pub fn first_match<'a>(&self, list: &'a [String]) -> Option<&'a str> {
        if list.is_empty() {
            return None;
        }
        let words: Vec<&str> = self
            .normalised
            .split(|c: char| !c.is_alphanumeric() && c != '*')
            .filter(|w| !w.is_empty())
            .collect();
        list.iter().map(String::as_str).find(|entry| {
            let parts: Vec<&str> = entry
                .split(|c: char| !c.is_alphanumeric() && c != '*')
                .filter(|w| !w.is_empty())
                .collect();
            !parts.is_empty()
                && words.windows(parts.len()).any(|window| {
                    window
                        .iter()
                        .zip(&parts)
                        .all(|(word, part)| word_matches(word, part))
                })
        })
    }
}

fn word_matches(word: &str, pattern: &str) -> bool {
    let core = pattern.trim_matches('*');
    match (pattern.starts_with('*'), pattern.ends_with('*')) {
        (true, true) => word.contains(core),
        (true, false) => word.ends_with(core),
        (false, true) => word.starts_with(core),
        (false, false) => word == core,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_counted_as_a_reader_sees_them() {
        assert_eq!(count_links("no links"), 0);
        assert_eq!(
            count_links("see https://a.org and http://b.org and www.c.org, HTTPS://D.ORG"),
            4
        );
        assert_eq!(count_links("https://www.a.org once"), 1);
    }

    #[test]
    fn words_match_whole_normalised_and_by_pattern() {
        let list = parse_word_list("Casino*\n\ncheap pills\n*coin\n");
        assert_eq!(
            first_match("Visit our CASINOS today", &list),
            Some("casino*")
        );
        assert_eq!(
            first_match("ＣＡＳＩＮＯ night", &list),
            Some("casino*"),
            "full-width letters"
        );
        assert_eq!(
            first_match("Buy cheap   pills!", &list),
            Some("cheap pills")
        );
        assert_eq!(first_match("cheap, effective pills", &list), None);
        assert_eq!(first_match("get bitcoin", &list), Some("*coin"));
        assert_eq!(
            first_match("the occasion was grim", &list),
            None,
            "not inside a word"
        );
        assert_eq!(first_match("pills are cheap", &list), None);
    }

    #[test]
    fn ascii_text_is_normalised_as_the_unicode_tables_would() {
        let every: String = (0u8..128).map(char::from).collect();
        assert_eq!(
            normalise(&every),
            every.nfkc().collect::<String>().to_lowercase()
        );
    }
}
