-- 013: the magento2 target's delivery (src/magento/delivery.cpp, src/outbox).
--
-- The second look for a shipment after an unknown outcome.
-- A ship call that timed out may still be running in Magento and commit later, so one search of
-- GET V1/shipments that does not find the marker is not enough to send it again. The first miss
-- sets `resend_after` to its time plus the call timeout; the row is searched again no earlier,
-- and sent again only when that search misses too. Kept in the row (not in memory), so a
-- restart in between waits just the same. NULL: no search has missed it since the last call.
ALTER TABLE magento_shipments ADD COLUMN resend_after TEXT;  -- ISO-8601 UTC millis

-- The delivery loop's selection index holds the waiting rows only. With every row in it, each
-- recorded delivery moved the row's entry (state and next_attempt_at are in the key), the
-- largest part of the writer's time per delivered stock line; now a delivered row just leaves
-- it. The queries that use it all ask for state = 'waiting'.
DROP INDEX magento_outbox_due;
CREATE INDEX magento_outbox_waiting ON magento_outbox (store_code, kind, next_attempt_at)
    WHERE state = 'waiting';
