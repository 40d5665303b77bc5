//! The owner's settings page: the site's name and description, logo, time zone and date
//! format, language, base URL and list length. One form, changed in one action (one
//! transaction, an event per changed key); every page reads the settings on its next request.

use axum::{
    extract::{RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use dateline_app::{auth::SignedIn, settings};
use dateline_core::{
    Error, permissions,
    settings::{DateFormat, SettingKey, SiteSettings},
};
use serde::{Deserialize, Serialize};

use super::{
    pages::Frame,
    session::{Admin, check_csrf},
};
use crate::{
    AppState, SiteError,
    error::public_message,
    extract::{FormField, SiteForm},
    site::render,
};

/// Images offered as the logo.
const LOGO_CHOICES: i64 = 50;

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct SettingsFields {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    tagline: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    logo: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    date_format: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    base_url: String,
    #[serde(default)]
    articles_per_page: String,
    #[serde(default)]
    comment_max_links: String,
    #[serde(default)]
    comment_hold_words: String,
    #[serde(default)]
    comment_spam_words: String,
    #[serde(default)]
    comment_rate_address: String,
    #[serde(default)]
    comment_rate_article: String,
    #[serde(default)]
    comment_first_time: String,
    #[serde(default)]
    comment_form_min_seconds: String,
    #[serde(default)]
    comment_form_max_hours: String,
    #[serde(default)]
    comment_max_chars: String,
    #[serde(default)]
    comment_thread_depth: String,
    #[serde(default)]
    comment_close_after_days: String,
    #[serde(default)]
    comment_forget_addresses_days: String,
    #[serde(default)]
    comment_order: String,
    #[serde(default)]
    feed_content: String,
    #[serde(default)]
    menu: String,
}

impl FormField for SettingsFields {
    const MAIN_FIELD: &'static str = "title";
}

impl SettingsFields {
    fn of(s: &SiteSettings) -> Self {
        SettingsFields {
            csrf: String::new(),
            title: s.title.clone(),
            tagline: s.tagline.clone(),
            description: s.description.clone(),
            logo: s.logo.map(|id| id.to_string()).unwrap_or_default(),
            time_zone: s.time_zone.clone(),
            date_format: s.date_format.as_str().to_owned(),
            language: s.language.clone(),
            base_url: s.base_url.clone(),
            articles_per_page: s.articles_per_page.to_string(),
            comment_max_links: s.comment_max_links.to_string(),
            comment_hold_words: s.comment_hold_words.clone(),
            comment_spam_words: s.comment_spam_words.clone(),
            comment_rate_address: s.comment_rate_address.to_string(),
            comment_rate_article: s.comment_rate_article.to_string(),
            comment_first_time: s.comment_first_time.as_str().to_owned(),
            comment_form_min_seconds: s.comment_form_min_seconds.to_string(),
            comment_form_max_hours: s.comment_form_max_hours.to_string(),
            comment_max_chars: s.comment_max_chars.to_string(),
            comment_thread_depth: s.comment_thread_depth.to_string(),
            comment_close_after_days: s.comment_close_after_days.to_string(),
            comment_forget_addresses_days: s.comment_forget_addresses_days.to_string(),
            comment_order: s.comment_order.as_str().to_owned(),
            feed_content: s.value_of(SettingKey::FeedContent),
            menu: s.value_of(SettingKey::Menu),
        }
    }

    fn changes(self) -> Vec<(SettingKey, String)> {
        vec![
            (SettingKey::Title, self.title),
            (SettingKey::Tagline, self.tagline),
            (SettingKey::Description, self.description),
            (SettingKey::Logo, self.logo),
            (SettingKey::TimeZone, self.time_zone),
            (SettingKey::DateFormat, self.date_format),
            (SettingKey::Language, self.language),
            (SettingKey::BaseUrl, self.base_url),
            (SettingKey::ArticlesPerPage, self.articles_per_page),
            (SettingKey::CommentMaxLinks, self.comment_max_links),
            (SettingKey::CommentHoldWords, self.comment_hold_words),
            (SettingKey::CommentSpamWords, self.comment_spam_words),
            (SettingKey::CommentRateAddress, self.comment_rate_address),
            (SettingKey::CommentRateArticle, self.comment_rate_article),
            (SettingKey::CommentFirstTime, self.comment_first_time),
            (
                SettingKey::CommentFormMinSeconds,
                self.comment_form_min_seconds,
            ),
            (SettingKey::CommentFormMaxHours, self.comment_form_max_hours),
            (SettingKey::CommentMaxChars, self.comment_max_chars),
            (SettingKey::CommentThreadDepth, self.comment_thread_depth),
            (
                SettingKey::CommentCloseAfterDays,
                self.comment_close_after_days,
            ),
            (
                SettingKey::CommentForgetAddressesDays,
                self.comment_forget_addresses_days,
            ),
            (SettingKey::CommentOrder, self.comment_order),
            (SettingKey::FeedContent, self.feed_content),
            (SettingKey::Menu, self.menu),
        ]
    }
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct SettingsPage {
    frame: Frame,
    values: SettingsFields,
    logos: Vec<Choice>,
    date_formats: Vec<Choice>,
    /// The address the server was started with, used while the base URL is empty.
    server_url: String,
    /// What the classifier has learned, in a sentence.
    classifier: String,
    error: Option<String>,
    error_field: Option<String>,
}

async fn settings_page(
    state: &AppState,
    me: &SignedIn,
    query: Option<&str>,
    values: Option<SettingsFields>,
    error: Option<Error>,
) -> Result<Response, SiteError> {
    permissions::may_administer(&me.actor())?;
    let frame = Frame::new(state, me, "settings", query).await?;
    let values = values.unwrap_or_else(|| SettingsFields::of(&frame.site));
    let (images, _) = state.db().list_media(None, LOGO_CHOICES, 0).await?;
    let logos = images
        .into_iter()
        .map(|m| Choice {
            value: m.id.to_string(),
            label: if m.file_name.is_empty() {
                format!("Image {}", m.id)
            } else {
                format!("{} ({} × {})", m.file_name, m.width, m.height)
            },
        })
        .collect();
    let sample = jiff::civil::date(2009, 7, 31);
    let date_formats = DateFormat::ALL
        .into_iter()
        .map(|f| Choice {
            value: f.as_str().to_owned(),
            label: sample.strftime(f.long_date()).to_string(),
        })
        .collect();
    let (status, error, error_field) = match error {
        None => (StatusCode::OK, None, None),
        Some(e) => {
            let field = match &e {
                Error::Invalid { field, .. } => Some(field.clone()),
                _ => None,
            };
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(public_message(&e)),
                field,
            )
        }
    };
    let view = SettingsPage {
        frame,
        values,
        logos,
        date_formats,
        server_url: state.config().base_url.clone(),
        classifier: classifier_sentence(state).await?,
        error,
        error_field,
    };
    Ok((status, render(state, "admin/settings.html", view)?).into_response())
}

/// What the classifier has learned from, and whether it speaks yet.
pub(crate) async fn classifier_sentence(state: &AppState) -> Result<String, SiteError> {
    let (e, _) = dateline_app::comments::classifier::status(state.app()).await?;
    let needed = dateline_core::classifier::MIN_EXAMPLES;
    Ok(if e.ready() {
        format!(
            "Learned from {} spam and {} approved comments; it holds or marks spam what looks \
             like the spam it has seen.",
            e.spam, e.ham
        )
    } else {
        format!(
            "Learned from {} spam and {} approved comments; it says nothing until it has seen \
             {needed} of each. Every approval and every spam decision teaches it.",
            e.spam, e.ham
        )
    })
}

/// `GET /admin/settings` (owner).
pub async fn show(
    State(state): State<AppState>,
    Admin(me): Admin,
    RawQuery(query): RawQuery,
) -> Result<Response, SiteError> {
    settings_page(&state, &me, query.as_deref(), None, None).await
}

/// `POST /admin/settings` (owner): a refused value is shown in place with everything typed.
pub async fn change(
    State(state): State<AppState>,
    Admin(me): Admin,
    SiteForm(f): SiteForm<SettingsFields>,
) -> Result<Response, SiteError> {
    check_csrf(&me, &f.csrf)?;
    match settings::change_many(state.app(), &me.actor(), &f.clone().changes()).await {
        Ok(changed) => {
            if changed.contains(&SettingKey::BaseUrl) {
                state.reload_settings().await?;
            }
            Ok(Redirect::to("/admin/settings?done=saved").into_response())
        }
        Err(e @ Error::Invalid { .. }) => settings_page(&state, &me, None, Some(f), Some(e)).await,
        Err(e) => Err(e.into()),
    }
}
