//! `/articles`: create, read, update, delete and list articles.

use axum::{
    Json,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use dateline_app::articles;
use dateline_core::{
    Error,
    actor::Actor,
    articles::{Article, ArticleForm, ArticlePatch, ArticleStatus, Source},
    topics::Topic,
};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{MaybeStaff, Staff};
use crate::{
    AppState,
    error::ApiError,
    extract::{ApiJson, ApiQuery, KnownParams, parse_id},
};

/// An article as the API returns it.
#[derive(Serialize)]
pub struct ArticleJson {
    id: i64,
    slug: String,
    title: String,
    dek: String,
    body_markdown: String,
    body_html: String,
    status: ArticleStatus,
    published_at: Option<String>,
    created_at: String,
    updated_at: String,
    /// Absolute reader URL; null until the article has a publication time.
    url: Option<String>,
    author: AuthorJson,
    lead_image: Option<LeadImageJson>,
    sources: Vec<Source>,
    topics: Vec<Topic>,
    comment_count: i64,
}

#[derive(Serialize)]
struct AuthorJson {
    id: i64,
    name: String,
    slug: String,
    url: String,
}

#[derive(Serialize)]
struct LeadImageJson {
    media_id: i64,
    url: String,
    width: i64,
    height: i64,
    caption: String,
    alt: String,
    credit: Option<String>,
}

/// The API form of an article; `tz` places it in the dated URL.
fn to_json(state: &AppState, tz: &TimeZone, a: Article) -> ArticleJson {
    ArticleJson {
        url: a.path(tz).map(|p| state.absolute(&p)),
        id: a.id,
        slug: a.slug,
        title: a.title,
        dek: a.dek,
        body_markdown: a.body_markdown,
        body_html: a.body_html,
        status: a.status,
        published_at: a.published_at.map(|t| t.to_string()),
        created_at: a.created_at.to_string(),
        updated_at: a.updated_at.to_string(),
        author: AuthorJson {
            id: a.author.id,
            url: state.absolute(&format!("/authors/{}/", a.author.slug)),
            name: a.author.name,
            slug: a.author.slug,
        },
        lead_image: a.lead_image.map(|l| LeadImageJson {
            media_id: l.media.id,
            url: state.absolute(&format!("/media/{}", l.media.path)),
            width: l.media.width,
            height: l.media.height,
            caption: l.caption,
            alt: l.alt,
            credit: l.credit,
        }),
        sources: a.sources,
        topics: a.topics,
        comment_count: a.comment_count,
    }
}

/// Query of `GET /articles`.
#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    topic: Option<String>,
    author: Option<String>,
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

impl KnownParams for ListQuery {
    const NAMES: &'static [&'static str] = &["status", "topic", "author", "page", "per_page"];
}

#[derive(Serialize)]
struct ListJson {
    items: Vec<ArticleJson>,
    page: i64,
    per_page: i64,
    total: i64,
    next_page: Option<i64>,
}

/// Highest page number asked for: 100 per page, ten million articles.
const MAX_PAGE: i64 = 100_000;

/// `GET /articles`: readers see published articles; staff may filter by any status.
pub async fn list(
    State(state): State<AppState>,
    MaybeStaff(staff): MaybeStaff,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let page = q.page.unwrap_or(1);
    if !(1..=MAX_PAGE).contains(&page) {
        return Err(
            Error::invalid("page", format!("Use a page number from 1 to {MAX_PAGE}.")).into(),
        );
    }
    let per_page = q.per_page.unwrap_or(20);
    if !(1..=100).contains(&per_page) {
        return Err(Error::invalid("per_page", "Use a per_page from 1 to 100.").into());
    }
    let status = q
        .status
        .as_deref()
        .map(|s| ArticleStatus::parse("status", s))
        .transpose()?;
    let actor = MaybeStaff(staff).actor();
    let mut filter = match (&actor, status) {
        (Actor::Reader(_), Some(s)) if s != ArticleStatus::Published => {
            return Err(Error::Unauthorized.into());
        }
        (Actor::Reader(_), _) => articles::scope_for(&actor, state.now()),
        (_, Some(status)) => articles::scope_for(&actor, state.now()).with_status(status),
        (_, None) => articles::scope_for(&actor, state.now()),
    };
    if let Some(topic) = q.topic.as_deref() {
        filter = filter.in_topic(Topic::parse_at("topic", topic)?.slug);
    }
    if let Some(author) = q.author.as_deref() {
        dateline_core::text::check_controls("author", author)?;
        let user = match state.db().user_by_slug(author).await? {
            Some(u) => Some(u),
            None => state.db().user_by_email(author).await?,
        };
        // An unknown author has written nothing: an empty list, not an error.
        filter = filter.by_author(user.map_or(-1, |u| u.id));
    }
    let (articles, total) = state
        .db()
        .list_articles(&filter, per_page, (page - 1) * per_page)
        .await?;
    let tz = state.db().site_settings().await?.tz();
    let items = articles
        .into_iter()
        .map(|a| to_json(&state, &tz, a))
        .collect();
    let next_page = (page * per_page < total).then_some(page + 1);
    let body = ListJson {
        items,
        page,
        per_page,
        total,
        next_page,
    };
    serde_json::to_value(body)
        .map(Json)
        .map_err(|e| Error::Internal(e.to_string()).into())
}

/// `GET /articles/{id}`
pub async fn show(
    State(state): State<AppState>,
    MaybeStaff(staff): MaybeStaff,
    Path(id): Path<String>,
) -> Result<Json<ArticleJson>, ApiError> {
    let id = parse_id(&id)?;
    let article = articles::readable(state.app(), &MaybeStaff(staff).actor(), id).await?;
    let tz = state.db().site_settings().await?.tz();
    Ok(Json(to_json(&state, &tz, article)))
}

fn respond(state: &AppState, tz: &TimeZone, article: Article, status: StatusCode) -> Response {
    let location = state.absolute(&format!("/api/v1/articles/{}", article.id));
    let body = to_json(state, tz, article);
    (status, [(header::LOCATION, location)], Json(body)).into_response()
}

/// `POST /articles`
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(form): ApiJson<ArticleForm>,
) -> Result<Response, ApiError> {
    let article = articles::create(state.app(), &staff.actor(), &form).await?;
    let tz = state.db().site_settings().await?.tz();
    Ok(respond(&state, &tz, article, StatusCode::CREATED))
}

/// `PATCH /articles/{id}`: the fields given replace the stored ones (`null` clears an optional
/// field); the result is validated as a whole, exactly like a new article.
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<ArticlePatch>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let article = articles::update(state.app(), &staff.actor(), id, patch).await?;
    let tz = state.db().site_settings().await?.tz();
    Ok(respond(&state, &tz, article, StatusCode::OK))
}

/// `DELETE /articles/{id}`: readers get 410 Gone at its address from now on.
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    articles::delete(state.app(), &staff.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
