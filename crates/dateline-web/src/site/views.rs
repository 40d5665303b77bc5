//! View models: what templates receive. Dates are formatted here, in the site's time zone, so
//! that templates only place text.

use dateline_core::{
    Error,
    articles::{Article, Source},
    media::Media,
    settings::{DateFormat, SiteSettings},
};
use dateline_store::ArticleFilter;
use jiff::{Timestamp, tz::TimeZone};
use serde::Serialize;

use crate::AppState;

/// An image with its intrinsic size, so the browser reserves its space before it loads, and
/// its responsive copies: `srcset` in its own format, `webp_srcset` where WebP copies exist.
#[derive(Debug, Serialize)]
pub struct ImageView {
    pub src: String,
    pub width: i64,
    pub height: i64,
    pub alt: String,
    pub srcset: Option<String>,
    pub webp_srcset: Option<String>,
}

impl ImageView {
    /// `media` shown from `src` (the file or its thumbnail) at `width` × `height`, offering
    /// every copy of it to the browser.
    pub fn of(media: &Media, src: &str, width: i64, height: i64, alt: &str) -> Self {
        let url = |path: &str| format!("/media/{path}");
        let mut own: Vec<(i64, String)> = media
            .variants
            .iter()
            .filter(|v| v.content_type == media.content_type)
            .map(|v| (v.width, url(&v.path)))
            .collect();
        if let Some(t) = &media.thumb {
            own.push((t.width, url(&t.path)));
        }
        own.push((media.width, url(&media.path)));
        own.sort();
        own.dedup_by_key(|(w, _)| *w);
        let mut webp: Vec<(i64, String)> = media
            .variants
            .iter()
            .filter(|v| v.content_type == "image/webp" && media.content_type != "image/webp")
            .map(|v| (v.width, url(&v.path)))
            .collect();
        webp.sort();
        // No list for an image that has no other copy than the one in `src`.
        let set = |list: Vec<(i64, String)>| {
            let only_src = list.iter().all(|(_, u)| u == src);
            (!only_src).then(|| {
                list.iter()
                    .map(|(w, u)| format!("{u} {w}w"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
        };
        ImageView {
            src: src.to_owned(),
            width,
            height,
            alt: alt.to_owned(),
            srcset: set(own),
            webp_srcset: set(webp),
        }
    }
}

/// The lead image of an article page.
#[derive(Debug, Serialize)]
pub struct LeadView {
    pub image: ImageView,
    pub caption: String,
    pub credit: Option<String>,
}

/// A topic link.
#[derive(Debug, Serialize)]
pub struct TopicView {
    pub name: String,
    pub url: String,
}

/// A correction or update as the article page shows it: "Correction, August 2, 2009: …".
#[derive(Debug, Serialize)]
pub struct CorrectionView {
    pub label: &'static str,
    pub date_text: String,
    pub date_iso: String,
    pub body: String,
}

/// A cited piece as the article page lists it, its outlet linked to the outlet's page.
#[derive(Debug, Serialize)]
pub struct SourceView {
    pub title: String,
    pub author: Option<String>,
    pub outlet: Option<String>,
    pub url: Option<String>,
    /// `/sources/new-york-times/`, when the outlet is named.
    pub outlet_url: Option<String>,
}

impl From<Source> for SourceView {
    fn from(s: Source) -> Self {
        SourceView {
            outlet_url: s
                .outlet
                .as_deref()
                .map(|o| format!("/sources/{}/", outlet_slug(o))),
            title: s.title,
            author: s.author,
            outlet: s.outlet,
            url: s.url,
        }
    }
}

/// The path segment of an outlet's page: its name as a slug, as topics have theirs.
pub fn outlet_slug(outlet: &str) -> String {
    dateline_core::text::Slug::from_text(outlet, "source").to_string()
}

/// An article as pages show it.
#[derive(Debug, Serialize)]
pub struct ArticleView {
    pub id: i64,
    pub title: String,
    pub dek: String,
    pub url: String,
    pub date_text: String,
    pub date_iso: String,
    pub body_html: String,
    pub author_name: String,
    pub author_url: String,
    pub lead: Option<LeadView>,
    pub thumb: Option<ImageView>,
    pub sources: Vec<SourceView>,
    pub topics: Vec<TopicView>,
    pub comment_count: i64,
    pub corrections: Vec<CorrectionView>,
    /// When it was last changed, shown once it carries corrections or updates.
    pub updated_text: Option<String>,
    pub updated_iso: Option<String>,
}

impl ArticleView {
    /// The view of a visible article (one with a publication time), its dates written in the
    /// site's time zone and date format.
    pub fn new(a: Article, settings: &SiteSettings) -> Self {
        let tz = &settings.tz();
        let format = settings.date_format;
        let published = a.published_at.unwrap_or(a.created_at);
        let url = a.path(tz).unwrap_or_default();
        let lead = a.lead_image.as_ref().map(|l| LeadView {
            image: ImageView::of(
                &l.media,
                &format!("/media/{}", l.media.path),
                l.media.width,
                l.media.height,
                &l.alt,
            ),
            caption: l.caption.clone(),
            credit: l.credit.clone(),
        });
        // Lists show the thumbnail; an image too small to need one is its own thumbnail.
        let thumb = a.lead_image.as_ref().map(|l| match &l.media.thumb {
            Some(t) => ImageView::of(
                &l.media,
                &format!("/media/{}", t.path),
                t.width,
                t.height,
                &l.alt,
            ),
            None => ImageView::of(
                &l.media,
                &format!("/media/{}", l.media.path),
                l.media.width,
                l.media.height,
                &l.alt,
            ),
        });
        let corrected = !a.corrections.is_empty();
        ArticleView {
            id: a.id,
            updated_text: corrected.then(|| exact_time_in(a.updated_at, tz, format)),
            updated_iso: corrected.then(|| iso(a.updated_at)),
            corrections: a
                .corrections
                .into_iter()
                .map(|c| CorrectionView {
                    label: c.kind.label(),
                    date_text: c
                        .created_at
                        .to_zoned_datetime(tz.clone())
                        .strftime(format.short_date())
                        .to_string(),
                    date_iso: iso(c.created_at),
                    body: c.body,
                })
                .collect(),
            date_text: long_date_in(published, tz, format),
            date_iso: iso(published),
            author_url: format!("/authors/{}/", a.author.slug),
            author_name: a.author.name,
            topics: a
                .topics
                .into_iter()
                .map(|t| TopicView {
                    url: format!("/topics/{}/", t.slug),
                    name: t.name,
                })
                .collect(),
            title: a.title,
            dek: a.dek,
            url,
            body_html: a.body_html,
            lead,
            thumb,
            sources: a.sources.into_iter().map(SourceView::from).collect(),
            comment_count: a.comment_count,
        }
    }
}

/// The machine-readable time of a `<time datetime>`, to the second (HTML allows at most three
/// fractional digits, and readers need none).
pub fn iso(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// "Friday, July 31, 2009", or as `format` writes it.
pub fn long_date_in(t: Timestamp, tz: &TimeZone, format: DateFormat) -> String {
    t.to_zoned_datetime(tz.clone())
        .strftime(format.long_date())
        .to_string()
}

/// "Saturday, August 1, 2009, 6:12 AM PDT", or as `format` writes it.
pub fn exact_time_in(t: Timestamp, tz: &TimeZone, format: DateFormat) -> String {
    t.to_zoned_datetime(tz.clone())
        .strftime(format.exact_time())
        .to_string()
}

/// "Saturday, August 1, 2009, 6:12 AM PDT": the newsroom's own pages.
pub fn exact_time(t: Timestamp, tz: &TimeZone) -> String {
    exact_time_in(t, tz, DateFormat::default())
}

/// The newest visible articles, for pages that suggest where to go next.
pub async fn latest(
    state: &AppState,
    settings: &SiteSettings,
    n: i64,
) -> Result<Vec<ArticleView>, Error> {
    let filter = ArticleFilter::readers(state.now());
    let (articles, _) = state.db().list_articles(&filter, n, 0).await?;
    Ok(articles
        .into_iter()
        .map(|a| ArticleView::new(a, settings))
        .collect())
}
