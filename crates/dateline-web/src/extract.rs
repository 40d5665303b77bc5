//! Our own extractors, so that bad input gets our error format and status rather than axum's
//! plain-text rejections.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::{StatusCode, header, request::Parts},
};
use serde::de::DeserializeOwned;
use serde_json::error::Category;

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
        "The request body is too large: send at most 2 MB of JSON.",
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
                "Send the body as JSON with Content-Type: application/json.",
            ));
        }
        if declared_length(req.headers()).is_some_and(|n| n > MAX_JSON_BYTES) {
            return Err(too_large());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "The request body could not be read.",
                )
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON with the error mapping of [`ApiJson`]: every message a sentence a client
/// developer can act on, naming the field, with no parser internals.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Every body this API takes is an object; serde would also read a struct from a list of
    // its fields in order, which no client means.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "The body must be an object, not a list.",
        ));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            Category::Data => {
                let (field, message) = describe_data_error(&path, &inner.to_string());
                let err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message);
                match field {
                    Some(f) => err.with_field(f),
                    None => err,
                }
            }
            Category::Eof => ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "The body is not valid JSON: it ends before the JSON is complete.",
            ),
            Category::Syntax => ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!(
                    "The body is not valid JSON: there is a syntax error at line {}, column {}.",
                    inner.line(),
                    inner.column()
                ),
            ),
            Category::Io => ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "The request body could not be read.",
            ),
        }
    })
}

/// The field a data error concerns and a message about it. serde reports a missing or unknown
/// field at the object that lacks or has it, naming the field only in its message ("missing
/// field `body`"), and describes types in Rust's terms; both are put in a client's words here.
fn describe_data_error(path: &str, message: &str) -> (Option<String>, String) {
    let message = strip_position(message);
    let join = |name: &str| {
        if path == "." {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    let at = (path != ".").then(|| path.to_owned());
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or(rest);
        let field = join(name);
        return (
            Some(field.clone()),
            format!("The field {field} is required."),
        );
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        // The path of an unknown field already ends with its name.
        let name = rest.split('`').next().unwrap_or(rest);
        let field = at.clone().unwrap_or_else(|| name.to_owned());
        let expected = rest
            .split_once("expected ")
            .map(|(_, e)| e.trim_start_matches("one of ").replace('`', ""))
            .unwrap_or_default();
        let hint = if expected.is_empty() {
            String::new()
        } else {
            format!(": use {expected}")
        };
        return (
            Some(field.clone()),
            format!("The field {field} is not known here{hint}."),
        );
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((got, want)) = rest.split_once(", expected ")
        {
            let subject = match &at {
                Some(f) => format!("The field {f}"),
                None => "The body".to_owned(),
            };
            return (
                at.clone(),
                format!(
                    "{subject} must be {}, not {}.",
                    expected_kind(want),
                    given_kind(got)
                ),
            );
        }
    }
    if message.starts_with("invalid length") {
        let subject = at.clone().unwrap_or_else(|| "body".to_owned());
        return (
            at,
            format!("The field {subject} has the wrong number of items."),
        );
    }
    let subject = at.clone().unwrap_or_else(|| "body".to_owned());
    (
        at,
        format!("The field {subject} has a value that cannot be used."),
    )
}

/// serde's name of an expected type, in JSON terms.
fn expected_kind(want: &str) -> String {
    let want = want.trim();
    if want.starts_with("struct ") || want == "a map" || want.starts_with("a map") {
        "an object".to_owned()
    } else if want == "a sequence" || want.starts_with("a sequence") {
        "a list".to_owned()
    } else if ["i8", "i16", "i32", "i64", "isize"].contains(&want) {
        "a whole number".to_owned()
    } else if ["u8", "u16", "u32", "u64", "usize"].contains(&want) {
        "a whole number of 0 or more".to_owned()
    } else if want.starts_with("f32") || want.starts_with("f64") {
        "a number".to_owned()
    } else {
        want.to_owned()
    }
}

/// serde's description of a value it was given, in JSON terms.
fn given_kind(got: &str) -> String {
    let got = got.trim();
    let value = |prefix: &str| got.strip_prefix(prefix).map(|v| v.trim_matches('`'));
    if let Some(v) = value("integer ").or_else(|| value("floating point ")) {
        format!("the number {v}")
    } else if let Some(v) = value("string ") {
        format!("the text {v}")
    } else if let Some(v) = value("boolean ") {
        v.to_owned()
    } else if got == "map" {
        "an object".to_owned()
    } else if got == "sequence" {
        "a list".to_owned()
    } else if got == "null" || got == "unit value" {
        "null".to_owned()
    } else {
        got.to_owned()
    }
}

/// serde_json appends " at line 1 column 5"; useful for syntax errors, noise otherwise.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// The query parameters an API query type knows, for telling a misspelt parameter from one a
/// client adds for its own purposes (a cache-buster such as `?_=1700000000`).
pub trait KnownParams {
    /// The names of the parameters.
    const NAMES: &'static [&'static str];
}

/// A query string: unknown parameters are ignored, as Ghost and WordPress do, unless one looks
/// like a misspelling of a known one (`per-page`, `stauts`), which gets 422 saying which was
/// meant; a value that does not parse gets 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + KnownParams> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        for (key, _) in form_urlencoded::parse(query.as_bytes()) {
            if T::NAMES.contains(&key.as_ref()) {
                continue;
            }
            if let Some(meant) = T::NAMES.iter().find(|n| looks_misspelt(&key, n)) {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    format!("The parameter {key} is not known: did you mean {meant}?"),
                )
                .with_field(key.into_owned()));
            }
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let field = e.path().to_string();
                let message = e.into_inner().to_string();
                let text = if message.contains("invalid digit")
                    || message.contains("number too")
                    || message.contains("cannot parse integer")
                {
                    format!("The parameter {field} must be a whole number.")
                } else {
                    format!("The parameter {field} has a value that cannot be used.")
                };
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", text).with_field(field)
            })
    }
}

/// Whether `given` is probably `known` mistyped: equal once case, hyphens and underscores are
/// ignored, or one edit (a letter added, dropped, changed, or two swapped) away from it.
fn looks_misspelt(given: &str, known: &str) -> bool {
    if given.starts_with('_') {
        return false;
    }
    let norm = |s: &str| -> Vec<char> {
        s.chars()
            .filter(|c| *c != '-' && *c != '_')
            .flat_map(char::to_lowercase)
            .collect()
    };
    let (a, b) = (norm(given), norm(known));
    a.len() >= 3 && edit_distance(&a, &b) <= 1
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
/// neighbours each count one.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// Largest form body accepted: a 10,000-character comment, every character percent-encoded as
/// four UTF-8 bytes, with room to spare.
pub const MAX_FORM_BYTES: usize = 128 * 1024;

/// A form posted from one of our pages (`application/x-www-form-urlencoded`). Unlike axum's
/// `Form`, which replaces bytes that are not UTF-8 with U+FFFD and stores the result, a body
/// that is not valid UTF-8 once decoded is refused (400), as JSON is; one over the limit gets
/// 413; anything that is not a form gets 422 naming `field`. Every refusal is the themed page.
pub struct SiteForm<T>(pub T);

/// The field a refused form is blamed on, per form type.
pub trait FormField {
    /// The field the reader is pointed to when the body is not a form at all.
    const MAIN_FIELD: &'static str;
}

impl<S: Send + Sync, T: DeserializeOwned + FormField> FromRequest<S> for SiteForm<T> {
    type Rejection = crate::SiteError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        use dateline_core::Error;
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                m.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        let not_a_form = || {
            crate::SiteError(Error::invalid(
                T::MAIN_FIELD,
                "Send the form from its page on this site.",
            ))
        };
        if !is_form {
            return Err(not_a_form());
        }
        let too_large = || {
            crate::SiteError(Error::TooLarge(format!(
                "The form is too large: send at most {} KB.",
                MAX_FORM_BYTES / 1024
            )))
        };
        if declared_length(req.headers()).is_some_and(|n| n > MAX_FORM_BYTES) {
            return Err(too_large());
        }
        let bytes = axum::body::to_bytes(req.into_body(), MAX_FORM_BYTES)
            .await
            .map_err(|_| too_large())?;
        if !is_strict_utf8_form(&bytes) {
            return Err(crate::SiteError(Error::Malformed(
                "The form could not be read: it is not valid UTF-8 text.".to_owned(),
            )));
        }
        serde_urlencoded::from_bytes(&bytes)
            .map(SiteForm)
            .map_err(|_| not_a_form())
    }
}

/// Whether every name and value of a urlencoded body is valid UTF-8 once percent-decoded.
fn is_strict_utf8_form(body: &[u8]) -> bool {
    body.split(|b| *b == b'&').all(|pair| {
        pair.split(|b| *b == b'=').all(|part| {
            let spaced: Vec<u8> = part
                .iter()
                .map(|b| if *b == b'+' { b' ' } else { *b })
                .collect();
            let decoded: std::borrow::Cow<'_, [u8]> =
                percent_encoding::percent_decode(&spaced).into();
            std::str::from_utf8(&decoded).is_ok()
        })
    })
}

/// An id in a path: anything that is not a positive integer finds nothing (404).
pub fn parse_id(raw: &str) -> Result<i64, dateline_core::Error> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(dateline_core::Error::NotFound)
}

/// The `page` and `per_page` of a list request, checked: pages 1 to 100,000, 1 to 100 items a
/// page (20 unless asked).
pub fn paging(
    page: Option<i64>,
    per_page: Option<i64>,
) -> Result<(i64, i64), dateline_core::Error> {
    use dateline_core::Error;
    let page = page.unwrap_or(1);
    if !(1..=100_000).contains(&page) {
        return Err(Error::invalid(
            "page",
            "Use a page number from 1 to 100000.",
        ));
    }
    let per_page = per_page.unwrap_or(20);
    if !(1..=100).contains(&per_page) {
        return Err(Error::invalid("per_page", "Use a per_page from 1 to 100."));
    }
    Ok((page, per_page))
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse;

    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only deserialised")]
    struct Form {
        title: String,
        tags: Vec<u8>,
        lead: Option<Lead>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only deserialised")]
    struct Lead {
        alt: String,
    }

    fn error_of(json: &str) -> (u16, serde_json::Value) {
        let e = parse_json::<Form>(json.as_bytes()).unwrap_err();
        let response = e.into_response();
        let status = response.status().as_u16();
        let body = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(axum::body::to_bytes(response.into_body(), 1 << 16))
            .unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    #[test]
    fn errors_name_the_field_in_a_clients_words() {
        let cases = [
            (
                r#"{"title": "#,
                400,
                None,
                "The body is not valid JSON: it ends before the JSON is complete.",
            ),
            (
                r#"{"title": 1, "tags": []}"#,
                422,
                Some("title"),
                "The field title must be a string, not the number 1.",
            ),
            (
                r#"{"tags": []}"#,
                422,
                Some("title"),
                "The field title is required.",
            ),
            (
                r#"{"title": "t", "tags": [], "x": 1}"#,
                422,
                Some("x"),
                "The field x is not known here: use title, tags, lead.",
            ),
            (
                r#"{"title": "t", "tags": [], "lead": {}}"#,
                422,
                Some("lead.alt"),
                "The field lead.alt is required.",
            ),
            (
                r#"{"title": "t", "tags": "none"}"#,
                422,
                Some("tags"),
                "The field tags must be a list, not the text \"none\".",
            ),
            (
                r#"{"title": "t", "tags": [-1]}"#,
                422,
                Some("tags[0]"),
                "The field tags[0] must be a whole number of 0 or more, not the number -1.",
            ),
            (
                r#""text""#,
                422,
                None,
                "The body must be an object, not the text \"text\".",
            ),
            (
                r#"["t", []]"#,
                422,
                None,
                "The body must be an object, not a list.",
            ),
            (
                "{\"title\" 1}",
                400,
                None,
                "The body is not valid JSON: there is a syntax error at line 1, column 10.",
            ),
        ];
        for (json, status, field, message) in cases {
            let (s, body) = error_of(json);
            assert_eq!(s, status, "{json}");
            assert_eq!(body["error"]["field"].as_str(), field, "{json}");
            assert_eq!(body["error"]["message"], message, "{json}");
        }
    }

    #[test]
    fn forms_must_decode_to_utf8() {
        assert!(is_strict_utf8_form(
            b"author_name=Ali&body=Hello+%D8%B3%D9%84%D8%A7%D9%85"
        ));
        assert!(!is_strict_utf8_form(b"author_name=Ali&body=%FF%FE"));
        assert!(!is_strict_utf8_form(b"body=\xC3"));
        assert!(is_strict_utf8_form(b""));
    }

    #[test]
    fn misspelt_parameters_are_told_from_unknown_ones() {
        for (given, known) in [
            ("per-page", "per_page"),
            ("stauts", "status"),
            ("Page", "page"),
            ("pgae", "page"),
        ] {
            assert!(looks_misspelt(given, known), "{given}");
        }
        for (given, known) in [
            ("_", "page"),
            ("tag", "page"),
            ("q", "page"),
            ("utm_source", "status"),
        ] {
            assert!(!looks_misspelt(given, known), "{given}");
        }
    }
}
