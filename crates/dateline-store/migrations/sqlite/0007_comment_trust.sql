-- Trust in commenters and the classifier that learns from moderators.
-- Keep in step with the other backend's 0007_comment_trust.sql.

-- The keyed hash of a commenter's e-mail address (lower-cased): the first-time rule and the
-- desk's history go by it, through an index rather than by reading every comment.
ALTER TABLE comments ADD COLUMN email_hash TEXT;
CREATE INDEX comments_email_hash ON comments(email_hash, status);
-- The member of staff who wrote a comment (from the desk or with a token): marked as staff.
ALTER TABLE comments ADD COLUMN author_user_id BIGINT REFERENCES users(id) ON DELETE SET NULL;

-- Whether an article takes new comments (1) or not (0).
ALTER TABLE articles ADD COLUMN comments_open INTEGER NOT NULL DEFAULT 1;

-- How far each consumer of the activity log has read, moved in the transaction that applies
-- what it read, so that every event is applied exactly once.
CREATE TABLE event_consumers (
    name     TEXT PRIMARY KEY,
    position BIGINT NOT NULL
);

-- The classifier: in how many spam and approved examples each feature appeared (the row
-- '#examples', which every example holds, counts the examples) ...
CREATE TABLE classifier_features (
    feature TEXT PRIMARY KEY,
    spam    BIGINT NOT NULL DEFAULT 0,
    ham     BIGINT NOT NULL DEFAULT 0
);
-- ... and which comments it learned from, as what, and the text it learned, so that a
-- reversed decision is unlearned exactly even after the text was edited.
CREATE TABLE classifier_examples (
    comment_id BIGINT PRIMARY KEY,
    label      TEXT NOT NULL,
    text       TEXT NOT NULL
);
