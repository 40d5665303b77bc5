//! Describing topics: the paragraph a topic's page opens with, and what search engines read of it.

use dateline_core::{
    Error, Result,
    actor::Actor,
    events::{EventKind, NewEvent},
    permissions, text,
};
use dateline_store::DescribedTopic;
use serde_json::json;

use crate::App;

/// The longest topic description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;

/// Sets the description of the topic `slug` (empty removes it); records `topic.updated`,
/// unless nothing changed. Returns the topic as it now is.
pub async fn describe(
    app: &App,
    actor: &Actor,
    slug: &str,
    description: &str,
) -> Result<DescribedTopic> {
    permissions::may_describe_topics(actor)?;
    let description = text::optional_text("description", Some(description), MAX_DESCRIPTION_CHARS)?
        .unwrap_or_default();
    let now = app.now();
    let mut tx = app.db().begin_write().await?;
    let topic = tx.described_topic(slug).await?.ok_or(Error::NotFound)?;
    if topic.description == description {
        return Ok(topic);
    }
    tx.set_topic_description(topic.id, &description).await?;
    tx.record(
        &NewEvent::new(
            EventKind::TopicUpdated,
            actor.reference(),
            Some(topic.id),
            json!({ "slug": topic.topic.slug, "name": topic.topic.name, "changed": ["description"] }),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(DescribedTopic {
        description,
        ..topic
    })
}
