//! Reader comments: what a valid one is, and how its plain text becomes safe HTML.

use jiff::Timestamp;
use serde::Deserialize;

use crate::{Error, Result, text, text::Email};

/// Where a comment is in moderation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CommentStatus {
    /// Waiting for a moderator.
    Pending,
    /// Visible to readers.
    Approved,
    /// Judged to be spam.
    Spam,
    /// Removed by a moderator.
    Trash,
}

impl CommentStatus {
    /// Parses the stored or typed form.
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        match s {
            "pending" => Ok(CommentStatus::Pending),
            "approved" => Ok(CommentStatus::Approved),
            "spam" => Ok(CommentStatus::Spam),
            "trash" => Ok(CommentStatus::Trash),
            _ => Err(Error::invalid(
                field,
                "The status must be pending, approved, spam or trash.",
            )),
        }
    }

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            CommentStatus::Pending => "pending",
            CommentStatus::Approved => "approved",
            CommentStatus::Spam => "spam",
            CommentStatus::Trash => "trash",
        }
    }
}

/// A comment as readers see it: no e-mail, no IP, no user agent.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Comment {
    /// Database id.
    pub id: i64,
    /// The article it belongs to.
    pub article_id: i64,
    /// The comment it answers, if any.
    pub parent_id: Option<i64>,
    /// Name the commenter gave.
    pub author_name: String,
    /// The text as typed.
    pub body: String,
    /// Moderation state.
    pub status: CommentStatus,
    /// When it was posted.
    pub created_at: Timestamp,
}

impl Comment {
    /// The body as safe HTML (see [`render_plain_text`]).
    pub fn body_html(&self) -> String {
        render_plain_text(&self.body)
    }
}

/// A comment as submitted by a reader or an importer, before validation.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentForm {
    /// Name to show.
    pub author_name: String,
    /// Private contact address.
    #[serde(default)]
    pub author_email: Option<String>,
    /// The text.
    pub body: String,
    /// The comment answered.
    #[serde(default, deserialize_with = "crate::wire::optional_whole_number")]
    pub parent_id: Option<i64>,
    /// Original time; editors only, for bringing in historical comments.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Moderation state; editors only.
    #[serde(default)]
    pub status: Option<String>,
}

/// A validated comment. `created_at` and `status` are what the form asked for; the submit
/// action decides whether the actor may ask for them.
#[derive(Debug, Clone)]
pub struct CommentInput {
    /// Name to show.
    pub author_name: String,
    /// Private contact address.
    pub author_email: Option<Email>,
    /// The text, trimmed.
    pub body: String,
    /// The comment answered.
    pub parent_id: Option<i64>,
    /// Original time, when bringing in history.
    pub created_at: Option<Timestamp>,
    /// Moderation state, when bringing in history.
    pub status: Option<CommentStatus>,
}

impl CommentInput {
    /// Whether it asks for what only editors and importers may set.
    pub fn sets_history(&self) -> bool {
        self.created_at.is_some() || self.status.is_some()
    }
}

/// Longest comment accepted, in characters.
pub const MAX_BODY_CHARS: usize = 10_000;
/// Longest commenter name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 80;

impl CommentForm {
    /// Validates a comment; the first invalid field is reported with its name.
    pub fn parse(&self, now: Timestamp) -> Result<CommentInput> {
        let author_name = text::required_text("author_name", &self.author_name, MAX_NAME_CHARS)?;
        let author_email = match self.author_email.as_deref() {
            None | Some("") => None,
            Some(e) => Some(Email::parse("author_email", e)?),
        };
        let body = text::required_text("body", &self.body, MAX_BODY_CHARS)?;
        if self.parent_id.is_some_and(|p| p <= 0) {
            return Err(Error::invalid(
                "parent_id",
                "No comment on this article has this id.",
            ));
        }
        let created_at = match self.created_at.as_deref() {
            None => None,
            Some(s) => {
                let t = crate::articles::parse_rfc3339("created_at", s)?;
                if t > now {
                    return Err(Error::invalid("created_at", "This time is in the future."));
                }
                Some(t)
            }
        };
        let status = self
            .status
            .as_deref()
            .map(|s| CommentStatus::parse("status", s))
            .transpose()?;
        Ok(CommentInput {
            author_name,
            author_email,
            body,
            parent_id: self.parent_id,
            created_at,
            status,
        })
    }
}

/// Turns a reader's plain text into HTML: every character escaped, blank lines separating
/// paragraphs, single line breaks kept, and http(s) addresses made into links that carry
/// `rel="nofollow ugc"` so that comment spam earns no ranking. `dir="auto"` lets each paragraph
/// take the direction of its own script, so Persian or Hebrew reads right to left.
pub fn render_plain_text(body: &str) -> String {
    let normalised = body.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(normalised.len() + 64);
    for para in normalised
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        out.push_str("<p dir=\"auto\">");
        for (i, line) in para.lines().enumerate() {
            if i > 0 {
                out.push_str("<br>\n");
            }
            push_linked(&mut out, line);
        }
        out.push_str("</p>\n");
    }
    out
}

fn push_linked(out: &mut String, line: &str) {
    let mut rest = line;
    while let Some(start) = find_url_start(rest) {
        push_escaped(out, &rest[..start]);
        let tail = &rest[start..];
        let end = tail.find(char::is_whitespace).unwrap_or(tail.len());
        // Punctuation that ends a sentence is not part of the address.
        let url =
            tail[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '"', '\'', '’', '”']);
        let host_len = url
            .split("://")
            .nth(1)
            .map_or(0, |h| h.split('/').next().unwrap_or("").len());
        if host_len == 0 {
            push_escaped(out, url);
        } else {
            out.push_str("<a href=\"");
            push_escaped(out, url);
            out.push_str("\" rel=\"nofollow ugc\">");
            push_escaped(out, url);
            out.push_str("</a>");
        }
        rest = &tail[url.len()..];
    }
    push_escaped(out, rest);
}

fn find_url_start(s: &str) -> Option<usize> {
    let lower = s.to_ascii_lowercase();
    [lower.find("https://"), lower.find("http://")]
        .into_iter()
        .flatten()
        .min()
}

/// Escapes text for HTML element content and double-quoted attributes.
pub fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn paragraphs_links_and_escaping() {
        let html = render_plain_text(
            "First line\nsecond <b>line</b>\n\nSee https://example.org/a?b=1&c=2. Bye",
        );
        assert_eq!(
            html,
            "<p dir=\"auto\">First line<br>\nsecond &lt;b&gt;line&lt;/b&gt;</p>\n\
             <p dir=\"auto\">See <a href=\"https://example.org/a?b=1&amp;c=2\" rel=\"nofollow ugc\">\
             https://example.org/a?b=1&amp;c=2</a>. Bye</p>\n"
        );
    }

    #[test]
    fn a_quote_cannot_break_out_of_the_link() {
        let html = render_plain_text("http://x.org/\"onmouseover=alert(1)");
        assert!(!html.contains("\"onmouseover"), "{html}");
    }

    #[test]
    fn parse_reports_history_fields_for_the_action_to_judge() {
        let now = Timestamp::now();
        let f = CommentForm {
            author_name: "ali".into(),
            body: "Hi".into(),
            status: Some("approved".into()),
            ..Default::default()
        };
        assert!(f.parse(now).unwrap().sets_history());
        let plain = CommentForm { status: None, ..f };
        assert!(!plain.parse(now).unwrap().sets_history());
    }

    proptest! {
        #[test]
        fn no_markup_survives(body in "\\PC{0,300}") {
            let html = render_plain_text(&body);
            // Strip the tags we emit; what remains must contain no angle bracket.
            let stripped = html
                .replace("<p dir=\"auto\">", "")
                .replace("</p>", "")
                .replace("<br>", "")
                .replace("</a>", "");
            let stripped = regex_free_strip_links(&stripped);
            prop_assert!(!stripped.contains('<') && !stripped.contains('>'), "{}", html);
        }
    }

    fn regex_free_strip_links(s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("<a href=\"") {
            out.push_str(&rest[..i]);
            let after = &rest[i..];
            let end = after
                .find("rel=\"nofollow ugc\">")
                .map(|j| j + "rel=\"nofollow ugc\">".len());
            match end {
                Some(j) => rest = &after[j..],
                None => {
                    out.push_str(after);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }
}
