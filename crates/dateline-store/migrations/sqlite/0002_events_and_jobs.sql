-- The activity log and the jobs table. Keep in step with ../postgres/0002_events_and_jobs.sql.

-- Append-only; AUTOINCREMENT so that an id is never given twice, even after the newest row of
-- a rolled-back write.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,
    actor_type   TEXT NOT NULL,
    actor_id     BIGINT,
    subject_type TEXT NOT NULL,
    subject_id   BIGINT,
    payload      TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX events_kind ON events(kind, id);
CREATE INDEX events_actor ON events(actor_type, actor_id, id);
CREATE INDEX events_subject ON events(subject_type, subject_id, id);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    unique_key   TEXT UNIQUE,
    run_at       BIGINT NOT NULL,
    status       TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    last_error   TEXT,
    locked_by    TEXT,
    locked_until BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs(status, run_at);

-- Articles scheduled before jobs existed get their publishing job.
INSERT INTO jobs (kind, payload, unique_key, run_at, status, attempts, max_attempts, created_at, updated_at)
SELECT 'publish_scheduled', '{"article_id":' || id || '}', 'publish_scheduled:' || id,
       published_at, 'pending', 0, 10, updated_at, updated_at
FROM articles
WHERE status = 'scheduled' AND deleted_at IS NULL AND published_at IS NOT NULL;
