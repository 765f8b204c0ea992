-- Role grants a single sign-on group mapping made (a subset of role_grants): only these are revoked when the
-- person's groups no longer give them; a grant made by hand on the same role and workflow stays.
CREATE TABLE mapped_role_grants (
    user_name_key   TEXT NOT NULL REFERENCES users(user_name_key),
    workflow_id     TEXT NOT NULL,
    role            TEXT NOT NULL,
    PRIMARY KEY (user_name_key, workflow_id, role)
);
