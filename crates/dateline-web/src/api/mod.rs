//! The JSON API under `/api/v1`. Reading published content and posting a reader comment need no
//! credentials; everything else needs `Authorization: Bearer TOKEN`, and roles are enforced.

mod accounts;
mod activity;
mod articles;
mod comments;
mod media;
mod moderation;
mod search;
mod settings;
mod topics;

use std::net::SocketAddr;

use axum::{
    Router,
    extract::ConnectInfo,
    extract::{DefaultBodyLimit, FromRequestParts},
    http::{StatusCode, header, request::Parts},
    response::IntoResponse,
    routing::{delete, get, patch, post, put},
};
use dateline_core::{Error, actor::Actor, users::User};

use crate::{AppState, error::ApiError};

/// The API's routes, relative to `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/activity", get(activity::list))
        .route("/articles", get(articles::list).post(articles::create))
        .route(
            "/articles/{id}",
            get(articles::show)
                .patch(articles::update)
                .delete(articles::delete),
        )
        .route("/articles/{id}/restore", post(articles::restore))
        .route("/articles/{id}/review", post(articles::submit_for_review))
        .route("/articles/{id}/corrections", post(articles::add_correction))
        .route("/articles/{id}/prominence", put(articles::set_prominence))
        .route("/articles/{id}/revisions", get(articles::revisions))
        .route("/articles/{id}/revisions/{rev}", get(articles::revision))
        .route(
            "/articles/{id}/revisions/{rev}/restore",
            post(articles::restore_revision),
        )
        .route(
            "/articles/{id}/comments",
            get(comments::list).post(comments::create),
        )
        .route(
            "/media",
            get(media::list)
                .post(media::upload)
                // The handler counts the file against the operator's upload limit.
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/search",
            get(search::search).layer(axum::middleware::map_response(search::noindex)),
        )
        .route("/settings", get(settings::show).patch(settings::change))
        .route("/topics", get(topics::list))
        .route("/topics/{slug}", axum::routing::patch(topics::change))
        .route("/comments", get(moderation::queue))
        .route("/comments/blocks", get(moderation::blocks))
        .route("/comments/classifier", get(moderation::classifier))
        .route("/comments/blocks/{id}", delete(moderation::unblock))
        .route("/comments/{id}/block", post(moderation::block))
        .route(
            "/comments/{id}",
            get(moderation::show)
                .patch(moderation::edit)
                .delete(moderation::delete),
        )
        .route("/comments/{id}/approve", post(moderation::approve))
        .route("/comments/{id}/spam", post(moderation::spam))
        .route("/comments/{id}/trash", post(moderation::trash))
        .route("/comments/{id}/restore", post(moderation::restore))
        .route("/users", get(accounts::list))
        .route("/users/invitations", post(accounts::invite))
        .route("/users/{id}", patch(accounts::change))
        .route("/me", get(accounts::me).patch(accounts::change_me))
        .route("/me/password", post(accounts::change_password))
        .route(
            "/tokens",
            get(accounts::tokens).post(accounts::create_token),
        )
        .route("/tokens/{id}", delete(accounts::revoke_token))
        .route(
            "/media/{id}",
            get(media::show)
                .patch(media::describe)
                .delete(media::delete),
        )
        .layer(DefaultBodyLimit::max(crate::extract::MAX_JSON_BYTES))
        .fallback(|| async { ApiError::from(Error::NotFound) })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "This address does not accept that method.",
            )
        })
}

/// Cross-origin reading of the public API from browsers: `GET` and `HEAD` from the configured
/// origins (`*` for any, as Ghost's Content API allows), no credentials, no custom headers.
/// Writes need a JSON body, which a browser sends to another origin only after a preflight
/// that this never answers with permission.
pub fn cors(origins: &[String]) -> tower_http::cors::CorsLayer {
    use axum::http::{HeaderValue, Method};
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok()),
        )
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::HEAD])
        .allow_credentials(false)
}

/// The OpenAPI 3.1 description of this API.
pub const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

/// A request made with a valid API token.
pub struct Staff(pub User);

impl Staff {
    /// The actor of the request.
    pub fn actor(&self) -> Actor {
        Actor::Staff(self.0.clone())
    }
}

/// A request that may carry an API token; one that carries an invalid token is refused
/// rather than treated as anonymous, so a client learns that its token stopped working.
pub struct MaybeStaff(pub Option<User>);

impl MaybeStaff {
    /// The actor of a read: the staff member, or an anonymous reader. (Reads need no reader
    /// identity; writes by readers take theirs from the connection.)
    pub fn actor(self) -> Actor {
        match self.0 {
            Some(u) => Actor::Staff(u),
            None => Actor::anonymous(),
        }
    }
}

async fn user_from_token(parts: &Parts, state: &AppState) -> Result<Option<User>, ApiError> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| state.client_ip(*peer, &parts.headers));
    let throttled = |secs| {
        ApiError::from(Error::TooManyRequests {
            retry_after_secs: secs,
        })
    };
    if let Some(secs) = ip.and_then(|ip| state.failed_auth().wait(ip, state.now())) {
        return Err(throttled(secs));
    }
    let failed = |error: ApiError| match ip.and_then(|ip| state.failed_auth().fail(ip, state.now()))
    {
        Some(secs) => throttled(secs),
        None => error,
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            failed(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Use the header Authorization: Bearer TOKEN.",
            ))
        })?;
    let user = dateline_app::tokens::authenticate(state.app(), token).await?;
    match user {
        Some(u) => Ok(Some(u)),
        None => Err(failed(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "This API token is not valid or has been revoked.",
        ))),
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        user_from_token(parts, state)
            .await?
            .map(Staff)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "This request needs an API token.",
                )
            })
    }
}

impl FromRequestParts<AppState> for MaybeStaff {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        user_from_token(parts, state).await.map(MaybeStaff)
    }
}
