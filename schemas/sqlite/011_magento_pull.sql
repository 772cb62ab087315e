-- 011: the incremental pull of a magento2 store's orders and products (src/magento/pull.cpp).
-- One row per (store, entity): the upper bound of the last window whose every page was
-- committed. The next window starts a few seconds before it (the overlap) and the documents
-- land in the tables the local target uses (orders, order_items, products), so nothing here
-- duplicates them. Written only once a whole window is committed: a pull cut short starts again
-- from the same watermark.
CREATE TABLE magento_pull (
    store_code  TEXT    NOT NULL,
    entity      TEXT    NOT NULL CHECK (entity = 'order' OR entity = 'product'),
    watermark   TEXT    NOT NULL,            -- Magento's UTC "YYYY-MM-DD HH:MM:SS"
    pulled_at   TEXT    NOT NULL,            -- when that window was committed (ISO-8601 UTC)
    documents   INTEGER NOT NULL DEFAULT 0,  -- documents written by that window
    PRIMARY KEY (store_code, entity)
) WITHOUT ROWID;
