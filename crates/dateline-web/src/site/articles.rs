//! The article page and the comment form under it.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, Path, RawQuery, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use dateline_app::comments;
use dateline_core::{
    Error,
    age::age_in_words,
    articles::Article,
    comments::{Comment, CommentForm},
    settings::SiteSettings,
};
use dateline_store::ArticleLookup;
use serde::{Deserialize, Serialize};

use super::{
    render,
    views::{ArticleView, exact_time_in, iso},
};
use crate::{
    AppState, SiteError,
    extract::{FormField, SiteForm, parse_id},
};

/// Replies nest inside their parent's thread down to this depth; deeper ones are shown at the
/// last level, naming whom they answer.
pub const THREAD_DEPTH: usize = 4;

/// A comment as the page shows it, with the replies shown inside its thread.
#[derive(Serialize)]
struct CommentView {
    id: i64,
    author_name: String,
    age: String,
    date_iso: String,
    exact: String,
    body_html: String,
    /// Whom it answers, named when it is shown flat below a thread's last level.
    in_reply_to: Option<String>,
    /// Held for a moderator: shown only to the reader who wrote it.
    pending: bool,
    replies: Vec<CommentView>,
}

/// The cookie that names a reader's comments awaiting moderation, so that they, and nobody
/// else, see them: `ID.ID.ID~signature`.
const PENDING_COOKIE: &str = "dateline_pending";
/// How many held comments the cookie remembers (the newest).
const PENDING_REMEMBERED: usize = 20;

/// The ids of held comments the reader's cookie names, if its signature is ours.
fn pending_ids(state: &AppState, headers: &HeaderMap) -> Vec<i64> {
    let Some(value) = crate::admin::session::cookie(headers, PENDING_COOKIE) else {
        return Vec::new();
    };
    let Some((ids, signature)) = value.split_once('~') else {
        return Vec::new();
    };
    if !dateline_core::secrets::constant_time_eq(&state.app().sign(PENDING_COOKIE, ids), signature)
    {
        return Vec::new();
    }
    ids.split('.').filter_map(|id| id.parse().ok()).collect()
}

/// The cookie after a reader's comment `id` was held: the ones it named, and this one.
fn pending_cookie(state: &AppState, headers: &HeaderMap, id: i64) -> header::HeaderValue {
    let mut ids = pending_ids(state, headers);
    ids.push(id);
    let keep = ids.len().saturating_sub(PENDING_REMEMBERED);
    let ids: Vec<String> = ids[keep..].iter().map(i64::to_string).collect();
    let ids = ids.join(".");
    let value = format!("{ids}~{}", state.app().sign(PENDING_COOKIE, &ids));
    crate::admin::session::set_cookie(state, PENDING_COOKIE, &value, 30 * 24 * 3600)
}

/// Arranges comments (oldest first) into threads: each reply inside its parent's, down to
/// `depth` levels; a reply to a comment at the last level joins that level, after its parent,
/// and names whom it answers. A reply whose parent is not shown (held, or removed) starts its
/// own thread.
fn threads(comments: Vec<(Comment, CommentView)>, depth: usize) -> Vec<CommentView> {
    use std::collections::HashMap;
    let shown: HashMap<i64, String> = comments
        .iter()
        .map(|(c, _)| (c.id, c.author_name.clone()))
        .collect();
    let mut children: HashMap<Option<i64>, Vec<(Comment, CommentView)>> = HashMap::new();
    for (c, v) in comments {
        let parent = c.parent_id.filter(|p| shown.contains_key(p));
        children.entry(parent).or_default().push((c, v));
    }
    fn build(
        parent: Option<i64>,
        level: usize,
        depth: usize,
        children: &mut HashMap<Option<i64>, Vec<(Comment, CommentView)>>,
        shown: &HashMap<i64, String>,
    ) -> Vec<CommentView> {
        let mut out = Vec::new();
        for (c, mut v) in children.remove(&parent).unwrap_or_default() {
            if level + 1 < depth {
                v.replies = build(Some(c.id), level + 1, depth, children, shown);
                out.push(v);
            } else {
                // The last level: this comment, then every reply below it, flat and in order.
                let id = c.id;
                out.push(v);
                let mut flat = build(Some(id), level, depth, children, shown);
                for r in &mut flat {
                    if r.in_reply_to.is_none() {
                        r.in_reply_to = shown.get(&id).cloned();
                    }
                }
                out.extend(flat);
            }
        }
        out
    }
    build(None, 0, depth.max(1), &mut children, &shown)
}

impl FormField for CommentFields {
    const MAIN_FIELD: &'static str = "body";
}

/// What the reader typed into the comment form, shown again when it needs correcting.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct CommentFields {
    #[serde(default)]
    author_name: String,
    #[serde(default)]
    author_email: String,
    #[serde(default)]
    body: String,
    /// The comment answered ("" for none).
    #[serde(default)]
    parent_id: String,
    /// The field people never see and leave empty; never shown again.
    #[serde(default, skip_serializing)]
    website: String,
}

#[derive(Serialize)]
struct FormView {
    action: String,
    values: CommentFields,
    error: Option<String>,
    error_field: Option<String>,
    /// The name of the commenter being answered, when the form is a reply.
    replying_to: Option<String>,
}

#[derive(Serialize)]
struct ArticlePage {
    site: SiteSettings,
    canonical: String,
    article: ArticleView,
    comments: Vec<CommentView>,
    form: FormView,
}

type ArticlePath = Path<(String, String, String, String)>;

/// Finds the visible article for a path; a path with a stale date (the article's time or the
/// site's time zone changed) or an old slug is answered with 301 to the current one.
async fn find(
    state: &AppState,
    (year, month, day, slug): &(String, String, String, String),
) -> Result<Result<(Article, SiteSettings), Response>, SiteError> {
    let settings = state.db().site_settings().await?;
    let now = state.now();
    let article = match state.db().article_for_reader(slug, now).await? {
        ArticleLookup::Found(a) => *a,
        ArticleLookup::Gone => return Err(SiteError(Error::Gone)),
        // An address the article had before its slug changed.
        ArticleLookup::Missing => match state.db().moved_article(slug, now).await? {
            Some(a) => a,
            None => return Err(SiteError(Error::NotFound)),
        },
    };
    let canonical = article.path(&settings.tz()).unwrap_or_default();
    if canonical != format!("/{year}/{month}/{day}/{slug}/") {
        return Ok(Err((
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, canonical)],
        )
            .into_response()));
    }
    Ok(Ok((article, settings)))
}

async fn page(
    state: &AppState,
    article: Article,
    settings: SiteSettings,
    mut values: CommentFields,
    error: Option<Error>,
    pending: &[i64],
) -> Result<Response, SiteError> {
    let tz = settings.tz();
    let now = state.now();
    let mut approved = state.db().approved_comments(article.id).await?;
    // The reader's own comments awaiting moderation, shown to them alone.
    let mut own_pending = Vec::new();
    for id in pending {
        if let Some(c) = state.db().comment_by_id(*id).await?
            && c.article_id == article.id
            && c.status == dateline_core::comments::CommentStatus::Pending
        {
            own_pending.push(c.id);
            approved.push(c);
        }
    }
    approved.sort_by_key(|c| (c.created_at, c.id));
    // The form answers a comment when the reader followed its Reply link (or sent a reply that
    // needs correcting); an id that names no comment shown here is ignored.
    let replying_to = values
        .parent_id
        .parse::<i64>()
        .ok()
        .and_then(|id| approved.iter().find(|c| c.id == id))
        .map(|c| c.author_name.clone());
    if replying_to.is_none() {
        values.parent_id.clear();
    }
    let comments = threads(
        approved
            .into_iter()
            .map(|c: Comment| {
                let view = CommentView {
                    id: c.id,
                    body_html: c.body_html(),
                    age: age_in_words(now, c.created_at, &tz),
                    date_iso: iso(c.created_at),
                    exact: exact_time_in(c.created_at, &tz, settings.date_format),
                    author_name: c.author_name.clone(),
                    in_reply_to: None,
                    pending: own_pending.contains(&c.id),
                    replies: Vec::new(),
                };
                (c, view)
            })
            .collect(),
        THREAD_DEPTH,
    );
    let view = ArticleView::new(article, &settings);
    let mut retry_after = None;
    let (status, error, error_field) = match error {
        None => (StatusCode::OK, None, None),
        Some(Error::Invalid { field, reason }) => {
            (StatusCode::UNPROCESSABLE_ENTITY, Some(reason), Some(field))
        }
        // Over the rate limit: the page again, with what was typed and when to send it.
        Some(e @ Error::TooManyRequests { retry_after_secs }) => {
            retry_after = Some(retry_after_secs);
            (
                StatusCode::TOO_MANY_REQUESTS,
                Some(crate::error::public_message(&e)),
                Some("body".to_owned()),
            )
        }
        Some(other) => return Err(SiteError(other)),
    };
    let page = ArticlePage {
        site: settings,
        canonical: state.absolute(&view.url),
        form: FormView {
            action: format!("/articles/{}/comments", view.id),
            values,
            error,
            error_field,
            replying_to,
        },
        article: view,
        comments,
    };
    let mut response = (status, render(state, "site/articles/show.html", page)?).into_response();
    if let Some(secs) = retry_after
        && let Ok(v) = header::HeaderValue::from_str(&secs.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    if !own_pending.is_empty() {
        // This page shows what only this reader may see: no cache may keep it for others.
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("private, no-store"),
        );
    }
    Ok(response)
}

/// `GET /{year}/{month}/{day}/{slug}/`; `?reply_to=ID` sets the form to answer that comment
/// (the Reply link under each, which works without JavaScript).
pub async fn show(
    State(state): State<AppState>,
    Path(path): ArticlePath,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, SiteError> {
    let reply_to = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "reply_to")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    match find(&state, &path).await? {
        Ok((article, settings)) => {
            let values = CommentFields {
                parent_id: reply_to,
                ..Default::default()
            };
            let pending = pending_ids(&state, &headers);
            page(&state, article, settings, values, None, &pending).await
        }
        Err(redirect) => Ok(redirect),
    }
}

/// `POST /articles/{id}/comments`: the comment form's address, which does not change when the
/// article's dated address does (a new slug, or a new site time zone). Stores the comment and
/// sends the reader to it; on a mistake shows the page again with what was typed and what to
/// correct.
pub async fn post_comment(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    SiteForm(fields): SiteForm<CommentFields>,
) -> Result<Response, SiteError> {
    let id = parse_id(&id)?;
    let article = state
        .db()
        .visible_article_by_id(id, state.now())
        .await?
        .ok_or(Error::NotFound)?;
    submit(&state, article, peer, &headers, fields).await
}

/// `POST /{year}/{month}/{day}/{slug}/comments`: where forms rendered before the stable address
/// existed still post. The comment is stored even if the date in the address is stale.
pub async fn post_comment_dated(
    State(state): State<AppState>,
    Path((_, _, _, slug)): ArticlePath,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    SiteForm(fields): SiteForm<CommentFields>,
) -> Result<Response, SiteError> {
    let article = match state.db().article_for_reader(&slug, state.now()).await? {
        ArticleLookup::Found(a) => *a,
        ArticleLookup::Gone => return Err(SiteError(Error::Gone)),
        ArticleLookup::Missing => return Err(SiteError(Error::NotFound)),
    };
    submit(&state, article, peer, &headers, fields).await
}

async fn submit(
    state: &AppState,
    article: Article,
    peer: SocketAddr,
    headers: &HeaderMap,
    fields: CommentFields,
) -> Result<Response, SiteError> {
    crate::security::check_same_origin(state, headers)?;
    let settings = state.db().site_settings().await?;
    let form = CommentForm {
        author_name: fields.author_name.clone(),
        // Browsers trim an e-mail field; a reader's stray space is forgiven.
        author_email: Some(fields.author_email.trim().to_owned()),
        body: fields.body.clone(),
        parent_id: match fields.parent_id.trim() {
            "" => None,
            id => Some(id.parse::<i64>().map_err(|_| {
                Error::invalid("parent_id", "No comment on this article has this id.")
            })?),
        },
        ..Default::default()
    };
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let reader = state.app().reader(peer.ip(), user_agent);
    let facts = comments::FormFacts {
        honeypot: fields.website.clone(),
    };
    let submitted =
        comments::submit_with(state.app(), &reader, article.id, &form, Some(&facts)).await;
    let comment = match submitted {
        Ok(c) => c,
        Err(e @ (Error::Invalid { .. } | Error::TooManyRequests { .. })) => {
            let pending = pending_ids(state, headers);
            return page(state, article, settings, fields, Some(e), &pending).await;
        }
        Err(e) => return Err(SiteError(e)),
    };
    metrics::counter!("comments_posted_total").increment(1);
    let url = article.path(&settings.tz()).unwrap_or_default();
    let mut response = Redirect::to(&format!("{url}#comment-{}", comment.id)).into_response();
    // A held comment is shown to its writer alone, named by a signed cookie. Spam is not: a
    // robot learns nothing from the answer.
    if comment.status == dateline_core::comments::CommentStatus::Pending {
        response.headers_mut().append(
            header::SET_COOKIE,
            pending_cookie(state, headers, comment.id),
        );
    }
    Ok(response)
}
