-- 002: what the inventory worker writes. The local target's stock levels, the per-(sku, source)
-- high-water marks that make the staleness rule hold (DESIGN §3.1), the import log (one report
-- per processed request, one line per SKU/source line), and the local product catalog that
-- `reject_unknown_skus` checks against. Everything here is written in the same transaction as
-- the request's state change (src/worker/inventory_processor.cpp).

-- The local target's stock: the last applied level per (sku, source).
CREATE TABLE stock_levels (
    sku         TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    qty         INTEGER NOT NULL,
    is_in_stock INTEGER NOT NULL CHECK (is_in_stock IN (0, 1)),
    last_seq    INTEGER NOT NULL,  -- sequence id of the inventory record that set qty
    updated_at  TEXT    NOT NULL,
    PRIMARY KEY (sku, source)
) WITHOUT ROWID;

-- High-water marks: the largest sequence id applied per (sku, source). PERMANENT: log retention
-- and purges must never delete or lower these rows. Losing a mark would let an old, re-delivered
-- stock record be applied again over a newer one. Kept apart from stock_levels so that a future
-- remote target (magento2) can have marks without a local stock row.
CREATE TABLE sequence_marks (
    sku            TEXT    NOT NULL,
    source         TEXT    NOT NULL,
    high_water_seq INTEGER NOT NULL,
    updated_at     TEXT    NOT NULL,
    PRIMARY KEY (sku, source)
) WITHOUT ROWID;

-- One report per processing run of a request (a reprocess writes another report). The counts
-- repeat what the lines say, so lists and filters never have to scan the lines.
CREATE TABLE import_reports (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: admins cite report ids
    request_id INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    entity     TEXT    NOT NULL,                   -- inventory (shipment later)
    successes  INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    superseded INTEGER NOT NULL DEFAULT 0,
    failures   INTEGER NOT NULL DEFAULT 0,
    created_at TEXT    NOT NULL
);

CREATE INDEX import_reports_request ON import_reports (request_id);
-- "Reports with a failure", the admin's usual question; the other result filters use the counts
-- on the newest-first scan of the primary key. Partial, so it costs nothing for clean reports.
CREATE INDEX import_reports_with_failures ON import_reports (id) WHERE failures > 0;

-- One row per input line of the request, in message order.
CREATE TABLE import_lines (
    report_id                INTEGER NOT NULL REFERENCES import_reports (id) ON DELETE CASCADE,
    line_no                  INTEGER NOT NULL,
    sequence_id              INTEGER,          -- the line's seq; NULL when it had none
    reference                TEXT    NOT NULL, -- the SKU
    source                   TEXT    NOT NULL,
    result                   TEXT    NOT NULL
                             CHECK (result = 'Success' OR result = 'Duplicate'
                                    OR result = 'Superseded' OR result = 'Failure'),
    message                  TEXT    NOT NULL,
    units_received           INTEGER,
    unsent_orders_adjustment INTEGER,          -- applied lines only
    final_qty                INTEGER,          -- applied lines only
    PRIMARY KEY (report_id, line_no)
) WITHOUT ROWID;

-- The local catalog. Only consulted when reject_unknown_skus is on.
CREATE TABLE products (
    sku        TEXT PRIMARY KEY,
    name       TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
) WITHOUT ROWID;

-- The worker's claim query asks, per entity, for the oldest pending request, the oldest failed
-- request whose retry time has come and the oldest processing request whose lease has expired;
-- each of the three is a range of this index, already in id (receipt) order.
CREATE INDEX requests_claim ON requests (entity, state, id);
