-- 0006: the review desk (issue 12): article titles, moderators' browser sessions, undoable
-- decisions, and site rules changed at run time. Never edit once shipped.

-- The article's headline as the submission gave it (`article_title`); NULL when none came.
ALTER TABLE comments ADD COLUMN article_title TEXT;

-- Moderators signed in from a browser (the review page). The cookie carries 256 random
-- bits; only their SHA-256 is stored, like moderator tokens. A session dies when it
-- expires, when its moderator signs out, or when the moderator is revoked (every lookup
-- joins `moderators` on `revoked_at IS NULL`).
CREATE TABLE sessions (
    id_sha256    BLOB    PRIMARY KEY,
    moderator_id INTEGER NOT NULL REFERENCES moderators(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,          -- unix milliseconds
    expires_at   INTEGER NOT NULL           -- unix milliseconds
) WITHOUT ROWID;
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- The audit log gains the `undo` action (a moderator takes back their own decision within
-- a short window) and, on every row, the training labels and decision time the comment had
-- before the change, which an undo restores. A CHECK cannot be altered in SQLite, so the
-- table is rebuilt with the same rows, ids and index (as in 0005; the store runs migrations
-- with foreign keys off and checks them after this one). Rows written before this
-- migration have NULL there: they are never undone (the window is long past).
CREATE TABLE decisions_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    comment_id      INTEGER NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
    moderator_id    INTEGER REFERENCES moderators(id),
    moderator       TEXT    NOT NULL,       -- the name at the time
    action          TEXT    NOT NULL CHECK (action = 'approve' OR action = 'reject'
                                            OR action = 'ban' OR action = 'undo'),
    from_status     TEXT    NOT NULL,
    to_status       TEXT    NOT NULL,
    label           TEXT    CHECK (label = 'spam' OR label = 'abuse' OR label = 'other'),
    note            TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,       -- unix milliseconds
    prev_label_spam  INTEGER CHECK (prev_label_spam IN (0, 1)),
    prev_label_abuse INTEGER CHECK (prev_label_abuse IN (0, 1)),
    prev_decided_at  INTEGER
);
INSERT INTO decisions_new (id, comment_id, moderator_id, moderator, action, from_status,
    to_status, label, note, created_at)
SELECT id, comment_id, moderator_id, moderator, action, from_status, to_status, label, note,
    created_at
FROM decisions ORDER BY id;
DROP TABLE decisions;
ALTER TABLE decisions_new RENAME TO decisions;
CREATE INDEX decisions_by_comment ON decisions (comment_id, id);

-- Site rules changed at run time (block lists, pre-moderated and closed articles,
-- thresholds, trusted authors): one row per rule a moderator changed; a rule without a row
-- takes its value from the configuration file. `value` is the rule's JSON value.
CREATE TABLE site_rules (
    site_id    TEXT    NOT NULL,
    rule       TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    changed_by TEXT    NOT NULL,
    changed_at INTEGER NOT NULL,            -- unix milliseconds
    PRIMARY KEY (site_id, rule)
) WITHOUT ROWID;

-- The audit log of rule changes, written in the same transaction as the change. `old_value`
-- and `new_value` are the values in force before and after (JSON); `action` is `set`, or
-- `reset` when the rule went back to the configuration file's value. Its id orders the
-- changes: the rules in force carry the id of the latest one.
CREATE TABLE site_rule_changes (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id      TEXT    NOT NULL,
    rule         TEXT    NOT NULL,
    action       TEXT    NOT NULL CHECK (action = 'set' OR action = 'reset'),
    old_value    TEXT    NOT NULL,
    new_value    TEXT    NOT NULL,
    moderator_id INTEGER REFERENCES moderators(id),
    moderator    TEXT    NOT NULL,
    note         TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL           -- unix milliseconds
);
CREATE INDEX site_rule_changes_by_site ON site_rule_changes (site_id, id);
