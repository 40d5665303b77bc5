-- A topic's own paragraph, shown on its page and to search engines; empty for none.
-- Keep in step with the other backend's 0009_topic_descriptions.sql.

ALTER TABLE topics ADD COLUMN description TEXT NOT NULL DEFAULT '';
