//! Starting and stopping the web server.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use dateline_core::Clock;
use dateline_store::Db;
use dateline_web::{AppState, Theme, WebConfig};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use crate::{Fallible, bootstrap, config::Config};

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

/// Opens the database (preparing it on first start) and starts serving. With
/// `listen_for_signals`, Ctrl-C and SIGTERM stop the server gracefully.
pub async fn start(
    config: &Config,
    clock: Arc<dyn Clock>,
    listen_for_signals: bool,
) -> Fallible<Running> {
    std::fs::create_dir_all(config.media_dir()).map_err(|e| {
        format!(
            "cannot create the data folder {}: {e}",
            config.data_dir.display()
        )
    })?;
    let db = Db::connect(&config.database_url).await?;
    let prepared = bootstrap::prepare(&db, clock.now(), config.time_zone.as_deref()).await?;
    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
    let addr = listener.local_addr()?;
    let base_url = config
        .base_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let state = AppState::new(
        db.clone(),
        clock.clone(),
        Theme::new(config.theme_dir.clone()),
        WebConfig {
            base_url: base_url.clone(),
            media_dir: config.media_dir(),
            metrics_public: config.metrics_public,
        },
        prepared.ip_key,
    );
    let app = dateline_web::app(state);
    let (tx, rx) = oneshot::channel::<()>();
    let task_db = db.clone();
    let task = tokio::spawn(async move {
        let ticker = tokio::spawn(publish_due_articles(task_db.clone(), clock));
        let shutdown = async move {
            if listen_for_signals {
                tokio::select! {
                    _ = rx => {}
                    () = termination_signal() => tracing::info!("signal received; finishing requests in flight"),
                }
            } else {
                let _ = rx.await;
            }
        };
        let served = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        ticker.abort();
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
        shutdown: Some(tx),
        task,
    })
}

/// Keeps the status of scheduled articles honest once their time has come. (Readers see a due
/// article at its time whether or not this has run.)
async fn publish_due_articles(db: Db, clock: Arc<dyn Clock>) {
    let mut interval = tokio::time::interval(Duration::from_secs(30));
    loop {
        interval.tick().await;
        match db.publish_due(clock.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "scheduled articles published"),
            Err(e) => tracing::warn!(error = %e, "publishing scheduled articles failed"),
        }
    }
}

async fn termination_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
