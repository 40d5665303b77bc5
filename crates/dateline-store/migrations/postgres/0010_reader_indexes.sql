-- Indexes for what readers' pages read, found by tests/it/explain.rs (EXPLAIN of every public
-- query on both engines). Keep in step with the other backend's 0010_reader_indexes.sql.

-- The articles readers may see (the time aside: published_at <= now is the range read), newest
-- first: a list reads its page and stops, instead of reading every visible article and sorting.
-- The predicate is push_visible's and the readers' scope's (store/articles.rs), word for word,
-- as both planners need it to be to use a partial index.
CREATE INDEX articles_readers ON articles (published_at, id)
    WHERE deleted_at IS NULL AND status IN ('published', 'scheduled');
-- The same by place on the front page: the lead, the featured and the rest of the home page.
CREATE INDEX articles_readers_placed ON articles (prominence, published_at, id)
    WHERE deleted_at IS NULL AND status IN ('published', 'scheduled');

-- Comments whose e-mail address has no hash yet (written before hashes were kept), which every
-- start looks for: an empty index once they have one, instead of every comment without an
-- address read through comments_email_hash.
CREATE INDEX comments_email_unhashed ON comments (id)
    WHERE email_hash IS NULL AND author_email IS NOT NULL;
