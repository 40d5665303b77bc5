-- Full-text search. Keep in step with ../sqlite/0008_search.sql.

-- One document per article (whatever its status: readers' scope is applied when searching, by
-- joining articles), its text folded in Rust (lower case, accents removed, words of letters and
-- digits joined by spaces: dateline-core's search module) so both engines see the same words.
-- Written in the transaction of every change to what the article is found by; articles older
-- than this table get theirs at start-up.
CREATE TABLE search_documents (
    article_id BIGINT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    -- The headline.
    title      TEXT NOT NULL,
    -- The dek, the topics' names and the author's name.
    secondary  TEXT NOT NULL,
    -- The body's text and the sources' titles, authors and outlets.
    body       TEXT NOT NULL,
    -- What queries match: the title weighs most (A), then the dek, topics and author (B), then
    -- the body and sources (C). The 'simple' configuration only lower-cases: no stemming, no
    -- stop words, like SQLite's unicode61 tokenizer.
    document   tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', title), 'A')
        || setweight(to_tsvector('simple', secondary), 'B')
        || setweight(to_tsvector('simple', body), 'C')
    ) STORED
);
CREATE INDEX search_documents_document ON search_documents USING GIN (document);
