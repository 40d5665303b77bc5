//! What every response tells the browser about how to treat it (the security headers), and the
//! check that a form was posted from this site.

use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, header},
    middleware::Next,
    response::Response,
};
use dateline_core::Error;

use crate::{AppState, SiteError};

/// Adds the security headers: `nosniff` and the referrer policy on everything; on HTML a strict
/// Content-Security-Policy (no inline script or style, nothing from other hosts, no framing
/// unless the site allows it), a permissions policy, and HSTS when the site is served over
/// https.
pub async fn headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    // A body refused as too large is not read to its end, so the connection cannot carry
    // another request: say so, rather than let a client reuse it and lose its next request.
    if response.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    add_headers(&state, response.headers_mut());
    response
}

/// The security headers of a response with these headers (see [`headers`]). The page cache
/// keeps a page with them, so that a page answered from memory before any layer runs has
/// them too.
pub(crate) fn add_headers(state: &AppState, h: &mut HeaderMap) {
    let config = state.config();
    let is_html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    if is_html {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            state.content_security_policy().clone(),
        );
        h.insert(
            "permissions-policy",
            HeaderValue::from_static(
                "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()",
            ),
        );
        if config.frame_ancestors.is_empty() {
            h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        }
    }
    if state.served_over_https() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
}

/// The policy of every page as a header. An origin that cannot be written in a header (one
/// with a host in Unicode) leaves the site unframeable rather than without a policy.
pub(crate) fn policy_header(frame_ancestors: &[String]) -> HeaderValue {
    HeaderValue::from_str(&content_security_policy(frame_ancestors)).unwrap_or_else(|_| {
        HeaderValue::from_str(&content_security_policy(&[])).unwrap_or(HeaderValue::from_static(
            "default-src 'self'; frame-ancestors 'none'",
        ))
    })
}

/// The policy of every page. `frame_ancestors` lists the origins that may embed the site's pages
/// (none by default).
pub fn content_security_policy(frame_ancestors: &[String]) -> String {
    let ancestors = if frame_ancestors.is_empty() {
        "'none'".to_owned()
    } else {
        frame_ancestors.join(" ")
    };
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors {ancestors}"
    )
}

/// Refuses a form posted from another site. A browser names the origin of a POST (`Origin`;
/// older ones only the page, `Referer`); it must be this site's: the origin of the base URL,
/// or, when no base URL was configured, the host the request was sent to. A request that names
/// neither (a command-line client) is let through: forging a form needs a browser, which names
/// it.
pub fn check_same_origin(state: &AppState, headers: &HeaderMap) -> Result<(), SiteError> {
    let named = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .map(|r| origin_of(r).to_owned())
        });
    let Some(origin) = named else {
        return Ok(());
    };
    let ours = origin.eq_ignore_ascii_case(origin_of(&state.base_url()))
        || (state.trusts_host_header()
            && headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|host| {
                    origin
                        .split_once("://")
                        .is_some_and(|(_, h)| h.eq_ignore_ascii_case(host))
                }));
    if ours {
        Ok(())
    } else {
        Err(SiteError(Error::Forbidden(
            "This form was sent from another site. Use the form on this site's own page.",
        )))
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> &str {
    match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            let end = rest.find(['/', '?', '#']).map_or(url.len(), |j| i + 3 + j);
            &url[..end]
        }
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://news.example/a/b?c"),
            "https://news.example"
        );
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(origin_of("null"), "null");
    }

    #[test]
    fn the_policy_allows_embedding_only_when_asked() {
        assert!(content_security_policy(&[]).contains("frame-ancestors 'none'"));
        let p = content_security_policy(&["https://partner.example".to_owned()]);
        assert!(p.contains("frame-ancestors https://partner.example"));
        assert!(!p.contains("unsafe-inline"));
    }
}
