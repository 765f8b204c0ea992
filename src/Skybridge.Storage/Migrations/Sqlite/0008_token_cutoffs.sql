-- "Tokens issued before this moment are void", per agent and per workflow: raised when an agent is disabled or
-- re-enabled and when a workflow is halted or resumed, and never lowered, so an old token stays dead for good.
CREATE TABLE token_cutoffs (
    kind            TEXT NOT NULL,
    id              TEXT NOT NULL,
    not_before_us   INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
);
