-- The cited pieces by address and by headline and outlet. Keep in step with the other
-- backend's 0012_source_indexes.sql.

-- Related articles (store/related.rs) are those sharing a topic or a cited piece: the same
-- address, or the same headline from the same outlet. Without these, PostgreSQL, once it had
-- statistics, matched the pieces by reading every source of the site (4 to 7 ms an article
-- page at 10,000 articles, growing with the site; 1 ms with them). SQLite looks the pieces up
-- article by article and does not need them, but may choose them as the site grows.
CREATE INDEX article_sources_url ON article_sources (url) WHERE url IS NOT NULL;
CREATE INDEX article_sources_title ON article_sources (title, COALESCE(outlet, ''));
