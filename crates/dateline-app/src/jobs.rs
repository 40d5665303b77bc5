//! Background jobs: typed, idempotent, run by a runner inside every `dateline serve`. A job is
//! claimed by one process at a time; one that fails is retried with growing delays and its
//! error recorded, and after its last attempt it stays failed for staff to see (`dateline
//! jobs`). Because a process can die between doing a job and marking it done, every handler
//! must be safe to run again.

use std::time::Duration;

use dateline_core::{Error, Result, secrets};
use dateline_store::{ClaimedJob, NewJob};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::{App, articles, comments, media};

/// Every kind of job, with its arguments. The serialised form is what the table stores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "args", rename_all = "snake_case")]
pub enum Job {
    /// Publish a scheduled article at its time ([`articles::publish_due`]).
    PublishScheduled {
        /// The article.
        article_id: i64,
    },
    /// Make the responsive variants of an uploaded image ([`media::make_variants`]).
    MediaVariants {
        /// The media item.
        media_id: i64,
    },
}

/// Attempts before a job is marked failed.
const MAX_ATTEMPTS: i64 = 10;
/// How long a claim lasts; a job whose process died is claimed again after this.
const LEASE: SignedDuration = SignedDuration::from_secs(120);
/// How often an idle runner looks for due jobs. Scheduled articles are published within this
/// of their time.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

impl Job {
    /// The name in the `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Job::PublishScheduled { .. } => "publish_scheduled",
            Job::MediaVariants { .. } => "media_variants",
        }
    }

    /// At most one live job per key.
    fn unique_key(&self) -> String {
        match self {
            Job::PublishScheduled { article_id } => format!("publish_scheduled:{article_id}"),
            Job::MediaVariants { media_id } => format!("media_variants:{media_id}"),
        }
    }

    /// This job, due at `run_at`, ready to enqueue.
    pub fn at(&self, run_at: Timestamp) -> NewJob {
        let args = match self {
            Job::PublishScheduled { article_id } => serde_json::json!({ "article_id": article_id }),
            Job::MediaVariants { media_id } => serde_json::json!({ "media_id": media_id }),
        };
        NewJob {
            kind: self.kind(),
            payload: args.to_string(),
            unique_key: Some(self.unique_key()),
            run_at,
            max_attempts: MAX_ATTEMPTS,
        }
    }

    /// The job a claimed row describes.
    fn from_claimed(claimed: &ClaimedJob) -> Result<Self> {
        let args: serde_json::Value = serde_json::from_str(&claimed.payload).map_err(|e| {
            Error::Internal(format!("job {} has unreadable arguments: {e}", claimed.id))
        })?;
        serde_json::from_value(serde_json::json!({ "kind": claimed.kind, "args": args })).map_err(
            |e| {
                Error::Internal(format!(
                    "job {} of unknown kind {}: {e}",
                    claimed.id, claimed.kind
                ))
            },
        )
    }

    /// Does the work.
    async fn run(&self, app: &App) -> Result<()> {
        match self {
            Job::PublishScheduled { article_id } => {
                if articles::publish_due(app, *article_id).await? {
                    tracing::info!(article_id, "scheduled article published");
                }
                Ok(())
            }
            Job::MediaVariants { media_id } => media::make_variants(app, *media_id).await,
        }
    }
}

/// The delay before attempt `attempt + 1`: 5 s, 10 s, 20 s … at most an hour.
fn backoff(attempt: i64) -> SignedDuration {
    let secs = 5_i64.saturating_mul(1_i64 << attempt.clamp(0, 20).saturating_sub(1));
    SignedDuration::from_secs(secs.min(3600))
}

/// Claims and runs due jobs until none is left; returns how many ran.
pub async fn run_due(app: &App, claim_tag: &str) -> Result<usize> {
    let mut ran = 0;
    loop {
        let now = app.now();
        // A read first, so that an idle site does not take the write lock every second.
        if !app.db().has_due_job(now).await? {
            return Ok(ran);
        }
        let claim = format!(
            "{claim_tag}-{}",
            secrets::hex(&secrets::random_bytes::<6>()?)
        );
        let Some(claimed) = app.db().claim_job(&claim, now, now + LEASE).await? else {
            return Ok(ran);
        };
        ran += 1;
        let outcome = match Job::from_claimed(&claimed) {
            Ok(job) => job.run(app).await,
            Err(e) => Err(e),
        };
        let now = app.now();
        match outcome {
            Ok(()) => {
                app.db().finish_job(&claimed, now).await?;
            }
            Err(e) => {
                let retry_at = (claimed.attempt < claimed.max_attempts)
                    .then(|| now + backoff(claimed.attempt));
                tracing::warn!(job = claimed.id, kind = %claimed.kind, attempt = claimed.attempt,
                    error = %e, retry = retry_at.is_some(), "job failed");
                app.db()
                    .fail_job(&claimed, &e.to_string(), retry_at, now)
                    .await?;
            }
        }
    }
}

/// How often each process forgets the addresses of old comments (the work is idempotent, so
/// several processes doing it is harmless).
const HOUSEKEEPING_INTERVAL: Duration = Duration::from_secs(3600);

/// Runs due jobs every [`POLL_INTERVAL`] for as long as the task lives, and lets the
/// classifier catch up with the activity log; wakes early when an event commits. `claim_tag`
/// names this process in claims.
pub async fn runner(app: App, claim_tag: String) {
    let mut events = app.db().subscribe_events();
    let mut housekeeping_due = tokio::time::Instant::now();
    loop {
        if let Err(e) = run_due(&app, &claim_tag).await {
            tracing::warn!(error = %e, "jobs runner could not reach the database");
        }
        loop {
            match comments::classifier::learn(&app).await {
                // Less than a batch: it read to the end (a look more would cost two reads).
                Ok(n) if (n as i64) < comments::classifier::BATCH => break,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "the classifier could not learn");
                    break;
                }
            }
        }
        if tokio::time::Instant::now() >= housekeeping_due {
            housekeeping_due += HOUSEKEEPING_INTERVAL;
            match comments::forget_addresses(&app).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(comments = n, "forgot the addresses of old comments"),
                Err(e) => tracing::warn!(error = %e, "could not forget old addresses"),
            }
        }
        // An event is a hint to look again sooner (one look for all those queued).
        if let Ok(false) =
            tokio::time::timeout(POLL_INTERVAL, dateline_store::next_wakeup(&mut events)).await
        {
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stops_at_an_hour() {
        assert_eq!(backoff(1), SignedDuration::from_secs(5));
        assert_eq!(backoff(2), SignedDuration::from_secs(10));
        assert_eq!(backoff(4), SignedDuration::from_secs(40));
        assert_eq!(backoff(30), SignedDuration::from_secs(3600));
    }

    #[test]
    fn jobs_round_trip_through_their_stored_form() {
        let job = Job::PublishScheduled { article_id: 7 };
        let stored = job.at(Timestamp::UNIX_EPOCH);
        let claimed = ClaimedJob {
            id: 1,
            kind: stored.kind.to_owned(),
            payload: stored.payload,
            attempt: 1,
            max_attempts: stored.max_attempts,
            claim: "c".into(),
        };
        assert_eq!(Job::from_claimed(&claimed).unwrap(), job);
        assert_eq!(stored.unique_key.as_deref(), Some("publish_scheduled:7"));
    }
}
