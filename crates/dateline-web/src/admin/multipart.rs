//! Forms that carry a file: the editor (a lead image uploaded with the article) and the media
//! library. Text fields must be UTF-8 (400 otherwise), as in every form of the site; a file over
//! the upload limit is 413 before it is read whole.

use axum::{
    extract::{FromRequest, Multipart, Request},
    http::{StatusCode, header},
};
use dateline_core::{Error, media::MAX_UPLOAD_BYTES};

use crate::SiteError;

/// Room for the text of an article (a million characters, percent-encoded) beside a file.
pub const MAX_TEXT_BYTES: usize = 8 * 1024 * 1024;
/// The largest body the editor and the library accept.
pub const MAX_BODY_BYTES: usize = MAX_UPLOAD_BYTES + MAX_TEXT_BYTES;

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
}

fn malformed() -> SiteError {
    SiteError(Error::Malformed(
        "The form could not be read: send it again from its page.".to_owned(),
    ))
}

fn too_large() -> SiteError {
    SiteError(Error::TooLarge(format!(
        "The file is too large: files may be at most {} MB.",
        MAX_UPLOAD_BYTES / (1024 * 1024)
    )))
}

impl<S: Send + Sync> FromRequest<S> for MultipartForm {
    type Rejection = SiteError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
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
        if crate::extract::declared_length(req.headers()).is_some_and(|n| n > MAX_BODY_BYTES) {
            return Err(too_large());
        }
        let mut multipart = Multipart::from_request(req, state)
            .await
            .map_err(|_| malformed())?;
        let mut form = MultipartForm::default();
        loop {
            let mut field = match multipart.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
                Err(_) => return Err(malformed()),
            };
            let name = field.name().unwrap_or_default().to_owned();
            if let Some(file_name) = field.file_name().map(str::to_owned) {
                let mut bytes = Vec::new();
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            if bytes.len() + chunk.len() > MAX_UPLOAD_BYTES {
                                return Err(too_large());
                            }
                            bytes.extend_from_slice(&chunk);
                        }
                        Ok(None) => break,
                        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                            return Err(too_large());
                        }
                        Err(_) => return Err(malformed()),
                    }
                }
                // An empty file input still sends a part, without a name or bytes.
                if !(file_name.is_empty() && bytes.is_empty()) {
                    form.files.push((name, Upload { file_name, bytes }));
                }
            } else {
                let bytes = field.bytes().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        too_large()
                    } else {
                        malformed()
                    }
                })?;
                let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
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
