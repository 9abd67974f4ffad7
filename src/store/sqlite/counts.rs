//! How many published comments each of a few articles has (article lists show a count
//! next to each headline).
//!
//! One `COUNT(*)` per article, each a range scan of the `comments_by_article` index
//! (`site_id, article_id, status, id`), all in one read on one connection.
use rusqlite::{params, Connection};

use crate::domain::{ArticleId, SiteId};
use crate::store::StoreError;

const COUNT: &str = "SELECT COUNT(*) FROM comments
     WHERE site_id = ?1 AND article_id = ?2 AND status = 'published'";

pub(super) fn published_counts(
    conn: &Connection,
    site: &SiteId,
    articles: &[ArticleId],
) -> Result<Vec<u64>, StoreError> {
    let mut stmt = conn.prepare_cached(COUNT)?;
    articles
        .iter()
        .map(|article| {
            let n: i64 = stmt.query_row(params![site.as_str(), article.as_str()], |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .collect()
}
