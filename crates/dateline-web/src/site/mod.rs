//! The reader site: server-rendered pages that work without JavaScript.

mod archives;
mod articles;
mod assets;
pub mod cache;
pub(crate) mod feeds;
mod search;
pub(crate) mod seo;
mod setup;
mod sitemaps;
pub(crate) mod views;

use axum::{
    Router,
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};
use dateline_core::Error;
use serde::Serialize;

use crate::{
    AppState, SiteError,
    error::{ErrorPage, with_retry_after},
};

/// Reader pages, assets and the one-time setup page.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(archives::home))
        .route("/static/{file}", get(assets::static_file))
        .route("/favicon.ico", get(assets::favicon))
        .route("/media/{*path}", get(assets::media))
        .route("/topics/", get(archives::topic_index))
        .route("/topics/{slug}/", get(archives::topic))
        .route("/authors/{slug}/", get(archives::author))
        .route("/sources/", get(archives::source_index))
        .route("/sources/{slug}/", get(archives::source))
        .route("/search", get(search::show))
        .route("/setup", get(setup::show).post(setup::create_owner))
        .route("/setup/done", get(setup::done))
        .route("/{year}/", get(archives::year))
        .route("/{year}/{month}/", get(archives::month))
        .route("/{year}/{month}/{day}/", get(archives::day))
        .route("/{year}/{month}/{day}/{slug}/", get(articles::show))
        .route(
            "/articles/{id}/comments",
            axum::routing::post(articles::post_comment),
        )
        .route(
            "/{year}/{month}/{day}/{slug}/comments",
            axum::routing::post(articles::post_comment_dated),
        )
        .merge(feeds::routes())
        .merge(sitemaps::routes())
}

/// The fallback for every unknown address: a path without its trailing slash is sent to the
/// one with it (article and archive URLs end in `/`), anything else is a 404 page.
pub async fn not_found(req: Request) -> Response {
    let path = req.uri().path();
    let last = path.rsplit('/').next().unwrap_or("");
    if req.method() == axum::http::Method::GET
        && !path.ends_with('/')
        && !last.contains('.')
        && !path.starts_with("/api/")
        && path.len() < 300
    {
        // Only redirect where a page may be; elsewhere the reader gets the 404 straight away.
        if looks_like_site_path(path) {
            let target = match req.uri().query() {
                Some(q) => format!("{path}/?{q}"),
                None => format!("{path}/"),
            };
            return Redirect::permanent(&target).into_response();
        }
    }
    SiteError(Error::NotFound).into_response()
}

fn looks_like_site_path(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match segments.as_slice() {
        ["topics" | "sources"] | ["topics" | "authors" | "sources", _] => true,
        [y] | [y, _] | [y, _, _] | [y, _, _, _] => numeric(y),
        _ => false,
    }
}

#[derive(Serialize)]
struct ErrorView {
    site: dateline_core::settings::SiteSettings,
    status: u16,
    heading: &'static str,
    message: String,
    latest: Vec<views::ArticleView>,
}

/// Renders the themed page for responses that carry an [`ErrorPage`]. Runs around the whole
/// app, so that the fallback's 404 is themed too.
pub async fn render_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let Some(page) = response.extensions().get::<ErrorPage>().cloned() else {
        return response;
    };
    let settings = state.site_settings().await.unwrap_or_default();
    let heading = match page.status {
        StatusCode::NOT_FOUND => "Page not found",
        StatusCode::GONE => "This article has been removed",
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => {
            "Please check what you entered"
        }
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "That is too long to send",
        StatusCode::TOO_MANY_REQUESTS => "Please wait a moment",
        _ => "Something went wrong",
    };
    // A reader who lands on a dead link is offered somewhere to go.
    let latest = if page.status == StatusCode::NOT_FOUND || page.status == StatusCode::GONE {
        views::latest(&state, &settings, 5)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let view = ErrorView {
        site: settings,
        status: page.status.as_u16(),
        heading,
        message: page.message.clone(),
        latest,
    };
    match state.theme().render("site/error.html", view) {
        Ok(html) => with_retry_after((page.status, Html(html)).into_response(), page.retry_after),
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            (
                page.status,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                page.message,
            )
                .into_response()
        }
    }
}

/// Renders a page template, or the error page if that fails.
pub(crate) fn render<S: Serialize>(
    state: &AppState,
    template: &str,
    view: S,
) -> Result<Html<String>, SiteError> {
    Ok(Html(state.theme().render(template, view)?))
}
