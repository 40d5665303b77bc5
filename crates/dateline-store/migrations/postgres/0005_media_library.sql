-- The media library: what an upload was called, its description for readers (alt text,
-- caption, credit), and its responsive variants once the background job has made them.
-- Keep in step with the other backend's 0005_media_library.sql.

ALTER TABLE media ADD COLUMN file_name TEXT NOT NULL DEFAULT '';
ALTER TABLE media ADD COLUMN alt TEXT NOT NULL DEFAULT '';
ALTER TABLE media ADD COLUMN caption TEXT NOT NULL DEFAULT '';
ALTER TABLE media ADD COLUMN credit TEXT;
-- JSON list of {path, width, height, content_type}, widest last; '[]' until made.
ALTER TABLE media ADD COLUMN variants TEXT NOT NULL DEFAULT '[]';
CREATE INDEX media_created ON media(created_at);
