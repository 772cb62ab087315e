-- 012: a (sku, source)'s stock level and its high-water mark in one row.
--
-- 002 kept them in two tables (stock_levels, sequence_marks), so every applied line cost two
-- B-tree writes and the staleness check read a table the stock write did not touch. One row now
-- holds both: an applied line is one write, and the mark it is checked against is on the same
-- page as the stock it replaces.
--
-- high_water_seq is PERMANENT, as sequence_marks was: log retention and purges must never delete
-- a row of this table or lower its mark (losing a mark would let an old, re-delivered stock record
-- be applied again over a newer one). A target that keeps no local stock (a magento2 store
-- could) still needs the mark, so qty and is_in_stock may be NULL: "no local stock", never 0.
-- The stock of a row is always that of its high_water_seq (both are written by the same
-- statement), so the stock's own last_seq of 002 is gone.

CREATE TABLE stock_marks (
    sku            TEXT    NOT NULL,
    source         TEXT    NOT NULL,
    high_water_seq INTEGER NOT NULL,  -- the largest sequence id applied; only ever rises
    qty            INTEGER,           -- NULL: no local stock for this key
    is_in_stock    INTEGER CHECK (is_in_stock IN (0, 1)),
    updated_at     TEXT    NOT NULL,
    PRIMARY KEY (sku, source)
) WITHOUT ROWID;

-- Every key of either table, with the higher of its two seqs as the mark (in 002 both were
-- written together, so they agree; should they not, the higher one is what was applied).
INSERT INTO stock_marks (sku, source, high_water_seq, qty, is_in_stock, updated_at)
SELECT k.sku, k.source, max(coalesce(m.high_water_seq, 0), coalesce(s.last_seq, 0)),
       s.qty, s.is_in_stock, max(coalesce(m.updated_at, ''), coalesce(s.updated_at, ''))
FROM (SELECT sku, source FROM sequence_marks UNION SELECT sku, source FROM stock_levels) k
LEFT JOIN sequence_marks m ON m.sku = k.sku AND m.source = k.source
LEFT JOIN stock_levels s ON s.sku = k.sku AND s.source = k.source;

DROP TABLE stock_levels;
DROP TABLE sequence_marks;

-- The two names of 002, for people and tools that read them (sqlite3, reports): read-only views
-- of the one table. The broker itself reads and writes stock_marks.
CREATE VIEW stock_levels (sku, source, qty, is_in_stock, last_seq, updated_at) AS
SELECT sku, source, qty, is_in_stock, high_water_seq, updated_at FROM stock_marks
WHERE qty IS NOT NULL;
CREATE VIEW sequence_marks (sku, source, high_water_seq, updated_at) AS
SELECT sku, source, high_water_seq, updated_at FROM stock_marks;
