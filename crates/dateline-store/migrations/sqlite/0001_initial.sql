-- Portable types only (INTEGER/BIGINT, TEXT): times are BIGINT microseconds since the Unix
-- epoch in UTC, flags are INTEGER. Keep in step with ../postgres/0001_initial.sql.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL UNIQUE,
    slug          TEXT NOT NULL UNIQUE,
    bio           TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL,
    password_hash TEXT,
    created_at    BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    label        TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);

CREATE TABLE media (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    path         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    width        BIGINT NOT NULL,
    height       BIGINT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    checksum     TEXT NOT NULL,
    thumb_path   TEXT,
    thumb_width  BIGINT,
    thumb_height BIGINT,
    uploaded_by  BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX media_checksum ON media(checksum);

CREATE TABLE articles (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    slug          TEXT NOT NULL UNIQUE,
    title         TEXT NOT NULL,
    dek           TEXT NOT NULL DEFAULT '',
    body_markdown TEXT NOT NULL,
    body_html     TEXT NOT NULL,
    status        TEXT NOT NULL,
    published_at  BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    deleted_at    BIGINT,
    author_id     BIGINT NOT NULL REFERENCES users(id),
    lead_media_id BIGINT REFERENCES media(id),
    lead_caption  TEXT,
    lead_alt      TEXT,
    lead_credit   TEXT
);
CREATE INDEX articles_visible ON articles(status, published_at);
CREATE INDEX articles_author ON articles(author_id, published_at);

CREATE TABLE article_sources (
    article_id   BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    title        TEXT NOT NULL,
    author       TEXT,
    outlet       TEXT,
    url          TEXT,
    published_on TEXT,
    PRIMARY KEY (article_id, position)
);

CREATE TABLE topics (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE
);

CREATE TABLE article_topics (
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    topic_id   BIGINT NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    PRIMARY KEY (article_id, topic_id)
);
CREATE INDEX article_topics_topic ON article_topics(topic_id);

CREATE TABLE comments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id   BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    parent_id    BIGINT REFERENCES comments(id) ON DELETE SET NULL,
    author_name  TEXT NOT NULL,
    author_email TEXT,
    body         TEXT NOT NULL,
    status       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    ip_hash      TEXT,
    user_agent   TEXT
);
CREATE INDEX comments_article ON comments(article_id, status, created_at);
