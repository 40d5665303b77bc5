//! `/search`: full-text search of what readers may read. Needs no token, and a token changes
//! nothing: drafts, the schedule and the trash are never searched here.

use axum::{
    Json,
    extract::State,
    http::{HeaderValue, header::HeaderName},
    response::Response,
};
use dateline_app::search::{self, SearchRequest};
use dateline_core::topics::Topic;
use serde::{Deserialize, Serialize};

use super::MaybeStaff;
use crate::{
    AppState,
    error::ApiError,
    extract::{ApiQuery, KnownParams},
};

/// Query of `GET /search`.
#[derive(Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
    topic: Option<String>,
    author: Option<String>,
    from: Option<String>,
    to: Option<String>,
    #[serde(
        default,
        deserialize_with = "dateline_core::wire::optional_whole_number_text"
    )]
    page: Option<i64>,
    #[serde(
        default,
        deserialize_with = "dateline_core::wire::optional_whole_number_text"
    )]
    per_page: Option<i64>,
}

impl KnownParams for SearchParams {
    const NAMES: &'static [&'static str] =
        &["q", "topic", "author", "from", "to", "page", "per_page"];
}

/// An article found, with its title and an excerpt highlighted.
#[derive(Serialize)]
struct HitJson {
    id: i64,
    slug: String,
    title: String,
    /// The title as HTML: escaped, the matched words in `<mark>`.
    title_html: String,
    dek: String,
    /// A stretch of the body (or the dek) as HTML: escaped, the matched words in `<mark>`.
    excerpt_html: String,
    url: Option<String>,
    published_at: Option<String>,
    author: AuthorJson,
    topics: Vec<Topic>,
}

#[derive(Serialize)]
struct AuthorJson {
    id: i64,
    name: String,
    slug: String,
    url: String,
}

/// One page of results.
#[derive(Serialize)]
pub struct SearchJson {
    query: String,
    items: Vec<HitJson>,
    page: i64,
    per_page: i64,
    total: i64,
    total_capped: bool,
    next_page: Option<i64>,
}

/// `GET /search`: one page of the published articles that match `q`, best first, within the
/// filters. A query that cannot be searched for answers an empty list, never an error; a
/// malformed filter is 422 naming it.
pub async fn search(
    State(state): State<AppState>,
    // A token is checked (a revoked one is refused, as everywhere) but grants nothing here.
    _token: MaybeStaff,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> Result<Json<SearchJson>, ApiError> {
    let (page, per_page) = crate::extract::paging(p.page, p.per_page)?;
    let request = SearchRequest {
        q: p.q,
        topic: p.topic,
        author: p.author,
        from: p.from,
        to: p.to,
    };
    let found = search::search(state.app(), &request, per_page, (page - 1) * per_page).await?;
    let tz = state.db().site_settings().await?.tz();
    let items = found
        .hits
        .into_iter()
        .map(|hit| {
            let a = hit.article;
            HitJson {
                url: a.path(&tz).map(|p| state.absolute(&p)),
                title_html: hit.title.to_html(),
                excerpt_html: hit.excerpt.to_html(),
                id: a.id,
                slug: a.slug,
                title: a.title,
                dek: a.dek,
                published_at: a.published_at.map(|t| t.to_string()),
                author: AuthorJson {
                    id: a.author.id,
                    url: state.absolute(&format!("/authors/{}/", a.author.slug)),
                    name: a.author.name,
                    slug: a.author.slug,
                },
                topics: a.topics,
            }
        })
        .collect();
    let body = SearchJson {
        query: request.q,
        items,
        page,
        per_page,
        total: found.total,
        total_capped: found.more,
        next_page: (page * per_page < found.total).then_some(page + 1),
    };
    Ok(Json(body))
}

/// Marks every answer of `/search` (errors too) `X-Robots-Tag: noindex`: results are the
/// articles themselves, found another way, not documents of their own to index.
pub async fn noindex(mut response: Response) -> Response {
    response.headers_mut().insert(
        HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex"),
    );
    response
}
