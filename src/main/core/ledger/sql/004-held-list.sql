-- The held list at 10^6 rows: the app pages it by offset in three orders, over live replicas only.
-- Partial indexes hold exactly the live rows in each order, so a page is read from the index alone
-- (its rowids) and only the rows shown are fetched from the table; 003's full indexes go.
DROP INDEX held_by_size;
DROP INDEX held_by_expires;
CREATE INDEX held_live_by_received ON held (received_at, blob_id) WHERE state IN ('receiving', 'held', 'delivering');
CREATE INDEX held_live_by_size ON held (size, blob_id) WHERE state IN ('receiving', 'held', 'delivering');
CREATE INDEX held_live_by_expires ON held (expires_at, blob_id) WHERE state IN ('receiving', 'held', 'delivering');
