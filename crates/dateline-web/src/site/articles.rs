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
    pages::Shows,
    settings::{CommentOrder, SiteSettings},
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

/// Related articles an article page offers at most.
const RELATED: i64 = 5;

/// Threads (a top-level comment and its replies) on one page of an article's comments.
pub const THREADS_PER_PAGE: usize = 100;

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
    /// Written by a member of staff.
    by_staff: bool,
    replies: Vec<CommentView>,
}

/// A comment in its place among the threads, before it is rendered: only the threads on the
/// page shown are (a busy article's other pages would cost as much again, for nothing).
struct Placed<'a> {
    comment: &'a Comment,
    in_reply_to: Option<String>,
    replies: Vec<Placed<'a>>,
}

impl<'a> Placed<'a> {
    fn holds(&self, id: i64) -> bool {
        self.comment.id == id || self.replies.iter().any(|r| r.holds(id))
    }

    /// Every comment of the thread, this one first.
    fn comments(&self) -> Box<dyn Iterator<Item = &'a Comment> + '_> {
        Box::new(
            std::iter::once(self.comment).chain(self.replies.iter().flat_map(Placed::comments)),
        )
    }

    fn view(self, render: &impl Fn(&Comment) -> CommentView) -> CommentView {
        let mut view = render(self.comment);
        view.in_reply_to = self.in_reply_to;
        view.replies = self.replies.into_iter().map(|r| r.view(render)).collect();
        view
    }
}

/// The cookie that names a reader's comments awaiting moderation, so that they, and nobody
/// else, see them: `ID.ID.ID~signature`.
pub(crate) const PENDING_COOKIE: &str = "dateline_pending";
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
fn threads(comments: Vec<&Comment>, depth: usize) -> Vec<Placed<'_>> {
    use std::collections::HashMap;
    let shown: HashMap<i64, String> = comments
        .iter()
        .map(|c| (c.id, c.author_name.clone()))
        .collect();
    let mut children: HashMap<Option<i64>, Vec<&Comment>> = HashMap::new();
    for c in comments {
        let parent = c.parent_id.filter(|p| shown.contains_key(p));
        children.entry(parent).or_default().push(c);
    }
    fn build<'a>(
        parent: Option<i64>,
        level: usize,
        depth: usize,
        children: &mut HashMap<Option<i64>, Vec<&'a Comment>>,
        shown: &HashMap<i64, String>,
    ) -> Vec<Placed<'a>> {
        let mut out = Vec::new();
        for comment in children.remove(&parent).unwrap_or_default() {
            let id = comment.id;
            if level + 1 < depth {
                let replies = build(Some(id), level + 1, depth, children, shown);
                out.push(Placed {
                    comment,
                    in_reply_to: None,
                    replies,
                });
            } else {
                // The last level: this comment, then every reply below it, flat and in order.
                out.push(Placed {
                    comment,
                    in_reply_to: None,
                    replies: Vec::new(),
                });
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

/// Puts the threads in the order asked (the reader's choice, else the site's) and keeps one
/// page of them: the page asked for, else the one holding the comment the reader came to see
/// or is answering, else the first.
fn paginate<'a>(
    mut threads: Vec<Placed<'a>>,
    settings: &SiteSettings,
    asked: &CommentsQuery,
    replying_to: &str,
) -> (Vec<Placed<'a>>, CommentPages) {
    let order = asked.order.unwrap_or(settings.comment_order);
    if order == CommentOrder::Newest {
        threads.reverse();
    }
    let total = threads.len();
    let pages = total.div_ceil(THREADS_PER_PAGE).max(1);
    let focus = asked.focus.or_else(|| replying_to.parse().ok());
    let page = asked
        .page
        .or_else(|| {
            let id = focus?;
            threads
                .iter()
                .position(|t| t.holds(id))
                .map(|i| i / THREADS_PER_PAGE + 1)
        })
        .unwrap_or(1)
        .min(pages);
    let shown = threads
        .into_iter()
        .skip((page - 1) * THREADS_PER_PAGE)
        .take(THREADS_PER_PAGE)
        .collect();
    let other = match order {
        CommentOrder::Oldest => CommentOrder::Newest,
        CommentOrder::Newest => CommentOrder::Oldest,
    };
    (
        shown,
        CommentPages {
            order: order.as_str(),
            other_order: other.as_str(),
            page,
            pages,
            threads: total,
        },
    )
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
    /// When the form was first shown, signed ([`comments::form_token`]); kept when the form is
    /// shown again for a correction, so that the time a reader spent is not forgotten.
    #[serde(default)]
    form_token: String,
}

#[derive(Serialize)]
struct FormView {
    action: String,
    values: CommentFields,
    error: Option<String>,
    error_field: Option<String>,
    /// The name of the commenter being answered, when the form is a reply.
    replying_to: Option<String>,
    /// The article takes new comments.
    open: bool,
}

/// Which threads of an article's comments a page shows, and in which order.
#[derive(Serialize)]
struct CommentPages {
    /// `oldest` or `newest` first.
    order: &'static str,
    /// The other order, offered as a link.
    other_order: &'static str,
    /// This page, from 1.
    page: usize,
    /// Pages in all.
    pages: usize,
    /// Threads in all.
    threads: usize,
}

#[derive(Serialize)]
struct ArticlePage {
    site: SiteSettings,
    canonical: String,
    article: ArticleView,
    comments: Vec<CommentView>,
    comment_pages: CommentPages,
    form: FormView,
    /// The article's comment feeds, then the site's.
    feeds: Vec<super::feeds::FeedLink>,
    /// Description, link previews and schema.org.
    meta: super::seo::PageMeta,
    /// Articles that share a topic or a source with this one.
    related: Vec<ArticleView>,
}

/// What the reader asked of the comments: `?comments=newest|oldest`, `?cpage=N`, and
/// `?c=ID` for the page that holds comment ID (where a reader lands after posting).
#[derive(Default)]
struct CommentsQuery {
    order: Option<CommentOrder>,
    page: Option<usize>,
    focus: Option<i64>,
}

impl CommentsQuery {
    fn parse(query: &str) -> (Self, String) {
        let mut q = CommentsQuery::default();
        let mut reply_to = String::new();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match &*k {
                "comments" => q.order = CommentOrder::parse("comments", &v).ok(),
                "cpage" => q.page = v.parse().ok().filter(|p| *p >= 1),
                "c" => q.focus = v.parse().ok(),
                "reply_to" => reply_to = v.into_owned(),
                _ => {}
            }
        }
        (q, reply_to)
    }
}

type ArticlePath = Path<(String, String, String, String)>;

/// Finds the visible article for a path; a path with a stale date (the article's time or the
/// site's time zone changed) or an old slug is answered with 301 to the current one.
async fn find(
    state: &AppState,
    (year, month, day, slug): &(String, String, String, String),
) -> Result<Result<(Article, SiteSettings), Response>, SiteError> {
    let settings = state.site_settings().await?;
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

/// The article page. `article` as [`dateline_store::Db::article_for_reader`] finds it: its
/// sources, topics and corrections are read here, alongside the comments and related articles.
async fn page(
    state: &AppState,
    mut article: Article,
    settings: SiteSettings,
    mut values: CommentFields,
    error: Option<Error>,
    pending: &[i64],
    asked: &CommentsQuery,
) -> Result<Response, SiteError> {
    let tz = settings.tz();
    let now = state.now();
    let article_id = article.id;
    // No read needs another: on three connections at once, a page rendered after a change
    // waits for the longest of them instead of all.
    let ((), approved, related) = tokio::try_join!(
        state.db().load_details(std::slice::from_mut(&mut article)),
        state.cache().approved_comments(state, article_id),
        state
            .cache()
            .related_articles(state, article_id, now, RELATED),
    )?;
    // The reader's own comments awaiting moderation, shown to them alone.
    let held: Vec<Comment> = state
        .db()
        .comments_by_ids(pending)
        .await?
        .into_iter()
        .filter(|c| {
            c.article_id == article.id
                && c.status == dateline_core::comments::CommentStatus::Pending
        })
        .collect();
    let own_pending: Vec<i64> = held.iter().map(|c| c.id).collect();
    let mut approved: Vec<&Comment> = approved.iter().chain(&held).collect();
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
    let placed = threads(approved, settings.comment_thread_depth as usize);
    let (shown, comment_pages) = paginate(placed, &settings, asked, &values.parent_id);
    // The page reads the same until the first of its comments' ages changes.
    let mut until = shown
        .iter()
        .flat_map(Placed::comments)
        .map(|c| dateline_core::age::next_change(now, c.created_at, &tz))
        .min();
    let comment_view = |c: &Comment| CommentView {
        id: c.id,
        body_html: state.cache().comment_html(c),
        age: age_in_words(now, c.created_at, &tz),
        date_iso: iso(c.created_at),
        exact: exact_time_in(c.created_at, &tz, settings.date_format),
        author_name: c.author_name.clone(),
        in_reply_to: None,
        pending: own_pending.contains(&c.id),
        by_staff: c.by_staff,
        replies: Vec::new(),
    };
    let comments: Vec<CommentView> = shown.into_iter().map(|p| p.view(&comment_view)).collect();
    let rules = settings.comment_rules();
    let open = comments::open_for_comments(&(&article).into(), &rules, now);
    // ... or until the thread closes by age.
    if open
        && rules.close_after_days > 0
        && let Some(published) = article.published_at
    {
        let closes = published
            .saturating_add(jiff::SignedDuration::from_hours(
                24 * i64::from(rules.close_after_days),
            ))
            .unwrap_or(published);
        until = Some(until.map_or(closes, |u| u.min(closes)));
    }
    // A form shown again keeps its token, unless the token was what was wrong with it.
    let token_expired =
        matches!(&error, Some(Error::Invalid { field, .. }) if field == "form_token");
    if values.form_token.is_empty() || token_expired {
        values.form_token = comments::form_token(state.app(), article.id);
    }
    let mut shows = vec![
        Shows::Article(article_id),
        Shows::Comments(article_id),
        Shows::Latest,
    ];
    // Each related article's teaser names it and counts its comments.
    shows.extend(
        related
            .iter()
            .flat_map(|a| [Shows::Article(a.id), Shows::Comments(a.id)]),
    );
    let related = std::sync::Arc::unwrap_or_clone(related)
        .into_iter()
        .map(|a| ArticleView::new(a, &settings))
        .collect();
    let canonical = state.absolute(&article.path(&settings.tz()).unwrap_or_default());
    let meta = super::seo::article(state, &settings, &article, &canonical);
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
        // The thread closed: the page says so, and shows what was typed so it is not lost.
        Some(e @ Error::Forbidden(_)) => (
            StatusCode::FORBIDDEN,
            Some(crate::error::public_message(&e)),
            Some("body".to_owned()),
        ),
        Some(other) => return Err(SiteError(other)),
    };
    let feeds = super::feeds::links(
        &format!("{}comments/", view.url),
        &format!("Comments on {}", view.title),
    )
    .into_iter()
    .chain(super::archives::site_feeds(&settings))
    .collect();
    let page = ArticlePage {
        site: settings,
        canonical,
        meta,
        related,
        form: FormView {
            action: format!("/articles/{}/comments", view.id),
            values,
            error,
            error_field,
            replying_to,
            open,
        },
        feeds,
        article: view,
        comments,
        comment_pages,
    };
    let token = page.form.values.form_token.clone();
    let mut response = (status, render(state, "site/articles/show.html", page)?).into_response();
    response
        .extensions_mut()
        .insert(super::cache::FormToken { token, article_id });
    response
        .extensions_mut()
        .insert(super::cache::Cacheable { shows, until });
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
    let (asked, reply_to) = CommentsQuery::parse(query.as_deref().unwrap_or_default());
    match find(&state, &path).await? {
        Ok((article, settings)) => {
            let values = CommentFields {
                parent_id: reply_to,
                ..Default::default()
            };
            let pending = pending_ids(&state, &headers);
            page(&state, article, settings, values, None, &pending, &asked).await
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
    // The intake reads the article (and answers 404 for one the reader cannot see): read
    // here too, it would be read twice for every comment.
    submit(&state, id, peer, &headers, fields).await
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
    submit(&state, article.id, peer, &headers, fields).await
}

async fn submit(
    state: &AppState,
    article_id: i64,
    peer: SocketAddr,
    headers: &HeaderMap,
    fields: CommentFields,
) -> Result<Response, SiteError> {
    crate::security::check_same_origin(state, headers)?;
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
    let reader = state
        .app()
        .reader(state.client_ip(peer, headers), user_agent);
    let facts = comments::FormFacts {
        honeypot: fields.website.clone(),
        token: fields.form_token.clone(),
    };
    let submitted = comments::submit_form(state.app(), &reader, article_id, &form, &facts).await;
    let comments::FormAnswer {
        comment,
        article,
        settings,
    } = match submitted {
        Ok(answer) => answer,
        Err(e @ (Error::Invalid { .. } | Error::TooManyRequests { .. } | Error::Forbidden(_))) => {
            // The page again, with what was typed and what to correct: the whole article now.
            let article = state
                .db()
                .visible_article_by_id(article_id, state.now())
                .await?
                .ok_or(Error::NotFound)?;
            let settings = state.site_settings().await?;
            let pending = pending_ids(state, headers);
            let asked = CommentsQuery::default();
            return page(state, article, settings, fields, Some(e), &pending, &asked).await;
        }
        Err(e) => return Err(SiteError(e)),
    };
    metrics::counter!("comments_posted_total").increment(1);
    let url = article.path(&settings.tz()).unwrap_or_default();
    // `?c=` opens the page of comments that holds the new one.
    let mut response =
        Redirect::to(&format!("{url}?c={id}#comment-{id}", id = comment.id)).into_response();
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
