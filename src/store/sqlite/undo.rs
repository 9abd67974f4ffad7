//! Undoing a decision: a moderator takes back the decision they just made.
//!
//! # Rules
//! - Only the comment's latest audit entry can be undone, only if it is an `approve` or
//!   `reject` by the same moderator, made less than [`UNDO_WINDOW_MS`] ago, and only at
//!   the version that decision produced (anyone's later change makes the undo stale).
//! - Undoing restores what the decision replaced: the status, the training labels and the
//!   time of the previous decision (recorded on the audit row by `decisions::record_change`),
//!   so the comment teaches the models nothing it did not teach before.
//! - The undo is itself a change: version + 1, an `undo` audit row, and the webhook event
//!   of the status it returns to — in one transaction, like every decision.
use rusqlite::{params, Connection, OptionalExtension};

use super::decisions::{labels, state, status};
use super::outbox::enqueue_event;
use crate::domain::CommentId;
use crate::store::{Actor, SiteGrants, StoreError, UndoOutcome, WebhookEvent, UNDO_WINDOW_MS};

/// The latest audit entry of a comment, with what an undo needs.
struct LastEntry {
    id: i64,
    moderator_id: Option<i64>,
    action: String,
    from_status: String,
    to_status: String,
    prev_spam: Option<i64>,
    prev_abuse: Option<i64>,
    prev_decided_at: Option<i64>,
    at: i64,
}

fn last_entry(conn: &Connection, id: CommentId) -> Result<Option<LastEntry>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT id, moderator_id, action, from_status, to_status, prev_label_spam,
                    prev_label_abuse, prev_decided_at, created_at
             FROM decisions WHERE comment_id = ?1 ORDER BY id DESC LIMIT 1",
        )?
        .query_row([id.get()], |row| {
            Ok(LastEntry {
                id: row.get(0)?,
                moderator_id: row.get(1)?,
                action: row.get(2)?,
                from_status: row.get(3)?,
                to_status: row.get(4)?,
                prev_spam: row.get(5)?,
                prev_abuse: row.get(6)?,
                prev_decided_at: row.get(7)?,
                at: row.get(8)?,
            })
        })
        .optional()?)
}

pub(super) fn undo(
    conn: &Connection,
    actor: &Actor,
    grants: &SiteGrants,
    id: CommentId,
    version: i64,
    now: i64,
) -> Result<UndoOutcome, StoreError> {
    let Some((current, _)) = state(conn, id)? else {
        return Ok(UndoOutcome::NotFound);
    };
    if !grants.allows(&current.site) {
        return Ok(UndoOutcome::Forbidden);
    }
    if current.version != version {
        return Ok(UndoOutcome::Stale { current });
    }
    let last = match last_entry(conn, id)? {
        Some(last)
            if matches!(last.action.as_str(), "approve" | "reject")
                && last.moderator_id == Some(actor.moderator_id)
                && last.to_status == current.status.as_str() =>
        {
            last
        }
        _ => return Ok(UndoOutcome::NothingToUndo { current }),
    };
    if now.saturating_sub(last.at) > UNDO_WINDOW_MS {
        return Ok(UndoOutcome::Expired { current });
    }
    let back = status(last.from_status)?;
    conn.prepare_cached(
        "INSERT INTO decisions
            (comment_id, moderator_id, moderator, action, from_status, to_status, note,
             created_at, prev_label_spam, prev_label_abuse, prev_decided_at)
         SELECT ?1, ?2, ?3, 'undo', ?4, ?5, ?6, ?7, label_spam, label_abuse, decided_at
         FROM comments WHERE id = ?1",
    )?
    .execute(params![
        id.get(),
        actor.moderator_id,
        actor.name,
        current.status.as_str(),
        back.as_str(),
        format!("undid decision {}", last.id),
        now
    ])?;
    conn.prepare_cached(
        "UPDATE comments SET status = ?2, version = version + 1, updated_at = ?3,
                label_spam = ?4, label_abuse = ?5, decided_at = ?6
         WHERE id = ?1",
    )?
    .execute(params![
        id.get(),
        back.as_str(),
        now,
        last.prev_spam,
        last.prev_abuse,
        last.prev_decided_at
    ])?;
    if back != current.status {
        enqueue_event(
            conn,
            &current.site,
            WebhookEvent::for_status(back),
            id.get(),
            now,
        )?;
    }
    let (state, _) =
        state(conn, id)?.ok_or_else(|| StoreError::Corrupt(format!("comment {id} vanished")))?;
    debug_assert_eq!(state.labels, labels(last.prev_spam, last.prev_abuse));
    Ok(UndoOutcome::Undone {
        state,
        previous: current.status,
    })
}

#[cfg(test)]
mod tests {
    use super::super::decisions::decide;
    use super::*;
    use crate::domain::Status;
    use crate::domain::{Note, RejectLabel, TrainingLabels, Verdict};
    use crate::store::{DecisionOutcome, DecisionRequest};

    /// A migrated database with moderators 1 (`ann`) and 2 (`bob`).
    fn conn() -> Connection {
        let conn = super::super::schema::migrated_in_memory();
        conn.execute_batch(
            "INSERT INTO moderators (id, name, token_sha256, created_at) VALUES (1, 'ann', x'01', 0);
             INSERT INTO moderators (id, name, token_sha256, created_at) VALUES (2, 'bob', x'02', 0);",
        )
        .unwrap();
        conn
    }

    /// A pending comment on site `news`.
    fn add_pending(conn: &Connection) -> CommentId {
        conn.execute(
            "INSERT INTO comments (site_id, article_id, author_name, body, body_hash, status,
                 client_ip, created_at, updated_at)
             VALUES ('news', 'a1', 'Ann', 'text', x'00', 'pending', '1.1.1.1', 0, 0)",
            [],
        )
        .unwrap();
        CommentId::new(conn.last_insert_rowid()).unwrap()
    }

    /// Applies a decision at `now`, asserting it applied.
    fn decide_at(
        conn: &Connection,
        actor: &Actor,
        id: CommentId,
        verdict: Verdict,
        version: i64,
        now: i64,
    ) {
        let request = DecisionRequest {
            id,
            verdict,
            note: Note::default(),
            version,
        };
        let out = decide(conn, actor, &SiteGrants::All, &request, now).unwrap();
        assert!(
            matches!(out, DecisionOutcome::Applied { changed: true, .. }),
            "{out:?}"
        );
    }

    fn actor(id: i64, name: &str) -> Actor {
        Actor {
            moderator_id: id,
            name: name.into(),
        }
    }

    /// Ann rejects a pending comment as spam and undoes it: pending again, no labels, no
    /// decision time, version 3, an `undo` audit row. Undoing again has nothing to undo.
    #[test]
    fn undo_restores_status_and_labels() {
        let conn = conn();
        let id = add_pending(&conn);
        let all = SiteGrants::All;
        decide_at(
            &conn,
            &actor(1, "ann"),
            id,
            Verdict::Reject(RejectLabel::Spam),
            1,
            1_000,
        );
        let out = undo(&conn, &actor(1, "ann"), &all, id, 2, 2_000).unwrap();
        let UndoOutcome::Undone { state, previous } = out else {
            panic!("{out:?}")
        };
        assert_eq!(previous, Status::Rejected);
        assert_eq!((state.status, state.version), (Status::Pending, 3));
        assert_eq!(state.labels, TrainingLabels::default());
        let last = state.last_decision.unwrap();
        assert_eq!(
            (last.action.as_str(), last.moderator.as_str()),
            ("undo", "ann")
        );
        let decided: Option<i64> = conn
            .query_row(
                "SELECT decided_at FROM comments WHERE id = ?1",
                [id.get()],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(decided, None);
        assert!(matches!(
            undo(&conn, &actor(1, "ann"), &all, id, 3, 2_500).unwrap(),
            UndoOutcome::NothingToUndo { .. }
        ));
    }

    /// Someone else's decision, a stale version, an old decision and another site's
    /// comment are refused, and nothing is written.
    #[test]
    fn undo_refusals() {
        let conn = conn();
        let id = add_pending(&conn);
        let all = SiteGrants::All;
        decide_at(&conn, &actor(1, "ann"), id, Verdict::Approve, 1, 1_000);
        decide_at(
            &conn,
            &actor(2, "bob"),
            id,
            Verdict::Reject(RejectLabel::Abuse),
            2,
            1_100,
        );
        let before: i64 = conn
            .query_row("SELECT COUNT(*) FROM decisions", [], |r| r.get(0))
            .unwrap();
        assert!(matches!(
            undo(&conn, &actor(1, "ann"), &all, id, 3, 1_200).unwrap(),
            UndoOutcome::NothingToUndo { .. }
        ));
        assert!(matches!(
            undo(&conn, &actor(2, "bob"), &all, id, 2, 1_200).unwrap(),
            UndoOutcome::Stale { .. }
        ));
        assert!(matches!(
            undo(
                &conn,
                &actor(2, "bob"),
                &all,
                id,
                3,
                1_100 + UNDO_WINDOW_MS + 1
            )
            .unwrap(),
            UndoOutcome::Expired { .. }
        ));
        assert_eq!(
            undo(
                &conn,
                &actor(2, "bob"),
                &SiteGrants::Only(vec!["sport".into()]),
                id,
                3,
                1_200
            )
            .unwrap(),
            UndoOutcome::Forbidden
        );
        let after: i64 = conn
            .query_row("SELECT COUNT(*) FROM decisions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(before, after);
        // Bob's own undo works and brings back Ann's approval with its labels.
        let UndoOutcome::Undone { state, .. } =
            undo(&conn, &actor(2, "bob"), &all, id, 3, 1_200).unwrap()
        else {
            panic!()
        };
        assert_eq!(state.status, Status::Published);
        assert_eq!(state.labels, Verdict::Approve.training_labels());
    }
}
