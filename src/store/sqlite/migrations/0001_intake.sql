-- 0001: comment intake (issue 3). Append new migrations as new files; never edit this one.

-- Every comment ever submitted, whatever its status. `version` increases on every change
-- of status so moderators' decisions can be checked against what they saw.
CREATE TABLE comments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id      TEXT    NOT NULL,
    article_id   TEXT    NOT NULL,
    article_url  TEXT,
    parent_id    INTEGER REFERENCES comments(id),
    author_name  TEXT    NOT NULL,
    author_email TEXT,                      -- lower-cased; identity for trust, bans, limits
    author_url   TEXT,
    body         TEXT    NOT NULL,          -- trimmed, NFC
    body_hash    BLOB    NOT NULL,          -- SHA-256 of body: duplicate detection
    status       TEXT    NOT NULL CHECK (status IN ('published', 'pending', 'rejected', 'reported')),
    spam_score   REAL,
    abuse_score  REAL,
    spam_tokens  TEXT,                      -- JSON array: words that drove the spam score
    abuse_tokens TEXT,                      -- JSON array: words that drove the abuse score
    client_ip    TEXT    NOT NULL,
    user_agent   TEXT,
    created_at   INTEGER NOT NULL,          -- unix milliseconds
    updated_at   INTEGER NOT NULL,          -- unix milliseconds, last change of status
    version      INTEGER NOT NULL DEFAULT 1
);

-- Article listing: published comments of one article, oldest first (keyset on id).
CREATE INDEX comments_by_article ON comments (site_id, article_id, status, id);
-- Review queue by site and status.
CREATE INDEX comments_by_status ON comments (site_id, status, id);
-- Duplicate detection: same body on the same site recently.
CREATE INDEX comments_by_body ON comments (site_id, body_hash, created_at);
-- Author history (trust) and bans that reject an author's existing comments.
CREATE INDEX comments_by_email ON comments (site_id, author_email, status) WHERE author_email IS NOT NULL;
CREATE INDEX comments_by_ip ON comments (site_id, client_ip, status);

-- Why each comment got its status, in the order the pipeline found them.
CREATE TABLE comment_reasons (
    comment_id INTEGER NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    code       TEXT    NOT NULL,            -- domain::ReasonCode, snake_case
    outcome    TEXT    NOT NULL CHECK (outcome IN ('hold', 'reject', 'note')),
    detail     TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (comment_id, seq)
) WITHOUT ROWID;
CREATE INDEX comment_reasons_by_code ON comment_reasons (code, comment_id);

-- Banned authors (by e-mail or by IP). The intake pipeline reads this table; the ban API
-- (issue 4) writes it. A ban is active while lifted_at IS NULL and until is NULL or later.
CREATE TABLE bans (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id      TEXT    NOT NULL,
    author_email TEXT,
    client_ip    TEXT,
    until        INTEGER,                   -- unix milliseconds; NULL = forever
    note         TEXT    NOT NULL DEFAULT '',
    created_by   TEXT,                      -- moderator name
    created_at   INTEGER NOT NULL,
    lifted_at    INTEGER,
    lifted_by    TEXT,
    CHECK ((author_email IS NULL) <> (client_ip IS NULL))
);
CREATE INDEX bans_by_email ON bans (site_id, author_email) WHERE author_email IS NOT NULL;
CREATE INDEX bans_by_ip ON bans (site_id, client_ip) WHERE client_ip IS NOT NULL;

-- Secrets the instance makes for itself, e.g. the form-token HMAC key.
CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;
INSERT INTO secrets (name, value) VALUES ('form_token', randomblob(32));
