//! `/media`: the media library. Upload, list and search, describe, delete.

use axum::{
    Json,
    extract::{
        Multipart, Path, State,
        multipart::{MultipartError, MultipartRejection},
    },
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use dateline_app::media::{self, Description};
use dateline_core::{Error, media::Media, patch::Patch};
use serde::{Deserialize, Serialize};

use super::Staff;
use crate::{
    AppState,
    error::ApiError,
    extract::{ApiJson, ApiQuery, KnownParams, declared_length, parse_id},
};

/// A media item as the API returns it.
#[derive(Serialize)]
pub struct MediaJson {
    id: i64,
    url: String,
    width: i64,
    height: i64,
    content_type: String,
    size_bytes: i64,
    file_name: String,
    alt: String,
    caption: String,
    credit: Option<String>,
    thumb_url: Option<String>,
    variants: Vec<VariantJson>,
}

#[derive(Serialize)]
struct VariantJson {
    url: String,
    width: i64,
    height: i64,
    content_type: String,
}

fn to_json(state: &AppState, m: Media) -> MediaJson {
    let url = |path: &str| state.absolute(&format!("/media/{path}"));
    MediaJson {
        id: m.id,
        url: url(&m.path),
        width: m.width,
        height: m.height,
        content_type: m.content_type,
        size_bytes: m.size_bytes,
        file_name: m.file_name,
        alt: m.alt,
        caption: m.caption,
        credit: m.credit,
        thumb_url: m.thumb.map(|t| url(&t.path)),
        variants: m
            .variants
            .into_iter()
            .map(|v| VariantJson {
                url: url(&v.path),
                width: v.width,
                height: v.height,
                content_type: v.content_type,
            })
            .collect(),
    }
}

/// Query of `GET /media`.
#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
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

impl KnownParams for ListQuery {
    const NAMES: &'static [&'static str] = &["q", "page", "per_page"];
}

/// `GET /media`: the library, newest first; `q` searches file names, alt texts and captions.
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    dateline_core::permissions::may_upload_media(&staff.actor())?;
    let (page, per_page) = crate::extract::paging(q.page, q.per_page)?;
    if let Some(words) = q.q.as_deref() {
        dateline_core::text::check_controls("q", words)?;
        if words.chars().count() > 200 {
            return Err(Error::invalid("q", "Search for at most 200 characters.").into());
        }
    }
    let (items, total) = state
        .db()
        .list_media(q.q.as_deref(), per_page, (page - 1) * per_page)
        .await?;
    let items: Vec<MediaJson> = items.into_iter().map(|m| to_json(&state, m)).collect();
    Ok(Json(serde_json::json!({
        "items": items,
        "page": page,
        "per_page": per_page,
        "total": total,
        "next_page": (page * per_page < total).then_some(page + 1),
    })))
}

/// `GET /media/{id}`
pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Json<MediaJson>, ApiError> {
    dateline_core::permissions::may_upload_media(&staff.actor())?;
    let id = parse_id(&id)?;
    let m = state.db().media_by_id(id).await?.ok_or(Error::NotFound)?;
    Ok(Json(to_json(&state, m)))
}

/// Body of `PATCH /media/{id}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DescriptionPatch {
    #[serde(default)]
    alt: Patch<String>,
    #[serde(default)]
    caption: Patch<String>,
    #[serde(default)]
    credit: Patch<String>,
}

/// `PATCH /media/{id}`: the alt text, caption and credit offered with the image; absent fields
/// keep their value, `null` or `""` clears one.
pub async fn describe(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<DescriptionPatch>,
) -> Result<Json<MediaJson>, ApiError> {
    let id = parse_id(&id)?;
    let current = state.db().media_by_id(id).await?.ok_or(Error::NotFound)?;
    let d = Description {
        alt: patch.alt.apply_required(current.alt),
        caption: patch.caption.apply_required(current.caption),
        credit: patch
            .credit
            .apply_optional(current.credit)
            .unwrap_or_default(),
    };
    let m = media::describe(state.app(), &staff.actor(), id, &d).await?;
    Ok(Json(to_json(&state, m)))
}

/// `DELETE /media/{id}`: 409 while an article or a profile shows it.
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    media::delete(state.app(), &staff.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Room for the multipart boundaries and part headers around the file.
pub const MULTIPART_OVERHEAD: usize = 64 * 1024;

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        dateline_core::media::too_large_message(limit),
    )
}

fn multipart_error(e: &MultipartError, limit: usize) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(limit)
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "The upload could not be read as multipart/form-data.",
        )
    }
}

/// Stores the image in the multipart field `file`.
pub async fn upload(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let limit = state.app().media_limits().max_upload_bytes;
    // Refuse an upload that announces its size before the client sends it.
    if declared_length(&headers).is_some_and(|n| n > limit.saturating_add(MULTIPART_OVERHEAD)) {
        return Err(too_large(limit));
    }
    let mut multipart = multipart.map_err(|_| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the file as multipart/form-data in a field named file.",
        )
    })?;
    let mut bytes = None;
    let mut file_name = String::new();
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(&e, limit)),
        };
        match field.name() {
            Some("file") if bytes.is_none() => {
                file_name = field.file_name().unwrap_or_default().to_owned();
                // Read in chunks and stop at the limit: nothing larger is ever held.
                let mut b = Vec::new();
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) if b.len() + chunk.len() > limit => {
                            return Err(too_large(limit));
                        }
                        Ok(Some(chunk)) => b.extend_from_slice(&chunk),
                        Ok(None) => break,
                        Err(e) => return Err(multipart_error(&e, limit)),
                    }
                }
                bytes = Some(b);
            }
            Some("file") => {
                return Err(Error::invalid("file", "Send one file per upload.").into());
            }
            other => {
                let name = other.unwrap_or("").to_owned();
                return Err(Error::invalid(
                    name.clone(),
                    format!("The field {name:?} is not known here: send only a field named file."),
                )
                .into());
            }
        }
    }
    let bytes = bytes.ok_or_else(|| {
        ApiError::from(Error::invalid(
            "file",
            "Add the image in a field named file.",
        ))
    })?;
    let media = media::upload(state.app(), &staff.actor(), bytes, &file_name).await?;
    let location = state.absolute(&format!("/api/v1/media/{}", media.id));
    let body = to_json(&state, media);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response())
}
