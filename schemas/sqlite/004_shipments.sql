-- 004: shipments of the local target (DESIGN §3.3, §6), written by the worker in the same
-- transaction as the shipment request's state change, its import report and the order's
-- qty_shipped/state (src/worker/shipment_applier.cpp). A request shipping from several sources
-- makes one shipment per source. (shipment_items / shipment_tracks in 001 are the *request*'s
-- lines as received; the tables here are what was actually shipped.)

CREATE TABLE shipments (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: admins cite shipment ids
    order_id        INTEGER NOT NULL REFERENCES orders (id),
    -- The request that created it. SET NULL: purging old requests must not lose shipments.
    request_id      INTEGER REFERENCES requests (id) ON DELETE SET NULL,
    source          TEXT    NOT NULL,                   -- MSI source code
    comment         TEXT    NOT NULL DEFAULT '',
    notify_customer INTEGER NOT NULL DEFAULT 0 CHECK (notify_customer IN (0, 1)),  -- `email`
    include_comment INTEGER NOT NULL DEFAULT 0 CHECK (include_comment IN (0, 1)),
    date_shipped    TEXT    NOT NULL DEFAULT '',        -- as the WMS sent it; '' when absent
    created_at      TEXT    NOT NULL                    -- ISO-8601 UTC, when it was applied
);
-- `shipments list --order ID` (newest first) and the request -> shipments lookup.
CREATE INDEX shipments_order ON shipments (order_id, id);
CREATE INDEX shipments_request ON shipments (request_id);

-- What one shipment ships: order item (Magento item_id of the line that ships) and quantity.
CREATE TABLE shipment_lines (
    shipment_id   INTEGER NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
    line_no       INTEGER NOT NULL,
    order_item_id INTEGER NOT NULL,
    sku           TEXT    NOT NULL,  -- as requested (a configurable's child SKU under `parent`)
    qty           INTEGER NOT NULL CHECK (qty > 0),
    PRIMARY KEY (shipment_id, line_no)
) WITHOUT ROWID;

-- Tracks of one shipment: the top-level trackingNumber first, then tracks/item, in order. A
-- multi-source request gives every one of its shipments the same tracks.
CREATE TABLE shipment_tracking (
    shipment_id   INTEGER NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
    line_no       INTEGER NOT NULL,
    track_number  TEXT    NOT NULL,
    carrier_title TEXT    NOT NULL,  -- "<courierName> <serviceName>", trimmed
    PRIMARY KEY (shipment_id, line_no)
) WITHOUT ROWID;

-- Dedupe: one row per APPLIED shipment request. dedupe_key is 'seq:<messageSeqId>', or without
-- a messageSeqId 'hash:<hex SHA-256 of the normalised request>'. PERMANENT like the sequence
-- marks: losing a row would let a re-delivered shipment ship twice. Requests that failed leave
-- no row (they changed nothing and may be retried once the order allows it).
CREATE TABLE shipment_keys (
    order_increment_id  TEXT    NOT NULL,
    dedupe_key          TEXT    NOT NULL,
    shipment_request_id INTEGER NOT NULL,  -- requests.id; no FK, the row outlives the request
    created_at          TEXT    NOT NULL,
    PRIMARY KEY (order_increment_id, dedupe_key)
) WITHOUT ROWID;
