//! Authors as moderators look them up: an author's recent comments on a site with their
//! record, and the bans moderators imposed (who, when, until, lifted by whom).
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection};
use serde::Serialize;

use super::review::AuthorHistory;
use super::{now_millis, Store, StoreError};
use crate::domain::{BanTarget, CommentId, SiteId, Status};

/// Most comments shown in an author's view, newest first.
pub const AUTHOR_COMMENTS: usize = 20;
/// Most bans listed at once, newest first.
pub const MAX_BANS_LISTED: usize = 500;

/// One of an author's comments, in the author's view.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuthorComment {
    pub id: CommentId,
    pub status: Status,
    pub article_id: String,
    pub article_title: Option<String>,
    /// The name they signed this one with.
    pub author_name: String,
    pub body: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A ban as recorded, active or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BanEntry {
    pub id: i64,
    pub site: String,
    /// The banned e-mail, or `null` for a ban by `client_ip`.
    pub author_email: Option<String>,
    pub client_ip: Option<String>,
    pub note: String,
    /// The moderator who banned.
    pub created_by: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds; `null`: until lifted.
    pub until: Option<i64>,
    /// Unix milliseconds, when a moderator lifted it (or a later ban replaced it).
    pub lifted_at: Option<i64>,
    pub lifted_by: Option<String>,
    /// In force now: not lifted and not past `until`.
    pub active: bool,
}

/// An author on a site: their record, latest comments and bans.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorView {
    pub history: AuthorHistory,
    pub comments: Vec<AuthorComment>,
    /// Their bans, newest first, lifted and expired ones included.
    pub bans: Vec<BanEntry>,
}

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

fn author(
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

fn bans(
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

impl Store {
    /// An author on `site`: their record, latest comments and every ban of theirs.
    #[tracing::instrument(level = "debug", skip_all, fields(site = %site))]
    pub async fn author(&self, site: SiteId, target: BanTarget) -> Result<AuthorView, StoreError> {
        self.read(move |conn| author(conn, &site, &target, now_millis()))
            .await
    }

    /// The bans of `sites` (not empty), newest first, at most [`MAX_BANS_LISTED`]: only
    /// those in force unless `include_inactive`.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn bans(
        &self,
        sites: Vec<String>,
        include_inactive: bool,
    ) -> Result<Vec<BanEntry>, StoreError> {
        self.read(move |conn| bans(conn, &sites, include_inactive, now_millis()))
            .await
    }
}
