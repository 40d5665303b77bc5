//! The domain error, mapped once per surface: a themed HTML page on the site, the JSON
//! envelope `{"error": {"code", "message", "field"?}}` on the API.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use dateline_core::Error;
use serde::Serialize;

/// The HTTP status and machine-readable code of a domain error.
pub(crate) fn classify(e: &Error) -> (StatusCode, &'static str) {
    match e {
        Error::NotFound => (StatusCode::NOT_FOUND, "not_found"),
        Error::Gone => (StatusCode::GONE, "gone"),
        Error::Conflict { .. } => (StatusCode::CONFLICT, "conflict"),
        Error::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
        Error::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
        Error::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        Error::Unsupported { .. } => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        Error::Malformed(_) => (StatusCode::BAD_REQUEST, "bad_request"),
        Error::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        Error::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
        Error::EditConflict { .. } => (StatusCode::PRECONDITION_FAILED, "edit_conflict"),
        Error::InUse(_) => (StatusCode::CONFLICT, "in_use"),
        Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

/// The message a person sees; internal details are logged instead. Always a sentence with a
/// capital and a full stop, whoever wrote the reason.
pub(crate) fn public_message(e: &Error) -> String {
    let text = match e {
        Error::NotFound => "There is nothing at this address.".to_owned(),
        Error::Gone => "This article has been removed.".to_owned(),
        Error::Conflict { field } => format!("This {field} is already taken: choose another."),
        Error::Unauthorized => "Sign in or send a valid API token.".to_owned(),
        Error::Forbidden(why) => (*why).to_owned(),
        Error::Invalid { reason, .. } | Error::Unsupported { reason, .. } => reason.clone(),
        Error::Malformed(reason) | Error::TooLarge(reason) | Error::InUse(reason) => reason.clone(),
        Error::EditConflict { current_version } => format!(
            "Someone else saved this article since you read it (it is now at version \
             {current_version}): read it again and apply your change to that version."
        ),
        Error::TooManyRequests { retry_after_secs } => {
            format!("Too many requests in a short time: try again in {retry_after_secs} seconds.")
        }
        Error::Internal(detail) => {
            tracing::error!(error = %detail, "internal error");
            "Something went wrong on our side. Please try again.".to_owned()
        }
    };
    sentence(&text)
}

/// `text` with a capital first letter and a closing full stop (or other final punctuation).
pub fn sentence(text: &str) -> String {
    let text = text.trim();
    let mut chars = text.chars();
    let mut out = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// An error on a reader page. Its response carries a [`ErrorPage`] extension with an empty
/// body; the site's error layer renders the themed page around it, because rendering needs the
/// site settings that a bare `IntoResponse` cannot reach.
#[derive(Debug)]
pub struct SiteError(pub Error);

impl From<Error> for SiteError {
    fn from(e: Error) -> Self {
        SiteError(e)
    }
}

/// What the error layer needs to render an error page.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    /// Status code.
    pub status: StatusCode,
    /// What to tell the reader.
    pub message: String,
    /// Seconds to wait before trying again, for 429.
    pub retry_after: Option<u64>,
}

/// The seconds to wait that a throttled request is told.
fn retry_after(e: &Error) -> Option<u64> {
    match e {
        Error::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
        _ => None,
    }
}

/// Adds `Retry-After` to a response when there is a wait to tell.
pub fn with_retry_after(mut response: Response, secs: Option<u64>) -> Response {
    if let Some(s) = secs {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, s.into());
    }
    response
}

impl IntoResponse for SiteError {
    fn into_response(self) -> Response {
        let (status, _) = classify(&self.0);
        let page = ErrorPage {
            status,
            message: public_message(&self.0),
            retry_after: retry_after(&self.0),
        };
        let mut response = status.into_response();
        response.extensions_mut().insert(page);
        response
    }
}

/// An error on the JSON API.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error that has no domain equivalent (malformed JSON, unsupported media, too large).
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: sentence(&message.into()),
            field: None,
            retry_after: None,
        }
    }

    /// Names the request field the error concerns.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let (status, code) = classify(&e);
        let field = match &e {
            Error::Invalid { field, .. } => Some(field.clone()),
            Error::Unsupported { field, .. } | Error::Conflict { field } => {
                Some((*field).to_owned())
            }
            _ => None,
        };
        ApiError {
            status,
            code,
            message: public_message(&e),
            field,
            retry_after: retry_after(&e),
        }
    }
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Envelope {
            error: Body {
                code: self.code,
                message: &self.message,
                field: self.field.as_deref(),
            },
        };
        with_retry_after((self.status, Json(body)).into_response(), self.retry_after)
    }
}
