-- The per-origin share, checked on every offer, read from one row instead of summed. Summing an
-- origin's live replicas walked its rows in held_by_origin: 0.8 ms per offer at 10,000 replicas
-- from one phone, 3.3 ms at 50,000, and a holder deciding sixteen offers at once paid it sixteen
-- times. held_origins (005) already has a row per origin with live replicas, kept by triggers;
-- it now keeps their bytes too. "Live" reads as in 005 and as HELD_RESERVED_STATES in ledger.ts.
-- held_by_origin served only that sum, so it goes: one index less to write per replica.

ALTER TABLE held_origins ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0 CHECK (bytes >= 0);
UPDATE held_origins SET bytes = (
  SELECT coalesce(sum(size), 0) FROM held
  WHERE held.origin_id = held_origins.origin_id AND state IN ('receiving', 'held', 'delivering'));

DROP TRIGGER held_origins_insert;
DROP TRIGGER held_origins_delete;
DROP TRIGGER held_origins_update_leave;
DROP TRIGGER held_origins_update_enter;
DROP INDEX held_by_origin;

CREATE TRIGGER held_origins_insert AFTER INSERT ON held
  WHEN NEW.state IN ('receiving', 'held', 'delivering') BEGIN
  INSERT INTO held_origins (origin_id, live, bytes) VALUES (NEW.origin_id, 1, NEW.size)
    ON CONFLICT (origin_id) DO UPDATE SET live = live + 1, bytes = bytes + NEW.size;
END;
CREATE TRIGGER held_origins_delete AFTER DELETE ON held
  WHEN OLD.state IN ('receiving', 'held', 'delivering') BEGIN
  UPDATE held_origins SET live = live - 1, bytes = bytes - OLD.size WHERE origin_id = OLD.origin_id;
  DELETE FROM held_origins WHERE origin_id = OLD.origin_id AND live = 0;
END;
-- An update that changes what counts is the old row leaving and the new one entering; a size
-- change counts too (no writer makes one today, a hand-run UPDATE might).
CREATE TRIGGER held_origins_update_leave AFTER UPDATE OF state, origin_id, size ON held
  WHEN OLD.state IN ('receiving', 'held', 'delivering') AND (NEW.state NOT IN ('receiving', 'held', 'delivering')
    OR OLD.origin_id IS NOT NEW.origin_id OR OLD.size IS NOT NEW.size) BEGIN
  UPDATE held_origins SET live = live - 1, bytes = bytes - OLD.size WHERE origin_id = OLD.origin_id;
  DELETE FROM held_origins WHERE origin_id = OLD.origin_id AND live = 0;
END;
CREATE TRIGGER held_origins_update_enter AFTER UPDATE OF state, origin_id, size ON held
  WHEN NEW.state IN ('receiving', 'held', 'delivering') AND (OLD.state NOT IN ('receiving', 'held', 'delivering')
    OR OLD.origin_id IS NOT NEW.origin_id OR OLD.size IS NOT NEW.size) BEGIN
  INSERT INTO held_origins (origin_id, live, bytes) VALUES (NEW.origin_id, 1, NEW.size)
    ON CONFLICT (origin_id) DO UPDATE SET live = live + 1, bytes = bytes + NEW.size;
END;
