-- Device authorization grant (RFC 8628) for the CLI. Codes are stored as SHA-256 hashes only.
CREATE TABLE device_authorizations (
    device_code_hash  TEXT PRIMARY KEY,
    user_code_hash    TEXT NOT NULL UNIQUE,
    client_id         TEXT NOT NULL,
    scope             TEXT NOT NULL,
    status            TEXT NOT NULL,
    user_name         TEXT NULL,
    created_at_us     BIGINT NOT NULL,
    expires_at_us     BIGINT NOT NULL,
    last_poll_at_us   BIGINT NULL,
    interval_s        INTEGER NOT NULL
);
CREATE INDEX device_authorizations_by_expiry ON device_authorizations (expires_at_us);
