//! Our own extractors, so that bad input gets our error format and status rather than axum's
//! plain-text rejections.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::{StatusCode, header, request::Parts},
};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Largest JSON body accepted.
pub const MAX_JSON_BYTES: usize = 2 * 1024 * 1024;

/// The body length a request declares, if it declares one.
pub fn declared_length(headers: &axum::http::HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "the request body is too large",
    )
}

/// A JSON request body: 415 without a JSON content type, 400 when it does not parse, 413 when it
/// is too large (refused from its declared length before it is sent, where it has one), 422 naming the field when a value has the wrong type or is missing.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim();
                m.eq_ignore_ascii_case("application/json") || m.ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        if declared_length(req.headers()).is_some_and(|n| n > MAX_JSON_BYTES) {
            return Err(too_large());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "the request body is too large",
                )
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "the request body could not be read",
                )
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON with the error mapping of [`ApiJson`].
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = strip_position(&inner.to_string());
                let field = field_of(&path, &message);
                let err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message);
                match field {
                    Some(f) => err.with_field(f),
                    None => err,
                }
            }
            _ => ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!(
                    "the body is not valid JSON: {}",
                    strip_position(&inner.to_string())
                ),
            ),
        }
    })
}

/// The field an error concerns. serde reports a missing or unknown field at the object that
/// lacks or has it, naming the field only in the message ("missing field `body`").
fn field_of(path: &str, message: &str) -> Option<String> {
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    match (path, named) {
        (".", None) => None,
        (".", Some(name)) => Some(name.to_owned()),
        (p, Some(name)) if message.starts_with("missing") => Some(format!("{p}.{name}")),
        (p, _) => Some(p.to_owned()),
    }
}

/// serde_json appends " at line 1 column 5"; useful for syntax errors, noise otherwise.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// A query string: 422 naming the parameter when it does not parse.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let field = e.path().to_string();
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    e.into_inner().to_string(),
                )
                .with_field(field)
            })
    }
}

/// An id in a path: anything that is not a positive integer finds nothing (404).
pub fn parse_id(raw: &str) -> Result<i64, dateline_core::Error> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(dateline_core::Error::NotFound)
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse;

    use super::*;

    #[test]
    fn errors_name_the_field_they_concern() {
        let field = |json: &str| {
            #[derive(serde::Deserialize, Debug)]
            #[serde(deny_unknown_fields)]
            #[expect(dead_code, reason = "only deserialised")]
            struct Form {
                title: String,
                tags: Vec<u8>,
            }
            let e = parse_json::<Form>(json.as_bytes())
                .unwrap_err()
                .into_response();
            e.status().as_u16()
        };
        assert_eq!(field("{\"title\": "), 400);
        assert_eq!(field("{\"title\": 1, \"tags\": []}"), 422);
        assert_eq!(
            field_of(".", "missing field `body`").as_deref(),
            Some("body")
        );
        assert_eq!(
            field_of(".", "unknown field `x`, expected one of").as_deref(),
            Some("x")
        );
        assert_eq!(
            field_of("lead_image", "missing field `alt`").as_deref(),
            Some("lead_image.alt")
        );
        assert_eq!(
            field_of("sources[0].url", "invalid type").as_deref(),
            Some("sources[0].url")
        );
        assert_eq!(field_of(".", "invalid type: string"), None);
    }
}
