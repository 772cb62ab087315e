-- 013: the second look for a shipment after an unknown outcome (src/magento/delivery.cpp).
-- A ship call that timed out may still be running in Magento and commit later, so one search of
-- GET V1/shipments that does not find the marker is not enough to send it again. The first miss
-- sets `resend_after` to its time plus the call timeout; the row is searched again no earlier,
-- and sent again only when that search misses too. Kept in the row (not in memory), so a
-- restart in between waits just the same. NULL: no search has missed it since the last call.
ALTER TABLE magento_shipments ADD COLUMN resend_after TEXT;  -- ISO-8601 UTC millis
