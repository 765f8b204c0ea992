-- Credentials for the systems connectors call, one per connector name. The value is sealed (AES-256-GCM) with the
-- secrets key, which lives outside the database; the kind (bearer, basic, api-key) is not secret.
CREATE TABLE secrets (
    name            TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    sealed_value    TEXT NOT NULL,
    set_by          TEXT NOT NULL,
    set_at_us       BIGINT NOT NULL
);
