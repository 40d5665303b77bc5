//! Accounts over JSON, as the admin's users and profile pages offer them: the owner lists
//! members, invites (a one-time link, valid seven days), changes roles and deactivates; every
//! member reads and changes their own profile and password and manages their API tokens. The
//! rules are the actions', so the admin and the API cannot differ.

use axum::{
    Json,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use dateline_app::{
    tokens,
    users::{self, ProfileForm},
};
use dateline_core::{Error, patch::Patch, permissions, users::Role};
use dateline_store::{Account, TokenInfo};
use serde::{Deserialize, Serialize};

use super::Staff;
use crate::{
    AppState,
    error::ApiError,
    extract::{ApiJson, parse_id},
};

/// A member as the API shows them (to the owner, or to themselves).
#[derive(Serialize)]
pub struct AccountJson {
    id: i64,
    name: String,
    email: String,
    slug: String,
    bio: String,
    role: &'static str,
    active: bool,
    avatar_media_id: Option<i64>,
    created_at: String,
}

impl From<Account> for AccountJson {
    fn from(a: Account) -> Self {
        AccountJson {
            id: a.user.id,
            role: a.user.role.as_str(),
            name: a.user.name,
            email: a.user.email,
            slug: a.user.slug,
            bio: a.user.bio,
            active: a.active,
            avatar_media_id: a.avatar_media_id,
            created_at: a.created_at.to_string(),
        }
    }
}

async fn account(state: &AppState, id: i64) -> Result<AccountJson, ApiError> {
    Ok(state.db().account(id).await?.ok_or(Error::NotFound)?.into())
}

/// `GET /users` (owner): every account that can sign in, by name.
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<AccountJson>>, ApiError> {
    permissions::may_administer(&staff.actor())?;
    let accounts = state.db().accounts().await?;
    Ok(Json(
        accounts
            .into_iter()
            .filter(|a| a.can_sign_in)
            .map(AccountJson::from)
            .collect(),
    ))
}

/// Body of `POST /users/invitations`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvitationInput {
    role: String,
}

#[derive(Serialize)]
struct InvitationJson {
    id: i64,
    role: &'static str,
    /// The one-time link to hand to the invitee; shown once, stored only as a hash.
    url: String,
    expires_at: String,
}

/// `POST /users/invitations` (owner).
pub async fn invite(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(input): ApiJson<InvitationInput>,
) -> Result<Response, ApiError> {
    let role = Role::parse("role", &input.role)?;
    let (id, token) = users::invite(state.app(), &staff.actor(), role).await?;
    let body = InvitationJson {
        id,
        role: role.as_str(),
        url: state.absolute(&format!("/admin/join?token={token}")),
        expires_at: (state.now() + users::INVITATION_LIFETIME).to_string(),
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Body of `PATCH /users/{id}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountPatch {
    role: Option<String>,
    active: Option<bool>,
}

/// `PATCH /users/{id}` (owner): the role, and whether the account may sign in (a deactivated
/// one keeps its articles; its sessions and tokens stop working).
pub async fn change(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<AccountPatch>,
) -> Result<Json<AccountJson>, ApiError> {
    let id = parse_id(&id)?;
    let actor = staff.actor();
    permissions::may_administer(&actor)?;
    // Both checked before either changes.
    let role = p
        .role
        .as_deref()
        .map(|r| Role::parse("role", r))
        .transpose()?;
    if let Some(role) = role {
        users::change_role(state.app(), &actor, id, role).await?;
    }
    if let Some(active) = p.active {
        users::set_active(state.app(), &actor, id, active).await?;
    }
    Ok(Json(account(&state, id).await?))
}

/// `GET /me`: the account the token belongs to.
pub async fn me(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<AccountJson>, ApiError> {
    Ok(Json(account(&state, staff.0.id).await?))
}

/// Body of `PATCH /me`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    /// `null` empties it: refused for the name, a cleared biography.
    #[serde(default)]
    name: Patch<String>,
    #[serde(default)]
    bio: Patch<String>,
    #[serde(default)]
    avatar_media_id: Patch<serde_json::Number>,
}

/// `PATCH /me`: name, biography and picture (an image of the media library).
pub async fn change_me(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(p): ApiJson<ProfilePatch>,
) -> Result<Json<AccountJson>, ApiError> {
    let current = state
        .db()
        .account(staff.0.id)
        .await?
        .ok_or(Error::NotFound)?;
    let avatar = match p.avatar_media_id {
        Patch::Absent => current.avatar_media_id,
        Patch::Null => None,
        Patch::Value(n) => Some(whole_id("avatar_media_id", &n)?),
    };
    let form = ProfileForm {
        name: p.name.apply_required(current.user.name),
        bio: p.bio.apply_required(current.user.bio),
        avatar_media_id: avatar,
    };
    users::update_profile(state.app(), &staff.actor(), staff.0.id, &form).await?;
    Ok(Json(account(&state, staff.0.id).await?))
}

/// A JSON number that names a record: `3` or `3.0`, as the JSON Schema `integer` allows.
pub(super) fn whole_id(field: &str, n: &serde_json::Number) -> Result<i64, Error> {
    n.as_i64()
        .or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        })
        .ok_or_else(|| Error::invalid(field, "Use the id of an image in the media library."))
}

/// Body of `POST /me/password`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// `POST /me/password`: asks the current password; every browser session of the account ends
/// (its API tokens keep working: revoke them separately).
pub async fn change_password(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(p): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    users::change_password(
        state.app(),
        &staff.actor(),
        &p.current_password,
        &p.new_password,
        None,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
pub struct TokenJson {
    id: i64,
    label: String,
    created_at: String,
    last_used_at: Option<String>,
    revoked_at: Option<String>,
}

impl From<TokenInfo> for TokenJson {
    fn from(t: TokenInfo) -> Self {
        TokenJson {
            id: t.id,
            label: t.label,
            created_at: t.created_at.to_string(),
            last_used_at: t.last_used_at.map(|t| t.to_string()),
            revoked_at: t.revoked_at.map(|t| t.to_string()),
        }
    }
}

/// `GET /tokens`: the member's own tokens, newest first (never the tokens themselves).
pub async fn tokens(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<TokenJson>>, ApiError> {
    let list = tokens::list(state.app(), &staff.actor(), &staff.0).await?;
    Ok(Json(list.into_iter().map(TokenJson::from).collect()))
}

/// Body of `POST /tokens`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    label: String,
}

#[derive(Serialize)]
struct CreatedToken {
    id: i64,
    label: String,
    /// The token: shown this once, stored only as a hash.
    token: String,
}

/// `POST /tokens`: a new token for the member's own account.
pub async fn create_token(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(input): ApiJson<TokenInput>,
) -> Result<Response, ApiError> {
    let (id, token) = tokens::create(state.app(), &staff.actor(), &staff.0, &input.label).await?;
    let body = CreatedToken {
        id,
        label: input.label.trim().to_owned(),
        token,
    };
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response())
}

/// `DELETE /tokens/{id}`: revokes one of the member's tokens (the owner may revoke anyone's).
pub async fn revoke_token(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    tokens::revoke(state.app(), &staff.actor(), tokens::RevokeBy::Id(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
