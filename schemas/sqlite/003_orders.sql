-- 003: orders of the local target (DESIGN §3.3, §5, §6). An order arrives in Magento's REST
-- shape (GET /V1/orders/{id}); the columns keep what shipments, the unsent-orders stock
-- adjustment and the export need, and raw_json keeps the whole document as received.
--
-- Quantities are whole units (Magento sends decimals such as "2.0000"; fractional quantities
-- are refused at import). Times are Magento's "YYYY-MM-DD HH:MM:SS" in UTC, so text order is
-- time order.

CREATE TABLE orders (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    increment_id       TEXT    NOT NULL UNIQUE,      -- what the WMS calls the order
    entity_id          INTEGER,                      -- Magento's id, when given
    store_code         TEXT    NOT NULL,
    state              TEXT    NOT NULL CHECK (state = 'new' OR state = 'pending_payment' OR
                       state = 'processing' OR state = 'complete' OR state = 'closed' OR
                       state = 'canceled' OR state = 'holded' OR state = 'payment_review'),
    status             TEXT    NOT NULL,
    created_at         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL,
    customer_email     TEXT    NOT NULL DEFAULT '',
    customer_firstname TEXT    NOT NULL DEFAULT '',
    customer_lastname  TEXT    NOT NULL DEFAULT '',
    billing_address    TEXT    NOT NULL DEFAULT '{}',  -- JSON object as received
    shipping_address   TEXT    NOT NULL DEFAULT '{}',  -- JSON object as received
    shipping_method    TEXT    NOT NULL DEFAULT '',
    is_virtual         INTEGER NOT NULL DEFAULT 0 CHECK (is_virtual IN (0, 1)),
    -- Export to the WMS: pending -> queued -> exported, or failed / cancelled (DESIGN §5).
    export_status      TEXT    NOT NULL DEFAULT 'pending'
                       CHECK (export_status = 'pending' OR export_status = 'queued' OR
                              export_status = 'exported' OR export_status = 'failed' OR
                              export_status = 'cancelled'),
    raw_json           TEXT    NOT NULL,
    imported_at        TEXT    NOT NULL              -- when the last import wrote this row
);
CREATE INDEX orders_export ON orders (export_status, created_at);
-- The admin list (newest first) and its status filter (OrderReader::list).
CREATE INDEX orders_created ON orders (created_at, id);
CREATE INDEX orders_status ON orders (status, created_at, id);

CREATE TABLE order_items (
    order_id       INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    item_id        INTEGER NOT NULL,   -- Magento order item id
    parent_item_id INTEGER,            -- the configurable/bundle line a simple child belongs to
    sku            TEXT    NOT NULL,
    name           TEXT    NOT NULL DEFAULT '',
    product_type   TEXT    NOT NULL DEFAULT 'simple',
    qty_ordered    INTEGER NOT NULL,
    qty_invoiced   INTEGER NOT NULL DEFAULT 0,
    qty_shipped    INTEGER NOT NULL DEFAULT 0,
    qty_canceled   INTEGER NOT NULL DEFAULT 0,
    price          TEXT    NOT NULL DEFAULT '0',  -- decimal as sent
    PRIMARY KEY (order_id, item_id)
) WITHOUT ROWID;
CREATE INDEX order_items_sku ON order_items (sku);
