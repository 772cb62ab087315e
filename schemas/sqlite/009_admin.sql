-- 009: the admin console's own tables (src/console). Users log in with a password (Argon2id);
-- a login is a session row, found by the SHA-256 of the cookie value, so the cookie itself is
-- never stored; every admin action lands in the audit log, which the console shows.

CREATE TABLE admin_users (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    name                TEXT    NOT NULL UNIQUE,
    password_hash       TEXT    NOT NULL,  -- argon2id encoded string ($argon2id$v=19$m=...)
    created_at          TEXT    NOT NULL,  -- ISO-8601 UTC
    password_changed_at TEXT    NOT NULL
);

CREATE TABLE admin_sessions (
    token_hash     TEXT    PRIMARY KEY,  -- hex SHA-256 of the session cookie's value
    user_id        INTEGER NOT NULL REFERENCES admin_users (id) ON DELETE CASCADE,
    csrf_token     TEXT    NOT NULL,     -- sent back in every form; compared in constant time
    created_at     INTEGER NOT NULL,     -- unix seconds
    expires_at     INTEGER NOT NULL,     -- unix seconds
    remote_address TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX admin_sessions_user ON admin_sessions (user_id);
CREATE INDEX admin_sessions_expiry ON admin_sessions (expires_at);

-- Who did what, when: logins (and refused ones), logouts, reprocesses, user changes from the CLI.
CREATE TABLE admin_audit (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             TEXT    NOT NULL,            -- ISO-8601 UTC
    username       TEXT    NOT NULL,            -- as typed for a refused login
    action         TEXT    NOT NULL,            -- login, login_refused, logout, reprocess, ...
    target         TEXT    NOT NULL DEFAULT '', -- e.g. "request 42"
    outcome        TEXT    NOT NULL DEFAULT '',
    remote_address TEXT    NOT NULL DEFAULT ''  -- "cli" for the command line
);

-- The console's stock history: every import line of one SKU and source, newest first. One more
-- B-tree entry per applied line; without it the lookup scans the whole import log.
CREATE INDEX import_lines_reference ON import_lines (reference, source, report_id);
