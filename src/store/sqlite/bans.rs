//! Imposing and lifting bans (see [`crate::store::authors`] for the contract): a new ban
//! lifts the author's earlier ones, and may reject their comments as moderator changes.
use rusqlite::{params, Connection};

use super::decisions::{record_change, status};
use crate::domain::{BanTarget, CommentId, SiteId, Status, TrainingLabels};
use crate::store::{Actor, BanOutcome, BanRequest, StoreError};

pub(super) fn ban(
    conn: &Connection,
    actor: &Actor,
    b: &BanRequest,
    now: i64,
) -> Result<BanOutcome, StoreError> {
    let key = b.target.key();
    let (column, email, ip) = match &b.target {
        BanTarget::Email(_) => ("author_email", Some(key.as_str()), None),
        BanTarget::Ip(_) => ("client_ip", None, Some(key.as_str())),
    };
    let replaced = conn
        .prepare_cached(&format!(
            "UPDATE bans SET lifted_at = ?3, lifted_by = ?4
             WHERE site_id = ?1 AND {column} = ?2 AND lifted_at IS NULL"
        ))?
        .execute(params![b.site.as_str(), key, now, actor.name])?;
    conn.prepare_cached(
        "INSERT INTO bans (site_id, author_email, client_ip, until, note, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        b.site.as_str(),
        email,
        ip,
        b.until,
        b.note.as_str(),
        actor.name,
        now
    ])?;
    let ban_id = conn.last_insert_rowid();
    let mut rejected = Vec::new();
    if b.reject_existing {
        let victims: Vec<(CommentId, String)> = conn
            .prepare_cached(&format!(
                "SELECT id, status FROM comments
                 WHERE site_id = ?1 AND {column} = ?2
                   AND status IN ('pending', 'published', 'reported')
                 ORDER BY id"
            ))?
            .query_map(params![b.site.as_str(), key], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?
            .collect::<Result<_, _>>()?;
        for (id, from) in victims {
            record_change(
                conn,
                actor,
                id,
                b.site.as_str(),
                status(from)?,
                Status::Rejected,
                TrainingLabels::default(),
                "ban",
                None,
                b.note.as_str(),
                now,
            )?;
            rejected.push(id);
        }
    }
    Ok(BanOutcome {
        ban_id,
        replaced: u64::try_from(replaced).unwrap_or(0),
        rejected,
    })
}

pub(super) fn unban(
    conn: &Connection,
    actor: &Actor,
    site: &SiteId,
    target: &BanTarget,
    now: i64,
) -> Result<u64, StoreError> {
    let column = match target {
        BanTarget::Email(_) => "author_email",
        BanTarget::Ip(_) => "client_ip",
    };
    let lifted = conn
        .prepare_cached(&format!(
            "UPDATE bans SET lifted_at = ?3, lifted_by = ?4
             WHERE site_id = ?1 AND {column} = ?2 AND lifted_at IS NULL
               AND (until IS NULL OR until > ?3)"
        ))?
        .execute(params![site.as_str(), target.key(), now, actor.name])?;
    Ok(u64::try_from(lifted).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::super::comments;
    use super::super::fixtures::{actor, add, audit_rows, conn, site};
    use super::*;
    use crate::domain::{AuthorEmail, Note};

    /// A ban with reject_existing rejects the author's visible and held comments (with an
    /// audit row each) and leaves other authors alone; unban lifts it.
    #[test]
    fn ban_rejects_existing_and_unban_lifts() {
        let conn = conn();
        let a = add(&conn, "bad@x.io", "1.1.1.1", 0.9, 0.1, Status::Pending);
        let b = add(&conn, "bad@x.io", "2.2.2.2", 0.1, 0.1, Status::Published);
        let c = add(&conn, "good@x.io", "1.1.1.1", 0.1, 0.1, Status::Published);
        let request = BanRequest {
            site: site(),
            target: BanTarget::Email(AuthorEmail::parse("BAD@x.io").unwrap()),
            reject_existing: true,
            until: None,
            note: Note::parse(Some("spammer")).unwrap(),
        };
        let done = ban(&conn, &actor(), &request, 10).unwrap();
        assert_eq!(done.rejected, vec![a, b]);
        assert_eq!(audit_rows(&conn), 2);
        assert_eq!(
            comments::get(&conn, c).unwrap().unwrap().status,
            Status::Published
        );
        let again = ban(&conn, &actor(), &request, 11).unwrap();
        assert_eq!((again.replaced, again.rejected.len()), (1, 0));
        assert_eq!(
            unban(&conn, &actor(), &site(), &request.target, 12).unwrap(),
            1
        );
        assert_eq!(
            unban(&conn, &actor(), &site(), &request.target, 13).unwrap(),
            0
        );
    }
}
