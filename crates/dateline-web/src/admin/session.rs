//! Who is signed in: the session cookie, the CSRF token every admin form carries, and the
//! form token of pages used before signing in (login, setup, invitations).

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, HeaderValue, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use dateline_app::auth::{self, SignedIn};
use dateline_core::{Error, secrets::constant_time_eq};

use crate::{AppState, SiteError};

/// The cookie that holds a session's token.
pub const SESSION_COOKIE: &str = "dateline_session";
/// The cookie that holds the form token of a page used before signing in.
pub const FORM_COOKIE: &str = "dateline_form";

/// The value of cookie `name` in a request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax` (`Strict` for form tokens), `Secure` when
/// the site is served over https; `max_age` 0 removes it.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.base_url().starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let same_site = if name == FORM_COOKIE { "Strict" } else { "Lax" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite={same_site}; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("invalid=1; Max-Age=0"))
}

/// A request from a signed-in member of staff. Without a live session, the browser is sent to
/// the login page, which sends it back here afterwards.
pub struct Admin(pub SignedIn);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(token) = cookie(&parts.headers, SESSION_COOKIE) {
            match auth::session(state.app(), token).await {
                Ok(Some(signed_in)) => return Ok(Admin(signed_in)),
                Ok(None) => {}
                Err(e) => return Err(SiteError(e).into_response()),
            }
        }
        let here = parts.uri.path_and_query().map_or("/admin", |p| p.as_str());
        let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
        Err(Redirect::to(&format!("/admin/login?next={next}")).into_response())
    }
}

/// Checks a form's CSRF token against the session's: a missing or wrong one changes nothing and
/// gets a page saying so.
pub fn check_csrf(signed_in: &SignedIn, sent: &str) -> Result<(), SiteError> {
    if !sent.is_empty() && constant_time_eq(sent, &signed_in.session.csrf_token) {
        Ok(())
    } else {
        Err(stale_form())
    }
}

/// Checks the form token of a page used before signing in: the form carries the value of the
/// cookie the page set (a forged form from another site cannot read it).
pub fn check_form_token(headers: &HeaderMap, sent: &str) -> Result<(), SiteError> {
    match cookie(headers, FORM_COOKIE) {
        Some(expected) if !sent.is_empty() && constant_time_eq(expected, sent) => Ok(()),
        _ => Err(stale_form()),
    }
}

fn stale_form() -> SiteError {
    SiteError(Error::Forbidden(
        "This form has expired or was not sent from this site. Go back, reload the page and send it again.",
    ))
}

/// The form token for a page used before signing in, and the cookie that holds it: the one the
/// browser already has (so that a form shown again after a mistake, or in another tab, still
/// works), else a fresh one.
pub fn new_form_token(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(String, HeaderValue), SiteError> {
    let token = match cookie(headers, FORM_COOKIE) {
        Some(t) if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) => t.to_owned(),
        _ => dateline_core::secrets::new_token()?,
    };
    Ok((
        token.clone(),
        set_cookie(state, FORM_COOKIE, &token, 2 * 3600),
    ))
}
