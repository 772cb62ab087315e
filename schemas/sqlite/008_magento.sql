-- 008: the transactional outbox of the magento2 target (DESIGN §6, src/outbox, src/magento).
-- The worker writes what Magento must receive in the same transaction as the import report
-- (stock per (store, SKU, source); one shipment intent per shipped source); the delivery loop
-- of `serve` sends it and records the outcome here. Nothing in these tables is deleted by the
-- broker: a delivered row is Magento's receipt.
--
-- One row per thing to deliver, stock or shipment, so `outbox list` and `outbox retry ID` have
-- one id space. state: waiting (to send, or to retry at next_attempt_at), delivered, failed
-- (Magento refused it: 400/404 with its message; only `outbox retry` or a newer stock value
-- sends it again).
CREATE TABLE magento_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    store_code      TEXT    NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind = 'stock' OR kind = 'shipment'),
    state           TEXT    NOT NULL CHECK (state = 'waiting' OR state = 'delivered' OR
                                            state = 'failed'),
    attempts        INTEGER NOT NULL DEFAULT 0,  -- failed attempts since the last success
    next_attempt_at TEXT    NOT NULL,            -- ISO-8601 UTC millis
    message         TEXT    NOT NULL DEFAULT '', -- the last error, or Magento's refusal
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    delivered_at    TEXT
);
-- The delivery loop's selection: per store and kind, the waiting rows that are due.
CREATE INDEX magento_outbox_due ON magento_outbox (store_code, kind, state, next_attempt_at);

-- Stock: one row per (store, sku, source), coalescing. `seq`/`qty` are the newest applied line's
-- (the quantity Magento must show); a delivery is recorded compare-and-set on the seq it sent,
-- so a value that changed while in flight stays waiting and goes out again, and an older value
-- can never be sent after a newer one (there is only ever the newest to send).
CREATE TABLE magento_stock (
    outbox_id      INTEGER PRIMARY KEY REFERENCES magento_outbox (id),
    store_code     TEXT    NOT NULL,
    sku            TEXT    NOT NULL,
    source         TEXT    NOT NULL,  -- the WMS's source; mapped when sent
    seq            INTEGER NOT NULL,
    qty            INTEGER NOT NULL,
    delivered_seq  INTEGER,           -- newest seq Magento confirmed
    failed_seq     INTEGER,           -- newest seq Magento refused...
    failed_message TEXT    NOT NULL DEFAULT '',  -- ...and why
    UNIQUE (store_code, sku, source)
);

-- Shipments: one ship call per (request, source). `body` is the JSON of POST
-- V1/order/<order_entity_id>/ship without `arguments` (the source code is mapped when sent).
-- `marker` (in the comment) finds it again in GET V1/shipments after an unknown outcome:
-- `unknown_outcome` = 1 means a call may have reached Magento and the next step is that check,
-- never a blind retry. It is set durably before every call.
CREATE TABLE magento_shipments (
    outbox_id           INTEGER PRIMARY KEY REFERENCES magento_outbox (id),
    request_id          INTEGER NOT NULL,  -- no FK: the row outlives a purged request
    order_increment_id  TEXT    NOT NULL,
    order_entity_id     INTEGER,           -- NULL: the order has no Magento id (a failure)
    source              TEXT    NOT NULL,
    marker              TEXT    NOT NULL,
    body                TEXT    NOT NULL,
    unknown_outcome     INTEGER NOT NULL DEFAULT 0 CHECK (unknown_outcome IN (0, 1)),
    magento_shipment_id INTEGER
);
CREATE INDEX magento_shipments_request ON magento_shipments (request_id);
-- The SKUs a waiting shipment deducts from its source: stock of those keys is held back until
-- it is delivered (src/magento/delivery.cpp explains the order).
CREATE TABLE magento_shipment_skus (
    outbox_id  INTEGER NOT NULL REFERENCES magento_outbox (id),
    store_code TEXT    NOT NULL,
    sku        TEXT    NOT NULL,
    source     TEXT    NOT NULL,
    PRIMARY KEY (outbox_id, sku)
) WITHOUT ROWID;
CREATE INDEX magento_shipment_skus_key ON magento_shipment_skus (store_code, sku, source);
