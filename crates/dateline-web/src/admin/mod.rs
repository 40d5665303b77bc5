//! The newsroom's admin under `/admin`: server-rendered pages that work without JavaScript.
//! Every page needs a signed-in member of staff (`session::Admin`); every form that changes
//! something carries the session's CSRF token, checked before anything else happens.

mod accounts;
mod articles;
mod media;
mod moderation;
mod multipart;
mod pages;
pub mod session;
mod settings;
mod topics;

use axum::{
    Router,
    extract::{DefaultBodyLimit, Request},
    http::{HeaderValue, header},
    middleware::{self, Next},
    response::Response,
    routing::{get, post},
};

use crate::AppState;

/// The first value of `key` in a page's query string.
fn query_value(query: Option<&str>, key: &str) -> Option<String> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// The admin's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(pages::dashboard))
        .route("/admin/", get(pages::dashboard))
        .route(
            "/admin/login",
            get(accounts::login_page).post(accounts::login),
        )
        .route("/admin/logout", post(accounts::logout))
        .route(
            "/admin/profile",
            get(accounts::profile).post(accounts::save_profile),
        )
        .route("/admin/profile/password", post(accounts::change_password))
        .route(
            "/admin/profile/sessions/{id}/end",
            post(accounts::end_session),
        )
        .route("/admin/profile/tokens", post(accounts::create_token))
        .route(
            "/admin/profile/tokens/{id}/revoke",
            post(accounts::revoke_token),
        )
        .route("/admin/users", get(accounts::users))
        .route("/admin/users/invite", post(accounts::invite))
        .route("/admin/users/{id}/role", post(accounts::change_role))
        .route("/admin/users/{id}/active", post(accounts::set_active))
        .route("/admin/join", get(accounts::join_page).post(accounts::join))
        .route(
            "/admin/articles",
            get(articles::list)
                .post(articles::create)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/admin/articles/new", get(articles::new))
        .route(
            "/admin/articles/{id}",
            get(articles::edit)
                .post(articles::update)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/admin/articles/{id}/trash", post(articles::trash))
        .route("/admin/articles/{id}/restore", post(articles::restore))
        .route(
            "/admin/articles/{id}/corrections",
            post(articles::add_correction),
        )
        .route(
            "/admin/articles/{id}/prominence",
            post(articles::set_prominence),
        )
        .route("/admin/articles/{id}/revisions", get(articles::revisions))
        .route(
            "/admin/articles/{id}/revisions/{rev}/restore",
            post(articles::restore_revision),
        )
        .route(
            "/admin/media",
            get(media::library)
                .post(media::upload)
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/admin/settings",
            get(settings::show).post(settings::change),
        )
        .route("/admin/comments", get(moderation::queue))
        .route("/admin/comments/decide", post(moderation::decide))
        .route("/admin/comments/{id}/edit", post(moderation::edit))
        .route("/admin/comments/{id}/reply", post(moderation::reply))
        .route("/admin/topics", get(topics::show))
        .route("/admin/topics/{slug}", post(topics::describe))
        .route("/admin/comments/{id}/block", post(moderation::block))
        .route("/admin/comments/blocks/{id}/lift", post(moderation::lift))
        .route("/admin/media/{id}", post(media::describe))
        .route("/admin/media/{id}/delete", post(media::delete))
        .route(
            "/admin/preview",
            post(articles::preview).layer(DefaultBodyLimit::disable()),
        )
        // The forms with files count their own bytes against the upload limit (above); every
        // other form is text.
        .layer(DefaultBodyLimit::max(multipart::MAX_TEXT_BYTES))
        .layer(middleware::from_fn(private))
}

/// Admin pages are private to the person who asked: no cache keeps them, no search engine
/// indexes them.
async fn private(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    response
}
