//! The write transaction every action runs in.

use crate::{Backend, Db, db_error, events::Wakeups, postgres, sqlite};
use std::sync::Arc;

use dateline_core::Error;
use sqlx::{Any, AnyConnection, Transaction};

/// One action's writes, committed together or not at all. Dropping it without
/// [`WriteTx::commit`] rolls everything back.
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    /// On SQLite, this process's turn to write, held until the transaction ends.
    _turn: Option<tokio::sync::OwnedSemaphorePermit>,
    backend: Backend,
    bus: Wakeups,
    /// Events written in this transaction, announced once it commits.
    events: Vec<i64>,
}

impl Db {
    /// Begins a transaction that will write. On SQLite it starts as a write (`BEGIN
    /// IMMEDIATE`), so it waits its turn behind other writers instead of failing with "database
    /// is locked" when a transaction that began by reading tries to upgrade.
    ///
    /// SQLite has one writer at a time, and a writer that finds the lock taken sleeps and looks
    /// again (the busy timeout), first come not first served: under 64 connections of article
    /// edits, some waited 1.5 s while others went through. This process's writers therefore
    /// take turns in the order they asked, before they take a connection (one waiting for the
    /// lock held a connection that the pages needed); only other processes (the command line)
    /// still meet the busy timeout. A turn waits no longer than that timeout either, so that a
    /// write begun while the same task holds another fails as it did, instead of waiting for ever.
    pub async fn begin_write(&self) -> Result<WriteTx, Error> {
        let (tx, turn) = match self.backend {
            Backend::Sqlite => {
                let turn = tokio::time::timeout(
                    sqlite::BUSY_TIMEOUT,
                    Arc::clone(&self.writers).acquire_owned(),
                )
                .await
                .map_err(|_| Error::Internal("database: the write lock stayed taken".into()))?
                .map_err(|e| Error::Internal(format!("writers' turn: {e}")))?;
                let tx = self.pool.begin_with(sqlite::BEGIN_WRITE).await;
                (tx, Some(turn))
            }
            Backend::Postgres => (self.pool.begin().await, None),
        };
        Ok(WriteTx {
            tx: tx.map_err(db_error)?,
            _turn: turn,
            backend: self.backend,
            bus: self.events.clone(),
            events: Vec::new(),
        })
    }
}

impl WriteTx {
    /// Makes every write of the transaction durable (on SQLite synced to disk before this
    /// returns), then tells this process's listeners about its events.
    pub async fn commit(self) -> Result<(), Error> {
        // Other processes hear of the events from PostgreSQL at this commit: the statement
        // that stored them queued the `NOTIFY` (see `postgres::INSERT_EVENTS_JSON`).
        self.tx.commit().await.map_err(db_error)?;
        for id in self.events {
            self.bus.announce(id);
        }
        Ok(())
    }

    /// The connection the transaction runs on.
    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// The engine.
    pub(crate) fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the transaction has recorded an event yet.
    pub(crate) fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// Remembers an event id to announce after commit.
    pub(crate) fn announce(&mut self, id: i64) {
        self.events.push(id);
    }

    /// Locks an article row against concurrent writers until commit, so that what an action
    /// read and checked is what it changes. (SQLite's single writer already guarantees it.)
    pub async fn lock_article(&mut self, id: i64) -> Result<(), Error> {
        match self.backend {
            Backend::Sqlite => Ok(()),
            Backend::Postgres => postgres::lock_article(self.conn(), id).await,
        }
    }
}
