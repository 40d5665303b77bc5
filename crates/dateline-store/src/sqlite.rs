//! What only SQLite needs: per-connection pragmas, how a write transaction begins, how a job
//! is claimed, full-text search with FTS5, and its migrations.

use std::time::Duration;

use sqlx::{
    AnyPool, Executor,
    any::AnyPoolOptions,
    migrate::{MigrateError, Migrator},
};

use dateline_core::search::SearchQuery;

use crate::{migration, sql::Sql};

/// Pool settings for an embedded file. WAL lets readers proceed during a write;
/// `synchronous = FULL` makes an acknowledged comment survive a power cut, not only a crash;
/// the busy timeout makes concurrent writers (the server and a CLI command) wait their turn.
/// A connection is not pinged before each use, as sqlx does by default: an embedded file has no
/// server to drop it, and the ping was a round trip to the connection's thread before every
/// query.
pub(crate) fn pool_options() -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(8)
        .test_before_acquire(false)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                )
                .await?;
                Ok(())
            })
        })
}

/// [`crate::Db::approved_comments`]: an article's approved comments as one JSON array.
pub(crate) const APPROVED_COMMENTS_JSON: &str = "SELECT json_group_array(json_array(id, \
     parent_id, author_name, body, created_at, author_user_id)) FROM comments \
     WHERE article_id = $1 AND status = 'approved'";

/// Comments with an e-mail address but no hash of it, read at every start-up. `INDEXED BY`:
/// without statistics SQLite preferred `comments_email_hash`, where `email_hash IS NULL` is
/// every comment without an address, and walked them all (230 ms at 2,000,000 comments) past
/// the partial index made for this look, which is empty once every address is hashed.
pub(crate) const COMMENTS_WITHOUT_EMAIL_HASH: &str = "SELECT id, author_email FROM comments \
     INDEXED BY comments_email_unhashed WHERE email_hash IS NULL AND author_email IS NOT NULL";

/// Stores the comments of a batch given as one JSON array of rows, `[article_id, parent_id,
/// author_name, author_email, body, status, created_at, ip_hash, user_agent, reasons,
/// email_hash, author_user_id]` each, in order: one statement and one bound value whatever the
/// batch's size. (A multi-row `VALUES` bound twelve values a row, was a statement of its own
/// for each batch size, and SQLite found each bound value by walking the list of names.)
/// `jsonb_each`, not `json_each`: each row comes out as a binary JSON value that `->>` reads
/// in place, where `json_each` wrote it back out as text for `->>` to parse again, twelve
/// times.
pub(crate) const INSERT_COMMENTS_JSON: &str = "INSERT INTO comments (article_id, parent_id, \
     author_name, author_email, body, status, created_at, ip_hash, user_agent, reasons, \
     email_hash, author_user_id) SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, \
     value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8, value ->> 9, value ->> 10, \
     value ->> 11 FROM jsonb_each($1) ORDER BY key RETURNING id";

/// Stores events given as one JSON array of rows, `[kind, actor_type, actor_id, subject_type,
/// subject_id, payload, created_at]` each, in order (see [`INSERT_COMMENTS_JSON`]).
pub(crate) const INSERT_EVENTS_JSON: &str = "INSERT INTO events (kind, actor_type, actor_id, \
     subject_type, subject_id, payload, created_at) SELECT value ->> 0, value ->> 1, \
     value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6 FROM jsonb_each($1) \
     ORDER BY key RETURNING id";

/// Writes back rate-limit buckets given as one JSON array of rows, `[key, tokens, updated_at]`
/// each (see [`INSERT_COMMENTS_JSON`]): one text however many buckets a batch took tokens
/// from. (A `VALUES` list was a text for each number of buckets, up to 128 of them, each
/// prepared on each connection that wrote a batch, and crowding the other statements out of
/// sqlx's cache of 100 a connection.) `WHERE true` tells SQLite's parser that `ON CONFLICT`
/// belongs to the `INSERT`, not to a join.
pub(crate) const SAVE_RATE_BUCKETS_JSON: &str = "INSERT INTO rate_buckets (key, tokens, \
     updated_at) SELECT value ->> 0, value ->> 1, value ->> 2 FROM jsonb_each($1) WHERE true \
     ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at";

/// A transaction that will write takes the write lock at its start, waiting (up to the busy
/// timeout) for another writer to finish. A deferred transaction that read first could not
/// upgrade while another wrote, and would fail at once with "database is locked".
pub(crate) const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// How long a writer waits for the write lock: `PRAGMA busy_timeout` in [`pool_options`].
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Claims the next due job: `$1` claim, `$2` lease end, `$3` now. The write lock of
/// [`BEGIN_WRITE`] makes the claim exclusive.
pub(crate) const CLAIM_JOB: &str = "UPDATE jobs SET status = 'running', attempts = attempts + 1, \
     locked_by = $1, locked_until = $2, updated_at = $3 \
     WHERE id = (SELECT id FROM jobs WHERE (status = 'pending' AND run_at <= $3) \
     OR (status = 'running' AND locked_until <= $3) ORDER BY run_at, id LIMIT 1) \
     RETURNING id, kind, payload, attempts, max_attempts";

/// Full-text search, after `SELECT a.id, a.published_at, `: the relevance (`score`) of each
/// article whose search document matches `query` (FTS5's bm25, negated so that higher is
/// better; the title weighing ten times the body, the dek, topics and author four times), the
/// `WHERE` left open for the readers' scope and the filters. (An FTS5 table is named, not
/// aliased: `MATCH` and `bm25` take its name.)
///
/// `CROSS JOIN` makes SQLite run the full-text query once and look up each match's article by
/// key: left to itself, its planner, which cannot see what a `MATCH` costs, may walk the
/// articles and run the full-text query once for each (20 s for one search of a common word
/// among 10,000 articles). The article is looked up in `articles_search_scope`, which holds
/// what the readers' scope tests: the table's row would mean walking past the article's text,
/// stored before those columns (three times as long at 100,000 articles).
pub(crate) fn push_search_window(q: &mut Sql, query: &SearchQuery) {
    q.push(
        "-bm25(search_index, 10.0, 4.0, 1.0) AS score FROM search_index \
         CROSS JOIN articles a INDEXED BY articles_search_scope ON a.id = search_index.rowid \
         WHERE search_index MATCH ",
    )
    .bind(query.fts5_expression(None));
}

/// Whether the ranked match `w.id` holds the whole query in its title: one look at the title
/// index, from the oldest ranked match (`counted.oldest`) on. Tested row by row in the window
/// instead, a phrase or a prefix would be matched against every title that holds its words
/// (7 ms more for a phrase at 100,000 articles).
pub(crate) fn push_in_title(q: &mut Sql, query: &SearchQuery) {
    q.push("(w.id IN (SELECT rowid FROM search_index WHERE search_index MATCH ")
        .bind(query.fts5_expression(Some("title")))
        .push(" AND rowid >= (SELECT oldest FROM counted)))");
}

/// The matches newest first, in the order FTS5 keeps them, so that it can stop at the limit.
pub(crate) const SEARCH_NEWEST_FIRST: &str = " ORDER BY search_index.rowid DESC";

/// Applies the SQLite migrations. sqlx's migration lock exists only on PostgreSQL, so two
/// processes starting together on a new file can both try the same migration; the loser's
/// transaction rolls back whole, and on another look it finds the migration applied.
pub(crate) async fn migrate(pool: &AnyPool) -> Result<(), MigrateError> {
    let mut attempt = 0;
    loop {
        match migrator().run(pool).await {
            Err(e) if attempt < 4 => {
                attempt += 1;
                tracing::debug!(error = %e, attempt, "migration raced another process; looking again");
                tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
            }
            result => return result,
        }
    }
}

/// The SQLite migrations, embedded in the binary.
pub(crate) fn migrator() -> Migrator {
    Migrator::with_migrations(vec![
        migration(
            1,
            "initial",
            include_str!("../migrations/sqlite/0001_initial.sql"),
        ),
        migration(
            2,
            "events and jobs",
            include_str!("../migrations/sqlite/0002_events_and_jobs.sql"),
        ),
        migration(
            3,
            "sessions and invitations",
            include_str!("../migrations/sqlite/0003_sessions_and_invitations.sql"),
        ),
        migration(
            4,
            "newsroom",
            include_str!("../migrations/sqlite/0004_newsroom.sql"),
        ),
        migration(
            5,
            "media library",
            include_str!("../migrations/sqlite/0005_media_library.sql"),
        ),
        migration(
            6,
            "comment moderation",
            include_str!("../migrations/sqlite/0006_comment_moderation.sql"),
        ),
        migration(
            7,
            "comment trust",
            include_str!("../migrations/sqlite/0007_comment_trust.sql"),
        ),
        migration(
            8,
            "search",
            include_str!("../migrations/sqlite/0008_search.sql"),
        ),
        migration(
            9,
            "topic descriptions",
            include_str!("../migrations/sqlite/0009_topic_descriptions.sql"),
        ),
        migration(
            10,
            "reader indexes",
            include_str!("../migrations/sqlite/0010_reader_indexes.sql"),
        ),
        migration(
            11,
            "search scope",
            include_str!("../migrations/sqlite/0011_search_scope.sql"),
        ),
        migration(
            12,
            "source indexes",
            include_str!("../migrations/sqlite/0012_source_indexes.sql"),
        ),
        migration(
            13,
            "comment counts",
            include_str!("../migrations/sqlite/0013_comment_counts.sql"),
        ),
        migration(
            14,
            "comment addresses",
            include_str!("../migrations/sqlite/0014_comment_addresses.sql"),
        ),
    ])
}
