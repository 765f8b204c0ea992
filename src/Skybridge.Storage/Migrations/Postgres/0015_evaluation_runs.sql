-- Evaluation runs kept as evidence, written with their evaluation.completed ledger event. version is null for a
-- manifest file run before it was published; the hashes say exactly which manifest text and golden set bytes ran.
CREATE TABLE evaluation_runs (
    id              TEXT PRIMARY KEY,
    workflow_id     TEXT NOT NULL,
    version         INTEGER,
    manifest_hash   TEXT NOT NULL,
    golden_set_hash TEXT NOT NULL,
    bar             TEXT NOT NULL,
    metrics         TEXT NOT NULL,
    verdict         TEXT NOT NULL CHECK (verdict IN ('clears', 'fails')),
    cases           TEXT NOT NULL,
    started_at_us   BIGINT NOT NULL,
    finished_at_us  BIGINT NOT NULL,
    run_by          TEXT NOT NULL
);

CREATE INDEX evaluation_runs_by_workflow ON evaluation_runs (workflow_id, started_at_us);
