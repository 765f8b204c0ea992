-- Skybridge schema v1 (PostgreSQL). Times are microseconds since the Unix epoch, UTC.
CREATE TABLE workflows (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    active_version  INTEGER NULL,
    latest_version  INTEGER NOT NULL DEFAULT 0,
    created_at_us   BIGINT NOT NULL
);

CREATE TABLE manifest_versions (
    workflow_id     TEXT NOT NULL REFERENCES workflows(id),
    version         INTEGER NOT NULL,
    content_hash    TEXT NOT NULL,
    autonomy_level  TEXT NOT NULL,
    yaml            TEXT NOT NULL,
    published_by    TEXT NOT NULL,
    published_at_us BIGINT NOT NULL,
    PRIMARY KEY (workflow_id, version),
    UNIQUE (workflow_id, content_hash)
);

CREATE TABLE activations (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workflow_id      TEXT NOT NULL REFERENCES workflows(id),
    version          INTEGER NOT NULL,
    previous_version INTEGER NULL,
    kind             TEXT NOT NULL,
    actor            TEXT NOT NULL,
    at_us            BIGINT NOT NULL,
    parent_id        BIGINT NULL REFERENCES activations(id)
);
CREATE INDEX activations_by_workflow ON activations (workflow_id, id);

CREATE TABLE autonomy_grants (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workflow_id     TEXT NOT NULL,
    level           TEXT NOT NULL,
    granted_by      TEXT NOT NULL,
    granted_at_us   BIGINT NOT NULL,
    evidence        TEXT NOT NULL
);
CREATE INDEX autonomy_grants_by_workflow ON autonomy_grants (workflow_id, id);

CREATE TABLE users (
    user_name       TEXT NOT NULL,
    user_name_key   TEXT PRIMARY KEY,
    display_name    TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    failed_sign_ins INTEGER NOT NULL DEFAULT 0,
    locked_until_us BIGINT NULL,
    last_sign_in_us BIGINT NULL,
    created_at_us   BIGINT NOT NULL
);

CREATE TABLE role_grants (
    user_name_key   TEXT NOT NULL REFERENCES users(user_name_key),
    workflow_id     TEXT NOT NULL,
    role            TEXT NOT NULL,
    PRIMARY KEY (user_name_key, workflow_id, role)
);
CREATE INDEX role_grants_by_workflow ON role_grants (workflow_id);
