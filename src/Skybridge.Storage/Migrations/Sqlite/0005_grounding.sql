-- Grounding (SQLite): every ingested version of every source document (kept, so old citations stay checkable),
-- and the cases submitted with their drafts.
CREATE TABLE source_documents (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    workflow_id     TEXT NOT NULL,
    source          TEXT NOT NULL,
    path            TEXT NOT NULL,
    version         TEXT NOT NULL,
    doc_id          TEXT NOT NULL,
    title           TEXT NOT NULL,
    status          TEXT NOT NULL,
    superseded_by   TEXT NULL,
    contradicts     TEXT NOT NULL,
    classification  TEXT NOT NULL,
    text            TEXT NOT NULL,
    ingested_at_us  INTEGER NOT NULL,
    removed_at_us   INTEGER NULL,
    UNIQUE (workflow_id, source, path, version)
);
CREATE INDEX source_documents_current ON source_documents (workflow_id, removed_at_us);

CREATE TABLE cases (
    id              TEXT PRIMARY KEY,
    workflow_id     TEXT NOT NULL,
    submitted_by    TEXT NOT NULL,
    text            TEXT NOT NULL,
    draft           TEXT NOT NULL,
    abstained       INTEGER NOT NULL,
    created_at_us   INTEGER NOT NULL
);
CREATE INDEX cases_by_workflow ON cases (workflow_id, created_at_us);
