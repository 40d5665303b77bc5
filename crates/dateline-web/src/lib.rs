//! Dateline's HTTP surfaces. Each surface is a router function (`site::router`,
//! `api::router`, `ops::router`), merged in [`app`]. Handlers are thin: they parse input, call
//! the store and the core, and render a typed page or JSON; they never hold SQL.

pub mod api;
mod error;
mod extract;
mod media_files;
pub mod ops;
pub mod site;
pub mod theme;

use std::{path::PathBuf, sync::Arc};

use axum::{Router, middleware};
use dateline_core::Clock;
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
}

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    clock: Arc<dyn Clock>,
    theme: Theme,
    config: WebConfig,
    ip_key: Vec<u8>,
}

impl AppState {
    /// Bundles the parts. `ip_key` keys the hash under which readers' IP addresses are stored.
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        theme: Theme,
        config: WebConfig,
        ip_key: Vec<u8>,
    ) -> Self {
        AppState {
            inner: Arc::new(Inner {
                db,
                clock,
                theme,
                config,
                ip_key,
            }),
        }
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The current instant.
    pub fn now(&self) -> jiff::Timestamp {
        self.inner.clock.now()
    }

    /// The theme pages are rendered with.
    pub fn theme(&self) -> &Theme {
        &self.inner.theme
    }

    /// The web settings.
    pub fn config(&self) -> &WebConfig {
        &self.inner.config
    }

    /// An absolute URL for a site path.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.inner.config.base_url)
    }

    /// Keyed hash of a client address, as stored with comments.
    pub fn hash_ip(&self, ip: &str) -> String {
        dateline_core::secrets::keyed_hash(&self.inner.ip_key, ip)
    }
}

/// The whole application: every surface, with request logging and metrics around it.
pub fn app(state: AppState) -> Router {
    ops::install_metrics();
    Router::new()
        .merge(site::router())
        .nest("/api/v1", api::router())
        .merge(ops::router())
        .fallback(site::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            site::render_errors,
        ))
        .layer(middleware::from_fn(ops::observe))
        .with_state(state)
}
