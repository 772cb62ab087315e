-- 014: the console's view of the Magento outbox (src/outbox/outbox_reader.cpp).
--
-- 013 keeps only the waiting rows in the delivery loop's index, so the delivered history (one
-- row per key and shipment, never deleted) no longer has an index by store and state. The
-- dashboard asks per store for the waiting rows (013's index) and the failed ones: those get a
-- partial index of their own, empty in a healthy store and so free to keep. The stores
-- themselves are read off the keys of magento_stock and magento_shipment_skus.
CREATE INDEX magento_outbox_failed ON magento_outbox (store_code, kind) WHERE state = 'failed';
