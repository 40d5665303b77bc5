//! The theme's static files and uploaded media.

use axum::{
    body::Body,
    extract::{Path, RawQuery, Request, State},
    http::header,
    response::{IntoResponse, Response},
};
use dateline_core::Error;
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::{AppState, SiteError};

/// `GET /static/{file}`: asked for with its current fingerprint (`?v=`, as pages link it), the
/// file is the same for good and may be kept a year; asked for without, it may change with the
/// next start, so it is kept five minutes.
pub async fn static_file(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, SiteError> {
    let (bytes, mime) = state.theme().static_file(&file).ok_or(Error::NotFound)?;
    let asked = query
        .as_deref()
        .and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "v"))
        .map(|(_, v)| v.into_owned());
    let lasting = asked.is_some() && asked.as_deref() == state.theme().fingerprint(&file);
    let cache = if lasting {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    Ok((
        [(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, cache)],
        Body::from(bytes.into_owned()),
    )
        .into_response())
}

/// `GET /favicon.ico`: browsers ask for it whatever the page says.
pub async fn favicon(state: State<AppState>) -> Result<Response, SiteError> {
    static_file(state, Path("favicon.svg".to_owned()), RawQuery(None)).await
}

/// `GET /media/{path}`: uploaded files; their names carry their checksum, so they never change
/// and may be cached for good.
pub async fn media(
    State(state): State<AppState>,
    Path(path): Path<String>,
    req: Request,
) -> Result<Response, SiteError> {
    let (mut parts, body) = req.into_parts();
    parts.uri = format!("/{path}").parse().map_err(|_| Error::NotFound)?;
    let req = Request::from_parts(parts, body);
    let mut response = ServeDir::new(&state.config().media_dir)
        .oneshot(req)
        .await
        .map_err(|e| Error::Internal(format!("serving media: {e}")))?
        .into_response();
    if response.status() == axum::http::StatusCode::NOT_FOUND {
        return Err(SiteError(Error::NotFound));
    }
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    Ok(response)
}
