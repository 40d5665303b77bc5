-- How many approved comments each article has, kept up to date by triggers as comments arrive,
-- change status and go. Keep in step with the other backend's 0013_comment_counts.sql.

-- Every teaser shows its article's count. Counted from the comments, the five related articles
-- under an article page (the newest sharing a topic, which are also the busiest) walked about
-- 2,000 index entries in every render after a change, most of that statement's work. Triggers,
-- not the application, keep the counts: every way a comment is written (a reader, a moderator,
-- an import, the command line, a statement typed by hand) counts alike.
CREATE TABLE article_comment_counts (
    article_id BIGINT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    approved   BIGINT NOT NULL DEFAULT 0
);

INSERT INTO article_comment_counts (article_id, approved)
SELECT a.id, (SELECT COUNT(*) FROM comments c WHERE c.article_id = a.id AND c.status = 'approved')
FROM articles a;

-- Every article has its row from the start, so that the comments' triggers only ever update.
CREATE FUNCTION article_comment_counts_article() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO article_comment_counts (article_id) SELECT id FROM new_articles;
    RETURN NULL;
END $$;
CREATE TRIGGER article_comment_counts_article AFTER INSERT ON articles
    REFERENCING NEW TABLE AS new_articles FOR EACH STATEMENT
    EXECUTE FUNCTION article_comment_counts_article();

-- A batch of comments (group commit writes many in one statement) is counted once per article,
-- its counts locked in the order of the articles' ids: two batches counting comments on the
-- same articles then wait for each other in turn, never in a circle (a deadlock, which
-- PostgreSQL would end by failing one of them).
CREATE FUNCTION article_comment_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM article_comment_counts
    WHERE article_id IN (SELECT article_id FROM new_comments WHERE status = 'approved')
    ORDER BY article_id FOR UPDATE;
    UPDATE article_comment_counts k SET approved = k.approved + n.added
    FROM (SELECT article_id, COUNT(*) AS added FROM new_comments WHERE status = 'approved'
          GROUP BY article_id) n
    WHERE k.article_id = n.article_id;
    RETURN NULL;
END $$;
CREATE TRIGGER article_comment_counts_insert AFTER INSERT ON comments
    REFERENCING NEW TABLE AS new_comments FOR EACH STATEMENT
    EXECUTE FUNCTION article_comment_counts_insert();

-- A moderator's decision or a removal changes one comment at a time.
CREATE FUNCTION article_comment_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'approved' THEN
        UPDATE article_comment_counts SET approved = approved - 1
        WHERE article_id = OLD.article_id;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.status = 'approved' THEN
        UPDATE article_comment_counts SET approved = approved + 1
        WHERE article_id = NEW.article_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER article_comment_counts_delete AFTER DELETE ON comments
    FOR EACH ROW WHEN (OLD.status = 'approved')
    EXECUTE FUNCTION article_comment_counts_change();
CREATE TRIGGER article_comment_counts_update AFTER UPDATE OF status, article_id ON comments
    FOR EACH ROW
    WHEN ((OLD.status = 'approved') IS DISTINCT FROM (NEW.status = 'approved')
          OR OLD.article_id <> NEW.article_id)
    EXECUTE FUNCTION article_comment_counts_change();
