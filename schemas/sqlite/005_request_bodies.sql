-- 005: raw request bodies in a table of their own.
--
-- A request row is rewritten at every state change (pending -> processing -> done, retries),
-- and SQLite rewrites a changed row whole, overflow pages included: with the body inline, a
-- 100-line message (~15 KB of XML) cost about 30 KB of WAL in the worker on top of its real
-- work. The body is written once, at receipt, and read only by `requests show`.

CREATE TABLE request_bodies (
    request_id INTEGER PRIMARY KEY REFERENCES requests (id) ON DELETE CASCADE,
    raw_body   TEXT    NOT NULL  -- as received, secrets masked
);
INSERT INTO request_bodies (request_id, raw_body) SELECT id, raw_body FROM requests;
ALTER TABLE requests DROP COLUMN raw_body;
