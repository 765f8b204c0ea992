-- Calibration sweeps kept as evidence, written with their evaluation.calibrated ledger event. version is null for a
-- manifest file; the hashes say exactly which manifest text and golden set bytes were swept. settings, rows and
-- recommendation are JSON: the grid swept, every setting's metrics (successes, trials, Wilson interval) and verdict,
-- and the recommended setting or the closest one with the criteria it fails. No golden case text is kept.
CREATE TABLE calibration_runs (
    id              TEXT PRIMARY KEY,
    workflow_id     TEXT NOT NULL,
    version         INTEGER,
    manifest_hash   TEXT NOT NULL,
    golden_set_hash TEXT NOT NULL,
    settings        TEXT NOT NULL,
    rows_json       TEXT NOT NULL,
    recommendation  TEXT NOT NULL,
    clears          INTEGER NOT NULL CHECK (clears IN (0, 1)),
    run_at_us       INTEGER NOT NULL,
    run_by          TEXT NOT NULL
);

CREATE INDEX calibration_runs_by_workflow ON calibration_runs (workflow_id, run_at_us);
