-- What the desktop app shows: each own blob's files (name and where they came from, for the
-- "My backups" grid and its thumbnails), and the held list sortable by size and by expiry at 10^6
-- rows without sorting the table for every page.

CREATE TABLE outbox_files (
  blob_id     TEXT    NOT NULL REFERENCES outbox (blob_id) ON DELETE CASCADE,
  idx         INTEGER NOT NULL CHECK (idx >= 0),
  name        TEXT    NOT NULL,
  -- The file as it was added; it may have moved or gone since (thumbnails then fall back).
  source_path TEXT    NOT NULL,
  size        INTEGER NOT NULL CHECK (size >= 0),
  sha256      TEXT    NOT NULL CHECK (length(sha256) = 64 AND NOT sha256 GLOB '*[^0-9a-f]*'),
  captured_at INTEGER,
  PRIMARY KEY (blob_id, idx)
) STRICT, WITHOUT ROWID;

CREATE INDEX held_by_size ON held (size, blob_id);
CREATE INDEX held_by_expires ON held (expires_at, blob_id);
-- "My backups", newest first, filtered by state.
CREATE INDEX outbox_by_created ON outbox (created_at, blob_id);
