-- Budgets (PostgreSQL): one counter per workflow, budget, subject (an agent, or '*') and fixed window, in whole units.
-- A spend is one conditional upsert (INSERT ... ON CONFLICT DO UPDATE ... WHERE used + amount <= limit): the row lock
-- it takes makes two nodes spending at once add up in turn, and the one that would go over changes nothing.
CREATE TABLE budget_windows (
    workflow_id     TEXT NOT NULL,
    budget          TEXT NOT NULL,
    subject         TEXT NOT NULL,
    window_start_us BIGINT NOT NULL,
    used            BIGINT NOT NULL,
    PRIMARY KEY (workflow_id, budget, subject, window_start_us)
);

-- What each action spent, so a rejected or expired approval gives its reservation back exactly once.
CREATE TABLE budget_spends (
    action_id       TEXT NOT NULL,
    workflow_id     TEXT NOT NULL,
    budget          TEXT NOT NULL,
    subject         TEXT NOT NULL,
    window_start_us BIGINT NOT NULL,
    amount          BIGINT NOT NULL,
    PRIMARY KEY (action_id, budget, subject)
);
