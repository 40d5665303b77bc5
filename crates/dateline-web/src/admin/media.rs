//! The media library: several images uploaded at once (dropped on the page with JavaScript),
//! a grid searched by file name, alt text or caption, descriptions edited in place, and
//! deletion refused while an article or profile shows the image. Every change is a media
//! action, so the rules are the API's.

use axum::{
    extract::{Path, RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use dateline_app::{auth::SignedIn, media};
use dateline_core::{Error, media::Media};
use serde::{Deserialize, Serialize};

use super::{
    multipart::MultipartForm,
    pages::Frame,
    session::{Admin, check_csrf},
};
use crate::{
    AppState, SiteError,
    error::{classify, public_message},
    extract::{FormField, SiteForm, parse_id},
    site::render,
};

/// Images on one page of the grid.
const PER_PAGE: i64 = 24;
/// Images offered where one is chosen (the lead image, a profile picture); the library page
/// has them all.
const CHOOSER_IMAGES: i64 = 12;

/// An image offered by a chooser: a radio button with its thumbnail.
#[derive(Serialize)]
pub(super) struct ImageChoice {
    id: i64,
    src: String,
    width: i64,
    height: i64,
    label: String,
    selected: bool,
}

/// The newest images of the library, with `selected` among them even when it is older.
pub(super) async fn choices(
    state: &AppState,
    selected: Option<i64>,
) -> Result<Vec<ImageChoice>, SiteError> {
    let (mut library, _) = state.db().list_media(None, CHOOSER_IMAGES, 0).await?;
    if let Some(id) = selected
        && !library.iter().any(|m| m.id == id)
        && let Some(m) = state.db().media_by_id(id).await?
    {
        library.insert(0, m);
    }
    Ok(library
        .into_iter()
        .map(|m| {
            let item = Item::of(m);
            ImageChoice {
                selected: Some(item.id) == selected,
                id: item.id,
                src: item.src,
                width: item.width,
                height: item.height,
                label: item.file_name,
            }
        })
        .collect())
}

#[derive(Serialize)]
struct Item {
    id: i64,
    src: String,
    width: i64,
    height: i64,
    full_url: String,
    file_name: String,
    dimensions: String,
    size: String,
    alt: String,
    caption: String,
    credit: String,
    variants: usize,
}

impl Item {
    fn of(m: Media) -> Self {
        let (src, width, height) = match &m.thumb {
            Some(t) => (t.path.clone(), t.width, t.height),
            None => (m.path.clone(), m.width, m.height),
        };
        Item {
            id: m.id,
            src: format!("/media/{src}"),
            width,
            height,
            full_url: format!("/media/{}", m.path),
            file_name: if m.file_name.is_empty() {
                format!("Image {}", m.id)
            } else {
                m.file_name
            },
            dimensions: format!("{} × {} px", m.width, m.height),
            size: human_size(m.size_bytes),
            alt: m.alt,
            caption: m.caption,
            credit: m.credit.unwrap_or_default(),
            variants: m.variants.len(),
        }
    }
}

fn human_size(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

#[derive(Serialize)]
struct LibraryPage {
    frame: Frame,
    items: Vec<Item>,
    q: String,
    total: i64,
    page: i64,
    pages: i64,
    newer_url: Option<String>,
    older_url: Option<String>,
    can_upload: bool,
    can_delete: bool,
    max_upload: String,
    /// What went wrong with the last change, shown above the grid.
    error: Option<String>,
}

/// "at most 20 MB", from the operator's setting.
pub(super) fn limit_sentence(state: &AppState) -> String {
    format!(
        "at most {}",
        dateline_core::media::size_limit_text(state.app().media_limits().max_upload_bytes)
    )
}

/// Renders the library page, with `error` (and its status) when a change was refused.
async fn library_page(
    state: &AppState,
    me: &SignedIn,
    query: Option<&str>,
    error: Option<&Error>,
) -> Result<Response, SiteError> {
    let frame = Frame::new(state, me, "media", query).await?;
    let get = |key: &str| super::query_value(query, key).unwrap_or_default();
    let q: String = get("q").trim().chars().take(200).collect();
    dateline_core::text::check_controls("q", &q)?;
    let page = get("page")
        .parse::<i64>()
        .ok()
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1);
    let (media, total) = state
        .db()
        .list_media(Some(&q), PER_PAGE, (page - 1) * PER_PAGE)
        .await?;
    let items = media.into_iter().map(Item::of).collect();
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let url_of = |p: i64| {
        let mut qs = form_urlencoded::Serializer::new(String::new());
        if !q.is_empty() {
            qs.append_pair("q", &q);
        }
        if p > 1 {
            qs.append_pair("page", &p.to_string());
        }
        let qs = qs.finish();
        if qs.is_empty() {
            "/admin/media".to_owned()
        } else {
            format!("/admin/media?{qs}")
        }
    };
    let role = me.user.role;
    let view = LibraryPage {
        frame,
        items,
        total,
        page,
        pages,
        newer_url: (page > 1).then(|| url_of(page - 1)),
        older_url: (page < pages).then(|| url_of(page + 1)),
        q,
        can_upload: role.can_publish(),
        can_delete: role.can_edit_others(),
        max_upload: limit_sentence(state),
        error: error.map(public_message),
    };
    let status = error.map_or(StatusCode::OK, |e| classify(e).0);
    Ok((status, render(state, "admin/media.html", view)?).into_response())
}

/// `GET /admin/media`
pub async fn library(
    State(state): State<AppState>,
    Admin(me): Admin,
    RawQuery(query): RawQuery,
) -> Result<Response, SiteError> {
    library_page(&state, &me, query.as_deref(), None).await
}

/// `POST /admin/media`: adds every file sent as `files`. Each upload is its own action, so a
/// refused file (not an image, too large) leaves the others stored; the page names it.
pub async fn upload(
    State(state): State<AppState>,
    Admin(me): Admin,
    mut form: MultipartForm,
) -> Result<Response, SiteError> {
    check_csrf(&me, form.get("csrf"))?;
    let files = form.take_files("files");
    if files.is_empty() {
        let e = Error::invalid("files", "Choose one or more images to upload.");
        return library_page(&state, &me, None, Some(&e)).await;
    }
    let actor = me.actor();
    let (mut stored, mut refused) = (0, Vec::new());
    for file in files {
        let name = file.file_name.clone();
        match media::upload(state.app(), &actor, file.bytes, &file.file_name).await {
            Ok(_) => stored += 1,
            Err(e @ (Error::Forbidden(_) | Error::Unauthorized | Error::Internal(_))) => {
                return Err(e.into());
            }
            Err(e) => refused.push((name, e)),
        }
    }
    if refused.is_empty() {
        return Ok(Redirect::to("/admin/media?done=uploaded").into_response());
    }
    let mut reasons: Vec<String> = refused
        .iter()
        .map(|(name, e)| {
            let why = public_message(e);
            let why = why.trim_end_matches('.');
            let mut chars = why.chars();
            let why = chars
                .next()
                .map_or(String::new(), |c| c.to_lowercase().chain(chars).collect());
            // Starts with fixed words: the sentence rules must not capitalise a file's name.
            format!("Not uploaded: {name} ({why}).")
        })
        .collect();
    if stored > 0 {
        reasons.push(format!(
            "{stored} other {} uploaded.",
            if stored == 1 {
                "file was"
            } else {
                "files were"
            }
        ));
    }
    // The status of the first refusal, with every reason in its message.
    let first = match &refused[0].1 {
        Error::TooLarge(_) => Error::TooLarge(reasons.join(" ")),
        Error::Unsupported { .. } => Error::Unsupported {
            field: "files",
            reason: reasons.join(" "),
        },
        _ => Error::invalid("files", reasons.join(" ")),
    };
    library_page(&state, &me, None, Some(&first)).await
}

#[derive(Debug, Default, Deserialize)]
pub struct DescriptionFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    alt: String,
    #[serde(default)]
    caption: String,
    #[serde(default)]
    credit: String,
}

impl FormField for DescriptionFields {
    const MAIN_FIELD: &'static str = "alt";
}

/// `POST /admin/media/{id}`: changes the alt text, caption and credit.
pub async fn describe(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<String>,
    SiteForm(f): SiteForm<DescriptionFields>,
) -> Result<Response, SiteError> {
    check_csrf(&me, &f.csrf)?;
    let id = parse_id(&id)?;
    let description = media::Description {
        alt: f.alt,
        caption: f.caption,
        credit: f.credit,
    };
    match media::describe(state.app(), &me.actor(), id, &description).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/media?done=saved#media-{id}")).into_response()),
        Err(e @ Error::Invalid { .. }) => library_page(&state, &me, None, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct DeleteFields {
    #[serde(default)]
    csrf: String,
}

impl FormField for DeleteFields {
    const MAIN_FIELD: &'static str = "csrf";
}

/// `POST /admin/media/{id}/delete`: deletes the image, or says what still shows it (409).
pub async fn delete(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<String>,
    SiteForm(f): SiteForm<DeleteFields>,
) -> Result<Response, SiteError> {
    check_csrf(&me, &f.csrf)?;
    match media::delete(state.app(), &me.actor(), parse_id(&id)?).await {
        Ok(()) => Ok(Redirect::to("/admin/media?done=deleted").into_response()),
        Err(e @ Error::InUse(_)) => library_page(&state, &me, None, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}
