//! The labelled decisions that train the next models: every comment a moderator decided
//! with a training label, as its latest decision left it.
use rusqlite::Connection;

use super::decisions::labels;
use crate::store::{LabelledDecision, StoreError};

pub(super) fn labelled_decisions(
    conn: &Connection,
    site: Option<&str>,
) -> Result<Vec<LabelledDecision>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, site_id, article_id, body, label_spam, label_abuse, decided_at
         FROM comments
         WHERE decided_at IS NOT NULL
           AND (label_spam IS NOT NULL OR label_abuse IS NOT NULL)
           AND (?1 IS NULL OR site_id = ?1)
         ORDER BY id",
    )?;
    let rows = stmt.query_map([site], |row| {
        let l = labels(row.get(4)?, row.get(5)?);
        Ok(LabelledDecision {
            comment_id: row.get(0)?,
            site: row.get(1)?,
            article_id: row.get(2)?,
            text: row.get(3)?,
            spam: l.spam,
            abuse: l.abuse,
            decided_at: row.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::super::decisions::decide;
    use super::super::fixtures::{actor, add, conn, request};
    use super::*;
    use crate::domain::{RejectLabel, Status, Verdict};
    use crate::store::SiteGrants;

    /// Only labelled moderator decisions are exported; the latest one wins.
    #[test]
    fn labelled_decisions_follow_the_latest_decision() {
        let conn = conn();
        let spam = add(&conn, "a@x.io", "1.1.1.1", 0.9, 0.1, Status::Pending);
        let other = add(&conn, "b@x.io", "1.1.1.1", 0.9, 0.1, Status::Pending);
        add(&conn, "c@x.io", "1.1.1.1", 0.9, 0.1, Status::Pending);
        let all = SiteGrants::All;
        decide(
            &conn,
            &actor(),
            &all,
            &request(spam, Verdict::Approve, 1),
            1,
        )
        .unwrap();
        decide(
            &conn,
            &actor(),
            &all,
            &request(spam, Verdict::Reject(RejectLabel::Spam), 2),
            2,
        )
        .unwrap();
        decide(
            &conn,
            &actor(),
            &all,
            &request(other, Verdict::Reject(RejectLabel::Other), 1),
            3,
        )
        .unwrap();
        let got = labelled_decisions(&conn, None).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].comment_id, got[0].spam, got[0].abuse),
            (spam, Some(true), None)
        );
        assert!(labelled_decisions(&conn, Some("sport")).unwrap().is_empty());
    }
}
