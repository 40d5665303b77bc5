//! Dateline's HTTP surfaces. Each surface is a router function (`site::router`,
//! `api::router`, `ops::router`), merged in [`app`]. Handlers are thin: they turn a request into
//! a read of the store or a call of an action (`dateline-app`), and the result into a typed
//! page or JSON. They hold no SQL and call no write of the store (clippy.toml in this crate
//! forbids `Db::begin_write`, the only way to one).

pub mod admin;
pub mod api;
mod error;
mod extract;
pub mod ops;
mod security;
pub mod serve;
pub mod site;
pub mod theme;
mod throttle;

use std::{path::PathBuf, sync::Arc};

use axum::{Router, middleware};
use dateline_app::App;
use dateline_store::Db;

pub use error::{ApiError, SiteError};
pub use theme::Theme;

/// Settings of the web layer, fixed at start.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Public address of the site without a trailing slash, for absolute links.
    pub base_url: String,
    /// Folder holding uploaded media.
    pub media_dir: PathBuf,
    /// Serve `/metrics` to any client, not only loopback ones.
    pub metrics_public: bool,
    /// The base URL was derived from the listen address rather than configured: a form may
    /// then also come from the host the request names.
    pub trust_host_header: bool,
    /// Origins that may embed the site's pages in a frame; none by default.
    pub frame_ancestors: Vec<String>,
    /// Origins that may read the public API from a browser (`*` for any); none if empty.
    pub cors_origins: Vec<String>,
    /// Failed authentications allowed per address a minute before it is answered 429.
    pub auth_failures_per_minute: u32,
}

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    app: App,
    theme: Theme,
    config: WebConfig,
    failed_auth: throttle::FailedAuth,
}

impl AppState {
    /// Bundles the parts.
    pub fn new(app: App, theme: Theme, config: WebConfig) -> Self {
        AppState {
            inner: Arc::new(Inner {
                app,
                theme,
                failed_auth: throttle::FailedAuth::new(config.auth_failures_per_minute),
                config,
            }),
        }
    }

    /// The actions: every change goes through them.
    pub fn app(&self) -> &App {
        &self.inner.app
    }

    /// The database, for reads.
    pub fn db(&self) -> &Db {
        self.inner.app.db()
    }

    /// The current instant.
    pub fn now(&self) -> jiff::Timestamp {
        self.inner.app.now()
    }

    /// The theme pages are rendered with.
    pub fn theme(&self) -> &Theme {
        &self.inner.theme
    }

    /// Recent failed authentications per address.
    pub(crate) fn failed_auth(&self) -> &throttle::FailedAuth {
        &self.inner.failed_auth
    }

    /// The web settings.
    pub fn config(&self) -> &WebConfig {
        &self.inner.config
    }

    /// An absolute URL for a site path.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.inner.config.base_url)
    }
}

/// A path that holds a control character (`/topics/a%00b/`) names nothing: it is answered
/// "not found" before any handler looks it up (PostgreSQL would refuse the NUL in a query).
async fn refuse_control_characters(
    req: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let path = req.uri().path();
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    if !decoded.chars().any(char::is_control) {
        return next.run(req).await;
    }
    let not_found = dateline_core::Error::NotFound;
    if path.starts_with("/api/") {
        ApiError::from(not_found).into_response()
    } else {
        SiteError(not_found).into_response()
    }
}

/// The whole application: every surface, with request logging and metrics around it.
pub fn app(state: AppState) -> Router {
    ops::install_metrics();
    Router::new()
        .merge(site::router())
        .merge(admin::router())
        .nest(
            "/api/v1",
            api::router().layer(api::cors(&state.config().cors_origins)),
        )
        .merge(ops::router())
        .fallback(site::not_found)
        .layer(middleware::from_fn(refuse_control_characters))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            site::render_errors,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .layer(middleware::from_fn(ops::observe))
        .with_state(state)
}
