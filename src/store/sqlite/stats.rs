//! Counts for monitoring (`/metrics`), read at scrape time: each an indexed range count.
use rusqlite::Connection;

use crate::store::StoreError;

use crate::store::upkeep::WAITING;

/// `(site, status, count)` of the comments waiting for a moderator, for each of `sites`
/// (an index range per site and status: `comments_by_status`).
pub(crate) fn waiting(
    conn: &Connection,
    sites: &[String],
) -> Result<Vec<(String, &'static str, u64)>, StoreError> {
    let mut st =
        conn.prepare_cached("SELECT COUNT(*) FROM comments WHERE site_id = ?1 AND status = ?2")?;
    let mut out = Vec::with_capacity(sites.len() * WAITING.len());
    for site in sites {
        for status in WAITING {
            let n: i64 = st.query_row((site, status), |r| r.get(0))?;
            out.push((site.clone(), status, u64::try_from(n).unwrap_or(0)));
        }
    }
    Ok(out)
}

/// Webhook events neither delivered nor given up on (the `webhook_outbox_due` index).
pub(crate) fn webhook_backlog(conn: &Connection) -> Result<u64, StoreError> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM webhook_outbox WHERE delivered_at IS NULL AND failed_at IS NULL",
        )?
        .query_row([], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::super::schema::migrated_in_memory;
    use super::*;

    /// Counts per site and status, zero included; the backlog counts open events only.
    #[test]
    fn counts() {
        let conn = migrated_in_memory();
        conn.execute_batch(
            "INSERT INTO comments (site_id, article_id, author_name, body, body_hash, status,
                 client_ip, created_at, updated_at)
             VALUES ('news', 'a', 'A', 'x', x'01', 'pending', '1.1.1.1', 1, 1),
                    ('news', 'a', 'B', 'y', x'02', 'pending', '1.1.1.1', 1, 1),
                    ('news', 'a', 'C', 'z', x'03', 'published', '1.1.1.1', 1, 1);
             INSERT INTO webhook_outbox (event_id, site_id, event, comment_id, payload,
                 created_at, next_attempt_at, delivered_at)
             VALUES ('e1', 'news', 'comment.held', 1, '{}', 1, 1, NULL),
                    ('e2', 'news', 'comment.held', 2, '{}', 1, 1, 5);",
        )
        .unwrap();
        let sites = vec!["news".to_owned(), "sport".to_owned()];
        assert_eq!(
            waiting(&conn, &sites).unwrap(),
            vec![
                ("news".to_owned(), "pending", 2),
                ("news".to_owned(), "reported", 0),
                ("sport".to_owned(), "pending", 0),
                ("sport".to_owned(), "reported", 0),
            ]
        );
        assert_eq!(webhook_backlog(&conn).unwrap(), 1);
    }
}
