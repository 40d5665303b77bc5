//! Operations: request logging and metrics around every request, `/healthz` and `/metrics`.

use std::{
    net::SocketAddr,
    sync::{
        OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use axum::{
    Router,
    extract::{ConnectInfo, MatchedPath, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing::Instrument;

use crate::AppState;

/// `/healthz` and `/metrics`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
}

static PROMETHEUS: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide metrics recorder once; later calls reuse it (tests start many apps
/// in one process). `None` if another recorder was installed first.
pub fn install_metrics() -> Option<&'static PrometheusHandle> {
    PROMETHEUS
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".to_owned()),
                    &[
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                        10.0,
                    ],
                )
                .ok()?
                .install_recorder()
                .ok()
        })
        .as_ref()
}

/// Folds the recorded latencies into their histogram buckets every few seconds. The recorder
/// keeps every sample until it does (or until `/metrics` is scraped), so a busy site that nobody
/// scrapes would otherwise grow by eight bytes a request, without end.
pub fn keep_metrics_small() -> tokio::task::JoinHandle<()> {
    tokio::spawn(async {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            if let Some(handle) = install_metrics() {
                handle.run_upkeep();
            }
        }
    })
}

static REQUEST_COUNTER: AtomicU64 = AtomicU64::new(0);
static PROCESS_TAG: OnceLock<String> = OnceLock::new();

/// The response header naming the request, made once: a name given as a string is parsed
/// again on every insertion (a twentieth of an answer from memory).
static X_REQUEST_ID: axum::http::HeaderName = axum::http::HeaderName::from_static("x-request-id");

/// A request id unique across processes sharing a database: a random per-process tag and a
/// counter.
fn next_request_id() -> String {
    let tag = PROCESS_TAG.get_or_init(|| {
        dateline_core::secrets::random_bytes::<4>()
            .map(|b| dateline_core::secrets::hex(&b))
            .unwrap_or_else(|_| format!("{:08x}", std::process::id()))
    });
    // Put together by hand: `format!` took a thirtieth of an answer from memory.
    let mut digits = itoa::Buffer::new();
    let counter = digits.format(REQUEST_COUNTER.fetch_add(1, Ordering::Relaxed));
    let mut id = String::with_capacity(tag.len() + 1 + counter.len());
    id.push_str(tag);
    id.push('-');
    id.push_str(counter);
    id
}

/// Logs one line per request (request id, method, path, status, latency) and records the
/// request metrics. Everything logged while handling the request carries its id.
pub async fn observe(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = next_request_id();
    let method = method_label(req.method());
    let path = req.uri().path().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let span = tracing::info_span!("request", id = %request_id);
    let mut response = next.run(req).instrument(span).await;
    let latency = started.elapsed();
    let status = response.status().as_u16();
    metrics::counter!("http_requests_total", "route" => route.clone(), "method" => method, "status" => status.to_string())
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "route" => route)
        .record(latency.as_secs_f64());
    log_request(request_id, method, &path, &mut response, latency);
    response
}

/// What [`observe`] records of a request answered before it was routed (a page kept in
/// memory): the same log line, request id and metrics, with the route's metrics handles made
/// when the page was kept, so that a request from memory allocates no labels.
pub(crate) fn observe_early(
    method: &axum::http::Method,
    path: &str,
    route: &RouteMetrics,
    response: &mut Response,
    started: Instant,
) {
    let latency = started.elapsed();
    let method = method_label(method);
    let status = response.status().as_u16();
    if method == "GET" && status == 200 {
        route.requests.increment(1);
    } else {
        metrics::counter!("http_requests_total", "route" => route.route.clone(), "method" => method, "status" => status.to_string())
            .increment(1);
    }
    route.latency.record(latency.as_secs_f64());
    log_request(next_request_id(), method, path, response, latency);
}

/// A route's request metrics, registered once: the count of its `GET`s answered 200 and its
/// latencies.
pub(crate) struct RouteMetrics {
    route: String,
    requests: metrics::Counter,
    latency: metrics::Histogram,
}

impl RouteMetrics {
    /// The handles for `route` (the pattern it matched, such as `/{year}/{month}/{day}/{slug}/`).
    pub(crate) fn of(route: &str) -> Self {
        RouteMetrics {
            route: route.to_owned(),
            requests: metrics::counter!("http_requests_total", "route" => route.to_owned(), "method" => "GET", "status" => "200"),
            latency: metrics::histogram!("http_request_duration_seconds", "route" => route.to_owned()),
        }
    }
}

/// The log line of a request, and its id in the response.
fn log_request(
    request_id: String,
    method: &str,
    path: &str,
    response: &mut Response,
    latency: std::time::Duration,
) {
    tracing::info!(
        request_id = %request_id,
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        latency_ms = latency.as_secs_f64() * 1000.0,
        "request"
    );
    if let Ok(v) = HeaderValue::try_from(request_id) {
        response.headers_mut().insert(&X_REQUEST_ID, v);
    }
}

/// The method as a metrics label: the standard ones by name, anything made up as `other`, so
/// that a client inventing methods cannot add a time series per request.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

async fn healthz(State(state): State<AppState>) -> Response {
    if state.db().ping().await {
        (StatusCode::OK, "ok\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
    }
}

async fn metrics(State(state): State<AppState>, req: Request) -> Response {
    let peer_is_local = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|ConnectInfo(addr)| addr.ip().is_loopback());
    if !peer_is_local && !state.config().metrics_public {
        return (
            StatusCode::FORBIDDEN,
            "metrics are served to loopback clients only\n",
        )
            .into_response();
    }
    let Some(handle) = install_metrics() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder unavailable\n",
        )
            .into_response();
    };
    let (open, idle) = state.db().pool_usage();
    metrics::gauge!("db_pool_connections", "state" => "open").set(f64::from(open));
    metrics::gauge!("db_pool_connections", "state" => "idle").set(idle as f64);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}
