//! What a moderator sees around a queued comment: the article's headline, the comment it
//! answers, and what readers said when they reported it. Read with the comment, on the
//! same read connection (see `queue::item`).
use rusqlite::{params, Connection, OptionalExtension};

use crate::domain::CommentId;
use crate::store::{ParentComment, ReportEntry, StoreError, MAX_REPORTS_SHOWN};

/// The headline of the comment's article: the comment's own, else the latest one any
/// comment of the article was submitted with (embeds and backends may differ in what they
/// send).
pub(super) fn article_title(
    conn: &Connection,
    site: &str,
    article: &str,
    own: Option<&str>,
) -> Result<Option<String>, StoreError> {
    if let Some(own) = own {
        return Ok(Some(own.to_owned()));
    }
    Ok(conn
        .prepare_cached(
            "SELECT article_title FROM comments
             WHERE site_id = ?1 AND article_id = ?2 AND article_title IS NOT NULL
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row(params![site, article], |row| row.get(0))
        .optional()?)
}

/// The comment `id` answers, if it still exists.
pub(super) fn parent(
    conn: &Connection,
    id: Option<CommentId>,
) -> Result<Option<ParentComment>, StoreError> {
    let Some(id) = id else {
        return Ok(None);
    };
    let row = conn
        .prepare_cached("SELECT author_name, body, status, created_at FROM comments WHERE id = ?1")?
        .query_row([id.get()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, i64>(3)?,
            ))
        })
        .optional()?;
    row.map(|(author_name, body, status, created_at)| {
        Ok(ParentComment {
            id,
            author_name,
            body,
            status: status.parse().map_err(StoreError::Corrupt)?,
            created_at,
        })
    })
    .transpose()
}

/// Readers' reports of comment `id`, newest first (at most [`MAX_REPORTS_SHOWN`]). The
/// reporters' IP addresses are not part of it.
pub(super) fn reports(conn: &Connection, id: CommentId) -> Result<Vec<ReportEntry>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT reason, created_at FROM comment_reports WHERE comment_id = ?1
         ORDER BY created_at DESC LIMIT CAST(?2 AS INTEGER)",
    )?;
    let rows = stmt.query_map(params![id.get(), MAX_REPORTS_SHOWN as i64], |row| {
        Ok(ReportEntry {
            reason: row.get(0)?,
            at: row.get(1)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
