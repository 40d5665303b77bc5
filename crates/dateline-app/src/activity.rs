//! Reading the activity log, for staff and for consumers that follow it.

use dateline_core::{Result, actor::Actor, events::Event, permissions};
use dateline_store::EventFilter;

use crate::App;

/// Most events on one page.
pub const MAX_PAGE: i64 = 200;

/// A page of events matching `filter`, newest first, and the cursor of the next page (the id to
/// pass as `before`), if there may be one.
pub async fn page(
    app: &App,
    actor: &Actor,
    filter: &EventFilter,
    limit: i64,
) -> Result<(Vec<Event>, Option<i64>)> {
    permissions::may_read_activity(actor)?;
    let limit = limit.clamp(1, MAX_PAGE);
    let events = app.db().events(filter, limit).await?;
    let next = (events.len() as i64 == limit)
        .then(|| events.last().map(|e| e.id))
        .flatten();
    Ok((events, next))
}
