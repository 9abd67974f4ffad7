//! Moderators' browser sessions: made at sign-in, looked up on every request the review
//! page sends, ended at sign-out.
//!
//! # Invariants
//! - Only the SHA-256 of a session's secret is stored ([`TokenHash`]), like tokens.
//! - A session authenticates only while it has not expired and its moderator is active:
//!   revoking a moderator ends their sessions at once, without touching this table.
//! - Expired sessions are deleted whenever a new one is made (one indexed range delete).
use rusqlite::{params, Connection, OptionalExtension};

use super::moderators;
use crate::domain::TokenHash;
use crate::store::{NewSession, SessionRecord, StoreError};

pub(super) fn create(conn: &Connection, s: &NewSession, now: i64) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM sessions WHERE expires_at <= ?1")?
        .execute([now])?;
    conn.prepare_cached(
        "INSERT INTO sessions (id_sha256, moderator_id, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        &s.hash.as_bytes()[..],
        s.moderator_id,
        now,
        s.expires_at
    ])?;
    Ok(())
}

pub(super) fn find(
    conn: &Connection,
    hash: &TokenHash,
    now: i64,
) -> Result<Option<SessionRecord>, StoreError> {
    let found = conn
        .prepare_cached(
            "SELECT m.id, m.name, m.is_admin, s.expires_at
             FROM sessions s JOIN moderators m ON m.id = s.moderator_id
             WHERE s.id_sha256 = ?1 AND s.expires_at > ?2 AND m.revoked_at IS NULL",
        )?
        .query_row(params![&hash.as_bytes()[..], now], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, bool>(2)?,
                row.get::<_, i64>(3)?,
            ))
        })
        .optional()?;
    let Some((id, name, is_admin, expires_at)) = found else {
        return Ok(None);
    };
    Ok(Some(SessionRecord {
        moderator: moderators::record(conn, id, name, is_admin)?,
        expires_at,
    }))
}

pub(super) fn end(conn: &Connection, hash: &TokenHash) -> Result<bool, StoreError> {
    let n = conn
        .prepare_cached("DELETE FROM sessions WHERE id_sha256 = ?1")?
        .execute([&hash.as_bytes()[..]])?;
    Ok(n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A session finds its moderator until it expires, is ended, or the moderator is
    /// revoked; making a session forgets expired ones.
    #[test]
    fn sessions_live_until_expiry_sign_out_or_revocation() {
        let conn = super::super::schema::migrated_in_memory();
        conn.execute(
            "INSERT INTO moderators (id, name, token_sha256, created_at) VALUES (1, 'ann', x'00', 0)",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO moderator_sites (moderator_id, site_id) VALUES (1, 'news')",
            [],
        )
        .unwrap();
        let session = |secret: &str, expires_at| NewSession {
            hash: TokenHash::of(secret),
            moderator_id: 1,
            expires_at,
        };
        create(&conn, &session("old", 50), 10).unwrap();
        create(&conn, &session("s1", 1_000), 100).unwrap();
        let found = find(&conn, &TokenHash::of("s1"), 500).unwrap().unwrap();
        assert_eq!(found.moderator.name, "ann");
        assert!(found.moderator.grants.allows("news"));
        assert_eq!(found.expires_at, 1_000);
        let rows: i64 = conn
            .query_row("SELECT COUNT(*) FROM sessions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1, "the expired session was forgotten");
        assert!(
            find(&conn, &TokenHash::of("s1"), 1_000).unwrap().is_none(),
            "expired"
        );
        assert!(find(&conn, &TokenHash::of("nope"), 500).unwrap().is_none());

        assert!(end(&conn, &TokenHash::of("s1")).unwrap());
        assert!(
            find(&conn, &TokenHash::of("s1"), 500).unwrap().is_none(),
            "signed out"
        );

        create(&conn, &session("s2", 1_000), 100).unwrap();
        conn.execute("UPDATE moderators SET revoked_at = 200 WHERE id = 1", [])
            .unwrap();
        assert!(
            find(&conn, &TokenHash::of("s2"), 500).unwrap().is_none(),
            "revoked"
        );
    }
}
