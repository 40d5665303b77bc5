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
pub mod proxy;
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
    /// The server's own public address without a trailing slash (configured, or derived from
    /// the listen address); the site's base URL setting, when set, takes its place.
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
    /// The load balancers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: proxy::TrustedProxies,
    /// Bytes of rendered public pages kept in memory (0 keeps none).
    pub page_cache_bytes: usize,
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
    /// The base URL setting ("" for none), kept in step with the activity log by the page
    /// cache as it reads it ([`site::cache::PageCache::follow`]), so links, cookies and HSTS
    /// follow it without a query.
    base_url_setting: std::sync::RwLock<String>,
    /// Rendered public pages.
    cache: site::cache::PageCache,
    /// The Content-Security-Policy of every page, made once from the configuration.
    content_security_policy: axum::http::HeaderValue,
}

impl AppState {
    /// Bundles the parts.
    pub fn new(app: App, theme: Theme, config: WebConfig) -> Self {
        AppState {
            inner: Arc::new(Inner {
                app,
                theme,
                failed_auth: throttle::FailedAuth::new(config.auth_failures_per_minute),
                cache: site::cache::PageCache::new(config.page_cache_bytes),
                content_security_policy: security::policy_header(&config.frame_ancestors),
                config,
                base_url_setting: std::sync::RwLock::default(),
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

    /// The address of the client behind `peer` (a trusted proxy says whom it forwards for).
    pub fn client_ip(
        &self,
        peer: std::net::SocketAddr,
        headers: &axum::http::HeaderMap,
    ) -> std::net::IpAddr {
        self.config().trusted_proxies.client(peer.ip(), headers)
    }

    /// Rendered public pages kept in memory.
    pub fn cache(&self) -> &site::cache::PageCache {
        &self.inner.cache
    }

    /// The site's settings, as the public pages show them ([`site::cache::PageCache::site_settings`]).
    pub async fn site_settings(
        &self,
    ) -> Result<dateline_core::settings::SiteSettings, dateline_core::Error> {
        self.inner.cache.site_settings(self).await
    }

    /// The web settings.
    pub fn config(&self) -> &WebConfig {
        &self.inner.config
    }

    /// The Content-Security-Policy header of every page.
    pub(crate) fn content_security_policy(&self) -> &axum::http::HeaderValue {
        &self.inner.content_security_policy
    }

    /// Whether readers reach the site over https (so that browsers are told to keep to it).
    pub(crate) fn served_over_https(&self) -> bool {
        let set = self.inner.base_url_setting.read();
        match set.as_deref() {
            Ok(s) if !s.is_empty() => s.starts_with("https://"),
            _ => self.inner.config.base_url.starts_with("https://"),
        }
    }

    /// The address readers reach the site at, without a trailing slash: the base URL setting
    /// when the owner has set one, else the server's own.
    pub fn base_url(&self) -> String {
        let set = self
            .inner
            .base_url_setting
            .read()
            .map(|s| s.clone())
            .unwrap_or_default();
        if set.is_empty() {
            self.inner.config.base_url.clone()
        } else {
            set
        }
    }

    /// Whether the base URL was neither configured nor set, so that a form may also come from
    /// the host a request names.
    pub fn trusts_host_header(&self) -> bool {
        self.inner.config.trust_host_header
            && self
                .inner
                .base_url_setting
                .read()
                .map_or(true, |s| s.is_empty())
    }

    /// An absolute URL for a site path.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// Reads the base URL setting again (after a change here, or an event from elsewhere).
    pub async fn reload_settings(&self) -> Result<(), dateline_core::Error> {
        let value = self
            .db()
            .setting(dateline_core::settings::SettingKey::BaseUrl)
            .await?
            .unwrap_or_default();
        if let Ok(mut s) = self.inner.base_url_setting.write() {
            *s = value;
        }
        Ok(())
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

/// The whole application: every surface, with request logging and metrics around it, and in
/// front of everything the pages kept in memory ([`site::cache::from_memory`]).
pub fn app(state: AppState) -> Site {
    ops::install_metrics();
    let routed = Router::new()
        .merge(site::router().layer(middleware::from_fn_with_state(
            state.clone(),
            site::cache::pages,
        )))
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
        .with_state(state.clone());
    Site { state, routed }
}

/// The application as one service: a page kept in memory is answered before any routing, and
/// everything else goes to the routers. Written by hand rather than as a router with a layer in
/// front: a router and a middleware around the lookup cost a page from memory a quarter of its
/// instructions (`callgrind`, 25,200 a request, against 18,000 for the benchmark's axum
/// ceiling), which is what serving a page at the speed of a static file leaves no room for.
#[derive(Clone)]
pub struct Site {
    state: AppState,
    routed: Router,
}

impl<B> tower::Service<axum::http::Request<B>> for Site
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: axum::http::Request<B>) -> Self::Future {
        let (parts, body) = req.into_parts();
        let Site { state, mut routed } = self.clone();
        Box::pin(async move {
            match site::cache::from_memory(&state, &parts).await {
                Some(kept) => Ok(kept),
                None => {
                    let req = axum::http::Request::from_parts(parts, axum::body::Body::new(body));
                    routed.call(req).await
                }
            }
        })
    }
}
