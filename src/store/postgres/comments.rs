//! Comments on PostgreSQL: submitting one (author context, decision, duplicate check,
//! insert with reasons and webhook event, one transaction), the article listing, one
//! comment with everything stored about it, and published counts per article.
//!
//! # Duplicates across instances
//! "Same body by the same e-mail or IP on the site within the window" must hold when two
//! instances store the same comment at the same instant. READ COMMITTED lets both
//! transactions check, find nothing (neither sees the other's uncommitted row) and insert.
//! Before the check each submission therefore takes a transaction-scoped advisory lock
//! (`pg_advisory_xact_lock`) on a 64-bit hash of (site, body hash): every pair of comments
//! that could be duplicates of each other has the same site and body, so they queue on the
//! same lock, and the second one's check — a new statement, a new snapshot — sees the
//! first one's committed row. Unrelated comments never wait for each other (a collision of
//! the 64-bit keys only makes two of them wait). Alternatives were worse: SERIALIZABLE
//! would abort and retry whole submissions under load; a unique index cannot say "within
//! the window, by e-mail *or* IP"; locking on the author would miss the same text from
//! the same IP under two e-mails.
use std::sync::Arc;

use deadpool_postgres::Transaction;
use tokio_postgres::Row;

use super::outbox::enqueue_event;
use super::{in_transaction, lock, lock_key, parse_status, to_i64, to_u64, PgError, PgStore};
use crate::domain::{
    ArticleId, ArticleTitle, AuthorContext, AuthorEmail, AuthorQuery, Ban, CommentId, Decide,
    ModelScore, ParentInfo, Reason, ReasonCode, Refusal, SiteId,
};
use crate::store::outbox::WebhookEvent;
use crate::store::{
    NewCommentRecord, PublishedComment, StoreError, StoredComment, Submitted, Verdict,
};

/// Everything the decision needs about the author and the parent, in one round trip.
/// `$3` (e-mail) and `$6` (parent) may be NULL; the published count stops at `$5`. The
/// parent is locked `FOR KEY SHARE` (as the reply's foreign key will): an erasure or purge
/// deleting it at the same moment either waits for this submission or is seen to have
/// deleted it, never leaves a reply to a deleted comment.
///
/// The parent is looked up by its primary key alone and its site compared outside the
/// lookup: with `site_id = $1` beside `id = $6`, a generic plan made while the table was
/// small or never analysed walked an author index on `site_id` alone and filtered on `id`
/// — every comment of the site, at every submission, slower as the table grew (seen with
/// `benches/capacity.sh`: 4 ms per submission at 5,000 comments). A parent on another site
/// is locked too, harmlessly: the reply is refused.
const AUTHOR_CONTEXT: &str = "SELECT
    (SELECT note FROM bans
      WHERE site_id = $1 AND author_email = $3 AND lifted_at IS NULL
        AND (until IS NULL OR until > $2) LIMIT 1),
    (SELECT note FROM bans
      WHERE site_id = $1 AND client_ip = $4 AND lifted_at IS NULL
        AND (until IS NULL OR until > $2) LIMIT 1),
    (SELECT COUNT(*) FROM (SELECT 1 FROM comments
      WHERE site_id = $1 AND author_email = $3 AND status = 'published' LIMIT $5) p),
    EXISTS (SELECT 1 FROM comments
      WHERE site_id = $1 AND author_email = $3 AND status = 'rejected'),
    CASE WHEN p.site_id = $1 THEN p.article_id END,
    CASE WHEN p.site_id = $1 THEN p.status END
 FROM (SELECT 1) one
 LEFT JOIN LATERAL (SELECT site_id, article_id, status FROM comments
                    WHERE id = $6 FOR KEY SHARE) p ON TRUE";

/// Same body by the same e-mail (`$4`, may be NULL) or IP on the site since `$3`: one
/// probe of each author index, every status named so the index's third column is used.
const DUPLICATE: &str = "(SELECT id FROM comments
     WHERE site_id = $1 AND author_email = $4
       AND status IN ('published', 'pending', 'rejected', 'reported')
       AND body_hash = $2 AND created_at >= $3 LIMIT 1)
 UNION ALL
 (SELECT id FROM comments
     WHERE site_id = $1 AND client_ip = $5
       AND status IN ('published', 'pending', 'rejected', 'reported')
       AND body_hash = $2 AND created_at >= $3 LIMIT 1)
 LIMIT 1";

const INSERT_COMMENT: &str = "INSERT INTO comments (
        site_id, article_id, article_url, parent_id, author_name, author_email,
        author_url, body, body_hash, status, spam_score, abuse_score, spam_tokens,
        abuse_tokens, client_ip, user_agent, created_at, updated_at, article_title)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18)
     RETURNING id";

/// All of a comment's reasons in one statement, `seq` from 0 in the verdict's order.
const INSERT_REASONS: &str = "INSERT INTO comment_reasons (comment_id, seq, code, outcome, detail)
     SELECT $1, (r.n - 1)::INTEGER, r.code, r.outcome, r.detail
     FROM unnest($2::TEXT[], $3::TEXT[], $4::TEXT[]) WITH ORDINALITY AS r(code, outcome, detail, n)";

const LISTING: &str = "SELECT id, parent_id, author_name, author_url, body, created_at
     FROM comments
     WHERE site_id = $1 AND article_id = $2 AND status = 'published' AND id > $3
     ORDER BY id
     LIMIT $4";

const GET: &str = "SELECT id, site_id, article_id, article_url, parent_id, author_name,
        author_email, author_url, body, status, spam_score, abuse_score, spam_tokens,
        abuse_tokens, client_ip, user_agent, created_at, updated_at, version, article_title
     FROM comments WHERE id = $1";

const REASONS: &str =
    "SELECT code, outcome, detail FROM comment_reasons WHERE comment_id = $1 ORDER BY seq";

/// Published comments of each of the articles `$2` (a range of `comments_by_article`
/// per article); articles without any are absent.
const PUBLISHED_COUNTS: &str = "SELECT article_id, COUNT(*) FROM comments
     WHERE site_id = $1 AND article_id = ANY($2) AND status = 'published'
     GROUP BY article_id";

/// A stored id; a non-positive one is corrupt data.
pub(super) fn comment_id(raw: i64) -> Result<CommentId, PgError> {
    CommentId::new(raw).ok_or_else(|| PgError::Corrupt(format!("comment id {raw}")))
}

fn optional_id(raw: Option<i64>) -> Result<Option<CommentId>, PgError> {
    raw.map(comment_id).transpose()
}

pub(super) async fn author_context(
    tx: &Transaction<'_>,
    q: &AuthorQuery,
    now: i64,
) -> Result<AuthorContext, PgError> {
    let email = q.email.as_ref().map(AuthorEmail::as_str);
    let ip = q.ip.to_string();
    let limit = if email.is_some() {
        i64::from(q.trust_after)
    } else {
        0
    };
    let parent = q.parent.map(CommentId::get);
    let stmt = tx.prepare_cached(AUTHOR_CONTEXT).await?;
    let row = tx
        .query_one(
            &stmt,
            &[&q.site.as_str(), &now, &email, &ip, &limit, &parent],
        )
        .await?;
    let email_ban: Option<String> = row.get(0);
    let ip_ban: Option<String> = row.get(1);
    let ban = match (email.and(email_ban), ip_ban) {
        (Some(note), _) => Some(Ban::Email { note }),
        (None, Some(note)) => Some(Ban::Ip { note }),
        (None, None) => None,
    };
    let published = u32::try_from(row.get::<_, i64>(2)).unwrap_or(u32::MAX);
    // As in SQLite, `has_rejected` is only looked at once the count reached trust_after.
    let has_rejected = q.trust_after > 0 && published >= q.trust_after && row.get::<_, bool>(3);
    let parent = match (
        row.get::<_, Option<String>>(4),
        row.get::<_, Option<String>>(5),
    ) {
        (Some(article_id), Some(status)) => Some(ParentInfo {
            article_id,
            published: status == "published",
        }),
        _ => None,
    };
    Ok(AuthorContext {
        ban,
        published: if q.trust_after > 0 { published } else { 0 },
        has_rejected,
        parent,
    })
}

/// Inserts `rec` with `verdict` unless it is a duplicate (see the module doc for the lock).
pub(super) async fn insert(
    tx: &Transaction<'_>,
    rec: &NewCommentRecord,
    verdict: &Verdict,
    now: i64,
) -> Result<Submitted, PgError> {
    let c = &rec.comment;
    let site = c.site.as_str();
    let email = c.author_email.as_ref().map(AuthorEmail::as_str);
    let ip = c.client_ip.to_string();
    let hash = rec.body_hash();
    let window = i64::try_from(rec.duplicate_window().as_millis()).unwrap_or(i64::MAX);
    let since = now.saturating_sub(window);

    lock(tx, lock_key(&[b"duplicate", site.as_bytes(), &hash[..]])).await?;
    let dup = tx.prepare_cached(DUPLICATE).await?;
    let existing = tx
        .query_opt(&dup, &[&site, &&hash[..], &since, &email, &ip])
        .await?;
    if let Some(row) = existing {
        return Ok(Submitted::Duplicate {
            existing: comment_id(row.get(0))?,
        });
    }

    let (spam_tokens, abuse_tokens) = rec.tokens_json();
    let insert = tx.prepare_cached(INSERT_COMMENT).await?;
    let row = tx
        .query_one(
            &insert,
            &[
                &site,
                &c.article_id.as_str(),
                &c.article_url.as_ref().map(|u| u.as_str()),
                &c.parent_id.map(CommentId::get),
                &c.author_name.as_str(),
                &email,
                &c.author_url.as_ref().map(|u| u.as_str()),
                &c.body.as_str(),
                &&hash[..],
                &verdict.status.as_str(),
                &rec.spam.as_ref().map(|s| s.probability),
                &rec.abuse.as_ref().map(|s| s.probability),
                &spam_tokens,
                &abuse_tokens,
                &ip,
                &c.user_agent,
                &now,
                &rec.article_title().map(ArticleTitle::as_str),
            ],
        )
        .await?;
    let id: i64 = row.get(0);
    if !verdict.reasons.is_empty() {
        let codes: Vec<&str> = verdict.reasons.iter().map(|r| r.code.as_str()).collect();
        let outcomes: Vec<&str> = verdict.reasons.iter().map(|r| r.outcome.as_str()).collect();
        let details: Vec<&str> = verdict.reasons.iter().map(|r| r.detail.as_str()).collect();
        let reasons = tx.prepare_cached(INSERT_REASONS).await?;
        tx.execute(&reasons, &[&id, &codes, &outcomes, &details])
            .await?;
    }
    // Same transaction as the insert: the webhook event exists iff the comment does.
    let event = WebhookEvent::for_status(verdict.status);
    enqueue_event(tx, site, event, id, now).await?;
    Ok(Submitted::Stored {
        id: comment_id(id)?,
        created_at: now,
    })
}

fn score(probability: Option<f64>, tokens: Option<String>) -> Option<ModelScore> {
    probability.map(|probability| ModelScore {
        probability,
        top_tokens: tokens
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default(),
    })
}

/// A reason row as stored (snake_case code and outcome).
pub(super) fn reason(code: String, outcome: String, detail: String) -> Result<Reason, PgError> {
    let code: ReasonCode = serde_json::from_value(serde_json::Value::String(code))
        .map_err(|e| PgError::Corrupt(e.to_string()))?;
    let outcome = serde_json::from_value(serde_json::Value::String(outcome))
        .map_err(|e| PgError::Corrupt(e.to_string()))?;
    Ok(Reason {
        code,
        outcome,
        detail,
    })
}

fn stored_comment(row: &Row) -> Result<StoredComment, PgError> {
    Ok(StoredComment {
        id: comment_id(row.get(0))?,
        site_id: row.get(1),
        article_id: row.get(2),
        article_url: row.get(3),
        article_title: row.get(19),
        parent_id: optional_id(row.get(4))?,
        author_name: row.get(5),
        author_email: row.get(6),
        author_url: row.get(7),
        body: row.get(8),
        status: parse_status(row.get(9))?,
        spam: score(row.get(10), row.get(12)),
        abuse: score(row.get(11), row.get(13)),
        reasons: Vec::new(),
        client_ip: row.get(14),
        user_agent: row.get(15),
        created_at: row.get(16),
        updated_at: row.get(17),
        version: row.get(18),
    })
}

/// One comment with its reasons (any client: a transaction's or a plain one).
pub(super) async fn get<C: deadpool_postgres::GenericClient>(
    client: &C,
    id: CommentId,
) -> Result<Option<StoredComment>, PgError> {
    let stmt = client.prepare_cached(GET).await?;
    let Some(row) = client.query_opt(&stmt, &[&id.get()]).await? else {
        return Ok(None);
    };
    let mut comment = stored_comment(&row)?;
    let stmt = client.prepare_cached(REASONS).await?;
    for row in client.query(&stmt, &[&id.get()]).await? {
        comment
            .reasons
            .push(reason(row.get(0), row.get(1), row.get(2))?);
    }
    Ok(Some(comment))
}

impl PgStore {
    /// Submits a comment in one transaction (as [`crate::store::Comments::submit`]): looks up
    /// what the decision needs (active bans, the author's history up to `trust_after`, the
    /// parent on the same site), calls `decide`, then — unless it refused — checks for a
    /// duplicate under the (site, body) advisory lock and inserts the comment, its reasons
    /// and its webhook event. Returns after COMMIT. `decide` may run more than once if the
    /// transaction is retried after a deadlock.
    #[tracing::instrument(level = "debug", skip_all, fields(site = %query.site))]
    pub(super) async fn submit(
        &self,
        query: AuthorQuery,
        record: Arc<NewCommentRecord>,
        decide: Arc<dyn Decide>,
    ) -> Result<Result<(Submitted, Verdict), Refusal>, StoreError> {
        in_transaction!(self, |tx| {
            let now = self.now();
            let author = author_context(&tx, &query, now).await?;
            match decide.decide(&author, &record.comment) {
                Ok(verdict) => {
                    let submitted = insert(&tx, &record, &verdict, now).await?;
                    Ok::<_, PgError>(Ok((submitted, verdict)))
                }
                Err(refusal) => Ok(Err(refusal)),
            }
        })
    }

    /// Published comments of an article, oldest first, after the keyset cursor `after`.
    #[tracing::instrument(level = "debug", skip(self))]
    pub(super) async fn published(
        &self,
        site: SiteId,
        article: ArticleId,
        after: Option<CommentId>,
        limit: usize,
    ) -> Result<Vec<PublishedComment>, StoreError> {
        let run = async {
            let client = self.client().await?;
            let stmt = client.prepare_cached(LISTING).await?;
            let rows = client
                .query(
                    &stmt,
                    &[
                        &site.as_str(),
                        &article.as_str(),
                        &after.map_or(0, CommentId::get),
                        &to_i64(limit),
                    ],
                )
                .await?;
            rows.iter()
                .map(|row| {
                    Ok(PublishedComment {
                        id: comment_id(row.get(0))?,
                        parent_id: optional_id(row.get(1))?,
                        author_name: row.get(2),
                        author_url: row.get(3),
                        body: row.get(4),
                        created_at: row.get(5),
                    })
                })
                .collect::<Result<Vec<_>, PgError>>()
        };
        Ok(run.await?)
    }

    /// One comment with everything stored about it.
    #[tracing::instrument(level = "debug", skip(self))]
    pub(super) async fn comment(&self, id: CommentId) -> Result<Option<StoredComment>, StoreError> {
        let run = async {
            let client = self.client().await?;
            get(&client, id).await
        };
        Ok(run.await?)
    }

    /// The number of published comments of each of `articles`, in the same order.
    #[tracing::instrument(level = "debug", skip(self))]
    pub(super) async fn published_counts(
        &self,
        site: SiteId,
        articles: Vec<ArticleId>,
    ) -> Result<Vec<u64>, StoreError> {
        let run = async {
            let client = self.client().await?;
            let stmt = client.prepare_cached(PUBLISHED_COUNTS).await?;
            let names: Vec<&str> = articles.iter().map(ArticleId::as_str).collect();
            let rows = client.query(&stmt, &[&site.as_str(), &names]).await?;
            let counts = names
                .iter()
                .map(|name| {
                    rows.iter()
                        .find(|row| row.get::<_, &str>(0) == *name)
                        .map_or(0, |row| to_u64(row.get(1)))
                })
                .collect::<Vec<u64>>();
            Ok::<_, PgError>(counts)
        };
        Ok(run.await?)
    }
}
