-- 001: the durable request queue. Every request the WMS sends is stored here, with all its
-- lines, before "Success - Message N Received" is sent; the worker then moves it through
-- pending -> processing -> done | failed -> dead. Login sessions and issued tokens live here too,
-- so a restart does not log the WMS out.
--
-- Time columns: *_at TEXT columns are ISO-8601 UTC with milliseconds ("2026-11-23T09:00:00.123Z")
-- for people to read; INTEGER *_at columns are unix seconds because SQL compares them.
--
-- A column with more than two allowed values is CHECKed as an OR chain, not `col IN (a, b, c)`:
-- for an IN list of more than two values SQLite builds a temporary index every time an INSERT or
-- UPDATE runs, which cost 1.5 µs per row (more than the insert itself) on the hottest tables.
-- Two-value lists (`IN (0, 1)`) are compiled as plain comparisons and stay as they are.

CREATE TABLE requests (
    -- Receipt order. AUTOINCREMENT so an id is never reused, even after old rows are purged:
    -- admins and logs refer to requests by id.
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    entity            TEXT    NOT NULL,            -- domain::Entity spelling (inventory, ...)
    store_code        TEXT    NOT NULL,
    wire              TEXT    NOT NULL,            -- m1_soap, m2_soap, m2_json
    message_key       TEXT    NOT NULL DEFAULT '', -- messageSeqId / reference; '' when absent
    body_sha256       TEXT    NOT NULL,            -- hex SHA-256 of raw_body
    raw_body          TEXT    NOT NULL,            -- as received, secrets masked
    reply             TEXT    NOT NULL,            -- what the WMS was told; repeated on re-delivery
    state             TEXT    NOT NULL DEFAULT 'pending'
                      CHECK (state = 'pending' OR state = 'processing' OR state = 'done'
                             OR state = 'failed' OR state = 'dead'),
    line_count        INTEGER NOT NULL DEFAULT 0,
    deliveries        INTEGER NOT NULL DEFAULT 1,  -- 1 + re-deliveries of the identical body
    attempts          INTEGER NOT NULL DEFAULT 0,  -- processing attempts by workers
    next_attempt_at   INTEGER,                     -- unix seconds; failed requests wait until then
    claimed_by        TEXT,                        -- worker id holding the lease
    lease_expires_at  INTEGER,                     -- unix seconds; expired = claimable again
    last_error        TEXT,
    remote_address    TEXT    NOT NULL DEFAULT '',
    received_at       TEXT    NOT NULL,
    last_delivered_at TEXT    NOT NULL
);

-- Re-delivery detection: the same message (key and masked body) for the same entity.
CREATE UNIQUE INDEX requests_redelivery ON requests (entity, message_key, body_sha256);
-- The worker's claim query: oldest request in a given state.
CREATE INDEX requests_state ON requests (state, id);

-- One row per SKU line of an inventory multi-update, in message order (line_no from 1).
CREATE TABLE inventory_lines (
    request_id          INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    line_no             INTEGER NOT NULL,
    sku                 TEXT    NOT NULL,
    source              TEXT    NOT NULL DEFAULT 'default',
    qty                 INTEGER NOT NULL,
    seq                 INTEGER NOT NULL,
    last_order_exported TEXT    NOT NULL DEFAULT '',  -- as sent; '' when absent
    PRIMARY KEY (request_id, line_no)
) WITHOUT ROWID;

-- Shipment header: one row per shipment request.
CREATE TABLE shipment_requests (
    request_id         INTEGER PRIMARY KEY REFERENCES requests (id) ON DELETE CASCADE,
    order_increment_id TEXT    NOT NULL,
    comment            TEXT    NOT NULL DEFAULT '',
    email              INTEGER NOT NULL DEFAULT 0 CHECK (email IN (0, 1)),
    include_comment    INTEGER NOT NULL DEFAULT 0 CHECK (include_comment IN (0, 1)),
    courier_name       TEXT    NOT NULL DEFAULT '',
    service_name       TEXT    NOT NULL DEFAULT '',
    date_shipped       TEXT    NOT NULL DEFAULT '',  -- as sent; '' when absent
    message_seq_id     INTEGER                       -- NULL when the message had none
);

CREATE TABLE shipment_items (
    request_id INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    line_no    INTEGER NOT NULL,
    sku        TEXT    NOT NULL,
    qty        INTEGER NOT NULL,
    source     TEXT    NOT NULL DEFAULT 'default',
    PRIMARY KEY (request_id, line_no)
) WITHOUT ROWID;

-- Top-level trackingNumber first (line_no 1), then tracks/item in order.
CREATE TABLE shipment_tracks (
    request_id      INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    line_no         INTEGER NOT NULL,
    tracking_number TEXT    NOT NULL,
    PRIMARY KEY (request_id, line_no)
) WITHOUT ROWID;

-- The WMS acknowledging a product (SKU) or order (increment id) export.
CREATE TABLE export_acks (
    request_id INTEGER PRIMARY KEY REFERENCES requests (id) ON DELETE CASCADE,
    entity     TEXT NOT NULL,  -- product_export or order_export
    reference  TEXT NOT NULL
);

-- M1 login sessions and M2 issued bearer tokens. Only a hash of the secret is stored.
CREATE TABLE auth_grants (
    secret_hash TEXT    PRIMARY KEY,  -- hex SHA-256 of the session id / token
    kind        TEXT    NOT NULL CHECK (kind IN ('m1_session', 'm2_token')),
    store_code  TEXT    NOT NULL,
    username    TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL      -- unix seconds
) WITHOUT ROWID;

CREATE INDEX auth_grants_expiry ON auth_grants (expires_at);
