//! Lists of articles: the home page, topic and author pages, and date archives.

use axum::{
    extract::{Path, RawQuery, State},
    response::Response,
};
use dateline_core::{Error, pages::Shows, settings::SiteSettings};
use dateline_core::{articles::Prominence, markdown::first_sentence};
use dateline_store::ArticleFilter;
use jiff::{Timestamp, civil::Date, tz::TimeZone};
use serde::Serialize;

use super::{
    cache::kept,
    feeds::{self, FeedLink},
    render,
    seo::PageMeta,
    views::{ArticleView, ImageView, outlet_slug},
};
use crate::{AppState, SiteError};

/// Featured articles shown on the front page at most.
const MAX_FEATURED: i64 = 6;

#[derive(Serialize)]
struct Pagination {
    page: i64,
    pages: i64,
    newer_url: Option<String>,
    older_url: Option<String>,
}

#[derive(Serialize)]
struct ListPage {
    site: SiteSettings,
    canonical: String,
    /// `<title>` and `<h1>`.
    heading: String,
    /// What kind of list this is, for the eyebrow above the heading ("Topic", "Author").
    kind: Option<&'static str>,
    /// A paragraph under the heading (an author's bio).
    intro: Option<String>,
    /// A picture beside the heading (an author's photo).
    photo: Option<ImageView>,
    is_home: bool,
    /// The front page's lead story, on its first page.
    lead: Option<ArticleView>,
    /// The front page's featured articles, on its first page.
    featured: Vec<ArticleView>,
    articles: Vec<ArticleView>,
    pagination: Pagination,
    /// Feeds announced in the page's head.
    feeds: Vec<FeedLink>,
    /// Description and the neighbouring pages.
    meta: PageMeta,
}

/// The site's feeds, and its latest comments', which every list announces.
pub(crate) fn site_feeds(settings: &SiteSettings) -> Vec<FeedLink> {
    let mut links = feeds::links("/", &settings.title);
    links.extend(feeds::links(
        "/comments/",
        &format!("Latest comments · {}", settings.title),
    ));
    links
}

/// Reads `?page=N`; anything but a positive number finds nothing.
fn page_number(query: Option<&str>) -> Result<i64, SiteError> {
    let Some(q) = query else { return Ok(1) };
    let mut page = 1;
    for (k, v) in form_urlencoded::parse(q.as_bytes()) {
        if k == "page" {
            page = v
                .parse::<i64>()
                .ok()
                .filter(|p| (1..=100_000).contains(p))
                .ok_or(Error::NotFound)?;
        }
    }
    Ok(page)
}

struct ListSpec {
    path: String,
    heading: String,
    kind: Option<&'static str>,
    intro: Option<String>,
    filter: ArticleFilter,
    /// Instead of the filter: the articles that cite these outlets (as the sources spell them).
    citing: Option<Vec<String>>,
    /// An empty first page is still a page (a new topic, an author yet to publish).
    empty_ok: bool,
    /// The lead story and the featured articles, shown above the list on its first page.
    front: Option<(Option<ArticleView>, Vec<ArticleView>)>,
    /// The list's own feeds (a topic's, an author's), announced before the site's.
    feeds: Vec<FeedLink>,
    /// An author's photo.
    photo: Option<ImageView>,
    /// What the page is, for search engines; empty for the site's description.
    description: String,
    /// Which articles may enter or leave the list.
    members: Shows,
}

async fn list(
    state: &AppState,
    settings: SiteSettings,
    spec: ListSpec,
    query: Option<String>,
) -> Result<Response, SiteError> {
    let page = page_number(query.as_deref())?;
    let per_page = i64::from(settings.articles_per_page);
    let offset = (page - 1) * per_page;
    let (articles, total) = match &spec.citing {
        Some(outlets) => {
            state
                .db()
                .articles_citing(outlets, state.now(), per_page, offset)
                .await?
        }
        None => {
            state
                .db()
                .list_articles(&spec.filter, per_page, offset)
                .await?
        }
    };
    let pages = ((total + per_page - 1) / per_page).max(1);
    if page > pages || (total == 0 && !spec.empty_ok) {
        return Err(SiteError(Error::NotFound));
    }
    let (lead, featured) = match spec.front {
        Some(front) if page == 1 => front,
        _ => (None, Vec::new()),
    };
    let url_of = |p: i64| {
        if p == 1 {
            spec.path.clone()
        } else {
            format!("{}?page={p}", spec.path)
        }
    };
    let mut meta = PageMeta::described(spec.description, &settings);
    meta.prev = (page > 1).then(|| state.absolute(&url_of(page - 1)));
    meta.next = (page < pages).then(|| state.absolute(&url_of(page + 1)));
    // Each entry names its article and its comment count.
    let mut shows = vec![spec.members.clone()];
    let shown = articles.iter().map(|a| a.id).chain(
        lead.iter()
            .chain(featured.iter())
            .map(|a: &ArticleView| a.id),
    );
    for id in shown {
        shows.extend([Shows::Article(id), Shows::Comments(id)]);
    }
    let view = ListPage {
        meta,
        canonical: state.absolute(&url_of(page)),
        is_home: spec.path == "/",
        lead,
        featured,
        heading: spec.heading,
        kind: spec.kind,
        intro: spec.intro,
        photo: spec.photo,
        articles: articles
            .into_iter()
            .map(|a| ArticleView::new(a, &settings))
            .collect(),
        pagination: Pagination {
            page,
            pages,
            newer_url: (page > 1).then(|| url_of(page - 1)),
            older_url: (page < pages).then(|| url_of(page + 1)),
        },
        feeds: spec
            .feeds
            .into_iter()
            .chain(site_feeds(&settings))
            .collect(),
        site: settings,
    };
    Ok(kept(render(state, "site/list.html", view)?, shows))
}

/// `GET /`
pub async fn home(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, SiteError> {
    let settings = state.site_settings().await?;
    let now = state.now();
    // The lead and the featured articles stand above the list, which holds the rest by date.
    let placed = |p| ArticleFilter::readers(now).with_prominence(p);
    let (lead, _) = state
        .db()
        .list_articles(&placed(Prominence::Lead), 1, 0)
        .await?;
    let (featured, _) = state
        .db()
        .list_articles(&placed(Prominence::Featured), MAX_FEATURED, 0)
        .await?;
    let view = |a| ArticleView::new(a, &settings);
    let spec = ListSpec {
        path: "/".to_owned(),
        heading: settings.title.clone(),
        kind: None,
        intro: None,
        filter: placed(Prominence::Normal),
        citing: None,
        empty_ok: true,
        front: Some((
            lead.into_iter().next().map(view),
            featured.into_iter().map(view).collect(),
        )),
        feeds: Vec::new(),
        description: String::new(),
        photo: None,
        members: Shows::Latest,
    };
    list(&state, settings, spec, query).await
}

/// One line of an index page: a topic or an outlet, with how many articles it holds.
#[derive(Serialize)]
struct IndexEntry {
    name: String,
    url: String,
    count: i64,
}

/// An index of topics or of cited outlets.
#[derive(Serialize)]
struct IndexPage {
    site: SiteSettings,
    canonical: String,
    meta: PageMeta,
    feeds: Vec<FeedLink>,
    entries: Vec<IndexEntry>,
}

/// `GET /topics/`: every topic with something published in it.
pub async fn topic_index(State(state): State<AppState>) -> Result<Response, SiteError> {
    let settings = state.site_settings().await?;
    let entries = state
        .db()
        .topic_index(state.now())
        .await?
        .into_iter()
        .map(|(t, count)| IndexEntry {
            url: format!("/topics/{}/", t.slug),
            name: t.name,
            count,
        })
        .collect();
    let view = IndexPage {
        canonical: state.absolute("/topics/"),
        meta: PageMeta::described(
            format!("Every topic {} has written about.", settings.title),
            &settings,
        ),
        feeds: site_feeds(&settings),
        entries,
        site: settings,
    };
    Ok(kept(
        render(&state, "site/topics.html", view)?,
        vec![Shows::Latest],
    ))
}

/// `GET /sources/`: the outlets whose reporting the site's articles cite, with how often.
pub async fn source_index(State(state): State<AppState>) -> Result<Response, SiteError> {
    let settings = state.site_settings().await?;
    let mut entries: Vec<IndexEntry> = Vec::new();
    for (name, count) in state.db().cited_outlets(state.now()).await? {
        let url = format!("/sources/{}/", outlet_slug(&name));
        // Spellings that make one address ("New York Times", "new york times") count as one.
        match entries.iter_mut().find(|o| o.url == url) {
            Some(o) => o.count += count,
            None => entries.push(IndexEntry { name, url, count }),
        }
    }
    let view = IndexPage {
        canonical: state.absolute("/sources/"),
        meta: PageMeta::described(
            format!("The outlets whose reporting {} cites.", settings.title),
            &settings,
        ),
        feeds: site_feeds(&settings),
        entries,
        site: settings,
    };
    Ok(kept(
        render(&state, "site/sources.html", view)?,
        vec![Shows::Latest],
    ))
}

/// `GET /sources/{slug}/`: the articles that cite one outlet.
pub async fn source(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, SiteError> {
    let names: Vec<String> = state
        .db()
        .cited_outlets(state.now())
        .await?
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| outlet_slug(name) == slug)
        .collect();
    let heading = names.first().cloned().ok_or(Error::NotFound)?;
    let settings = state.site_settings().await?;
    let spec = ListSpec {
        path: format!("/sources/{slug}/"),
        description: format!(
            "Articles in {} that cite reporting by {heading}.",
            settings.title
        ),
        intro: Some(format!("Articles that cite reporting by {heading}.")),
        heading,
        kind: Some("Source"),
        filter: ArticleFilter::readers(state.now()),
        citing: Some(names),
        empty_ok: false,
        front: None,
        feeds: Vec::new(),
        photo: None,
        members: Shows::Latest,
    };
    list(&state, settings, spec, query).await
}

/// `GET /topics/{slug}/`
pub async fn topic(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, SiteError> {
    let described = state
        .db()
        .described_topic(&slug)
        .await?
        .ok_or(Error::NotFound)?;
    let topic = described.topic;
    let about = Some(described.description).filter(|d| !d.trim().is_empty());
    let settings = state.site_settings().await?;
    let spec = ListSpec {
        path: format!("/topics/{}/", topic.slug),
        heading: topic.name.clone(),
        kind: Some("Topic"),
        intro: about.clone(),
        feeds: feeds::links(&format!("/topics/{}/", topic.slug), &topic.name),
        photo: None,
        description: about.as_deref().map_or_else(
            || format!("Articles on {} from {}.", topic.name, settings.title),
            |d| first_sentence(d, 200),
        ),
        filter: ArticleFilter::readers(state.now()).in_topic(topic.slug),
        citing: None,
        empty_ok: true,
        front: None,
        members: Shows::Topic(slug),
    };
    list(&state, settings, spec, query).await
}

/// `GET /authors/{slug}/`
pub async fn author(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, SiteError> {
    let user = state
        .db()
        .user_by_slug(&slug)
        .await?
        .ok_or(Error::NotFound)?;
    let avatar = match state
        .db()
        .account(user.id)
        .await?
        .and_then(|a| a.avatar_media_id)
    {
        Some(id) => state.db().media_by_id(id).await?,
        None => None,
    };
    let photo = avatar.map(|m| {
        ImageView::of(
            &m,
            &format!("/media/{}", m.path),
            m.width,
            m.height,
            &format!("{}, photographed", user.name),
        )
    });
    let settings = state.site_settings().await?;
    let spec = ListSpec {
        path: format!("/authors/{}/", user.slug),
        heading: user.name.clone(),
        kind: Some("Author"),
        intro: Some(user.bio.clone()).filter(|b| !b.trim().is_empty()),
        feeds: feeds::links(&format!("/authors/{}/", user.slug), &user.name),
        photo,
        description: if user.bio.trim().is_empty() {
            format!("Articles by {} in {}.", user.name, settings.title)
        } else {
            first_sentence(&user.bio, 200)
        },
        filter: ArticleFilter::readers(state.now()).by_author(user.id),
        citing: None,
        empty_ok: true,
        front: None,
        members: Shows::Author(user.id),
    };
    list(&state, settings, spec, query).await
}

fn number(s: &str, range: std::ops::RangeInclusive<i16>) -> Result<i16, SiteError> {
    // Archive segments are zero-padded to a fixed width, so each period has one URL.
    s.parse::<i16>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or(SiteError(Error::NotFound))
}

fn start_of(date: Date, tz: &TimeZone) -> Result<Timestamp, SiteError> {
    date.to_zoned_datetime(tz.clone())
        .map(|z| z.timestamp())
        .map_err(|_| SiteError(Error::NotFound))
}

async fn archive(
    state: AppState,
    query: Option<String>,
    from: Date,
    to: Date,
    path: String,
    heading: String,
) -> Result<Response, SiteError> {
    let settings = state.site_settings().await?;
    let tz = settings.tz();
    let spec = ListSpec {
        path,
        heading,
        kind: Some("Archive"),
        intro: None,
        filter: ArticleFilter::readers(state.now())
            .published_between(start_of(from, &tz)?, start_of(to, &tz)?),
        citing: None,
        empty_ok: false,
        front: None,
        feeds: Vec::new(),
        description: String::new(),
        photo: None,
        members: Shows::Latest,
    };
    list(&state, settings, spec, query).await
}

/// `GET /{year}/`
pub async fn year(
    State(state): State<AppState>,
    Path(y): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, SiteError> {
    if y.len() != 4 {
        return Err(SiteError(Error::NotFound));
    }
    let y = number(&y, 1..=9998)?;
    let from = Date::new(y, 1, 1).map_err(|_| SiteError(Error::NotFound))?;
    let to = Date::new(y + 1, 1, 1).map_err(|_| SiteError(Error::NotFound))?;
    archive(
        state,
        query,
        from,
        to,
        format!("/{y:04}/"),
        format!("Articles from {y}"),
    )
    .await
}

/// `GET /{year}/{month}/`
pub async fn month(
    State(state): State<AppState>,
    Path((y, m)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, SiteError> {
    if y.len() != 4 || m.len() != 2 {
        return Err(SiteError(Error::NotFound));
    }
    let (y, m) = (number(&y, 1..=9998)?, number(&m, 1..=12)?);
    let from = Date::new(y, m as i8, 1).map_err(|_| SiteError(Error::NotFound))?;
    let to = from
        .last_of_month()
        .tomorrow()
        .map_err(|_| SiteError(Error::NotFound))?;
    let heading = format!("Articles from {}", from.strftime("%B %Y"));
    archive(state, query, from, to, format!("/{y:04}/{m:02}/"), heading).await
}

/// `GET /{year}/{month}/{day}/`
pub async fn day(
    State(state): State<AppState>,
    Path((y, m, d)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, SiteError> {
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(SiteError(Error::NotFound));
    }
    let (y, m, d) = (
        number(&y, 1..=9998)?,
        number(&m, 1..=12)?,
        number(&d, 1..=31)?,
    );
    let from = Date::new(y, m as i8, d as i8).map_err(|_| SiteError(Error::NotFound))?;
    let to = from.tomorrow().map_err(|_| SiteError(Error::NotFound))?;
    let heading = format!("Articles from {}", from.strftime("%A, %B %-d, %Y"));
    archive(
        state,
        query,
        from,
        to,
        format!("/{y:04}/{m:02}/{d:02}/"),
        heading,
    )
    .await
}
