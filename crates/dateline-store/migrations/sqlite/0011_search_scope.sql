-- What a search tests of each article it finds, apart from the article's text. Keep in step
-- with the other backend's 0011_search_scope.sql.

-- A search looks up every match it ranks (up to 500) in the readers' scope. In the
-- table's row, status and published_at come after the body, so each look-up walked the
-- article's overflow pages; this index holds them beside the key (store/sqlite.rs,
-- push_search_window, names it).
CREATE INDEX articles_search_scope ON articles (id, deleted_at, status, published_at, author_id);

-- A topic's articles by article id from the index alone (the old index held the table's rowid
-- beside topic_id, and each article id was read from the table), for a search within a topic
-- and the topic's own lists. It replaces the index on topic_id alone.
CREATE INDEX article_topics_topic_article ON article_topics (topic_id, article_id);
DROP INDEX article_topics_topic;
