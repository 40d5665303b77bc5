//! The one-time setup page where the owner account is created in the browser.

use axum::{
    Form,
    extract::{RawQuery, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use dateline_core::{
    Error,
    secrets::{constant_time_eq, hash_password, hash_token},
    settings::SiteSettings,
    text::{Email, required_text},
    users::{Role, check_new_password},
};
use serde::{Deserialize, Serialize};

use super::render;
use crate::{AppState, SiteError};

/// Settings key holding the hash of the current setup token.
pub const SETUP_TOKEN_KEY: &str = "setup_token_hash";

#[derive(Debug, Default, Deserialize)]
pub struct SetupFields {
    #[serde(default)]
    token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

#[derive(Serialize)]
struct SetupPage {
    site: SiteSettings,
    token: String,
    name: String,
    email: String,
    error: Option<String>,
    error_field: Option<&'static str>,
    done: bool,
}

/// The setup token's stored hash, if setup is still open and `token` matches it.
async fn check_token(state: &AppState, token: &str) -> Result<String, SiteError> {
    if state.db().owner_exists().await? {
        return Err(SiteError(Error::NotFound));
    }
    let stored = state
        .db()
        .setting(SETUP_TOKEN_KEY)
        .await?
        .ok_or(Error::NotFound)?;
    let given = hash_token(token);
    if token.is_empty() || !constant_time_eq(&stored, &given) {
        return Err(SiteError(Error::NotFound));
    }
    Ok(stored)
}

/// `GET /setup?token=…`
pub async fn show(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, SiteError> {
    let token = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    check_token(&state, &token).await?;
    let page = SetupPage {
        site: state.db().site_settings().await?,
        token,
        name: String::new(),
        email: String::new(),
        error: None,
        error_field: None,
        done: false,
    };
    Ok(no_store(
        render(&state, "site/setup.html", page)?.into_response(),
    ))
}

/// `POST /setup`: creates the owner and spends the token.
pub async fn create_owner(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(fields): Form<SetupFields>,
) -> Result<Response, SiteError> {
    check_same_origin(&headers)?;
    let stored = check_token(&state, &fields.token).await?;
    let parsed = (|| {
        let name = required_text("name", &fields.name, 100)?;
        let email = Email::parse("email", &fields.email)?;
        check_new_password("password", &fields.password)?;
        Ok::<_, Error>((name, email))
    })();
    let (name, email) = match parsed {
        Ok(ok) => ok,
        Err(Error::Invalid { field, reason }) => {
            let page = SetupPage {
                site: state.db().site_settings().await?,
                token: fields.token,
                name: fields.name,
                email: fields.email,
                error: Some(reason),
                error_field: Some(field),
                done: false,
            };
            let html = render(&state, "site/setup.html", page)?;
            return Ok(no_store(
                (StatusCode::UNPROCESSABLE_ENTITY, html).into_response(),
            ));
        }
        Err(other) => return Err(SiteError(other)),
    };
    let hash = hash_password(&fields.password)?;
    // Spend the token first, so that two racing submissions cannot both create an owner.
    if !state.db().take_setting(SETUP_TOKEN_KEY, &stored).await? {
        return Err(SiteError(Error::NotFound));
    }
    if let Err(e) = state
        .db()
        .create_user(&name, &email, Role::Owner, Some(&hash), "", state.now())
        .await
    {
        state.db().set_setting(SETUP_TOKEN_KEY, &stored).await?;
        return Err(SiteError(e));
    }
    tracing::info!(email = %email.as_str(), "owner account created through the setup page");
    let page = SetupPage {
        site: state.db().site_settings().await?,
        token: String::new(),
        name,
        email: email.as_str().to_owned(),
        error: None,
        error_field: None,
        done: true,
    };
    Ok(no_store(
        render(&state, "site/setup.html", page)?.into_response(),
    ))
}

/// Refuses a form posted from another site: a browser always names the origin of a
/// cross-site POST, and it must match the host the form was served from.
fn check_same_origin(headers: &HeaderMap) -> Result<(), SiteError> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin.split_once("://").map_or("", |(_, h)| h);
    if origin_host.eq_ignore_ascii_case(host) {
        Ok(())
    } else {
        Err(SiteError(Error::Forbidden(
            "this form was sent from another site",
        )))
    }
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}
