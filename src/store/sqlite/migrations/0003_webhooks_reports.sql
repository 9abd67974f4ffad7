-- 0003: webhooks (a durable outbox) and reader reports (issue 4). Never edit once shipped.

-- Sites that have a webhook configured. Rewritten from the configuration at every start
-- (Store::set_webhook_sites): events of other sites are never enqueued, so a site without
-- a webhook pays one indexed lookup per status change and stores nothing.
CREATE TABLE webhook_sites (
    site_id TEXT PRIMARY KEY
) WITHOUT ROWID;

-- One row per event to deliver, written in the same transaction as the change it reports
-- (the transactional-outbox pattern): an event exists if and only if its change committed.
-- The payload is a snapshot of the comment at that moment, so every retry sends the same
-- bytes. Rows are kept after delivery (an audit of what was sent) until pruned.
CREATE TABLE webhook_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT    NOT NULL UNIQUE,    -- 'evt_' + 32 hex; the Webhook-Id header
    site_id         TEXT    NOT NULL,
    event           TEXT    NOT NULL CHECK (event IN ('comment.held', 'comment.published',
                                                      'comment.rejected', 'comment.reported')),
    comment_id      INTEGER NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
    payload         TEXT    NOT NULL,           -- the JSON body, exactly as it is POSTed
    created_at      INTEGER NOT NULL,           -- unix milliseconds
    attempts        INTEGER NOT NULL DEFAULT 0, -- delivery attempts started
    next_attempt_at INTEGER NOT NULL,           -- due from then on (unix milliseconds)
    leased_until    INTEGER,                    -- an attempt is in flight until then
    delivered_at    INTEGER,                    -- a 2xx answer came back
    failed_at       INTEGER,                    -- given up (too old, or the webhook is gone)
    last_status     INTEGER,                    -- HTTP status of the last attempt, if any
    last_error      TEXT                        -- why the last attempt failed
);
-- The delivery worker's question: what is due?
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX webhook_outbox_by_comment ON webhook_outbox (comment_id);
-- Pruning delivered events.
CREATE INDEX webhook_outbox_delivered ON webhook_outbox (delivered_at)
    WHERE delivered_at IS NOT NULL;

-- Reader reports: one per IP per comment (the primary key enforces it). Only reports made
-- since the comment was last published count towards sending it back to the queue
-- (created_at >= comments.updated_at), so a moderator's approval starts a fresh count.
CREATE TABLE comment_reports (
    comment_id INTEGER NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
    client_ip  TEXT    NOT NULL,
    reason     TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,                -- unix milliseconds
    PRIMARY KEY (comment_id, client_ip)
) WITHOUT ROWID;
