//! One client cannot exhaust the server: slow and idle connections are closed after their
//! timeouts, connections over the limits are answered 503, and readers are served meanwhile.

use std::{net::SocketAddr, time::Duration};

use dateline_web::serve::Limits;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
    task::JoinSet,
    time::Instant,
};

use crate::support::{Backend, Options, TestApp};

fn addr(app: &TestApp) -> SocketAddr {
    app.base.strip_prefix("http://").unwrap().parse().unwrap()
}

/// A connection from `from` (any 127.x address: Linux routes the whole block to loopback).
async fn connect_from(from: [u8; 4], to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((from, 0))).unwrap();
    socket.connect(to).await.unwrap()
}

/// Waits until the server closes `stream` (a read that ends or fails), up to `limit`; returns
/// when, or `None` if it stayed open. Whatever the server sends before closing is read.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(started + limit, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

/// What the server answers first on `stream` after `request`.
async fn first_line(stream: &mut TcpStream, request: &str) -> String {
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
        .await
        .unwrap()
        .unwrap_or(0);
    String::from_utf8_lossy(&buf[..n])
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

const GET: &str = "GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_connections_are_closed_while_readers_are_served() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            limits: Some(Limits {
                header_timeout: Duration::from_secs(1),
                idle_timeout: Duration::from_secs(2),
                max_connections: 1000,
                max_per_address: 1000,
            }),
            ..Default::default()
        },
    )
    .await;
    let to = addr(&app);
    let mut attackers = JoinSet::new();
    // Fifty connections sending a request head a byte at a time, twenty sending nothing.
    for i in 0..70 {
        attackers.spawn(async move {
            let mut s = TcpStream::connect(to).await.unwrap();
            if i < 50 {
                let head = b"GET / HTTP/1.1\r\nHost: test\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
                for byte in head {
                    if s.write_all(&[*byte]).await.is_err() {
                        return Some(Duration::ZERO);
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    // Stop trickling once the server has hung up.
                    let mut probe = [0u8; 1];
                    if let Ok(Ok(0) | Err(_)) =
                        tokio::time::timeout(Duration::from_millis(1), s.read(&mut probe)).await
                    {
                        return Some(Duration::ZERO);
                    }
                }
                None
            } else {
                closed_within(&mut s, Duration::from_secs(10)).await
            }
        });
    }
    // A reader is served while they hold their connections.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (s, _) = app.get_text("/").await;
    assert_eq!(s, 200);
    let mut closed = 0;
    while let Some(r) = attackers.join_next().await {
        if r.unwrap().is_some() {
            closed += 1;
        }
    }
    assert_eq!(closed, 70, "every slow or silent connection was closed");

    // A kept-alive connection that goes quiet after a request is closed too.
    let mut kept = TcpStream::connect(to).await.unwrap();
    assert_eq!(first_line(&mut kept, GET).await, "HTTP/1.1 200 OK");
    assert!(
        closed_within(&mut kept, Duration::from_secs(10))
            .await
            .is_some()
    );

    // A body that stops arriving: the request head is complete, the body stalls.
    let mut stalled = TcpStream::connect(to).await.unwrap();
    stalled
        .write_all(b"POST /api/v1/articles/1/comments HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"author")
        .await
        .unwrap();
    assert!(
        closed_within(&mut stalled, Duration::from_secs(10))
            .await
            .is_some()
    );
    let (s, _) = app.get_text("/").await;
    assert_eq!(s, 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_limits_are_answered_503() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            limits: Some(Limits {
                header_timeout: Duration::from_secs(30),
                idle_timeout: Duration::from_secs(30),
                max_connections: 12,
                max_per_address: 10,
            }),
            ..Default::default()
        },
    )
    .await;
    let to = addr(&app);
    let mut held = Vec::new();
    for _ in 0..10 {
        held.push(connect_from([127, 0, 0, 1], to).await);
    }
    // The server counts a connection once it accepts it; let it catch up.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut eleventh = connect_from([127, 0, 0, 1], to).await;
    let line = first_line(&mut eleventh, GET).await;
    assert_eq!(line, "HTTP/1.1 503 Service Unavailable", "per-address cap");
    // Another address still gets in, up to the total.
    for _ in 0..2 {
        let mut other = connect_from([127, 0, 0, 2], to).await;
        assert_eq!(first_line(&mut other, GET).await, "HTTP/1.1 200 OK");
        held.push(other);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut third = connect_from([127, 0, 0, 3], to).await;
    assert_eq!(
        first_line(&mut third, GET).await,
        "HTTP/1.1 503 Service Unavailable",
        "total cap"
    );
    // Places come back when connections close.
    held.clear();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut again = connect_from([127, 0, 0, 1], to).await;
    assert_eq!(first_line(&mut again, GET).await, "HTTP/1.1 200 OK");
    app.stop().await;
}
