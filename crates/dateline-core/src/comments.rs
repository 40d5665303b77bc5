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
    /// Written by a member of staff (from the desk or with a token): marked so on the page.
    pub by_staff: bool,
}

impl Comment {
    /// The body as safe HTML (see [`render_comment`]).
    pub fn body_html(&self) -> String {
        render_comment(&self.body)
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

/// What a reader's comment may be written with: paragraphs and line breaks, emphasis, links,
/// quotes, inline code and lists. Anything else they type is kept as text or dropped with its
/// markup (headings become plain paragraphs, images their description).
const COMMENT_TAGS: [&str; 11] = [
    "p",
    "br",
    "em",
    "strong",
    "a",
    "blockquote",
    "code",
    "ul",
    "ol",
    "li",
    "del",
];

/// Turns a reader's comment (a small Markdown subset) into HTML that is safe on any page.
/// Raw HTML the reader types is shown as text, never parsed; bare http(s) addresses become
/// links; the result is sanitised by an allow-list (ammonia), so nothing but the tags above,
/// `href` on links and `dir` survives. Links carry `rel="nofollow ugc noopener"`, so comment
/// spam earns no ranking. Every block takes `dir="auto"`, so a Persian or Hebrew paragraph reads
/// right to left among English ones.
pub fn render_comment(body: &str) -> String {
    use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, html};

    let normalised = body.replace("\r\n", "\n").replace('\r', "\n");
    let mut events = Vec::new();
    let mut in_link = 0usize;
    let mut in_code_block = false;
    for event in Parser::new_ext(&normalised, Options::ENABLE_STRIKETHROUGH) {
        match event {
            // A heading is a paragraph in a comment.
            Event::Start(Tag::Heading { .. }) => events.push(Event::Start(Tag::Paragraph)),
            Event::End(TagEnd::Heading(_)) => events.push(Event::End(TagEnd::Paragraph)),
            // A block of code is a paragraph of code, line by line.
            Event::Start(Tag::CodeBlock(_)) => {
                in_code_block = true;
                events.push(Event::Start(Tag::Paragraph));
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code_block = false;
                if matches!(events.last(), Some(Event::HardBreak)) {
                    events.pop();
                }
                events.push(Event::End(TagEnd::Paragraph));
            }
            Event::Text(text) if in_code_block => {
                for line in text.lines() {
                    events.push(Event::Code(CowStr::from(line.to_owned())));
                    events.push(Event::HardBreak);
                }
            }
            // Typed markup is text, whatever it looks like.
            Event::Html(raw) | Event::InlineHtml(raw) => events.push(Event::Text(raw)),
            // An image is shown as its description: readers do not place images on the page.
            Event::Start(Tag::Image { .. }) => in_link += 1,
            Event::End(TagEnd::Image) => in_link -= 1,
            Event::Start(Tag::Link { .. }) => {
                in_link += 1;
                events.push(event);
            }
            Event::End(TagEnd::Link) => {
                in_link -= 1;
                events.push(event);
            }
            // "Soft" line breaks are the reader's own: keep them.
            Event::SoftBreak => events.push(Event::HardBreak),
            Event::Text(text) if in_link == 0 => {
                let mut rest: &str = &text;
                while let Some(start) = find_url_start(rest) {
                    if start > 0 {
                        events.push(Event::Text(CowStr::from(rest[..start].to_owned())));
                    }
                    let tail = &rest[start..];
                    let end = tail.find(char::is_whitespace).unwrap_or(tail.len());
                    // Punctuation that ends a sentence is not part of the address.
                    let url = tail[..end]
                        .trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '"', '\'', '’', '”']);
                    let has_host = url
                        .split("://")
                        .nth(1)
                        .is_some_and(|h| !h.split('/').next().unwrap_or("").is_empty());
                    if has_host {
                        let url = CowStr::from(url.to_owned());
                        events.push(Event::Start(Tag::Link {
                            link_type: LinkType::Autolink,
                            dest_url: url.clone(),
                            title: CowStr::from(""),
                            id: CowStr::from(""),
                        }));
                        events.push(Event::Text(url));
                        events.push(Event::End(TagEnd::Link));
                    } else {
                        events.push(Event::Text(CowStr::from(url.to_owned())));
                    }
                    // Never empty: the scheme itself is not trimmed.
                    rest = &tail[url.len()..];
                }
                if !rest.is_empty() {
                    events.push(Event::Text(CowStr::from(rest.to_owned())));
                }
            }
            Event::Text(_) => events.push(event),
            other => events.push(other),
        }
    }
    let mut unsafe_html = String::with_capacity(normalised.len() * 3 / 2);
    html::push_html(&mut unsafe_html, events.into_iter());
    COMMENT_SANITISER.clean(&unsafe_html).to_string()
}

/// The allow-list comments are cleaned with, made once: making it (a dozen sets and maps) cost
/// as much as cleaning a comment, for each of a page's fifty comments.
static COMMENT_SANITISER: std::sync::LazyLock<ammonia::Builder<'static>> =
    std::sync::LazyLock::new(|| {
        let mut clean = ammonia::Builder::empty();
        clean
            .add_tags(COMMENT_TAGS)
            .generic_attributes(std::collections::HashSet::new())
            .tag_attributes(std::collections::HashMap::new())
            .add_tag_attributes("a", ["href"])
            .url_schemes(["http", "https", "mailto"].into_iter().collect())
            // A relative address would point into this site: a reader's link must say where it
            // goes.
            .url_relative(ammonia::UrlRelative::Deny)
            .link_rel(Some("nofollow ugc noopener"));
        for block in ["p", "blockquote", "li"] {
            clean.set_tag_attribute_value(block, "dir", "auto");
        }
        clean
    });

fn find_url_start(s: &str) -> Option<usize> {
    let lower = s.to_ascii_lowercase();
    [lower.find("https://"), lower.find("http://")]
        .into_iter()
        .flatten()
        .min()
}

/// Escapes text for HTML element content and double-quoted attributes.
pub fn push_escaped(out: &mut String, s: &str) {
    // The characters escaped are ASCII, so every index where one stands is a char boundary;
    // the text between them goes out in one piece.
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push_str(entity);
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn paragraphs_line_breaks_links_and_typed_markup_as_text() {
        let html = render_comment(
            "First line\nsecond <b>line</b>\n\nSee https://example.org/a?b=1&c=2. Bye",
        );
        assert_eq!(
            html,
            "<p dir=\"auto\">First line<br>\nsecond &lt;b&gt;line&lt;/b&gt;</p>\n\
             <p dir=\"auto\">See <a href=\"https://example.org/a?b=1&amp;c=2\" \
             rel=\"nofollow ugc noopener\">https://example.org/a?b=1&amp;c=2</a>. Bye</p>\n"
        );
    }

    #[test]
    fn the_markdown_subset_and_nothing_more() {
        let html = render_comment(
            "*so* **very** `code` ~~gone~~\n\n> quoted\n\n- one\n- two\n\n1. first\n\n\
             # Not a heading\n\n![a picture](https://x.org/p.png) [site](https://x.org/ \"t\")",
        );
        for wanted in [
            "<em>so</em>",
            "<strong>very</strong>",
            "<code>code</code>",
            "<del>gone</del>",
            "<blockquote dir=\"auto\">",
            "<ul>",
            "<li dir=\"auto\">one</li>",
            "<ol>",
            "<p dir=\"auto\">Not a heading</p>",
            "a picture",
            "<a href=\"https://x.org/\" rel=\"nofollow ugc noopener\">site</a>",
        ] {
            assert!(html.contains(wanted), "{wanted} in {html}");
        }
        for unwanted in ["<h1", "<img", "title=", "p.png"] {
            assert!(!html.contains(unwanted), "{unwanted} in {html}");
        }
    }

    #[test]
    fn a_code_block_is_a_paragraph_of_code() {
        let html = render_comment("```\nlet x = 1;\nlet y = <b>;\n```");
        assert_eq!(
            html,
            "<p dir=\"auto\"><code>let x = 1;</code><br>\n<code>let y = &lt;b&gt;;</code></p>\n"
        );
    }

    #[test]
    fn scripts_handlers_and_bad_schemes_never_pass() {
        for body in [
            "<script>alert(1)</script>",
            "[x](javascript:alert(1))",
            "[relative](8) [rooted](/admin/users) [query](?reply_to=1)",
            "<img src=x onerror=alert(1)>",
            "[x](data:text/html,<script>alert(1)</script>)",
            "http://x.org/\"onmouseover=alert(1)",
            "<a href=\"https://x.org\" onclick=\"alert(1)\">x</a>",
        ] {
            let html = render_comment(body);
            assert!(!html.contains("<script"), "{body}: {html}");
            assert!(!html.contains("javascript:"), "{body}: {html}");
            assert!(!html.contains("data:"), "{body}: {html}");
            assert!(safe_markup(&html).is_ok(), "{body}: {html}");
        }
    }

    /// Checks that `html` holds only the comment tags and the attributes `href` (http, https or
    /// mailto), `rel` and `dir`, by walking it tag by tag.
    pub(crate) fn safe_markup(html: &str) -> std::result::Result<(), String> {
        let mut rest = html;
        while let Some(i) = rest.find('<') {
            rest = &rest[i + 1..];
            let closing = rest.starts_with('/');
            if closing {
                rest = &rest[1..];
            }
            let name_end = rest
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .ok_or("unclosed tag")?;
            let name = &rest[..name_end];
            if !COMMENT_TAGS.contains(&name) {
                return Err(format!("tag <{name}>"));
            }
            rest = &rest[name_end..];
            loop {
                rest = rest.trim_start();
                if let Some(r) = rest.strip_prefix('>') {
                    rest = r;
                    break;
                }
                let attr_end = rest.find(['=', '>', ' ']).ok_or("unclosed attribute")?;
                let attr = &rest[..attr_end];
                rest = &rest[attr_end..];
                let value = match rest.strip_prefix("=\"") {
                    Some(r) => {
                        let end = r.find('"').ok_or("unclosed value")?;
                        rest = &r[end + 1..];
                        &r[..end]
                    }
                    None => "",
                };
                let ok = match attr {
                    "href" => ["http://", "https://", "mailto:"]
                        .iter()
                        .any(|s| value.starts_with(s)),
                    "rel" => value == "nofollow ugc noopener",
                    "dir" => value == "auto",
                    _ => false,
                };
                if !ok {
                    return Err(format!("attribute {attr}={value:?} on <{name}>"));
                }
            }
        }
        Ok(())
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
        fn any_text_renders_to_the_allowed_markup_only(body in "\\PC{0,300}") {
            let html = render_comment(&body);
            prop_assert!(safe_markup(&html).is_ok(), "{:?} for {:?}: {}", safe_markup(&html), body, html);
        }

        #[test]
        fn escaped_text_holds_no_markup_and_reads_back_as_typed(text in "([<>&\"'a-z ]|\\PC){0,200}") {
            let mut html = String::new();
            push_escaped(&mut html, &text);
            prop_assert!(!html.contains(['<', '>', '"', '\'']), "{}", html);
            let back = html
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&");
            prop_assert_eq!(back, text);
        }

        #[test]
        fn markdown_shaped_text_too(body in "([*_`>#\\[\\]()!<a-z/:. -]|\n|https://|javascript:|<script>|onerror=){0,60}") {
            let html = render_comment(&body);
            prop_assert!(safe_markup(&html).is_ok(), "{:?} for {:?}: {}", safe_markup(&html), body, html);
        }
    }
}
