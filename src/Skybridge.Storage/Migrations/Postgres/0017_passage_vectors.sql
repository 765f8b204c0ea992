-- Passage vectors (Postgres): one sentence-embedding vector per (model, passage text), so unchanged passages are never
-- embedded twice. text_sha256 is the lowercase hex SHA-256 of the passage text; vector is its floats, little-endian.
CREATE TABLE passage_vectors (
    model_id      TEXT NOT NULL,
    text_sha256   TEXT NOT NULL,
    dimension     BIGINT NOT NULL,
    vector        BYTEA NOT NULL,
    created_at_us BIGINT NOT NULL,
    PRIMARY KEY (model_id, text_sha256)
);
