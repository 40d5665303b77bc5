-- The comments that still carry an address hash or a user agent. Keep in step with the other
-- backend's 0014_comment_addresses.sql.

-- Housekeeping forgets them once they are older than the site's setting, at every start and
-- every hour (store/comments.rs, forget_comment_addresses). Without an index it read every
-- comment, holding SQLite's write lock as long: 24 ms at 200,000 comments, ten times that at
-- 2,000,000, with every reader's comment waiting. The index holds only the comments still
-- within the setting's days, and loses each one as it is forgotten.
CREATE INDEX comments_addressed ON comments (created_at)
    WHERE ip_hash IS NOT NULL OR user_agent IS NOT NULL;
