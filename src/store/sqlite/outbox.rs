//! The webhook outbox in SQLite: events written in the same transaction as the change
//! they report, delivered later by [`crate::webhooks`] (see [`crate::store::outbox`] for
//! the contract).
//!
//! # How SQLite keeps the contract
//! - [`enqueue_event`] runs inside the caller's job on the writer, hence in the batch's
//!   transaction.
//! - Only sites listed in `webhook_sites` (rewritten from the configuration at start, see
//!   [`set_webhook_sites`]) get rows. Other sites pay one primary-key lookup and store
//!   nothing.
//! - The payload is a [`WebhookPayload`] built here from the comment's row as the change
//!   left it, serialized once and stored as JSON text in `payload`; claims return that
//!   text unchanged.
//! - [`claim_due`] leases a row (`leased_until`, and `next_attempt_at` moved to the same
//!   instant); claims run on the single writer, so two claims can never take the same
//!   row.
use rusqlite::{params, Connection, OptionalExtension};

use crate::domain::{CommentId, ReasonCode, Status};
use crate::store::{
    AttemptOutcome, CommentSnapshot, DueEvent, StoreError, WebhookEvent, WebhookPayload,
};

/// Whether a site has a webhook (asked by [`enqueue_event`] first).
pub(super) const HAS_WEBHOOK_SQL: &str =
    "SELECT EXISTS (SELECT 1 FROM webhook_sites WHERE site_id = ?1)";

/// The comment as the payload shows it.
pub(super) const SNAPSHOT_SQL: &str = "SELECT article_id, article_url, parent_id, status, version,
        created_at, updated_at
 FROM comments WHERE id = ?1 AND site_id = ?2";

/// The comment's reason codes, in order.
pub(super) const REASON_CODES_SQL: &str =
    "SELECT code FROM comment_reasons WHERE comment_id = ?1 ORDER BY seq";

/// The row of one event.
pub(super) const ENQUEUE_SQL: &str = "INSERT INTO webhook_outbox
    (event_id, site_id, event, comment_id, payload, created_at, next_attempt_at)
 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)";

/// Records `event` about comment `comment_id` of `site` for delivery at `now`, inside the
/// caller's job (the writer's transaction).
///
/// Does nothing when `site` has no webhook configured, or when the comment does not
/// belong to `site`. Call it *after* the change, so the snapshot shows the new status and
/// version.
pub(crate) fn enqueue_event(
    conn: &Connection,
    site: &str,
    event: WebhookEvent,
    comment_id: i64,
    now: i64,
) -> Result<(), StoreError> {
    // Most sites have no webhook: one primary-key probe answers that, before the snapshot
    // is read and the payload built.
    let has_webhook: bool = conn
        .prepare_cached(HAS_WEBHOOK_SQL)?
        .query_row([site], |row| row.get(0))?;
    if !has_webhook {
        return Ok(());
    }
    let Some(comment) = snapshot(conn, site, comment_id)? else {
        return Ok(());
    };
    let payload = WebhookPayload::new(event, site.to_owned(), now, comment);
    conn.prepare_cached(ENQUEUE_SQL)?.execute(params![
        payload.id,
        site,
        event.as_str(),
        comment_id,
        payload.to_json(),
        now
    ])?;
    Ok(())
}

/// Comment `id` of `site` as it stands in this transaction.
fn snapshot(conn: &Connection, site: &str, id: i64) -> Result<Option<CommentSnapshot>, StoreError> {
    let row = conn
        .prepare_cached(SNAPSHOT_SQL)?
        .query_row(params![id, site], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, Option<CommentId>>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, i64>(4)?,
                row.get::<_, i64>(5)?,
                row.get::<_, i64>(6)?,
            ))
        })
        .optional()?;
    let Some((article_id, article_url, parent_id, status, version, created_at, updated_at)) = row
    else {
        return Ok(None);
    };
    let mut reasons = Vec::new();
    let mut stmt = conn.prepare_cached(REASON_CODES_SQL)?;
    for code in stmt.query_map([id], |row| row.get::<_, String>(0))? {
        let code: ReasonCode = serde_json::from_value(serde_json::Value::String(code?))
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        reasons.push(code);
    }
    let id = CommentId::new(id).ok_or_else(|| StoreError::Corrupt(format!("comment id {id}")))?;
    Ok(Some(CommentSnapshot {
        id,
        article_id,
        article_url,
        parent_id,
        status: status.parse::<Status>().map_err(StoreError::Corrupt)?,
        version,
        reasons,
        created_at,
        updated_at,
    }))
}

/// Replaces the list of sites whose events are enqueued. Undelivered events of sites no
/// longer listed are marked failed (`webhook removed`), not deleted.
pub(super) fn set_webhook_sites(
    conn: &Connection,
    sites: &[String],
    now: i64,
) -> Result<(), StoreError> {
    conn.execute("DELETE FROM webhook_sites", [])?;
    let mut insert =
        conn.prepare_cached("INSERT OR IGNORE INTO webhook_sites (site_id) VALUES (?1)")?;
    for site in sites {
        insert.execute([site])?;
    }
    conn.execute(
        "UPDATE webhook_outbox SET failed_at = ?1,
                last_error = 'webhook removed from the configuration'
         WHERE delivered_at IS NULL AND failed_at IS NULL
           AND site_id NOT IN (SELECT site_id FROM webhook_sites)",
        [now],
    )?;
    Ok(())
}

/// Whether any event is due at `now` (a cheap read before claiming on the writer).
pub(super) fn any_due(conn: &Connection, now: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM webhook_outbox
             WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?1)",
        )?
        .query_row([now], |row| row.get(0))?)
}

/// Claims up to `limit` due events, oldest due first: counts the attempt and moves each
/// one's `next_attempt_at` to `now + lease_ms`, so no other claim takes it while the
/// attempt is in flight (and a lost attempt is retried after the lease).
pub(super) fn claim_due(
    conn: &Connection,
    now: i64,
    limit: usize,
    lease_ms: i64,
) -> Result<Vec<DueEvent>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "UPDATE webhook_outbox
         SET attempts = attempts + 1, next_attempt_at = ?1 + ?3, leased_until = ?1 + ?3
         WHERE id IN (SELECT id FROM webhook_outbox
                      WHERE delivered_at IS NULL AND failed_at IS NULL
                        AND next_attempt_at <= ?1
                      ORDER BY next_attempt_at, id
                      LIMIT CAST(?2 AS INTEGER))
         RETURNING id, event_id, site_id, event, payload, attempts, created_at",
    )?;
    let rows = stmt.query_map(
        params![now, i64::try_from(limit).unwrap_or(i64::MAX), lease_ms],
        |row| {
            Ok((
                row.get::<_, String>(3)?,
                DueEvent {
                    row: row.get(0)?,
                    event_id: row.get(1)?,
                    site: row.get(2)?,
                    event: WebhookEvent::Held,
                    payload: row.get(4)?,
                    attempt: row.get(5)?,
                    created_at: row.get(6)?,
                },
            ))
        },
    )?;
    let mut claimed = Vec::new();
    for row in rows {
        let (name, mut event) = row?;
        event.event = WebhookEvent::parse(&name)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown webhook event `{name}`")))?;
        claimed.push(event);
    }
    // RETURNING gives no order guarantee; attempts start oldest first.
    claimed.sort_by_key(|e| e.row);
    Ok(claimed)
}

/// Records how the attempt on `row` ended.
pub(super) fn record_attempt(
    conn: &Connection,
    row: i64,
    outcome: &AttemptOutcome,
    now: i64,
) -> Result<(), StoreError> {
    match outcome {
        AttemptOutcome::Delivered { status } => {
            conn.prepare_cached(
                "UPDATE webhook_outbox
                 SET delivered_at = ?2, leased_until = NULL, last_status = ?3, last_error = NULL
                 WHERE id = ?1",
            )?
            .execute(params![row, now, status])?;
            // The receiver is up: its backlog need not wait out each event's backoff.
            conn.prepare_cached(
                "UPDATE webhook_outbox SET next_attempt_at = ?2
                 WHERE site_id = (SELECT site_id FROM webhook_outbox WHERE id = ?1)
                   AND delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at > ?2
                   AND (leased_until IS NULL OR leased_until <= ?2)",
            )?
            .execute(params![row, now])?
        }
        AttemptOutcome::Retry { at, status, error } => conn
            .prepare_cached(
                "UPDATE webhook_outbox
                 SET next_attempt_at = ?2, leased_until = NULL, last_status = ?3, last_error = ?4
                 WHERE id = ?1 AND delivered_at IS NULL AND failed_at IS NULL",
            )?
            .execute(params![row, at, status, error])?,
        AttemptOutcome::GiveUp { status, error } => conn
            .prepare_cached(
                "UPDATE webhook_outbox
                 SET failed_at = ?2, leased_until = NULL, last_status = ?3, last_error = ?4
                 WHERE id = ?1 AND delivered_at IS NULL",
            )?
            .execute(params![row, now, status, error])?,
    };
    Ok(())
}

/// Deletes events delivered before `before`; returns how many.
pub(super) fn prune_delivered(conn: &Connection, before: i64) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached("DELETE FROM webhook_outbox WHERE delivered_at < ?1")?
        .execute([before])?)
}

#[cfg(test)]
mod tests {
    use super::super::schema::migrated_in_memory;
    use super::*;

    /// A database with one comment (id 1) on site `news`, whose webhook is configured.
    fn db() -> Connection {
        let conn = migrated_in_memory();
        conn.execute_batch(
            "INSERT INTO comments (site_id, article_id, article_url, author_name, author_email,
                                   body, body_hash, status, client_ip, created_at, updated_at)
             VALUES ('news', 'a1', 'https://news.example/a1', 'Ann', 'ann@example.com',
                     'hello', x'00', 'pending', '192.0.2.1', 1000, 1000);
             INSERT INTO comment_reasons (comment_id, seq, code, outcome, detail)
             VALUES (1, 0, 'spam', 'hold', '0.9'), (1, 1, 'too_many_links', 'hold', '3');",
        )
        .unwrap();
        set_webhook_sites(&conn, &["news".to_owned()], 0).unwrap();
        conn
    }

    fn payloads(conn: &Connection) -> Vec<serde_json::Value> {
        let mut stmt = conn
            .prepare("SELECT payload FROM webhook_outbox ORDER BY id")
            .unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
        rows.map(|p| serde_json::from_str(&p.unwrap()).unwrap())
            .collect()
    }

    /// The payload is a snapshot of the comment with no e-mail, IP or text in it.
    #[test]
    fn enqueue_snapshots_the_comment() {
        let conn = db();
        enqueue_event(&conn, "news", WebhookEvent::Held, 1, 1_000).unwrap();
        let p = &payloads(&conn)[0];
        assert!(p["id"].as_str().unwrap().starts_with("evt_"));
        assert_eq!(
            p["id"].as_str().unwrap().len(),
            4 + 32,
            "evt_ + 32 hex digits"
        );
        assert_eq!(p["event"], "comment.held");
        assert_eq!(p["site"], "news");
        assert_eq!(p["occurred_at"], 1_000);
        let c = &p["comment"];
        assert_eq!(c["id"], 1);
        assert_eq!(c["article_id"], "a1");
        assert_eq!(c["article_url"], "https://news.example/a1");
        assert_eq!(c["status"], "pending");
        assert_eq!(c["version"], 1);
        assert_eq!(c["reasons"], serde_json::json!(["spam", "too_many_links"]));
        assert_eq!(c["created_at"], 1000);
        let text = p.to_string();
        for private in ["ann@example.com", "192.0.2.1", "hello", "Ann"] {
            assert!(!text.contains(private), "{private} leaked: {text}");
        }
    }

    /// Sites without a webhook, unknown comments and a comment of another site enqueue
    /// nothing. (An unknown event cannot be enqueued: events are a [`WebhookEvent`]; one
    /// found in the table is refused at claim time, see `unknown_stored_event_is_corrupt`.)
    #[test]
    fn enqueue_only_for_configured_sites() {
        let conn = db();
        enqueue_event(&conn, "other", WebhookEvent::Held, 1, 1_000).unwrap();
        enqueue_event(&conn, "news", WebhookEvent::Held, 99, 1_000).unwrap();
        set_webhook_sites(&conn, &[], 0).unwrap();
        enqueue_event(&conn, "news", WebhookEvent::Held, 1, 1_000).unwrap();
        assert!(payloads(&conn).is_empty());
    }

    /// An event name this build does not know, found in the table (the schema's CHECK
    /// forbids it; a newer build's row, or a damaged file), is reported as corrupt data
    /// rather than sent under a made-up name.
    #[test]
    fn unknown_stored_event_is_corrupt() {
        let conn = db();
        conn.execute_batch(
            "PRAGMA ignore_check_constraints = ON;
             INSERT INTO webhook_outbox (event_id, site_id, event, comment_id, payload, created_at, next_attempt_at)
             VALUES ('evt_1', 'news', 'comment.deleted', 1, '{}', 0, 0)",
        )
        .unwrap();
        assert!(matches!(
            claim_due(&conn, 10, 10, 1_000),
            Err(StoreError::Corrupt(_))
        ));
    }

    /// A claimed event is not claimed again until its lease passes; delivered and
    /// given-up events never again.
    #[test]
    fn claims_are_exclusive_and_leased() {
        let conn = db();
        for _ in 0..3 {
            enqueue_event(&conn, "news", WebhookEvent::Held, 1, 1_000).unwrap();
        }
        let now = crate::clock::Clock::system().now_millis();
        let first = claim_due(&conn, now, 2, 1_000).unwrap();
        assert_eq!(first.len(), 2);
        assert!(first.iter().all(|e| e.attempt == 1));
        let second = claim_due(&conn, now, 10, 1_000).unwrap();
        assert_eq!(second.len(), 1, "only the unclaimed one");
        assert!(claim_due(&conn, now + 999, 10, 1_000).unwrap().is_empty());

        record_attempt(
            &conn,
            first[0].row,
            &AttemptOutcome::Delivered { status: 200 },
            now,
        )
        .unwrap();
        let retry = AttemptOutcome::Retry {
            at: now + 50,
            status: Some(500),
            error: "HTTP 500".into(),
        };
        record_attempt(&conn, first[1].row, &retry, now).unwrap();
        let give_up = AttemptOutcome::GiveUp {
            status: None,
            error: "too old".into(),
        };
        record_attempt(&conn, second[0].row, &give_up, now).unwrap();

        assert!(any_due(&conn, now + 50).unwrap());
        let again = claim_due(&conn, now + 5_000, 10, 1_000).unwrap();
        assert_eq!(again.len(), 1, "only the retried one: {again:?}");
        assert_eq!((again[0].row, again[0].attempt), (first[1].row, 2));
        assert_eq!(
            again[0].event_id, first[1].event_id,
            "same id on every attempt"
        );
        assert_eq!(
            again[0].payload, first[1].payload,
            "same bytes on every attempt"
        );
    }

    /// A delivery makes the site's waiting events due at once, but never one whose
    /// attempt is in flight.
    #[test]
    fn a_delivery_brings_the_backlog_forward() {
        let conn = db();
        for _ in 0..3 {
            enqueue_event(&conn, "news", WebhookEvent::Held, 1, 1_000).unwrap();
        }
        let now = crate::clock::Clock::system().now_millis();
        let claimed = claim_due(&conn, now, 3, 10_000).unwrap();
        let later = AttemptOutcome::Retry {
            at: now + 3_600_000,
            status: None,
            error: "refused".into(),
        };
        record_attempt(&conn, claimed[0].row, &later, now).unwrap();
        // claimed[1] is still in flight; claimed[2] succeeds.
        record_attempt(
            &conn,
            claimed[2].row,
            &AttemptOutcome::Delivered { status: 200 },
            now,
        )
        .unwrap();

        let due = claim_due(&conn, now, 10, 10_000).unwrap();
        assert_eq!(
            due.iter().map(|e| e.row).collect::<Vec<_>>(),
            vec![claimed[0].row],
            "the one waiting an hour, not the one in flight"
        );
    }

    /// Removing a site's webhook fails its undelivered events; pruning drops old
    /// delivered ones only.
    #[test]
    fn removal_and_pruning() {
        let conn = db();
        enqueue_event(&conn, "news", WebhookEvent::Held, 1, 1_000).unwrap();
        enqueue_event(&conn, "news", WebhookEvent::Published, 1, 1_000).unwrap();
        let now = crate::clock::Clock::system().now_millis();
        let claimed = claim_due(&conn, now, 1, 0).unwrap();
        record_attempt(
            &conn,
            claimed[0].row,
            &AttemptOutcome::Delivered { status: 204 },
            now,
        )
        .unwrap();
        set_webhook_sites(&conn, &[], now).unwrap();
        assert!(!any_due(&conn, i64::MAX).unwrap());
        assert_eq!(
            prune_delivered(&conn, now).unwrap(),
            0,
            "delivered at `now`"
        );
        assert_eq!(prune_delivered(&conn, now + 1).unwrap(), 1);
        let failed: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM webhook_outbox WHERE failed_at IS NOT NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(failed, 1, "kept, marked failed");
    }
}
