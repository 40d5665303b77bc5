//! The article page and the comment form under it.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use dateline_app::comments;
use dateline_core::{
    Error,
    age::age_in_words,
    articles::Article,
    comments::{Comment, CommentForm},
    settings::SiteSettings,
};
use dateline_store::ArticleLookup;
use serde::{Deserialize, Serialize};

use super::{
    render,
    views::{ArticleView, exact_time_in, iso},
};
use crate::{
    AppState, SiteError,
    extract::{FormField, SiteForm, parse_id},
};

/// A comment as the page shows it.
#[derive(Serialize)]
struct CommentView {
    id: i64,
    author_name: String,
    age: String,
    date_iso: String,
    exact: String,
    body_html: String,
}

impl FormField for CommentFields {
    const MAIN_FIELD: &'static str = "body";
}

/// What the reader typed into the comment form, shown again when it needs correcting.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct CommentFields {
    #[serde(default)]
    author_name: String,
    #[serde(default)]
    author_email: String,
    #[serde(default)]
    body: String,
}

#[derive(Serialize)]
struct FormView {
    action: String,
    values: CommentFields,
    error: Option<String>,
    error_field: Option<String>,
}

#[derive(Serialize)]
struct ArticlePage {
    site: SiteSettings,
    canonical: String,
    article: ArticleView,
    comments: Vec<CommentView>,
    form: FormView,
}

type ArticlePath = Path<(String, String, String, String)>;

/// Finds the visible article for a path; a path with a stale date (the article's time or the
/// site's time zone changed) or an old slug is answered with 301 to the current one.
async fn find(
    state: &AppState,
    (year, month, day, slug): &(String, String, String, String),
) -> Result<Result<(Article, SiteSettings), Response>, SiteError> {
    let settings = state.db().site_settings().await?;
    let now = state.now();
    let article = match state.db().article_for_reader(slug, now).await? {
        ArticleLookup::Found(a) => *a,
        ArticleLookup::Gone => return Err(SiteError(Error::Gone)),
        // An address the article had before its slug changed.
        ArticleLookup::Missing => match state.db().moved_article(slug, now).await? {
            Some(a) => a,
            None => return Err(SiteError(Error::NotFound)),
        },
    };
    let canonical = article.path(&settings.tz()).unwrap_or_default();
    if canonical != format!("/{year}/{month}/{day}/{slug}/") {
        return Ok(Err((
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, canonical)],
        )
            .into_response()));
    }
    Ok(Ok((article, settings)))
}

async fn page(
    state: &AppState,
    article: Article,
    settings: SiteSettings,
    values: CommentFields,
    error: Option<Error>,
) -> Result<Response, SiteError> {
    let tz = settings.tz();
    let now = state.now();
    let comments = state
        .db()
        .approved_comments(article.id)
        .await?
        .into_iter()
        .map(|c: Comment| CommentView {
            id: c.id,
            body_html: c.body_html(),
            age: age_in_words(now, c.created_at, &tz),
            date_iso: iso(c.created_at),
            exact: exact_time_in(c.created_at, &tz, settings.date_format),
            author_name: c.author_name,
        })
        .collect();
    let view = ArticleView::new(article, &settings);
    let (status, error, error_field) = match error {
        None => (StatusCode::OK, None, None),
        Some(Error::Invalid { field, reason }) => {
            (StatusCode::UNPROCESSABLE_ENTITY, Some(reason), Some(field))
        }
        Some(other) => return Err(SiteError(other)),
    };
    let page = ArticlePage {
        site: settings,
        canonical: state.absolute(&view.url),
        form: FormView {
            action: format!("/articles/{}/comments", view.id),
            values,
            error,
            error_field,
        },
        article: view,
        comments,
    };
    Ok((status, render(state, "site/articles/show.html", page)?).into_response())
}

/// `GET /{year}/{month}/{day}/{slug}/`
pub async fn show(
    State(state): State<AppState>,
    Path(path): ArticlePath,
) -> Result<Response, SiteError> {
    match find(&state, &path).await? {
        Ok((article, settings)) => {
            page(&state, article, settings, CommentFields::default(), None).await
        }
        Err(redirect) => Ok(redirect),
    }
}

/// `POST /articles/{id}/comments`: the comment form's address, which does not change when the
/// article's dated address does (a new slug, or a new site time zone). Stores the comment and
/// sends the reader to it; on a mistake shows the page again with what was typed and what to
/// correct.
pub async fn post_comment(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    SiteForm(fields): SiteForm<CommentFields>,
) -> Result<Response, SiteError> {
    let id = parse_id(&id)?;
    let article = state
        .db()
        .visible_article_by_id(id, state.now())
        .await?
        .ok_or(Error::NotFound)?;
    submit(&state, article, peer, &headers, fields).await
}

/// `POST /{year}/{month}/{day}/{slug}/comments`: where forms rendered before the stable address
/// existed still post. The comment is stored even if the date in the address is stale.
pub async fn post_comment_dated(
    State(state): State<AppState>,
    Path((_, _, _, slug)): ArticlePath,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    SiteForm(fields): SiteForm<CommentFields>,
) -> Result<Response, SiteError> {
    let article = match state.db().article_for_reader(&slug, state.now()).await? {
        ArticleLookup::Found(a) => *a,
        ArticleLookup::Gone => return Err(SiteError(Error::Gone)),
        ArticleLookup::Missing => return Err(SiteError(Error::NotFound)),
    };
    submit(&state, article, peer, &headers, fields).await
}

async fn submit(
    state: &AppState,
    article: Article,
    peer: SocketAddr,
    headers: &HeaderMap,
    fields: CommentFields,
) -> Result<Response, SiteError> {
    crate::security::check_same_origin(state, headers)?;
    let settings = state.db().site_settings().await?;
    let form = CommentForm {
        author_name: fields.author_name.clone(),
        // Browsers trim an e-mail field; a reader's stray space is forgiven.
        author_email: Some(fields.author_email.trim().to_owned()),
        body: fields.body.clone(),
        ..Default::default()
    };
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let reader = state.app().reader(peer.ip(), user_agent);
    let comment = match comments::submit(state.app(), &reader, article.id, &form).await {
        Ok(c) => c,
        Err(e @ Error::Invalid { .. }) => {
            return page(state, article, settings, fields, Some(e)).await;
        }
        Err(e) => return Err(SiteError(e)),
    };
    metrics::counter!("comments_posted_total").increment(1);
    let url = article.path(&settings.tz()).unwrap_or_default();
    Ok(Redirect::to(&format!("{url}#comment-{}", comment.id)).into_response())
}
