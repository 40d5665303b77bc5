-- Moderation: why the intake held a comment (a JSON list of sentences, '[]' for none), and the
-- last edit a moderator made to its text, with their note.
-- Keep in step with the other backend's 0006_comment_moderation.sql.

ALTER TABLE comments ADD COLUMN reasons TEXT NOT NULL DEFAULT '[]';
ALTER TABLE comments ADD COLUMN edited_at BIGINT;
ALTER TABLE comments ADD COLUMN edit_note TEXT;
CREATE INDEX comments_status ON comments(status, created_at);
