-- Webhook delivery (Sqlite): one cursor per workflow and webhook into the ledger. Deliveries are the ledger's own events,
-- sent in ledger order; the cursor says which event is next, how often it failed and when it is tried again, and which
-- node holds the lease to send (so two nodes do not both send the same event, save after a lease runs out).
CREATE TABLE webhook_cursors (
    workflow_id       TEXT NOT NULL,
    webhook           TEXT NOT NULL,
    next_seq          INTEGER NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_us   INTEGER,
    last_error        TEXT,
    lease_owner       TEXT,
    lease_until_us    INTEGER,
    delivered         INTEGER NOT NULL DEFAULT 0,
    abandoned         INTEGER NOT NULL DEFAULT 0,
    last_delivered_us INTEGER,
    created_us        INTEGER NOT NULL,
    updated_us        INTEGER NOT NULL,
    PRIMARY KEY (workflow_id, webhook)
);
