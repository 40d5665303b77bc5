//! The dashboard, and what every admin page's layout needs.

use axum::{
    extract::{RawQuery, State},
    response::{Html, IntoResponse, Response},
};
use dateline_app::{activity, auth::SignedIn};
use dateline_core::{
    articles::{Article, ArticleStatus},
    permissions,
    settings::SiteSettings,
};
use dateline_store::{ArticleFilter, EventFilter};
use serde::Serialize;

use super::session::Admin;
use crate::{
    AppState, SiteError,
    site::views::{exact_time, iso},
};

/// The signed-in member, as the layout shows them.
#[derive(Serialize)]
pub(super) struct Me {
    id: i64,
    name: String,
    role: &'static str,
    is_owner: bool,
    is_editor: bool,
}

/// What every admin page's layout needs.
#[derive(Serialize)]
pub(super) struct Frame {
    pub(super) site: SiteSettings,
    me: Me,
    /// The token every form of this session carries.
    csrf: String,
    /// Which section of the navigation is current.
    section: &'static str,
    /// A confirmation to show at the top ("Saved.").
    notice: Option<String>,
}

impl Frame {
    pub(super) async fn new(
        state: &AppState,
        signed_in: &SignedIn,
        section: &'static str,
        query: Option<&str>,
    ) -> Result<Self, SiteError> {
        let user = &signed_in.user;
        Ok(Frame {
            site: state.db().site_settings().await?,
            me: Me {
                id: user.id,
                name: user.name.clone(),
                role: user.role.as_str(),
                is_owner: user.role == dateline_core::users::Role::Owner,
                is_editor: user.role.can_edit_others(),
            },
            csrf: signed_in.session.csrf_token.clone(),
            section,
            notice: query.and_then(notice),
        })
    }
}

/// The confirmation a redirect after a change asks for (`?done=saved`); only known words,
/// so nothing a link carries is shown.
fn notice(query: &str) -> Option<String> {
    let done = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "done")
        .map(|(_, v)| v.into_owned())?;
    let text = match done.as_str() {
        "saved" => "Saved.",
        "password" => "Your password has been changed. Your other sessions have ended.",
        "session-ended" => "That session has ended.",
        "token-revoked" => "The token has been revoked.",
        "role" => "The role has been changed.",
        "deactivated" => {
            "The account has been deactivated; its sessions and tokens no longer work."
        }
        "reactivated" => "The account is active again.",
        "published" => "Published.",
        "scheduled" => "Scheduled: it will be published at its time.",
        "unpublished" => "Unpublished: readers no longer see it.",
        "review" => "Saved and sent to the editors for review.",
        "trashed" => "Moved to the trash. It can be restored from there.",
        "restored" => "Restored.",
        "corrected" => "The note has been added to the article.",
        "placed" => "The front page has been changed.",
        "uploaded" => "Uploaded.",
        "deleted" => "Deleted.",
        "moderated" => "Done.",
        "blocked" => "Blocked: their comments will be stored as spam.",
        "unblocked" => "The block is lifted.",
        "replied" => "Your reply is published, marked as from the staff.",
        _ => return None,
    };
    Some(text.to_owned())
}

/// An article in a dashboard list.
#[derive(Serialize)]
struct Row {
    id: i64,
    title: String,
    author: String,
    when: String,
    iso: String,
}

#[derive(Serialize)]
struct ActivityRow {
    kind: &'static str,
    when: String,
    iso: String,
    summary: String,
}

#[derive(Serialize)]
struct Dashboard {
    frame: Frame,
    drafts: Vec<Row>,
    for_review: Vec<Row>,
    scheduled: Vec<Row>,
    published: Vec<Row>,
    activity: Vec<ActivityRow>,
}

/// `GET /admin`: drafts in progress, articles waiting for review, scheduled articles with
/// their times, the latest published, and the latest activity.
pub async fn dashboard(
    State(state): State<AppState>,
    Admin(me): Admin,
    RawQuery(query): RawQuery,
) -> Result<Response, SiteError> {
    let frame = Frame::new(&state, &me, "dashboard", query.as_deref()).await?;
    let tz = frame.site.tz();
    let actor = me.actor();
    let now = state.now();
    let scope = || dateline_app::articles::scope_for(&actor, now);
    let rows = |articles: Vec<Article>, time: fn(&Article) -> jiff::Timestamp| {
        articles
            .into_iter()
            .map(|a| Row {
                when: exact_time(time(&a), &tz),
                iso: iso(time(&a)),
                id: a.id,
                title: a.title,
                author: a.author.name,
            })
            .collect::<Vec<_>>()
    };
    let (drafts, _) = state
        .db()
        .list_articles(&scope().with_status(ArticleStatus::Draft), 10, 0)
        .await?;
    let (for_review, _) = state
        .db()
        .list_articles(&scope().for_review(), 10, 0)
        .await?;
    let (scheduled, _) = state
        .db()
        .list_articles(&scope().with_status(ArticleStatus::Scheduled), 10, 0)
        .await?;
    let (published, _) = state
        .db()
        .list_articles(&ArticleFilter::readers(now), 10, 0)
        .await?;
    let activity = if permissions::may_read_activity(&actor).is_ok() {
        activity::page(state.app(), &actor, &EventFilter::default(), 10)
            .await?
            .0
            .into_iter()
            .map(|e| ActivityRow {
                kind: e.kind.as_str(),
                when: exact_time(e.created_at, &tz),
                iso: iso(e.created_at),
                summary: e
                    .payload
                    .get("title")
                    .or_else(|| e.payload.get("name"))
                    .or_else(|| e.payload.get("key"))
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let view = Dashboard {
        frame,
        drafts: rows(drafts, |a| a.updated_at),
        for_review: rows(for_review, |a| a.updated_at),
        scheduled: rows(scheduled, |a| a.published_at.unwrap_or(a.updated_at)),
        published: rows(published, |a| a.published_at.unwrap_or(a.updated_at)),
        activity,
    };
    Ok(Html(state.theme().render("admin/dashboard.html", view)?).into_response())
}
