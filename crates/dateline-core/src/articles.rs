//! Articles: the pieces editors publish, with their lead image, sources and topics.

use jiff::{Timestamp, civil::Date, tz::TimeZone};
use serde::Deserialize;

use crate::{Error, Result, markdown, media::Media, patch::Patch, text, text::Slug, topics::Topic};

/// Where an article is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ArticleStatus {
    /// Being written; only staff see it.
    Draft,
    /// Will become visible at its `published_at`.
    Scheduled,
    /// Visible to readers.
    Published,
}

impl ArticleStatus {
    /// Parses the stored or typed form.
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        match s {
            "draft" => Ok(ArticleStatus::Draft),
            "scheduled" => Ok(ArticleStatus::Scheduled),
            "published" => Ok(ArticleStatus::Published),
            _ => Err(Error::invalid(
                field,
                "The status must be draft, scheduled or published.",
            )),
        }
    }

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleStatus::Draft => "draft",
            ArticleStatus::Scheduled => "scheduled",
            ArticleStatus::Published => "published",
        }
    }
}

/// The author as shown on an article.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Byline {
    /// User id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Path segment of the author page.
    pub slug: String,
}

/// The picture at the top of an article.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LeadImage {
    /// The stored image.
    pub media: Media,
    /// Caption shown under the image.
    pub caption: String,
    /// Text alternative for people who cannot see the image.
    pub alt: String,
    /// Photographer or agency.
    pub credit: Option<String>,
}

/// A piece of original reporting an article summarises.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Source {
    /// Headline of the cited piece.
    pub title: String,
    /// Its writer, when known.
    pub author: Option<String>,
    /// The publication, when known.
    pub outlet: Option<String>,
    /// Where to read it, when known.
    pub url: Option<String>,
    /// Its publication date (`YYYY-MM-DD`), when known.
    pub published_at: Option<String>,
}

/// Where an article stands on the front page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Prominence {
    /// Listed by date.
    #[default]
    Normal,
    /// Shown among the featured articles, under the lead.
    Featured,
    /// The lead story: first, large, with its image and dek. At most one article is.
    Lead,
}

impl Prominence {
    /// The stored number.
    pub fn as_i64(self) -> i64 {
        match self {
            Prominence::Normal => 0,
            Prominence::Featured => 1,
            Prominence::Lead => 2,
        }
    }

    /// From the stored number.
    pub fn from_i64(n: i64) -> Self {
        match n {
            2 => Prominence::Lead,
            1 => Prominence::Featured,
            _ => Prominence::Normal,
        }
    }

    /// Parses the typed form.
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        match s {
            "normal" => Ok(Prominence::Normal),
            "featured" => Ok(Prominence::Featured),
            "lead" => Ok(Prominence::Lead),
            _ => Err(Error::invalid(field, "Use normal, featured or lead.")),
        }
    }

    /// The typed form.
    pub fn as_str(self) -> &'static str {
        match self {
            Prominence::Normal => "normal",
            Prominence::Featured => "featured",
            Prominence::Lead => "lead",
        }
    }
}

/// What kind of note is added to a published article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CorrectionKind {
    /// Something the article got wrong.
    Correction,
    /// Something that happened since.
    Update,
}

impl CorrectionKind {
    /// Parses the stored or typed form.
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        match s {
            "correction" => Ok(CorrectionKind::Correction),
            "update" => Ok(CorrectionKind::Update),
            _ => Err(Error::invalid(field, "Use correction or update.")),
        }
    }

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            CorrectionKind::Correction => "correction",
            CorrectionKind::Update => "update",
        }
    }

    /// How a page labels it ("Correction").
    pub fn label(self) -> &'static str {
        match self {
            CorrectionKind::Correction => "Correction",
            CorrectionKind::Update => "Update",
        }
    }
}

/// A dated note on a published article.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Correction {
    /// Id.
    pub id: i64,
    /// Correction or update.
    pub kind: CorrectionKind,
    /// What it says (plain text).
    pub body: String,
    /// When it was added.
    pub created_at: Timestamp,
}

/// Longest correction note accepted, in characters.
pub const MAX_CORRECTION_CHARS: usize = 2000;

/// Who last changed an article.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Editor {
    /// User id.
    pub id: i64,
    /// Display name.
    pub name: String,
}

/// An article with everything a page needs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Article {
    /// Database id.
    pub id: i64,
    /// Last path segment of its URL.
    pub slug: String,
    /// Headline.
    pub title: String,
    /// Standfirst: one or two sentences under the headline.
    pub dek: String,
    /// The body as written.
    pub body_markdown: String,
    /// The body rendered and sanitised.
    pub body_html: String,
    /// Draft, scheduled or published.
    pub status: ArticleStatus,
    /// When it became (or becomes) visible.
    pub published_at: Option<Timestamp>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When its content last changed.
    pub updated_at: Timestamp,
    /// Who wrote it.
    pub author: Byline,
    /// The lead image, if any.
    pub lead_image: Option<LeadImage>,
    /// Cited reporting, in order.
    pub sources: Vec<Source>,
    /// Topics it is filed under.
    pub topics: Vec<Topic>,
    /// Approved comments.
    pub comment_count: i64,
    /// Increases with every save; a client that saves what it read sends it back, so that a
    /// change made meanwhile by someone else is not overwritten.
    pub version: i64,
    /// Who changed it last, when that was a member of staff.
    pub updated_by: Option<Editor>,
    /// A contributor asked an editor to review it.
    pub review_requested: bool,
    /// Its place on the front page.
    pub prominence: Prominence,
    /// Corrections and updates, oldest first.
    pub corrections: Vec<Correction>,
    /// Whether it takes new comments (the site's age rule may close it anyway).
    pub comments_open: bool,
}

impl Article {
    /// Whether a reader may see it at `now`: published, or scheduled and due. (Deleted articles
    /// never reach this type on a reader's path; the store's list queries state the same rule in
    /// SQL.)
    pub fn is_visible_at(&self, now: Timestamp) -> bool {
        visible_at(self.status, self.published_at, now)
    }

    /// The reader's path, `/2009/07/31/slug/`, with the date in the site's time zone; `None`
    /// until the article has a publication time.
    pub fn path(&self, tz: &TimeZone) -> Option<String> {
        self.published_at.map(|t| permalink(t, &self.slug, tz))
    }
}

/// [`Article::is_visible_at`], for whatever holds an article's status and publication time.
fn visible_at(status: ArticleStatus, published_at: Option<Timestamp>, now: Timestamp) -> bool {
    matches!(status, ArticleStatus::Published | ArticleStatus::Scheduled)
        && published_at.is_some_and(|t| t <= now)
}

/// What taking a comment needs to know of its article, and no more: who may see it, whether
/// it takes comments, and where it is. The intake reads it for every comment; read whole (40
/// columns, three joins and a count), the article made that read take twice as long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentTarget {
    /// Database id.
    pub id: i64,
    /// Last path segment of its URL.
    pub slug: String,
    /// Draft, scheduled or published.
    pub status: ArticleStatus,
    /// When it became (or becomes) visible.
    pub published_at: Option<Timestamp>,
    /// Who wrote it.
    pub author_id: i64,
    /// Whether it takes new comments (the site's age rule may close it anyway).
    pub comments_open: bool,
}

impl CommentTarget {
    /// [`Article::is_visible_at`].
    pub fn is_visible_at(&self, now: Timestamp) -> bool {
        visible_at(self.status, self.published_at, now)
    }

    /// [`Article::path`].
    pub fn path(&self, tz: &TimeZone) -> Option<String> {
        self.published_at.map(|t| permalink(t, &self.slug, tz))
    }
}

impl From<&Article> for CommentTarget {
    fn from(a: &Article) -> Self {
        CommentTarget {
            id: a.id,
            slug: a.slug.clone(),
            status: a.status,
            published_at: a.published_at,
            author_id: a.author.id,
            comments_open: a.comments_open,
        }
    }
}

/// The reader's path of an article published at `at` with `slug`.
pub fn permalink(at: Timestamp, slug: &str, tz: &TimeZone) -> String {
    let d = at.to_zoned_datetime(tz.clone()).date();
    format!("/{:04}/{:02}/{:02}/{slug}/", d.year(), d.month(), d.day())
}

/// An article as typed by an editor or API client, before validation.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleForm {
    /// Headline.
    pub title: String,
    /// Body in Markdown.
    pub body_markdown: String,
    /// Standfirst.
    #[serde(default)]
    pub dek: Option<String>,
    /// URL segment; derived from the title when absent.
    #[serde(default)]
    pub slug: Option<String>,
    /// `draft`, `scheduled` or `published`.
    pub status: String,
    /// RFC 3339 time.
    #[serde(default)]
    pub published_at: Option<String>,
    /// Writer, if not the requester (editors only).
    #[serde(default)]
    pub author_email: Option<String>,
    /// Lead image.
    #[serde(default)]
    pub lead_image: Option<LeadImageForm>,
    /// Cited reporting.
    #[serde(default)]
    pub sources: Option<Vec<SourceForm>>,
    /// Topic names.
    #[serde(default)]
    pub topics: Option<Vec<String>>,
    /// Whether it takes new comments; open when absent.
    #[serde(default)]
    pub comments_open: Option<bool>,
}

/// A lead image as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadImageForm {
    /// Id returned by the media upload.
    #[serde(deserialize_with = "crate::wire::whole_number")]
    pub media_id: i64,
    /// Caption; may be empty.
    #[serde(default)]
    pub caption: String,
    /// Alt text; may be blank while the article is a draft.
    pub alt: String,
    /// Credit.
    #[serde(default)]
    pub credit: Option<String>,
}

/// A source as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceForm {
    /// Headline of the cited piece.
    pub title: String,
    /// Its writer.
    #[serde(default)]
    pub author: Option<String>,
    /// Its publication.
    #[serde(default)]
    pub outlet: Option<String>,
    /// Its address.
    #[serde(default)]
    pub url: Option<String>,
    /// Its date, `YYYY-MM-DD` or RFC 3339.
    #[serde(default)]
    pub published_at: Option<String>,
}

/// A validated article, ready to store.
#[derive(Debug, Clone)]
pub struct ArticleInput {
    /// Headline.
    pub title: String,
    /// URL segment.
    pub slug: Slug,
    /// Standfirst.
    pub dek: String,
    /// Body in Markdown.
    pub body_markdown: String,
    /// Body rendered and sanitised.
    pub body_html: String,
    /// Status.
    pub status: ArticleStatus,
    /// Publication time.
    pub published_at: Option<Timestamp>,
    /// Lead image (media id, caption, alt, credit).
    pub lead_image: Option<(i64, String, String, Option<String>)>,
    /// Sources in order.
    pub sources: Vec<Source>,
    /// Topics, without duplicates.
    pub topics: Vec<Topic>,
    /// Whether it takes new comments.
    pub comments_open: bool,
}

/// Longest headline accepted, in characters.
pub const MAX_TITLE_CHARS: usize = 300;
/// Longest body accepted, in characters of Markdown.
pub const MAX_BODY_CHARS: usize = 1_000_000;

impl ArticleForm {
    /// Validates every field; the first invalid one is reported with its name.
    pub fn parse(&self, now: Timestamp) -> Result<ArticleInput> {
        let title = text::required_text("title", &self.title, MAX_TITLE_CHARS)?;
        text::required_text("body_markdown", &self.body_markdown, MAX_BODY_CHARS)?;
        let dek = text::optional_text("dek", self.dek.as_deref(), 1000)?.unwrap_or_default();
        let slug = match self.slug.as_deref() {
            None | Some("") => Slug::from_text(&title, "article"),
            Some(s) => Slug::parse("slug", s)?,
        };
        let status = ArticleStatus::parse("status", &self.status)?;
        let published_at = self
            .published_at
            .as_deref()
            .map(|s| parse_rfc3339("published_at", s))
            .transpose()?;
        let published_at = match status {
            ArticleStatus::Draft => published_at,
            ArticleStatus::Scheduled => match published_at {
                Some(t) if t > now => Some(t),
                Some(_) => {
                    return Err(Error::invalid(
                        "published_at",
                        "A scheduled article needs a publication time in the future.",
                    ));
                }
                None => {
                    return Err(Error::invalid(
                        "published_at",
                        "A scheduled article needs a publication time.",
                    ));
                }
            },
            ArticleStatus::Published => match published_at {
                Some(t) if t > now => {
                    return Err(Error::invalid(
                        "published_at",
                        "This time is in the future: use the status \"scheduled\" to publish then.",
                    ));
                }
                Some(t) => Some(t),
                None => Some(now),
            },
        };
        let lead_image = self
            .lead_image
            .as_ref()
            .map(|l| -> Result<_> {
                // A draft may wait for its alt text; readers never see an image without one.
                let alt = match status {
                    ArticleStatus::Draft => {
                        text::optional_text("lead_image.alt", Some(&l.alt), 500)?
                            .unwrap_or_default()
                    }
                    _ if l.alt.trim().is_empty() => {
                        return Err(Error::invalid(
                            "lead_image.alt",
                            "Describe the lead image in its alt text before publishing: \
                             readers who cannot see it depend on it.",
                        ));
                    }
                    _ => text::required_text("lead_image.alt", &l.alt, 500)?,
                };
                Ok((
                    l.media_id,
                    text::optional_text("lead_image.caption", Some(&l.caption), 500)?
                        .unwrap_or_default(),
                    alt,
                    text::optional_text("lead_image.credit", l.credit.as_deref(), 200)?,
                ))
            })
            .transpose()?;
        let sources = self
            .sources
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, s)| s.parse(i))
            .collect::<Result<Vec<_>>>()?;
        if sources.len() > 100 {
            return Err(Error::invalid("sources", "Use at most 100 sources."));
        }
        let mut topics: Vec<Topic> = Vec::new();
        for (i, name) in self.topics.iter().flatten().enumerate() {
            let t = Topic::parse_at(&format!("topics[{i}]"), name)?;
            if !topics.iter().any(|o| o.slug == t.slug) {
                topics.push(t);
            }
        }
        if topics.len() > 50 {
            return Err(Error::invalid("topics", "Use at most 50 topics."));
        }
        Ok(ArticleInput {
            body_html: markdown::render(&self.body_markdown),
            body_markdown: self.body_markdown.clone(),
            title,
            slug,
            dek,
            status,
            published_at,
            lead_image,
            sources,
            topics,
            comments_open: self.comments_open.unwrap_or(true),
        })
    }

    /// The form that would recreate `article` (keeping its author); a PATCH is applied to it and
    /// the result validated as a whole.
    pub fn from_article(article: &Article) -> Self {
        ArticleForm {
            title: article.title.clone(),
            body_markdown: article.body_markdown.clone(),
            dek: Some(article.dek.clone()),
            slug: Some(article.slug.clone()),
            status: article.status.as_str().to_owned(),
            published_at: article.published_at.map(|t| t.to_string()),
            author_email: None,
            lead_image: article.lead_image.as_ref().map(|l| LeadImageForm {
                media_id: l.media.id,
                caption: l.caption.clone(),
                alt: l.alt.clone(),
                credit: l.credit.clone(),
            }),
            sources: Some(
                article
                    .sources
                    .iter()
                    .map(|s| SourceForm {
                        title: s.title.clone(),
                        author: s.author.clone(),
                        outlet: s.outlet.clone(),
                        url: s.url.clone(),
                        published_at: s.published_at.clone(),
                    })
                    .collect(),
            ),
            topics: Some(article.topics.iter().map(|t| t.name.clone()).collect()),
            comments_open: Some(article.comments_open),
        }
    }
}

/// A partial update of an article: each field absent (keep), `null` (clear) or a value.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticlePatch {
    /// Headline.
    #[serde(default)]
    pub title: Patch<String>,
    /// Body in Markdown.
    #[serde(default)]
    pub body_markdown: Patch<String>,
    /// Standfirst.
    #[serde(default)]
    pub dek: Patch<String>,
    /// URL segment.
    #[serde(default)]
    pub slug: Patch<String>,
    /// `draft`, `scheduled` or `published`.
    #[serde(default)]
    pub status: Patch<String>,
    /// RFC 3339 time.
    #[serde(default)]
    pub published_at: Patch<String>,
    /// A new writer (editors only); `null` keeps the current one.
    #[serde(default)]
    pub author_email: Patch<String>,
    /// Lead image.
    #[serde(default)]
    pub lead_image: Patch<LeadImageForm>,
    /// Cited reporting, replacing the stored list.
    #[serde(default)]
    pub sources: Patch<Vec<SourceForm>>,
    /// Topic names, replacing the stored list.
    #[serde(default)]
    pub topics: Patch<Vec<String>>,
    /// Whether it takes new comments; `null` opens them.
    #[serde(default)]
    pub comments_open: Patch<bool>,
}

impl ArticlePatch {
    /// A patch that changes only the status (and, for scheduling, the time).
    pub fn status(status: ArticleStatus, published_at: Option<Timestamp>) -> Self {
        ArticlePatch {
            status: Patch::Value(status.as_str().to_owned()),
            published_at: match published_at {
                Some(t) => Patch::Value(t.to_string()),
                None => Patch::Absent,
            },
            ..Default::default()
        }
    }

    /// The form that results from applying this patch to `base`.
    pub fn apply(self, base: ArticleForm) -> ArticleForm {
        ArticleForm {
            title: self.title.apply_required(base.title),
            body_markdown: self.body_markdown.apply_required(base.body_markdown),
            dek: self.dek.apply_optional(base.dek),
            slug: self.slug.apply_optional(base.slug),
            status: self.status.apply_required(base.status),
            published_at: self.published_at.apply_optional(base.published_at),
            author_email: self.author_email.apply_optional(base.author_email),
            lead_image: self.lead_image.apply_optional(base.lead_image),
            sources: self.sources.apply_optional(base.sources),
            topics: self.topics.apply_optional(base.topics),
            comments_open: self.comments_open.apply_optional(base.comments_open),
        }
    }
}

impl SourceForm {
    /// Validates the source at position `index`; errors name it (`sources[2].url`).
    fn parse(&self, index: usize) -> Result<Source> {
        let field = |name: &str| format!("sources[{index}].{name}");
        Ok(Source {
            title: text::required_text(&field("title"), &self.title, 500)?,
            author: text::optional_text(&field("author"), self.author.as_deref(), 200)?,
            outlet: text::optional_text(&field("outlet"), self.outlet.as_deref(), 200)?,
            url: match self.url.as_deref() {
                None | Some("") => None,
                Some(u) => Some(text::parse_web_url(&field("url"), u)?),
            },
            published_at: match self.published_at.as_deref() {
                None | Some("") => None,
                Some(s) => Some(parse_date(&field("published_at"), s)?.to_string()),
            },
        })
    }
}

/// Parses an RFC 3339 instant ("2009-07-31T09:00:00-07:00").
pub fn parse_rfc3339(field: &str, s: &str) -> Result<Timestamp> {
    s.parse::<Timestamp>().map_err(|_| {
        Error::invalid(
            field,
            "Use an RFC 3339 time such as 2009-07-31T09:00:00-07:00.",
        )
    })
}

/// Parses a calendar date, given alone or as the date part of an RFC 3339 time.
pub fn parse_date(field: &str, s: &str) -> Result<Date> {
    s.parse::<Date>()
        .or_else(|_| {
            s.parse::<Timestamp>()
                .map(|t| t.to_zoned_datetime(TimeZone::UTC).date())
        })
        .map_err(|_| Error::invalid(field, "Use a date such as 2009-07-30."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ArticleForm {
        ArticleForm {
            title: "Why is Iraq Attacking Iranian Opposition?".into(),
            body_markdown: "Text.".into(),
            status: "published".into(),
            ..Default::default()
        }
    }

    #[test]
    fn published_defaults_to_now_and_refuses_the_future() {
        let now: Timestamp = "2024-01-01T00:00:00Z".parse().unwrap();
        let a = form().parse(now).unwrap();
        assert_eq!(a.published_at, Some(now));
        assert_eq!(a.slug.as_str(), "why-is-iraq-attacking-iranian-opposition");
        let mut f = form();
        f.published_at = Some("2030-01-01T00:00:00Z".into());
        assert!(matches!(
            f.parse(now),
            Err(Error::Invalid { field, .. }) if field == "published_at"
        ));
        f.status = "scheduled".into();
        assert!(f.parse(now).is_ok());
        f.published_at = None;
        assert!(f.parse(now).is_err());
    }

    #[test]
    fn permalinks_use_the_site_time_zone() {
        let t: Timestamp = "2009-08-01T02:00:00Z".parse().unwrap();
        let la = TimeZone::get("America/Los_Angeles").unwrap();
        assert_eq!(permalink(t, "x", &la), "/2009/07/31/x/");
        assert_eq!(permalink(t, "x", &TimeZone::UTC), "/2009/08/01/x/");
    }
}
