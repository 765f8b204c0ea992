-- Governed actions (PostgreSQL): every proposal with its decision and result, and the approvals bound to one call's digest.
-- Rows are written in the ledger transaction of their events; status and revision changes are compare-and-set.
CREATE TABLE actions (
    id               TEXT PRIMARY KEY,
    workflow_id      TEXT NOT NULL,
    manifest_version INTEGER NOT NULL,
    case_id          TEXT NOT NULL,
    action           TEXT NOT NULL,
    parameters       TEXT NOT NULL,
    call_digest      TEXT NOT NULL,
    requester        TEXT NOT NULL,
    requester_key    TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    status           TEXT NOT NULL,
    detail           TEXT NULL,
    approval_id      TEXT NULL,
    created_at_us    BIGINT NOT NULL,
    updated_at_us    BIGINT NOT NULL,
    -- A retry with the same key finds the first proposal instead of making a second one.
    UNIQUE (requester, idempotency_key)
);
-- The outbox: approved and executing actions, oldest first.
CREATE INDEX actions_by_status ON actions (status, created_at_us);
CREATE INDEX actions_by_case ON actions (case_id, created_at_us);

CREATE TABLE approvals (
    id                 TEXT PRIMARY KEY,
    action_id          TEXT NOT NULL,
    workflow_id        TEXT NOT NULL,
    case_id            TEXT NOT NULL,
    action             TEXT NOT NULL,
    call_digest        TEXT NOT NULL,
    status             TEXT NOT NULL,
    required_approvers INTEGER NOT NULL,
    eligible           TEXT NOT NULL,
    requesters         TEXT NOT NULL,
    votes              TEXT NOT NULL,
    revision           INTEGER NOT NULL,
    created_at_us      BIGINT NOT NULL,
    expires_at_us      BIGINT NOT NULL,
    closed_at_us       BIGINT NULL
);
CREATE INDEX approvals_by_workflow ON approvals (workflow_id, status, created_at_us);
-- Across workflows: the expiry sweep reads pending approvals, oldest first.
CREATE INDEX approvals_by_status ON approvals (status, created_at_us);
