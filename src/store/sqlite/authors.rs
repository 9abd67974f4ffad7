//! Authors as moderators look them up: an author's recent comments on a site with their
//! record, and the bans moderators imposed (who, when, until, lifted by whom).
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection};

use crate::domain::{BanTarget, CommentId, SiteId, Status};
use crate::store::{
    AuthorComment, AuthorHistory, AuthorView, BanEntry, StoreError, AUTHOR_COMMENTS,
    MAX_BANS_LISTED,
};

/// Which comments and bans belong to the author: by e-mail or by IP.
fn column(target: &BanTarget) -> &'static str {
    match target {
        BanTarget::Email(_) => "author_email",
        BanTarget::Ip(_) => "client_ip",
    }
}

const BAN_COLUMNS: &str = "id, site_id, author_email, client_ip, note, created_by, created_at,
    until, lifted_at, lifted_by";

fn ban_row(row: &rusqlite::Row<'_>, now: i64) -> rusqlite::Result<BanEntry> {
    let until: Option<i64> = row.get(7)?;
    let lifted_at: Option<i64> = row.get(8)?;
    Ok(BanEntry {
        id: row.get(0)?,
        site: row.get(1)?,
        author_email: row.get(2)?,
        client_ip: row.get(3)?,
        note: row.get(4)?,
        created_by: row.get(5)?,
        created_at: row.get(6)?,
        until,
        lifted_at,
        lifted_by: row.get(9)?,
        active: lifted_at.is_none() && until.is_none_or(|u| u > now),
    })
}

pub(super) fn author(
    conn: &Connection,
    site: &SiteId,
    target: &BanTarget,
    now: i64,
) -> Result<AuthorView, StoreError> {
    let column = column(target);
    let key = target.key();
    let mut history = AuthorHistory {
        by: match target {
            BanTarget::Email(_) => "email",
            BanTarget::Ip(_) => "ip",
        },
        ..AuthorHistory::default()
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT status, COUNT(*) FROM comments WHERE site_id = ?1 AND {column} = ?2 GROUP BY status"
    ))?;
    let rows = stmt.query_map(params![site.as_str(), key], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (status, n) = row?;
        let n = u64::try_from(n).unwrap_or(0);
        match status.parse().map_err(StoreError::Corrupt)? {
            Status::Published => history.published = n,
            Status::Pending => history.pending = n,
            Status::Rejected => history.rejected = n,
            Status::Reported => history.reported = n,
        }
    }
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, status, article_id, article_title, author_name, body, created_at
         FROM comments WHERE site_id = ?1 AND {column} = ?2
         ORDER BY id DESC LIMIT CAST(?3 AS INTEGER)"
    ))?;
    let rows = stmt.query_map(params![site.as_str(), key, AUTHOR_COMMENTS as i64], |row| {
        Ok((
            row.get::<_, CommentId>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, Option<String>>(3)?,
            row.get::<_, String>(4)?,
            row.get::<_, String>(5)?,
            row.get::<_, i64>(6)?,
        ))
    })?;
    let mut comments = Vec::new();
    for row in rows {
        let (id, status, article_id, article_title, author_name, body, created_at) = row?;
        comments.push(AuthorComment {
            id,
            status: status.parse().map_err(StoreError::Corrupt)?,
            article_id,
            article_title,
            author_name,
            body,
            created_at,
        });
    }
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {BAN_COLUMNS} FROM bans WHERE site_id = ?1 AND {column} = ?2 ORDER BY id DESC"
    ))?;
    let bans = stmt
        .query_map(params![site.as_str(), key], |row| ban_row(row, now))?
        .collect::<Result<_, _>>()?;
    Ok(AuthorView {
        history,
        comments,
        bans,
    })
}

pub(super) fn bans(
    conn: &Connection,
    sites: &[String],
    include_inactive: bool,
    now: i64,
) -> Result<Vec<BanEntry>, StoreError> {
    let mut sql = format!("SELECT {BAN_COLUMNS} FROM bans WHERE site_id IN (");
    let mut args: Vec<Value> = Vec::with_capacity(sites.len() + 2);
    for (i, site) in sites.iter().enumerate() {
        sql.push_str(if i == 0 { "?" } else { ", ?" });
        args.push(site.clone().into());
    }
    sql.push(')');
    if !include_inactive {
        sql.push_str(" AND lifted_at IS NULL AND (until IS NULL OR until > ?)");
        args.push(now.into());
    }
    sql.push_str(" ORDER BY id DESC LIMIT CAST(? AS INTEGER)");
    args.push((MAX_BANS_LISTED as i64).into());
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(args.iter()), |row| ban_row(row, now))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
