//! The moderation desk (editors and the owner): the queue in tabs (pending, approved, spam,
//! trash) with their counts; each comment with its article, the commenter's name, e-mail,
//! address hash and history, its time, text and the intake's reasons; decisions one at a time
//! or in bulk, edits with a note, deletion for good. Every decision is a comment action, so the
//! activity log keeps it.

use axum::{
    extract::{Path, RawQuery, State},
    response::{IntoResponse, Redirect, Response},
};
use dateline_app::{
    auth::SignedIn,
    comments::{self, Decision},
};
use dateline_core::{Error, comments::CommentStatus, permissions};
use serde::{Deserialize, Serialize};

use super::{
    pages::Frame,
    session::{Admin, check_csrf},
};
use crate::{
    AppState, SiteError,
    extract::{FormField, SiteForm, parse_id},
    site::{
        render,
        views::{exact_time, iso},
    },
};

/// Comments on one page of a tab.
const PER_PAGE: i64 = 25;

#[derive(Serialize)]
struct Tab {
    status: &'static str,
    label: &'static str,
    count: i64,
    current: bool,
}

#[derive(Serialize)]
struct Row {
    id: i64,
    article_id: i64,
    article_title: String,
    author_name: String,
    author_email: Option<String>,
    ip_hash: Option<String>,
    approved_before: i64,
    spam_before: i64,
    when: String,
    when_iso: String,
    body: String,
    body_html: String,
    reasons: Vec<String>,
    edit_note: Option<String>,
}

#[derive(Serialize)]
struct DeskPage {
    frame: Frame,
    tabs: Vec<Tab>,
    status: &'static str,
    rows: Vec<Row>,
    page: i64,
    pages: i64,
    newer_url: Option<String>,
    older_url: Option<String>,
    blocks: Vec<BlockRow>,
    /// What the classifier has learned, in a sentence.
    classifier: String,
}

#[derive(Serialize)]
struct BlockRow {
    id: i64,
    kind: String,
    until: Option<String>,
    made: String,
}

fn status_of(query: Option<&str>) -> (CommentStatus, i64) {
    let get = |k: &str| super::query_value(query, k);
    let status = get("status")
        .and_then(|s| CommentStatus::parse("status", &s).ok())
        .unwrap_or(CommentStatus::Pending);
    let page = get("page")
        .and_then(|p| p.parse().ok())
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1);
    (status, page)
}

async fn desk(state: &AppState, me: &SignedIn, query: Option<&str>) -> Result<Response, SiteError> {
    permissions::may_moderate(&me.actor())?;
    let frame = Frame::new(state, me, "comments", query).await?;
    let tz = frame.site.tz();
    let (status, page) = status_of(query);
    let counts = state.db().comment_counts().await?;
    let count = |s: CommentStatus| counts.iter().find(|(c, _)| *c == s).map_or(0, |(_, n)| *n);
    let tabs = [
        (CommentStatus::Pending, "Pending"),
        (CommentStatus::Approved, "Approved"),
        (CommentStatus::Spam, "Spam"),
        (CommentStatus::Trash, "Trash"),
    ]
    .into_iter()
    .map(|(s, label)| Tab {
        status: s.as_str(),
        label,
        count: count(s),
        current: s == status,
    })
    .collect();
    let (items, total) = state
        .db()
        .moderation_queue(status, None, PER_PAGE, (page - 1) * PER_PAGE)
        .await?;
    let mut rows = Vec::with_capacity(items.len());
    for m in items {
        let (approved_before, spam_before) = match &m.author_email {
            Some(e) => {
                state
                    .db()
                    .commenter_history(&state.app().email_hash(e))
                    .await?
            }
            None => (0, 0),
        };
        let c = m.comment;
        rows.push(Row {
            body_html: c.body_html(),
            id: c.id,
            article_id: c.article_id,
            article_title: m.article_title,
            author_name: c.author_name,
            author_email: m.author_email,
            ip_hash: m.ip_hash.map(|h| h.chars().take(12).collect()),
            approved_before,
            spam_before,
            when: exact_time(c.created_at, &tz),
            when_iso: iso(c.created_at),
            body: c.body,
            reasons: m.reasons,
            edit_note: m.edited.map(|(_, note)| note),
        });
    }
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let url_of = |p: i64| format!("/admin/comments?status={}&page={p}", status.as_str());
    let blocks = state
        .db()
        .blocks(state.now())
        .await?
        .into_iter()
        .map(|b| BlockRow {
            id: b.id,
            kind: if b.kind == "email" {
                "E-mail address".to_owned()
            } else {
                "Address".to_owned()
            },
            until: b.until.map(|t| exact_time(t, &tz)),
            made: exact_time(b.created_at, &tz),
        })
        .collect();
    let view = DeskPage {
        classifier: super::settings::classifier_sentence(state).await?,
        blocks,
        frame,
        tabs,
        status: status.as_str(),
        rows,
        page,
        pages,
        newer_url: (page > 1).then(|| url_of(page - 1)),
        older_url: (page < pages).then(|| url_of(page + 1)),
    };
    Ok(render(state, "admin/comments.html", view)?.into_response())
}

/// `GET /admin/comments?status=…`
pub async fn queue(
    State(state): State<AppState>,
    Admin(me): Admin,
    RawQuery(query): RawQuery,
) -> Result<Response, SiteError> {
    desk(&state, &me, query.as_deref()).await
}

/// The desk's decision form: one comment (its button) or several (the boxes ticked).
#[derive(Debug, Default)]
struct DecisionFields {
    csrf: String,
    decision: String,
    /// The tab to go back to.
    status: String,
    ids: Vec<String>,
}

/// `POST /admin/comments/decide`: approve, spam, trash, restore or delete for good every
/// comment named.
pub async fn decide(
    State(state): State<AppState>,
    Admin(me): Admin,
    axum::extract::RawForm(raw): axum::extract::RawForm,
) -> Result<Response, SiteError> {
    // Repeated `ids` fields (the ticked boxes) are read by hand: the site's form extractor
    // takes one value per name.
    let mut f = DecisionFields::default();
    for (k, v) in form_urlencoded::parse(&raw) {
        match k.as_ref() {
            "csrf" => f.csrf = v.into_owned(),
            "decision" => f.decision = v.into_owned(),
            "status" => f.status = v.into_owned(),
            "ids" => f.ids.push(v.into_owned()),
            _ => {}
        }
    }
    check_csrf(&me, &f.csrf)?;
    if f.ids.is_empty() {
        return Err(Error::invalid("ids", "Tick at least one comment.").into());
    }
    let actor = me.actor();
    let mut done = 0;
    for id in &f.ids {
        let id = parse_id(id)?;
        if f.decision == "delete" {
            comments::delete(state.app(), &actor, id).await?;
        } else {
            comments::moderate(
                state.app(),
                &actor,
                id,
                Decision::parse("decision", &f.decision)?,
            )
            .await?;
        }
        done += 1;
    }
    let tab = CommentStatus::parse("status", &f.status).unwrap_or(CommentStatus::Pending);
    Ok(Redirect::to(&format!(
        "/admin/comments?status={}&done=moderated&n={done}",
        tab.as_str()
    ))
    .into_response())
}

/// The desk's edit form.
#[derive(Debug, Default, Deserialize)]
pub struct EditFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    status: String,
}

impl FormField for EditFields {
    const MAIN_FIELD: &'static str = "body";
}

/// `POST /admin/comments/{id}/edit`: a new text, with a note of why.
pub async fn edit(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<String>,
    SiteForm(f): SiteForm<EditFields>,
) -> Result<Response, SiteError> {
    check_csrf(&me, &f.csrf)?;
    let id = parse_id(&id)?;
    comments::edit(state.app(), &me.actor(), id, &f.body, &f.note).await?;
    let tab = CommentStatus::parse("status", &f.status).unwrap_or(CommentStatus::Pending);
    Ok(Redirect::to(&format!(
        "/admin/comments?status={}&done=saved#comment-{id}",
        tab.as_str()
    ))
    .into_response())
}

/// `POST /admin/comments/{id}/reply`: a reply from the desk, under the moderator's own name,
/// marked as staff on the page. Answering a comment that waits approves it first, so that the
/// reply is not left answering nothing (as WordPress's "Approve and reply").
pub async fn reply(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<String>,
    SiteForm(f): SiteForm<EditFields>,
) -> Result<Response, SiteError> {
    check_csrf(&me, &f.csrf)?;
    let id = parse_id(&id)?;
    let actor = me.actor();
    let parent = state.db().comment_by_id(id).await?.ok_or(Error::NotFound)?;
    permissions::may_moderate(&actor)?;
    if parent.status == CommentStatus::Pending {
        comments::moderate(state.app(), &actor, id, comments::Decision::Approve).await?;
    }
    let form = dateline_core::comments::CommentForm {
        author_name: me.user.name.clone(),
        body: f.body,
        parent_id: Some(id),
        ..Default::default()
    };
    let reply = comments::submit(state.app(), &actor, parent.article_id, &form).await?;
    let tab = CommentStatus::parse("status", &f.status).unwrap_or(CommentStatus::Pending);
    Ok(Redirect::to(&format!(
        "/admin/comments?status={}&done=replied&reply={}#comment-{id}",
        tab.as_str(),
        reply.id
    ))
    .into_response())
}

/// The desk's block form.
#[derive(Debug, Default, Deserialize)]
pub struct BlockFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    status: String,
}

impl FormField for BlockFields {
    const MAIN_FIELD: &'static str = "kind";
}

/// `POST /admin/comments/{id}/block`: blocks the writer by e-mail address or address, for good.
pub async fn block(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<String>,
    SiteForm(f): SiteForm<BlockFields>,
) -> Result<Response, SiteError> {
    check_csrf(&me, &f.csrf)?;
    let kind = comments::BlockKind::parse("kind", &f.kind)?;
    comments::block(state.app(), &me.actor(), parse_id(&id)?, kind, None).await?;
    let tab = CommentStatus::parse("status", &f.status).unwrap_or(CommentStatus::Pending);
    Ok(Redirect::to(&format!(
        "/admin/comments?status={}&done=blocked",
        tab.as_str()
    ))
    .into_response())
}

/// The desk's form that lifts a block.
#[derive(Debug, Default, Deserialize)]
pub struct LiftFields {
    #[serde(default)]
    csrf: String,
}

impl FormField for LiftFields {
    const MAIN_FIELD: &'static str = "csrf";
}

/// `POST /admin/comments/blocks/{id}/lift`
pub async fn lift(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<String>,
    SiteForm(f): SiteForm<LiftFields>,
) -> Result<Response, SiteError> {
    check_csrf(&me, &f.csrf)?;
    comments::unblock(state.app(), &me.actor(), parse_id(&id)?).await?;
    Ok(Redirect::to("/admin/comments?done=unblocked#blocks").into_response())
}
