//! `POST /media`: image uploads.

use axum::{
    Json,
    extract::{
        Multipart, State,
        multipart::{MultipartError, MultipartRejection},
    },
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use dateline_core::Error;
use serde::Serialize;

use super::Staff;
use crate::{AppState, error::ApiError, extract::declared_length};

#[derive(Serialize)]
struct Uploaded {
    id: i64,
    url: String,
    width: i64,
    height: i64,
    content_type: String,
}

/// Room for the multipart boundaries and part headers around the file.
pub const MULTIPART_OVERHEAD: usize = 64 * 1024;

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!(
            "Files may be at most {} MB.",
            dateline_core::media::MAX_UPLOAD_BYTES / (1024 * 1024)
        ),
    )
}

fn multipart_error(e: &MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
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
    // Refuse an upload that announces its size before the client sends it.
    if declared_length(&headers)
        .is_some_and(|n| n > dateline_core::media::MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD)
    {
        return Err(too_large());
    }
    let mut multipart = multipart.map_err(|_| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the file as multipart/form-data in a field named file.",
        )
    })?;
    let mut bytes = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(&e)),
        };
        match field.name() {
            Some("file") if bytes.is_none() => match field.bytes().await {
                Ok(b) => bytes = Some(b),
                Err(e) => return Err(multipart_error(&e)),
            },
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
    let media = dateline_app::media::upload(state.app(), &staff.actor(), bytes.to_vec()).await?;
    let url = state.absolute(&format!("/media/{}", media.path));
    let body = Uploaded {
        id: media.id,
        url: url.clone(),
        width: media.width,
        height: media.height,
        content_type: media.content_type,
    };
    Ok((StatusCode::CREATED, [(header::LOCATION, url)], Json(body)).into_response())
}
