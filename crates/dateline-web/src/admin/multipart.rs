//! Forms that carry a file: the editor (a lead image uploaded with the article) and the media
//! library. Text fields must be UTF-8 (400 otherwise), as in every form of the site; a file over
//! the upload limit is 413 before it is read whole.

use axum::{
    extract::{FromRequest, Multipart, Request, multipart::Field},
    http::{StatusCode, header},
};
use dateline_core::{Error, media::too_large_message};

use crate::{AppState, SiteError};

/// Room for the text of an article (a million characters, percent-encoded) beside a file. The
/// routes that take these forms lift axum's body limit; this extractor counts instead, so the
/// operator's upload limit holds without a restart of the router.
pub const MAX_TEXT_BYTES: usize = 8 * 1024 * 1024;

/// A file sent with a form.
pub struct Upload {
    /// The name the browser gave it.
    pub file_name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// A `multipart/form-data` form: its text fields in order, and its files (a file input left
/// empty sends none).
#[derive(Default)]
pub struct MultipartForm {
    pub fields: Vec<(String, String)>,
    pub files: Vec<(String, Upload)>,
}

impl MultipartForm {
    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Whether the form has a field `name` (a ticked checkbox).
    pub fn has(&self, name: &str) -> bool {
        self.fields.iter().any(|(k, _)| k == name)
    }

    /// Takes the file sent as `name`, if one was.
    pub fn take_file(&mut self, name: &str) -> Option<Upload> {
        let i = self.files.iter().position(|(k, _)| k == name)?;
        Some(self.files.remove(i).1)
    }

    /// Takes every file sent as `name` (an input with `multiple`).
    pub fn take_files(&mut self, name: &str) -> Vec<Upload> {
        let (taken, kept) = std::mem::take(&mut self.files)
            .into_iter()
            .partition(|(k, _)| k == name);
        self.files = kept;
        taken.into_iter().map(|(_, u)| u).collect()
    }
}

fn malformed() -> SiteError {
    SiteError(Error::Malformed(
        "The form could not be read: send it again from its page.".to_owned(),
    ))
}

/// Reads a part chunk by chunk, refusing it as soon as it passes `room` bytes: nothing larger
/// than the limit is ever held.
async fn read_part(
    field: &mut Field<'_>,
    room: usize,
    too_large: impl Fn() -> SiteError,
) -> Result<Vec<u8>, SiteError> {
    let mut bytes = Vec::new();
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                if bytes.len() + chunk.len() > room {
                    return Err(too_large());
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(bytes),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(_) => return Err(malformed()),
        }
    }
}

impl FromRequest<AppState> for MultipartForm {
    type Rejection = SiteError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let is_multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("multipart/form-data"));
        if !is_multipart {
            return Err(SiteError(Error::invalid(
                "title",
                "Send the form from its page on this site.",
            )));
        }
        let max_file = state.app().media_limits().max_upload_bytes;
        let too_large = || SiteError(Error::TooLarge(too_large_message(max_file)));
        let text_too_large = || {
            SiteError(Error::TooLarge(
                "The form is too long to be saved: shorten the text.".to_owned(),
            ))
        };
        // Files may together be a few times the limit (the library takes several at once).
        let max_body = max_file.saturating_mul(4).saturating_add(MAX_TEXT_BYTES);
        if crate::extract::declared_length(req.headers()).is_some_and(|n| n > max_body) {
            return Err(too_large());
        }
        let mut multipart = Multipart::from_request(req, state)
            .await
            .map_err(|_| malformed())?;
        let mut form = MultipartForm::default();
        let (mut text_bytes, mut file_bytes) = (0usize, 0usize);
        loop {
            let mut field = match multipart.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
                Err(_) => return Err(malformed()),
            };
            let name = field.name().unwrap_or_default().to_owned();
            if let Some(file_name) = field.file_name().map(str::to_owned) {
                let room = max_file.min(max_body - MAX_TEXT_BYTES - file_bytes);
                let bytes = read_part(&mut field, room, too_large).await?;
                file_bytes += bytes.len();
                // An empty file input still sends a part, without a name or bytes.
                if !(file_name.is_empty() && bytes.is_empty()) {
                    form.files.push((name, Upload { file_name, bytes }));
                }
            } else {
                let bytes =
                    read_part(&mut field, MAX_TEXT_BYTES - text_bytes, text_too_large).await?;
                text_bytes += bytes.len();
                let text = String::from_utf8(bytes).map_err(|_| {
                    SiteError(Error::Malformed(
                        "The form could not be read: it is not valid UTF-8 text.".to_owned(),
                    ))
                })?;
                form.fields.push((name, text));
            }
        }
        Ok(form)
    }
}
