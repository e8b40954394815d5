-- Home delivery: the receiver's enrolled origins and received blobs, the photo library's index,
-- what `collect` has taken from an inbox, and delivery retry timing. Conventions as in 001.

-- A destination is chosen by label on the command line, so two may not share one.
CREATE UNIQUE INDEX destinations_by_label ON destinations (label);

-- When a failed delivery may be tried again (exponential backoff with jitter); NULL = now.
ALTER TABLE deliveries ADD COLUMN next_attempt_at INTEGER;
-- Where the delivery went ('receiver', 's3', 'folder'), for status and the UI.
ALTER TABLE deliveries ADD COLUMN target_kind TEXT;

-- Receiver: origin devices whose tickets this receiver accepts.
CREATE TABLE enrolled_origins (
  device_id TEXT    PRIMARY KEY,
  label     TEXT    NOT NULL,
  added_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Receiver: blobs accepted and opened into the library. A HEAD or a repeated PUT answers from here.
CREATE TABLE received (
  blob_id     TEXT    PRIMARY KEY CHECK (length(blob_id) = 64 AND NOT blob_id GLOB '*[^0-9a-f]*'),
  origin_id   TEXT    NOT NULL,
  size        INTEGER NOT NULL CHECK (size >= 0),
  file_count  INTEGER NOT NULL CHECK (file_count >= 0),
  received_at INTEGER NOT NULL
) STRICT;

-- The photo library's index: one row per distinct plaintext, so the same photo arriving from
-- a receiver upload, an S3 inbox and a folder lands once.
CREATE TABLE library_files (
  sha256   TEXT    NOT NULL CHECK (length(sha256) = 64 AND NOT sha256 GLOB '*[^0-9a-f]*'),
  library  TEXT    NOT NULL,
  path     TEXT    NOT NULL,
  size     INTEGER NOT NULL CHECK (size >= 0),
  blob_id  TEXT    NOT NULL,
  added_at INTEGER NOT NULL,
  PRIMARY KEY (library, sha256)
) STRICT, WITHOUT ROWID;

-- Collector: objects taken from an S3 prefix or a folder inbox, so a second run fetches only new ones.
CREATE TABLE collected (
  source       TEXT    NOT NULL,
  key          TEXT    NOT NULL,
  blob_id      TEXT    NOT NULL CHECK (length(blob_id) = 64 AND NOT blob_id GLOB '*[^0-9a-f]*'),
  size         INTEGER NOT NULL CHECK (size >= 0),
  state        TEXT    NOT NULL CHECK (state IN ('opened', 'failed', 'deleted')),
  error        TEXT,
  collected_at INTEGER NOT NULL,
  PRIMARY KEY (source, key)
) STRICT, WITHOUT ROWID;
