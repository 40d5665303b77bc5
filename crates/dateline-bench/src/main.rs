//! `dateline-bench ADDRESS FILE`: answers every GET with the bytes of FILE, read once into
//! memory, as `text/html`. It is the ceiling for Dateline's stack (tokio, hyper through axum)
//! on the machine: `bench/run` serves the very bytes of Dateline's article page with it and
//! reports each page's requests per second as a share of what this server manages.

use std::process::ExitCode;

use axum::{Router, body::Bytes, http::header, routing::get};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [address, file] = args.as_slice() else {
        eprintln!("usage: dateline-bench ADDRESS FILE");
        return ExitCode::from(2);
    };
    let page = match std::fs::read(file) {
        Ok(bytes) => Bytes::from(bytes),
        Err(e) => {
            eprintln!("dateline-bench: cannot read {file}: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The same runtime as `dateline serve`: multi-threaded, one worker per core.
    let served = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .and_then(|runtime| runtime.block_on(serve(address, page)));
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dateline-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(address: &str, page: Bytes) -> std::io::Result<()> {
    let app = Router::new().fallback(get(move || {
        let page = page.clone();
        async move { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page) }
    }));
    let listener = tokio::net::TcpListener::bind(address).await?;
    axum::serve(listener, app).await
}
