//! The moderation desk over JSON (editors and the owner): the queue by status with what the
//! intake recorded (e-mail, address hash, reasons), and the decisions. Every decision is an
//! event, so the activity log is the moderation log.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use dateline_app::comments::{self, Decision};
use dateline_core::{Error, comments::CommentStatus, permissions};
use dateline_store::ModerationItem;
use serde::{Deserialize, Serialize};

use super::Staff;
use crate::{
    AppState,
    error::ApiError,
    extract::{ApiJson, ApiQuery, KnownParams, parse_id},
};

/// A comment as moderators see it.
#[derive(Serialize)]
pub struct ModerationJson {
    id: i64,
    article_id: i64,
    article_title: String,
    parent_id: Option<i64>,
    author_name: String,
    author_email: Option<String>,
    ip_hash: Option<String>,
    body: String,
    body_html: String,
    status: CommentStatus,
    created_at: String,
    reasons: Vec<String>,
    edited_at: Option<String>,
    edit_note: Option<String>,
}

impl From<ModerationItem> for ModerationJson {
    fn from(m: ModerationItem) -> Self {
        let c = m.comment;
        ModerationJson {
            body_html: c.body_html(),
            id: c.id,
            article_id: c.article_id,
            article_title: m.article_title,
            parent_id: c.parent_id,
            author_name: c.author_name,
            author_email: m.author_email,
            ip_hash: m.ip_hash,
            body: c.body,
            status: c.status,
            created_at: c.created_at.to_string(),
            reasons: m.reasons,
            edited_at: m.edited.as_ref().map(|(t, _)| t.to_string()),
            edit_note: m.edited.map(|(_, n)| n),
        }
    }
}

/// Query of `GET /comments`.
#[derive(Deserialize)]
pub struct QueueQuery {
    status: Option<String>,
    #[serde(
        default,
        deserialize_with = "dateline_core::wire::optional_whole_number_text"
    )]
    article_id: Option<i64>,
    #[serde(
        default,
        deserialize_with = "dateline_core::wire::optional_whole_number_text"
    )]
    page: Option<i64>,
    #[serde(
        default,
        deserialize_with = "dateline_core::wire::optional_whole_number_text"
    )]
    per_page: Option<i64>,
}

impl KnownParams for QueueQuery {
    const NAMES: &'static [&'static str] = &["status", "article_id", "page", "per_page"];
}

/// `GET /comments?status=pending|approved|spam|trash&article_id=…`: the queue, newest first,
/// with the count of every status.
pub async fn queue(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    permissions::may_moderate(&staff.actor())?;
    let status = CommentStatus::parse("status", q.status.as_deref().unwrap_or("pending"))?;
    if q.article_id.is_some_and(|a| a < 1) {
        return Err(Error::invalid("article_id", "Use the id of an article.").into());
    }
    let (page, per_page) = crate::extract::paging(q.page, q.per_page)?;
    let (items, total) = state
        .db()
        .moderation_queue(status, q.article_id, per_page, (page - 1) * per_page)
        .await?;
    let mut counts = serde_json::Map::new();
    for s in [
        CommentStatus::Pending,
        CommentStatus::Approved,
        CommentStatus::Spam,
        CommentStatus::Trash,
    ] {
        counts.insert(s.as_str().to_owned(), 0.into());
    }
    for (s, n) in state.db().comment_counts().await? {
        counts.insert(s.as_str().to_owned(), n.into());
    }
    let items: Vec<ModerationJson> = items.into_iter().map(ModerationJson::from).collect();
    Ok(Json(serde_json::json!({
        "items": items,
        "page": page,
        "per_page": per_page,
        "total": total,
        "next_page": (page * per_page < total).then_some(page + 1),
        "counts": counts,
    })))
}

/// What the classifier has learned from, as `GET /comments/classifier` shows it.
#[derive(Serialize)]
pub struct ClassifierJson {
    spam_examples: i64,
    approved_examples: i64,
    /// Examples of each kind it needs before it holds or marks anything.
    needed: i64,
    ready: bool,
    /// The last activity-log event it has learned from.
    position: i64,
}

/// `GET /comments/classifier` (moderators): how many decisions the classifier has learned
/// from, and whether it speaks yet.
pub async fn classifier(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<ClassifierJson>, ApiError> {
    permissions::may_moderate(&staff.actor())?;
    let (examples, position) = comments::classifier::status(state.app()).await?;
    Ok(Json(ClassifierJson {
        spam_examples: examples.spam,
        approved_examples: examples.ham,
        needed: dateline_core::classifier::MIN_EXAMPLES,
        ready: examples.ready(),
        position,
    }))
}

async fn item(state: &AppState, id: i64) -> Result<Json<ModerationJson>, ApiError> {
    let m = state
        .db()
        .moderation_item(id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Json(m.into()))
}

/// `GET /comments/{id}`
pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Json<ModerationJson>, ApiError> {
    permissions::may_moderate(&staff.actor())?;
    item(&state, parse_id(&id)?).await
}

async fn decide(
    state: &AppState,
    staff: &Staff,
    id: &str,
    decision: Decision,
) -> Result<Json<ModerationJson>, ApiError> {
    let id = parse_id(id)?;
    comments::moderate(state.app(), &staff.actor(), id, decision).await?;
    item(state, id).await
}

/// `POST /comments/{id}/approve`
pub async fn approve(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Json<ModerationJson>, ApiError> {
    decide(&state, &staff, &id, Decision::Approve).await
}

/// `POST /comments/{id}/spam`
pub async fn spam(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Json<ModerationJson>, ApiError> {
    decide(&state, &staff, &id, Decision::Spam).await
}

/// `POST /comments/{id}/trash`
pub async fn trash(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Json<ModerationJson>, ApiError> {
    decide(&state, &staff, &id, Decision::Trash).await
}

/// `POST /comments/{id}/restore`: out of the spam or the trash, back to pending.
pub async fn restore(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Json<ModerationJson>, ApiError> {
    decide(&state, &staff, &id, Decision::Restore).await
}

/// Body of `PATCH /comments/{id}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditInput {
    body: String,
    #[serde(default)]
    note: Option<String>,
}

/// `PATCH /comments/{id}`: a moderator's change to the text, with a note of why.
pub async fn edit(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<EditInput>,
) -> Result<Json<ModerationJson>, ApiError> {
    let id = parse_id(&id)?;
    comments::edit(
        state.app(),
        &staff.actor(),
        id,
        &input.body,
        input.note.as_deref().unwrap_or(""),
    )
    .await?;
    item(&state, id).await
}

/// `DELETE /comments/{id}`: for good.
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    comments::delete(state.app(), &staff.actor(), parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of `POST /comments/{id}/block`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockInput {
    kind: String,
    #[serde(default)]
    until: Option<String>,
}

#[derive(Serialize)]
pub struct BlockJson {
    id: i64,
    kind: String,
    until: Option<String>,
    comment_id: Option<i64>,
    created_at: String,
}

/// `POST /comments/{id}/block`: blocks the comment's writer by e-mail address or address.
pub async fn block(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<BlockInput>,
) -> Result<(StatusCode, Json<BlockJson>), ApiError> {
    let id = parse_id(&id)?;
    let kind = comments::BlockKind::parse("kind", &input.kind)?;
    let until = input
        .until
        .as_deref()
        .map(|t| dateline_core::articles::parse_rfc3339("until", t))
        .transpose()?;
    let block_id = comments::block(state.app(), &staff.actor(), id, kind, until).await?;
    Ok((
        StatusCode::CREATED,
        Json(BlockJson {
            id: block_id,
            kind: kind.as_str().to_owned(),
            until: until.map(|t| t.to_string()),
            comment_id: Some(id),
            created_at: state.now().to_string(),
        }),
    ))
}

/// `GET /comments/blocks`: the blocks in force, newest first (never the hashes).
pub async fn blocks(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<serde_json::Value>, ApiError> {
    permissions::may_moderate(&staff.actor())?;
    let items: Vec<BlockJson> = state
        .db()
        .blocks(state.now())
        .await?
        .into_iter()
        .map(|b| BlockJson {
            id: b.id,
            kind: b.kind,
            until: b.until.map(|t| t.to_string()),
            comment_id: b.comment_id,
            created_at: b.created_at.to_string(),
        })
        .collect();
    Ok(Json(serde_json::json!({ "items": items })))
}

/// `DELETE /comments/blocks/{id}`: lifts a block.
pub async fn unblock(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    comments::unblock(state.app(), &staff.actor(), parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
