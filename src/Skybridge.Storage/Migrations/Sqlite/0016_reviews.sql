-- Live review (Sqlite): the queue of sampled cases, each case once (its id is the key), and one review per reviewer
-- per case and per slot (the first and the second review), so a retried enqueue or a double click adds nothing.
CREATE TABLE review_salts (
    workflow_id TEXT PRIMARY KEY,
    salt        BLOB NOT NULL
);

CREATE TABLE review_queue (
    case_id             TEXT PRIMARY KEY,
    workflow_id         TEXT NOT NULL,
    sampled_at_us       INTEGER NOT NULL,
    due_at_us           INTEGER NOT NULL,
    rate                REAL NOT NULL,
    weight              REAL NOT NULL,
    reasons             TEXT NOT NULL,
    required_reviews    INTEGER NOT NULL,
    reviews             INTEGER NOT NULL DEFAULT 0,
    overdue_flagged_us  INTEGER
);
CREATE INDEX review_queue_by_workflow ON review_queue (workflow_id, due_at_us);

CREATE TABLE reviews (
    case_id     TEXT NOT NULL REFERENCES review_queue (case_id),
    reviewer    TEXT NOT NULL,
    slot        INTEGER NOT NULL,
    correctness TEXT NOT NULL,
    citations   TEXT NOT NULL,
    action      TEXT NOT NULL,
    comment     TEXT,
    at_us       INTEGER NOT NULL,
    PRIMARY KEY (case_id, reviewer),
    UNIQUE (case_id, slot)
);
