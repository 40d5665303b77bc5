//! Signing in and out, the profile page (name, password, sessions, API tokens), the users page
//! (invitations, roles, deactivation) and the page where an invitation is accepted.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, Path, RawQuery, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use dateline_app::{
    auth::{self, Client},
    tokens, users,
};
use dateline_core::{Error, settings::SiteSettings, users::Role};
use serde::{Deserialize, Serialize};

use super::{
    pages::Frame,
    query_value,
    session::{
        Admin, FORM_COOKIE, SESSION_COOKIE, check_csrf, check_form_token, new_form_token,
        set_cookie,
    },
};
use crate::{
    AppState, SiteError,
    extract::{FormField, SiteForm, parse_id},
    site::{render, views::exact_time},
};

/// Where to go after signing in: a path of this site's admin, nothing else.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/admin") && !n.starts_with("//") && !n.contains('\\') => {
            n.to_owned()
        }
        _ => "/admin".to_owned(),
    }
}

#[derive(Serialize)]
struct LoginPage {
    site: SiteSettings,
    form_token: String,
    next: String,
    email: String,
    error: Option<String>,
    joined: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginFields {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    form_token: String,
}

impl FormField for LoginFields {
    const MAIN_FIELD: &'static str = "email";
}

/// What the login page shows besides its form.
#[derive(Default)]
struct LoginAnswer {
    status: StatusCode,
    email: String,
    next: String,
    error: Option<String>,
    joined: bool,
    retry_after: Option<u64>,
}

async fn login_form(
    state: &AppState,
    headers: &HeaderMap,
    answer: LoginAnswer,
) -> Result<Response, SiteError> {
    let (form_token, cookie) = new_form_token(state, headers)?;
    let page = LoginPage {
        site: state.db().site_settings().await?,
        form_token,
        next: answer.next,
        email: answer.email,
        error: answer.error,
        joined: answer.joined,
    };
    let html = render(state, "admin/login.html", page)?;
    let mut response = (answer.status, [(header::SET_COOKIE, cookie)], html).into_response();
    if let Some(secs) = answer.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, secs.into());
    }
    Ok(response)
}

/// `GET /admin/login`
pub async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, SiteError> {
    let next = safe_next(query_value(query.as_deref(), "next").as_deref());
    let joined = query_value(query.as_deref(), "joined").is_some();
    let answer = LoginAnswer {
        next,
        joined,
        ..Default::default()
    };
    login_form(&state, &headers, answer).await
}

/// `POST /admin/login`
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    SiteForm(fields): SiteForm<LoginFields>,
) -> Result<Response, SiteError> {
    crate::security::check_same_origin(&state, &headers)?;
    check_form_token(&headers, &fields.form_token)?;
    let client = Client {
        ip: state.client_ip(peer, &headers),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    let next = safe_next(Some(&fields.next));
    match auth::sign_in(state.app(), &fields.email, &fields.password, &client).await {
        Ok((token, _)) => {
            let cookie = set_cookie(
                &state,
                SESSION_COOKIE,
                &token,
                auth::SESSION_LIFETIME.as_secs(),
            );
            let spent = set_cookie(&state, FORM_COOKIE, "", 0);
            let mut response = Redirect::to(&next).into_response();
            response.headers_mut().append(header::SET_COOKIE, cookie);
            response.headers_mut().append(header::SET_COOKIE, spent);
            Ok(response)
        }
        Err(Error::Invalid { reason, .. }) => {
            let answer = LoginAnswer {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                email: fields.email,
                next,
                error: Some(reason),
                ..Default::default()
            };
            login_form(&state, &headers, answer).await
        }
        Err(Error::TooManyRequests { retry_after_secs }) => {
            let message = format!(
                "Too many failed attempts. Try again in {} {}.",
                retry_after_secs,
                if retry_after_secs == 1 {
                    "second"
                } else {
                    "seconds"
                }
            );
            let answer = LoginAnswer {
                status: StatusCode::TOO_MANY_REQUESTS,
                email: fields.email,
                next,
                error: Some(message),
                retry_after: Some(retry_after_secs),
                ..Default::default()
            };
            login_form(&state, &headers, answer).await
        }
        Err(e) => Err(SiteError(e)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    everywhere: Option<String>,
}

impl FormField for CsrfOnly {
    const MAIN_FIELD: &'static str = "csrf";
}

/// `POST /admin/logout` (with `everywhere=1`: every session of the account).
pub async fn logout(
    State(state): State<AppState>,
    Admin(me): Admin,
    SiteForm(fields): SiteForm<CsrfOnly>,
) -> Result<Response, SiteError> {
    check_csrf(&me, &fields.csrf)?;
    auth::sign_out(state.app(), &me, fields.everywhere.is_some()).await?;
    let mut response = Redirect::to("/admin/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, "", 0),
    );
    Ok(response)
}

#[derive(Serialize)]
struct SessionRow {
    id: i64,
    current: bool,
    browser: String,
    started: String,
    last_seen: String,
}

#[derive(Serialize)]
struct TokenRow {
    id: i64,
    label: String,
    created: String,
    last_used: Option<String>,
    revoked: bool,
}

#[derive(Serialize, Default)]
struct ProfileValues {
    name: String,
    bio: String,
    avatar_media_id: String,
}

#[derive(Serialize)]
struct ProfilePage {
    frame: Frame,
    email: String,
    values: ProfileValues,
    error: Option<String>,
    error_field: Option<String>,
    sessions: Vec<SessionRow>,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
    images: Vec<super::media::ImageChoice>,
}

async fn profile_page(
    state: &AppState,
    me: &auth::SignedIn,
    query: Option<&str>,
    values: Option<ProfileValues>,
    error: Option<Error>,
    new_token: Option<String>,
) -> Result<Response, SiteError> {
    let frame = Frame::new(state, me, "profile", query).await?;
    let tz = frame.site.tz();
    let account = state
        .db()
        .account(me.user.id)
        .await?
        .ok_or(Error::NotFound)?;
    let values = values.unwrap_or_else(|| ProfileValues {
        name: account.user.name.clone(),
        bio: account.user.bio.clone(),
        avatar_media_id: account
            .avatar_media_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
    });
    let images = super::media::choices(state, values.avatar_media_id.parse().ok()).await?;
    let sessions = state
        .db()
        .sessions_of(me.user.id, state.now())
        .await?
        .into_iter()
        .map(|s| SessionRow {
            current: s.id == me.session.id,
            id: s.id,
            browser: s.user_agent.unwrap_or_else(|| "Unknown browser".into()),
            started: exact_time(s.created_at, &tz),
            last_seen: exact_time(s.last_seen_at, &tz),
        })
        .collect();
    let tokens = tokens::list(state.app(), &me.actor(), &me.user)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            label: t.label,
            created: exact_time(t.created_at, &tz),
            last_used: t.last_used_at.map(|l| exact_time(l, &tz)),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    let (status, error, error_field) = match error {
        None => (StatusCode::OK, None, None),
        Some(Error::Invalid { field, reason }) => {
            (StatusCode::UNPROCESSABLE_ENTITY, Some(reason), Some(field))
        }
        Some(other) => return Err(SiteError(other)),
    };
    let page = ProfilePage {
        frame,
        email: account.user.email,
        values,
        error,
        error_field,
        sessions,
        tokens,
        new_token,
        images,
    };
    Ok((status, render(state, "admin/profile.html", page)?).into_response())
}

/// `GET /admin/profile`
pub async fn profile(
    State(state): State<AppState>,
    Admin(me): Admin,
    RawQuery(query): RawQuery,
) -> Result<Response, SiteError> {
    profile_page(&state, &me, query.as_deref(), None, None, None).await
}

#[derive(Debug, Default, Deserialize)]
pub struct ProfileFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    bio: String,
    #[serde(default)]
    avatar_media_id: String,
}

impl FormField for ProfileFields {
    const MAIN_FIELD: &'static str = "name";
}

/// `POST /admin/profile`
pub async fn save_profile(
    State(state): State<AppState>,
    Admin(me): Admin,
    SiteForm(f): SiteForm<ProfileFields>,
) -> Result<Response, SiteError> {
    check_csrf(&me, &f.csrf)?;
    let avatar = match f.avatar_media_id.trim() {
        "" => Ok(None),
        s => s
            .parse::<i64>()
            .map(Some)
            .map_err(|_| Error::invalid("avatar_media_id", "Use the id of an uploaded image.")),
    };
    let result = match avatar {
        Ok(avatar_media_id) => {
            let form = users::ProfileForm {
                name: f.name.clone(),
                bio: f.bio.clone(),
                avatar_media_id,
            };
            users::update_profile(state.app(), &me.actor(), me.user.id, &form).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/admin/profile?done=saved").into_response()),
        Err(e @ Error::Invalid { .. }) => {
            let values = ProfileValues {
                name: f.name,
                bio: f.bio,
                avatar_media_id: f.avatar_media_id,
            };
            profile_page(&state, &me, None, Some(values), Some(e), None).await
        }
        Err(e) => Err(SiteError(e)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PasswordFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

impl FormField for PasswordFields {
    const MAIN_FIELD: &'static str = "current_password";
}

/// `POST /admin/profile/password`
pub async fn change_password(
    State(state): State<AppState>,
    Admin(me): Admin,
    SiteForm(f): SiteForm<PasswordFields>,
) -> Result<Response, SiteError> {
    check_csrf(&me, &f.csrf)?;
    let changed = users::change_password(
        state.app(),
        &me.actor(),
        &f.current_password,
        &f.new_password,
        Some(me.session.id),
    )
    .await;
    match changed {
        Ok(()) => Ok(Redirect::to("/admin/profile?done=password").into_response()),
        Err(Error::Invalid { field, reason }) => {
            let field = if field == "password" {
                "new_password".to_owned()
            } else {
                field
            };
            profile_page(
                &state,
                &me,
                None,
                None,
                Some(Error::Invalid { field, reason }),
                None,
            )
            .await
        }
        Err(e) => Err(SiteError(e)),
    }
}

/// `POST /admin/profile/sessions/{id}/end`
pub async fn end_session(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<String>,
    SiteForm(f): SiteForm<CsrfOnly>,
) -> Result<Response, SiteError> {
    check_csrf(&me, &f.csrf)?;
    let id = parse_id(&id)?;
    auth::end_session(state.app(), &me, id).await?;
    if id == me.session.id {
        return Ok(Redirect::to("/admin/login").into_response());
    }
    Ok(Redirect::to("/admin/profile?done=session-ended").into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct TokenFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    label: String,
}

impl FormField for TokenFields {
    const MAIN_FIELD: &'static str = "label";
}

/// `POST /admin/profile/tokens`: the new token is shown once, on the page this answers with.
pub async fn create_token(
    State(state): State<AppState>,
    Admin(me): Admin,
    SiteForm(f): SiteForm<TokenFields>,
) -> Result<Response, SiteError> {
    check_csrf(&me, &f.csrf)?;
    match tokens::create(state.app(), &me.actor(), &me.user, &f.label).await {
        Ok((_, token)) => profile_page(&state, &me, None, None, None, Some(token)).await,
        Err(e @ Error::Invalid { .. }) => {
            profile_page(&state, &me, None, None, Some(e), None).await
        }
        Err(e) => Err(SiteError(e)),
    }
}

/// `POST /admin/profile/tokens/{id}/revoke`
pub async fn revoke_token(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<String>,
    SiteForm(f): SiteForm<CsrfOnly>,
) -> Result<Response, SiteError> {
    check_csrf(&me, &f.csrf)?;
    let id = parse_id(&id)?;
    tokens::revoke(state.app(), &me.actor(), tokens::RevokeBy::Id(id)).await?;
    Ok(Redirect::to("/admin/profile?done=token-revoked").into_response())
}

#[derive(Serialize)]
struct UserRow {
    id: i64,
    name: String,
    email: String,
    role: &'static str,
    active: bool,
    can_sign_in: bool,
    is_me: bool,
    author_url: String,
}

#[derive(Serialize)]
struct InvitationRow {
    role: &'static str,
    expires: String,
}

#[derive(Serialize)]
struct UsersPage {
    frame: Frame,
    users: Vec<UserRow>,
    invitations: Vec<InvitationRow>,
    roles: [&'static str; 4],
    invitation_link: Option<String>,
    error: Option<String>,
}

async fn users_page(
    state: &AppState,
    me: &auth::SignedIn,
    query: Option<&str>,
    invitation_link: Option<String>,
    error: Option<String>,
) -> Result<Response, SiteError> {
    dateline_core::permissions::may_administer(&me.actor())?;
    let frame = Frame::new(state, me, "users", query).await?;
    let tz = frame.site.tz();
    let users = state
        .db()
        .accounts()
        .await?
        .into_iter()
        .map(|a| UserRow {
            id: a.user.id,
            author_url: format!("/authors/{}/", a.user.slug),
            name: a.user.name,
            email: a.user.email,
            role: a.user.role.as_str(),
            active: a.active,
            can_sign_in: a.can_sign_in,
            is_me: a.user.id == me.user.id,
        })
        .collect();
    let invitations = state
        .db()
        .open_invitations(state.now())
        .await?
        .into_iter()
        .map(|i| InvitationRow {
            role: i.role.as_str(),
            expires: exact_time(i.expires_at, &tz),
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = UsersPage {
        frame,
        users,
        invitations,
        roles: ["owner", "editor", "author", "contributor"],
        invitation_link,
        error,
    };
    Ok((status, render(state, "admin/users.html", page)?).into_response())
}

/// `GET /admin/users` (the owner)
pub async fn users(
    State(state): State<AppState>,
    Admin(me): Admin,
    RawQuery(query): RawQuery,
) -> Result<Response, SiteError> {
    users_page(&state, &me, query.as_deref(), None, None).await
}

#[derive(Debug, Default, Deserialize)]
pub struct RoleFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

impl FormField for RoleFields {
    const MAIN_FIELD: &'static str = "role";
}

/// `POST /admin/users/invite`: the one-time link is shown once, on the page this answers with.
pub async fn invite(
    State(state): State<AppState>,
    Admin(me): Admin,
    SiteForm(f): SiteForm<RoleFields>,
) -> Result<Response, SiteError> {
    check_csrf(&me, &f.csrf)?;
    let role = match Role::parse("role", &f.role) {
        Ok(r) => r,
        Err(Error::Invalid { reason, .. }) => {
            return users_page(&state, &me, None, None, Some(reason)).await;
        }
        Err(e) => return Err(SiteError(e)),
    };
    let (_, token) = users::invite(state.app(), &me.actor(), role).await?;
    let link = state.absolute(&format!("/admin/join?token={token}"));
    users_page(&state, &me, None, Some(link), None).await
}

/// `POST /admin/users/{id}/role`
pub async fn change_role(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<String>,
    SiteForm(f): SiteForm<RoleFields>,
) -> Result<Response, SiteError> {
    check_csrf(&me, &f.csrf)?;
    let id = parse_id(&id)?;
    let outcome = match Role::parse("role", &f.role) {
        Ok(role) => users::change_role(state.app(), &me.actor(), id, role).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to("/admin/users?done=role").into_response()),
        Err(Error::InUse(message)) => users_page(&state, &me, None, None, Some(message)).await,
        Err(Error::Invalid { reason, .. }) => {
            users_page(&state, &me, None, None, Some(reason)).await
        }
        Err(e) => Err(SiteError(e)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ActiveFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    active: String,
}

impl FormField for ActiveFields {
    const MAIN_FIELD: &'static str = "active";
}

/// `POST /admin/users/{id}/active` with `active=0` (deactivate) or `1` (reactivate).
pub async fn set_active(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<String>,
    SiteForm(f): SiteForm<ActiveFields>,
) -> Result<Response, SiteError> {
    check_csrf(&me, &f.csrf)?;
    let id = parse_id(&id)?;
    let active = f.active == "1";
    match users::set_active(state.app(), &me.actor(), id, active).await {
        Ok(()) => Ok(Redirect::to(if active {
            "/admin/users?done=reactivated"
        } else {
            "/admin/users?done=deactivated"
        })
        .into_response()),
        Err(Error::InUse(message)) => users_page(&state, &me, None, None, Some(message)).await,
        Err(e) => Err(SiteError(e)),
    }
}

#[derive(Serialize)]
struct JoinPage {
    site: SiteSettings,
    token: String,
    role: &'static str,
    form_token: String,
    name: String,
    email: String,
    error: Option<String>,
    error_field: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct JoinFields {
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

impl FormField for JoinFields {
    const MAIN_FIELD: &'static str = "name";
}

async fn join_form(
    state: &AppState,
    headers: &HeaderMap,
    token: String,
    name: String,
    email: String,
    error: Option<(String, String)>,
) -> Result<Response, SiteError> {
    let role = users::invitation_role(state.app(), &token).await?;
    let (form_token, cookie) = new_form_token(state, headers)?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (error_field, error) = error.unzip();
    let page = JoinPage {
        site: state.db().site_settings().await?,
        token,
        role: role.as_str(),
        form_token,
        name,
        email,
        error,
        error_field,
    };
    let html = render(state, "admin/join.html", page)?;
    Ok((status, [(header::SET_COOKIE, cookie)], html).into_response())
}

/// `GET /admin/join?token=…`: where an invitation link leads.
pub async fn join_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, SiteError> {
    let token = query_value(query.as_deref(), "token").unwrap_or_default();
    join_form(&state, &headers, token, String::new(), String::new(), None).await
}

/// `POST /admin/join`: creates the account, then sends the new member to sign in.
pub async fn join(
    State(state): State<AppState>,
    headers: HeaderMap,
    SiteForm(f): SiteForm<JoinFields>,
) -> Result<Response, SiteError> {
    crate::security::check_same_origin(&state, &headers)?;
    check_form_token(&headers, &f.form_token)?;
    match users::accept_invitation(state.app(), &f.token, &f.name, &f.email, &f.password).await {
        Ok(_) => Ok(Redirect::to("/admin/login?joined=1").into_response()),
        Err(Error::Invalid { field, reason }) => {
            join_form(
                &state,
                &headers,
                f.token,
                f.name,
                f.email,
                Some((field, reason)),
            )
            .await
        }
        Err(Error::Conflict { field }) => {
            let reason = format!("This {field} is already taken: choose another.");
            join_form(
                &state,
                &headers,
                f.token,
                f.name,
                f.email,
                Some((field.to_owned(), reason)),
            )
            .await
        }
        Err(e) => Err(SiteError(e)),
    }
}
