//! Retention and erasure on PostgreSQL (rules: [`crate::store::upkeep`]): a purge
//! runs each step in chunks of `PURGE_CHUNK` rows, one transaction per chunk; an
//! erasure deletes one e-mail address's comments, everything hanging off them and the bans
//! naming it, in one transaction.
//!
//! Rows about to be deleted are locked (`FOR UPDATE`) before their replies are detached:
//! a reply being submitted at that moment locks its parent `FOR KEY SHARE` (see
//! `comments::AUTHOR_CONTEXT`), so either it commits first and is detached, or it waits and
//! then finds no parent.
//!
//! PostgreSQL has no `secure_delete`: deleted rows stay in the table's pages until VACUUM
//! reclaims them (autovacuum does, within minutes on a busy table), and in the WAL and base
//! backups like SQLite's WAL and backups (see deploy/README.md).
use deadpool_postgres::Transaction;

use super::{in_transaction, PgError, PgStore};
use crate::store::upkeep::{PurgeStep, PURGE_CHUNK as CHUNK};
use crate::store::{ErasureReport, PurgeReport, RetentionPolicy, StoreError};

fn count(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Runs one chunk of `step` for `site` (ignored by the global steps); returns the rows it
/// deleted or changed.
async fn purge_chunk(tx: &Transaction<'_>, site: &str, step: PurgeStep) -> Result<usize, PgError> {
    let chunk = CHUNK as i64;
    Ok(count(match step {
        PurgeStep::DeleteRejected { cutoff } => {
            let ids: Vec<i64> = tx
                .query(
                    "SELECT id FROM comments WHERE site_id = $1 AND status = 'rejected'
                         AND created_at < $2 ORDER BY id LIMIT $3 FOR UPDATE",
                    &[&site, &cutoff, &chunk],
                )
                .await?
                .iter()
                .map(|row| row.get(0))
                .collect();
            // Replies to a comment about to go keep their text and lose the link.
            tx.execute(
                "UPDATE comments SET parent_id = NULL WHERE parent_id = ANY($1)",
                &[&ids],
            )
            .await?;
            tx.execute("DELETE FROM comments WHERE id = ANY($1)", &[&ids])
                .await?
        }
        PurgeStep::Strip { cutoff } => {
            tx.execute(
                "UPDATE comments SET client_ip = '', author_email = NULL, user_agent = NULL
                 WHERE id IN (
                     SELECT id FROM comments WHERE site_id = $1 AND created_at < $2
                         AND (client_ip <> '' OR author_email IS NOT NULL
                              OR user_agent IS NOT NULL)
                     ORDER BY id LIMIT $3)",
                &[&site, &cutoff, &chunk],
            )
            .await?
        }
        PurgeStep::DeleteReports { cutoff } => {
            tx.execute(
                "DELETE FROM comment_reports WHERE (comment_id, client_ip) IN (
                     SELECT r.comment_id, r.client_ip FROM comment_reports r
                     JOIN comments c ON c.id = r.comment_id
                     WHERE c.site_id = $1 AND c.created_at < $2 LIMIT $3)",
                &[&site, &cutoff, &chunk],
            )
            .await?
        }
        PurgeStep::DeleteAudit { cutoff } => {
            tx.execute(
                "DELETE FROM decisions WHERE id IN (
                     SELECT id FROM decisions WHERE created_at < $1 ORDER BY id LIMIT $2)",
                &[&cutoff, &chunk],
            )
            .await?
        }
        PurgeStep::DeleteFailedWebhooks { cutoff } => {
            tx.execute(
                "DELETE FROM webhook_outbox WHERE id IN (
                     SELECT id FROM webhook_outbox WHERE failed_at IS NOT NULL
                         AND failed_at < $1 ORDER BY id LIMIT $2)",
                &[&cutoff, &chunk],
            )
            .await?
        }
        PurgeStep::DeleteDeliveredWebhooks { cutoff } => {
            tx.execute(
                "DELETE FROM webhook_outbox WHERE id IN (
                     SELECT id FROM webhook_outbox WHERE delivered_at < $1 ORDER BY id LIMIT $2)",
                &[&cutoff, &chunk],
            )
            .await?
        }
    }))
}

async fn erase(tx: &Transaction<'_>, email: &str) -> Result<ErasureReport, PgError> {
    let sites: Vec<String> = tx
        .query(
            "SELECT site_id FROM comments WHERE author_email = $1
             GROUP BY site_id ORDER BY site_id COLLATE \"C\"",
            &[&email],
        )
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    tx.execute(
        "SELECT id FROM comments WHERE author_email = $1 ORDER BY id FOR UPDATE",
        &[&email],
    )
    .await?;
    let replies_detached = tx
        .execute(
            "UPDATE comments SET parent_id = NULL
             WHERE parent_id IN (SELECT id FROM comments WHERE author_email = $1)
               AND (author_email IS NULL OR author_email <> $1)",
            &[&email],
        )
        .await?;
    // Their own replies to each other go with them.
    tx.execute(
        "UPDATE comments SET parent_id = NULL
         WHERE author_email = $1 AND parent_id IS NOT NULL",
        &[&email],
    )
    .await?;
    let comments_deleted = tx
        .execute("DELETE FROM comments WHERE author_email = $1", &[&email])
        .await?;
    let bans_deleted = tx
        .execute("DELETE FROM bans WHERE author_email = $1", &[&email])
        .await?;
    Ok(ErasureReport {
        comments_deleted: count(comments_deleted),
        sites,
        replies_detached: count(replies_detached),
        bans_deleted: count(bans_deleted),
    })
}

impl PgStore {
    /// Applies `policy`: each step in chunks of `CHUNK` rows, one transaction per chunk.
    pub(super) async fn purge(&self, policy: &RetentionPolicy) -> Result<PurgeReport, StoreError> {
        let mut report = PurgeReport::default();
        for (site, step) in policy.steps() {
            loop {
                let n = in_transaction!(self, |tx| purge_chunk(&tx, &site, step).await)?;
                report.add(step, n);
                if n < CHUNK {
                    break;
                }
            }
        }
        Ok(report)
    }

    /// Erases everything stored under one (lower-cased) e-mail address, on every site, in
    /// one transaction.
    pub(super) async fn erase_author(&self, email: String) -> Result<ErasureReport, StoreError> {
        in_transaction!(self, |tx| erase(&tx, &email).await)
    }
}
