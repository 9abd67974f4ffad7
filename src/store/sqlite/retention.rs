//! Data care: retention (`purge`), erasure of one commenter (`forget`), online backups.
//!
//! # Retention
//! Per site with `retention_days`, for comments created before the cut-off: rejected ones
//! are deleted (with their reasons, audit entries, reports and webhook events, by the
//! schema's cascades; replies keep their text and lose the link), and the others lose
//! their client IP (stored as `''`), e-mail address and user agent; reader reports on them
//! are deleted (they are keyed by the reporter's IP). Name, text and status stay: they
//! are what the site published. Bans stay: they are moderators' decisions. Globally,
//! audit entries older than `retention.audit_days`, webhook events given up on older than
//! `retention.failed_webhook_days` and delivered ones older than
//! `webhooks.keep_delivered_hours` are deleted.
//!
//! Each step deletes or updates at most [`CHUNK`] rows per write job, so a first purge
//! of a large database never holds the writer (and the submissions queued behind it) for
//! long.
//!
//! # Erasure
//! [`erase_author`] deletes every comment written with one e-mail address, on every site,
//! with everything that hangs off them, and the bans naming the address, in one
//! transaction with `secure_delete` on (the freed pages are zeroed). What it did is
//! returned, for the person who asked. Copies outside the live database — backups, and
//! the WAL until its next checkpoint — are the operator's to handle (see deploy/README.md).
//!
//! # Backups
//! [`backup`] is `VACUUM INTO` on a read-only connection: one read transaction, so the
//! copy is one consistent snapshot, taken while the service keeps writing (WAL readers
//! never block the writer).
use std::path::Path;

use rusqlite::{params, Connection, OpenFlags};
use serde::Serialize;

use crate::store::{ErasureReport, StoreError};

pub(crate) use crate::store::upkeep::{PurgeStep, PURGE_CHUNK as CHUNK};

/// Runs one chunk of `step` for `site` (ignored by the global steps); returns the rows it
/// deleted or changed.
pub(crate) fn purge_chunk(
    conn: &Connection,
    site: &str,
    step: PurgeStep,
) -> Result<usize, StoreError> {
    let chunk = CHUNK as i64;
    Ok(match step {
        PurgeStep::DeleteRejected { cutoff } => {
            // Replies to a comment about to go keep their text and lose the link.
            conn.prepare_cached(
                "UPDATE comments SET parent_id = NULL WHERE parent_id IN (
                     SELECT id FROM comments WHERE site_id = ?1 AND status = 'rejected'
                         AND created_at < ?2 ORDER BY id LIMIT ?3)",
            )?
            .execute(params![site, cutoff, chunk])?;
            conn.prepare_cached(
                "DELETE FROM comments WHERE id IN (
                     SELECT id FROM comments WHERE site_id = ?1 AND status = 'rejected'
                         AND created_at < ?2 ORDER BY id LIMIT ?3)",
            )?
            .execute(params![site, cutoff, chunk])?
        }
        PurgeStep::Strip { cutoff } => conn
            .prepare_cached(
                "UPDATE comments SET client_ip = '', author_email = NULL, user_agent = NULL
                 WHERE id IN (
                     SELECT id FROM comments WHERE site_id = ?1 AND created_at < ?2
                         AND (client_ip <> '' OR author_email IS NOT NULL
                              OR user_agent IS NOT NULL)
                     ORDER BY id LIMIT ?3)",
            )?
            .execute(params![site, cutoff, chunk])?,
        // WITHOUT ROWID: deleted by their key.
        PurgeStep::DeleteReports { cutoff } => conn
            .prepare_cached(
                "DELETE FROM comment_reports WHERE (comment_id, client_ip) IN (
                     SELECT r.comment_id, r.client_ip FROM comment_reports r
                     JOIN comments c ON c.id = r.comment_id
                     WHERE c.site_id = ?1 AND c.created_at < ?2 LIMIT ?3)",
            )?
            .execute(params![site, cutoff, chunk])?,
        PurgeStep::DeleteAudit { cutoff } => conn
            .prepare_cached(
                "DELETE FROM decisions WHERE id IN (
                     SELECT id FROM decisions WHERE created_at < ?1 ORDER BY id LIMIT ?2)",
            )?
            .execute(params![cutoff, chunk])?,
        PurgeStep::DeleteFailedWebhooks { cutoff } => conn
            .prepare_cached(
                "DELETE FROM webhook_outbox WHERE id IN (
                     SELECT id FROM webhook_outbox WHERE failed_at IS NOT NULL
                         AND failed_at < ?1 ORDER BY id LIMIT ?2)",
            )?
            .execute(params![cutoff, chunk])?,
        PurgeStep::DeleteDeliveredWebhooks { cutoff } => conn
            .prepare_cached(
                "DELETE FROM webhook_outbox WHERE id IN (
                     SELECT id FROM webhook_outbox WHERE delivered_at < ?1 ORDER BY id LIMIT ?2)",
            )?
            .execute(params![cutoff, chunk])?,
    })
}

/// Deletes everything stored under the (lower-cased) e-mail address `email`, on every
/// site, in one transaction (see the module doc).
pub(crate) fn erase_author(conn: &Connection, email: &str) -> Result<ErasureReport, StoreError> {
    conn.execute_batch("PRAGMA secure_delete = ON")?;
    let result = erase(conn, email);
    conn.execute_batch("PRAGMA secure_delete = OFF")?;
    result
}

fn erase(conn: &Connection, email: &str) -> Result<ErasureReport, StoreError> {
    let sites: Vec<String> = conn
        .prepare_cached(
            "SELECT DISTINCT site_id FROM comments WHERE author_email = ?1 ORDER BY site_id",
        )?
        .query_map([email], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let replies_detached = conn
        .prepare_cached(
            "UPDATE comments SET parent_id = NULL
             WHERE parent_id IN (SELECT id FROM comments WHERE author_email = ?1)
               AND (author_email IS NULL OR author_email <> ?1)",
        )?
        .execute([email])?;
    // Their own replies to each other go with them.
    conn.prepare_cached(
        "UPDATE comments SET parent_id = NULL
         WHERE author_email = ?1 AND parent_id IS NOT NULL",
    )?
    .execute([email])?;
    let comments_deleted = conn
        .prepare_cached("DELETE FROM comments WHERE author_email = ?1")?
        .execute([email])?;
    let bans_deleted = conn
        .prepare_cached("DELETE FROM bans WHERE author_email = ?1")?
        .execute([email])?;
    Ok(ErasureReport {
        comments_deleted,
        sites,
        replies_detached,
        bans_deleted,
    })
}

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupReport {
    pub comments: i64,
    pub decisions: i64,
    pub moderators: i64,
    pub bytes: u64,
}

/// Writes a consistent copy of the database at `source` to `target` (which must not
/// exist, or be empty) with `VACUUM INTO`, then checks the copy: `integrity_check`, and
/// that it is a commentguard database of the same schema.
pub fn backup(source: &Path, target: &Path) -> Result<BackupReport, StoreError> {
    let conn = Connection::open_with_flags(
        source,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    if !super::schema::is_current(&conn)? {
        return Err(StoreError::Outdated);
    }
    if app != super::schema::APPLICATION_ID && app != 0 {
        return Err(StoreError::Foreign(
            source.to_owned(),
            format!("its application_id is {app:#x}"),
        ));
    }
    let target_text = target
        .to_str()
        .ok_or_else(|| StoreError::Corrupt(format!("{} is not a UTF-8 path", target.display())))?;
    conn.execute("VACUUM INTO ?1", [target_text])?;
    drop(conn);

    let copy = Connection::open_with_flags(target, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    let check: String = copy.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(StoreError::Corrupt(format!(
            "the backup fails integrity_check: {check}"
        )));
    }
    let count = |table: &str| -> Result<i64, StoreError> {
        Ok(copy.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?)
    };
    let report = BackupReport {
        comments: count("comments")?,
        decisions: count("decisions")?,
        moderators: count("moderators")?,
        bytes: std::fs::metadata(target).map(|m| m.len()).unwrap_or(0),
    };
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::super::schema::migrated_in_memory;
    use super::*;

    fn db() -> Connection {
        let conn = migrated_in_memory();
        conn.execute_batch(
            "INSERT INTO comments (id, site_id, article_id, author_name, author_email, body,
                 body_hash, status, client_ip, user_agent, created_at, updated_at)
             VALUES
                 (1, 'news', 'a', 'Ann', 'ann@example.com', 'old published', x'01', 'published',
                  '192.0.2.1', 'UA/1', 100, 100),
                 (2, 'news', 'a', 'Bob', 'bob@example.com', 'old rejected', x'02', 'rejected',
                  '192.0.2.2', 'UA/2', 100, 100),
                 (3, 'news', 'a', 'Cy', 'cy@example.com', 'new rejected', x'03', 'rejected',
                  '192.0.2.3', NULL, 5000, 5000),
                 (4, 'sport', 'b', 'Ann', 'ann@example.com', 'old, other site', x'04',
                  'published', '192.0.2.1', NULL, 100, 100);
             INSERT INTO comments (id, site_id, article_id, parent_id, author_name, author_email,
                 body, body_hash, status, client_ip, created_at, updated_at)
             VALUES (5, 'news', 'a', 2, 'Di', 'di@example.com', 'reply to a rejected one', x'05',
                     'published', '192.0.2.4', 100, 100),
                    (6, 'news', 'a', 1, 'Ed', NULL, 'reply to Ann', x'06',
                     'published', '192.0.2.5', 5000, 5000);
             INSERT INTO comment_reports (comment_id, client_ip, reason, created_at)
             VALUES (1, '198.51.100.1', 'rude', 150);
             INSERT INTO moderators (id, name, token_sha256, created_at) VALUES (1, 'mo', x'00', 1);
             INSERT INTO decisions (comment_id, moderator_id, moderator, action, from_status,
                 to_status, label, created_at)
             VALUES (2, 1, 'mo', 'reject', 'pending', 'rejected', 'spam', 100),
                    (3, 1, 'mo', 'reject', 'pending', 'rejected', 'spam', 5000);
             INSERT INTO bans (site_id, author_email, note, created_at)
             VALUES ('news', 'ann@example.com', 'flood', 1);",
        )
        .unwrap();
        conn
    }

    fn run_all(conn: &Connection, site: &str, step: PurgeStep) -> usize {
        let mut total = 0;
        loop {
            let n = purge_chunk(conn, site, step).unwrap();
            total += n;
            if n == 0 {
                return total;
            }
        }
    }

    /// Old rejected comments go; old others lose IP, e-mail and user agent; newer ones
    /// and other sites are untouched; replies survive without their link.
    #[test]
    fn retention_deletes_old_rejected_and_strips_old_personal_data() {
        let conn = db();
        let cutoff = 1_000;
        assert_eq!(
            run_all(&conn, "news", PurgeStep::DeleteRejected { cutoff }),
            1
        );
        assert_eq!(run_all(&conn, "news", PurgeStep::Strip { cutoff }), 2);
        assert_eq!(
            run_all(&conn, "news", PurgeStep::DeleteReports { cutoff }),
            1
        );
        type Row = (String, Option<String>, Option<String>, Option<i64>);
        let row = |id: i64| -> Option<Row> {
            conn.query_row(
                "SELECT client_ip, author_email, user_agent, parent_id FROM comments WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .ok()
        };
        assert_eq!(row(1), Some((String::new(), None, None, None)));
        assert_eq!(row(2), None, "old rejected comment deleted");
        assert_eq!(
            row(3),
            Some((
                "192.0.2.3".into(),
                Some("cy@example.com".into()),
                None,
                None
            )),
            "too new"
        );
        assert_eq!(
            row(4),
            Some((
                "192.0.2.1".into(),
                Some("ann@example.com".into()),
                None,
                None
            )),
            "another site"
        );
        assert_eq!(
            row(5),
            Some((String::new(), None, None, None)),
            "reply kept, unlinked"
        );
        let audit: i64 = conn
            .query_row("SELECT COUNT(*) FROM decisions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(audit, 1, "the deleted comment's audit entry went with it");
        assert_eq!(
            run_all(&conn, "", PurgeStep::DeleteAudit { cutoff: 6_000 }),
            1
        );
        let fk: Option<i64> = conn
            .query_row("PRAGMA foreign_key_check", [], |r| r.get(1))
            .ok();
        assert_eq!(fk, None);
    }

    /// Webhook events given up on before the cut-off go, and delivered ones before theirs;
    /// newer ones, and events still being retried, stay.
    #[test]
    fn retention_deletes_old_failed_and_delivered_webhook_events() {
        let conn = db();
        conn.execute_batch(
            "INSERT INTO webhook_outbox (id, event_id, site_id, event, comment_id, payload,
                 created_at, next_attempt_at, delivered_at, failed_at)
             VALUES (1, 'evt_1', 'news', 'comment.held', 1, '{}', 100, 100, NULL, 200),
                    (2, 'evt_2', 'news', 'comment.held', 1, '{}', 100, 100, NULL, 5000),
                    (3, 'evt_3', 'news', 'comment.held', 1, '{}', 100, 100, 300, NULL),
                    (4, 'evt_4', 'news', 'comment.held', 1, '{}', 100, 100, 5000, NULL),
                    (5, 'evt_5', 'news', 'comment.held', 1, '{}', 100, 100, NULL, NULL);",
        )
        .unwrap();
        let cutoff = 1_000;
        assert_eq!(
            run_all(&conn, "", PurgeStep::DeleteFailedWebhooks { cutoff }),
            1
        );
        assert_eq!(
            run_all(&conn, "", PurgeStep::DeleteDeliveredWebhooks { cutoff }),
            1
        );
        let left: Vec<i64> = conn
            .prepare("SELECT id FROM webhook_outbox ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            left,
            [2, 4, 5],
            "newer failed and delivered, and pending, stay"
        );
    }

    /// Erasure deletes the author's comments on every site and their ban, detaches other
    /// people's replies, and says so.
    #[test]
    fn erasure_deletes_everything_under_one_address() {
        let conn = db();
        let report = erase_author(&conn, "ann@example.com").unwrap();
        assert_eq!(
            report,
            ErasureReport {
                comments_deleted: 2,
                sites: vec!["news".into(), "sport".into()],
                replies_detached: 1,
                bans_deleted: 1,
            }
        );
        let left: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM comments WHERE author_email = 'ann@example.com'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(left, 0);
        let reply: Option<i64> = conn
            .query_row("SELECT parent_id FROM comments WHERE id = 6", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(reply, None);
        let again = erase_author(&conn, "ann@example.com").unwrap();
        assert_eq!(again.comments_deleted, 0);
    }
}
