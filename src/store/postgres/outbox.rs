//! The webhook outbox on PostgreSQL (see the SQLite `store::outbox` for the invariants,
//! which hold here too): events written in the transaction of their change, claimed for
//! one attempt at a time, recorded, pruned.
//!
//! # Claims across instances
//! Any instance may drain the outbox. A claim selects due rows `FOR UPDATE SKIP LOCKED`
//! in a CTE and leases them in the same statement: rows another instance is claiming at
//! that moment are skipped, not waited for; a row whose claim committed first is no longer
//! due when it is re-checked (READ COMMITTED re-evaluates a locked row's condition on its
//! newest version), so no event is handed to two attempts while its lease runs.
//!
//! The payload is built here, in Rust, with the keys in the order SQLite's `json_object`
//! writes them and the same compact form, so both backends send the same bytes.
use deadpool_postgres::Transaction;

use super::{in_transaction, parse_status, to_i64, to_u64, PgError, PgStore};
use crate::domain::{CommentId, ReasonCode};
use crate::store::{
    AttemptOutcome, CommentSnapshot, DueEvent, StoreError, WebhookEvent, WebhookPayload,
};

/// The comment as the event shows it, if its site has a webhook (one round trip for the
/// common "no webhook" answer, too). By primary key alone: the caller checks the comment
/// is on that site (see `AUTHOR_CONTEXT` in `comments.rs` for the plan a `site_id`
/// condition beside the id can get).
const SNAPSHOT: &str = "SELECT c.id, c.site_id, c.article_id, c.article_url, c.parent_id, c.status,
        c.version, c.created_at, c.updated_at,
        ARRAY(SELECT code FROM comment_reasons WHERE comment_id = c.id ORDER BY seq)
     FROM comments c
     WHERE c.id = $1
       AND EXISTS (SELECT 1 FROM webhook_sites w WHERE w.site_id = $2)";

const ENQUEUE: &str = "INSERT INTO webhook_outbox
        (event_id, site_id, event, comment_id, payload, created_at, next_attempt_at)
     VALUES ($1, $2, $3, $4, $5, $6, $6)";

const CLAIM: &str = "WITH due AS (
         SELECT id FROM webhook_outbox
         WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
         ORDER BY next_attempt_at, id
         LIMIT $2
         FOR UPDATE SKIP LOCKED)
     UPDATE webhook_outbox w
     SET attempts = w.attempts + 1, next_attempt_at = $1 + $3, leased_until = $1 + $3
     FROM due
     WHERE w.id = due.id
     RETURNING w.id, w.event_id, w.site_id, w.event, w.payload, w.attempts, w.created_at";

/// A comment id read back from the database.
fn comment_id(raw: i64) -> Result<CommentId, PgError> {
    CommentId::new(raw).ok_or_else(|| PgError::Corrupt(format!("comment id {raw}")))
}

/// Records `event` about comment `comment_id` of `site` inside the caller's transaction.
/// Does nothing when `site` has no webhook, or the comment is not on `site`. Call it after
/// the change, so the snapshot shows the new status and version.
pub(super) async fn enqueue_event(
    tx: &Transaction<'_>,
    site: &str,
    event: WebhookEvent,
    comment_id_raw: i64,
    now: i64,
) -> Result<(), PgError> {
    let stmt = tx.prepare_cached(SNAPSHOT).await?;
    let Some(row) = tx.query_opt(&stmt, &[&comment_id_raw, &site]).await? else {
        return Ok(());
    };
    let site_id: String = row.get(1);
    if site_id != site {
        return Ok(());
    }
    let mut reasons = Vec::new();
    for code in row.get::<_, Vec<String>>(9) {
        let code: ReasonCode = serde_json::from_value(serde_json::Value::String(code))
            .map_err(|e| PgError::Corrupt(e.to_string()))?;
        reasons.push(code);
    }
    let comment = CommentSnapshot {
        id: comment_id(row.get(0))?,
        article_id: row.get(2),
        article_url: row.get(3),
        parent_id: row.get::<_, Option<i64>>(4).map(comment_id).transpose()?,
        status: parse_status(row.get(5))?,
        version: row.get(6),
        reasons,
        created_at: row.get(7),
        updated_at: row.get(8),
    };
    let payload = WebhookPayload::new(event, site_id.clone(), now, comment);
    let json = payload.to_json();
    let stmt = tx.prepare_cached(ENQUEUE).await?;
    tx.execute(
        &stmt,
        &[
            &payload.id,
            &site_id,
            &event.as_str(),
            &comment_id_raw,
            &json,
            &now,
        ],
    )
    .await?;
    Ok(())
}

fn status_code(status: Option<u16>) -> Option<i32> {
    status.map(i32::from)
}

impl PgStore {
    /// Records which sites have a webhook; undelivered events of sites no longer listed
    /// are marked failed. Serialized between instances by an advisory lock.
    pub(super) async fn set_webhook_sites(&self, sites: Vec<String>) -> Result<(), StoreError> {
        in_transaction!(self, |tx| {
            let now = self.now();
            tx.execute(
                "SELECT pg_advisory_xact_lock($1, 1)",
                &[&super::schema::LOCK_NAMESPACE],
            )
            .await?;
            tx.execute("DELETE FROM webhook_sites", &[]).await?;
            tx.execute(
                "INSERT INTO webhook_sites (site_id) SELECT DISTINCT unnest($1::TEXT[])
                 ON CONFLICT DO NOTHING",
                &[&sites],
            )
            .await?;
            tx.execute(
                "UPDATE webhook_outbox SET failed_at = $1,
                        last_error = 'webhook removed from the configuration'
                 WHERE delivered_at IS NULL AND failed_at IS NULL
                   AND site_id NOT IN (SELECT site_id FROM webhook_sites)",
                &[&now],
            )
            .await?;
            Ok::<_, PgError>(())
        })
    }

    /// Whether any webhook event is due at `now`.
    pub(super) async fn webhook_events_due(&self, now: i64) -> Result<bool, StoreError> {
        let run = async {
            let client = self.client().await?;
            let stmt = client
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM webhook_outbox
                     WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1)",
                )
                .await?;
            Ok::<_, PgError>(client.query_one(&stmt, &[&now]).await?.get(0))
        };
        Ok(run.await?)
    }

    /// Claims up to `limit` due webhook events for one attempt each, oldest due first;
    /// none of them is handed out again (by any instance) for `lease_ms` unless its
    /// attempt is recorded first.
    pub(super) async fn claim_webhook_events(
        &self,
        now: i64,
        limit: usize,
        lease_ms: i64,
    ) -> Result<Vec<DueEvent>, StoreError> {
        let run = async {
            let client = self.client().await?;
            let stmt = client.prepare_cached(CLAIM).await?;
            // One statement: its own transaction.
            let rows = client
                .query(&stmt, &[&now, &to_i64(limit), &lease_ms])
                .await?;
            let mut claimed = rows
                .iter()
                .map(|row| {
                    Ok(DueEvent {
                        row: row.get(0),
                        event_id: row.get(1),
                        site: row.get(2),
                        event: {
                            let raw: String = row.get(3);
                            WebhookEvent::parse(&raw)
                                .ok_or_else(|| PgError::Corrupt(format!("webhook event {raw:?}")))?
                        },
                        payload: row.get(4),
                        attempt: u32::try_from(row.get::<_, i32>(5)).unwrap_or(0),
                        created_at: row.get(6),
                    })
                })
                .collect::<Result<Vec<_>, PgError>>()?;
            // RETURNING gives no order guarantee; attempts start oldest first.
            claimed.sort_by_key(|e| e.row);
            Ok::<_, PgError>(claimed)
        };
        Ok(run.await?)
    }

    /// Records how a delivery attempt ended.
    pub(super) async fn record_webhook_attempt(
        &self,
        row: i64,
        outcome: AttemptOutcome,
    ) -> Result<(), StoreError> {
        in_transaction!(self, |tx| {
            let now = self.now();
            match &outcome {
                AttemptOutcome::Delivered { status } => {
                    let status = status_code(Some(*status));
                    tx.execute(
                        "UPDATE webhook_outbox
                         SET delivered_at = $2, leased_until = NULL, last_status = $3,
                             last_error = NULL
                         WHERE id = $1",
                        &[&row, &now, &status],
                    )
                    .await?;
                    // The receiver is up: its backlog need not wait out each backoff.
                    tx.execute(
                        "UPDATE webhook_outbox SET next_attempt_at = $2
                         WHERE site_id = (SELECT site_id FROM webhook_outbox WHERE id = $1)
                           AND delivered_at IS NULL AND failed_at IS NULL
                           AND next_attempt_at > $2
                           AND (leased_until IS NULL OR leased_until <= $2)",
                        &[&row, &now],
                    )
                    .await?;
                }
                AttemptOutcome::Retry { at, status, error } => {
                    tx.execute(
                        "UPDATE webhook_outbox
                         SET next_attempt_at = $2, leased_until = NULL, last_status = $3,
                             last_error = $4
                         WHERE id = $1 AND delivered_at IS NULL AND failed_at IS NULL",
                        &[&row, at, &status_code(*status), error],
                    )
                    .await?;
                }
                AttemptOutcome::GiveUp { status, error } => {
                    tx.execute(
                        "UPDATE webhook_outbox
                         SET failed_at = $2, leased_until = NULL, last_status = $3,
                             last_error = $4
                         WHERE id = $1 AND delivered_at IS NULL",
                        &[&row, &now, &status_code(*status), error],
                    )
                    .await?;
                }
            }
            Ok::<_, PgError>(())
        })
    }

    /// Deletes webhook events delivered before `before` (unix milliseconds).
    pub(super) async fn prune_webhook_events(&self, before: i64) -> Result<usize, StoreError> {
        let run = async {
            let client = self.client().await?;
            let n = client
                .execute(
                    "DELETE FROM webhook_outbox WHERE delivered_at < $1",
                    &[&before],
                )
                .await?;
            Ok::<_, PgError>(usize::try_from(n).unwrap_or(usize::MAX))
        };
        Ok(run.await?)
    }

    /// For monitoring: `(site, status, count)` of the comments waiting for a moderator on
    /// each of `sites`, and the webhook events still to deliver.
    pub(super) async fn waiting_counts(
        &self,
        sites: Vec<String>,
    ) -> Result<(Vec<(String, &'static str, u64)>, u64), StoreError> {
        let run = async {
            let client = self.client().await?;
            let stmt = client
                .prepare_cached("SELECT COUNT(*) FROM comments WHERE site_id = $1 AND status = $2")
                .await?;
            let mut out = Vec::with_capacity(sites.len() * crate::store::upkeep::WAITING.len());
            for site in &sites {
                for status in crate::store::upkeep::WAITING {
                    let n: i64 = client.query_one(&stmt, &[site, &status]).await?.get(0);
                    out.push((site.clone(), status, to_u64(n)));
                }
            }
            let backlog: i64 = client
                .query_one(
                    "SELECT COUNT(*) FROM webhook_outbox
                     WHERE delivered_at IS NULL AND failed_at IS NULL",
                    &[],
                )
                .await?
                .get(0);
            Ok::<_, PgError>((out, to_u64(backlog)))
        };
        Ok(run.await?)
    }
}
