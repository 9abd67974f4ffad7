//! Reader reports on PostgreSQL (rules: the SQLite `store::reports`). The reported
//! comment is locked (`FOR UPDATE`) first: reports of one comment arriving at several
//! instances at once are counted one after the other, so the one that reaches the
//! threshold sees every report before it and the comment is taken down exactly once.
use deadpool_postgres::Transaction;

use super::outbox::enqueue_event;
use super::{in_transaction, PgError, PgStore};
use crate::domain::{Outcome, ReasonCode, Status};
use crate::store::outbox::WebhookEvent;
use crate::store::{NewReport, ReportOutcome, StoreError};

async fn report(
    tx: &Transaction<'_>,
    report: &NewReport,
    now: i64,
) -> Result<ReportOutcome, PgError> {
    let id = report.comment.get();
    let site = report.site.as_str();
    // By primary key alone, the site compared here: see `AUTHOR_CONTEXT` in `comments.rs`
    // for the plan a `site_id` condition beside the id can get.
    let stmt = tx
        .prepare_cached("SELECT status, site_id FROM comments WHERE id = $1 FOR UPDATE")
        .await?;
    let status: Option<String> = tx
        .query_opt(&stmt, &[&id])
        .await?
        .filter(|row| row.get::<_, &str>(1) == site)
        .map(|row| row.get(0));
    if status.as_deref() != Some(Status::Published.as_str()) {
        return Ok(ReportOutcome::NotFound);
    }
    let stmt = tx
        .prepare_cached(
            "INSERT INTO comment_reports (comment_id, client_ip, reason, created_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .await?;
    let inserted = tx
        .execute(&stmt, &[&id, &report.client_ip, &report.reason, &now])
        .await?;
    if inserted == 0 {
        return Ok(ReportOutcome::AlreadyReported);
    }
    let stmt = tx
        .prepare_cached(
            "SELECT COUNT(*) FROM comment_reports r JOIN comments c ON c.id = r.comment_id
             WHERE r.comment_id = $1 AND r.created_at >= c.updated_at",
        )
        .await?;
    let count: i64 = tx.query_one(&stmt, &[&id]).await?.get(0);
    let reports = u32::try_from(count).unwrap_or(u32::MAX);
    if reports < report.threshold {
        return Ok(ReportOutcome::Recorded {
            reports,
            taken_down: false,
        });
    }
    tx.execute(
        "UPDATE comments SET status = $2, version = version + 1, updated_at = $3 WHERE id = $1",
        &[&id, &Status::Reported.as_str(), &now],
    )
    .await?;
    tx.execute(
        "INSERT INTO comment_reasons (comment_id, seq, code, outcome, detail)
         SELECT $1, COALESCE(MAX(seq) + 1, 0), $2, $3, $4 FROM comment_reasons
         WHERE comment_id = $1",
        &[
            &id,
            &ReasonCode::Reported.as_str(),
            &Outcome::Hold.as_str(),
            &format!("{reports} reader reports"),
        ],
    )
    .await?;
    enqueue_event(
        tx,
        site,
        WebhookEvent::for_status(Status::Reported),
        id,
        now,
    )
    .await?;
    Ok(ReportOutcome::Recorded {
        reports,
        taken_down: true,
    })
}

impl PgStore {
    /// Records a reader report and, at the site's threshold, sends the comment back to the
    /// review queue as `reported` — in one transaction.
    #[tracing::instrument(level = "debug", skip_all, fields(comment = %report.comment))]
    pub(super) async fn report(&self, report: NewReport) -> Result<ReportOutcome, StoreError> {
        in_transaction!(self, |tx| self::report(&tx, &report, self.now()).await)
    }
}
