//! Feeds in the three formats feed readers take: Atom 1.0 (RFC 4287), RSS 2.0 and JSON Feed 1.1.
//! One [`Feed`] of [`Entry`]s, built by the web crate from articles or comments, is written in
//! each format here, with no I/O; the texts are escaped for XML here and nowhere else.

use jiff::Timestamp;
use serde::Serialize;

/// The three formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `atom.xml`
    Atom,
    /// `rss.xml`
    Rss,
    /// `feed.json`
    Json,
}

impl Format {
    /// Every format, in the order pages announce them.
    pub const ALL: [Format; 3] = [Format::Atom, Format::Rss, Format::Json];

    /// The last segment of a feed's address.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Atom => "atom.xml",
            Format::Rss => "rss.xml",
            Format::Json => "feed.json",
        }
    }

    /// The media type, for `Content-Type` and `<link rel="alternate" type>`.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Atom => "application/atom+xml",
            Format::Rss => "application/rss+xml",
            Format::Json => "application/feed+json",
        }
    }

    /// How a page's `<link>` names it.
    pub fn label(self) -> &'static str {
        match self {
            Format::Atom => "Atom",
            Format::Rss => "RSS",
            Format::Json => "JSON Feed",
        }
    }
}

/// A feed: what it is about, and its newest entries.
#[derive(Debug, Clone)]
pub struct Feed {
    /// Stable id of the feed (a tag URI).
    pub id: String,
    /// Its name.
    pub title: String,
    /// A sentence about it; may be empty.
    pub subtitle: String,
    /// The page it follows, absolute.
    pub home_url: String,
    /// Its own address in this format, absolute.
    pub self_url: String,
    /// BCP 47 language of the site.
    pub language: String,
    /// The newest change to any entry (or the site's start when it has none).
    pub updated: Timestamp,
    /// Who publishes it, for readers that want an author at the feed level.
    pub publisher: String,
    /// Newest first.
    pub entries: Vec<Entry>,
}

/// One article or comment.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Stable id (a tag URI that survives a new slug or address).
    pub id: String,
    /// Plain text.
    pub title: String,
    /// The permalink, absolute.
    pub url: String,
    /// First published.
    pub published: Timestamp,
    /// Last changed.
    pub updated: Timestamp,
    /// Writer's name.
    pub author_name: String,
    /// Writer's page, absolute, if they have one.
    pub author_url: Option<String>,
    /// A sentence or two, plain text; may be empty.
    pub summary: String,
    /// The whole text as sanitised HTML, when the site gives it.
    pub content_html: Option<String>,
    /// The lead image.
    pub image: Option<Image>,
    /// Topics: (slug, name, topic page).
    pub categories: Vec<Category>,
}

/// An entry's lead image, as an enclosure.
#[derive(Debug, Clone)]
pub struct Image {
    /// Absolute address.
    pub url: String,
    /// MIME type.
    pub media_type: String,
    /// Size of the file.
    pub size_bytes: i64,
    /// Its description, for readers that show one.
    pub alt: String,
}

/// A topic an entry is filed under.
#[derive(Debug, Clone)]
pub struct Category {
    /// Path segment of the topic.
    pub term: String,
    /// Its name.
    pub label: String,
    /// Its page, absolute.
    pub url: String,
}

impl Feed {
    /// The feed in `format`.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Atom => self.atom(),
            Format::Rss => self.rss(),
            Format::Json => self.json(),
        }
    }

    fn atom(&self) -> String {
        let mut x = String::with_capacity(4096);
        x.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        x.push_str(&format!(
            "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n",
            esc(&self.language)
        ));
        element(&mut x, 1, "id", &self.id);
        element(&mut x, 1, "title", &self.title);
        if !self.subtitle.is_empty() {
            element(&mut x, 1, "subtitle", &self.subtitle);
        }
        element(&mut x, 1, "updated", &self.updated.to_string());
        x.push_str(&format!(
            "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            esc(&self.home_url)
        ));
        x.push_str(&format!(
            "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
            esc(&self.self_url)
        ));
        x.push_str("  <author>\n");
        element(&mut x, 2, "name", &self.publisher);
        x.push_str("  </author>\n");
        element(&mut x, 1, "generator", "Dateline");
        for e in &self.entries {
            x.push_str("  <entry>\n");
            element(&mut x, 2, "id", &e.id);
            element(&mut x, 2, "title", &e.title);
            x.push_str(&format!(
                "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
                esc(&e.url)
            ));
            element(&mut x, 2, "published", &e.published.to_string());
            element(&mut x, 2, "updated", &e.updated.to_string());
            x.push_str("    <author>\n");
            element(&mut x, 3, "name", &e.author_name);
            if let Some(u) = &e.author_url {
                element(&mut x, 3, "uri", u);
            }
            x.push_str("    </author>\n");
            for c in &e.categories {
                x.push_str(&format!(
                    "    <category term=\"{}\" label=\"{}\" scheme=\"{}\"/>\n",
                    esc(&c.term),
                    esc(&c.label),
                    esc(&c.url)
                ));
            }
            if let Some(i) = &e.image {
                x.push_str(&format!(
                    "    <link rel=\"enclosure\" type=\"{}\" length=\"{}\" href=\"{}\" title=\"{}\"/>\n",
                    esc(&i.media_type),
                    i.size_bytes,
                    esc(&i.url),
                    esc(&i.alt)
                ));
            }
            if !e.summary.is_empty() {
                x.push_str(&format!(
                    "    <summary type=\"text\">{}</summary>\n",
                    esc(&e.summary)
                ));
            }
            if let Some(html) = &e.content_html {
                x.push_str(&format!(
                    "    <content type=\"html\">{}</content>\n",
                    esc(html)
                ));
            }
            x.push_str("  </entry>\n");
        }
        x.push_str("</feed>\n");
        x
    }

    fn rss(&self) -> String {
        let mut x = String::with_capacity(4096);
        x.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        x.push_str(
            "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\" \
             xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" \
             xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel>\n",
        );
        element(&mut x, 1, "title", &self.title);
        element(&mut x, 1, "link", &self.home_url);
        // RSS requires a description; the title stands in when the site has none.
        let description = if self.subtitle.is_empty() {
            &self.title
        } else {
            &self.subtitle
        };
        element(&mut x, 1, "description", description);
        element(&mut x, 1, "language", &self.language);
        element(&mut x, 1, "lastBuildDate", &rfc822(self.updated));
        element(&mut x, 1, "generator", "Dateline");
        x.push_str(&format!(
            "  <atom:link href=\"{}\" rel=\"self\" type=\"application/rss+xml\"/>\n",
            esc(&self.self_url)
        ));
        for e in &self.entries {
            x.push_str("  <item>\n");
            // RSS leaves open whether a title is text or HTML; character references for & and
            // < keep a text title ("Ali <b>") from being read as markup either way.
            x.push_str(&format!("    <title>{}</title>\n", esc_plain(&e.title)));
            element(&mut x, 2, "link", &e.url);
            x.push_str(&format!(
                "    <guid isPermaLink=\"false\">{}</guid>\n",
                esc(&e.id)
            ));
            element(&mut x, 2, "pubDate", &rfc822(e.published));
            // RSS's <author> must be an e-mail address, which is never published here.
            element(&mut x, 2, "dc:creator", &e.author_name);
            for c in &e.categories {
                x.push_str(&format!(
                    "    <category domain=\"{}\">{}</category>\n",
                    esc(&c.url),
                    esc(&c.label)
                ));
            }
            if let Some(i) = &e.image {
                x.push_str(&format!(
                    "    <enclosure url=\"{}\" length=\"{}\" type=\"{}\"/>\n",
                    esc(&i.url),
                    i.size_bytes,
                    esc(&i.media_type)
                ));
            }
            let description = if e.summary.is_empty() {
                &e.title
            } else {
                &e.summary
            };
            // An RSS description is HTML: plain text is escaped as HTML first ("<left>" is a
            // word here, not a tag), then as XML.
            let mut html = String::new();
            crate::comments::push_escaped(&mut html, description);
            element(&mut x, 2, "description", &html);
            if let Some(html) = &e.content_html {
                element(&mut x, 2, "content:encoded", html);
            }
            x.push_str("  </item>\n");
        }
        x.push_str("</channel>\n</rss>\n");
        x
    }

    fn json(&self) -> String {
        let feed = JsonFeed {
            version: "https://jsonfeed.org/version/1.1",
            title: &self.title,
            home_page_url: &self.home_url,
            feed_url: &self.self_url,
            description: Some(self.subtitle.as_str()).filter(|s| !s.is_empty()),
            language: &self.language,
            authors: vec![JsonAuthor {
                name: &self.publisher,
                url: None,
            }],
            items: self.entries.iter().map(JsonItem::of).collect(),
        };
        let mut out = serde_json::to_string_pretty(&feed).unwrap_or_default();
        out.push('\n');
        out
    }
}

/// JSON Feed 1.1, its fields in the order of the specification (`version` first, as it asks).
#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    language: &'a str,
    authors: Vec<JsonAuthor<'a>>,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonAuthor<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    date_published: String,
    date_modified: String,
    authors: Vec<JsonAuthor<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<&'a str>,
}

impl<'a> JsonItem<'a> {
    fn of(e: &'a Entry) -> Self {
        let summary = Some(e.summary.as_str()).filter(|s| !s.is_empty());
        JsonItem {
            id: &e.id,
            url: &e.url,
            title: &e.title,
            content_html: e.content_html.as_deref(),
            // JSON Feed needs a content: without the article's, the summary or the title.
            content_text: e
                .content_html
                .is_none()
                .then(|| summary.unwrap_or(&e.title)),
            summary,
            image: e.image.as_ref().map(|i| i.url.as_str()),
            date_published: e.published.to_string(),
            date_modified: e.updated.to_string(),
            authors: vec![JsonAuthor {
                name: &e.author_name,
                url: e.author_url.as_deref(),
            }],
            tags: e.categories.iter().map(|c| c.label.as_str()).collect(),
        }
    }
}

/// `<name>text</name>` on its own line, indented by `depth` levels.
fn element(x: &mut String, depth: usize, name: &str, text: &str) {
    for _ in 0..depth {
        x.push_str("  ");
    }
    x.push('<');
    x.push_str(name);
    x.push('>');
    x.push_str(&esc(text));
    x.push_str("</");
    x.push_str(name);
    x.push_str(">\n");
}

/// Text as XML character data or an attribute value. Characters XML 1.0 cannot carry at all
/// (control characters other than tab and line ends) are dropped: the fields refuse them, but a
/// feed must stay well-formed whatever the database holds.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Plain text for an RSS element that readers may take for HTML: `&` and `<` as hexadecimal
/// character references, which mean the characters themselves in both readings.
fn esc_plain(text: &str) -> String {
    esc(text)
        .replace("&amp;", "&#x26;")
        .replace("&lt;", "&#x3C;")
}

/// A time as RSS writes it (RFC 822, with a four-digit year, in GMT).
pub fn rfc822(t: Timestamp) -> String {
    t.strftime("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn sample() -> Feed {
        let t: Timestamp = "2009-07-31T16:00:00Z".parse().unwrap();
        Feed {
            id: "tag:news.example,2009:/".into(),
            title: "News & <Views>".into(),
            subtitle: String::new(),
            home_url: "https://news.example/".into(),
            self_url: "https://news.example/atom.xml".into(),
            language: "en".into(),
            updated: t,
            publisher: "News".into(),
            entries: vec![Entry {
                id: "tag:news.example,2009-07-31:/articles/1".into(),
                title: "Raid on \"Camp\" Ashraf\u{1}".into(),
                url: "https://news.example/2009/07/31/raid/?a=1&b=2".into(),
                published: t,
                updated: t,
                author_name: "Ali".into(),
                author_url: Some("https://news.example/authors/ali/".into()),
                summary: "Iraqi troops raided the camp.".into(),
                content_html: Some("<p>Body &amp; more</p>".into()),
                image: None,
                categories: vec![Category {
                    term: "iraq".into(),
                    label: "Iraq".into(),
                    url: "https://news.example/topics/iraq/".into(),
                }],
            }],
        }
    }

    #[test]
    fn text_is_escaped_and_control_characters_dropped() {
        let atom = sample().render(Format::Atom);
        assert!(atom.contains("<title>News &amp; &lt;Views&gt;</title>"));
        assert!(atom.contains("<title>Raid on &quot;Camp&quot; Ashraf</title>"));
        assert!(atom.contains("href=\"https://news.example/2009/07/31/raid/?a=1&amp;b=2\""));
        assert!(
            atom.contains(
                "<content type=\"html\">&lt;p&gt;Body &amp;amp; more&lt;/p&gt;</content>"
            )
        );
        let rss = sample().render(Format::Rss);
        assert!(rss.contains("<pubDate>Fri, 31 Jul 2009 16:00:00 +0000</pubDate>"));
        let mut tagged = sample();
        tagged.entries[0].summary = "Fighting <left> dead & more".into();
        assert!(tagged.render(Format::Rss).contains(
            "<description>Fighting &amp;lt;left&amp;gt; dead &amp;amp; more</description>"
        ));
        assert!(
            rss.contains("<description>News &amp; &lt;Views&gt;</description>"),
            "{rss}"
        );
        let json: Value = serde_json::from_str(&sample().render(Format::Json)).unwrap();
        assert_eq!(json["items"][0]["content_html"], "<p>Body &amp; more</p>");
        assert_eq!(json["items"][0]["tags"], json!(["Iraq"]));
    }

    #[test]
    fn a_summary_feed_still_gives_json_feed_a_content() {
        let mut feed = sample();
        feed.entries[0].content_html = None;
        let json: Value = serde_json::from_str(&feed.render(Format::Json)).unwrap();
        assert_eq!(
            json["items"][0]["content_text"],
            "Iraqi troops raided the camp."
        );
        assert!(!feed.render(Format::Atom).contains("<content"));
    }
}
