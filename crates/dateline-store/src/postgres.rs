//! What only PostgreSQL needs: its migrations, row locks, the order of event ids, `LISTEN` and
//! `NOTIFY`, claiming jobs with `SKIP LOCKED`, and full-text search with `tsvector`.

use std::{sync::Arc, time::Duration};

use dateline_core::{Error, search::SearchQuery};
use sqlx::{AnyConnection, Executor, any::AnyPoolOptions, migrate::Migrator, postgres::PgListener};

use crate::{db_error, migration, sql::Sql};

/// The channel on which every committed event's id is announced.
pub const EVENTS_CHANNEL: &str = "dateline_events";

/// The PostgreSQL migrations, embedded in the binary. Several `dateline serve` processes may
/// start at once against one database; the migrator's advisory lock makes them take turns.
pub(crate) fn migrator() -> Migrator {
    Migrator::with_migrations(vec![
        migration(
            1,
            "initial",
            include_str!("../migrations/postgres/0001_initial.sql"),
        ),
        migration(
            2,
            "events and jobs",
            include_str!("../migrations/postgres/0002_events_and_jobs.sql"),
        ),
        migration(
            3,
            "sessions and invitations",
            include_str!("../migrations/postgres/0003_sessions_and_invitations.sql"),
        ),
        migration(
            4,
            "newsroom",
            include_str!("../migrations/postgres/0004_newsroom.sql"),
        ),
        migration(
            5,
            "media library",
            include_str!("../migrations/postgres/0005_media_library.sql"),
        ),
        migration(
            6,
            "comment moderation",
            include_str!("../migrations/postgres/0006_comment_moderation.sql"),
        ),
        migration(
            7,
            "comment trust",
            include_str!("../migrations/postgres/0007_comment_trust.sql"),
        ),
        migration(
            8,
            "search",
            include_str!("../migrations/postgres/0008_search.sql"),
        ),
        migration(
            9,
            "topic descriptions",
            include_str!("../migrations/postgres/0009_topic_descriptions.sql"),
        ),
        migration(
            10,
            "reader indexes",
            include_str!("../migrations/postgres/0010_reader_indexes.sql"),
        ),
        migration(
            11,
            "search scope",
            include_str!("../migrations/postgres/0011_search_scope.sql"),
        ),
        migration(
            12,
            "source indexes",
            include_str!("../migrations/postgres/0012_source_indexes.sql"),
        ),
        migration(
            13,
            "comment counts",
            include_str!("../migrations/postgres/0013_comment_counts.sql"),
        ),
        migration(
            14,
            "comment addresses",
            include_str!("../migrations/postgres/0014_comment_addresses.sql"),
        ),
    ])
}

/// Locks an article's row until the transaction ends.
pub(crate) async fn lock_article(conn: &mut AnyConnection, id: i64) -> Result<(), Error> {
    sqlx::query("SELECT id FROM articles WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Makes event writers take turns until they commit. Ids come from a sequence when the row is
/// inserted, but transactions may commit in another order; a reader that saw id 11 and
/// remembered it would then never see 10. Holding this lock from the insert to the commit makes
/// ids visible in the order they were given. Readers of the table are not blocked.
pub(crate) async fn serialise_event_writers(conn: &mut AnyConnection) -> Result<(), Error> {
    sqlx::query("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Stores events given as one JSON array of rows, `[kind, actor_type, actor_id, subject_type,
/// subject_id, payload, created_at]` each, in order (`$1`), and announces the newest id on the
/// channel `$2` to every listening process: PostgreSQL delivers it at commit, and not at all if
/// the transaction rolls back. One wake-up stands for all of them, and for any event before it
/// in the transaction: listeners read the log from their own position. A CTE with a volatile
/// function is evaluated exactly once, and this one only because the answer reads it.
pub(crate) const INSERT_EVENTS_JSON: &str = "WITH e AS (INSERT INTO events (kind, actor_type, \
     actor_id, subject_type, subject_id, payload, created_at) SELECT r ->> 0, r ->> 1, \
     (r ->> 2)::bigint, r ->> 3, (r ->> 4)::bigint, r ->> 5, (r ->> 6)::bigint \
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(r, n) ORDER BY n RETURNING id), \
     announced AS (SELECT pg_notify($2, MAX(id)::text) FROM e) SELECT e.id FROM e, announced";

/// Passes the ids announced on [`EVENTS_CHANNEL`] to `bus`, for as long as the task runs;
/// reconnects after a lost connection, and then sends 0 so that consumers look at the log for
/// what was announced while it was away.
pub(crate) async fn listen(url: Arc<str>, bus: crate::events::Wakeups) {
    let mut delay = Duration::from_millis(200);
    loop {
        match PgListener::connect(&url).await {
            Ok(mut listener) => {
                if let Err(e) = listener.listen(EVENTS_CHANNEL).await {
                    tracing::warn!(error = %e, "cannot LISTEN for events; retrying");
                } else {
                    delay = Duration::from_millis(200);
                    bus.announce(0);
                    loop {
                        match listener.try_recv().await {
                            Ok(Some(n)) => {
                                if let Ok(id) = n.payload().parse::<i64>() {
                                    bus.announce_notified(id);
                                }
                            }
                            // The connection dropped; the next call reconnects, and whatever
                            // was announced meanwhile is in the log.
                            Ok(None) => {
                                bus.announce(0);
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "event listener failed; reconnecting");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot connect the event listener; retrying"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}

/// Comments with an e-mail address but no hash of it (see
/// [`crate::sqlite::COMMENTS_WITHOUT_EMAIL_HASH`]): PostgreSQL's statistics show the partial
/// index empty, and it takes it.
pub(crate) const COMMENTS_WITHOUT_EMAIL_HASH: &str = "SELECT id, author_email FROM comments \
     WHERE email_hash IS NULL AND author_email IS NOT NULL";

/// Stores the comments of a batch given as one JSON array of rows (see
/// [`crate::sqlite::INSERT_COMMENTS_JSON`]), in order. `jsonb`, not `json`: `->>` on a `json`
/// value parses its text again, twelve times a row.
pub(crate) const INSERT_COMMENTS_JSON: &str = "INSERT INTO comments (article_id, parent_id, \
     author_name, author_email, body, status, created_at, ip_hash, user_agent, reasons, \
     email_hash, author_user_id) SELECT (r ->> 0)::bigint, (r ->> 1)::bigint, r ->> 2, r ->> 3, \
     r ->> 4, r ->> 5, (r ->> 6)::bigint, r ->> 7, r ->> 8, r ->> 9, r ->> 10, \
     (r ->> 11)::bigint FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(r, n) \
     ORDER BY n RETURNING id";

/// Makes a placeholder bucket (`$2` as its time) for each of the rate-limit keys given as one
/// JSON array of texts, in their order, or locks the bucket that exists (the no-op update),
/// and returns them: one text however many keys (see
/// [`crate::sqlite::SAVE_RATE_BUCKETS_JSON`]). `WITH ORDINALITY` keeps the order the caller
/// sorted them in, which is the order their rows are locked in.
pub(crate) const LOCK_RATE_BUCKETS_JSON: &str = "INSERT INTO rate_buckets (key, tokens, \
     updated_at) SELECT k, 0, $2 FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY \
     AS t(k, n) ORDER BY n ON CONFLICT (key) DO UPDATE SET tokens = rate_buckets.tokens \
     RETURNING key, tokens, updated_at";

/// [`crate::sqlite::SAVE_RATE_BUCKETS_JSON`] for PostgreSQL.
pub(crate) const SAVE_RATE_BUCKETS_JSON: &str = "INSERT INTO rate_buckets (key, tokens, \
     updated_at) SELECT r ->> 0, (r ->> 1)::double precision, (r ->> 2)::bigint \
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(r, n) ORDER BY n \
     ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at";

/// Pool settings for a PostgreSQL server. Every statement is planned once for any values
/// (`plan_cache_mode = force_generic_plan`), instead of anew for each of its first five runs on
/// each of the pool's 16 connections: the article read of a page rendered after a change took
/// 860 µs a statement (median) until its connections had run it five times each, 317 µs after
/// (PostgreSQL's statement log, 100 renders after as many edits; `EXPLAIN`: 0.17 ms to execute,
/// the rest planning). The generic plans are the ones `tests/it/explain.rs` checks for
/// indexes. Search plans each query for its own words (`force_custom_plan` in its
/// transaction, see [`crate::Db::search_articles`]).
pub(crate) fn pool_options() -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(16)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute("SET plan_cache_mode = force_generic_plan")
                    .await?;
                Ok(())
            })
        })
}

/// [`crate::Db::approved_comments`]: an article's approved comments as one JSON array.
pub(crate) const APPROVED_COMMENTS_JSON: &str = "SELECT COALESCE(json_agg(json_build_array(id, \
     parent_id, author_name, body, created_at, author_user_id)), '[]')::text FROM comments \
     WHERE article_id = $1 AND status = 'approved'";

/// Claims the next due job: `$1` claim, `$2` lease end, `$3` now. `SKIP LOCKED` lets several
/// processes claim different jobs at once instead of queueing on the same row.
pub(crate) const CLAIM_JOB: &str = "UPDATE jobs SET status = 'running', attempts = attempts + 1, \
     locked_by = $1, locked_until = $2, updated_at = $3 \
     WHERE id = (SELECT id FROM jobs WHERE (status = 'pending' AND run_at <= $3) \
     OR (status = 'running' AND locked_until <= $3) ORDER BY run_at, id LIMIT 1 \
     FOR UPDATE SKIP LOCKED) \
     RETURNING id, kind, payload, attempts, max_attempts";

/// Full-text search, after `SELECT a.id, a.published_at, `: for each article whose search
/// document matches `query`, its relevance (`score`: `ts_rank`, which weighs the title most,
/// then the dek, topics and author) and whether its title (weight A) holds the whole query
/// (`in_title`), the `WHERE` left open for the readers' scope and the filters. The `simple`
/// configuration, as the document's.
pub(crate) fn push_search_window(q: &mut Sql, query: &SearchQuery) {
    let tsquery = query.tsquery_expression(None);
    q.push("ts_rank(d.document, to_tsquery('simple', ")
        .bind(tsquery.clone())
        .push("))::float8 AS score, d.document @@ to_tsquery('simple', ")
        .bind(query.tsquery_expression(Some('A')))
        .push(
            ") AS in_title FROM search_documents d JOIN articles a ON a.id = d.article_id \
             WHERE d.document @@ to_tsquery('simple', ",
        )
        .bind(tsquery)
        .push(")");
}

/// Whether the ranked match holds the whole query in its title: tested in the window, on the
/// document already read.
pub(crate) fn push_in_title(q: &mut Sql, _query: &SearchQuery) {
    q.push("w.in_title");
}

/// The matches newest first.
pub(crate) const SEARCH_NEWEST_FIRST: &str = " ORDER BY d.article_id DESC";

#[cfg(test)]
mod tests {
    /// Every connection of the pool plans a statement once for all values ([`super::pool_options`]).
    /// Runs against `DATELINE_TEST_POSTGRES_URL`, as the integration tests do; says so loudly
    /// when it is not set, and fails then under `DATELINE_REQUIRE_POSTGRES=1`.
    #[tokio::test]
    async fn pool_connections_use_generic_plans() {
        let Some(url) = std::env::var("DATELINE_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            assert!(
                std::env::var("DATELINE_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "DATELINE_REQUIRE_POSTGRES=1 but DATELINE_TEST_POSTGRES_URL is not set"
            );
            eprintln!("SKIPPED: PostgreSQL test; set DATELINE_TEST_POSTGRES_URL to run it");
            return;
        };
        let db = crate::Db::connect(&url).await.unwrap();
        // Three connections held at once, so that each is a connection of its own.
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(db.pool.acquire().await.unwrap());
        }
        for conn in &mut held {
            let mode: String = sqlx::query_scalar("SHOW plan_cache_mode")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            assert_eq!(mode, "force_generic_plan");
        }
    }
}
