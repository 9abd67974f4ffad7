//! Listing the review queue for moderators, and one comment with everything a moderator
//! needs to decide it (see [`crate::store::review`] for the orders and the keyset
//! pagination every backend implements).
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection};

use super::comments;
use super::decisions::{labels, status};
use super::review_context;
use crate::domain::{CommentId, Status};
use crate::store::{
    AuthorHistory, QueueOrder, QueuePage, QueuePosition, QueueQuery, ReasonFilter, ReviewItem,
    StoreError, StoredComment,
};

/// The WHERE clause (over `comments c`) and its arguments for a queue query's filters.
fn queue_filter(q: &QueueQuery) -> (String, Vec<Value>) {
    let mut sql = String::from("c.status = ? AND c.site_id IN (");
    let mut args: Vec<Value> = vec![q.status.as_str().to_owned().into()];
    for (i, s) in q.sites.iter().enumerate() {
        sql.push_str(if i == 0 { "?" } else { ", ?" });
        args.push(s.site.as_str().to_owned().into());
    }
    sql.push(')');
    if let Some(article) = &q.article_id {
        sql.push_str(" AND c.article_id = ?");
        args.push(article.as_str().to_owned().into());
    }
    match q.reason {
        Some(ReasonFilter::Code(code)) => {
            sql.push_str(
                " AND EXISTS (SELECT 1 FROM comment_reasons r
                              WHERE r.comment_id = c.id AND r.code = ?)",
            );
            args.push(code.as_str().to_owned().into());
        }
        Some(ReasonFilter::Reported) => {
            sql.push_str(" AND EXISTS (SELECT 1 FROM comment_reports p WHERE p.comment_id = c.id)")
        }
        None => {}
    }
    if let Some(search) = &q.search {
        sql.push_str(
            " AND (c.body LIKE ? ESCAPE '\\' OR c.author_name LIKE ? ESCAPE '\\'
                   OR c.author_email LIKE ? ESCAPE '\\')",
        );
        let pattern = search.like_pattern();
        for _ in 0..3 {
            args.push(pattern.clone().into());
        }
    }
    (sql, args)
}

pub(super) fn queue(conn: &Connection, q: &QueueQuery) -> Result<QueuePage, StoreError> {
    let (filter, filter_args) = queue_filter(q);
    let total: i64 = conn
        .prepare_cached(&format!("SELECT COUNT(*) FROM comments c WHERE {filter}"))?
        .query_row(params_from_iter(filter_args.iter()), |row| row.get(0))?;

    let mut args: Vec<Value> = Vec::new();
    let mut cte = String::new();
    let mut join = "";
    let key = match q.order {
        QueueOrder::Oldest | QueueOrder::Newest => "0.0",
        QueueOrder::Spam => "-COALESCE(c.spam_score, -1.0)",
        QueueOrder::Abuse => "-COALESCE(c.abuse_score, -1.0)",
        QueueOrder::Uncertain => {
            cte.push_str("WITH t(site_id, spam_hold, abuse_hold) AS (VALUES ");
            for (i, s) in q.sites.iter().enumerate() {
                cte.push_str(if i == 0 { "(?, ?, ?)" } else { ", (?, ?, ?)" });
                args.push(s.site.as_str().to_owned().into());
                args.push(s.spam_hold.into());
                args.push(s.abuse_hold.into());
            }
            cte.push_str(") ");
            join = "JOIN t ON t.site_id = c.site_id";
            "MIN(COALESCE(ABS(c.spam_score - t.spam_hold), 2.0),
                 COALESCE(ABS(c.abuse_score - t.abuse_hold), 2.0))"
        }
    };
    args.extend(filter_args);
    let (after, order_by) = match q.order {
        QueueOrder::Oldest => ("id > ?", "id"),
        QueueOrder::Newest => ("id < ?", "id DESC"),
        _ => ("(k > ? OR (k = ? AND id > ?))", "k, id"),
    };
    let mut sql = format!(
        "{cte}SELECT id, k FROM (SELECT c.id AS id, {key} AS k FROM comments c {join} WHERE {filter})"
    );
    if let Some(pos) = q.after {
        sql.push_str(" WHERE ");
        sql.push_str(after);
        match q.order {
            QueueOrder::Oldest | QueueOrder::Newest => args.push(pos.id.get().into()),
            _ => {
                args.push(pos.key.into());
                args.push(pos.key.into());
                args.push(pos.id.get().into());
            }
        }
    }
    sql.push_str(" ORDER BY ");
    sql.push_str(order_by);
    // CAST: a bare `LIMIT ?` makes SQLite re-prepare the statement at every call (see
    // comments::PUBLISHED_BY_EMAIL).
    sql.push_str(" LIMIT CAST(? AS INTEGER)");
    // One more than asked: tells whether another page follows.
    args.push(
        i64::try_from(q.limit.saturating_add(1))
            .unwrap_or(i64::MAX)
            .into(),
    );

    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(args.iter()), |row| {
        Ok((row.get::<_, CommentId>(0)?, row.get::<_, f64>(1)?))
    })?;
    let mut positions: Vec<QueuePosition> = rows
        .map(|r| r.map(|(id, key)| QueuePosition { key, id }))
        .collect::<Result<_, _>>()?;
    let more = positions.len() > q.limit;
    positions.truncate(q.limit);
    let mut items = Vec::with_capacity(positions.len());
    for pos in &positions {
        // Read in the same transaction-free snapshot of this connection; a comment cannot
        // disappear (comments are never deleted).
        if let Some(item) = item(conn, pos.id)? {
            items.push(item);
        }
    }
    Ok(QueuePage {
        items,
        total: u64::try_from(total).unwrap_or(0),
        next: if more {
            positions.last().copied()
        } else {
            None
        },
    })
}

/// One comment with everything a moderator needs to decide it.
pub(super) fn item(conn: &Connection, id: CommentId) -> Result<Option<ReviewItem>, StoreError> {
    let Some(comment) = comments::get(conn, id)? else {
        return Ok(None);
    };
    let (labels, decided_at, report_count) = conn
        .prepare_cached(
            "SELECT label_spam, label_abuse, decided_at,
                    (SELECT COUNT(*) FROM comment_reports WHERE comment_id = ?1)
             FROM comments WHERE id = ?1",
        )?
        .query_row([id.get()], |row| {
            Ok((
                labels(row.get(0)?, row.get(1)?),
                row.get::<_, Option<i64>>(2)?,
                row.get::<_, i64>(3)?,
            ))
        })?;
    let author_history = author_history(conn, &comment)?;
    let article_title = review_context::article_title(
        conn,
        &comment.site_id,
        &comment.article_id,
        comment.article_title.as_deref(),
    )?;
    let parent = review_context::parent(conn, comment.parent_id)?;
    let reports = review_context::reports(conn, id)?;
    Ok(Some(ReviewItem {
        comment,
        article_title,
        parent,
        reports,
        labels,
        decided_at,
        report_count: u64::try_from(report_count).unwrap_or(0),
        author_history,
    }))
}

/// The author's comments on the site by status: by e-mail if the comment has one (the
/// identity intake uses for trust), else by IP; `none` (all zero) when retention erased
/// both.
fn author_history(conn: &Connection, c: &StoredComment) -> Result<AuthorHistory, StoreError> {
    if c.author_email.is_none() && c.client_ip.is_empty() {
        return Ok(AuthorHistory {
            by: "none",
            ..AuthorHistory::default()
        });
    }
    let (by, sql, key) = match &c.author_email {
        Some(email) => (
            "email",
            "SELECT status, COUNT(*) FROM comments
             WHERE site_id = ?1 AND author_email = ?2 GROUP BY status",
            email.as_str(),
        ),
        None => (
            "ip",
            "SELECT status, COUNT(*) FROM comments
             WHERE site_id = ?1 AND client_ip = ?2 GROUP BY status",
            c.client_ip.as_str(),
        ),
    };
    let mut history = AuthorHistory {
        by,
        ..AuthorHistory::default()
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params![c.site_id, key], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (s, n) = row?;
        let n = u64::try_from(n).unwrap_or(0);
        match status(s)? {
            Status::Published => history.published = n,
            Status::Pending => history.pending = n,
            Status::Rejected => history.rejected = n,
            Status::Reported => history.reported = n,
        }
    }
    Ok(history)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{add, conn, site};
    use super::*;
    use crate::store::SiteHolds;

    fn query(order: QueueOrder, after: Option<QueuePosition>, limit: usize) -> QueueQuery {
        QueueQuery {
            sites: vec![SiteHolds {
                site: site(),
                spam_hold: 0.5,
                abuse_hold: 0.5,
            }],
            status: Status::Pending,
            article_id: None,
            reason: None,
            search: None,
            order,
            after,
            limit,
        }
    }

    /// Each order sorts as documented, and paging by cursor visits every comment once.
    #[test]
    fn queue_orders_and_pages() {
        let conn = conn();
        // (spam, abuse): distance to 0.5 is min(|s-.5|, |a-.5|).
        let ids: Vec<CommentId> = [(0.9, 0.1), (0.55, 0.0), (0.2, 0.48), (0.99, 0.95)]
            .iter()
            .enumerate()
            .map(|(i, (s, a))| {
                add(
                    &conn,
                    &format!("u{i}@x.io"),
                    "1.1.1.1",
                    *s,
                    *a,
                    Status::Pending,
                )
            })
            .collect();
        add(&conn, "p@x.io", "1.1.1.1", 0.7, 0.7, Status::Published);
        let cases = [
            (QueueOrder::Oldest, vec![0, 1, 2, 3]),
            (QueueOrder::Newest, vec![3, 2, 1, 0]),
            (QueueOrder::Spam, vec![3, 0, 1, 2]),
            (QueueOrder::Abuse, vec![3, 2, 0, 1]),
            (QueueOrder::Uncertain, vec![2, 1, 0, 3]),
        ];
        for (order, expected) in cases {
            let mut seen = Vec::new();
            let mut after = None;
            loop {
                let page = queue(&conn, &query(order, after, 3)).unwrap();
                assert_eq!(page.total, 4, "{order:?}");
                seen.extend(page.items.iter().map(|i| i.comment.id));
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            let expected: Vec<CommentId> = expected.into_iter().map(|i| ids[i]).collect();
            assert_eq!(seen, expected, "{order:?}");
        }
    }
}
