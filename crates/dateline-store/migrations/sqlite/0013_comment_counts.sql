-- How many approved comments each article has, kept up to date by triggers as comments arrive,
-- change status and go. Keep in step with the other backend's 0013_comment_counts.sql.

-- Every teaser shows its article's count. Counted from the comments, the five related articles
-- under an article page (the newest sharing a topic, which are also the busiest) walked about
-- 2,000 index entries in every render after a change, most of that statement's work. Triggers,
-- not the application, keep the counts: every way a comment is written (a reader, a moderator,
-- an import, the command line, a statement typed by hand) counts alike.
CREATE TABLE article_comment_counts (
    article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    approved   BIGINT NOT NULL DEFAULT 0
);

INSERT INTO article_comment_counts (article_id, approved)
SELECT a.id, (SELECT COUNT(*) FROM comments c WHERE c.article_id = a.id AND c.status = 'approved')
FROM articles a;

-- Every article has its row from the start, so that the comments' triggers only ever update.
CREATE TRIGGER article_comment_counts_article AFTER INSERT ON articles
BEGIN
    INSERT INTO article_comment_counts (article_id) VALUES (NEW.id);
END;

CREATE TRIGGER article_comment_counts_insert AFTER INSERT ON comments
WHEN NEW.status = 'approved'
BEGIN
    UPDATE article_comment_counts SET approved = approved + 1 WHERE article_id = NEW.article_id;
END;

CREATE TRIGGER article_comment_counts_delete AFTER DELETE ON comments
WHEN OLD.status = 'approved'
BEGIN
    UPDATE article_comment_counts SET approved = approved - 1 WHERE article_id = OLD.article_id;
END;

CREATE TRIGGER article_comment_counts_update AFTER UPDATE OF status, article_id ON comments
WHEN (OLD.status = 'approved') <> (NEW.status = 'approved') OR OLD.article_id <> NEW.article_id
BEGIN
    UPDATE article_comment_counts SET approved = approved - 1
    WHERE OLD.status = 'approved' AND article_id = OLD.article_id;
    UPDATE article_comment_counts SET approved = approved + 1
    WHERE NEW.status = 'approved' AND article_id = NEW.article_id;
END;
