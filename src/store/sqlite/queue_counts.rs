//! How many comments of a status wait on each site and for each reason: the numbers the
//! review page shows beside the queue and refreshes on its own.
use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};

use crate::domain::{ReasonCode, Status};
use crate::store::{QueueCounts, StoreError};

/// `c.status = ? AND c.site_id IN (?, …)` and its arguments.
fn filter(status: Status, sites: &[String]) -> (String, Vec<Value>) {
    let mut sql = String::from("c.status = ? AND c.site_id IN (");
    let mut args: Vec<Value> = vec![status.as_str().to_owned().into()];
    for (i, site) in sites.iter().enumerate() {
        sql.push_str(if i == 0 { "?" } else { ", ?" });
        args.push(site.clone().into());
    }
    sql.push(')');
    (sql, args)
}

pub(super) fn counts(
    conn: &Connection,
    status: Status,
    sites: &[String],
) -> Result<QueueCounts, StoreError> {
    let (filter, args) = filter(status, sites);
    let mut per_site: Vec<(String, u64)> = sites.iter().map(|s| (s.clone(), 0)).collect();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT c.site_id, COUNT(*) FROM comments c WHERE {filter} GROUP BY c.site_id"
    ))?;
    let rows = stmt.query_map(params_from_iter(args.iter()), |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (site, n) = row?;
        if let Some(entry) = per_site.iter_mut().find(|(s, _)| *s == site) {
            entry.1 = u64::try_from(n).unwrap_or(0);
        }
    }
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT r.code, COUNT(DISTINCT c.id) FROM comments c
         JOIN comment_reasons r ON r.comment_id = c.id
         WHERE {filter} GROUP BY r.code ORDER BY COUNT(DISTINCT c.id) DESC, r.code"
    ))?;
    let rows = stmt.query_map(params_from_iter(args.iter()), |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
    })?;
    let mut reasons = Vec::new();
    for row in rows {
        let (code, n) = row?;
        // A code this build does not know (written by a newer one) is left out.
        match serde_json::from_value::<ReasonCode>(serde_json::Value::String(code.clone())) {
            Ok(code) => reasons.push((code, u64::try_from(n).unwrap_or(0))),
            Err(_) => tracing::warn!(code, "unknown reason code in the database"),
        }
    }
    let reported: i64 = conn
        .prepare_cached(&format!(
            "SELECT COUNT(*) FROM comments c WHERE {filter}
             AND EXISTS (SELECT 1 FROM comment_reports p WHERE p.comment_id = c.id)"
        ))?
        .query_row(params_from_iter(args.iter()), |row| row.get(0))?;
    Ok(QueueCounts {
        total: per_site.iter().map(|(_, n)| n).sum(),
        sites: per_site,
        reasons,
        reported: u64::try_from(reported).unwrap_or(0),
    })
}
