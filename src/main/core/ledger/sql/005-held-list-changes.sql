-- The held list at 10^6 rows, part two: what the app needs to page at any depth and to count
-- origins without walking the live rows. Both are kept by triggers, so every writer (this process,
-- another connection, a hand-run DELETE) keeps them exact, and a rollback takes them back with it.
-- "Live" is the WHERE of 004's partial indexes; it must read the same here.

-- Every change to the live list in any of its orders, newest last: a row entering it (+1) or
-- leaving it (-1), with the sort keys it had. The app keeps a sparse in-memory index of the list
-- (src/main/core/views/held-anchors.ts) and brings it up to date from here instead of walking the
-- list again. Only the newest HELD_LIST_CHANGES_KEPT (4096) are kept: a reader that fell further
-- behind sees a gap in seq and rebuilds. seq grows by one per change (no row is deleted but the
-- oldest), which is what makes a gap visible.
CREATE TABLE held_list_changes (
  seq         INTEGER PRIMARY KEY,
  blob_id     TEXT    NOT NULL,
  received_at INTEGER NOT NULL,
  size        INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  delta       INTEGER NOT NULL CHECK (delta IN (-1, 1))
) STRICT;
CREATE TRIGGER held_list_changes_trim AFTER INSERT ON held_list_changes BEGIN
  DELETE FROM held_list_changes WHERE seq <= NEW.seq - 4096;
END;

CREATE TRIGGER held_list_insert AFTER INSERT ON held
  WHEN NEW.state IN ('receiving', 'held', 'delivering') BEGIN
  INSERT INTO held_list_changes (blob_id, received_at, size, expires_at, delta)
    VALUES (NEW.blob_id, NEW.received_at, NEW.size, NEW.expires_at, 1);
END;
CREATE TRIGGER held_list_delete AFTER DELETE ON held
  WHEN OLD.state IN ('receiving', 'held', 'delivering') BEGIN
  INSERT INTO held_list_changes (blob_id, received_at, size, expires_at, delta)
    VALUES (OLD.blob_id, OLD.received_at, OLD.size, OLD.expires_at, -1);
END;
-- An update is the old row leaving and the new one entering, but only when it changes the list:
-- progress (bytes_received) and receiving → held move nothing, so they log nothing.
CREATE TRIGGER held_list_update_leave AFTER UPDATE OF state, blob_id, received_at, size, expires_at ON held
  WHEN OLD.state IN ('receiving', 'held', 'delivering') AND (NEW.state NOT IN ('receiving', 'held', 'delivering')
    OR OLD.blob_id IS NOT NEW.blob_id OR OLD.received_at IS NOT NEW.received_at OR OLD.size IS NOT NEW.size
    OR OLD.expires_at IS NOT NEW.expires_at) BEGIN
  INSERT INTO held_list_changes (blob_id, received_at, size, expires_at, delta)
    VALUES (OLD.blob_id, OLD.received_at, OLD.size, OLD.expires_at, -1);
END;
CREATE TRIGGER held_list_update_enter AFTER UPDATE OF state, blob_id, received_at, size, expires_at ON held
  WHEN NEW.state IN ('receiving', 'held', 'delivering') AND (OLD.state NOT IN ('receiving', 'held', 'delivering')
    OR OLD.blob_id IS NOT NEW.blob_id OR OLD.received_at IS NOT NEW.received_at OR OLD.size IS NOT NEW.size
    OR OLD.expires_at IS NOT NEW.expires_at) BEGIN
  INSERT INTO held_list_changes (blob_id, received_at, size, expires_at, delta)
    VALUES (NEW.blob_id, NEW.received_at, NEW.size, NEW.expires_at, 1);
END;

-- Live replicas per origin; an origin's row goes when its last one does, so the Overview's
-- "from N people" is a count of this small table, not a DISTINCT over 10^6 rows (~0.6 s).
CREATE TABLE held_origins (
  origin_id TEXT    PRIMARY KEY,
  live      INTEGER NOT NULL CHECK (live >= 0)
) STRICT, WITHOUT ROWID;
INSERT INTO held_origins (origin_id, live)
  SELECT origin_id, count(*) FROM held WHERE state IN ('receiving', 'held', 'delivering') GROUP BY origin_id;

CREATE TRIGGER held_origins_insert AFTER INSERT ON held
  WHEN NEW.state IN ('receiving', 'held', 'delivering') BEGIN
  INSERT INTO held_origins (origin_id, live) VALUES (NEW.origin_id, 1)
    ON CONFLICT (origin_id) DO UPDATE SET live = live + 1;
END;
CREATE TRIGGER held_origins_delete AFTER DELETE ON held
  WHEN OLD.state IN ('receiving', 'held', 'delivering') BEGIN
  UPDATE held_origins SET live = live - 1 WHERE origin_id = OLD.origin_id;
  DELETE FROM held_origins WHERE origin_id = OLD.origin_id AND live = 0;
END;
CREATE TRIGGER held_origins_update_leave AFTER UPDATE OF state, origin_id ON held
  WHEN OLD.state IN ('receiving', 'held', 'delivering') AND (NEW.state NOT IN ('receiving', 'held', 'delivering')
    OR OLD.origin_id IS NOT NEW.origin_id) BEGIN
  UPDATE held_origins SET live = live - 1 WHERE origin_id = OLD.origin_id;
  DELETE FROM held_origins WHERE origin_id = OLD.origin_id AND live = 0;
END;
CREATE TRIGGER held_origins_update_enter AFTER UPDATE OF state, origin_id ON held
  WHEN NEW.state IN ('receiving', 'held', 'delivering') AND (OLD.state NOT IN ('receiving', 'held', 'delivering')
    OR OLD.origin_id IS NOT NEW.origin_id) BEGIN
  INSERT INTO held_origins (origin_id, live) VALUES (NEW.origin_id, 1)
    ON CONFLICT (origin_id) DO UPDATE SET live = live + 1;
END;
