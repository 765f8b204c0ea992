-- Identity (SQLite): agents and their public keys, token-signing public keys, revocations, replay guard, halts.
-- No private key and no token is stored: only public keys, key ids and token ids.
CREATE TABLE agents (
    client_id       TEXT PRIMARY KEY,
    workflow_id     TEXT NOT NULL REFERENCES workflows(id),
    name            TEXT NOT NULL,
    role            TEXT NOT NULL,
    status          TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at_us   INTEGER NOT NULL,
    changed_at_us   INTEGER NOT NULL
);
CREATE INDEX agents_by_workflow ON agents (workflow_id, client_id);

CREATE TABLE agent_keys (
    client_id       TEXT NOT NULL REFERENCES agents(client_id),
    key_id          TEXT NOT NULL,
    jwk             TEXT NOT NULL,
    created_at_us   INTEGER NOT NULL,
    revoked_at_us   INTEGER NULL,
    PRIMARY KEY (client_id, key_id)
);

CREATE TABLE token_signing_keys (
    key_id          TEXT PRIMARY KEY,
    node_id         TEXT NOT NULL,
    jwk             TEXT NOT NULL,
    created_at_us   INTEGER NOT NULL,
    retired_at_us   INTEGER NULL
);

CREATE TABLE revoked_tokens (
    token_id        TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL,
    expires_at_us   INTEGER NOT NULL,
    revoked_at_us   INTEGER NOT NULL
);
CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens (expires_at_us);

CREATE TABLE replay_guard (
    key             TEXT PRIMARY KEY,
    keep_until_us   INTEGER NOT NULL
);
CREATE INDEX replay_guard_by_expiry ON replay_guard (keep_until_us);

CREATE TABLE workflow_halts (
    workflow_id     TEXT PRIMARY KEY REFERENCES workflows(id),
    halted_by       TEXT NOT NULL,
    reason          TEXT NOT NULL,
    at_us           INTEGER NOT NULL
);

-- Secrets every node must share (the DPoP nonce key). Not credentials: a leaked nonce key only lets proofs be made early.
CREATE TABLE shared_secrets (
    name            TEXT PRIMARY KEY,
    value           TEXT NOT NULL,
    created_at_us   INTEGER NOT NULL
);
