-- What a search tests of each article it finds, apart from the article's text. Keep in step
-- with the other backend's 0011_search_scope.sql.

-- A search walks its matches newest first and stops at the 500 it ranks, testing each
-- against the readers' scope: with these columns beside the key the planner reads them from
-- the index alone (about a third of the time at 100,000 articles, measured with EXPLAIN
-- ANALYZE) instead of each article's row.
CREATE INDEX articles_search_scope ON articles (id)
    INCLUDE (deleted_at, status, published_at, author_id);

-- A topic's articles in article order, so that a search within a topic (and the topic's own
-- lists) read them newest first from the index alone. It replaces the index on topic_id alone,
-- of which it is the extension.
CREATE INDEX article_topics_topic_article ON article_topics (topic_id, article_id);
DROP INDEX article_topics_topic;
