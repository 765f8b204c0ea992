-- Webhook delivery (Postgres): one cursor per workflow and webhook into the ledger. Deliveries are the ledger's own events,
-- sent in ledger order; the cursor says which event is next, how often it failed and when it is tried again, and which
-- node holds the lease to send (so two nodes do not both send the same event, save after a lease runs out).
CREATE TABLE webhook_cursors (
    workflow_id       TEXT NOT NULL,
    webhook           TEXT NOT NULL,
    next_seq          BIGINT NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_us   BIGINT,
    last_error        TEXT,
    lease_owner       TEXT,
    lease_until_us    BIGINT,
    delivered         BIGINT NOT NULL DEFAULT 0,
    abandoned         BIGINT NOT NULL DEFAULT 0,
    last_delivered_us BIGINT,
    created_us        BIGINT NOT NULL,
    updated_us        BIGINT NOT NULL,
    PRIMARY KEY (workflow_id, webhook)
);
