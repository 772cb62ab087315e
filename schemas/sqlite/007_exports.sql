-- 007: export to the WMS (DESIGN §5, issue 12). Products keep the whole Magento document they
-- were imported from (raw_json as received, normalised_json the export fields in one canonical
-- form, content_hash its SHA-256), and every product and order has one row in export_items with
-- its export state. The exporter (src/export) owns export_items, export_runs and
-- export_run_lines; the catalog and orders imports never write them: the triggers below do, in
-- the import's own transaction, so a change can never slip between an import and its state.
--
-- export_items.status: pending -> queued -> exported, or failed / cancelled. `version` goes up
-- on every change of the row; the exporter writes its results compare-and-set on the version it
-- read, so a late result never overwrites a newer state and an entity changed while its export
-- was in flight stays pending for the next round. Retries stay `pending` with attempts > 0 and
-- next_attempt_at in the future; `failed` is final until `exports reset`.
ALTER TABLE products ADD COLUMN store_code TEXT NOT NULL DEFAULT 'default';
ALTER TABLE products ADD COLUMN raw_json TEXT NOT NULL DEFAULT '{}';
ALTER TABLE products ADD COLUMN normalised_json TEXT NOT NULL DEFAULT '{}';
ALTER TABLE products ADD COLUMN content_hash TEXT NOT NULL DEFAULT '';

CREATE TABLE export_items (
    entity          TEXT    NOT NULL CHECK (entity = 'product' OR entity = 'order'),
    reference       TEXT    NOT NULL,           -- SKU, or the order's increment_id
    store_code      TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (status = 'pending' OR status = 'queued' OR status = 'exported' OR
                           status = 'failed' OR status = 'cancelled'),
    version         INTEGER NOT NULL DEFAULT 1,
    attempts        INTEGER NOT NULL DEFAULT 0,  -- failed sends since it last became pending
    last_error      TEXT    NOT NULL DEFAULT '',
    next_attempt_at TEXT,                        -- a retry waits until then (NULL = now)
    pending_since   TEXT    NOT NULL,            -- oldest first: when it last became pending
    queued_at       TEXT,
    exported_at     TEXT,
    sent_count      INTEGER NOT NULL DEFAULT 0,  -- exchanges the WMS answered cleanly
    -- Orders only: the WMS has the order and it was cancelled since. '' = nothing to send,
    -- 'pending' = cancel.xml is due, 'sent' = the WMS confirmed, 'failed' = it refused.
    cancel_state    TEXT    NOT NULL DEFAULT ''
                    CHECK (cancel_state IN ('', 'pending', 'sent', 'failed')),
    cancel_error    TEXT    NOT NULL DEFAULT '',
    updated_at      TEXT    NOT NULL,
    PRIMARY KEY (entity, reference)
) WITHOUT ROWID;
-- The exporter's selection: per store and entity, pending rows oldest first.
CREATE INDEX export_items_due ON export_items (store_code, entity, status, pending_since);
CREATE INDEX export_items_cancel ON export_items (cancel_state) WHERE cancel_state = 'pending';

-- Rows for what was imported before this migration.
INSERT INTO export_items (entity, reference, store_code, status, pending_since, updated_at)
    SELECT 'product', sku, store_code, 'pending', updated_at, updated_at FROM products;
INSERT INTO export_items (entity, reference, store_code, status, pending_since, updated_at)
    SELECT 'order', increment_id, store_code, export_status, created_at, imported_at FROM orders;

-- A new product is pending; a changed one (another content hash) is pending again with a new
-- version and a fresh attempt count, whatever it was, so an in-flight export of the old content
-- does not mark it exported.
CREATE TRIGGER products_export_insert AFTER INSERT ON products BEGIN
    INSERT INTO export_items (entity, reference, store_code, status, pending_since, updated_at)
        VALUES ('product', new.sku, new.store_code, 'pending', new.updated_at, new.updated_at)
        ON CONFLICT (entity, reference) DO UPDATE SET status = 'pending',
            version = version + 1, attempts = 0, last_error = '', next_attempt_at = NULL,
            pending_since = excluded.pending_since, updated_at = excluded.updated_at;
END;
CREATE TRIGGER products_export_change AFTER UPDATE OF content_hash ON products
    WHEN new.content_hash IS NOT old.content_hash BEGIN
    UPDATE export_items SET status = 'pending', version = version + 1, attempts = 0,
        last_error = '', next_attempt_at = NULL, pending_since = new.updated_at,
        store_code = new.store_code, updated_at = new.updated_at
        WHERE entity = 'product' AND reference = new.sku;
END;

-- A new order starts with the status its import gave it. A changed order that the WMS does not
-- have yet gets a new version (an insert in flight carries the old content; the WMS answers the
-- next one as a duplicate). A cancelled one: never sent -> cancelled; the WMS has it (queued or
-- exported) -> cancel.xml is due.
CREATE TRIGGER orders_export_insert AFTER INSERT ON orders BEGIN
    INSERT INTO export_items (entity, reference, store_code, status, pending_since, updated_at)
        VALUES ('order', new.increment_id, new.store_code,
                CASE WHEN new.state = 'canceled' THEN 'cancelled' ELSE new.export_status END,
                new.imported_at, new.imported_at)
        ON CONFLICT (entity, reference) DO NOTHING;
    UPDATE orders SET export_status = 'cancelled' WHERE id = new.id AND new.state = 'canceled';
END;
CREATE TRIGGER orders_export_change AFTER UPDATE OF raw_json, state, status ON orders
    WHEN new.raw_json IS NOT old.raw_json OR new.state IS NOT old.state BEGIN
    UPDATE export_items SET
        status = CASE WHEN new.state = 'canceled' AND status IN ('pending', 'failed')
                      THEN 'cancelled' ELSE status END,
        cancel_state = CASE WHEN new.state = 'canceled' AND old.state <> 'canceled'
                             AND status IN ('queued', 'exported') THEN 'pending'
                            ELSE cancel_state END,
        version = version + 1, updated_at = new.imported_at
        WHERE entity = 'order' AND reference = new.increment_id;
END;
-- orders.export_status is what the unsent-orders adjustment reads: it follows export_items.
CREATE TRIGGER export_items_order_status AFTER UPDATE OF status ON export_items
    WHEN new.entity = 'order' AND new.status IS NOT old.status BEGIN
    UPDATE orders SET export_status = new.status WHERE increment_id = new.reference;
END;

-- The export log: one row per exchange with the WMS, one line per entity it carried.
CREATE TABLE export_runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    store_code    TEXT    NOT NULL,
    entity        TEXT    NOT NULL CHECK (entity = 'product' OR entity = 'order'),
    mode          TEXT    NOT NULL,            -- push, notify
    operation     TEXT    NOT NULL,            -- merge, insert, cancel, notify
    url           TEXT    NOT NULL,            -- without credentials
    http_status   INTEGER NOT NULL DEFAULT 0,  -- 0 = no reply (connect error, timeout, reset)
    successes     INTEGER NOT NULL DEFAULT 0,
    duplicates    INTEGER NOT NULL DEFAULT 0,
    failures      INTEGER NOT NULL DEFAULT 0,
    error         TEXT    NOT NULL DEFAULT '', -- why the exchange as a whole failed
    duration_ms   INTEGER NOT NULL DEFAULT 0,
    started_at    TEXT    NOT NULL,
    finished_at   TEXT    NOT NULL,
    request_body  TEXT    NOT NULL DEFAULT '', -- Basic credentials masked, 256 KiB at most
    reply_body    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX export_runs_entity ON export_runs (entity, id);

CREATE TABLE export_run_lines (
    run_id    INTEGER NOT NULL REFERENCES export_runs (id) ON DELETE CASCADE,
    line_no   INTEGER NOT NULL,
    reference TEXT    NOT NULL,
    result    TEXT    NOT NULL CHECK (result IN ('Success', 'Duplicate', 'Failure', 'Missing',
                                                 'Error')),
    message   TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, line_no)
) WITHOUT ROWID;
CREATE INDEX export_run_lines_reference ON export_run_lines (reference);
