//! Serving connections: HTTP/1.1 over TCP with the limits that keep one client from exhausting
//! the server. A connection must send each request head within the header timeout (counted
//! from its opening, or from the end of the previous response when it is kept alive, so this
//! also closes idle kept-alive connections); a connection on which nothing moves either way for
//! the idle timeout is closed (a stalled upload, a reader that stopped reading); and at most
//! `max_connections` are open at once, `max_per_address` from one address, beyond which a new
//! connection is answered 503 and closed rather than left waiting.

use std::{
    collections::HashMap,
    future::Future,
    io,
    net::{IpAddr, SocketAddr},
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Duration,
};

use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{
    io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::watch,
    task::JoinSet,
    time::{Instant, Sleep},
};
use tower::Service;

use crate::Site;

/// Connection limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Time allowed for a request head to arrive.
    pub header_timeout: Duration,
    /// Time a connection may stay open with nothing moving.
    pub idle_timeout: Duration,
    /// Connections open at once, in all.
    pub max_connections: usize,
    /// Connections open at once from one address (0: no cap).
    pub max_per_address: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 4096,
            max_per_address: 256,
        }
    }
}

/// Serves `site` on `listener` until `shutdown` resolves, then stops accepting, lets requests
/// in flight finish, and returns once every connection has closed.
pub async fn serve(
    listener: TcpListener,
    site: Site,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let open = Arc::new(OpenConnections::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors or a connection reset before accept: wait a
                        // moment rather than spin, and go on serving the connections we have.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let Some(slot) = open.claim(peer.ip(), &limits) else {
                    metrics::counter!("http_connections_refused_total").increment(1);
                    connections.spawn(refuse(stream));
                    continue;
                };
                let site = site.clone();
                let limits = limits.clone();
                let stop = stop_rx.clone();
                connections.spawn(async move {
                    serve_connection(stream, peer, site, &limits, stop).await;
                    drop(slot);
                });
            }
            // Reap finished connection tasks as they end, so the set does not grow.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    while connections.join_next().await.is_some() {}
    Ok(())
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    site: Site,
    limits: &Limits,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let io = TokioIo::new(IdleTimeout::new(stream, limits.idle_timeout));
    let service =
        hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            // `Site` is always ready: no `poll_ready` first.
            site.clone().call(req)
        });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true)
        .serve_connection(io, service)
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, %peer, "connection ended");
            }
        }
        () = stopping(&mut stop) => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Resolves once the server is stopping.
async fn stopping(stop: &mut watch::Receiver<bool>) {
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        if stop.changed().await.is_err() {
            return;
        }
    }
}

/// Answers a connection over the limits with 503 and closes it.
async fn refuse(mut stream: TcpStream) {
    const BODY: &str = "The server is busy. Please try again in a moment.\n";
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Retry-After: 2\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// Counts of open connections, in all and per address.
#[derive(Default)]
struct OpenConnections {
    inner: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

impl OpenConnections {
    /// A slot for a new connection from `ip`, if the limits allow one.
    fn claim(self: &Arc<Self>, ip: IpAddr, limits: &Limits) -> Option<Slot> {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (total, per) = &mut *guard;
        let mine = per.get(&ip).copied().unwrap_or(0);
        if *total >= limits.max_connections
            || (limits.max_per_address > 0 && mine >= limits.max_per_address)
        {
            return None;
        }
        *total += 1;
        per.insert(ip, mine + 1);
        metrics::gauge!("http_connections_open").set(*total as f64);
        Some(Slot {
            open: self.clone(),
            ip,
        })
    }
}

/// One open connection; gives its place back when dropped.
struct Slot {
    open: Arc<OpenConnections>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut guard = self.open.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (total, per) = &mut *guard;
        *total = total.saturating_sub(1);
        if let Some(n) = per.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                per.remove(&self.ip);
            }
        }
        metrics::gauge!("http_connections_open").set(*total as f64);
    }
}

/// A stream that fails with `TimedOut` once nothing has been read or written for `limit`.
///
/// Each read or write only notes the time; the timer is moved when it fires and finds the
/// connection was used meanwhile. Moving a timer on every read and write cost a busy server
/// about 1% of its time.
struct IdleTimeout<S> {
    inner: S,
    limit: Duration,
    last_moved: Instant,
    deadline: Pin<Box<Sleep>>,
}

impl<S> IdleTimeout<S> {
    fn new(inner: S, limit: Duration) -> Self {
        IdleTimeout {
            inner,
            limit,
            last_moved: Instant::now(),
            deadline: Box::pin(tokio::time::sleep(limit)),
        }
    }

    fn moved(&mut self) {
        self.last_moved = Instant::now();
    }

    /// When the inner stream is not ready: ready with an error if the connection has been idle
    /// for the whole limit.
    fn check(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        loop {
            if self.deadline.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            let idle_until = self.last_moved + self.limit;
            if idle_until <= Instant::now() {
                return Poll::Ready(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "connection idle for too long",
                ));
            }
            // Used since the timer was set: wait for the rest of the limit from its last use.
            self.deadline.as_mut().reset(idle_until);
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for IdleTimeout<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    self.moved();
                }
                Poll::Ready(r)
            }
            Poll::Pending => self.check(cx).map(Err),
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Ready(r) => {
                if r.as_ref().is_ok_and(|n| *n > 0) {
                    self.moved();
                }
                Poll::Ready(r)
            }
            Poll::Pending => self.check(cx).map(Err),
        }
    }

    // Forwarded so that hyper sends a kept page's pieces as they are, in one `writev`: without
    // it, hyper copies every body into its own buffer first (10% of a busy server's time).
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(r) => {
                if r.as_ref().is_ok_and(|n| *n > 0) {
                    self.moved();
                }
                Poll::Ready(r)
            }
            Poll::Pending => self.check(cx).map(Err),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
