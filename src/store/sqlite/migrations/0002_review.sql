-- 0002: the review queue (issue 4): moderators, their sites, the decision audit log, and
-- the training labels moderators' decisions give comments. Never edit once shipped.

-- People who review comments. Only the SHA-256 of a token is stored: tokens are 256 random
-- bits, so a fast hash is enough (nothing to brute-force) and lookups stay one index probe.
-- A revoked moderator keeps its row (the audit log names it); its name can be reused.
CREATE TABLE moderators (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL,
    token_sha256 BLOB    NOT NULL UNIQUE,
    is_admin     INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)), -- every site + admin API
    created_at   INTEGER NOT NULL,          -- unix milliseconds
    revoked_at   INTEGER                    -- unix milliseconds; NULL = active
);
CREATE UNIQUE INDEX moderators_active_name ON moderators (name) WHERE revoked_at IS NULL;

-- The sites a (non-admin) moderator may see and decide.
CREATE TABLE moderator_sites (
    moderator_id INTEGER NOT NULL REFERENCES moderators(id) ON DELETE CASCADE,
    site_id      TEXT    NOT NULL,
    PRIMARY KEY (moderator_id, site_id)
) WITHOUT ROWID;

-- The audit log: one row per moderator action on a comment, written in the same
-- transaction as the change it records. `action` says what the moderator did (`approve`,
-- `reject`, or `ban` for a comment rejected by banning its author); `from_status` and
-- `to_status` may be equal when only the label changed.
CREATE TABLE decisions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    comment_id   INTEGER NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
    moderator_id INTEGER REFERENCES moderators(id),
    moderator    TEXT    NOT NULL,          -- the name at the time
    action       TEXT    NOT NULL CHECK (action IN ('approve', 'reject', 'ban')),
    from_status  TEXT    NOT NULL,
    to_status    TEXT    NOT NULL,
    label        TEXT    CHECK (label IN ('spam', 'abuse', 'other')),
    note         TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL           -- unix milliseconds
);
CREATE INDEX decisions_by_comment ON decisions (comment_id, id);

-- What the latest moderator decision teaches the models (NULL = no label for that task),
-- and when it was made (NULL = no moderator has decided this comment). Exported by
-- `commentguard export-decisions` and read by `train --with-decisions`.
ALTER TABLE comments ADD COLUMN label_spam  INTEGER CHECK (label_spam IN (0, 1));
ALTER TABLE comments ADD COLUMN label_abuse INTEGER CHECK (label_abuse IN (0, 1));
ALTER TABLE comments ADD COLUMN decided_at  INTEGER;
CREATE INDEX comments_decided ON comments (site_id, id) WHERE decided_at IS NOT NULL;
