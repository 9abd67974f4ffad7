//! Moderators' decisions on comments and the audit log (see [`crate::store::review`] for
//! the contract: versions, repeats, one audit row and the webhook event per change, in
//! the decision's transaction).
use rusqlite::{params, Connection, OptionalExtension};

use super::outbox::enqueue_event;
use crate::domain::{CommentId, Status, TrainingLabels};
use crate::store::review::{check_decision, DecisionCheck};
use crate::store::{
    Actor, AuditEntry, CommentState, DecisionOutcome, DecisionRequest, SiteGrants, StoreError,
    WebhookEvent,
};

/// SQLite's 0/1/NULL label columns.
pub(super) fn labels(spam: Option<i64>, abuse: Option<i64>) -> TrainingLabels {
    TrainingLabels {
        spam: spam.map(|v| v != 0),
        abuse: abuse.map(|v| v != 0),
    }
}

pub(super) fn status(raw: String) -> Result<Status, StoreError> {
    raw.parse().map_err(StoreError::Corrupt)
}

pub(super) fn audit_log(conn: &Connection, id: CommentId) -> Result<Vec<AuditEntry>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, moderator, action, from_status, to_status, label, note, created_at
         FROM decisions WHERE comment_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([id.get()], audit_row)?;
    let raw: Vec<(AuditEntry, String, String)> = rows.collect::<Result<_, _>>()?;
    raw.into_iter()
        .map(|(mut e, from, to)| {
            e.from_status = status(from)?;
            e.to_status = status(to)?;
            Ok(e)
        })
        .collect()
}

/// An audit row with its statuses still as text (parsed by the caller, which can fail).
fn audit_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(AuditEntry, String, String)> {
    Ok((
        AuditEntry {
            id: row.get(0)?,
            moderator: row.get(1)?,
            action: row.get(2)?,
            from_status: Status::Pending,
            to_status: Status::Pending,
            label: row.get(5)?,
            note: row.get(6)?,
            at: row.get(7)?,
        },
        row.get(3)?,
        row.get(4)?,
    ))
}

fn last_decision(conn: &Connection, id: CommentId) -> Result<Option<AuditEntry>, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT id, moderator, action, from_status, to_status, label, note, created_at
             FROM decisions WHERE comment_id = ?1 ORDER BY id DESC LIMIT 1",
        )?
        .query_row([id.get()], audit_row)
        .optional()?;
    row.map(|(mut e, from, to)| {
        e.from_status = status(from)?;
        e.to_status = status(to)?;
        Ok(e)
    })
    .transpose()
}

/// The decision-relevant state of a comment, read on the writer's connection.
pub(super) fn state(
    conn: &Connection,
    id: CommentId,
) -> Result<Option<(CommentState, bool)>, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT site_id, status, version, label_spam, label_abuse, decided_at IS NOT NULL
             FROM comments WHERE id = ?1",
        )?
        .query_row([id.get()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                labels(row.get(3)?, row.get(4)?),
                row.get::<_, bool>(5)?,
            ))
        })
        .optional()?;
    let Some((site, raw_status, version, labels, decided)) = row else {
        return Ok(None);
    };
    let state = CommentState {
        id,
        site,
        status: status(raw_status)?,
        version,
        labels,
        last_decision: last_decision(conn, id)?,
    };
    Ok(Some((state, decided)))
}

/// Moves a comment to `to` (bumping its version), records the labels and the audit row,
/// and — when the status changed — enqueues the webhook event. One writer job: atomic.
#[allow(clippy::too_many_arguments)]
pub(super) fn record_change(
    conn: &Connection,
    actor: &Actor,
    id: CommentId,
    site: &str,
    from: Status,
    to: Status,
    labels: TrainingLabels,
    action: &str,
    label: Option<&str>,
    note: &str,
    now: i64,
) -> Result<(), StoreError> {
    // The audit row first: it keeps the labels and decision time the change replaces,
    // which an undo restores (see `undo`).
    conn.prepare_cached(
        "INSERT INTO decisions
            (comment_id, moderator_id, moderator, action, from_status, to_status, label, note,
             created_at, prev_label_spam, prev_label_abuse, prev_decided_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, label_spam, label_abuse, decided_at
         FROM comments WHERE id = ?1",
    )?
    .execute(params![
        id.get(),
        actor.moderator_id,
        actor.name,
        action,
        from.as_str(),
        to.as_str(),
        label,
        note,
        now
    ])?;
    conn.prepare_cached(
        "UPDATE comments SET status = ?2, version = version + 1, updated_at = ?3,
                label_spam = ?4, label_abuse = ?5, decided_at = ?3
         WHERE id = ?1",
    )?
    .execute(params![
        id.get(),
        to.as_str(),
        now,
        labels.spam,
        labels.abuse
    ])?;
    if from != to {
        enqueue_event(conn, site, WebhookEvent::for_status(to), id.get(), now)?;
    }
    Ok(())
}

/// Applies one decision (see the module's invariants).
pub(super) fn decide(
    conn: &Connection,
    actor: &Actor,
    grants: &SiteGrants,
    d: &DecisionRequest,
    now: i64,
) -> Result<DecisionOutcome, StoreError> {
    let current = match check_decision(state(conn, d.id)?, grants, d) {
        DecisionCheck::Write(current) => current,
        DecisionCheck::Answer(outcome) => return Ok(outcome),
    };
    let to = d.verdict.status();
    let labels = d.verdict.training_labels();
    record_change(
        conn,
        actor,
        d.id,
        &current.site,
        current.status,
        to,
        labels,
        d.verdict.action(),
        d.verdict.label().map(|l| l.as_str()),
        d.note.as_str(),
        now,
    )?;
    let (state, _) = state(conn, d.id)?
        .ok_or_else(|| StoreError::Corrupt(format!("comment {} vanished", d.id)))?;
    Ok(DecisionOutcome::Applied {
        state,
        previous: current.status,
        changed: true,
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{actor, add, audit_rows, conn, request};
    use super::*;
    use crate::domain::{RejectLabel, Verdict};

    /// Approving publishes, records labels and one audit row; repeating changes nothing;
    /// a different decision on the old version is stale; on the new one it applies.
    #[test]
    fn decide_versions_and_repeats() {
        let conn = conn();
        let id = add(&conn, "a@x.io", "1.1.1.1", 0.9, 0.1, Status::Pending);
        let all = SiteGrants::All;

        let first = decide(&conn, &actor(), &all, &request(id, Verdict::Approve, 1), 5).unwrap();
        let DecisionOutcome::Applied {
            state,
            previous,
            changed,
        } = first
        else {
            panic!("{first:?}")
        };
        assert!(changed);
        assert_eq!(previous, Status::Pending);
        assert_eq!((state.status, state.version), (Status::Published, 2));
        assert_eq!(state.labels, Verdict::Approve.training_labels());
        assert_eq!(state.last_decision.unwrap().moderator, "ann");
        assert_eq!(audit_rows(&conn), 1);

        let repeat = decide(&conn, &actor(), &all, &request(id, Verdict::Approve, 1), 6).unwrap();
        assert!(
            matches!(repeat, DecisionOutcome::Applied { changed: false, ref state, .. } if state.version == 2),
            "{repeat:?}"
        );
        assert_eq!(audit_rows(&conn), 1, "a repeat writes nothing");

        let reject = Verdict::Reject(RejectLabel::Spam);
        let stale = decide(&conn, &actor(), &all, &request(id, reject, 1), 7).unwrap();
        assert!(
            matches!(stale, DecisionOutcome::Stale { ref current } if current.version == 2),
            "{stale:?}"
        );
        let taken_down = decide(&conn, &actor(), &all, &request(id, reject, 2), 8).unwrap();
        assert!(matches!(
            taken_down,
            DecisionOutcome::Applied { changed: true, .. }
        ));
        assert_eq!(audit_log(&conn, id).unwrap().len(), 2);
    }

    /// Unknown ids and other sites' comments are refused without writing.
    #[test]
    fn decide_refusals() {
        let conn = conn();
        let id = add(&conn, "a@x.io", "1.1.1.1", 0.9, 0.1, Status::Pending);
        let other = SiteGrants::Only(vec!["sport".into()]);
        let missing = CommentId::new(999).unwrap();
        assert_eq!(
            decide(
                &conn,
                &actor(),
                &SiteGrants::All,
                &request(missing, Verdict::Approve, 1),
                1
            )
            .unwrap(),
            DecisionOutcome::NotFound
        );
        assert_eq!(
            decide(
                &conn,
                &actor(),
                &other,
                &request(id, Verdict::Approve, 1),
                1
            )
            .unwrap(),
            DecisionOutcome::Forbidden
        );
        assert_eq!(audit_rows(&conn), 0);
    }
}
