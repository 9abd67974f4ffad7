//! Reader reports: recording one, and sending a published comment back to the review
//! queue when enough readers have reported it.
//!
//! # Rules
//! - Only a published comment can be reported; anything else is "not found" to the
//!   reader, so held and rejected comments cannot be probed.
//! - One report per client IP per comment, ever (the table's primary key).
//! - Reports made since the comment was last published count (`created_at >=
//!   comments.updated_at`, which every change of status bumps): a moderator who approves
//!   a reported comment starts a fresh count instead of being overruled by the old
//!   reports.
//! - Reaching the site's threshold does, in the same transaction as the report: status
//!   `reported` (off the article listing, back in the queue), version + 1, a `reported`
//!   reason row, and a `comment.reported` webhook event.
use rusqlite::{params, Connection, OptionalExtension};

use super::outbox::enqueue_event;
use crate::domain::{Outcome, ReasonCode, Status};
use crate::store::{NewReport, ReportOutcome, StoreError, WebhookEvent};

/// Records `report` (see the module rules). Runs inside the writer's transaction.
pub(super) fn report(
    conn: &Connection,
    report: &NewReport,
    now: i64,
) -> Result<ReportOutcome, StoreError> {
    let id = report.comment.get();
    let site = report.site.as_str();
    let status: Option<String> = conn
        .prepare_cached("SELECT status FROM comments WHERE id = ?1 AND site_id = ?2")?
        .query_row(params![id, site], |row| row.get(0))
        .optional()?;
    if status.as_deref() != Some(Status::Published.as_str()) {
        return Ok(ReportOutcome::NotFound);
    }
    let inserted = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO comment_reports (comment_id, client_ip, reason, created_at)
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![id, report.client_ip, report.reason, now])?;
    if inserted == 0 {
        return Ok(ReportOutcome::AlreadyReported);
    }
    let reports = current_reports(conn, id)?;
    if reports < report.threshold {
        return Ok(ReportOutcome::Recorded {
            reports,
            taken_down: false,
        });
    }
    conn.prepare_cached(
        "UPDATE comments SET status = ?2, version = version + 1, updated_at = ?3
         WHERE id = ?1",
    )?
    .execute(params![id, Status::Reported.as_str(), now])?;
    conn.prepare_cached(
        "INSERT INTO comment_reasons (comment_id, seq, code, outcome, detail)
         SELECT ?1, COALESCE(MAX(seq) + 1, 0), ?2, ?3, ?4 FROM comment_reasons
         WHERE comment_id = ?1",
    )?
    .execute(params![
        id,
        ReasonCode::Reported.as_str(),
        Outcome::Hold.as_str(),
        format!("{reports} reader reports")
    ])?;
    let event = WebhookEvent::for_status(Status::Reported);
    enqueue_event(conn, site, event, id, now)?;
    Ok(ReportOutcome::Recorded {
        reports,
        taken_down: true,
    })
}

/// Reports counting towards the threshold of comment `id` (made since it was last
/// published).
fn current_reports(conn: &Connection, id: i64) -> rusqlite::Result<u32> {
    conn.prepare_cached(
        "SELECT COUNT(*) FROM comment_reports r JOIN comments c ON c.id = r.comment_id
         WHERE r.comment_id = ?1 AND r.created_at >= c.updated_at",
    )?
    .query_row([id], |row| row.get(0))
}

#[cfg(test)]
mod tests {
    use super::super::schema::migrated_in_memory;
    use super::*;
    use crate::domain::{CommentId, SiteId};

    /// A database with published comment 1 and pending comment 2 of site `news`, whose
    /// webhook is configured.
    fn db() -> Connection {
        let conn = migrated_in_memory();
        conn.execute_batch(
            "INSERT INTO comments (site_id, article_id, author_name, body, body_hash, status,
                                   client_ip, created_at, updated_at)
             VALUES ('news', 'a1', 'Ann', 'one', x'01', 'published', '192.0.2.1', 1000, 1000),
                    ('news', 'a1', 'Bob', 'two', x'02', 'pending', '192.0.2.2', 1000, 1000);
             INSERT INTO webhook_sites (site_id) VALUES ('news');",
        )
        .unwrap();
        conn
    }

    fn new_report(comment: i64, ip: &str) -> NewReport {
        NewReport {
            comment: CommentId::new(comment).unwrap(),
            site: SiteId::parse("news").unwrap(),
            client_ip: ip.to_owned(),
            reason: "rude".to_owned(),
            threshold: 2,
        }
    }

    fn row(conn: &Connection) -> (String, i64, i64) {
        conn.query_row(
            "SELECT status, version, (SELECT COUNT(*) FROM webhook_outbox
                                      WHERE event = 'comment.reported')
             FROM comments WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    }

    /// Two reports from two IPs take the comment down with a reason, a new version and
    /// one event; the same IP twice counts once; unpublished comments are not found.
    #[test]
    fn threshold_takes_the_comment_down() {
        let conn = db();
        let first = report(&conn, &new_report(1, "10.0.0.1"), 2000).unwrap();
        assert_eq!(
            first,
            ReportOutcome::Recorded {
                reports: 1,
                taken_down: false
            }
        );
        assert_eq!(
            report(&conn, &new_report(1, "10.0.0.1"), 2001).unwrap(),
            ReportOutcome::AlreadyReported
        );
        assert_eq!(row(&conn), ("published".into(), 1, 0));
        let second = report(&conn, &new_report(1, "10.0.0.2"), 2002).unwrap();
        assert_eq!(
            second,
            ReportOutcome::Recorded {
                reports: 2,
                taken_down: true
            }
        );
        assert_eq!(row(&conn), ("reported".into(), 2, 1));
        let reason: (String, String) = conn
            .query_row(
                "SELECT code, detail FROM comment_reasons WHERE comment_id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(reason, ("reported".into(), "2 reader reports".into()));
        assert_eq!(
            report(&conn, &new_report(1, "10.0.0.3"), 2003).unwrap(),
            ReportOutcome::NotFound,
            "a reported comment is off the article: nothing left to report"
        );
        assert_eq!(
            report(&conn, &new_report(2, "10.0.0.1"), 2003).unwrap(),
            ReportOutcome::NotFound,
            "held"
        );
        assert_eq!(
            report(&conn, &new_report(9, "10.0.0.1"), 2003).unwrap(),
            ReportOutcome::NotFound,
            "unknown"
        );
    }

    /// After a moderator publishes the comment again, only new reports count.
    #[test]
    fn republishing_starts_a_fresh_count() {
        let conn = db();
        report(&conn, &new_report(1, "10.0.0.1"), 2000).unwrap();
        report(&conn, &new_report(1, "10.0.0.2"), 2001).unwrap();
        // A moderator approves it again (what the review queue does).
        conn.execute(
            "UPDATE comments SET status = 'published', version = version + 1, updated_at = 3000
             WHERE id = 1",
            [],
        )
        .unwrap();
        assert_eq!(current_reports(&conn, 1).unwrap(), 0);
        let next = report(&conn, &new_report(1, "10.0.0.3"), 3001).unwrap();
        assert_eq!(
            next,
            ReportOutcome::Recorded {
                reports: 1,
                taken_down: false
            }
        );
    }
}
