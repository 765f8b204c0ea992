-- Who is in which group, for every person: local accounts added by hand (source 'local') and people signed in through
-- single sign-on, whose identity provider's groups claim is copied here at each sign-in (source = the provider's
-- authority). Decisions that name a group (approve, halt, ...) read this table, never a session's claims, so a person
-- removed from a group stops counting at the next decision. Group names are compared exactly, as manifests write them.
CREATE TABLE group_members (
    group_name      TEXT NOT NULL,
    user_name_key   TEXT NOT NULL REFERENCES users(user_name_key),
    source          TEXT NOT NULL,
    added_at_us     INTEGER NOT NULL,
    added_by        TEXT NOT NULL,
    PRIMARY KEY (group_name, user_name_key)
);

CREATE INDEX group_members_by_user ON group_members (user_name_key);
