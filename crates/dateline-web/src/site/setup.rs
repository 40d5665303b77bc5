//! The one-time setup page where the owner account is created in the browser.

use axum::{
    extract::{RawQuery, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use dateline_app::users::{self, OwnerCredential};
use dateline_core::{Error, settings::SiteSettings};
use serde::{Deserialize, Serialize};

use super::render;
use crate::{
    AppState, SiteError,
    admin::session::{check_form_token, new_form_token},
    extract::{FormField, SiteForm},
};

impl FormField for SetupFields {
    const MAIN_FIELD: &'static str = "name";
}

#[derive(Debug, Default, Deserialize)]
pub struct SetupFields {
    #[serde(default)]
    token: String,
    #[serde(default)]
    form_token: String,
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
    form_token: String,
    name: String,
    email: String,
    error: Option<String>,
    error_field: Option<String>,
    done: bool,
}

/// `GET /setup?token=…`
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, SiteError> {
    let token = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    users::check_setup_token(state.app(), &token).await?;
    let (form_token, cookie) = new_form_token(&state, &headers)?;
    let page = SetupPage {
        site: state.db().site_settings().await?,
        token,
        form_token,
        name: String::new(),
        email: String::new(),
        error: None,
        error_field: None,
        done: false,
    };
    Ok(no_store(
        (
            [(header::SET_COOKIE, cookie)],
            render(&state, "site/setup.html", page)?,
        )
            .into_response(),
    ))
}

/// `POST /setup`: creates the owner and spends the token, then sends the browser to
/// `/setup/done`, so that reloading the page does not send the form again.
pub async fn create_owner(
    State(state): State<AppState>,
    headers: HeaderMap,
    SiteForm(fields): SiteForm<SetupFields>,
) -> Result<Response, SiteError> {
    crate::security::check_same_origin(&state, &headers)?;
    check_form_token(&headers, &fields.form_token)?;
    let created = users::create_owner(
        state.app(),
        OwnerCredential::SetupToken(fields.token.clone()),
        &fields.name,
        &fields.email,
        &fields.password,
    )
    .await;
    match created {
        Ok(user) => {
            tracing::info!(
                user = user.id,
                "owner account created through the setup page"
            );
            Ok(no_store(Redirect::to("/setup/done").into_response()))
        }
        Err(Error::Invalid { field, reason }) => {
            let (form_token, cookie) = new_form_token(&state, &headers)?;
            let page = SetupPage {
                site: state.db().site_settings().await?,
                token: fields.token,
                form_token,
                name: fields.name,
                email: fields.email,
                error: Some(reason),
                error_field: Some(field),
                done: false,
            };
            let html = render(&state, "site/setup.html", page)?;
            Ok(no_store(
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    [(header::SET_COOKIE, cookie)],
                    html,
                )
                    .into_response(),
            ))
        }
        Err(other) => Err(SiteError(other)),
    }
}

/// `GET /setup/done`: where a successful setup lands; exists once the site has an owner.
pub async fn done(State(state): State<AppState>) -> Result<Response, SiteError> {
    if !state.db().owner_exists().await? {
        return Err(SiteError(Error::NotFound));
    }
    let page = SetupPage {
        site: state.db().site_settings().await?,
        token: String::new(),
        form_token: String::new(),
        name: String::new(),
        email: String::new(),
        error: None,
        error_field: None,
        done: true,
    };
    Ok(no_store(
        render(&state, "site/setup.html", page)?.into_response(),
    ))
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}
