//! Feeds: Atom, RSS and JSON Feed for the whole site, each topic, each author, the comments of
//! each article and the site's latest comments. Each lives beside the page it follows
//! (`/topics/iraq/atom.xml` next to `/topics/iraq/`), takes the reader's scope (nothing
//! unpublished, no comment that is not approved, never an e-mail address), and answers a
//! conditional request with 304.

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use dateline_core::{
    Error,
    articles::{Article, permalink},
    feeds::{Category, Entry, Feed, Format, Image},
    pages::Shows,
    settings::SiteSettings,
};
use dateline_store::{ArticleFilter, CommentInContext};
use jiff::Timestamp;
use serde::Serialize;

use crate::{AppState, SiteError};

/// Entries in a feed: the newest.
const ENTRIES: i64 = 20;

/// What a feed follows.
enum Subject {
    Site,
    Topic(String),
    Author(String),
    LatestComments,
    ArticleComments(String),
}

/// A feed a page announces with `<link rel="alternate">`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FeedLink {
    pub media_type: &'static str,
    pub title: String,
    pub url: String,
}

/// The three formats of the feed at `base` (a path ending in `/`), titled `title`.
pub(crate) fn links(base: &str, title: &str) -> Vec<FeedLink> {
    Format::ALL
        .into_iter()
        .map(|f| FeedLink {
            media_type: f.media_type(),
            title: format!("{title} ({})", f.label()),
            url: format!("{base}{}", f.file_name()),
        })
        .collect()
}

/// The feeds' routes, three formats each.
pub(crate) fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for format in Format::ALL {
        let file = format.file_name();
        router = router
            .route(
                &format!("/{file}"),
                get(move |State(s): State<AppState>, h: HeaderMap| async move {
                    serve(&s, &h, Subject::Site, format).await
                }),
            )
            .route(
                &format!("/comments/{file}"),
                get(move |State(s): State<AppState>, h: HeaderMap| async move {
                    serve(&s, &h, Subject::LatestComments, format).await
                }),
            )
            .route(
                &format!("/topics/{{slug}}/{file}"),
                get(
                    move |State(s): State<AppState>, Path(slug): Path<String>, h: HeaderMap| async move {
                        serve(&s, &h, Subject::Topic(slug), format).await
                    },
                ),
            )
            .route(
                &format!("/authors/{{slug}}/{file}"),
                get(
                    move |State(s): State<AppState>, Path(slug): Path<String>, h: HeaderMap| async move {
                        serve(&s, &h, Subject::Author(slug), format).await
                    },
                ),
            )
            .route(
                &format!("/{{year}}/{{month}}/{{day}}/{{slug}}/comments/{file}"),
                get(
                    move |State(s): State<AppState>,
                          Path((_, _, _, slug)): Path<(String, String, String, String)>,
                          h: HeaderMap| async move {
                        serve(&s, &h, Subject::ArticleComments(slug), format).await
                    },
                ),
            );
    }
    router
}

async fn serve(
    state: &AppState,
    headers: &HeaderMap,
    subject: Subject,
    format: Format,
) -> Result<Response, SiteError> {
    let settings = state.site_settings().await?;
    let (feed, shows) = build(state, &settings, subject, format).await?;
    let content_type = format!("{}; charset=utf-8", format.media_type());
    Ok(super::cache::kept(
        respond(headers, &content_type, feed.updated, feed.render(format)),
        shows,
    ))
}

async fn build(
    state: &AppState,
    settings: &SiteSettings,
    subject: Subject,
    format: Format,
) -> Result<(Feed, Vec<Shows>), SiteError> {
    let now = state.now();
    let site = &settings.title;
    // The page the feed follows, the folder its three files live in, and its time while it
    // has no entries (the article's for its comments, else now).
    let mut empty_since = now;
    let (title, subtitle, page, dir, entries, shows) = match subject {
        Subject::Site => {
            let articles = articles(state, ArticleFilter::readers(now)).await?;
            let shows = showing(Shows::Latest, &articles);
            let subtitle = super::seo::site_description(settings);
            (
                site.clone(),
                subtitle,
                "/".to_owned(),
                "/".to_owned(),
                article_entries(state, settings, articles),
                shows,
            )
        }
        Subject::Topic(slug) => {
            let topic = state
                .db()
                .topic_by_slug(&slug)
                .await?
                .ok_or(Error::NotFound)?;
            let filter = ArticleFilter::readers(now).in_topic(topic.slug.clone());
            let list = articles(state, filter).await?;
            let shows = showing(Shows::Topic(topic.slug.clone()), &list);
            (
                format!("{} · {site}", topic.name),
                format!("Articles on {} from {site}", topic.name),
                format!("/topics/{}/", topic.slug),
                format!("/topics/{}/", topic.slug),
                article_entries(state, settings, list),
                shows,
            )
        }
        Subject::Author(slug) => {
            let user = state
                .db()
                .user_by_slug(&slug)
                .await?
                .ok_or(Error::NotFound)?;
            let list = articles(state, ArticleFilter::readers(now).by_author(user.id)).await?;
            let shows = showing(Shows::Author(user.id), &list);
            (
                format!("{} · {site}", user.name),
                format!("Articles by {} in {site}", user.name),
                format!("/authors/{}/", user.slug),
                format!("/authors/{}/", user.slug),
                article_entries(state, settings, list),
                shows,
            )
        }
        Subject::LatestComments => {
            let comments = state.db().latest_comments(now, None, ENTRIES).await?;
            (
                format!("Latest comments · {site}"),
                format!("What readers of {site} say"),
                "/".to_owned(),
                "/comments/".to_owned(),
                comment_entries(state, settings, comments),
                // Entries name their articles.
                vec![Shows::AllComments, Shows::Latest],
            )
        }
        Subject::ArticleComments(slug) => {
            let article = match state.db().article_for_reader(&slug, now).await? {
                dateline_store::ArticleLookup::Found(a) => *a,
                dateline_store::ArticleLookup::Gone => return Err(SiteError(Error::Gone)),
                dateline_store::ArticleLookup::Missing => return Err(SiteError(Error::NotFound)),
            };
            let path = article.path(&settings.tz()).unwrap_or_default();
            empty_since = article.published_at.unwrap_or(article.updated_at);
            let comments = state
                .db()
                .latest_comments(now, Some(article.id), ENTRIES * 5)
                .await?;
            (
                format!("Comments on “{}” · {site}", article.title),
                format!("Readers' comments on {}", article.title),
                path.clone(),
                format!("{path}comments/"),
                comment_entries(state, settings, comments),
                vec![Shows::Comments(article.id), Shows::Article(article.id)],
            )
        }
    };
    let self_path = format!("{dir}{}", format.file_name());
    let updated = entries
        .iter()
        .map(|e| e.updated)
        .max()
        .unwrap_or(empty_since);
    Ok((
        Feed {
            // The folder names the feed whatever its format, so its three files share one id.
            id: state.absolute(&dir),
            title,
            subtitle,
            home_url: state.absolute(&page),
            self_url: state.absolute(&self_path),
            language: settings.language.clone(),
            updated,
            publisher: settings.title.clone(),
            entries,
        },
        shows,
    ))
}

/// A feed of `articles` that enter and leave with `members`: each entry shows its article.
fn showing(members: Shows, articles: &[Article]) -> Vec<Shows> {
    std::iter::once(members)
        .chain(articles.iter().map(|a| Shows::Article(a.id)))
        .collect()
}

async fn articles(state: &AppState, filter: ArticleFilter) -> Result<Vec<Article>, SiteError> {
    Ok(state.db().list_articles(&filter, ENTRIES, 0).await?.0)
}

/// The authority of a tag URI (RFC 4151): the site's host name, without a port.
fn tag_authority(state: &AppState) -> String {
    let base = state.base_url();
    base.split_once("://")
        .map_or(base.as_str(), |(_, rest)| rest)
        .split(['/', ':'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// A tag URI that names a thing for good, whatever its address becomes.
fn tag(state: &AppState, at: Timestamp, what: &str, id: i64) -> String {
    format!(
        "tag:{},{}:{what}:{id}",
        tag_authority(state),
        at.strftime("%Y-%m-%d")
    )
}

fn article_entries(state: &AppState, settings: &SiteSettings, list: Vec<Article>) -> Vec<Entry> {
    let tz = settings.tz();
    list.into_iter()
        .filter_map(|a| {
            let published = a.published_at?;
            let path = a.path(&tz)?;
            Some(Entry {
                id: tag(state, published, "article", a.id),
                url: state.absolute(&path),
                published,
                updated: a.updated_at.max(published),
                author_url: Some(state.absolute(&format!("/authors/{}/", a.author.slug))),
                author_name: a.author.name,
                summary: a.dek,
                content_html: settings.feed_full_content.then_some(a.body_html),
                image: a.lead_image.map(|l| Image {
                    url: state.absolute(&format!("/media/{}", l.media.path)),
                    media_type: l.media.content_type,
                    size_bytes: l.media.size_bytes,
                    alt: l.alt,
                }),
                categories: a
                    .topics
                    .into_iter()
                    .map(|t| Category {
                        url: state.absolute(&format!("/topics/{}/", t.slug)),
                        term: t.slug,
                        label: t.name,
                    })
                    .collect(),
                title: a.title,
            })
        })
        .collect()
}

fn comment_entries(
    state: &AppState,
    settings: &SiteSettings,
    comments: Vec<CommentInContext>,
) -> Vec<Entry> {
    let tz = settings.tz();
    comments
        .into_iter()
        .map(|c| {
            let article = permalink(c.article_published_at, &c.article_slug, &tz);
            let comment = c.comment;
            Entry {
                id: tag(state, comment.created_at, "comment", comment.id),
                title: format!("{} on “{}”", comment.author_name, c.article_title),
                url: state.absolute(&format!("{article}#comment-{}", comment.id)),
                published: comment.created_at,
                updated: comment.created_at,
                summary: String::new(),
                content_html: Some(comment.body_html()),
                author_name: comment.author_name,
                author_url: None,
                image: None,
                categories: Vec::new(),
            }
        })
        .collect()
}

/// A feed or sitemap, or 304 when the reader's copy is current (`If-None-Match` first, then
/// `If-Modified-Since`, as RFC 9110 orders them).
pub(crate) fn respond(
    headers: &HeaderMap,
    content_type: &str,
    updated: Timestamp,
    body: String,
) -> Response {
    let etag = format!("\"{}\"", &dateline_core::secrets::hash_token(&body)[..32]);
    let last_modified = jiff::fmt::rfc2822::DateTimePrinter::new()
        .timestamp_to_rfc9110_string(&updated)
        .unwrap_or_default();
    let fresh = match headers.get(header::IF_NONE_MATCH) {
        Some(tags) => tags.to_str().is_ok_and(|tags| {
            tags.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == etag || t == "*")
        }),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                jiff::fmt::rfc2822::DateTimeParser::new()
                    .parse_timestamp(v)
                    .ok()
            })
            .is_some_and(|since| updated.as_second() <= since.as_second()),
    };
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type.to_owned())], body).into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&last_modified) {
        h.insert(header::LAST_MODIFIED, v);
    }
    // Feed readers poll; a minute's reuse spares the server without hiding news for long.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    response
}
