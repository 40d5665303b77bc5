//! The activity log: append-only events with increasing ids, written in the transaction of
//! the change they record.

use dateline_core::{
    Error,
    actor::{ActorKind, ActorRef},
    clock::{from_micros, to_micros},
    events::{Event, EventKind, NewEvent, Subject, SubjectKind},
};
use jiff::Timestamp;
use sqlx::{Row, any::AnyRow};
use std::sync::{
    Arc,
    atomic::{AtomicI64, AtomicU64, Ordering},
};

use tokio::sync::broadcast;

use crate::{Backend, Db, WriteTx, db_error, postgres, sql::Sql};

/// The activity log's wake-ups in this process: event ids broadcast as they commit (here, or
/// on PostgreSQL anywhere), and a count of them that a hot path can read without waiting.
#[derive(Debug, Clone)]
pub(crate) struct Wakeups {
    bus: broadcast::Sender<i64>,
    count: Arc<AtomicU64>,
    /// The reads of the log by position that followed them ([`Db::events_after`]).
    reads: Arc<AtomicU64>,
    /// The newest event announced, so that the `NOTIFY` of this process's own commit, coming
    /// back from PostgreSQL, does not wake every consumer a second time.
    newest: Arc<AtomicI64>,
}

impl Wakeups {
    pub(crate) fn new() -> Self {
        Wakeups {
            bus: broadcast::channel(1024).0,
            count: Arc::new(AtomicU64::new(0)),
            reads: Arc::new(AtomicU64::new(0)),
            newest: Arc::new(AtomicI64::new(0)),
        }
    }

    /// Announces event `id` (0: "look at the log"). The count moves first, so that whoever is
    /// woken sees it moved.
    pub(crate) fn announce(&self, id: i64) {
        self.count.fetch_add(1, Ordering::SeqCst);
        self.newest.fetch_max(id, Ordering::SeqCst);
        // Nobody listening is fine: consumers read the log by position when they start.
        let _ = self.bus.send(id);
    }

    /// Announces event `id` that a `NOTIFY` told of, unless an event as new was announced
    /// already: then it is this process's own commit coming back, or one that committed before
    /// an announced one, which a consumer reading after that announcement sees (events become
    /// visible in the order of their ids, see [`WriteTx::record`]).
    pub(crate) fn announce_notified(&self, id: i64) {
        if id > self.newest.load(Ordering::SeqCst) {
            self.announce(id);
        }
    }
}

/// Waits for a wake-up from [`Db::subscribe_events`], then takes every one queued behind it;
/// `false` once nothing can announce any more. A consumer reads the log from its own position,
/// so one read answers all of them: a batch of sixty comments commits sixty events, and each
/// consumer read the log sixty times for it (on PostgreSQL, most of the database's work for
/// every comment).
pub async fn next_wakeup(wakeups: &mut broadcast::Receiver<i64>) -> bool {
    use broadcast::error::{RecvError, TryRecvError};
    if let Err(RecvError::Closed) = wakeups.recv().await {
        return false;
    }
    // Those announced before this point committed before it: the read that follows sees them.
    while let Ok(_) | Err(TryRecvError::Lagged(_)) = wakeups.try_recv() {}
    true
}

/// [`Db::log_reading`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogReading {
    /// Reads of the log by position so far.
    pub reads: u64,
    /// Wake-ups broadcast that some consumer has not taken yet.
    pub untaken: usize,
}

/// Which events a staff reader asks for; newest first.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only this kind.
    pub kind: Option<EventKind>,
    /// Only by this kind of actor (and, for users, this id).
    pub actor: Option<(ActorKind, Option<i64>)>,
    /// Only about this kind of thing (and this id).
    pub subject: Option<(SubjectKind, Option<i64>)>,
    /// Only events older than this id (the cursor of the previous page).
    pub before: Option<i64>,
}

const SELECT_EVENT: &str = "SELECT id, kind, actor_type, actor_id, subject_type, subject_id, payload, created_at FROM events";

fn event_from_row(r: &AnyRow) -> Result<Event, Error> {
    let kind: String = r.try_get(1).map_err(db_error)?;
    let actor: String = r.try_get(2).map_err(db_error)?;
    let subject: String = r.try_get(4).map_err(db_error)?;
    let payload: String = r.try_get(6).map_err(db_error)?;
    let damaged = |what: &str| Error::Internal(format!("unknown event {what} in the log"));
    Ok(Event {
        id: r.try_get(0).map_err(db_error)?,
        kind: EventKind::parse("kind", &kind).map_err(|_| damaged("kind"))?,
        actor: ActorRef {
            kind: ActorKind::parse(&actor).ok_or_else(|| damaged("actor"))?,
            id: r.try_get(3).map_err(db_error)?,
        },
        subject: Subject {
            kind: SubjectKind::parse(&subject).ok_or_else(|| damaged("subject"))?,
            id: r.try_get(5).map_err(db_error)?,
        },
        payload: serde_json::from_str(&payload).map_err(|_| damaged("payload"))?,
        created_at: from_micros(r.try_get(7).map_err(db_error)?),
    })
}

impl WriteTx {
    /// Events after position `after`, oldest first, at most `limit`, read in this transaction
    /// (a consumer that applies them moves its position in the same one).
    pub async fn events_after(&mut self, after: i64, limit: i64) -> Result<Vec<Event>, Error> {
        let mut q = Sql::new(SELECT_EVENT);
        q.push(" WHERE id > ")
            .bind(after)
            .push(" ORDER BY id")
            .limit(limit);
        let rows = q
            .query()?
            .fetch_all(&mut *self.conn())
            .await
            .map_err(db_error)?;
        rows.iter().map(event_from_row).collect()
    }

    /// Appends an event; returns its id. On PostgreSQL, event writers take turns from the
    /// transaction's first event to its commit, so that ids become visible in increasing order
    /// and a consumer reading "after id N" never skips one that commits late; the statement
    /// that stores events also queues their `NOTIFY`, which PostgreSQL delivers at commit.
    /// (Record events outside savepoints: rolling one back would release the turn, and drop
    /// the `NOTIFY`.)
    pub async fn record(&mut self, event: &NewEvent, now: Timestamp) -> Result<i64, Error> {
        let ids = self.insert_events(&[(event, now)]).await?;
        ids.first()
            .copied()
            .ok_or_else(|| Error::Internal("an event was inserted without an id".to_owned()))
    }

    /// Appends several events, each with its time, in one statement (as [`WriteTx::record`]
    /// would one by one); returns their ids, in order.
    pub async fn record_all(
        &mut self,
        events: &[(NewEvent, Timestamp)],
    ) -> Result<Vec<i64>, Error> {
        let events: Vec<(&NewEvent, Timestamp)> = events.iter().map(|(e, t)| (e, *t)).collect();
        self.insert_events(&events).await
    }

    /// One statement for any number of events, given as one JSON array of rows: its text is
    /// the same whatever their number, so each connection prepares it once. (A `VALUES` list
    /// was a statement of its own for each number of events, prepared again and again, and
    /// `NOTIFY` with its id written in was another for every transaction.)
    async fn insert_events(
        &mut self,
        events: &[(&NewEvent, Timestamp)],
    ) -> Result<Vec<i64>, Error> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<serde_json::Value> = events
            .iter()
            .map(|(event, now)| {
                let subject = event.subject();
                serde_json::json!([
                    event.kind.as_str(),
                    event.actor.kind.as_str(),
                    event.actor.id,
                    subject.kind.as_str(),
                    subject.id,
                    event.payload.to_string(),
                    to_micros(*now),
                ])
            })
            .collect();
        let rows = serde_json::Value::Array(rows).to_string();
        let mut ids: Vec<i64> = match self.backend() {
            Backend::Sqlite => sqlx::query_scalar(crate::sqlite::INSERT_EVENTS_JSON)
                .bind(rows)
                .fetch_all(&mut *self.conn())
                .await
                .map_err(db_error)?,
            Backend::Postgres => {
                if !self.has_events() {
                    postgres::serialise_event_writers(self.conn()).await?;
                }
                sqlx::query_scalar(postgres::INSERT_EVENTS_JSON)
                    .bind(rows)
                    .bind(postgres::EVENTS_CHANNEL)
                    .fetch_all(&mut *self.conn())
                    .await
                    .map_err(db_error)?
            }
        };
        if ids.len() != events.len() {
            return Err(Error::Internal(format!(
                "{} events inserted, {} ids returned",
                events.len(),
                ids.len()
            )));
        }
        // Ids are given in the order of the rows; RETURNING's order is not promised.
        ids.sort_unstable();
        for &id in &ids {
            self.announce(id);
        }
        Ok(ids)
    }
}

impl Db {
    /// Events matching `filter`, newest first, at most `limit`.
    pub async fn events(&self, filter: &EventFilter, limit: i64) -> Result<Vec<Event>, Error> {
        let mut q = Sql::new(SELECT_EVENT);
        q.push(" WHERE 1 = 1");
        if let Some(kind) = filter.kind {
            q.push(" AND kind = ").bind(kind.as_str().to_owned());
        }
        if let Some((kind, id)) = filter.actor {
            q.push(" AND actor_type = ").bind(kind.as_str().to_owned());
            if let Some(id) = id {
                q.push(" AND actor_id = ").bind(id);
            }
        }
        if let Some((kind, id)) = filter.subject {
            q.push(" AND subject_type = ")
                .bind(kind.as_str().to_owned());
            if let Some(id) = id {
                q.push(" AND subject_id = ").bind(id);
            }
        }
        if let Some(before) = filter.before {
            q.push(" AND id < ").bind(before);
        }
        q.push(" ORDER BY id DESC").limit(limit);
        let rows = q.query()?.fetch_all(&self.pool).await.map_err(db_error)?;
        rows.iter().map(event_from_row).collect()
    }

    /// Events after position `after`, oldest first, at most `limit`: how a consumer catches up.
    pub async fn events_after(&self, after: i64, limit: i64) -> Result<Vec<Event>, Error> {
        self.events.reads.fetch_add(1, Ordering::Relaxed);
        let mut q = Sql::new(SELECT_EVENT);
        q.push(" WHERE id > ")
            .bind(after)
            .push(" ORDER BY id")
            .limit(limit);
        let rows = q.query()?.fetch_all(&self.pool).await.map_err(db_error)?;
        rows.iter().map(event_from_row).collect()
    }

    /// The id of the newest event, 0 for an empty log.
    pub async fn latest_event_id(&self) -> Result<i64, Error> {
        let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM events")
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(id.unwrap_or(0))
    }

    /// Wake-ups carrying the ids of events as they commit. A wake-up is a hint: a consumer
    /// reads [`Db::events_after`] its own position, so a missed or repeated id loses nothing.
    pub fn subscribe_events(&self) -> broadcast::Receiver<i64> {
        self.events.bus.subscribe()
    }

    /// How many wake-ups this process has had so far. A reader that must never act on a state
    /// older than the last commit it could know of (a page cache, before it answers) compares
    /// this number with the one it saw when it last read the log: equal means nothing was
    /// announced since, without waiting for a broadcast to be delivered.
    pub fn announcements(&self) -> u64 {
        self.events.count.load(Ordering::SeqCst)
    }

    /// How many times this process has read the log by position ([`Db::events_after`]), and
    /// how many wake-ups some consumer has yet to take: whether consumers read once for a
    /// burst of events, as [`next_wakeup`] lets them, shows in the two.
    pub fn log_reading(&self) -> LogReading {
        LogReading {
            reads: self.events.reads.load(Ordering::Relaxed),
            untaken: self.events.bus.len(),
        }
    }

    /// On PostgreSQL, starts listening for events committed by every process on the database
    /// (`LISTEN`), passing their ids to [`Db::subscribe_events`]; reconnects when the
    /// connection drops. On SQLite, other processes' commits are not announced: consumers
    /// there also look at the log now and then.
    pub fn listen_for_events(&self) -> Option<tokio::task::JoinHandle<()>> {
        match self.backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(tokio::spawn(postgres::listen(
                self.url.clone(),
                self.events.clone(),
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_wakeup_takes_every_announcement_queued_behind_it() {
        let wakeups = Wakeups::new();
        let mut receiver = wakeups.bus.subscribe();
        for id in 1..=60 {
            wakeups.announce(id);
        }
        assert!(next_wakeup(&mut receiver).await);
        assert!(
            receiver.try_recv().is_err(),
            "nothing left for a second read"
        );
        wakeups.announce(61);
        assert!(next_wakeup(&mut receiver).await, "a later one wakes again");
        drop(wakeups);
        assert!(
            !next_wakeup(&mut receiver).await,
            "closed: nothing can announce"
        );
    }

    #[test]
    fn a_notify_of_an_event_announced_already_wakes_nobody() {
        let wakeups = Wakeups::new();
        let mut receiver = wakeups.bus.subscribe();
        wakeups.announce(7);
        assert_eq!(receiver.try_recv().ok(), Some(7));
        // This process's own commit, coming back from PostgreSQL; then an older one.
        wakeups.announce_notified(7);
        wakeups.announce_notified(6);
        assert!(receiver.try_recv().is_err());
        wakeups.announce_notified(8);
        assert_eq!(receiver.try_recv().ok(), Some(8));
        assert_eq!(wakeups.count.load(Ordering::SeqCst), 2);
    }
}
