//! The newsroom's articles: the list (filters, search, pages), the editor (every field of an
//! article, its status buttons, a preview by the public page's renderer, corrections, the front
//! page), the trash, and revisions with their word-level diffs. Every change goes through the
//! article actions, so the admin and the API enforce the same rules.

use axum::{
    Json,
    extract::{Path, RawQuery, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};
use dateline_app::{articles, auth::SignedIn, media};
use dateline_core::{
    Error,
    actor::Actor,
    articles::{
        Article, ArticleForm, ArticlePatch, ArticleStatus, LeadImageForm, Prominence, SourceForm,
    },
    markdown,
    patch::Patch,
    revisions::{self, FieldDiff, Snapshot},
};
use jiff::{Timestamp, civil::DateTime, tz::TimeZone};
use serde::{Deserialize, Serialize};

use super::{
    multipart::MultipartForm,
    pages::Frame,
    session::{Admin, check_csrf},
};
use crate::{
    AppState, SiteError,
    extract::{FormField, SiteForm, parse_id},
    site::{
        render,
        views::{CorrectionView, exact_time, iso},
    },
};

/// Articles on one page of the list.
const PER_PAGE: i64 = 20;
/// Empty source rows the editor offers below the filled ones.
const BLANK_SOURCE_ROWS: usize = 1;

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn query_get<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

/// How the list names a status.
fn status_label(a: &Article, now: Timestamp) -> &'static str {
    match a.status {
        ArticleStatus::Draft if a.review_requested => "For review",
        ArticleStatus::Draft => "Draft",
        ArticleStatus::Scheduled if a.is_visible_at(now) => "Published",
        ArticleStatus::Scheduled => "Scheduled",
        ArticleStatus::Published => "Published",
    }
}

#[derive(Serialize)]
struct ListRow {
    id: i64,
    title: String,
    status: &'static str,
    author: String,
    edited: String,
    edited_iso: String,
    edited_by: Option<String>,
    when: Option<String>,
    when_iso: Option<String>,
    prominence: &'static str,
    view_url: Option<String>,
    trashed: bool,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct ListPage {
    frame: Frame,
    rows: Vec<ListRow>,
    total: i64,
    page: i64,
    pages: i64,
    newer_url: Option<String>,
    older_url: Option<String>,
    q: String,
    statuses: Vec<Choice>,
    authors: Vec<Choice>,
    topics: Vec<Choice>,
    showing_trash: bool,
    heading: String,
}

/// `GET /admin/articles`: every article the signed-in member may edit, newest first, filtered
/// by status (or the review list, or the trash), author and topic, searched by title.
pub async fn list(
    State(state): State<AppState>,
    Admin(me): Admin,
    RawQuery(query): RawQuery,
) -> Result<Response, SiteError> {
    let frame = Frame::new(&state, &me, "articles", query.as_deref()).await?;
    let tz = frame.site.tz();
    let pairs = query_pairs(query.as_deref());
    let actor = me.actor();
    let now = state.now();
    let status = query_get(&pairs, "status");
    let mut filter = match status {
        "trash" => articles::trash_scope_for(&actor)?,
        "review" => articles::scope_for(&actor, now).for_review(),
        "draft" | "scheduled" | "published" => {
            articles::scope_for(&actor, now).with_status(ArticleStatus::parse("status", status)?)
        }
        _ => articles::scope_for(&actor, now),
    };
    // Authors and contributors see their own work here; the site shows them the rest.
    if !me.user.role.can_edit_others() && status != "trash" {
        filter = filter.by_author(me.user.id);
    }
    let author = query_get(&pairs, "author");
    if let Ok(id) = author.parse::<i64>() {
        filter = filter.by_author(id);
    }
    let topic = query_get(&pairs, "topic");
    if !topic.is_empty() {
        filter = filter.in_topic(topic.to_owned());
    }
    let q = query_get(&pairs, "q").trim().to_owned();
    if !q.is_empty() {
        dateline_core::text::check_controls("q", &q)?;
        filter = filter.title_contains(q.chars().take(200).collect());
    }
    let page = query_get(&pairs, "page")
        .parse::<i64>()
        .ok()
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1);
    let (items, total) = state
        .db()
        .list_articles(&filter, PER_PAGE, (page - 1) * PER_PAGE)
        .await?;
    let rows = items
        .into_iter()
        .map(|a| ListRow {
            status: status_label(&a, now),
            edited: exact_time(a.updated_at, &tz),
            edited_iso: iso(a.updated_at),
            edited_by: a.updated_by.as_ref().map(|e| e.name.clone()),
            when: a.published_at.map(|t| exact_time(t, &tz)),
            when_iso: a.published_at.map(iso),
            prominence: match a.prominence {
                Prominence::Normal => "",
                Prominence::Featured => "Featured",
                Prominence::Lead => "Lead story",
            },
            view_url: a.is_visible_at(now).then(|| a.path(&tz)).flatten(),
            trashed: status == "trash",
            id: a.id,
            title: a.title,
            author: a.author.name,
        })
        .collect();
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let url_of = |p: i64| {
        let mut kept: Vec<(String, String)> = pairs
            .iter()
            .filter(|(k, _)| k != "page" && k != "done")
            .cloned()
            .collect();
        if p > 1 {
            kept.push(("page".into(), p.to_string()));
        }
        let qs = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(kept)
            .finish();
        if qs.is_empty() {
            "/admin/articles".to_owned()
        } else {
            format!("/admin/articles?{qs}")
        }
    };
    let statuses = [
        ("", "Every status"),
        ("draft", "Drafts"),
        ("review", "For review"),
        ("scheduled", "Scheduled"),
        ("published", "Published"),
        ("trash", "Trash"),
    ]
    .into_iter()
    .map(|(v, l)| Choice {
        value: v.into(),
        label: l.into(),
        selected: v == status,
    })
    .collect();
    let authors = if me.user.role.can_edit_others() {
        state
            .db()
            .accounts()
            .await?
            .into_iter()
            .filter(|a| a.can_sign_in)
            .map(|a| Choice {
                selected: a.user.id.to_string() == author,
                value: a.user.id.to_string(),
                label: a.user.name,
            })
            .collect()
    } else {
        Vec::new()
    };
    let topics = state
        .db()
        .topics()
        .await?
        .into_iter()
        .map(|t| Choice {
            selected: t.slug == topic,
            value: t.slug,
            label: t.name,
        })
        .collect();
    let heading = match status {
        "trash" => "Trash",
        "review" => "For review",
        _ => "Articles",
    };
    let view = ListPage {
        frame,
        rows,
        total,
        page,
        pages,
        newer_url: (page > 1).then(|| url_of(page - 1)),
        older_url: (page < pages).then(|| url_of(page + 1)),
        q,
        statuses,
        authors,
        topics,
        showing_trash: status == "trash",
        heading: heading.into(),
    };
    Ok(Html(render(&state, "admin/articles.html", view)?).into_response())
}

/// A source row of the editor, as typed.
#[derive(Debug, Default, Clone, Serialize)]
struct SourceRow {
    title: String,
    author: String,
    outlet: String,
    url: String,
    date: String,
}

impl SourceRow {
    fn is_blank(&self) -> bool {
        [
            &self.title,
            &self.author,
            &self.outlet,
            &self.url,
            &self.date,
        ]
        .iter()
        .all(|v| v.trim().is_empty())
    }
}

/// The editor's fields as typed (or as stored, for an article just opened).
#[derive(Debug, Default, Clone, Serialize)]
struct Values {
    title: String,
    slug: String,
    dek: String,
    body_markdown: String,
    lead_media_id: String,
    lead_caption: String,
    lead_alt: String,
    lead_credit: String,
    sources: Vec<SourceRow>,
    topics: String,
    author_email: String,
    publish_at: String,
    /// Readers may no longer add comments (a checkbox, so that unticked is the default: open).
    comments_closed: bool,
}

/// `published_at` as a `datetime-local` value in the site's time zone.
fn local_input(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%dT%H:%M")
        .to_string()
}

/// A `datetime-local` value, read in the site's time zone.
fn parse_local(value: &str, tz: &TimeZone) -> Result<Timestamp, Error> {
    let invalid = || {
        Error::invalid(
            "published_at",
            "Give the date and time to publish, such as 2026-12-01 09:00.",
        )
    };
    let dt: DateTime = value.trim().parse().map_err(|_| invalid())?;
    dt.to_zoned_datetime(tz.clone())
        .map(|z| z.timestamp())
        .map_err(|_| invalid())
}

impl Values {
    fn of(a: &Article, tz: &TimeZone) -> Self {
        Values {
            title: a.title.clone(),
            slug: a.slug.clone(),
            dek: a.dek.clone(),
            body_markdown: a.body_markdown.clone(),
            lead_media_id: a
                .lead_image
                .as_ref()
                .map(|l| l.media.id.to_string())
                .unwrap_or_default(),
            lead_caption: a
                .lead_image
                .as_ref()
                .map(|l| l.caption.clone())
                .unwrap_or_default(),
            lead_alt: a
                .lead_image
                .as_ref()
                .map(|l| l.alt.clone())
                .unwrap_or_default(),
            lead_credit: a
                .lead_image
                .as_ref()
                .and_then(|l| l.credit.clone())
                .unwrap_or_default(),
            sources: a
                .sources
                .iter()
                .map(|s| SourceRow {
                    title: s.title.clone(),
                    author: s.author.clone().unwrap_or_default(),
                    outlet: s.outlet.clone().unwrap_or_default(),
                    url: s.url.clone().unwrap_or_default(),
                    date: s.published_at.clone().unwrap_or_default(),
                })
                .collect(),
            topics: a
                .topics
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            author_email: String::new(),
            publish_at: a
                .published_at
                .filter(|_| a.status == ArticleStatus::Scheduled)
                .map(|t| local_input(t, tz))
                .unwrap_or_default(),
            comments_closed: !a.comments_open,
        }
    }

    /// Reads the editor's form: the source rows are `source-N-title` and so on, in the order
    /// of N; a row whose "remove" box is ticked is left out.
    fn from_form(form: &MultipartForm) -> Self {
        let mut rows: Vec<(usize, SourceRow)> = Vec::new();
        for (key, value) in &form.fields {
            let Some(rest) = key.strip_prefix("source-") else {
                continue;
            };
            let Some((n, part)) = rest.split_once('-') else {
                continue;
            };
            let Ok(n) = n.parse::<usize>() else { continue };
            if n > 200 {
                continue;
            }
            let row = match rows.iter_mut().find(|(i, _)| *i == n) {
                Some((_, row)) => row,
                None => {
                    rows.push((n, SourceRow::default()));
                    &mut rows.last_mut().expect("just pushed").1
                }
            };
            match part {
                "title" => row.title = value.clone(),
                "author" => row.author = value.clone(),
                "outlet" => row.outlet = value.clone(),
                "url" => row.url = value.clone(),
                "date" => row.date = value.clone(),
                _ => {}
            }
        }
        rows.sort_by_key(|(n, _)| *n);
        let sources = rows
            .into_iter()
            .filter(|(n, _)| !form.has(&format!("source-{n}-remove")))
            .map(|(_, r)| r)
            .collect();
        Values {
            title: form.get("title").to_owned(),
            slug: form.get("slug").trim().to_owned(),
            dek: form.get("dek").to_owned(),
            body_markdown: form.get("body_markdown").to_owned(),
            lead_media_id: form.get("lead_media_id").trim().to_owned(),
            lead_caption: form.get("lead_caption").to_owned(),
            lead_alt: form.get("lead_alt").to_owned(),
            lead_credit: form.get("lead_credit").to_owned(),
            sources,
            topics: form.get("topics").to_owned(),
            author_email: form.get("author_email").trim().to_owned(),
            publish_at: form.get("publish_at").trim().to_owned(),
            comments_closed: form.has("comments_closed"),
        }
    }

    /// The filled source rows, with the row each came from (for pointing at a mistake).
    fn filled_sources(&self) -> Vec<(usize, &SourceRow)> {
        self.sources
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.is_blank())
            .collect()
    }

    fn lead_image(&self) -> Result<Option<LeadImageForm>, Error> {
        if self.lead_media_id.is_empty() {
            return Ok(None);
        }
        let media_id = self.lead_media_id.parse::<i64>().map_err(|_| {
            Error::invalid("lead_image.media_id", "Choose an image from the library.")
        })?;
        Ok(Some(LeadImageForm {
            media_id,
            caption: self.lead_caption.clone(),
            alt: self.lead_alt.clone(),
            credit: Some(self.lead_credit.clone()).filter(|c| !c.trim().is_empty()),
        }))
    }

    fn sources_form(&self) -> Vec<SourceForm> {
        self.filled_sources()
            .into_iter()
            .map(|(_, r)| SourceForm {
                title: r.title.clone(),
                author: Some(r.author.clone()),
                outlet: Some(r.outlet.clone()),
                url: Some(r.url.trim().to_owned()),
                published_at: Some(r.date.trim().to_owned()),
            })
            .collect()
    }

    fn topics_list(&self) -> Vec<String> {
        self.topics
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// A new article from these values with `status` (and its time).
    fn article_form(
        &self,
        status: ArticleStatus,
        published_at: Option<String>,
    ) -> Result<ArticleForm, Error> {
        Ok(ArticleForm {
            title: self.title.clone(),
            body_markdown: self.body_markdown.clone(),
            dek: Some(self.dek.clone()),
            slug: Some(self.slug.clone()).filter(|s| !s.is_empty()),
            status: status.as_str().to_owned(),
            published_at,
            author_email: Some(self.author_email.clone()).filter(|e| !e.is_empty()),
            lead_image: self.lead_image()?,
            sources: Some(self.sources_form()),
            topics: Some(self.topics_list()),
            comments_open: Some(!self.comments_closed),
        })
    }

    /// The patch that makes a stored article these values (its status is set apart).
    fn patch(&self) -> Result<ArticlePatch, Error> {
        Ok(ArticlePatch {
            title: Patch::Value(self.title.clone()),
            body_markdown: Patch::Value(self.body_markdown.clone()),
            dek: Patch::Value(self.dek.clone()),
            slug: if self.slug.is_empty() {
                Patch::Null
            } else {
                Patch::Value(self.slug.clone())
            },
            author_email: if self.author_email.is_empty() {
                Patch::Absent
            } else {
                Patch::Value(self.author_email.clone())
            },
            lead_image: match self.lead_image()? {
                Some(l) => Patch::Value(l),
                None => Patch::Null,
            },
            sources: Patch::Value(self.sources_form()),
            topics: Patch::Value(self.topics_list()),
            comments_open: Patch::Value(!self.comments_closed),
            ..Default::default()
        })
    }

    /// The input an error names: `sources[1].url` is the URL of the second filled row.
    fn input_of(&self, field: &str) -> String {
        if let Some(rest) = field.strip_prefix("sources[") {
            let (n, part) = rest
                .split_once("].")
                .unwrap_or((rest.trim_end_matches(']'), "title"));
            let row = n
                .parse::<usize>()
                .ok()
                .and_then(|i| self.filled_sources().get(i).map(|(row, _)| *row))
                .unwrap_or(0);
            let part = if part == "published_at" { "date" } else { part };
            return format!("source-{row}-{part}");
        }
        match field {
            "lead_image.alt" => "lead_alt",
            "lead_image.caption" => "lead_caption",
            "lead_image.credit" => "lead_credit",
            "lead_image.media_id" | "lead_image" => "lead_media_id",
            "published_at" => "publish_at",
            f if f.starts_with("topics") || f == "topic" => "topics",
            "status" => "title",
            f => f,
        }
        .to_owned()
    }

    /// What a revision would keep of these values, on top of the stored article (for
    /// comparing the two versions of a refused save).
    fn snapshot_over(&self, stored: &Article) -> Snapshot {
        let mut s = Snapshot::of(stored);
        s.title = self.title.clone();
        s.slug = self.slug.clone();
        s.dek = self.dek.clone();
        s.body_markdown = self.body_markdown.clone();
        s.topics = self.topics_list();
        s.sources = self
            .filled_sources()
            .into_iter()
            .map(|(_, r)| dateline_core::articles::Source {
                title: r.title.clone(),
                author: Some(r.author.clone()).filter(|v| !v.is_empty()),
                outlet: Some(r.outlet.clone()).filter(|v| !v.is_empty()),
                url: Some(r.url.clone()).filter(|v| !v.is_empty()),
                published_at: Some(r.date.clone()).filter(|v| !v.is_empty()),
            })
            .collect();
        s
    }
}

#[derive(Serialize)]
struct ConflictView {
    current_version: i64,
    saved_by: Option<String>,
    saved_at: String,
    diff: Vec<FieldDiff>,
    theirs_title: String,
    theirs_dek: String,
    theirs_body: String,
}

#[derive(Serialize)]
struct EditorPage {
    frame: Frame,
    id: Option<i64>,
    version: i64,
    values: Values,
    status: &'static str,
    is_draft: bool,
    is_visible: bool,
    is_scheduled: bool,
    review_requested: bool,
    can_publish: bool,
    can_upload: bool,
    /// The upload limit, as a sentence.
    max_upload: String,
    is_editor: bool,
    view_url: Option<String>,
    authors: Vec<Choice>,
    images: Vec<super::media::ImageChoice>,
    topic_names: Vec<String>,
    preview_html: Option<String>,
    error: Option<String>,
    error_field: Option<String>,
    conflict: Option<ConflictView>,
    corrections: Vec<CorrectionView>,
    prominence: &'static str,
    time_zone: String,
    edited: Option<String>,
    edited_by: Option<String>,
    correction_kind: String,
    correction_body: String,
}

/// What the editor shows besides the fields.
#[derive(Default)]
struct Extras {
    preview: bool,
    error: Option<Error>,
    conflict: Option<ConflictView>,
    correction: Option<(String, String)>,
    /// One more empty source row than usual ("Add a source").
    more_sources: bool,
}

async fn editor_page(
    state: &AppState,
    me: &SignedIn,
    query: Option<&str>,
    stored: Option<&Article>,
    values: Values,
    extras: Extras,
) -> Result<Response, SiteError> {
    let frame = Frame::new(state, me, "articles", query).await?;
    let tz = frame.site.tz();
    let now = state.now();
    let role = me.user.role;
    let images = super::media::choices(state, values.lead_media_id.parse().ok()).await?;
    let authors = if role.can_edit_others() {
        let current = stored.map(|a| a.author.id).unwrap_or(me.user.id);
        state
            .db()
            .accounts()
            .await?
            .into_iter()
            .filter(|a| a.can_sign_in && a.active)
            .map(|a| Choice {
                selected: if values.author_email.is_empty() {
                    a.user.id == current
                } else {
                    a.user.email.eq_ignore_ascii_case(&values.author_email)
                },
                value: a.user.email,
                label: a.user.name,
            })
            .collect()
    } else {
        Vec::new()
    };
    let (status_code, error, error_field) = match extras.error {
        None => (StatusCode::OK, None, None),
        Some(Error::Invalid { field, reason }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(reason),
            Some(values.input_of(&field)),
        ),
        Some(e @ (Error::Unsupported { .. } | Error::TooLarge(_))) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(crate::error::sentence(&e.to_string().replace("file: ", ""))),
            Some("lead_file".to_owned()),
        ),
        Some(Error::Conflict { field }) => (
            StatusCode::CONFLICT,
            Some(format!(
                "This {field} is already taken by another article, or was one of its earlier addresses: choose another."
            )),
            Some(field.to_owned()),
        ),
        Some(Error::EditConflict { .. }) => (StatusCode::CONFLICT, None, None),
        Some(other) => return Err(SiteError(other)),
    };
    // Empty rows close up; below the filled ones come the empty ones to fill.
    let mut values = values;
    values.sources.retain(|r| !r.is_blank());
    let blank = BLANK_SOURCE_ROWS + usize::from(extras.more_sources);
    values
        .sources
        .extend(std::iter::repeat_n(SourceRow::default(), blank));
    let (correction_kind, correction_body) = extras.correction.unwrap_or_default();
    let page = EditorPage {
        frame,
        id: stored.map(|a| a.id),
        version: extras
            .conflict
            .as_ref()
            .map(|c| c.current_version)
            .or(stored.map(|a| a.version))
            .unwrap_or(0),
        status: stored.map_or("New", |a| status_label(a, now)),
        is_draft: stored.is_none_or(|a| a.status == ArticleStatus::Draft),
        is_visible: stored.is_some_and(|a| a.is_visible_at(now)),
        is_scheduled: stored
            .is_some_and(|a| a.status == ArticleStatus::Scheduled && !a.is_visible_at(now)),
        review_requested: stored.is_some_and(|a| a.review_requested),
        can_publish: role.can_publish(),
        can_upload: role.can_publish(),
        max_upload: super::media::limit_sentence(state),
        is_editor: role.can_edit_others(),
        view_url: stored
            .filter(|a| a.is_visible_at(now))
            .and_then(|a| a.path(&tz)),
        authors,
        images,
        topic_names: state
            .db()
            .topics()
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect(),
        preview_html: extras
            .preview
            .then(|| markdown::render(&values.body_markdown)),
        error,
        error_field,
        conflict: extras.conflict,
        corrections: stored
            .map(|a| {
                a.corrections
                    .iter()
                    .map(|c| CorrectionView {
                        label: c.kind.label(),
                        date_text: exact_time(c.created_at, &tz),
                        date_iso: iso(c.created_at),
                        body: c.body.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        prominence: stored.map_or("normal", |a| a.prominence.as_str()),
        time_zone: frame_tz_name(state).await?,
        edited: stored.map(|a| exact_time(a.updated_at, &tz)),
        edited_by: stored.and_then(|a| a.updated_by.as_ref().map(|e| e.name.clone())),
        correction_kind,
        correction_body,
        values,
    };
    Ok((status_code, render(state, "admin/editor.html", page)?).into_response())
}

async fn frame_tz_name(state: &AppState) -> Result<String, SiteError> {
    Ok(state.db().site_settings().await?.time_zone)
}

/// `GET /admin/articles/new`
pub async fn new(
    State(state): State<AppState>,
    Admin(me): Admin,
    RawQuery(query): RawQuery,
) -> Result<Response, SiteError> {
    editor_page(
        &state,
        &me,
        query.as_deref(),
        None,
        Values::default(),
        Extras::default(),
    )
    .await
}

/// `GET /admin/articles/{id}`
pub async fn edit(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, SiteError> {
    let id = parse_id(&id)?;
    let actor = me.actor();
    let article = articles::readable(state.app(), &actor, id).await?;
    // Others' published articles are readable by everyone; only editable ones open here.
    dateline_core::permissions::may_edit_article(&actor, &article)?;
    let tz = state.db().site_settings().await?.tz();
    let values = Values::of(&article, &tz);
    editor_page(
        &state,
        &me,
        query.as_deref(),
        Some(&article),
        values,
        Extras::default(),
    )
    .await
}

/// What a press of one of the editor's buttons asks for.
#[derive(Debug, PartialEq)]
enum Intent {
    Save,
    Review,
    Publish,
    Schedule,
    Unpublish,
    Preview,
    AddSource,
    MoveSource(usize, bool),
    Autosave,
}

impl Intent {
    fn parse(s: &str) -> Self {
        if let Some(n) = s.strip_prefix("source-up-").and_then(|n| n.parse().ok()) {
            return Intent::MoveSource(n, true);
        }
        if let Some(n) = s.strip_prefix("source-down-").and_then(|n| n.parse().ok()) {
            return Intent::MoveSource(n, false);
        }
        match s {
            "review" => Intent::Review,
            "publish" => Intent::Publish,
            "schedule" => Intent::Schedule,
            "unpublish" => Intent::Unpublish,
            "preview" => Intent::Preview,
            "add-source" => Intent::AddSource,
            "autosave" => Intent::Autosave,
            _ => Intent::Save,
        }
    }

    /// The confirmation the editor shows after the save.
    fn done(&self) -> &'static str {
        match self {
            Intent::Review => "review",
            Intent::Publish => "published",
            Intent::Schedule => "scheduled",
            Intent::Unpublish => "unpublished",
            _ => "saved",
        }
    }
}

/// Uploads the file chosen in the editor, if any, and makes it the lead image; the library's
/// description fills the lead's fields left empty.
async fn take_upload(
    state: &AppState,
    actor: &Actor,
    form: &mut MultipartForm,
    values: &mut Values,
) -> Result<(), Error> {
    if let Some(file) = form.take_file("lead_file") {
        let m = media::upload(state.app(), actor, file.bytes, &file.file_name).await?;
        values.lead_media_id = m.id.to_string();
    }
    if let Ok(id) = values.lead_media_id.parse::<i64>()
        && let Some(m) = state.db().media_by_id(id).await?
    {
        if values.lead_alt.trim().is_empty() {
            values.lead_alt = m.alt;
        }
        if values.lead_caption.trim().is_empty() {
            values.lead_caption = m.caption;
        }
        if values.lead_credit.trim().is_empty() {
            values.lead_credit = m.credit.unwrap_or_default();
        }
    }
    Ok(())
}

/// Rearranges the source rows without saving (the buttons that work without JavaScript).
fn arrange_sources(values: &mut Values, intent: &Intent) {
    if let Intent::MoveSource(n, up) = *intent {
        let len = values.sources.len();
        if up && n > 0 && n < len {
            values.sources.swap(n, n - 1);
        } else if !up && n + 1 < len {
            values.sources.swap(n, n + 1);
        }
    }
}

/// `POST /admin/articles`: creates the article the editor describes.
pub async fn create(
    State(state): State<AppState>,
    Admin(me): Admin,
    mut form: MultipartForm,
) -> Result<Response, SiteError> {
    check_csrf(&me, form.get("csrf"))?;
    let intent = Intent::parse(form.get("intent"));
    let mut values = Values::from_form(&form);
    let actor = me.actor();
    if let Err(e) = take_upload(&state, &actor, &mut form, &mut values).await {
        return fail(&state, &me, None, values, e, &intent).await;
    }
    if matches!(
        intent,
        Intent::Preview | Intent::AddSource | Intent::MoveSource(..)
    ) {
        arrange_sources(&mut values, &intent);
        let extras = Extras {
            preview: intent == Intent::Preview,
            more_sources: intent == Intent::AddSource,
            ..Default::default()
        };
        return editor_page(&state, &me, None, None, values, extras).await;
    }
    let tz = state.db().site_settings().await?.tz();
    let form_for = |status, at| values.article_form(status, at);
    let built = match intent {
        Intent::Publish => form_for(ArticleStatus::Published, None),
        Intent::Schedule => parse_local(&values.publish_at, &tz)
            .and_then(|at| form_for(ArticleStatus::Scheduled, Some(at.to_string()))),
        _ => form_for(ArticleStatus::Draft, None),
    };
    let created = match built {
        Ok(f) => articles::create(state.app(), &actor, &f).await,
        Err(e) => Err(e),
    };
    let article = match created {
        Ok(a) => a,
        Err(e) => return fail(&state, &me, None, values, e, &intent).await,
    };
    if intent == Intent::Review {
        articles::submit_for_review(state.app(), &actor, article.id).await?;
    }
    if intent == Intent::Autosave {
        return Ok(autosaved(&state, &article).await?.into_response());
    }
    Ok(Redirect::to(&format!(
        "/admin/articles/{}?done={}",
        article.id,
        intent.done()
    ))
    .into_response())
}

/// `POST /admin/articles/{id}`: saves the editor's fields, then applies the button's status
/// change. A save made meanwhile by someone else refuses this one: both versions are shown.
pub async fn update(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<String>,
    mut form: MultipartForm,
) -> Result<Response, SiteError> {
    check_csrf(&me, form.get("csrf"))?;
    let id = parse_id(&id)?;
    let actor = me.actor();
    let stored = articles::readable(state.app(), &actor, id).await?;
    let intent = Intent::parse(form.get("intent"));
    let read_version = form.get("version").parse::<i64>().ok();
    let mut values = Values::from_form(&form);
    if let Err(e) = take_upload(&state, &actor, &mut form, &mut values).await {
        return fail(&state, &me, Some(&stored), values, e, &intent).await;
    }
    if matches!(
        intent,
        Intent::Preview | Intent::AddSource | Intent::MoveSource(..)
    ) {
        arrange_sources(&mut values, &intent);
        let extras = Extras {
            preview: intent == Intent::Preview,
            more_sources: intent == Intent::AddSource,
            ..Default::default()
        };
        return editor_page(&state, &me, None, Some(&stored), values, extras).await;
    }
    let tz = state.db().site_settings().await?.tz();
    let now = state.now();
    let patch = values.patch().and_then(|mut p| {
        match intent {
            Intent::Publish => {
                p.status = Patch::Value(ArticleStatus::Published.as_str().into());
                if !stored.is_visible_at(now) {
                    // Published now, whatever time a draft carried.
                    p.published_at = Patch::Null;
                }
            }
            Intent::Schedule => {
                let at = parse_local(&values.publish_at, &tz)?;
                p.status = Patch::Value(ArticleStatus::Scheduled.as_str().into());
                p.published_at = Patch::Value(at.to_string());
            }
            Intent::Unpublish => {
                p.status = Patch::Value(ArticleStatus::Draft.as_str().into());
            }
            _ => {}
        }
        Ok(p)
    });
    let saved = match patch {
        Ok(p) if intent == Intent::Autosave => {
            articles::autosave(state.app(), &actor, id, p, read_version).await
        }
        Ok(p) => articles::update(state.app(), &actor, id, p, read_version).await,
        Err(e) => Err(e),
    };
    let article = match saved {
        Ok(a) => a,
        Err(e) => return fail(&state, &me, Some(&stored), values, e, &intent).await,
    };
    if intent == Intent::Review && !article.review_requested {
        articles::submit_for_review(state.app(), &actor, id).await?;
    }
    if intent == Intent::Autosave {
        return Ok(autosaved(&state, &article).await?.into_response());
    }
    Ok(Redirect::to(&format!("/admin/articles/{id}?done={}", intent.done())).into_response())
}

/// What an autosave answers the script: the new version to send next time.
#[derive(Serialize)]
struct Autosaved {
    id: i64,
    version: i64,
    saved_at: String,
    edit_url: String,
}

async fn autosaved(state: &AppState, a: &Article) -> Result<Json<Autosaved>, SiteError> {
    let tz = state.db().site_settings().await?.tz();
    Ok(Json(Autosaved {
        id: a.id,
        version: a.version,
        saved_at: exact_time(a.updated_at, &tz),
        edit_url: format!("/admin/articles/{}", a.id),
    }))
}

/// The editor again after a refused save: what was typed, what to correct; or, when someone
/// else saved first, both versions side by side.
async fn fail(
    state: &AppState,
    me: &SignedIn,
    stored: Option<&Article>,
    values: Values,
    error: Error,
    intent: &Intent,
) -> Result<Response, SiteError> {
    if *intent == Intent::Autosave {
        return Err(SiteError(error));
    }
    if let (Error::EditConflict { .. }, Some(old)) = (&error, stored) {
        let current = articles::readable(state.app(), &me.actor(), old.id).await?;
        let tz = state.db().site_settings().await?.tz();
        let diff = revisions::diff(&Snapshot::of(&current), &values.snapshot_over(&current));
        let conflict = ConflictView {
            current_version: current.version,
            saved_by: current.updated_by.as_ref().map(|e| e.name.clone()),
            saved_at: exact_time(current.updated_at, &tz),
            diff,
            theirs_title: current.title.clone(),
            theirs_dek: current.dek.clone(),
            theirs_body: current.body_markdown.clone(),
        };
        let extras = Extras {
            conflict: Some(conflict),
            error: Some(error),
            ..Default::default()
        };
        return editor_page(state, me, None, Some(&current), values, extras).await;
    }
    let extras = Extras {
        error: Some(error),
        ..Default::default()
    };
    editor_page(state, me, None, stored, values, extras).await
}

/// A form that only carries the session's token (trash, restore).
#[derive(Debug, Default, Deserialize)]
pub struct CsrfFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: String,
}

impl FormField for CsrfFields {
    const MAIN_FIELD: &'static str = "csrf";
}

/// `POST /admin/articles/{id}/trash`
pub async fn trash(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<String>,
    SiteForm(f): SiteForm<CsrfFields>,
) -> Result<Response, SiteError> {
    check_csrf(&me, &f.csrf)?;
    articles::trash(state.app(), &me.actor(), parse_id(&id)?).await?;
    Ok(Redirect::to("/admin/articles?done=trashed").into_response())
}

/// `POST /admin/articles/{id}/restore`
pub async fn restore(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<String>,
    SiteForm(f): SiteForm<CsrfFields>,
) -> Result<Response, SiteError> {
    check_csrf(&me, &f.csrf)?;
    let a = articles::restore(state.app(), &me.actor(), parse_id(&id)?).await?;
    Ok(Redirect::to(&format!("/admin/articles/{}?done=restored", a.id)).into_response())
}

/// The correction form of the editor.
#[derive(Debug, Default, Deserialize)]
pub struct CorrectionFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    body: String,
}

impl FormField for CorrectionFields {
    const MAIN_FIELD: &'static str = "body";
}

/// `POST /admin/articles/{id}/corrections`
pub async fn add_correction(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<String>,
    SiteForm(f): SiteForm<CorrectionFields>,
) -> Result<Response, SiteError> {
    check_csrf(&me, &f.csrf)?;
    let id = parse_id(&id)?;
    let actor = me.actor();
    match articles::add_correction(state.app(), &actor, id, &f.kind, &f.body).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/articles/{id}?done=corrected")).into_response()),
        Err(Error::Invalid { field, reason }) => {
            let stored = articles::readable(state.app(), &actor, id).await?;
            let tz = state.db().site_settings().await?.tz();
            let extras = Extras {
                error: Some(Error::invalid(format!("correction_{field}"), reason)),
                correction: Some((f.kind, f.body)),
                ..Default::default()
            };
            editor_page(
                &state,
                &me,
                None,
                Some(&stored),
                Values::of(&stored, &tz),
                extras,
            )
            .await
        }
        Err(e) => Err(SiteError(e)),
    }
}

/// The front-page form of the editor.
#[derive(Debug, Default, Deserialize)]
pub struct ProminenceFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    prominence: String,
}

impl FormField for ProminenceFields {
    const MAIN_FIELD: &'static str = "prominence";
}

/// `POST /admin/articles/{id}/prominence`
pub async fn set_prominence(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<String>,
    SiteForm(f): SiteForm<ProminenceFields>,
) -> Result<Response, SiteError> {
    check_csrf(&me, &f.csrf)?;
    let id = parse_id(&id)?;
    let p = Prominence::parse("prominence", &f.prominence)?;
    articles::set_prominence(state.app(), &me.actor(), id, p).await?;
    Ok(Redirect::to(&format!("/admin/articles/{id}?done=placed")).into_response())
}

/// `POST /admin/preview`: the body rendered by the public page's renderer, for the editor's
/// live preview (the script sends the whole form).
pub async fn preview(Admin(me): Admin, form: MultipartForm) -> Result<Response, SiteError> {
    check_csrf(&me, form.get("csrf"))?;
    Ok(Html(markdown::render(form.get("body_markdown"))).into_response())
}

#[derive(Serialize)]
struct RevisionRow {
    number: i64,
    note: String,
    who: String,
    when: String,
    when_iso: String,
    is_from: bool,
    is_to: bool,
}

#[derive(Serialize)]
struct RevisionsPage {
    frame: Frame,
    id: i64,
    title: String,
    version: i64,
    rows: Vec<RevisionRow>,
    from: i64,
    to: i64,
    diff: Vec<FieldDiff>,
}

/// `GET /admin/articles/{id}/revisions?from=N&to=M`: every save, and the words that differ
/// between two of them (by default the latest and the one before).
pub async fn revisions(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, SiteError> {
    let id = parse_id(&id)?;
    let actor = me.actor();
    let article = articles::readable(state.app(), &actor, id).await?;
    let list = articles::revisions(state.app(), &actor, id).await?;
    let frame = Frame::new(&state, &me, "articles", query.as_deref()).await?;
    let tz = frame.site.tz();
    let pairs = query_pairs(query.as_deref());
    let newest = list.first().map_or(0, |r| r.number);
    let to = query_get(&pairs, "to").parse().unwrap_or(newest);
    let from = query_get(&pairs, "from").parse().unwrap_or((to - 1).max(1));
    let find = |n: i64| list.iter().find(|r| r.number == n);
    let diff = match (find(from), find(to)) {
        (Some(a), Some(b)) => revisions::diff(&a.snapshot, &b.snapshot),
        _ => Vec::new(),
    };
    let rows = list
        .iter()
        .map(|r| RevisionRow {
            number: r.number,
            note: r.note.clone(),
            who: r
                .author
                .as_ref()
                .map(|e| e.name.clone())
                .unwrap_or_else(|| r.actor.clone()),
            when: exact_time(r.created_at, &tz),
            when_iso: iso(r.created_at),
            is_from: r.number == from,
            is_to: r.number == to,
        })
        .collect();
    let view = RevisionsPage {
        frame,
        id,
        title: article.title,
        version: article.version,
        rows,
        from,
        to,
        diff,
    };
    Ok(Html(render(&state, "admin/revisions.html", view)?).into_response())
}

/// `POST /admin/articles/{id}/revisions/{rev}/restore`
pub async fn restore_revision(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path((id, rev)): Path<(String, String)>,
    SiteForm(f): SiteForm<CsrfFields>,
) -> Result<Response, SiteError> {
    check_csrf(&me, &f.csrf)?;
    let (id, rev) = (parse_id(&id)?, parse_id(&rev)?);
    let read = f.version.parse::<i64>().ok();
    articles::restore_revision(state.app(), &me.actor(), id, rev, read).await?;
    Ok(Redirect::to(&format!("/admin/articles/{id}?done=restored")).into_response())
}
