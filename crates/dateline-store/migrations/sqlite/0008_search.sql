-- Full-text search. Keep in step with ../postgres/0008_search.sql.

-- One document per article (whatever its status: readers' scope is applied when searching, by
-- joining articles), its text folded in Rust (lower case, accents removed, words of letters and
-- digits joined by spaces: dateline-core's search module) so both engines see the same words.
-- Written in the transaction of every change to what the article is found by; articles older
-- than this table get theirs at start-up.
CREATE TABLE search_documents (
    article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    -- The headline.
    title      TEXT NOT NULL,
    -- The dek, the topics' names and the author's name.
    secondary  TEXT NOT NULL,
    -- The body's text and the sources' titles, authors and outlets.
    body       TEXT NOT NULL
);

-- The FTS5 index over those documents (external content: the text is stored once, above).
-- Prefix indexes make the half-typed last word of a query cheap.
CREATE VIRTUAL TABLE search_index USING fts5(
    title, secondary, body,
    content = 'search_documents', content_rowid = 'article_id',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);

-- The index follows the documents, as the FTS5 manual prescribes for external content.
CREATE TRIGGER search_documents_insert AFTER INSERT ON search_documents
BEGIN
    INSERT INTO search_index (rowid, title, secondary, body)
    VALUES (new.article_id, new.title, new.secondary, new.body);
END;
CREATE TRIGGER search_documents_delete AFTER DELETE ON search_documents
BEGIN
    INSERT INTO search_index (search_index, rowid, title, secondary, body)
    VALUES ('delete', old.article_id, old.title, old.secondary, old.body);
END;
CREATE TRIGGER search_documents_update AFTER UPDATE ON search_documents
BEGIN
    INSERT INTO search_index (search_index, rowid, title, secondary, body)
    VALUES ('delete', old.article_id, old.title, old.secondary, old.body);
    INSERT INTO search_index (rowid, title, secondary, body)
    VALUES (new.article_id, new.title, new.secondary, new.body);
END;
