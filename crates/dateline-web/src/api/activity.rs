//! `GET /activity`: the activity log, for editors and the owner.

use axum::{Json, extract::State};
use dateline_app::activity;
use dateline_core::{
    Error,
    actor::ActorKind,
    events::{Event, EventKind, SubjectKind},
};
use dateline_store::EventFilter;
use serde::{Deserialize, Serialize};

use super::Staff;
use crate::{
    AppState,
    error::ApiError,
    extract::{ApiQuery, KnownParams},
};

/// Query of `GET /activity`.
#[derive(Deserialize)]
pub struct ActivityQuery {
    kind: Option<String>,
    actor: Option<String>,
    subject: Option<String>,
    #[serde(
        default,
        deserialize_with = "dateline_core::wire::optional_whole_number_text"
    )]
    before: Option<i64>,
    #[serde(
        default,
        deserialize_with = "dateline_core::wire::optional_whole_number_text"
    )]
    limit: Option<i64>,
}

impl KnownParams for ActivityQuery {
    const NAMES: &'static [&'static str] = &["kind", "actor", "subject", "before", "limit"];
}

#[derive(Serialize)]
pub struct ActivityPage {
    items: Vec<EventJson>,
    /// The cursor of the next (older) page, to pass as `before`; null on the last page.
    next_before: Option<i64>,
}

#[derive(Serialize)]
struct EventJson {
    id: i64,
    kind: EventKind,
    actor: dateline_core::actor::ActorRef,
    subject: dateline_core::events::Subject,
    payload: serde_json::Value,
    created_at: String,
}

impl From<Event> for EventJson {
    fn from(e: Event) -> Self {
        EventJson {
            id: e.id,
            kind: e.kind,
            actor: e.actor,
            subject: e.subject,
            payload: e.payload,
            created_at: e.created_at.to_string(),
        }
    }
}

/// Reads `type` or `type:id`.
fn typed_ref<K>(
    field: &'static str,
    raw: &str,
    parse: impl Fn(&str) -> Option<K>,
    example: &str,
) -> Result<(K, Option<i64>), Error> {
    let bad = || Error::invalid(field, format!("Use a value such as {example}."));
    let (kind, id) = match raw.split_once(':') {
        Some((k, id)) => (k, Some(id.parse::<i64>().map_err(|_| bad())?)),
        None => (raw, None),
    };
    Ok((parse(kind).ok_or_else(bad)?, id))
}

/// `GET /activity?kind=&actor=&subject=&before=&limit=`: newest first.
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<ActivityQuery>,
) -> Result<Json<ActivityPage>, ApiError> {
    let filter = EventFilter {
        kind: q
            .kind
            .as_deref()
            .map(|k| EventKind::parse("kind", k))
            .transpose()?,
        actor: q
            .actor
            .as_deref()
            .map(|a| typed_ref("actor", a, ActorKind::parse, "user:3, reader or system"))
            .transpose()?,
        subject: q
            .subject
            .as_deref()
            .map(|s| typed_ref("subject", s, SubjectKind::parse, "article:12"))
            .transpose()?,
        before: q.before,
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=activity::MAX_PAGE).contains(&limit) {
        return Err(Error::invalid(
            "limit",
            format!("Use a limit from 1 to {}.", activity::MAX_PAGE),
        )
        .into());
    }
    let (events, next) = activity::page(state.app(), &staff.actor(), &filter, limit).await?;
    Ok(Json(ActivityPage {
        items: events.into_iter().map(EventJson::from).collect(),
        next_before: next,
    }))
}
