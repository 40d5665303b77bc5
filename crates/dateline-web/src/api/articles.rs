//! `/articles`: create, read, update, trash, restore and list articles; their corrections,
//! revisions, review requests and place on the front page.

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use dateline_app::articles;
use dateline_core::{
    Error,
    actor::Actor,
    articles::{
        Article, ArticleForm, ArticlePatch, ArticleStatus, Correction, Editor, Prominence, Source,
    },
    revisions::{self, FieldDiff, Revision, Snapshot},
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
    /// Counts saves; also in the `ETag`.
    version: i64,
    updated_by: Option<Editor>,
    review_requested: bool,
    prominence: Prominence,
    corrections: Vec<Correction>,
    /// Whether it takes new comments (the site's age rule may close it anyway).
    comments_open: bool,
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
        version: a.version,
        updated_by: a.updated_by,
        review_requested: a.review_requested,
        prominence: a.prominence,
        corrections: a.corrections,
        comments_open: a.comments_open,
    }
}

/// The entity tag of an article's representation: its version (which every save increases)
/// and its comment count (which changes the representation without a save).
fn etag(a: &Article) -> String {
    format!("\"v{}-c{}\"", a.version, a.comment_count)
}

/// The version an `If-Match` header names, if one is given. `*` matches any version; a tag
/// that is not one of ours (or a weak one, which If-Match never matches) names version 0,
/// which no article has, so the save is refused with 412 as RFC 9110 asks.
fn version_from_if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| Error::Malformed("The If-Match header is not readable text.".into()))?;
    if value.trim() == "*" {
        return Ok(None);
    }
    let version = value
        .split(',')
        .map(str::trim)
        .find_map(|tag| {
            tag.strip_prefix("\"v")?
                .strip_suffix('"')?
                .split('-')
                .next()?
                .parse::<i64>()
                .ok()
        })
        .unwrap_or(0);
    Ok(Some(version))
}

/// Query of `GET /articles`.
#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    topic: Option<String>,
    author: Option<String>,
    /// Words the title contains.
    q: Option<String>,
    /// `for_review`, `trash`, `lead` or `featured`.
    list: Option<String>,
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
    const NAMES: &'static [&'static str] =
        &["status", "topic", "author", "q", "list", "page", "per_page"];
}

#[derive(Serialize)]
struct ListJson {
    items: Vec<ArticleJson>,
    page: i64,
    per_page: i64,
    total: i64,
    next_page: Option<i64>,
}

/// `GET /articles`: readers see published articles; staff may filter by any status.
pub async fn list(
    State(state): State<AppState>,
    MaybeStaff(staff): MaybeStaff,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let (page, per_page) = crate::extract::paging(q.page, q.per_page)?;
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
    match q.list.as_deref() {
        None => {}
        Some(_) if matches!(actor, Actor::Reader(_)) => return Err(Error::Unauthorized.into()),
        Some("for_review") => filter = filter.for_review(),
        Some("lead") => filter = filter.with_prominence(Prominence::Lead),
        Some("featured") => filter = filter.with_prominence(Prominence::Featured),
        Some("trash") => filter = articles::trash_scope_for(&actor)?,
        Some(_) => {
            return Err(Error::invalid("list", "Use for_review, trash, lead or featured.").into());
        }
    }
    if let Some(words) = q.q.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
        dateline_core::text::check_controls("q", words)?;
        if words.chars().count() > 200 {
            return Err(Error::invalid("q", "Search for at most 200 characters.").into());
        }
        filter = filter.title_contains(words.to_owned());
    }
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

/// `GET /articles/{id}`, with the `ETag` that a `PATCH` sends back in `If-Match`.
pub async fn show(
    State(state): State<AppState>,
    MaybeStaff(staff): MaybeStaff,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let article = articles::readable(state.app(), &MaybeStaff(staff).actor(), id).await?;
    let tz = state.db().site_settings().await?.tz();
    let tag = etag(&article);
    let mut response = Json(to_json(&state, &tz, article)).into_response();
    insert_etag(&mut response, &tag);
    Ok(response)
}

fn insert_etag(response: &mut Response, tag: &str) {
    if let Ok(v) = HeaderValue::from_str(tag) {
        response.headers_mut().insert(header::ETAG, v);
    }
}

fn respond(state: &AppState, tz: &TimeZone, article: Article, status: StatusCode) -> Response {
    let location = state.absolute(&format!("/api/v1/articles/{}", article.id));
    let tag = etag(&article);
    let body = to_json(state, tz, article);
    let mut response = (status, [(header::LOCATION, location)], Json(body)).into_response();
    insert_etag(&mut response, &tag);
    response
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
/// field); the result is validated as a whole, exactly like a new article. With `If-Match`,
/// a save made since the client read the article answers 412 and changes nothing.
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(patch): ApiJson<ArticlePatch>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let read_version = version_from_if_match(&headers)?;
    let article = articles::update(state.app(), &staff.actor(), id, patch, read_version).await?;
    let tz = state.db().site_settings().await?.tz();
    Ok(respond(&state, &tz, article, StatusCode::OK))
}

/// `DELETE /articles/{id}`: moves it to the trash; readers get 410 Gone at its address until it
/// is restored.
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    articles::trash(state.app(), &staff.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /articles/{id}/restore`: takes it out of the trash.
pub async fn restore(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let article = articles::restore(state.app(), &staff.actor(), id).await?;
    let tz = state.db().site_settings().await?.tz();
    Ok(respond(&state, &tz, article, StatusCode::OK))
}

/// `POST /articles/{id}/review`: the author asks an editor to review the draft.
pub async fn submit_for_review(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let article = articles::submit_for_review(state.app(), &staff.actor(), id).await?;
    let tz = state.db().site_settings().await?.tz();
    Ok(respond(&state, &tz, article, StatusCode::OK))
}

/// Body of `POST /articles/{id}/corrections`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectionForm {
    kind: String,
    body: String,
}

/// `POST /articles/{id}/corrections`: adds a dated correction or update to a published article.
pub async fn add_correction(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(form): ApiJson<CorrectionForm>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let article =
        articles::add_correction(state.app(), &staff.actor(), id, &form.kind, &form.body).await?;
    let tz = state.db().site_settings().await?.tz();
    Ok(respond(&state, &tz, article, StatusCode::CREATED))
}

/// Body of `PUT /articles/{id}/prominence`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProminenceForm {
    prominence: String,
}

/// `PUT /articles/{id}/prominence`: the lead story, featured, or normal.
pub async fn set_prominence(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(form): ApiJson<ProminenceForm>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let prominence = Prominence::parse("prominence", &form.prominence)?;
    let article = articles::set_prominence(state.app(), &staff.actor(), id, prominence).await?;
    let tz = state.db().site_settings().await?.tz();
    Ok(respond(&state, &tz, article, StatusCode::OK))
}

/// A revision as the list shows it (without the article it kept).
#[derive(Serialize)]
struct RevisionSummaryJson {
    number: i64,
    author: Option<Editor>,
    actor: String,
    note: String,
    created_at: String,
}

/// One revision with the article as it kept it, and (with `compare_to`) a word-level diff.
#[derive(Serialize)]
pub struct RevisionJson {
    number: i64,
    author: Option<Editor>,
    actor: String,
    note: String,
    created_at: String,
    snapshot: Snapshot,
    #[serde(skip_serializing_if = "Option::is_none")]
    compared_to: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<Vec<FieldDiff>>,
}

/// `GET /articles/{id}/revisions`: every save, newest first.
pub async fn revisions(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&id)?;
    let items: Vec<RevisionSummaryJson> = articles::revisions(state.app(), &staff.actor(), id)
        .await?
        .into_iter()
        .map(|r: Revision| RevisionSummaryJson {
            number: r.number,
            author: r.author,
            actor: r.actor,
            note: r.note,
            created_at: r.created_at.to_string(),
        })
        .collect();
    Ok(Json(serde_json::json!({ "items": items })))
}

/// Query of `GET /articles/{id}/revisions/{rev}`.
#[derive(Deserialize)]
pub struct RevisionQuery {
    #[serde(
        default,
        deserialize_with = "dateline_core::wire::optional_whole_number_text"
    )]
    compare_to: Option<i64>,
}

impl KnownParams for RevisionQuery {
    const NAMES: &'static [&'static str] = &["compare_to"];
}

/// `GET /articles/{id}/revisions/{rev}`: what that save kept; with `compare_to=N`, the words
/// that differ from revision N, field by field.
pub async fn revision(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, number)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<RevisionQuery>,
) -> Result<Json<RevisionJson>, ApiError> {
    let (id, number) = (parse_id(&id)?, parse_id(&number)?);
    let actor = staff.actor();
    let r = articles::revision(state.app(), &actor, id, number).await?;
    let diff = match q.compare_to {
        Some(other) => {
            let other = articles::revision(state.app(), &actor, id, other).await?;
            Some(revisions::diff(&other.snapshot, &r.snapshot))
        }
        None => None,
    };
    Ok(Json(RevisionJson {
        number: r.number,
        author: r.author,
        actor: r.actor,
        note: r.note,
        created_at: r.created_at.to_string(),
        snapshot: r.snapshot,
        compared_to: q.compare_to,
        diff,
    }))
}

/// `POST /articles/{id}/revisions/{rev}/restore`: brings the content back to that revision (a
/// new revision); `If-Match` guards it like a `PATCH`.
pub async fn restore_revision(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, number)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (id, number) = (parse_id(&id)?, parse_id(&number)?);
    let read_version = version_from_if_match(&headers)?;
    let article =
        articles::restore_revision(state.app(), &staff.actor(), id, number, read_version).await?;
    let tz = state.db().site_settings().await?.tz();
    Ok(respond(&state, &tz, article, StatusCode::OK))
}
