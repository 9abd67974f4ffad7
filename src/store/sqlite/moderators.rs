//! Moderators: adding, listing, revoking, and finding one by the hash of its token.
//!
//! # Invariants
//! - Only the SHA-256 of a token is stored ([`TokenHash`]); the token itself is printed
//!   once by `commentguard moderator add` and never again.
//! - A revoked moderator keeps its row (the audit log refers to it) and can no longer
//!   authenticate; at most one *active* moderator has a given name (a partial unique
//!   index), so a name can be reused after revocation.
//! - An admin is granted every site, present and future, and the admin API.
use rusqlite::{params, Connection, OptionalExtension};

use crate::domain::{ModeratorName, TokenHash};
use crate::store::{
    AddModeratorError, ModeratorInfo, ModeratorRecord, NewModerator, SiteGrants, StoreError,
};

pub(super) fn add(
    conn: &Connection,
    m: &NewModerator,
    now: i64,
) -> Result<Result<(), AddModeratorError>, StoreError> {
    let taken: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM moderators WHERE name = ?1 AND revoked_at IS NULL)",
        )?
        .query_row([m.name.as_str()], |row| row.get(0))?;
    if taken {
        return Ok(Err(AddModeratorError::NameTaken(m.name.to_string())));
    }
    conn.prepare_cached(
        "INSERT INTO moderators (name, token_sha256, is_admin, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        m.name.as_str(),
        &m.token_hash.as_bytes()[..],
        m.is_admin,
        now
    ])?;
    let id = conn.last_insert_rowid();
    if !m.is_admin {
        let mut grant = conn.prepare_cached(
            "INSERT OR IGNORE INTO moderator_sites (moderator_id, site_id) VALUES (?1, ?2)",
        )?;
        for site in &m.sites {
            grant.execute(params![id, site.as_str()])?;
        }
    }
    Ok(Ok(()))
}

pub(super) fn list(conn: &Connection) -> Result<Vec<ModeratorInfo>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.name, m.is_admin, m.created_at, m.revoked_at,
                (SELECT group_concat(site_id, ',') FROM
                   (SELECT site_id FROM moderator_sites WHERE moderator_id = m.id ORDER BY site_id))
         FROM moderators m
         ORDER BY m.revoked_at IS NOT NULL, m.name, m.id",
    )?;
    let rows = stmt.query_map([], |row| {
        let sites: Option<String> = row.get(4)?;
        Ok(ModeratorInfo {
            name: row.get(0)?,
            is_admin: row.get(1)?,
            created_at: row.get(2)?,
            revoked_at: row.get(3)?,
            sites: sites
                .map(|s| s.split(',').map(str::to_owned).collect())
                .unwrap_or_default(),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn revoke(
    conn: &Connection,
    name: &ModeratorName,
    now: i64,
) -> Result<bool, StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE moderators SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL",
        )?
        .execute(params![name.as_str(), now])?;
    Ok(changed > 0)
}

pub(super) fn by_token(
    conn: &Connection,
    hash: &TokenHash,
) -> Result<Option<ModeratorRecord>, StoreError> {
    let found = conn
        .prepare_cached(
            "SELECT id, name, is_admin FROM moderators
             WHERE token_sha256 = ?1 AND revoked_at IS NULL",
        )?
        .query_row([&hash.as_bytes()[..]], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, bool>(2)?,
            ))
        })
        .optional()?;
    let Some((id, name, is_admin)) = found else {
        return Ok(None);
    };
    record(conn, id, name, is_admin).map(Some)
}

/// The moderator `id` with the sites they are granted.
pub(super) fn record(
    conn: &Connection,
    id: i64,
    name: String,
    is_admin: bool,
) -> Result<ModeratorRecord, StoreError> {
    let grants = if is_admin {
        SiteGrants::All
    } else {
        let mut stmt = conn.prepare_cached(
            "SELECT site_id FROM moderator_sites WHERE moderator_id = ?1 ORDER BY site_id",
        )?;
        let sites = stmt.query_map([id], |row| row.get(0))?;
        SiteGrants::Only(sites.collect::<Result<_, _>>()?)
    };
    Ok(ModeratorRecord {
        id,
        name,
        is_admin,
        grants,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ModeratorToken;
    use crate::domain::SiteId;

    fn conn() -> Connection {
        super::super::schema::migrated_in_memory()
    }

    fn moderator(name: &str, admin: bool, sites: &[&str]) -> (NewModerator, String) {
        let t = ModeratorToken::generate();
        (
            NewModerator {
                name: ModeratorName::parse(name).unwrap(),
                token_hash: t.hash,
                is_admin: admin,
                sites: sites.iter().map(|s| SiteId::parse(s).unwrap()).collect(),
            },
            t.token,
        )
    }

    /// A token finds its moderator with their sites until the moderator is revoked.
    #[test]
    fn add_find_revoke() {
        let conn = conn();
        let (ann, token) = moderator("ann", false, &["news", "sport"]);
        add(&conn, &ann, 1).unwrap().unwrap();
        let found = by_token(&conn, &TokenHash::of(&token)).unwrap().unwrap();
        assert_eq!(found.name, "ann");
        assert_eq!(
            found.grants,
            SiteGrants::Only(vec!["news".into(), "sport".into()])
        );
        assert!(found.grants.allows("news") && !found.grants.allows("other"));
        assert!(by_token(&conn, &TokenHash::of("cgm_wrong"))
            .unwrap()
            .is_none());

        assert!(revoke(&conn, &ann.name, 2).unwrap());
        assert!(by_token(&conn, &TokenHash::of(&token)).unwrap().is_none());
        assert!(!revoke(&conn, &ann.name, 3).unwrap(), "already revoked");
    }

    /// Names are unique among active moderators only.
    #[test]
    fn names_are_reusable_after_revocation() {
        let conn = conn();
        let (first, _) = moderator("bob", false, &["news"]);
        add(&conn, &first, 1).unwrap().unwrap();
        let (again, _) = moderator("bob", false, &["news"]);
        assert_eq!(
            add(&conn, &again, 2).unwrap(),
            Err(AddModeratorError::NameTaken("bob".into()))
        );
        revoke(&conn, &first.name, 3).unwrap();
        add(&conn, &again, 4).unwrap().unwrap();
        let listed = list(&conn).unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].revoked_at, None, "active first");
        assert_eq!(listed[1].revoked_at, Some(3));
    }

    /// Admins are granted every site.
    #[test]
    fn admins_have_every_site() {
        let conn = conn();
        let (root, token) = moderator("root", true, &[]);
        add(&conn, &root, 1).unwrap().unwrap();
        let found = by_token(&conn, &TokenHash::of(&token)).unwrap().unwrap();
        assert!(found.is_admin);
        assert_eq!(found.grants, SiteGrants::All);
    }
}
