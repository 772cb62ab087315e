-- 010: when the WMS last fetched an entity through the read operations of notify mode
-- (catalogProductRepositoryV1Get / salesOrderRepositoryV1Get). An Export call carries only the
-- reference, not the content it refers to: when the WMS fetched an entity, the entity changed and
-- was notified again (queued), an Export call that follows names the older fetch, and must not
-- make the newer content exported (src/export/export_acks.cpp). NULL = never fetched through the
-- broker (a WMS that reads the shop some other way: its Export call is its acknowledgement).
ALTER TABLE export_items ADD COLUMN fetched_at TEXT;
