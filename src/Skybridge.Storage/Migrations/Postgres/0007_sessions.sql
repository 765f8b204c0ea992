-- Console sessions. The cookie carries a session id; the store keeps its SHA-256 only, and sign-out marks it
-- revoked, so a copied cookie stops working on every node at once instead of living until it expires.
CREATE TABLE sessions (
    id_hash         TEXT PRIMARY KEY,
    user_name_key   TEXT NOT NULL,
    created_at_us   BIGINT NOT NULL,
    revoked_at_us   BIGINT
);
CREATE INDEX sessions_created ON sessions (created_at_us);
