//! Starting and stopping the web server, with the jobs runner and the event listener beside it.

use std::{net::SocketAddr, sync::Arc};

use dateline_app::{App, bootstrap, jobs};
use dateline_core::{Clock, secrets};
use dateline_store::Db;
use dateline_web::{AppState, Theme, WebConfig};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use crate::{Fallible, config::Config};

/// A server that is accepting connections.
pub struct Running {
    /// The address it listens on (useful with port 0).
    pub addr: SocketAddr,
    /// The public address links are made with.
    pub base_url: String,
    /// The one-time setup link, while the site has no owner.
    pub setup_url: Option<String>,
    /// The database the server uses.
    pub db: Db,
    /// The actions the server calls.
    pub app: App,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops accepting connections, finishes requests in flight, closes the database.
    pub async fn stop(mut self) -> Fallible<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.wait().await
    }

    /// Waits until the server stops (after a signal, when it listens for them).
    pub async fn wait(self) -> Fallible<()> {
        self.task.await??;
        Ok(())
    }
}

/// Opens the database (preparing it on first start) and starts serving, running jobs, and on
/// PostgreSQL listening for other processes' events. With `listen_for_signals`, Ctrl-C and
/// SIGTERM stop the server gracefully.
pub async fn start(
    config: &Config,
    clock: Arc<dyn Clock>,
    listen_for_signals: bool,
) -> Fallible<Running> {
    config.create_data_dir()?;
    let db = Db::connect(&config.database_url).await?;
    let prepared = bootstrap::prepare(
        db.clone(),
        clock,
        config.media_dir(),
        config.time_zone.as_deref(),
    )
    .await?;
    let app = prepared.app.with_media_limits(config.media.clone());
    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
    let addr = listener.local_addr()?;
    let base_url = config
        .base_url
        .clone()
        .unwrap_or_else(|| match &config.bind_host {
            Some(host) => format!("http://{host}:{}", addr.port()),
            None => format!("http://{addr}"),
        });
    let state = AppState::new(
        app.clone(),
        Theme::new(config.theme_dir.clone()),
        WebConfig {
            base_url: base_url.clone(),
            media_dir: config.media_dir(),
            metrics_public: config.metrics_public,
            trust_host_header: config.base_url.is_none(),
            frame_ancestors: config.frame_ancestors.clone(),
            cors_origins: config.cors_origins.clone(),
            auth_failures_per_minute: config.auth_failures_per_minute,
            trusted_proxies: config.trusted_proxies.clone(),
            page_cache_bytes: config.page_cache_bytes,
        },
    );
    state.reload_settings().await?;
    let cache_follower = dateline_web::site::cache::PageCache::follow(&state);
    let metrics_upkeep = dateline_web::ops::keep_metrics_small();
    let router = dateline_web::app(state);
    let limits = config.limits.clone();
    let (tx, rx) = oneshot::channel::<()>();
    let task_db = db.clone();
    let task_app = app.clone();
    // Registered now, before the start-up line is printed (see `termination_signal`).
    let signals = listen_for_signals.then(termination_signal);
    let task = tokio::spawn(async move {
        let claim_tag = secrets::hex(&secrets::random_bytes::<4>().unwrap_or_default());
        let runner = tokio::spawn(jobs::runner(task_app, claim_tag));
        let listener_task = task_db.listen_for_events();
        let shutdown = async move {
            if let Some(signals) = signals {
                tokio::select! {
                    _ = rx => {}
                    () = signals => tracing::info!("signal received; finishing requests in flight"),
                }
            } else {
                let _ = rx.await;
            }
        };
        let served = dateline_web::serve::serve(listener, router, limits, shutdown).await;
        // A job cut short is claimed again when its lease runs out; every job may run twice.
        runner.abort();
        cache_follower.abort();
        metrics_upkeep.abort();
        if let Some(l) = listener_task {
            l.abort();
        }
        task_db.close().await;
        served
    });
    Ok(Running {
        addr,
        setup_url: prepared
            .setup_token
            .map(|t| format!("{base_url}/setup?token={t}")),
        base_url,
        db,
        app,
        shutdown: Some(tx),
        task,
    })
}

/// Raises this process's limit of open files to the most it may have: every connection is a
/// file, and the usual soft limit of 1,024 would stop a busy server long before its memory or
/// CPU. Returns the limit now in force.
pub fn raise_open_file_limit() -> Option<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if let Err(e) = setrlimit(Resource::Nofile, raised) {
            tracing::warn!(error = %e, "cannot raise the open-file limit");
        }
    }
    getrlimit(Resource::Nofile).current
}

/// Ctrl-C and SIGTERM, registered when this is made rather than when first awaited: a signal
/// that arrives between the start-up line and the server task's first poll must stop the server
/// gracefully, not meet the default action, which kills the process.
fn termination_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async move {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(term) => {}
                () = wait(int) => {}
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
