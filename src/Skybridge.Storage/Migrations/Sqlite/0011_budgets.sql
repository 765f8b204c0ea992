-- Budgets (Sqlite): one counter per workflow, budget, subject (an agent, or '*') and fixed window, in whole units.
-- A spend is one conditional upsert (INSERT ... ON CONFLICT DO UPDATE ... WHERE used + amount <= limit) inside the
-- writer's transaction (SQLite has one writer at a time), so the one that would go over changes nothing.
CREATE TABLE budget_windows (
    workflow_id     TEXT NOT NULL,
    budget          TEXT NOT NULL,
    subject         TEXT NOT NULL,
    window_start_us INTEGER NOT NULL,
    used            INTEGER NOT NULL,
    PRIMARY KEY (workflow_id, budget, subject, window_start_us)
);

-- What each action spent, so a rejected or expired approval gives its reservation back exactly once.
CREATE TABLE budget_spends (
    action_id       TEXT NOT NULL,
    workflow_id     TEXT NOT NULL,
    budget          TEXT NOT NULL,
    subject         TEXT NOT NULL,
    window_start_us INTEGER NOT NULL,
    amount          INTEGER NOT NULL,
    PRIMARY KEY (action_id, budget, subject)
);
