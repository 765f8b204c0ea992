-- Live review (Postgres): the queue of sampled cases, each case once (its id is the key), and one review per reviewer
-- per case and per slot (the first and the second review), so a retried enqueue or a double click adds nothing.
CREATE TABLE review_salts (
    workflow_id TEXT PRIMARY KEY,
    salt        BYTEA NOT NULL
);

CREATE TABLE review_queue (
    case_id             TEXT PRIMARY KEY,
    workflow_id         TEXT NOT NULL,
    sampled_at_us       BIGINT NOT NULL,
    due_at_us           BIGINT NOT NULL,
    rate                DOUBLE PRECISION NOT NULL,
    weight              DOUBLE PRECISION NOT NULL,
    reasons             TEXT NOT NULL,
    required_reviews    BIGINT NOT NULL,
    reviews             BIGINT NOT NULL DEFAULT 0,
    overdue_flagged_us  BIGINT
);
CREATE INDEX review_queue_by_workflow ON review_queue (workflow_id, due_at_us);

CREATE TABLE reviews (
    case_id     TEXT NOT NULL REFERENCES review_queue (case_id),
    reviewer    TEXT NOT NULL,
    slot        BIGINT NOT NULL,
    correctness TEXT NOT NULL,
    citations   TEXT NOT NULL,
    action      TEXT NOT NULL,
    comment     TEXT,
    at_us       BIGINT NOT NULL,
    PRIMARY KEY (case_id, reviewer),
    UNIQUE (case_id, slot)
);
