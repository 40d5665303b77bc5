//! The topics page (editors and the owner): each topic's description, changed one at a time.

use axum::{
    extract::{Path, RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use dateline_app::{auth::SignedIn, topics};
use dateline_core::{Error, permissions};
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

#[derive(Serialize)]
struct TopicRow {
    name: String,
    slug: String,
    description: String,
}

#[derive(Serialize)]
struct TopicsPage {
    frame: Frame,
    topics: Vec<TopicRow>,
    error: Option<String>,
    error_slug: Option<String>,
}

async fn topics_page(
    state: &AppState,
    me: &SignedIn,
    query: Option<&str>,
    refused: Option<(String, String, Error)>,
) -> Result<Response, SiteError> {
    permissions::may_describe_topics(&me.actor())?;
    let frame = Frame::new(state, me, "topics", query).await?;
    let mut topics: Vec<TopicRow> = state
        .db()
        .described_topics()
        .await?
        .into_iter()
        .map(|t| TopicRow {
            name: t.topic.name,
            slug: t.topic.slug,
            description: t.description,
        })
        .collect();
    let (status, error, error_slug) = match refused {
        None => (StatusCode::OK, None, None),
        Some((slug, typed, e)) => {
            // The refused text is shown again where it was typed.
            if let Some(row) = topics.iter_mut().find(|t| t.slug == slug) {
                row.description = typed;
            }
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(public_message(&e)),
                Some(slug),
            )
        }
    };
    let view = TopicsPage {
        frame,
        topics,
        error,
        error_slug,
    };
    Ok((status, render(state, "admin/topics.html", view)?).into_response())
}

/// `GET /admin/topics`
pub async fn show(
    State(state): State<AppState>,
    Admin(me): Admin,
    RawQuery(query): RawQuery,
) -> Result<Response, SiteError> {
    topics_page(&state, &me, query.as_deref(), None).await
}

/// The description form.
#[derive(Debug, Default, Deserialize)]
pub struct DescriptionFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    description: String,
}

impl FormField for DescriptionFields {
    const MAIN_FIELD: &'static str = "description";
}

/// `POST /admin/topics/{slug}`
pub async fn describe(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(slug): Path<String>,
    SiteForm(f): SiteForm<DescriptionFields>,
) -> Result<Response, SiteError> {
    check_csrf(&me, &f.csrf)?;
    match topics::describe(state.app(), &me.actor(), &slug, &f.description).await {
        Ok(t) => Ok(
            Redirect::to(&format!("/admin/topics?done=saved#topic-{}", t.topic.slug))
                .into_response(),
        ),
        Err(e @ Error::Invalid { .. }) => {
            topics_page(&state, &me, None, Some((slug, f.description, e))).await
        }
        Err(e) => Err(e.into()),
    }
}
