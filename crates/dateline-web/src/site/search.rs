//! `GET /search`: full-text search for readers. A plain form and a list, so it works without
//! JavaScript; search engines are asked not to index it (results pages are endless and thin).

use axum::{
    extract::{RawQuery, State},
    http::StatusCode,
    response::Response,
};
use dateline_app::search::{self, SearchRequest};
use dateline_core::{
    Error, pages::Shows, search::MAX_QUERY_CHARS, settings::SiteSettings, topics::Topic,
};
use serde::Serialize;

use super::{render, views::ArticleView};
use crate::{AppState, SiteError};

/// An article found, with its title and excerpt highlighted (HTML: escaped text and `<mark>`).
#[derive(Serialize)]
struct ResultView {
    article: ArticleView,
    title_html: String,
    excerpt_html: String,
}

#[derive(Serialize)]
struct Pagination {
    page: i64,
    pages: i64,
    newer_url: Option<String>,
    older_url: Option<String>,
}

#[derive(Serialize)]
struct SearchPage {
    site: SiteSettings,
    /// What was typed, as the form and the summary show it.
    q: String,
    /// Whether a search was made (an empty query shows the form alone).
    searched: bool,
    /// Whether a filter narrowed it.
    filtered: bool,
    total: i64,
    /// Whether more matched than `total` counts (only the newest are ranked).
    more: bool,
    results: Vec<ResultView>,
    /// The topics a reader may narrow to.
    topics: Vec<Topic>,
    topic: String,
    /// An author chosen elsewhere (a link from an author's page), kept by the form.
    author: String,
    from: String,
    to: String,
    /// What to correct, and in which field.
    error: Option<String>,
    error_field: Option<String>,
    pagination: Pagination,
}

/// The parameters of the page, as sent.
#[derive(Default)]
struct Params {
    request: SearchRequest,
    page: Option<String>,
}

fn params(query: Option<&str>) -> Params {
    let mut p = Params::default();
    // Decoded leniently: bytes that are not UTF-8 become U+FFFD and are searched as punctuation.
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let v = v.into_owned();
        match k.as_ref() {
            "q" => p.request.q = v,
            "topic" => p.request.topic = Some(v),
            "author" => p.request.author = Some(v),
            "from" => p.request.from = Some(v),
            "to" => p.request.to = Some(v),
            "page" => p.page = Some(v),
            _ => {}
        }
    }
    p
}

/// `text` as a form field shows it back: without control characters (which HTML cannot hold),
/// no longer than a query may be.
fn shown(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(MAX_QUERY_CHARS)
        .collect()
}

/// The address of page `page` of this search.
fn url_of(request: &SearchRequest, page: i64) -> String {
    let mut url = form_urlencoded::Serializer::new(String::new());
    url.append_pair("q", &request.q);
    for (key, value) in [
        ("topic", &request.topic),
        ("author", &request.author),
        ("from", &request.from),
        ("to", &request.to),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            url.append_pair(key, v);
        }
    }
    if page > 1 {
        url.append_pair("page", &page.to_string());
    }
    format!("/search?{}", url.finish())
}

/// `GET /search?q=…&topic=…&author=…&from=…&to=…&page=…`. A query that cannot be searched for
/// finds nothing (200); a malformed filter or page shows the form again, the field marked (422).
pub async fn show(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, SiteError> {
    let Params { request, page } = params(query.as_deref());
    let settings = state.site_settings().await?;
    let per_page = i64::from(settings.articles_per_page);
    // A query of white space or control characters alone is no query: the form alone.
    let searched = !shown(&request.q).trim().is_empty();
    let page_number = match page.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(1),
        Some(p) => p
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=100_000).contains(n))
            .ok_or_else(|| Error::invalid("page", "Use a page number from 1 to 100000.")),
    };
    let outcome = match page_number {
        Ok(page) if searched => {
            search::search(state.app(), &request, per_page, (page - 1) * per_page)
                .await
                .map(|found| (page, found))
        }
        Ok(page) => Ok((page, search::SearchResults::default())),
        Err(e) => Err(e),
    };
    let (status, page, found, error, error_field) = match outcome {
        Ok((page, found)) => (StatusCode::OK, page, found, None, None),
        Err(Error::Invalid { field, reason }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            1,
            search::SearchResults::default(),
            Some(reason),
            Some(field),
        ),
        Err(e) => return Err(SiteError(e)),
    };
    let pages = ((found.total + per_page - 1) / per_page).max(1);
    // A filter is shown back only when it is valid: a date field cannot hold anything else.
    let valid = |field: &str, value: &Option<String>| {
        if error_field.as_deref() == Some(field) {
            String::new()
        } else {
            shown(value.as_deref().unwrap_or(""))
        }
    };
    let date = |field: &str, value: &Option<String>| {
        let day = value.as_deref().unwrap_or("").trim();
        if error_field.as_deref() != Some(field) && search::parse_day(field, day).is_ok() {
            day.to_owned()
        } else {
            String::new()
        }
    };
    let view = SearchPage {
        q: shown(&request.q),
        searched: searched && error.is_none(),
        filtered: [&request.topic, &request.author, &request.from, &request.to]
            .iter()
            .any(|v| v.as_deref().is_some_and(|v| !v.trim().is_empty())),
        total: found.total,
        more: found.more,
        results: found
            .hits
            .into_iter()
            .map(|hit| ResultView {
                title_html: hit.title.to_html(),
                excerpt_html: hit.excerpt.to_html(),
                article: ArticleView::new(hit.article, &settings),
            })
            .collect(),
        topics: state.db().topics().await?,
        topic: valid("topic", &request.topic),
        author: valid("author", &request.author),
        from: date("from", &request.from),
        to: date("to", &request.to),
        error,
        error_field,
        pagination: Pagination {
            page,
            pages,
            newer_url: (page > 1 && page <= pages).then(|| url_of(&request, page - 1)),
            older_url: (page < pages).then(|| url_of(&request, page + 1)),
        },
        site: settings,
    };
    let html = render(&state, "site/search.html", view)?;
    // Kept while no article readers can see changes (a 422 is never kept): a story in the news
    // brings many readers to the same search at once.
    Ok(super::cache::kept((status, html), vec![Shows::Searches]))
}
