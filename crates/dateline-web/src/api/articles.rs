//! `/articles`: create, read, update, delete and list articles.

use axum::{
    Json,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use dateline_core::{
    Error,
    articles::{Article, ArticleForm, ArticleInput, ArticleStatus, Source},
    topics::Topic,
    users::User,
};
use dateline_store::ArticleFilter;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{MaybeStaff, Staff};
use crate::{
    AppState,
    error::ApiError,
    extract::{ApiJson, ApiQuery, parse_id, parse_json},
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
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    topic: Option<String>,
    author: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
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
    let page = q.page.unwrap_or(1);
    if page < 1 {
        return Err(Error::invalid("page", "use a page number from 1").into());
    }
    let per_page = q.per_page.unwrap_or(20);
    if !(1..=100).contains(&per_page) {
        return Err(Error::invalid("per_page", "use a number from 1 to 100").into());
    }
    let status = q
        .status
        .as_deref()
        .map(|s| ArticleStatus::parse("status", s))
        .transpose()?;
    let mut filter = ArticleFilter {
        status,
        ..Default::default()
    };
    if staff.is_none() {
        if status.is_some_and(|s| s != ArticleStatus::Published) {
            return Err(Error::Unauthorized.into());
        }
        filter.visible_at = Some(state.now());
        filter.status = None;
    }
    if let Some(topic) = q.topic.as_deref() {
        filter.topic_slug = Some(Topic::parse(topic)?.slug);
    }
    if let Some(author) = q.author.as_deref() {
        let user = match state.db().user_by_slug(author).await? {
            Some(u) => Some(u),
            None => state.db().user_by_email(author).await?,
        };
        // An unknown author has written nothing: an empty list, not an error.
        filter.author_id = Some(user.map_or(-1, |u| u.id));
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
    let article = match staff {
        Some(_) => state.db().article_by_id(id).await?,
        None => state.db().visible_article_by_id(id, state.now()).await?,
    };
    let article = article.ok_or(Error::NotFound)?;
    let tz = state.db().site_settings().await?.tz();
    Ok(Json(to_json(&state, &tz, article)))
}

/// Who the article is by: the requester, or (editors only) the account named by `author_email`.
async fn choose_author(
    state: &AppState,
    user: &User,
    author_email: Option<&str>,
) -> Result<User, ApiError> {
    match author_email.map(str::trim).filter(|e| !e.is_empty()) {
        None => Ok(user.clone()),
        Some(e) if e.eq_ignore_ascii_case(&user.email) => Ok(user.clone()),
        Some(e) => {
            if !user.role.can_edit_others() {
                return Err(
                    Error::Forbidden("only editors may write in another author's name").into(),
                );
            }
            let email = dateline_core::text::Email::parse("author_email", e)?;
            Ok(state
                .db()
                .user_by_email(email.as_str())
                .await?
                .ok_or_else(|| {
                    Error::invalid("author_email", "no account has this e-mail address")
                })?)
        }
    }
}

fn check_may_publish(user: &User, input: &ArticleInput) -> Result<(), ApiError> {
    if input.status != ArticleStatus::Draft && !user.role.can_publish() {
        return Err(Error::Forbidden(
            "contributors may save drafts only; an editor publishes them",
        )
        .into());
    }
    Ok(())
}

fn check_may_edit(user: &User, article: &Article) -> Result<(), ApiError> {
    if !user.role.can_edit_others() && article.author.id != user.id {
        return Err(Error::Forbidden("you may change only your own articles").into());
    }
    if !user.role.can_publish() && article.status != ArticleStatus::Draft {
        return Err(Error::Forbidden("contributors may change drafts only").into());
    }
    Ok(())
}

async fn respond(state: &AppState, id: i64, status: StatusCode) -> Result<Response, ApiError> {
    let article = state.db().article_by_id(id).await?.ok_or(Error::NotFound)?;
    let tz = state.db().site_settings().await?.tz();
    let body = to_json(state, &tz, article);
    let location = state.absolute(&format!("/api/v1/articles/{id}"));
    Ok((status, [(header::LOCATION, location)], Json(body)).into_response())
}

/// `POST /articles`
pub async fn create(
    State(state): State<AppState>,
    Staff(user): Staff,
    ApiJson(form): ApiJson<ArticleForm>,
) -> Result<Response, ApiError> {
    let now = state.now();
    let input = form.parse(now)?;
    check_may_publish(&user, &input)?;
    let author = choose_author(&state, &user, form.author_email.as_deref()).await?;
    let id = state.db().create_article(author.id, &input, now).await?;
    respond(&state, id, StatusCode::CREATED).await
}

/// `PATCH /articles/{id}`: the fields given replace the stored ones (`null` clears an optional
/// field); the result is validated as a whole, exactly like a new article.
pub async fn update(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let now = state.now();
    let article = state.db().article_by_id(id).await?.ok_or(Error::NotFound)?;
    check_may_edit(&user, &article)?;
    let current_author = state
        .db()
        .user_by_id(article.author.id)
        .await?
        .ok_or(Error::NotFound)?;
    let mut merged = form_json(&ArticleForm::from_article(&article, &current_author.email));
    // A scheduled article whose time has come is published, even before the ticker says so;
    // re-validating it as "scheduled" would refuse its (now past) time.
    if article.status == ArticleStatus::Scheduled && article.published_at.is_some_and(|t| t <= now)
    {
        merged.insert("status".into(), "published".into());
    }
    for (key, value) in patch {
        merged.insert(key, value);
    }
    let bytes =
        serde_json::to_vec(&Value::Object(merged)).map_err(|e| Error::Internal(e.to_string()))?;
    let form: ArticleForm = parse_json(&bytes)?;
    let input = form.parse(now)?;
    check_may_publish(&user, &input)?;
    let author = choose_author(&state, &user, form.author_email.as_deref()).await?;
    state
        .db()
        .update_article(id, author.id, &input, now)
        .await?;
    respond(&state, id, StatusCode::OK).await
}

/// `DELETE /articles/{id}`: readers get 410 Gone at its address from now on.
pub async fn delete(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    let article = state.db().article_by_id(id).await?.ok_or(Error::NotFound)?;
    check_may_edit(&user, &article)?;
    state.db().delete_article(id, state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The JSON object that [`ArticleForm`] deserialises from, for overlaying a PATCH.
fn form_json(f: &ArticleForm) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("title".into(), f.title.clone().into());
    m.insert("body_markdown".into(), f.body_markdown.clone().into());
    m.insert("dek".into(), f.dek.clone().into());
    m.insert("slug".into(), f.slug.clone().into());
    m.insert("status".into(), f.status.clone().into());
    m.insert("published_at".into(), f.published_at.clone().into());
    m.insert("author_email".into(), f.author_email.clone().into());
    m.insert(
        "lead_image".into(),
        f.lead_image.as_ref().map_or(Value::Null, |l| {
            serde_json::json!({"media_id": l.media_id, "caption": l.caption, "alt": l.alt, "credit": l.credit})
        }),
    );
    m.insert(
        "sources".into(),
        Value::Array(
            f.sources
                .iter()
                .flatten()
                .map(|s| {
                    serde_json::json!({"title": s.title, "author": s.author, "outlet": s.outlet,
                                       "url": s.url, "published_at": s.published_at})
                })
                .collect(),
        ),
    );
    m.insert("topics".into(), serde_json::json!(f.topics));
    m
}
