//! Undoing a decision on PostgreSQL (rules: the SQLite `store::undo`). The comment is
//! locked (`FOR UPDATE`) before its version and latest audit entry are read, so an undo
//! and a concurrent decision on another instance cannot both pass the version check.
use deadpool_postgres::Transaction;

use super::outbox::enqueue_event;
use super::review::{lock_comments, state};
use super::{in_transaction, parse_status, PgError, PgStore};
use crate::domain::CommentId;
use crate::store::outbox::WebhookEvent;
use crate::store::{Actor, SiteGrants, StoreError, UndoOutcome, UNDO_WINDOW_MS};

async fn undo(
    tx: &Transaction<'_>,
    actor: &Actor,
    grants: &SiteGrants,
    id: CommentId,
    version: i64,
    now: i64,
) -> Result<UndoOutcome, PgError> {
    lock_comments(tx, &[id.get()]).await?;
    let Some((current, _)) = state(tx, id).await? else {
        return Ok(UndoOutcome::NotFound);
    };
    if !grants.allows(&current.site) {
        return Ok(UndoOutcome::Forbidden);
    }
    if current.version != version {
        return Ok(UndoOutcome::Stale { current });
    }
    let stmt = tx
        .prepare_cached(
            "SELECT id, moderator_id, action, from_status, to_status, prev_label_spam,
                    prev_label_abuse, prev_decided_at, created_at
             FROM decisions WHERE comment_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .await?;
    let last = tx.query_opt(&stmt, &[&id.get()]).await?;
    let Some(last) = last.filter(|row| {
        matches!(row.get::<_, &str>(2), "approve" | "reject")
            && row.get::<_, Option<i64>>(1) == Some(actor.moderator_id)
            && row.get::<_, &str>(4) == current.status.as_str()
    }) else {
        return Ok(UndoOutcome::NothingToUndo { current });
    };
    let (last_id, at): (i64, i64) = (last.get(0), last.get(8));
    if now.saturating_sub(at) > UNDO_WINDOW_MS {
        return Ok(UndoOutcome::Expired { current });
    }
    let back = parse_status(last.get(3))?;
    let (prev_spam, prev_abuse, prev_decided_at): (Option<bool>, Option<bool>, Option<i64>) =
        (last.get(5), last.get(6), last.get(7));
    let stmt = tx
        .prepare_cached(
            "INSERT INTO decisions
                (comment_id, moderator_id, moderator, action, from_status, to_status, note,
                 created_at, prev_label_spam, prev_label_abuse, prev_decided_at)
             SELECT $1, $2, $3, 'undo', $4, $5, $6, $7, label_spam, label_abuse, decided_at
             FROM comments WHERE id = $1",
        )
        .await?;
    tx.execute(
        &stmt,
        &[
            &id.get(),
            &actor.moderator_id,
            &actor.name,
            &current.status.as_str(),
            &back.as_str(),
            &format!("undid decision {last_id}"),
            &now,
        ],
    )
    .await?;
    let stmt = tx
        .prepare_cached(
            "UPDATE comments SET status = $2, version = version + 1, updated_at = $3,
                    label_spam = $4, label_abuse = $5, decided_at = $6
             WHERE id = $1",
        )
        .await?;
    tx.execute(
        &stmt,
        &[
            &id.get(),
            &back.as_str(),
            &now,
            &prev_spam,
            &prev_abuse,
            &prev_decided_at,
        ],
    )
    .await?;
    if back != current.status {
        enqueue_event(
            tx,
            &current.site,
            WebhookEvent::for_status(back),
            id.get(),
            now,
        )
        .await?;
    }
    let (state, _) = state(tx, id)
        .await?
        .ok_or_else(|| PgError::Corrupt(format!("comment {id} vanished")))?;
    Ok(UndoOutcome::Undone {
        state,
        previous: current.status,
    })
}

impl PgStore {
    /// Undoes the moderator's latest decision on comment `id` (see `store::undo`).
    #[tracing::instrument(level = "debug", skip_all, fields(moderator = %actor.name, id = %id))]
    pub(super) async fn undo(
        &self,
        actor: Actor,
        grants: SiteGrants,
        id: CommentId,
        version: i64,
    ) -> Result<UndoOutcome, StoreError> {
        in_transaction!(self, |tx| undo(
            &tx,
            &actor,
            &grants,
            id,
            version,
            self.now()
        )
        .await)
    }
}
