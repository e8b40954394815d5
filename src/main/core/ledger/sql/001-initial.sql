-- The whole product's tables at once, so later work adds queries rather than migrations.
-- Conventions: times are INTEGER milliseconds since the Unix epoch; JSON columns are TEXT checked
-- with json_valid; every table is STRICT so a wrong type is refused, not silently coerced. Blob IDs
-- and hashes are checked here too, so a bad ID from any code path never reaches the disk layout.
-- Tables holding a 64-char text key plus larger rows (tickets, receipts) keep their rowid: secondary
-- indexes then store an 8-byte rowid instead of repeating the 64-byte key.

-- Where blobs go. An origin seals to one destination; is_default picks the one new files use.
CREATE TABLE destinations (
  id           INTEGER PRIMARY KEY,
  label        TEXT    NOT NULL,
  recipient    TEXT    NOT NULL CHECK (recipient GLOB 'age1*'),
  endpoint     TEXT    CHECK (endpoint IS NULL OR json_valid(endpoint)),
  receiver_key TEXT,
  is_default   INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
  created_at   INTEGER NOT NULL
) STRICT;
-- At most one default, enforced by the database rather than by every writer.
CREATE UNIQUE INDEX destinations_one_default ON destinations (is_default) WHERE is_default = 1;

-- Our own sealed blobs, from sealing until delivery.
CREATE TABLE outbox (
  blob_id         TEXT    PRIMARY KEY CHECK (length(blob_id) = 64 AND NOT blob_id GLOB '*[^0-9a-f]*'),
  size            INTEGER NOT NULL CHECK (size >= 0),
  destination_id  INTEGER NOT NULL REFERENCES destinations (id),
  label           TEXT    NOT NULL,
  file_count      INTEGER NOT NULL CHECK (file_count >= 1),
  plaintext_bytes INTEGER NOT NULL CHECK (plaintext_bytes >= 0),
  captured_at     INTEGER,
  created_at      INTEGER NOT NULL,
  state           TEXT    NOT NULL CHECK (state IN ('sealed', 'placing', 'placed', 'delivered', 'lost'))
) STRICT;
-- Work queues: "blobs still to place / deliver, oldest first".
CREATE INDEX outbox_by_state ON outbox (state, created_at);
-- A destination delete checks for children; without this it would scan the outbox.
CREATE INDEX outbox_by_destination ON outbox (destination_id);

-- Replicas we hold for others. Sized for 10^6 rows (a venue operator's NAS).
CREATE TABLE held (
  blob_id        TEXT    PRIMARY KEY CHECK (length(blob_id) = 64 AND NOT blob_id GLOB '*[^0-9a-f]*'),
  origin_id      TEXT    NOT NULL,
  size           INTEGER NOT NULL CHECK (size >= 0),
  bytes_received INTEGER NOT NULL DEFAULT 0 CHECK (bytes_received >= 0 AND bytes_received <= size),
  received_at    INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL,
  ticket         BLOB    NOT NULL,
  state          TEXT    NOT NULL CHECK (state IN ('receiving', 'held', 'delivering', 'delivered', 'expired', 'lost'))
) STRICT;
-- The retention purge: "kept replicas whose time is up".
CREATE INDEX held_by_expiry ON held (state, expires_at);
-- Per-origin share sums; covering (size included) so a sum never touches the table.
CREATE INDEX held_by_origin ON held (origin_id, state, size);
-- The UI list, newest first, paginated by (received_at, blob_id) so ties page stably.
CREATE INDEX held_by_received ON held (received_at, blob_id);

-- Where each of our blobs has been offered or stored (origin side).
CREATE TABLE placements (
  blob_id    TEXT    NOT NULL REFERENCES outbox (blob_id) ON DELETE CASCADE,
  holder_id  TEXT    NOT NULL,
  state      TEXT    NOT NULL CHECK (state IN ('offered', 'sending', 'stored', 'declined', 'released')),
  bytes_sent INTEGER NOT NULL DEFAULT 0 CHECK (bytes_sent >= 0),
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (blob_id, holder_id)
) STRICT, WITHOUT ROWID;
-- "What does this holder have of ours" when a peer comes and goes.
CREATE INDEX placements_by_holder ON placements (holder_id, state);

-- Devices we have seen, for ranking placement candidates and for the peer list.
CREATE TABLE peers (
  device_id      TEXT    PRIMARY KEY,
  name           TEXT    NOT NULL,
  addresses      TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(addresses)),
  -- Open-ended on purpose: the discovery ladder grows rungs (mdns, manual, qr, probe, hotspot…).
  source         TEXT    NOT NULL,
  first_seen     INTEGER NOT NULL,
  last_seen      INTEGER NOT NULL,
  free_bytes     INTEGER CHECK (free_bytes IS NULL OR free_bytes >= 0),
  throughput_bps INTEGER CHECK (throughput_bps IS NULL OR throughput_bps >= 0)
) STRICT;

-- Uploads to a destination, by whoever delivers (our own blobs and replicas alike).
CREATE TABLE deliveries (
  blob_id        TEXT    PRIMARY KEY CHECK (length(blob_id) = 64 AND NOT blob_id GLOB '*[^0-9a-f]*'),
  -- NULL for a replica: its target travels in the ticket, not in our destinations.
  destination_id INTEGER REFERENCES destinations (id),
  state          TEXT    NOT NULL CHECK (state IN ('pending', 'checking', 'uploading', 'delivered', 'failed')),
  attempts       INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  bytes_sent     INTEGER NOT NULL DEFAULT 0 CHECK (bytes_sent >= 0),
  last_error     TEXT,
  updated_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX deliveries_by_state ON deliveries (state, updated_at);
CREATE INDEX deliveries_by_destination ON deliveries (destination_id);

-- Signed receipts, kept as received so they can be re-verified or shown later.
CREATE TABLE receipts (
  id         INTEGER PRIMARY KEY,
  kind       TEXT    NOT NULL CHECK (kind IN ('custody', 'delivery', 'release')),
  blob_id    TEXT    NOT NULL CHECK (length(blob_id) = 64 AND NOT blob_id GLOB '*[^0-9a-f]*'),
  signer_id  TEXT    NOT NULL,
  body       BLOB    NOT NULL,
  signature  BLOB    NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX receipts_by_blob ON receipts (blob_id, kind);

-- User settings, one JSON value per key.
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL CHECK (json_valid(value))
) STRICT, WITHOUT ROWID;

-- Networks on which we deliver. Either identifier alone is enough to recognise one.
CREATE TABLE home_networks (
  id          INTEGER PRIMARY KEY,
  label       TEXT    NOT NULL,
  ssid        TEXT,
  gateway_mac TEXT,
  added_at    INTEGER NOT NULL,
  CHECK (ssid IS NOT NULL OR gateway_mac IS NOT NULL)
) STRICT;

-- Files brought in from a phone, a folder or by hand; deduplicated by plaintext hash.
CREATE TABLE imports (
  id               INTEGER PRIMARY KEY,
  source           TEXT    NOT NULL,
  source_path      TEXT    NOT NULL,
  plaintext_sha256 TEXT    NOT NULL CHECK (length(plaintext_sha256) = 64 AND NOT plaintext_sha256 GLOB '*[^0-9a-f]*'),
  size             INTEGER NOT NULL CHECK (size >= 0),
  library_path     TEXT,
  captured_at      INTEGER,
  state            TEXT    NOT NULL CHECK (state IN ('copying', 'copied', 'sealed', 'failed')),
  -- Deferred so one transaction may record the import before or after the outbox row.
  blob_id          TEXT    REFERENCES outbox (blob_id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
  imported_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX imports_by_sha256 ON imports (plaintext_sha256);
CREATE INDEX imports_by_blob ON imports (blob_id);

-- The activity log the UI shows. AUTOINCREMENT so an id is never reused even when the log is
-- trimmed to empty: a client paging with afterId never skips an event. The rowid is the id index.
CREATE TABLE events (
  id   INTEGER PRIMARY KEY AUTOINCREMENT,
  at   INTEGER NOT NULL,
  type TEXT    NOT NULL,
  data TEXT    NOT NULL CHECK (json_valid(data))
) STRICT;

-- Running counts and bytes per table and state, kept by the triggers below. The status line and the
-- cap checks read these often; summing 10^6 held rows each time would block the core for ~0.5 s.
-- One row per (kind, state) exists from the start, so each trigger is a plain keyed UPDATE.
-- recursive_triggers must be ON (the ledger sets it) so that INSERT OR REPLACE fires the delete side.
CREATE TABLE blob_totals (
  kind  TEXT    NOT NULL CHECK (kind IN ('outbox', 'held')),
  state TEXT    NOT NULL,
  blobs INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (kind, state)
) STRICT, WITHOUT ROWID;
INSERT INTO blob_totals (kind, state) VALUES
  ('outbox', 'sealed'), ('outbox', 'placing'), ('outbox', 'placed'), ('outbox', 'delivered'), ('outbox', 'lost'),
  ('held', 'receiving'), ('held', 'held'), ('held', 'delivering'), ('held', 'delivered'), ('held', 'expired'),
  ('held', 'lost');

CREATE TRIGGER outbox_totals_insert AFTER INSERT ON outbox BEGIN
  UPDATE blob_totals SET blobs = blobs + 1, bytes = bytes + NEW.size WHERE kind = 'outbox' AND state = NEW.state;
END;
CREATE TRIGGER outbox_totals_delete AFTER DELETE ON outbox BEGIN
  UPDATE blob_totals SET blobs = blobs - 1, bytes = bytes - OLD.size WHERE kind = 'outbox' AND state = OLD.state;
END;
CREATE TRIGGER outbox_totals_update AFTER UPDATE OF state, size ON outbox
  WHEN OLD.state IS NOT NEW.state OR OLD.size IS NOT NEW.size BEGIN
  UPDATE blob_totals SET blobs = blobs - 1, bytes = bytes - OLD.size WHERE kind = 'outbox' AND state = OLD.state;
  UPDATE blob_totals SET blobs = blobs + 1, bytes = bytes + NEW.size WHERE kind = 'outbox' AND state = NEW.state;
END;
CREATE TRIGGER held_totals_insert AFTER INSERT ON held BEGIN
  UPDATE blob_totals SET blobs = blobs + 1, bytes = bytes + NEW.size WHERE kind = 'held' AND state = NEW.state;
END;
CREATE TRIGGER held_totals_delete AFTER DELETE ON held BEGIN
  UPDATE blob_totals SET blobs = blobs - 1, bytes = bytes - OLD.size WHERE kind = 'held' AND state = OLD.state;
END;
CREATE TRIGGER held_totals_update AFTER UPDATE OF state, size ON held
  WHEN OLD.state IS NOT NEW.state OR OLD.size IS NOT NEW.size BEGIN
  UPDATE blob_totals SET blobs = blobs - 1, bytes = bytes - OLD.size WHERE kind = 'held' AND state = OLD.state;
  UPDATE blob_totals SET blobs = blobs + 1, bytes = bytes + NEW.size WHERE kind = 'held' AND state = NEW.state;
END;
