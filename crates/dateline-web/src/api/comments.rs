//! `/articles/{id}/comments`: reader comments through the API.

use std::net::SocketAddr;

use axum::{
    Json,
    extract::{ConnectInfo, Path, State},
    http::{HeaderMap, StatusCode, header},
};
use dateline_app::comments;
use dateline_core::{
    actor::Actor,
    comments::{CommentForm, CommentStatus},
};
use serde::Serialize;

use super::MaybeStaff;
use crate::{
    AppState,
    error::ApiError,
    extract::{ApiJson, parse_id},
};

#[derive(Serialize)]
pub struct Created {
    id: i64,
    status: CommentStatus,
}

#[derive(Serialize)]
pub struct CommentJson {
    id: i64,
    parent_id: Option<i64>,
    author_name: String,
    body: String,
    body_html: String,
    created_at: String,
    /// Written by a member of staff.
    by_staff: bool,
}

#[derive(Serialize)]
pub struct CommentList {
    items: Vec<CommentJson>,
}

/// `POST /articles/{id}/comments`: anyone may comment; an editor may also set `created_at` and
/// `status`, to bring in comments from another system.
pub async fn create(
    State(state): State<AppState>,
    MaybeStaff(staff): MaybeStaff,
    Path(id): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(form): ApiJson<CommentForm>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = parse_id(&id)?;
    let actor = match staff {
        Some(user) => Actor::Staff(user),
        None => state.app().reader(
            state.client_ip(peer, &headers),
            headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok()),
        ),
    };
    let comment = comments::submit(state.app(), &actor, id, &form).await?;
    metrics::counter!("comments_posted_total").increment(1);
    Ok((
        StatusCode::CREATED,
        Json(Created {
            id: comment.id,
            status: comment.status,
        }),
    ))
}

/// `GET /articles/{id}/comments`: approved comments, oldest first.
pub async fn list(
    State(state): State<AppState>,
    MaybeStaff(staff): MaybeStaff,
    Path(id): Path<String>,
) -> Result<Json<CommentList>, ApiError> {
    let id = parse_id(&id)?;
    let article =
        dateline_app::articles::readable(state.app(), &MaybeStaff(staff).actor(), id).await?;
    let items = state
        .db()
        .approved_comments(article.id)
        .await?
        .into_iter()
        .map(|c| CommentJson {
            body_html: c.body_html(),
            id: c.id,
            parent_id: c.parent_id,
            author_name: c.author_name,
            body: c.body,
            created_at: c.created_at.to_string(),
            by_staff: c.by_staff,
        })
        .collect();
    Ok(Json(CommentList { items }))
}
