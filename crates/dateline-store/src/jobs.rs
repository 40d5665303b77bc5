//! Background jobs, kept in a table so that they survive restarts and run once across every
//! process on the database: a job is claimed by one process (PostgreSQL skips rows another has
//! locked; SQLite has one writer at a time), run, then marked done, or retried later with its
//! error recorded.

use dateline_core::{
    Error,
    clock::{from_micros, to_micros},
};
use jiff::Timestamp;
use sqlx::{Row, any::AnyRow};

use crate::{Backend, Db, WriteTx, db_error, postgres, sqlite};

/// A job to run at `run_at`.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// Which handler runs it ("publish_scheduled").
    pub kind: &'static str,
    /// Its arguments, as JSON text.
    pub payload: String,
    /// At most one live job per key: enqueuing a key again replaces its payload and time (an
    /// article rescheduled is published once, at its new time).
    pub unique_key: Option<String>,
    /// When it becomes due.
    pub run_at: Timestamp,
    /// Attempts before it is marked failed.
    pub max_attempts: i64,
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Waiting for its time (or for a retry).
    Pending,
    /// Claimed by a process.
    Running,
    /// Finished.
    Done,
    /// Gave up after its last attempt.
    Failed,
}

impl JobStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "pending" => Ok(JobStatus::Pending),
            "running" => Ok(JobStatus::Running),
            "done" => Ok(JobStatus::Done),
            "failed" => Ok(JobStatus::Failed),
            _ => Err(Error::Internal(format!("unknown job status {s}"))),
        }
    }
}

/// A job a process has claimed and must now run.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    /// Id.
    pub id: i64,
    /// Handler name.
    pub kind: String,
    /// Arguments, as JSON text.
    pub payload: String,
    /// This attempt's number, from 1.
    pub attempt: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// Proof of this claim: finishing or failing the job counts only with it, so that a job
    /// re-enqueued (or re-claimed after this claim's lease ran out) is not finished by a stale
    /// runner.
    pub claim: String,
}

/// A job as `dateline jobs` lists it.
#[derive(Debug, Clone)]
pub struct JobInfo {
    /// Id.
    pub id: i64,
    /// Handler name.
    pub kind: String,
    /// Arguments, as JSON text.
    pub payload: String,
    /// Where it is.
    pub status: JobStatus,
    /// When it is (or was) due.
    pub run_at: Timestamp,
    /// Attempts made.
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// The error of the last failed attempt.
    pub last_error: Option<String>,
}

impl WriteTx {
    /// Enqueues a job with the change that calls for it, so that the two commit together.
    pub async fn enqueue(&mut self, job: &NewJob, now: Timestamp) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO jobs (kind, payload, unique_key, run_at, status, attempts, max_attempts, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6, $6) \
             ON CONFLICT (unique_key) DO UPDATE SET kind = excluded.kind, payload = excluded.payload, \
             run_at = excluded.run_at, status = 'pending', attempts = 0, max_attempts = excluded.max_attempts, \
             last_error = NULL, locked_by = NULL, locked_until = NULL, updated_at = excluded.updated_at",
        )
        .bind(job.kind)
        .bind(job.payload.clone())
        .bind(job.unique_key.clone())
        .bind(to_micros(job.run_at))
        .bind(job.max_attempts)
        .bind(to_micros(now))
        .execute(&mut *self.conn())
        .await
        .map_err(db_error)?;
        Ok(())
    }
}

impl Db {
    /// Claims the next due job for `worker`, leasing it until `lease_until`; a job whose lease
    /// ran out (its process died) is due again.
    pub async fn claim_job(
        &self,
        claim: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<ClaimedJob>, Error> {
        let mut tx = self.begin_write().await?;
        let sql = match self.backend {
            Backend::Sqlite => sqlite::CLAIM_JOB,
            Backend::Postgres => postgres::CLAIM_JOB,
        };
        let row = sqlx::query(sql)
            .bind(claim.to_owned())
            .bind(to_micros(lease_until))
            .bind(to_micros(now))
            .fetch_optional(&mut *tx.conn())
            .await
            .map_err(db_error)?;
        tx.commit().await?;
        row.map(|r| {
            Ok(ClaimedJob {
                id: r.try_get(0).map_err(db_error)?,
                kind: r.try_get(1).map_err(db_error)?,
                payload: r.try_get(2).map_err(db_error)?,
                attempt: r.try_get(3).map_err(db_error)?,
                max_attempts: r.try_get(4).map_err(db_error)?,
                claim: claim.to_owned(),
            })
        })
        .transpose()
    }

    /// Whether any job is due at `now` (or was left running by a process that died).
    pub async fn has_due_job(&self, now: Timestamp) -> Result<bool, Error> {
        let row = sqlx::query(
            "SELECT 1 FROM jobs WHERE (status = 'pending' AND run_at <= $1) \
             OR (status = 'running' AND locked_until <= $1) LIMIT 1",
        )
        .bind(to_micros(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(row.is_some())
    }

    /// Marks a claimed job done; false if the claim no longer holds.
    pub async fn finish_job(&self, job: &ClaimedJob, now: Timestamp) -> Result<bool, Error> {
        let r = sqlx::query(
            "UPDATE jobs SET status = 'done', last_error = NULL, locked_by = NULL, locked_until = NULL, \
             updated_at = $1 WHERE id = $2 AND locked_by = $3",
        )
        .bind(to_micros(now))
        .bind(job.id)
        .bind(job.claim.clone())
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(r.rows_affected() > 0)
    }

    /// Records a failed attempt: the job runs again at `retry_at`, or is marked failed when it
    /// has no attempts left (`retry_at` is `None`).
    pub async fn fail_job(
        &self,
        job: &ClaimedJob,
        error: &str,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<(), Error> {
        let (status, run_at) = match retry_at {
            Some(t) => (JobStatus::Pending, Some(to_micros(t))),
            None => (JobStatus::Failed, None),
        };
        sqlx::query(
            "UPDATE jobs SET status = $1, run_at = COALESCE($2, run_at), last_error = $3, \
             locked_by = NULL, locked_until = NULL, updated_at = $4 WHERE id = $5 AND locked_by = $6",
        )
        .bind(status.as_str())
        .bind(run_at)
        .bind(error.chars().take(2000).collect::<String>())
        .bind(to_micros(now))
        .bind(job.id)
        .bind(job.claim.clone())
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    /// Jobs in the given states, soonest first.
    pub async fn jobs(&self, statuses: &[JobStatus], limit: i64) -> Result<Vec<JobInfo>, Error> {
        if statuses.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = crate::sql::Sql::new(
            "SELECT id, kind, payload, status, run_at, attempts, max_attempts, last_error FROM jobs \
             WHERE status IN (",
        );
        for (i, s) in statuses.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.bind(s.as_str().to_owned());
        }
        q.push(") ORDER BY run_at, id").limit(limit);
        let rows = q.query()?.fetch_all(&self.pool).await.map_err(db_error)?;
        rows.iter().map(job_from_row).collect()
    }
}

fn job_from_row(r: &AnyRow) -> Result<JobInfo, Error> {
    let status: String = r.try_get(3).map_err(db_error)?;
    Ok(JobInfo {
        id: r.try_get(0).map_err(db_error)?,
        kind: r.try_get(1).map_err(db_error)?,
        payload: r.try_get(2).map_err(db_error)?,
        status: JobStatus::parse(&status)?,
        run_at: from_micros(r.try_get(4).map_err(db_error)?),
        attempts: r.try_get(5).map_err(db_error)?,
        max_attempts: r.try_get(6).map_err(db_error)?,
        last_error: r.try_get(7).map_err(db_error)?,
    })
}
