//! Rendered public pages kept in memory, so that a page read a thousand times is rendered once,
//! and dropped the moment it would no longer be what a fresh render shows.
//!
//! A page handler says what its page shows ([`Cacheable`], in the terms of
//! [`dateline_core::pages::Shows`]) and until when time alone leaves it unchanged (the next
//! minute of a comment's "3 minutes ago", a thread closing). The cache reads the activity log:
//! each event names, through [`dateline_core::pages::stale_after`], the pages it made stale, and
//! those are dropped. Before answering from memory the cache makes sure it has read every event
//! this process has been told of ([`dateline_store::Db::announcements`]: its own commits, and on
//! PostgreSQL every process's through `LISTEN`), so a reader never gets a page older than a
//! change whose response they have already had; [`PageCache::follow`] reads the log each second
//! as well, for changes made by another process on SQLite (the command line).
//!
//! The comment form's token says when the form was shown, so an article page is kept in pieces
//! around it and answered with a fresh one: put together once a step of the token's clock
//! (a tenth of a second), and the same for every reader within it. A reader whose held
//! comments only they can see (the pending cookie) is not answered from memory on an article
//! page.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    io::Write,
    sync::{
        Arc, OnceLock, RwLock,
        atomic::{AtomicI64, AtomicU64, Ordering},
    },
};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use dateline_core::{
    Error,
    pages::{Shows, Stale, stale_after},
    settings::SiteSettings,
};
use jiff::Timestamp;

use crate::AppState;

/// Whether a page came from memory: made once (a name given as a string is parsed again on
/// every insertion).
static X_CACHE: HeaderName = HeaderName::from_static("x-cache");

/// What a page handler tells the cache about its page.
#[derive(Clone, Debug)]
pub(crate) struct Cacheable {
    /// Everything on the page that an event may change.
    pub shows: Vec<Shows>,
    /// The moment time alone changes the page, if it does.
    pub until: Option<Timestamp>,
}

/// `page`, marked as showing `shows` and unchanged by time.
pub(crate) fn kept(page: impl IntoResponse, shows: Vec<Shows>) -> Response {
    let mut response = page.into_response();
    response
        .extensions_mut()
        .insert(Cacheable { shows, until: None });
    response
}

/// The part of a page that changes on every render without changing what it shows: the comment
/// form's token, which says when the form was shown to this reader.
#[derive(Clone)]
pub(crate) struct FormToken {
    /// The token as rendered.
    pub token: String,
    /// The article whose form it is.
    pub article_id: i64,
}

/// The pages in memory, and how far into the activity log they are known to be current.
#[derive(Clone)]
pub struct PageCache {
    inner: Arc<Shared>,
}

struct Shared {
    entries: RwLock<Entries>,
    /// The id of the last event applied.
    applied: AtomicI64,
    /// [`dateline_store::Db::announcements`] when the log was last read.
    seen: AtomicU64,
    /// When the next scheduled article comes due (microseconds; `i64::MAX` for never).
    next_due: AtomicI64,
    /// One reader of the log at a time.
    reading: tokio::sync::Mutex<()>,
    /// Pages being rendered, with what their waiting readers listen to.
    flights: std::sync::Mutex<HashMap<String, tokio::sync::watch::Receiver<()>>>,
    /// Most bytes of pages kept; 0 keeps none.
    capacity: usize,
    /// How many times every page was dropped: the site's settings read before a drop are not
    /// kept after it.
    clears: AtomicU64,
    /// Comment bodies rendered to HTML, by comment id.
    comment_html: std::sync::Mutex<CommentHtml>,
    /// Articles' approved comments, by article id.
    comment_lists: std::sync::Mutex<CommentLists>,
    /// How many times some article's comments were dropped from `comment_lists`: a list read
    /// from the database before a drop is not kept after it.
    comment_drops: AtomicU64,
    /// The related articles under each article, by article id.
    related_lists: std::sync::Mutex<RelatedLists>,
    /// How many times some related articles were dropped from `related_lists` (as
    /// `comment_drops`).
    related_drops: AtomicU64,
}

/// The related articles under each article page, as its render read them, until an event
/// changes one of them or which articles readers can see: an article page rendered again after
/// an edit of its own text or a comment on it does not look for them again (on PostgreSQL the
/// slowest of the reads such a render waits for, planned anew each time: 1.0 of its 1.9 ms).
/// What makes a list stale is what makes a page stale that names the articles in it
/// ([`Shows::Article`], [`Shows::Comments`] for their counts, [`Shows::Latest`] for which
/// they are); the article's own topics and sources, which choose them, move it between lists
/// (`Latest`) when they change.
#[derive(Default)]
struct RelatedLists {
    by_article: HashMap<i64, KeptRelated>,
    /// The articles whose kept lists name each article: what a change to it drops, found
    /// without looking through every list.
    named_by: HashMap<i64, HashSet<i64>>,
    bytes: usize,
}

struct KeptRelated {
    articles: Arc<Vec<dateline_core::articles::Article>>,
    /// The most it was read with: a list read for fewer is not the answer for more.
    limit: i64,
    /// When the next scheduled article came due as the list was read: it may be among them.
    expires: i64,
}

impl RelatedLists {
    fn insert(&mut self, article_id: i64, kept: KeptRelated) {
        self.remove(article_id);
        let cost = teaser_bytes(&kept.articles);
        if self.bytes + cost > RELATED_LISTS_CAPACITY {
            *self = RelatedLists::default();
        }
        self.bytes += cost;
        for a in kept.articles.iter() {
            self.named_by.entry(a.id).or_default().insert(article_id);
        }
        self.by_article.insert(article_id, kept);
    }

    fn remove(&mut self, article_id: i64) {
        let Some(gone) = self.by_article.remove(&article_id) else {
            return;
        };
        self.bytes -= teaser_bytes(&gone.articles);
        for a in gone.articles.iter() {
            if let Some(owners) = self.named_by.get_mut(&a.id) {
                owners.remove(&article_id);
                if owners.is_empty() {
                    self.named_by.remove(&a.id);
                }
            }
        }
    }

    /// Drops the lists that name article `id`.
    fn drop_naming(&mut self, id: i64) {
        for owner in self.named_by.get(&id).cloned().unwrap_or_default() {
            self.remove(owner);
        }
    }
}

/// What a list of teasers takes in memory, near enough.
fn teaser_bytes(articles: &[dateline_core::articles::Article]) -> usize {
    articles
        .iter()
        .map(|a| std::mem::size_of_val(a) + a.title.len() + a.dek.len() + a.slug.len())
        .sum()
}

/// Comment bodies rendered to HTML (Markdown, then the sanitiser: a fifth of the cost of an
/// article page with fifty comments), kept with the text they were rendered from, so that a
/// busy article rendered again after each new comment renders only the new one. An edited
/// comment's text no longer matches and is rendered again.
#[derive(Default)]
struct CommentHtml {
    by_id: HashMap<i64, (Box<str>, Box<str>)>,
    bytes: usize,
}

/// Most bytes of comment text and HTML kept; past it, all are forgotten at once (the busy
/// articles' comments come back with their next render).
const COMMENT_HTML_CAPACITY: usize = 8 << 20;

/// Each article's approved comments as its page read them: an article page rendered again
/// after an edit of the article, or because a comment's age moved on, does not read and decode
/// them again (400 comments: more than half of such a render's instructions, the database's
/// included). An event about one of its comments (approved, edited, trashed...) does not drop
/// the list either: it names the comment, and the next render reads that comment alone and
/// puts it in its place, or takes it out.
#[derive(Default)]
struct CommentLists {
    by_article: HashMap<i64, KeptComments>,
    bytes: usize,
}

struct KeptComments {
    /// Oldest first, as [`dateline_store::Db::approved_comments`] reads them.
    comments: Arc<Vec<dateline_core::comments::Comment>>,
    /// Comments an event changed since: read again before the list is used.
    changed: Vec<i64>,
}

/// Most changed comments a kept list of comments notes before it is forgotten instead.
const MOST_CHANGES: usize = 64;

/// Most bytes of teasers kept in [`RelatedLists`]; past it, all are forgotten at once.
const RELATED_LISTS_CAPACITY: usize = 4 << 20;

/// Most bytes of comments kept in [`CommentLists`]; past it, all are forgotten at once.
const COMMENT_LISTS_CAPACITY: usize = 16 << 20;

/// What a list of comments takes in memory, near enough.
fn list_bytes(comments: &[dateline_core::comments::Comment]) -> usize {
    comments
        .iter()
        .map(|c| std::mem::size_of_val(c) + c.author_name.len() + c.body.len())
        .sum()
}

/// The list `kept` of article `article_id` after the comments `changed` changed, read again
/// as `now`: each is taken out, and put back in its place if it is still approved there.
fn with_changes(
    kept: &[dateline_core::comments::Comment],
    article_id: i64,
    changed: &[i64],
    now: Vec<dateline_core::comments::Comment>,
) -> Vec<dateline_core::comments::Comment> {
    let mut comments: Vec<_> = kept
        .iter()
        .filter(|c| !changed.contains(&c.id))
        .cloned()
        .chain(now.into_iter().filter(|c| {
            c.article_id == article_id
                && c.status == dateline_core::comments::CommentStatus::Approved
        }))
        .collect();
    comments.sort_by_key(|c| (c.created_at, c.id));
    comments
}

#[derive(Default)]
struct Entries {
    pages: HashMap<String, Arc<Entry>>,
    by_shows: HashMap<Shows, HashSet<String>>,
    /// Keys in the order they were stored (with the entry's number), oldest dropped first.
    order: VecDeque<(u64, String)>,
    bytes: usize,
    stored: u64,
    /// The site's settings, which every page shows: a change to them (or to the logo's
    /// media) makes everything stale, and drops them with the pages.
    settings: Option<Arc<SiteSettings>>,
}

struct Entry {
    number: u64,
    /// The final headers, the security headers included.
    headers: HeaderMap,
    /// The metrics of the route the page was rendered by, for its answers from memory.
    metrics: crate::ops::RouteMetrics,
    body: Pieces,
    shows: Vec<Shows>,
    expires: Timestamp,
}

/// A page's body: whole, or in pieces around its form token.
enum Pieces {
    Whole(Encoded),
    AroundToken {
        pieces: Vec<Bytes>,
        article_id: i64,
        /// The page put together with the token of the current step
        /// ([`dateline_app::comments::form_token_moment`]), shared by every reader of the step.
        assembled: std::sync::Mutex<Option<Arc<Assembled>>>,
    },
}

/// A page kept in pieces, put together with one form token.
struct Assembled {
    shown: i64,
    page: Encoded,
}

/// A page's bytes, and its compressed copies made on first demand.
struct Encoded {
    whole: Bytes,
    gzip: OnceLock<Bytes>,
    brotli: OnceLock<Bytes>,
}

impl Encoded {
    fn new(whole: Bytes) -> Self {
        Encoded {
            whole,
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
        }
    }

    /// The body for a reader who asked `asked`, and its `Content-Encoding`.
    fn for_reader(&self, asked: &Asked) -> (Bytes, Option<&'static str>) {
        if asked.brotli {
            let body = self.brotli.get_or_init(|| brotli(&self.whole));
            (body.clone(), Some("br"))
        } else if asked.gzip {
            let body = self.gzip.get_or_init(|| gzip(&self.whole, 6));
            (body.clone(), Some("gzip"))
        } else {
            (self.whole.clone(), None)
        }
    }
}

impl Pieces {
    fn len(&self) -> usize {
        match self {
            Pieces::Whole(b) => b.whole.len(),
            Pieces::AroundToken { pieces, .. } => pieces.iter().map(Bytes::len).sum(),
        }
    }

    /// What keeping the page costs of the cache's capacity: its bytes and its compressed
    /// copies, and for a page in pieces the copy put together with the current token.
    fn cost(&self) -> usize {
        let whole = self.len() * OVERHEAD_PERCENT / 100;
        match self {
            Pieces::Whole(_) => whole,
            Pieces::AroundToken { .. } => whole + self.len(),
        }
    }
}

/// How long a reader waits for another's render of the same page before rendering it too.
const FLIGHT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// A render of a page in progress: whoever asks first renders, the others wait for it.
enum Flight {
    Leader(FlightGuard),
    Follower(tokio::sync::watch::Receiver<()>),
}

/// Held by the reader rendering a page; when it goes (the page kept, or not, or the request
/// dropped), those waiting are let go.
struct FlightGuard {
    cache: PageCache,
    key: String,
    _done: tokio::sync::watch::Sender<()>,
}

impl Drop for FlightGuard {
    fn drop(&mut self) {
        if let Ok(mut flights) = self.cache.inner.flights.lock() {
            flights.remove(&self.key);
        }
    }
}

/// The position before the log has been looked at: the pages kept start from its end.
const UNKNOWN: i64 = -1;

/// How many times over its capacity the cache counts a page, for its compressed copies and keys.
const OVERHEAD_PERCENT: usize = 160;

impl PageCache {
    /// A cache of at most `capacity` bytes of pages. It learns where the activity log stands
    /// on the first request.
    pub fn new(capacity: usize) -> Self {
        PageCache {
            inner: Arc::new(Shared {
                entries: RwLock::default(),
                applied: AtomicI64::new(UNKNOWN),
                seen: AtomicU64::new(u64::MAX),
                next_due: AtomicI64::new(i64::MIN),
                reading: tokio::sync::Mutex::new(()),
                flights: std::sync::Mutex::default(),
                capacity,
                clears: AtomicU64::new(0),
                comment_html: std::sync::Mutex::default(),
                comment_lists: std::sync::Mutex::default(),
                related_lists: std::sync::Mutex::default(),
                related_drops: AtomicU64::new(0),
                comment_drops: AtomicU64::new(0),
            }),
        }
    }

    /// How many pages are kept.
    pub fn len(&self) -> usize {
        self.inner
            .entries
            .read()
            .map(|e| e.pages.len())
            .unwrap_or(0)
    }

    /// Whether no page is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads the activity log four times a second, for changes nobody announced to this process (on
    /// SQLite, another process's: the command line, a second server), and whenever a wake-up
    /// comes; a request would read it anyway before answering from memory. It also keeps the
    /// process's base URL in step ([`AppState::reload_settings`]), whether or not pages are kept.
    pub fn follow(state: &AppState) -> tokio::task::JoinHandle<()> {
        let state = state.clone();
        tokio::spawn(async move {
            let mut wake = state.db().subscribe_events();
            loop {
                tokio::select! {
                    _ = dateline_store::next_wakeup(&mut wake) => {}
                    () = tokio::time::sleep(std::time::Duration::from_millis(250)) => {}
                }
                state.cache().read_log(&state, true).await;
            }
        })
    }

    /// Makes sure every event this process knows of has been applied, and that the moment the
    /// next scheduled article comes due is known; `always` reads the log even without a wake-up.
    async fn read_log(&self, state: &AppState, always: bool) {
        let shared = &self.inner;
        let now = state.now().as_microsecond();
        let current = || {
            state.db().announcements() == shared.seen.load(Ordering::SeqCst)
                && now < shared.next_due.load(Ordering::SeqCst)
        };
        if !always && current() {
            return;
        }
        let _reading = shared.reading.lock().await;
        if !always && current() {
            return;
        }
        let announced = state.db().announcements();
        if shared.applied.load(Ordering::SeqCst) == UNKNOWN {
            // The base URL as of this position at least (see below, where it moves).
            let start = match state.db().latest_event_id().await {
                Ok(id) => state.reload_settings().await.map(|()| id),
                Err(e) => Err(e),
            };
            match start {
                Ok(id) => self.clear(Some(id)),
                Err(e) => {
                    tracing::warn!(error = %e, "page cache cannot read the activity log");
                    return;
                }
            }
        }
        // The moment the next scheduled article comes due is read again once it has passed, or
        // when an event does not say when its article comes due; an event that does moves it
        // earlier, without a read before the page rendered after it.
        let mut articles_moved = now >= shared.next_due.load(Ordering::SeqCst);
        loop {
            let position = shared.applied.load(Ordering::SeqCst);
            let events = match state.db().events_after(position, 500).await {
                Ok(events) => events,
                Err(e) => {
                    // Unable to tell what changed: nothing kept can be trusted.
                    tracing::warn!(error = %e, "page cache cannot read the activity log");
                    self.clear(None);
                    return;
                }
            };
            let Some(last) = events.last().map(|e| e.id) else {
                break;
            };
            let mut stale = Vec::new();
            let mut changed = Vec::new();
            let mut everything = false;
            let mut base_url_moved = false;
            for e in &events {
                if e.kind.subject_kind() == dateline_core::events::SubjectKind::Article {
                    match comes_due(e, now) {
                        Due::Never => {}
                        Due::At(at) => {
                            shared.next_due.fetch_min(at, Ordering::SeqCst);
                        }
                        Due::Unknown => articles_moved = true,
                    }
                }
                base_url_moved |= e.kind == dateline_core::events::EventKind::SettingChanged
                    && e.payload["key"] == "base_url";
                match stale_after(e) {
                    Stale::Nothing => {}
                    Stale::Pages(shows) => {
                        // The comment an event is about, for the kept list of its article.
                        let comment = (e.kind.subject_kind()
                            == dateline_core::events::SubjectKind::Comment)
                            .then_some(e.subject.id)
                            .flatten();
                        for s in &shows {
                            if let Shows::Comments(article) = s {
                                changed.push((*article, comment));
                            }
                        }
                        stale.extend(shows);
                    }
                    Stale::Everything => everything = true,
                }
            }
            // The base URL is in a page's links and its headers (HSTS): it is read again before
            // the pages go, or one rendered meanwhile would be kept with the old address.
            if base_url_moved && let Err(e) = state.reload_settings().await {
                tracing::warn!(error = %e, "page cache cannot read the base URL setting");
                self.clear(None);
                return;
            }
            if everything {
                self.clear(Some(last));
            } else {
                self.evict(&stale, &changed, last);
            }
            if events.len() < 500 {
                break;
            }
        }
        if articles_moved {
            match state.db().next_visible_after(state.now()).await {
                Ok(due) => shared.next_due.store(
                    due.map_or(i64::MAX, |t| t.as_microsecond()),
                    Ordering::SeqCst,
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "page cache cannot read the schedule");
                    self.clear(None);
                    return;
                }
            }
        }
        shared.seen.store(announced, Ordering::SeqCst);
    }

    /// The site's settings, read from the database once after each change to them: a page
    /// rendered after a change (a comment approved, an article edited) would otherwise wait
    /// for one more round trip before its own reads.
    pub async fn site_settings(&self, state: &AppState) -> Result<SiteSettings, Error> {
        self.read_log(state, false).await;
        if let Ok(entries) = self.inner.entries.read()
            && let Some(settings) = &entries.settings
        {
            return Ok(SiteSettings::clone(settings));
        }
        let clears = self.inner.clears.load(Ordering::SeqCst);
        let settings = state.db().site_settings().await?;
        if self.inner.capacity > 0
            && let Ok(mut entries) = self.inner.entries.write()
            && self.inner.clears.load(Ordering::SeqCst) == clears
        {
            entries.settings = Some(Arc::new(settings.clone()));
        }
        Ok(settings)
    }

    /// The body of `comment` as safe HTML ([`dateline_core::comments::render_comment`]),
    /// rendered once for as long as its text stays the same.
    pub(crate) fn comment_html(&self, comment: &dateline_core::comments::Comment) -> String {
        if let Ok(kept) = self.inner.comment_html.lock()
            && let Some((body, html)) = kept.by_id.get(&comment.id)
            && **body == *comment.body
        {
            return html.to_string();
        }
        let html = comment.body_html();
        if self.inner.capacity > 0
            && let Ok(mut kept) = self.inner.comment_html.lock()
        {
            let cost = comment.body.len() + html.len();
            if kept.bytes + cost > COMMENT_HTML_CAPACITY {
                *kept = CommentHtml::default();
            }
            kept.bytes += cost;
            let entry = (comment.body.as_str().into(), html.as_str().into());
            if let Some((body, html)) = kept.by_id.insert(comment.id, entry) {
                kept.bytes -= body.len() + html.len();
            }
        }
        html
    }

    /// The approved comments of article `article_id`, oldest first
    /// ([`dateline_store::Db::approved_comments`]), read once for as long as no event changes
    /// them. Callers have read the log first (as every page does, through the site's settings),
    /// so a list kept is never older than a change this process knows of.
    pub(crate) async fn approved_comments(
        &self,
        state: &AppState,
        article_id: i64,
    ) -> Result<Arc<Vec<dateline_core::comments::Comment>>, Error> {
        // Counted before the kept list is looked at: a change noted after it is not lost.
        let drops = self.inner.comment_drops.load(Ordering::SeqCst);
        self.approved_comments_since(state, article_id, drops).await
    }

    /// [`PageCache::approved_comments`] for a reader who began when the comment lists had
    /// seen `drops` changes: what it reads is kept only if they have seen no more by then.
    async fn approved_comments_since(
        &self,
        state: &AppState,
        article_id: i64,
        drops: u64,
    ) -> Result<Arc<Vec<dateline_core::comments::Comment>>, Error> {
        let kept = match self.inner.comment_lists.lock() {
            Ok(lists) => lists
                .by_article
                .get(&article_id)
                .map(|k| (Arc::clone(&k.comments), k.changed.clone())),
            Err(_) => None,
        };
        let comments = match kept {
            Some((comments, changed)) if changed.is_empty() => return Ok(comments),
            Some((comments, changed)) => Arc::new(with_changes(
                &comments,
                article_id,
                &changed,
                state.db().comments_by_ids(&changed).await?,
            )),
            None => Arc::new(state.db().approved_comments(article_id).await?),
        };
        if self.inner.capacity > 0
            && let Ok(mut lists) = self.inner.comment_lists.lock()
            // Changed while being read: what was read may predate the change.
            && self.inner.comment_drops.load(Ordering::SeqCst) == drops
        {
            let cost = list_bytes(&comments);
            if let Some(old) = lists.by_article.remove(&article_id) {
                lists.bytes -= list_bytes(&old.comments);
            }
            if lists.bytes + cost > COMMENT_LISTS_CAPACITY {
                *lists = CommentLists::default();
            }
            lists.bytes += cost;
            lists.by_article.insert(
                article_id,
                KeptComments {
                    comments: Arc::clone(&comments),
                    changed: Vec::new(),
                },
            );
        }
        Ok(comments)
    }

    /// Up to `limit` articles related to article `article_id`
    /// ([`dateline_store::Db::related_articles`]), read once for as long as no event changes
    /// them and no scheduled article comes due. Callers have read the log first, as for
    /// [`PageCache::approved_comments`].
    pub(crate) async fn related_articles(
        &self,
        state: &AppState,
        article_id: i64,
        now: Timestamp,
        limit: i64,
    ) -> Result<Arc<Vec<dateline_core::articles::Article>>, Error> {
        let drops = self.inner.related_drops.load(Ordering::SeqCst);
        self.related_articles_since(state, article_id, now, limit, drops)
            .await
    }

    /// [`PageCache::related_articles`] for a reader who began when the related lists had seen
    /// `drops` changes, as [`PageCache::approved_comments_since`].
    async fn related_articles_since(
        &self,
        state: &AppState,
        article_id: i64,
        now: Timestamp,
        limit: i64,
        drops: u64,
    ) -> Result<Arc<Vec<dateline_core::articles::Article>>, Error> {
        let expires = self.inner.next_due.load(Ordering::SeqCst);
        if let Ok(lists) = self.inner.related_lists.lock()
            && let Some(kept) = lists.by_article.get(&article_id)
            && kept.limit == limit
            && now.as_microsecond() < kept.expires
        {
            return Ok(Arc::clone(&kept.articles));
        }
        let articles = Arc::new(state.db().related_articles(article_id, now, limit).await?);
        if self.inner.capacity > 0
            && let Ok(mut lists) = self.inner.related_lists.lock()
            // Changed while being read: what was read may predate the change.
            && self.inner.related_drops.load(Ordering::SeqCst) == drops
        {
            lists.insert(
                article_id,
                KeptRelated {
                    articles: Arc::clone(&articles),
                    limit,
                    expires,
                },
            );
        }
        Ok(articles)
    }

    /// Forgets the related articles that name any of `stale` (all, for `None`).
    fn drop_related_lists(&self, stale: Option<&[Shows]>) {
        let Ok(mut lists) = self.inner.related_lists.lock() else {
            return;
        };
        // Counted before the lists change, so a read that began before cannot be kept after.
        self.inner.related_drops.fetch_add(1, Ordering::SeqCst);
        let stale = match stale {
            Some(stale) if !stale.contains(&Shows::Latest) => stale,
            _ => {
                *lists = RelatedLists::default();
                return;
            }
        };
        for s in stale {
            if let Shows::Article(id) | Shows::Comments(id) = s {
                lists.drop_naming(*id);
            }
        }
    }

    /// Notes the comments `changed` names in the kept lists of their articles, as (article,
    /// comment); a list whose change names no comment is forgotten, and every list for `None`.
    fn drop_comment_lists(&self, changed: Option<&[(i64, Option<i64>)]>) {
        let Ok(mut lists) = self.inner.comment_lists.lock() else {
            return;
        };
        // Counted before the lists change, so a read that began before cannot be kept after.
        self.inner.comment_drops.fetch_add(1, Ordering::SeqCst);
        let Some(changed) = changed else {
            *lists = CommentLists::default();
            return;
        };
        for &(article_id, comment_id) in changed {
            match (lists.by_article.get_mut(&article_id), comment_id) {
                (Some(kept), Some(id)) if kept.changed.len() < MOST_CHANGES => {
                    kept.changed.push(id)
                }
                // Named by nothing, or changed so often unseen that reading it whole is as
                // cheap: forgotten.
                (Some(_), _) => {
                    if let Some(gone) = lists.by_article.remove(&article_id) {
                        lists.bytes -= list_bytes(&gone.comments);
                    }
                }
                (None, _) => {}
            }
        }
    }

    /// Drops every page (and moves the position to `position`, when given), in one step.
    fn clear(&self, position: Option<i64>) {
        self.drop_comment_lists(None);
        self.drop_related_lists(None);
        if let Ok(mut entries) = self.inner.entries.write() {
            *entries = Entries {
                stored: entries.stored,
                ..Entries::default()
            };
            self.inner.clears.fetch_add(1, Ordering::SeqCst);
            if let Some(p) = position {
                self.inner.applied.store(p, Ordering::SeqCst);
            }
        }
    }

    /// Drops the pages that show any of `stale` and moves the position to `position`, in one
    /// step, so a render that began before cannot be stored after (see [`PageCache::store`]);
    /// notes the comments `changed` (article, comment) in the kept lists.
    fn evict(&self, stale: &[Shows], changed: &[(i64, Option<i64>)], position: i64) {
        if !changed.is_empty() {
            self.drop_comment_lists(Some(changed));
        }
        self.drop_related_lists(Some(stale));
        let Ok(mut entries) = self.inner.entries.write() else {
            return;
        };
        let keys: HashSet<String> = stale
            .iter()
            .filter_map(|s| entries.by_shows.get(s))
            .flatten()
            .cloned()
            .collect();
        for key in keys {
            entries.remove(&key);
        }
        self.inner.applied.store(position, Ordering::SeqCst);
    }

    /// Leads the render of page `key`, or follows the one under way.
    fn join_flight(&self, key: &str) -> Flight {
        let Ok(mut flights) = self.inner.flights.lock() else {
            return Flight::Leader(self.lead(key));
        };
        if let Some(done) = flights.get(key) {
            return Flight::Follower(done.clone());
        }
        let (done, waiting) = tokio::sync::watch::channel(());
        flights.insert(key.to_owned(), waiting);
        Flight::Leader(FlightGuard {
            cache: self.clone(),
            key: key.to_owned(),
            _done: done,
        })
    }

    /// A guard for a render nobody can wait for (the lock was poisoned).
    fn lead(&self, key: &str) -> FlightGuard {
        FlightGuard {
            cache: self.clone(),
            key: key.to_owned(),
            _done: tokio::sync::watch::channel(()).0,
        }
    }

    fn get(&self, key: &str, now: Timestamp) -> Option<Arc<Entry>> {
        let entry = self.inner.entries.read().ok()?.pages.get(key).cloned()?;
        if entry.expires > now {
            return Some(entry);
        }
        if let Ok(mut entries) = self.inner.entries.write()
            && entries
                .pages
                .get(key)
                .is_some_and(|e| e.number == entry.number)
        {
            entries.remove(key);
        }
        None
    }

    /// Keeps a page rendered from what the database held after event `position` was applied,
    /// unless the log has moved on since (an event applied meanwhile may have been about what
    /// the render read before it, and its eviction could not drop a page not yet kept).
    /// Returns the page, kept or not.
    fn store(&self, key: String, mut entry: Entry, position: i64) -> Arc<Entry> {
        let cost = entry.body.cost() + key.len();
        if cost > self.inner.capacity / 8 {
            return Arc::new(entry);
        }
        let Ok(mut entries) = self.inner.entries.write() else {
            return Arc::new(entry);
        };
        if self.inner.applied.load(Ordering::SeqCst) != position {
            return Arc::new(entry);
        }
        entries.remove(&key);
        entries.stored += 1;
        entry.number = entries.stored;
        for s in &entry.shows {
            entries
                .by_shows
                .entry(s.clone())
                .or_default()
                .insert(key.clone());
        }
        entries.bytes += cost;
        entries.order.push_back((entry.number, key.clone()));
        let entry = Arc::new(entry);
        entries.pages.insert(key, entry.clone());
        while entries.bytes > self.inner.capacity {
            let Some((number, oldest)) = entries.order.pop_front() else {
                break;
            };
            if entries
                .pages
                .get(&oldest)
                .is_some_and(|e| e.number == number)
            {
                entries.remove(&oldest);
            }
        }
        entry
    }
}

impl Entries {
    fn remove(&mut self, key: &str) {
        let Some(entry) = self.pages.remove(key) else {
            return;
        };
        self.bytes = self.bytes.saturating_sub(entry.body.cost() + key.len());
        for s in &entry.shows {
            if let Some(keys) = self.by_shows.get_mut(s) {
                keys.remove(key);
                if keys.is_empty() {
                    self.by_shows.remove(s);
                }
            }
        }
        // `order` forgets it lazily: a number that no longer matches is skipped.
        if self.order.len() > 2 * self.pages.len() + 64 {
            let pages = &self.pages;
            self.order
                .retain(|(n, k)| pages.get(k).is_some_and(|e| e.number == *n));
        }
    }
}

/// The reader's own held comments are on article pages they read with the pending cookie.
/// When the article an event is about becomes visible by time alone, as the event says.
enum Due {
    /// Not by time: already visible, or not to be (a draft, deleted).
    Never,
    /// At this moment (microseconds), after now.
    At(i64),
    /// The event does not say.
    Unknown,
}

/// What article event `event` says of when its article comes due, at `now` (microseconds).
/// Unscheduling an article or moving it later is [`Due::Never`] or a later moment: the one kept
/// then passes early, and is read again, which costs a read and shows nothing stale.
fn comes_due(event: &dateline_core::events::Event, now: i64) -> Due {
    let payload = &event.payload;
    if event.kind == dateline_core::events::EventKind::ArticleDeleted {
        return Due::Never;
    }
    match (payload["status"].as_str(), &payload["published_at"]) {
        (Some("draft"), _) | (Some("published" | "scheduled"), serde_json::Value::Null) => {
            Due::Never
        }
        (Some("published" | "scheduled"), serde_json::Value::String(at)) => {
            match at.parse::<Timestamp>() {
                Ok(at) if at.as_microsecond() > now => Due::At(at.as_microsecond()),
                Ok(_) => Due::Never,
                Err(_) => Due::Unknown,
            }
        }
        _ => Due::Unknown,
    }
}

fn personal(path: &str, headers: &HeaderMap) -> bool {
    // The cookie first: most readers send none, and counting the path's segments costs more.
    if !headers.contains_key(header::COOKIE) {
        return false;
    }
    let segments = path.trim_matches('/').split('/').count();
    segments == 4
        && path.as_bytes().get(1).is_some_and(u8::is_ascii_digit)
        && crate::admin::session::cookie(headers, super::articles::PENDING_COOKIE).is_some()
}

/// Whether a path names a page the cache may keep (files and the setup page are never kept, so
/// readers asking for the same one need not wait for each other).
fn may_be_kept(path: &str) -> bool {
    const NEVER: [&str; 6] = [
        "/static/",
        "/media/",
        "/setup",
        "/sitemap",
        "/robots.txt",
        "/favicon.ico",
    ];
    !NEVER.iter().any(|p| path.starts_with(p))
}

/// Public pages: answered from memory when kept and current; otherwise rendered, given an
/// entity tag and a time, and kept when the handler said what they show.
///
/// Every page carries an `ETag` of what it shows and `Last-Modified` (when it was rendered), and
/// a reader (or a cache in front of the site) who has that copy already gets 304 and no body.
/// `Cache-Control` lets a shared cache keep a page for a few seconds and makes browsers ask
/// every time; a page marked otherwise by its handler (a reader's held comment: `private,
/// no-store`; feeds) keeps its own.
pub async fn pages(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    if method != Method::GET && method != Method::HEAD {
        return next.run(req).await;
    }
    let cache = state.cache().clone();
    cache.read_log(&state, false).await;
    let key = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
    let asked = Asked::of(req.headers());
    let now = state.now();
    let personal = personal(req.uri().path(), req.headers());
    if !personal && let Some(entry) = cache.get(&key, now) {
        metrics::counter!("dateline_page_cache_total", "result" => "hit").increment(1);
        return answer(&state, &entry, &asked, &method);
    }
    // One render per page at a time: when a busy page expires, the readers who ask for it
    // meanwhile wait for that render instead of each rendering it again.
    let _flight = if personal || !may_be_kept(req.uri().path()) {
        None
    } else {
        match cache.join_flight(&key) {
            Flight::Leader(guard) => Some(guard),
            Flight::Follower(mut done) => {
                let _ = tokio::time::timeout(FLIGHT_WAIT, done.changed()).await;
                if let Some(entry) = cache.get(&key, state.now()) {
                    metrics::counter!("dateline_page_cache_total", "result" => "hit").increment(1);
                    return answer(&state, &entry, &asked, &method);
                }
                None
            }
        }
    };
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", |m| m.as_str())
        .to_owned();
    let position = cache.inner.applied.load(Ordering::SeqCst);
    let response = next.run(req).await;
    let is_page = response.status() == StatusCode::OK
        && !response.headers().contains_key(header::SET_COOKIE)
        && (response.extensions().get::<Cacheable>().is_some() || is_html(&response));
    if !is_page {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let cacheable = parts.extensions.remove::<Cacheable>();
    let body = match parts.extensions.remove::<FormToken>() {
        Some(t) if !t.token.is_empty() => Pieces::AroundToken {
            pieces: split_around(&bytes, t.token.as_bytes()),
            article_id: t.article_id,
            assembled: std::sync::Mutex::new(None),
        },
        _ => Pieces::Whole(Encoded::new(bytes)),
    };
    let own_cache_control = parts.headers.contains_key(header::CACHE_CONTROL);
    if !own_cache_control {
        let tag = entity_tag(&body);
        if let Ok(v) = HeaderValue::from_str(&tag) {
            parts.headers.insert(header::ETAG, v);
        }
        if let Ok(v) = HeaderValue::from_str(&http_date(now)) {
            parts.headers.insert(header::LAST_MODIFIED, v);
        }
        parts.headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=0, s-maxage=5"),
        );
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    crate::security::add_headers(&state, &mut parts.headers);
    let private = parts
        .headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("private") || v.contains("no-store"));
    let next_due = Timestamp::from_microsecond(cache.inner.next_due.load(Ordering::SeqCst))
        .unwrap_or(Timestamp::MAX);
    let mut entry = Entry {
        number: 0,
        headers: parts.headers,
        metrics: crate::ops::RouteMetrics::of(&route),
        body,
        shows: cacheable
            .as_ref()
            .map(|c| c.shows.clone())
            .unwrap_or_default(),
        expires: cacheable
            .as_ref()
            .and_then(|c| c.until)
            .unwrap_or(Timestamp::MAX)
            .min(next_due),
    };
    if cacheable.is_some() && method == Method::GET && !private && cache.inner.capacity > 0 {
        metrics::counter!("dateline_page_cache_total", "result" => "miss").increment(1);
        // Every later answer of the page is a hit: said once here, not inserted in each. Room
        // is made for what each answer adds (its length, encoding and request id): a full
        // header map grows, and rehashes, on the first insertion into every copy.
        entry
            .headers
            .insert(&X_CACHE, HeaderValue::from_static("hit"));
        entry.headers.reserve(3);
        let entry = cache.store(key, entry, position);
        return missed(answer(&state, &entry, &asked, &method));
    }
    answer(&state, &entry, &asked, &method)
}

/// Answers a kept page before the request is routed or meets any other layer ([`crate::Site`]
/// calls it first). The page was kept with its final headers, so the layers (the request log,
/// the security headers, the error pages, the router) would only do again what they did when
/// it was rendered; skipping them takes a third off the cost of an answer from memory. The
/// request is still logged and counted ([`crate::ops::observe_early`]). `None`: the request
/// goes on to the routers, and [`pages`].
pub(crate) async fn from_memory(
    state: &AppState,
    req: &axum::http::request::Parts,
) -> Option<Response> {
    let method = &req.method;
    if (method != Method::GET && method != Method::HEAD) || personal(req.uri.path(), &req.headers) {
        return None;
    }
    let started = std::time::Instant::now();
    let cache = state.cache();
    cache.read_log(state, false).await;
    let key = req
        .uri
        .path_and_query()
        .map_or_else(|| req.uri.path(), |p| p.as_str());
    let entry = cache.get(key, state.now())?;
    static HITS: OnceLock<metrics::Counter> = OnceLock::new();
    HITS.get_or_init(|| metrics::counter!("dateline_page_cache_total", "result" => "hit"))
        .increment(1);
    let asked = Asked::of(&req.headers);
    let mut response = answer(state, &entry, &asked, method);
    crate::ops::observe_early(
        method,
        req.uri.path(),
        &entry.metrics,
        &mut response,
        started,
    );
    Some(response)
}

/// Says a page was rendered (`X-Cache: miss`), as caching proxies do, for operators and the
/// benchmark; a kept page's headers say `hit` already (see [`pages`]).
fn missed(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(&X_CACHE, HeaderValue::from_static("miss"));
    response
}

fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"))
}

/// The entity tag of a page, without its form token (which changes with the token's clock).
/// A tag only tells one version of a page from another and nobody gains by forging one, so
/// it is a fast hash, not a cryptographic one (BLAKE2b of every rendered page was a tenth of
/// the cost of a render): 128 bits, from rapidhash with two seeds.
fn entity_tag(body: &Pieces) -> String {
    use rapidhash::v3::{RapidSecrets, rapidhash_v3, rapidhash_v3_seeded};
    const SECOND: RapidSecrets = RapidSecrets::seed(0x6461_7465_6c69_6e65);
    let tag = |bytes: &[u8]| {
        format!(
            "\"{:016x}{:016x}\"",
            rapidhash_v3(bytes),
            rapidhash_v3_seeded(bytes, &SECOND)
        )
    };
    match body {
        Pieces::AroundToken { pieces, .. } => tag(&pieces.concat()),
        Pieces::Whole(page) => tag(&page.whole),
    }
}

fn split_around(bytes: &Bytes, token: &[u8]) -> Vec<Bytes> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for at in memchr::memmem::find_iter(bytes, token) {
        pieces.push(bytes.slice(start..at));
        start = at + token.len();
    }
    pieces.push(bytes.slice(start..));
    pieces
}

/// An HTTP date (RFC 9110's IMF-fixdate).
pub(crate) fn http_date(t: Timestamp) -> String {
    t.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// What the request asks of the answer.
struct Asked {
    if_none_match: Option<String>,
    if_modified_since: Option<Timestamp>,
    brotli: bool,
    gzip: bool,
}

impl Asked {
    fn of(headers: &HeaderMap) -> Self {
        let text = |name| {
            headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
        };
        let encodings = text(header::ACCEPT_ENCODING).unwrap_or("");
        // `br;q=0` refuses; any other weight accepts.
        let accepts = |name: &str| {
            encodings.split(',').any(|part| {
                let mut bits = part.split(';').map(str::trim);
                bits.next().is_some_and(|n| n.eq_ignore_ascii_case(name))
                    && bits.all(|p| {
                        p.strip_prefix("q=")
                            .and_then(|q| q.trim().parse::<f32>().ok())
                            .is_none_or(|q| q > 0.0)
                    })
            })
        };
        Asked {
            if_none_match: text(header::IF_NONE_MATCH).map(str::to_owned),
            if_modified_since: text(header::IF_MODIFIED_SINCE).and_then(|v| {
                jiff::fmt::rfc2822::DateTimeParser::new()
                    .parse_timestamp(v)
                    .ok()
            }),
            brotli: accepts("br"),
            gzip: accepts("gzip"),
        }
    }

    /// Whether the reader's copy is this one.
    fn has(&self, headers: &HeaderMap) -> bool {
        let etag = headers.get(header::ETAG).and_then(|v| v.to_str().ok());
        match (&self.if_none_match, etag) {
            (Some(tags), Some(etag)) => tags
                .split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == etag || t == "*"),
            (Some(_), None) => false,
            (None, _) if self.if_modified_since.is_none() => false,
            (None, _) => {
                let modified = headers
                    .get(header::LAST_MODIFIED)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| {
                        jiff::fmt::rfc2822::DateTimeParser::new()
                            .parse_timestamp(v)
                            .ok()
                    });
                matches!((self.if_modified_since, modified), (Some(since), Some(m)) if m <= since)
            }
        }
    }
}

/// The response for a kept (or just rendered) page.
fn answer(state: &AppState, entry: &Entry, asked: &Asked, method: &Method) -> Response {
    let mut headers = entry.headers.clone();
    if asked.has(&headers) {
        headers.remove(header::CONTENT_TYPE);
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        *response.headers_mut() = headers;
        return response;
    }
    let (body, encoding) = match &entry.body {
        Pieces::Whole(page) => page.for_reader(asked),
        Pieces::AroundToken {
            pieces,
            article_id,
            assembled,
        } => assembled_now(state, pieces, *article_id, assembled)
            .page
            .for_reader(asked),
    };
    if let Some(e) = encoding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    let mut response = if method == Method::HEAD {
        Response::new(Body::empty())
    } else {
        Response::new(Body::from(body))
    };
    *response.headers_mut() = headers;
    response
}

/// The page kept in `pieces`, put together with the form token of this moment's step: once a
/// step, whoever comes first, and then the same bytes (and compressed copies) for every reader
/// of the step, as for a page without a token.
fn assembled_now(
    state: &AppState,
    pieces: &[Bytes],
    article_id: i64,
    assembled: &std::sync::Mutex<Option<Arc<Assembled>>>,
) -> Arc<Assembled> {
    let shown = dateline_app::comments::form_token_moment(state.app());
    if let Ok(kept) = assembled.lock()
        && let Some(page) = kept.as_ref().filter(|p| p.shown == shown)
    {
        return page.clone();
    }
    let token = dateline_app::comments::form_token_shown_at(state.app(), article_id, shown);
    let total =
        pieces.iter().map(Bytes::len).sum::<usize>() + token.len() * pieces.len().saturating_sub(1);
    let mut whole = Vec::with_capacity(total);
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 {
            whole.extend_from_slice(token.as_bytes());
        }
        whole.extend_from_slice(piece);
    }
    let page = Arc::new(Assembled {
        shown,
        page: Encoded::new(Bytes::from(whole)),
    });
    if let Ok(mut kept) = assembled.lock()
        && kept.as_ref().is_none_or(|p| p.shown < shown)
    {
        *kept = Some(page.clone());
    }
    page
}

fn gzip(bytes: &[u8], level: u32) -> Bytes {
    let mut out = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 3),
        flate2::Compression::new(level),
    );
    // Writing to memory cannot fail.
    let _ = out.write_all(bytes);
    Bytes::from(out.finish().unwrap_or_default())
}

fn brotli(bytes: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(bytes.len() / 4);
    let params = brotli::enc::BrotliEncoderParams {
        quality: 6,
        ..Default::default()
    };
    let _ = brotli::BrotliCompress(&mut &bytes[..], &mut out, &params);
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_list_of_comments_notes_so_many_changes_and_is_then_read_whole() {
        let cache = PageCache::new(1 << 20);
        let keep = |article_id: i64| {
            let mut lists = cache.inner.comment_lists.lock().unwrap();
            lists.by_article.insert(
                article_id,
                KeptComments {
                    comments: Arc::new(Vec::new()),
                    changed: Vec::new(),
                },
            );
        };
        let changes_noted = |article_id: i64| {
            let lists = cache.inner.comment_lists.lock().unwrap();
            lists.by_article.get(&article_id).map(|k| k.changed.len())
        };
        keep(7);
        keep(8);
        for comment_id in 0..MOST_CHANGES as i64 {
            cache.drop_comment_lists(Some(&[(7, Some(comment_id))]));
        }
        assert_eq!(changes_noted(7), Some(MOST_CHANGES));
        // One more, and the list is forgotten rather than grow with every comment unread.
        cache.drop_comment_lists(Some(&[(7, Some(1000))]));
        assert_eq!(changes_noted(7), None);
        assert_eq!(
            changes_noted(8),
            Some(0),
            "another article's list is left alone"
        );
        // A change that names no comment forgets the list at once.
        cache.drop_comment_lists(Some(&[(8, None)]));
        assert_eq!(changes_noted(8), None);
    }

    fn teaser(id: i64) -> dateline_core::articles::Article {
        let at: Timestamp = "2026-03-02T12:00:00Z".parse().unwrap();
        dateline_core::articles::Article {
            id,
            slug: format!("teaser-{id}"),
            title: "A title long enough to weigh something in memory".to_owned(),
            dek: String::new(),
            body_markdown: String::new(),
            body_html: String::new(),
            status: dateline_core::articles::ArticleStatus::Published,
            published_at: Some(at),
            created_at: at,
            updated_at: at,
            author: dateline_core::articles::Byline {
                id: 1,
                name: "Noel".to_owned(),
                slug: "noel".to_owned(),
            },
            lead_image: None,
            sources: Vec::new(),
            topics: Vec::new(),
            comment_count: 0,
            version: 1,
            updated_by: None,
            review_requested: false,
            prominence: Default::default(),
            corrections: Vec::new(),
            comments_open: true,
        }
    }

    #[test]
    fn related_lists_stay_within_their_capacity_and_their_index_names_only_kept_lists() {
        let mut lists = RelatedLists::default();
        let mut forgotten_at_once = false;
        // Each article's list names the five articles after it: far more lists than fit.
        for owner in 0..100_000_i64 {
            let before = lists.by_article.len();
            lists.insert(
                owner,
                KeptRelated {
                    articles: Arc::new((owner + 1..owner + 6).map(teaser).collect()),
                    limit: 5,
                    expires: i64::MAX,
                },
            );
            assert!(
                lists.bytes <= RELATED_LISTS_CAPACITY,
                "{} bytes",
                lists.bytes
            );
            if lists.by_article.len() < before {
                forgotten_at_once = true;
                break;
            }
        }
        assert!(forgotten_at_once, "the lists never reached their capacity");
        assert_eq!(lists.by_article.len(), 1);
        assert_eq!(
            lists.bytes,
            lists
                .by_article
                .values()
                .map(|k| teaser_bytes(&k.articles))
                .sum::<usize>()
        );
        // The index names exactly the kept list's articles, and a change to one drops it.
        let (&owner, kept) = lists.by_article.iter().next().unwrap();
        let named: HashSet<i64> = kept.articles.iter().map(|a| a.id).collect();
        assert_eq!(
            lists.named_by.keys().copied().collect::<HashSet<_>>(),
            named
        );
        lists.drop_naming(owner + 3);
        assert!(lists.by_article.is_empty());
        assert!(lists.named_by.is_empty());
        assert_eq!(lists.bytes, 0);
    }

    /// A server's state on a new SQLite site in `dir`, keeping pages.
    async fn state_in(dir: &std::path::Path) -> AppState {
        let url = format!("sqlite://{}?mode=rwc", dir.join("site.db").display());
        let db = dateline_store::Db::connect(&url).await.unwrap();
        let media_dir = dir.join("media");
        let clock = Arc::new(dateline_core::clock::SystemClock);
        let prepared = dateline_app::bootstrap::prepare(db, clock, media_dir.clone(), None)
            .await
            .unwrap();
        AppState::new(
            prepared.app,
            crate::theme::Theme::new(None),
            crate::WebConfig {
                base_url: "http://127.0.0.1".to_owned(),
                media_dir,
                metrics_public: false,
                trust_host_header: true,
                frame_ancestors: Vec::new(),
                cors_origins: Vec::new(),
                auth_failures_per_minute: 10,
                trusted_proxies: Default::default(),
                page_cache_bytes: 1 << 20,
            },
        )
    }

    /// A list read from the database while a change is applied may predate the change: it is
    /// given to its reader, and not kept. The change comes after the readers began (their
    /// count of changes is taken first) and before they read.
    #[tokio::test]
    async fn a_list_read_while_a_change_is_applied_is_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let state = state_in(dir.path()).await;
        let cache = state.cache();
        let kept = |article_id: i64| {
            (
                cache
                    .inner
                    .comment_lists
                    .lock()
                    .unwrap()
                    .by_article
                    .contains_key(&article_id),
                cache
                    .inner
                    .related_lists
                    .lock()
                    .unwrap()
                    .by_article
                    .contains_key(&article_id),
            )
        };
        let now = state.now();
        // Read alone, both lists are kept.
        cache.approved_comments(&state, 1).await.unwrap();
        cache.related_articles(&state, 1, now, 5).await.unwrap();
        assert_eq!(kept(1), (true, true));
        // A change to another article, applied after two readers began and before they read,
        // leaves the lists it does not name alone, and keeps what they read out of memory.
        let comment_drops = cache.inner.comment_drops.load(Ordering::SeqCst);
        let related_drops = cache.inner.related_drops.load(Ordering::SeqCst);
        cache.drop_comment_lists(Some(&[(9, Some(1))]));
        cache.drop_related_lists(Some(&[Shows::Article(9)]));
        let comments = cache.approved_comments_since(&state, 2, comment_drops);
        let related = cache.related_articles_since(&state, 2, now, 5, related_drops);
        assert!(comments.await.unwrap().is_empty() && related.await.unwrap().is_empty());
        assert_eq!(kept(2), (false, false));
        assert_eq!(kept(1), (true, true));
    }

    #[test]
    fn a_page_is_kept_in_the_pieces_around_each_token() {
        let page = Bytes::from_static(b"<form>TOKEN</form><form>TOKEN</form>!");
        let pieces = split_around(&page, b"TOKEN");
        assert_eq!(pieces, ["<form>", "</form><form>", "</form>!"]);
        assert_eq!(split_around(&page, b"ABSENT"), std::slice::from_ref(&page));
    }

    #[test]
    fn an_article_event_says_when_its_article_comes_due() {
        use dateline_core::{
            actor::Actor,
            events::{Event, EventKind, Subject},
        };
        let now: Timestamp = "2026-03-02T12:00:00Z".parse().unwrap();
        let due = |kind: EventKind, payload: serde_json::Value| {
            let event = Event {
                id: 1,
                kind,
                actor: Actor::System.reference(),
                subject: Subject {
                    kind: kind.subject_kind(),
                    id: Some(7),
                },
                payload,
                created_at: now,
            };
            match comes_due(&event, now.as_microsecond()) {
                Due::Never => "never".to_owned(),
                Due::At(at) => Timestamp::from_microsecond(at).unwrap().to_string(),
                Due::Unknown => "unknown".to_owned(),
            }
        };
        let summary =
            |status: &str, at: &str| serde_json::json!({"status": status, "published_at": at});
        let later = "2026-03-02T12:10:00Z";
        assert_eq!(
            due(EventKind::ArticleScheduled, summary("scheduled", later)),
            later
        );
        assert_eq!(
            due(EventKind::ArticleUpdated, summary("published", later)),
            later
        );
        assert_eq!(
            due(
                EventKind::ArticlePublished,
                summary("published", "2026-03-02T11:00:00Z")
            ),
            "never"
        );
        assert_eq!(
            due(
                EventKind::ArticleUpdated,
                serde_json::json!({"status": "draft", "published_at": null})
            ),
            "never"
        );
        assert_eq!(
            due(EventKind::ArticleDeleted, summary("scheduled", later)),
            "never"
        );
        assert_eq!(
            due(EventKind::ArticleUpdated, serde_json::json!({})),
            "unknown"
        );
        assert_eq!(
            due(EventKind::ArticleUpdated, summary("scheduled", "soon")),
            "unknown"
        );
    }

    #[test]
    fn the_entity_tag_does_not_change_with_the_token() {
        let tag = |page: &'static [u8], token: &[u8]| {
            entity_tag(&Pieces::AroundToken {
                pieces: split_around(&Bytes::from_static(page), token),
                article_id: 1,
                assembled: std::sync::Mutex::new(None),
            })
        };
        assert_eq!(tag(b"<p>aaaa</p>", b"aaaa"), tag(b"<p>bbbb</p>", b"bbbb"));
        assert_ne!(tag(b"<p>aaaa</p>", b"aaaa"), tag(b"<b>bbbb</b>", b"bbbb"));
    }
}
