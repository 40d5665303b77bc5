//! `GET /settings` and `PATCH /settings`: the owner's settings page, over JSON. A PATCH checks
//! every value before any changes, then changes them in one transaction, one
//! `setting.changed` event per key that changed.

use axum::{Json, extract::State};
use dateline_app::settings;
use dateline_core::{
    Error, permissions,
    settings::{SettingKey, SiteSettings},
};
use serde::{Deserialize, Serialize};

use super::Staff;
use crate::{ApiError, AppState, extract::ApiJson};
use dateline_core::patch::Patch;

/// The settings as the API shows them.
#[derive(Serialize)]
pub struct SettingsJson {
    title: String,
    tagline: String,
    description: String,
    logo_media_id: Option<i64>,
    time_zone: String,
    date_format: &'static str,
    language: String,
    /// Empty when the site uses the address the server was started with.
    base_url: String,
    articles_per_page: u32,
    comment_max_links: u32,
    comment_hold_words: String,
    comment_spam_words: String,
    comment_rate_address: u32,
    comment_rate_article: u32,
    comment_first_time: &'static str,
    comment_form_min_seconds: u32,
    comment_form_max_hours: u32,
    comment_max_chars: u32,
    comment_thread_depth: u32,
    comment_close_after_days: u32,
    comment_forget_addresses_days: u32,
    comment_order: &'static str,
    feed_content: &'static str,
    /// One section a line: `Label | /path/`.
    menu: String,
}

impl From<SiteSettings> for SettingsJson {
    fn from(s: SiteSettings) -> Self {
        let menu = s.value_of(SettingKey::Menu);
        SettingsJson {
            menu,
            title: s.title,
            tagline: s.tagline,
            description: s.description,
            logo_media_id: s.logo,
            time_zone: s.time_zone,
            date_format: s.date_format.as_str(),
            language: s.language,
            base_url: s.base_url,
            articles_per_page: s.articles_per_page,
            comment_max_links: s.comment_max_links,
            comment_hold_words: s.comment_hold_words,
            comment_spam_words: s.comment_spam_words,
            comment_rate_address: s.comment_rate_address,
            comment_rate_article: s.comment_rate_article,
            comment_first_time: s.comment_first_time.as_str(),
            comment_form_min_seconds: s.comment_form_min_seconds,
            comment_form_max_hours: s.comment_form_max_hours,
            comment_max_chars: s.comment_max_chars,
            comment_thread_depth: s.comment_thread_depth,
            comment_close_after_days: s.comment_close_after_days,
            comment_forget_addresses_days: s.comment_forget_addresses_days,
            comment_order: s.comment_order.as_str(),
            feed_content: if s.feed_full_content {
                "full"
            } else {
                "summary"
            },
        }
    }
}

/// `GET /settings`: any member of staff may read them (the owner changes them).
pub async fn show(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<Json<SettingsJson>, ApiError> {
    Ok(Json(state.db().site_settings().await?.into()))
}

/// Body of `PATCH /settings`: the fields to change; absent ones keep their value.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    // Text fields: `null` empties them, which clears the optional ones and is refused, with
    // the field's own message, for the required ones.
    #[serde(default)]
    title: Patch<String>,
    #[serde(default)]
    tagline: Patch<String>,
    #[serde(default)]
    description: Patch<String>,
    /// A number, so that `3.0` is read as 3 as the JSON Schema `integer` allows.
    #[serde(default)]
    logo_media_id: Patch<serde_json::Number>,
    #[serde(default)]
    time_zone: Patch<String>,
    #[serde(default)]
    date_format: Patch<String>,
    #[serde(default)]
    language: Patch<String>,
    #[serde(default)]
    base_url: Patch<String>,
    #[serde(default)]
    articles_per_page: Patch<serde_json::Number>,
    #[serde(default)]
    comment_max_links: Patch<serde_json::Number>,
    #[serde(default)]
    comment_hold_words: Patch<String>,
    #[serde(default)]
    comment_spam_words: Patch<String>,
    #[serde(default)]
    comment_rate_address: Patch<serde_json::Number>,
    #[serde(default)]
    comment_rate_article: Patch<serde_json::Number>,
    #[serde(default)]
    comment_first_time: Patch<String>,
    #[serde(default)]
    comment_form_min_seconds: Patch<serde_json::Number>,
    #[serde(default)]
    comment_form_max_hours: Patch<serde_json::Number>,
    #[serde(default)]
    comment_max_chars: Patch<serde_json::Number>,
    #[serde(default)]
    comment_thread_depth: Patch<serde_json::Number>,
    #[serde(default)]
    comment_close_after_days: Patch<serde_json::Number>,
    #[serde(default)]
    comment_forget_addresses_days: Patch<serde_json::Number>,
    #[serde(default)]
    comment_order: Patch<String>,
    #[serde(default)]
    feed_content: Patch<String>,
    #[serde(default)]
    menu: Patch<String>,
}

/// `PATCH /settings` (owner).
pub async fn change(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(p): ApiJson<SettingsPatch>,
) -> Result<Json<SettingsJson>, ApiError> {
    let actor = staff.actor();
    permissions::may_administer(&actor)?;
    let mut changes = Vec::new();
    let mut text = |key: SettingKey, value: Patch<String>| {
        if value.is_given() {
            changes.push((key, value.apply_required(String::new())));
        }
    };
    text(SettingKey::Title, p.title);
    text(SettingKey::Tagline, p.tagline);
    text(SettingKey::Description, p.description);
    text(SettingKey::TimeZone, p.time_zone);
    text(SettingKey::DateFormat, p.date_format);
    text(SettingKey::Language, p.language);
    text(SettingKey::BaseUrl, p.base_url);
    text(SettingKey::CommentHoldWords, p.comment_hold_words);
    text(SettingKey::CommentSpamWords, p.comment_spam_words);
    text(SettingKey::CommentFirstTime, p.comment_first_time);
    text(SettingKey::CommentOrder, p.comment_order);
    text(SettingKey::FeedContent, p.feed_content);
    text(SettingKey::Menu, p.menu);
    for (key, number) in [
        (SettingKey::ArticlesPerPage, p.articles_per_page),
        (SettingKey::CommentMaxLinks, p.comment_max_links),
        (SettingKey::CommentRateAddress, p.comment_rate_address),
        (SettingKey::CommentRateArticle, p.comment_rate_article),
        (
            SettingKey::CommentFormMinSeconds,
            p.comment_form_min_seconds,
        ),
        (SettingKey::CommentFormMaxHours, p.comment_form_max_hours),
        (SettingKey::CommentMaxChars, p.comment_max_chars),
        (SettingKey::CommentThreadDepth, p.comment_thread_depth),
        (
            SettingKey::CommentCloseAfterDays,
            p.comment_close_after_days,
        ),
        (
            SettingKey::CommentForgetAddressesDays,
            p.comment_forget_addresses_days,
        ),
    ] {
        match number {
            Patch::Absent => {}
            // The setting's own check judges the number: null, fractions and negatives too.
            Patch::Null => changes.push((key, String::new())),
            Patch::Value(n) => {
                let n = n
                    .as_i64()
                    .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64));
                changes.push((key, n.map(|n| n.to_string()).unwrap_or_default()));
            }
        }
    }
    match p.logo_media_id {
        Patch::Absent => {}
        Patch::Null => changes.push((SettingKey::Logo, String::new())),
        Patch::Value(n) => {
            let id = super::accounts::whole_id("logo_media_id", &n)?;
            changes.push((SettingKey::Logo, id.to_string()));
        }
    }
    let changed = settings::change_many(state.app(), &actor, &changes)
        .await
        .map_err(|e| match e {
            // The stored key is `logo`; the API names the field by what it holds.
            Error::Invalid { field, reason } if field == "logo" => Error::Invalid {
                field: "logo_media_id".into(),
                reason,
            },
            e => e,
        })?;
    if changed.contains(&SettingKey::BaseUrl) {
        state.reload_settings().await?;
    }
    Ok(Json(state.db().site_settings().await?.into()))
}
