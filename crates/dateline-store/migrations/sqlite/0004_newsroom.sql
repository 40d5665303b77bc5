-- The newsroom's editing: revisions, corrections, old addresses, review requests, the front
-- page's lead and featured articles, and a version for optimistic locking. Keep in step with
-- ../postgres/0004_newsroom.sql.

ALTER TABLE articles ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE articles ADD COLUMN updated_by BIGINT REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE articles ADD COLUMN review_requested_at BIGINT;
-- 0: neither; 1: featured; 2: the lead story (at most one, kept so by the actions).
ALTER TABLE articles ADD COLUMN prominence INTEGER NOT NULL DEFAULT 0;

-- Every save of an article, whole, as JSON: who, when, and what it was then.
CREATE TABLE article_revisions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    number     BIGINT NOT NULL,
    author_id  BIGINT REFERENCES users(id) ON DELETE SET NULL,
    actor      TEXT NOT NULL,
    note       TEXT NOT NULL,
    snapshot   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (article_id, number)
);

-- Dated notes on a published article: a correction or an update.
CREATE TABLE article_corrections (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX article_corrections_article ON article_corrections(article_id, created_at);

-- Addresses an article had before its slug or date changed; they answer 301.
CREATE TABLE article_redirects (
    old_slug   TEXT PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
