-- The ledger (SQLite). Append-only: rows are never updated or deleted by Skybridge.
CREATE TABLE ledger_meta (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    origin          TEXT NOT NULL,
    size            INTEGER NOT NULL,
    frontier        TEXT NOT NULL
);

CREATE TABLE ledger_events (
    seq             INTEGER PRIMARY KEY,
    event_id        TEXT NOT NULL,
    type            TEXT NOT NULL,
    workflow_id     TEXT NULL,
    case_id         TEXT NULL,
    at_us           INTEGER NOT NULL,
    body            TEXT NOT NULL,
    leaf_hash       BLOB NOT NULL
);
CREATE INDEX ledger_events_by_case ON ledger_events (case_id, seq);

CREATE TABLE ledger_subtrees (
    level           INTEGER NOT NULL,
    idx             INTEGER NOT NULL,
    hash            BLOB NOT NULL,
    PRIMARY KEY (level, idx)
);

CREATE TABLE ledger_checkpoints (
    size            INTEGER PRIMARY KEY,
    root            BLOB NOT NULL,
    at_us           INTEGER NOT NULL,
    note            TEXT NOT NULL
);

CREATE TABLE ledger_keys (
    key_id          TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    vkey            TEXT NOT NULL,
    created_at_us   INTEGER NOT NULL
);
