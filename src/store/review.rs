//! The review queue: listing comments for moderators, deciding them, banning authors, and
//! the labelled decisions that train the next models.
//!
//! # Invariants
//! - Every change a moderator makes to a comment — status, or only its training labels —
//!   bumps `comments.version` and writes one row to the audit log (`decisions`) in the
//!   same writer job, hence the same transaction. A change of status also enqueues its
//!   webhook event (`comment.published` / `comment.rejected`) in that transaction.
//! - A decision names the `version` the moderator saw; it is applied only if the comment
//!   is still at that version. Repeating the decision a moderator already made (same
//!   status, same labels) changes nothing and succeeds whatever the version, so retries
//!   are safe.
//! - The latest decision sets the comment's training labels (`label_spam`,
//!   `label_abuse`) and `decided_at`; [`LabelledDecision`]s are read from there.
//! - Sites are checked here too (the moderator's [`SiteGrants`] travel with each
//!   decision), because a comment's site is only known once it is read.
//!
//! # Queue order and keyset pagination
//! Every order is a sort key `k` plus the id as tie-breaker, and a page continues after
//! the last `(k, id)` shown (a [`QueuePosition`]). `k` is computed by SQLite from stored
//! values, so the position of a comment is exactly reproducible from the cursor:
//! - `oldest` / `newest`: by id (k is 0);
//! - `spam` / `abuse`: the score, highest first (k = −score; a missing score sorts last);
//! - `uncertain`: the distance of the score nearest to its hold threshold, over both
//!   models, with each site's effective thresholds — the comments whose label teaches
//!   the models most come first.
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use serde::Serialize;

use super::comments::{self, StoredComment};
use super::moderators::SiteGrants;
use super::outbox::{enqueue_event, WebhookEvent};
use super::review_context::{self, ParentComment, ReportEntry};
use super::{now_millis, Store, StoreError};
use crate::domain::{
    ArticleId, BanTarget, CommentId, Note, ReasonCode, SearchText, SiteId, Status, TrainingLabels,
    Verdict,
};

/// Most decisions in one bulk request.
pub const MAX_BULK_DECISIONS: usize = 500;

/// Who is acting, as the audit log records it.
#[derive(Debug, Clone)]
pub struct Actor {
    pub moderator_id: i64,
    pub name: String,
}

/// The order of the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueOrder {
    Oldest,
    Newest,
    Spam,
    Abuse,
    Uncertain,
}

impl QueueOrder {
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "oldest" => QueueOrder::Oldest,
            "newest" => QueueOrder::Newest,
            "spam" => QueueOrder::Spam,
            "abuse" => QueueOrder::Abuse,
            "uncertain" => QueueOrder::Uncertain,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            QueueOrder::Oldest => "oldest",
            QueueOrder::Newest => "newest",
            QueueOrder::Spam => "spam",
            QueueOrder::Abuse => "abuse",
            QueueOrder::Uncertain => "uncertain",
        }
    }
}

/// Which comments the `reason` filter keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonFilter {
    /// The pipeline recorded this reason.
    Code(ReasonCode),
    /// Readers reported it at least once.
    Reported,
}

/// A site searched by the queue, with the hold thresholds in force for it.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteHolds {
    pub site: SiteId,
    pub spam_hold: f64,
    pub abuse_hold: f64,
}

/// Where a page of the queue ends: the sort key and id of its last comment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueuePosition {
    pub key: f64,
    pub id: CommentId,
}

/// A queue request, already restricted to sites the moderator may see.
#[derive(Debug, Clone)]
pub struct QueueQuery {
    /// Not empty.
    pub sites: Vec<SiteHolds>,
    pub status: Status,
    pub article_id: Option<ArticleId>,
    pub reason: Option<ReasonFilter>,
    /// Only comments whose body, author name or e-mail contains this.
    pub search: Option<SearchText>,
    pub order: QueueOrder,
    pub after: Option<QueuePosition>,
    pub limit: usize,
}

/// An author's record on a site: their comments by status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AuthorHistory {
    /// What identifies the author: `email` when the comment has one, else `ip`; `none`
    /// when retention erased both.
    pub by: &'static str,
    pub published: u64,
    pub pending: u64,
    pub rejected: u64,
    pub reported: u64,
}

/// One comment as a moderator sees it.
#[derive(Debug, Clone)]
pub struct ReviewItem {
    pub comment: StoredComment,
    /// The article's headline (the comment's own, else the latest known one).
    pub article_title: Option<String>,
    /// The comment a reply answers.
    pub parent: Option<ParentComment>,
    /// What readers said when they reported it, newest first.
    pub reports: Vec<ReportEntry>,
    /// What the latest moderator decision taught the models.
    pub labels: TrainingLabels,
    /// When a moderator last decided it (unix milliseconds).
    pub decided_at: Option<i64>,
    pub report_count: u64,
    pub author_history: AuthorHistory,
}

/// A page of the queue.
#[derive(Debug, Clone)]
pub struct QueuePage {
    pub items: Vec<ReviewItem>,
    /// Comments matching the filter, over all pages.
    pub total: u64,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<QueuePosition>,
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub moderator: String,
    /// `approve`, `reject`, `ban`, or `undo` (a moderator took back their own decision).
    pub action: String,
    pub from_status: Status,
    pub to_status: Status,
    pub label: Option<String>,
    pub note: String,
    /// Unix milliseconds.
    pub at: i64,
}

/// A decision to apply.
#[derive(Debug, Clone)]
pub struct DecisionRequest {
    pub id: CommentId,
    pub verdict: Verdict,
    pub note: Note,
    /// The version the moderator saw.
    pub version: i64,
}

/// Where a comment stands after (or instead of) a decision.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CommentState {
    pub id: CommentId,
    pub site: String,
    pub status: Status,
    pub version: i64,
    pub labels: TrainingLabels,
    /// The latest audit entry, if a moderator ever acted on it.
    pub last_decision: Option<AuditEntry>,
}

/// What became of one decision.
#[derive(Debug, Clone, PartialEq)]
pub enum DecisionOutcome {
    /// Applied (`changed`), or already in force (a repeat: nothing written).
    Applied {
        state: CommentState,
        previous: Status,
        changed: bool,
    },
    NotFound,
    /// The comment belongs to a site the moderator is not granted.
    Forbidden,
    /// Someone changed it since the moderator's `version`.
    Stale {
        current: CommentState,
    },
}

/// A ban to impose.
#[derive(Debug, Clone)]
pub struct BanRequest {
    pub site: SiteId,
    pub target: BanTarget,
    /// Also reject every pending, published or reported comment of the author on the site.
    pub reject_existing: bool,
    /// Unix milliseconds; `None` = until lifted.
    pub until: Option<i64>,
    pub note: Note,
}

/// What a ban did.
#[derive(Debug, Clone, PartialEq)]
pub struct BanOutcome {
    pub ban_id: i64,
    /// Earlier active bans of the same author, lifted in favour of this one.
    pub replaced: u64,
    /// The author's comments rejected by this ban.
    pub rejected: Vec<CommentId>,
}

/// A comment a moderator labelled, for training (see `commentguard export-decisions`).
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledDecision {
    pub comment_id: CommentId,
    pub site: String,
    pub article_id: String,
    pub text: String,
    pub spam: Option<bool>,
    pub abuse: Option<bool>,
    /// Unix milliseconds of the latest decision.
    pub decided_at: i64,
}

/// SQLite's 0/1/NULL label columns.
pub(super) fn labels(spam: Option<i64>, abuse: Option<i64>) -> TrainingLabels {
    TrainingLabels {
        spam: spam.map(|v| v != 0),
        abuse: abuse.map(|v| v != 0),
    }
}

pub(super) fn status(raw: String) -> Result<Status, StoreError> {
    raw.parse().map_err(StoreError::Corrupt)
}

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

fn queue(conn: &Connection, q: &QueueQuery) -> Result<QueuePage, StoreError> {
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
fn item(conn: &Connection, id: CommentId) -> Result<Option<ReviewItem>, StoreError> {
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

fn audit_log(conn: &Connection, id: CommentId) -> Result<Vec<AuditEntry>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, moderator, action, from_status, to_status, label, note, created_at
         FROM decisions WHERE comment_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([id.get()], audit_row)?;
    let raw: Vec<(AuditEntry, String, String)> = rows.collect::<Result<_, _>>()?;
    raw.into_iter()
        .map(|(mut e, from, to)| {
            e.from_status = status(from)?;
            e.to_status = status(to)?;
            Ok(e)
        })
        .collect()
}

/// An audit row with its statuses still as text (parsed by the caller, which can fail).
fn audit_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(AuditEntry, String, String)> {
    Ok((
        AuditEntry {
            id: row.get(0)?,
            moderator: row.get(1)?,
            action: row.get(2)?,
            from_status: Status::Pending,
            to_status: Status::Pending,
            label: row.get(5)?,
            note: row.get(6)?,
            at: row.get(7)?,
        },
        row.get(3)?,
        row.get(4)?,
    ))
}

fn last_decision(conn: &Connection, id: CommentId) -> Result<Option<AuditEntry>, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT id, moderator, action, from_status, to_status, label, note, created_at
             FROM decisions WHERE comment_id = ?1 ORDER BY id DESC LIMIT 1",
        )?
        .query_row([id.get()], audit_row)
        .optional()?;
    row.map(|(mut e, from, to)| {
        e.from_status = status(from)?;
        e.to_status = status(to)?;
        Ok(e)
    })
    .transpose()
}

/// The decision-relevant state of a comment, read on the writer's connection.
pub(super) fn state(
    conn: &Connection,
    id: CommentId,
) -> Result<Option<(CommentState, bool)>, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT site_id, status, version, label_spam, label_abuse, decided_at IS NOT NULL
             FROM comments WHERE id = ?1",
        )?
        .query_row([id.get()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                labels(row.get(3)?, row.get(4)?),
                row.get::<_, bool>(5)?,
            ))
        })
        .optional()?;
    let Some((site, raw_status, version, labels, decided)) = row else {
        return Ok(None);
    };
    let state = CommentState {
        id,
        site,
        status: status(raw_status)?,
        version,
        labels,
        last_decision: last_decision(conn, id)?,
    };
    Ok(Some((state, decided)))
}

/// Moves a comment to `to` (bumping its version), records the labels and the audit row,
/// and — when the status changed — enqueues the webhook event. One writer job: atomic.
#[allow(clippy::too_many_arguments)]
fn record_change(
    conn: &Connection,
    actor: &Actor,
    id: CommentId,
    site: &str,
    from: Status,
    to: Status,
    labels: TrainingLabels,
    action: &str,
    label: Option<&str>,
    note: &str,
    now: i64,
) -> Result<(), StoreError> {
    // The audit row first: it keeps the labels and decision time the change replaces,
    // which an undo restores (see `undo`).
    conn.prepare_cached(
        "INSERT INTO decisions
            (comment_id, moderator_id, moderator, action, from_status, to_status, label, note,
             created_at, prev_label_spam, prev_label_abuse, prev_decided_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, label_spam, label_abuse, decided_at
         FROM comments WHERE id = ?1",
    )?
    .execute(params![
        id.get(),
        actor.moderator_id,
        actor.name,
        action,
        from.as_str(),
        to.as_str(),
        label,
        note,
        now
    ])?;
    conn.prepare_cached(
        "UPDATE comments SET status = ?2, version = version + 1, updated_at = ?3,
                label_spam = ?4, label_abuse = ?5, decided_at = ?3
         WHERE id = ?1",
    )?
    .execute(params![
        id.get(),
        to.as_str(),
        now,
        labels.spam,
        labels.abuse
    ])?;
    if from != to {
        enqueue_event(conn, site, WebhookEvent::for_status(to).as_str(), id.get())?;
    }
    Ok(())
}

/// Applies one decision (see the module's invariants).
pub(super) fn decide(
    conn: &Connection,
    actor: &Actor,
    grants: &SiteGrants,
    d: &DecisionRequest,
    now: i64,
) -> Result<DecisionOutcome, StoreError> {
    let Some((current, decided)) = state(conn, d.id)? else {
        return Ok(DecisionOutcome::NotFound);
    };
    if !grants.allows(&current.site) {
        return Ok(DecisionOutcome::Forbidden);
    }
    let to = d.verdict.status();
    let labels = d.verdict.training_labels();
    if decided && current.status == to && current.labels == labels {
        let previous = current.status;
        return Ok(DecisionOutcome::Applied {
            state: current,
            previous,
            changed: false,
        });
    }
    if current.version != d.version {
        return Ok(DecisionOutcome::Stale { current });
    }
    record_change(
        conn,
        actor,
        d.id,
        &current.site,
        current.status,
        to,
        labels,
        d.verdict.action(),
        d.verdict.label().map(|l| l.as_str()),
        d.note.as_str(),
        now,
    )?;
    let (state, _) = state(conn, d.id)?
        .ok_or_else(|| StoreError::Corrupt(format!("comment {} vanished", d.id)))?;
    Ok(DecisionOutcome::Applied {
        state,
        previous: current.status,
        changed: true,
    })
}

fn ban(
    conn: &Connection,
    actor: &Actor,
    b: &BanRequest,
    now: i64,
) -> Result<BanOutcome, StoreError> {
    let key = b.target.key();
    let (column, email, ip) = match &b.target {
        BanTarget::Email(_) => ("author_email", Some(key.as_str()), None),
        BanTarget::Ip(_) => ("client_ip", None, Some(key.as_str())),
    };
    let replaced = conn
        .prepare_cached(&format!(
            "UPDATE bans SET lifted_at = ?3, lifted_by = ?4
             WHERE site_id = ?1 AND {column} = ?2 AND lifted_at IS NULL"
        ))?
        .execute(params![b.site.as_str(), key, now, actor.name])?;
    conn.prepare_cached(
        "INSERT INTO bans (site_id, author_email, client_ip, until, note, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        b.site.as_str(),
        email,
        ip,
        b.until,
        b.note.as_str(),
        actor.name,
        now
    ])?;
    let ban_id = conn.last_insert_rowid();
    let mut rejected = Vec::new();
    if b.reject_existing {
        let victims: Vec<(CommentId, String)> = conn
            .prepare_cached(&format!(
                "SELECT id, status FROM comments
                 WHERE site_id = ?1 AND {column} = ?2
                   AND status IN ('pending', 'published', 'reported')
                 ORDER BY id"
            ))?
            .query_map(params![b.site.as_str(), key], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?
            .collect::<Result<_, _>>()?;
        for (id, from) in victims {
            record_change(
                conn,
                actor,
                id,
                b.site.as_str(),
                status(from)?,
                Status::Rejected,
                TrainingLabels::default(),
                "ban",
                None,
                b.note.as_str(),
                now,
            )?;
            rejected.push(id);
        }
    }
    Ok(BanOutcome {
        ban_id,
        replaced: u64::try_from(replaced).unwrap_or(0),
        rejected,
    })
}

fn unban(
    conn: &Connection,
    actor: &Actor,
    site: &SiteId,
    target: &BanTarget,
    now: i64,
) -> Result<u64, StoreError> {
    let column = match target {
        BanTarget::Email(_) => "author_email",
        BanTarget::Ip(_) => "client_ip",
    };
    let lifted = conn
        .prepare_cached(&format!(
            "UPDATE bans SET lifted_at = ?3, lifted_by = ?4
             WHERE site_id = ?1 AND {column} = ?2 AND lifted_at IS NULL
               AND (until IS NULL OR until > ?3)"
        ))?
        .execute(params![site.as_str(), target.key(), now, actor.name])?;
    Ok(u64::try_from(lifted).unwrap_or(0))
}

fn labelled_decisions(
    conn: &Connection,
    site: Option<&str>,
) -> Result<Vec<LabelledDecision>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, site_id, article_id, body, label_spam, label_abuse, decided_at
         FROM comments
         WHERE decided_at IS NOT NULL
           AND (label_spam IS NOT NULL OR label_abuse IS NOT NULL)
           AND (?1 IS NULL OR site_id = ?1)
         ORDER BY id",
    )?;
    let rows = stmt.query_map([site], |row| {
        let l = labels(row.get(4)?, row.get(5)?);
        Ok(LabelledDecision {
            comment_id: row.get(0)?,
            site: row.get(1)?,
            article_id: row.get(2)?,
            text: row.get(3)?,
            spam: l.spam,
            abuse: l.abuse,
            decided_at: row.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

impl Store {
    /// A page of the review queue.
    #[tracing::instrument(level = "debug", skip_all, fields(status = %query.status, order = query.order.as_str()))]
    pub async fn review_queue(&self, query: QueueQuery) -> Result<QueuePage, StoreError> {
        self.read(move |conn| queue(conn, &query)).await
    }

    /// One comment for a moderator, with its audit log (oldest entry first).
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn review_item(
        &self,
        id: CommentId,
    ) -> Result<Option<(ReviewItem, Vec<AuditEntry>)>, StoreError> {
        self.read(move |conn| match item(conn, id)? {
            Some(item) => Ok(Some((item, audit_log(conn, id)?))),
            None => Ok(None),
        })
        .await
    }

    /// Applies decisions in order, each on its own (one refused does not stop the
    /// others), all in one writer job: one transaction, one fsync.
    #[tracing::instrument(level = "debug", skip_all, fields(moderator = %actor.name, n = decisions.len()))]
    pub async fn decide(
        &self,
        actor: Actor,
        grants: SiteGrants,
        decisions: Vec<DecisionRequest>,
    ) -> Result<Vec<DecisionOutcome>, StoreError> {
        self.write(move |conn| {
            let now = now_millis();
            decisions
                .iter()
                .map(|d| decide(conn, &actor, &grants, d, now))
                .collect()
        })
        .await
    }

    /// Bans an author from a site (lifting any earlier ban of theirs) and, if asked,
    /// rejects their pending, published and reported comments there — one transaction.
    #[tracing::instrument(level = "debug", skip_all, fields(moderator = %actor.name, site = %request.site))]
    pub async fn ban(&self, actor: Actor, request: BanRequest) -> Result<BanOutcome, StoreError> {
        self.write(move |conn| ban(conn, &actor, &request, now_millis()))
            .await
    }

    /// Lifts the author's active bans on the site; returns how many were lifted.
    #[tracing::instrument(level = "debug", skip_all, fields(moderator = %actor.name, site = %site))]
    pub async fn unban(
        &self,
        actor: Actor,
        site: SiteId,
        target: BanTarget,
    ) -> Result<u64, StoreError> {
        self.write(move |conn| unban(conn, &actor, &site, &target, now_millis()))
            .await
    }

    /// Every comment a moderator decided with a training label (the latest decision
    /// wins), of one site or all, oldest comment first. What `export-decisions` writes
    /// and `train --with-decisions` learns from.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn labelled_decisions(
        &self,
        site: Option<&SiteId>,
    ) -> Result<Vec<LabelledDecision>, StoreError> {
        let site = site.map(|s| s.as_str().to_owned());
        self.read(move |conn| labelled_decisions(conn, site.as_deref()))
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::domain::{
        AuthorEmail, AuthorName, CommentBody, ModelScore, NewComment, Outcome, Reason, RejectLabel,
    };
    use crate::store::comments::{insert, NewCommentRecord, Submitted, Verdict as CommentVerdict};

    /// A migrated database with moderator 1, `ann` (the audit log refers to moderators).
    fn conn() -> Connection {
        let conn = super::super::schema::migrated_in_memory();
        conn.execute(
            "INSERT INTO moderators (id, name, token_sha256, created_at) VALUES (1, 'ann', x'00', 0)",
            [],
        )
        .unwrap();
        conn
    }

    fn actor() -> Actor {
        Actor {
            moderator_id: 1,
            name: "ann".into(),
        }
    }

    fn site() -> SiteId {
        SiteId::parse("news").unwrap()
    }

    /// Stores a comment by `email` from `ip` with the given scores and status.
    fn add(
        conn: &Connection,
        email: &str,
        ip: &str,
        spam: f64,
        abuse: f64,
        status: Status,
    ) -> CommentId {
        let body = format!("comment {spam} {abuse} {email} {ip}");
        let comment = NewComment {
            site: site(),
            article_id: ArticleId::parse("a1").unwrap(),
            article_url: None,
            parent_id: None,
            author_name: AuthorName::parse("Ann").unwrap(),
            author_email: Some(AuthorEmail::parse(email).unwrap()),
            author_url: None,
            body: CommentBody::parse(&body).unwrap(),
            client_ip: ip.parse().unwrap(),
            user_agent: None,
        };
        let score = |p| {
            Some(ModelScore {
                probability: p,
                top_tokens: vec![],
            })
        };
        let reasons = vec![Reason {
            code: ReasonCode::Spam,
            outcome: Outcome::Hold,
            detail: String::new(),
        }];
        let record =
            NewCommentRecord::new(comment, score(spam), score(abuse), Duration::from_secs(1));
        match insert(conn, &record, &CommentVerdict { status, reasons }, 0).unwrap() {
            Submitted::Stored { id, .. } => id,
            other => panic!("{other:?}"),
        }
    }

    fn request(id: CommentId, verdict: Verdict, version: i64) -> DecisionRequest {
        DecisionRequest {
            id,
            verdict,
            note: Note::default(),
            version,
        }
    }

    fn audit_rows(conn: &Connection) -> i64 {
        conn.query_row("SELECT COUNT(*) FROM decisions", [], |r| r.get(0))
            .unwrap()
    }

    /// Approving publishes, records labels and one audit row; repeating changes nothing;
    /// a different decision on the old version is stale; on the new one it applies.
    #[test]
    fn decide_versions_and_repeats() {
        let conn = conn();
        let id = add(&conn, "a@x.io", "1.1.1.1", 0.9, 0.1, Status::Pending);
        let all = SiteGrants::All;

        let first = decide(&conn, &actor(), &all, &request(id, Verdict::Approve, 1), 5).unwrap();
        let DecisionOutcome::Applied {
            state,
            previous,
            changed,
        } = first
        else {
            panic!("{first:?}")
        };
        assert!(changed);
        assert_eq!(previous, Status::Pending);
        assert_eq!((state.status, state.version), (Status::Published, 2));
        assert_eq!(state.labels, Verdict::Approve.training_labels());
        assert_eq!(state.last_decision.unwrap().moderator, "ann");
        assert_eq!(audit_rows(&conn), 1);

        let repeat = decide(&conn, &actor(), &all, &request(id, Verdict::Approve, 1), 6).unwrap();
        assert!(
            matches!(repeat, DecisionOutcome::Applied { changed: false, ref state, .. } if state.version == 2),
            "{repeat:?}"
        );
        assert_eq!(audit_rows(&conn), 1, "a repeat writes nothing");

        let reject = Verdict::Reject(RejectLabel::Spam);
        let stale = decide(&conn, &actor(), &all, &request(id, reject, 1), 7).unwrap();
        assert!(
            matches!(stale, DecisionOutcome::Stale { ref current } if current.version == 2),
            "{stale:?}"
        );
        let taken_down = decide(&conn, &actor(), &all, &request(id, reject, 2), 8).unwrap();
        assert!(matches!(
            taken_down,
            DecisionOutcome::Applied { changed: true, .. }
        ));
        assert_eq!(audit_log(&conn, id).unwrap().len(), 2);
    }

    /// Unknown ids and other sites' comments are refused without writing.
    #[test]
    fn decide_refusals() {
        let conn = conn();
        let id = add(&conn, "a@x.io", "1.1.1.1", 0.9, 0.1, Status::Pending);
        let other = SiteGrants::Only(vec!["sport".into()]);
        let missing = CommentId::new(999).unwrap();
        assert_eq!(
            decide(
                &conn,
                &actor(),
                &SiteGrants::All,
                &request(missing, Verdict::Approve, 1),
                1
            )
            .unwrap(),
            DecisionOutcome::NotFound
        );
        assert_eq!(
            decide(
                &conn,
                &actor(),
                &other,
                &request(id, Verdict::Approve, 1),
                1
            )
            .unwrap(),
            DecisionOutcome::Forbidden
        );
        assert_eq!(audit_rows(&conn), 0);
    }

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

    /// A ban with reject_existing rejects the author's visible and held comments (with an
    /// audit row each) and leaves other authors alone; unban lifts it.
    #[test]
    fn ban_rejects_existing_and_unban_lifts() {
        let conn = conn();
        let a = add(&conn, "bad@x.io", "1.1.1.1", 0.9, 0.1, Status::Pending);
        let b = add(&conn, "bad@x.io", "2.2.2.2", 0.1, 0.1, Status::Published);
        let c = add(&conn, "good@x.io", "1.1.1.1", 0.1, 0.1, Status::Published);
        let request = BanRequest {
            site: site(),
            target: BanTarget::Email(AuthorEmail::parse("BAD@x.io").unwrap()),
            reject_existing: true,
            until: None,
            note: Note::parse(Some("spammer")).unwrap(),
        };
        let done = ban(&conn, &actor(), &request, 10).unwrap();
        assert_eq!(done.rejected, vec![a, b]);
        assert_eq!(audit_rows(&conn), 2);
        assert_eq!(
            comments::get(&conn, c).unwrap().unwrap().status,
            Status::Published
        );
        let again = ban(&conn, &actor(), &request, 11).unwrap();
        assert_eq!((again.replaced, again.rejected.len()), (1, 0));
        assert_eq!(
            unban(&conn, &actor(), &site(), &request.target, 12).unwrap(),
            1
        );
        assert_eq!(
            unban(&conn, &actor(), &site(), &request.target, 13).unwrap(),
            0
        );
    }

    /// Only labelled moderator decisions are exported; the latest one wins.
    #[test]
    fn labelled_decisions_follow_the_latest_decision() {
        let conn = conn();
        let spam = add(&conn, "a@x.io", "1.1.1.1", 0.9, 0.1, Status::Pending);
        let other = add(&conn, "b@x.io", "1.1.1.1", 0.9, 0.1, Status::Pending);
        add(&conn, "c@x.io", "1.1.1.1", 0.9, 0.1, Status::Pending);
        let all = SiteGrants::All;
        decide(
            &conn,
            &actor(),
            &all,
            &request(spam, Verdict::Approve, 1),
            1,
        )
        .unwrap();
        decide(
            &conn,
            &actor(),
            &all,
            &request(spam, Verdict::Reject(RejectLabel::Spam), 2),
            2,
        )
        .unwrap();
        decide(
            &conn,
            &actor(),
            &all,
            &request(other, Verdict::Reject(RejectLabel::Other), 1),
            3,
        )
        .unwrap();
        let got = labelled_decisions(&conn, None).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].comment_id, got[0].spam, got[0].abuse),
            (spam, Some(true), None)
        );
        assert!(labelled_decisions(&conn, Some("sport")).unwrap().is_empty());
    }
}
