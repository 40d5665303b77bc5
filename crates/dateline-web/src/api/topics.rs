//! `GET /topics` and `PATCH /topics/{slug}`: the topics staff file articles under, and the
//! paragraph each topic's page opens with.

use axum::{
    Json,
    extract::{Path, State},
};
use dateline_app::topics;
use dateline_store::DescribedTopic;
use serde::{Deserialize, Serialize};

use super::Staff;
use crate::{ApiError, AppState, extract::ApiJson};

/// A topic as the API shows it.
#[derive(Serialize)]
pub struct TopicJson {
    name: String,
    slug: String,
    description: String,
    /// Its page, absolute.
    url: String,
}

fn to_json(state: &AppState, t: DescribedTopic) -> TopicJson {
    TopicJson {
        url: state.absolute(&format!("/topics/{}/", t.topic.slug)),
        name: t.topic.name,
        slug: t.topic.slug,
        description: t.description,
    }
}

#[derive(Serialize)]
pub struct TopicList {
    items: Vec<TopicJson>,
}

/// `GET /topics` (staff): every topic, by name, drafts' topics too.
pub async fn list(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<Json<TopicList>, ApiError> {
    let items = state
        .db()
        .described_topics()
        .await?
        .into_iter()
        .map(|t| to_json(&state, t))
        .collect();
    Ok(Json(TopicList { items }))
}

/// Body of `PATCH /topics/{slug}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicPatch {
    description: String,
}

/// `PATCH /topics/{slug}` (editors and the owner): a new description.
pub async fn change(
    State(state): State<AppState>,
    staff: Staff,
    Path(slug): Path<String>,
    ApiJson(p): ApiJson<TopicPatch>,
) -> Result<Json<TopicJson>, ApiError> {
    let topic = topics::describe(state.app(), &staff.actor(), &slug, &p.description).await?;
    Ok(Json(to_json(&state, topic)))
}
