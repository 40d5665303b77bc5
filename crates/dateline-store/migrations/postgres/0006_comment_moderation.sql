-- Moderation: why the intake held a comment (a JSON list of sentences, '[]' for none), and the
-- last edit a moderator made to its text, with their note.
-- Keep in step with the other backend's 0006_comment_moderation.sql.

ALTER TABLE comments ADD COLUMN reasons TEXT NOT NULL DEFAULT '[]';
ALTER TABLE comments ADD COLUMN edited_at BIGINT;
ALTER TABLE comments ADD COLUMN edit_note TEXT;
CREATE INDEX comments_status ON comments(status, created_at);

-- Token buckets of the comment rate limits, one per key ("comment:net:HASH",
-- "comment:article:ID"): written in the comment's transaction, so they hold across processes.
CREATE TABLE rate_buckets (
    key        TEXT PRIMARY KEY,
    tokens     DOUBLE PRECISION NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Commenters a moderator blocked, by the keyed hash of their e-mail address or of their
-- address, until a time or for good (NULL); their comments are held as spam, silently.
CREATE TABLE comment_blocks (
    id         BIGSERIAL PRIMARY KEY,
    kind       TEXT NOT NULL,
    hash       TEXT NOT NULL,
    until      BIGINT,
    comment_id BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (kind, hash)
);
