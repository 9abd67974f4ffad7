//! The review queue on PostgreSQL: listing with keyset cursors, one comment with its
//! context and audit log, decisions (version-checked, idempotent repeats, audit row and
//! webhook event in the transaction of the change), bans and unbans, labelled decisions,
//! queue counts, an author's view and the list of bans. Semantics: the SQLite
//! `store::review`, `review_context`, `queue_counts` and `authors` modules.
//!
//! Decisions lock the comments they decide (`FOR UPDATE`, in id order, before reading
//! them): the version check and the change it guards are atomic across instances, and two
//! bulk requests over the same comments cannot deadlock.
use deadpool_postgres::{GenericClient, Transaction};
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use super::comments::{comment_id, get};
use super::outbox::enqueue_event;
use super::{in_transaction, lock, lock_key, parse_status, to_i64, to_u64, PgError, PgStore};
use crate::domain::{BanTarget, CommentId, ReasonCode, SiteId, Status, TrainingLabels};
use crate::store::authors::{AUTHOR_COMMENTS, MAX_BANS_LISTED};
use crate::store::outbox::WebhookEvent;
use crate::store::review::{check_decision, DecisionCheck};
use crate::store::MAX_REPORTS_SHOWN;
use crate::store::{
    Actor, AuditEntry, AuthorComment, AuthorHistory, AuthorView, BanEntry, BanOutcome, BanRequest,
    CommentState, DecisionOutcome, DecisionRequest, LabelledDecision, ParentComment, QueueCounts,
    QueueOrder, QueuePage, QueuePosition, QueueQuery, ReasonFilter, ReportEntry, ReviewItem,
    SiteGrants, StoreError, StoredComment,
};

/// Parameters of a statement built at run time, numbered as they are pushed.
#[derive(Default)]
struct Params(Vec<Box<dyn ToSql + Sync + Send>>);

impl Params {
    /// Adds `value`; returns its placeholder (`$n`).
    fn push<T: ToSql + Sync + Send + 'static>(&mut self, value: T) -> String {
        self.0.push(Box::new(value));
        format!("${}", self.0.len())
    }

    fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.0
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

/// The WHERE clause (over `comments c`) of a queue query's filters.
fn queue_filter(q: &QueueQuery, p: &mut Params) -> String {
    let sites: Vec<String> = q.sites.iter().map(|s| s.site.as_str().to_owned()).collect();
    let mut sql = format!(
        "c.status = {} AND c.site_id = ANY({})",
        p.push(q.status.as_str().to_owned()),
        p.push(sites)
    );
    if let Some(article) = &q.article_id {
        sql.push_str(&format!(
            " AND c.article_id = {}",
            p.push(article.as_str().to_owned())
        ));
    }
    match q.reason {
        Some(ReasonFilter::Code(code)) => sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM comment_reasons r
                          WHERE r.comment_id = c.id AND r.code = {})",
            p.push(code.as_str().to_owned())
        )),
        Some(ReasonFilter::Reported) => {
            sql.push_str(" AND EXISTS (SELECT 1 FROM comment_reports p WHERE p.comment_id = c.id)")
        }
        None => {}
    }
    if let Some(search) = &q.search {
        // ILIKE: SQLite's LIKE ignores (ASCII) case; PostgreSQL's LIKE does not.
        let pattern = p.push(search.like_pattern());
        sql.push_str(&format!(
            " AND (c.body ILIKE {pattern} ESCAPE '\\' OR c.author_name ILIKE {pattern} ESCAPE '\\'
                   OR c.author_email ILIKE {pattern} ESCAPE '\\')"
        ));
    }
    sql
}

async fn queue<C: GenericClient>(client: &C, q: &QueueQuery) -> Result<QueuePage, PgError> {
    let mut p = Params::default();
    let filter = queue_filter(q, &mut p);
    let total: i64 = client
        .query_one(
            &format!("SELECT COUNT(*) FROM comments c WHERE {filter}"),
            &p.refs(),
        )
        .await?
        .get(0);

    let mut cte = String::new();
    let mut join = "";
    let key = match q.order {
        QueueOrder::Oldest | QueueOrder::Newest => "0.0::FLOAT8",
        QueueOrder::Spam => "-COALESCE(c.spam_score, -1.0)",
        QueueOrder::Abuse => "-COALESCE(c.abuse_score, -1.0)",
        QueueOrder::Uncertain => {
            let sites: Vec<String> = q.sites.iter().map(|s| s.site.as_str().to_owned()).collect();
            let spam: Vec<f64> = q.sites.iter().map(|s| s.spam_hold).collect();
            let abuse: Vec<f64> = q.sites.iter().map(|s| s.abuse_hold).collect();
            cte = format!(
                "WITH t(site_id, spam_hold, abuse_hold) AS (
                     SELECT * FROM unnest({}::TEXT[], {}::FLOAT8[], {}::FLOAT8[])) ",
                p.push(sites),
                p.push(spam),
                p.push(abuse)
            );
            join = "JOIN t ON t.site_id = c.site_id";
            "LEAST(COALESCE(ABS(c.spam_score - t.spam_hold), 2.0),
                   COALESCE(ABS(c.abuse_score - t.abuse_hold), 2.0))"
        }
    };
    let mut sql = format!(
        "{cte}SELECT id, k FROM (SELECT c.id AS id, ({key})::FLOAT8 AS k FROM comments c {join} WHERE {filter}) q"
    );
    let order_by = match q.order {
        QueueOrder::Oldest => "id",
        QueueOrder::Newest => "id DESC",
        _ => "k, id",
    };
    if let Some(pos) = q.after {
        let after = match q.order {
            QueueOrder::Oldest => format!("id > {}", p.push(pos.id.get())),
            QueueOrder::Newest => format!("id < {}", p.push(pos.id.get())),
            _ => {
                let k = p.push(pos.key);
                format!("(k > {k} OR (k = {k} AND id > {}))", p.push(pos.id.get()))
            }
        };
        sql.push_str(" WHERE ");
        sql.push_str(&after);
    }
    // One more than asked: tells whether another page follows.
    sql.push_str(&format!(
        " ORDER BY {order_by} LIMIT {}",
        p.push(to_i64(q.limit.saturating_add(1)))
    ));
    let rows = client.query(&sql, &p.refs()).await?;
    let mut positions = rows
        .iter()
        .map(|row| {
            Ok(QueuePosition {
                id: comment_id(row.get(0))?,
                key: row.get(1),
            })
        })
        .collect::<Result<Vec<_>, PgError>>()?;
    let more = positions.len() > q.limit;
    positions.truncate(q.limit);
    let mut items = Vec::with_capacity(positions.len());
    for pos in &positions {
        if let Some(item) = item(client, pos.id).await? {
            items.push(item);
        }
    }
    Ok(QueuePage {
        items,
        total: to_u64(total),
        next: if more {
            positions.last().copied()
        } else {
            None
        },
    })
}

/// One comment with everything a moderator needs to decide it.
async fn item<C: GenericClient>(client: &C, id: CommentId) -> Result<Option<ReviewItem>, PgError> {
    let Some(comment) = get(client, id).await? else {
        return Ok(None);
    };
    // The rest in one pipelined round trip: tokio-postgres sends queries polled together
    // on one connection without waiting for each answer.
    let ((labels, decided_at, report_count), author_history, article_title, parent, reports) = tokio::try_join!(
        labels_of(client, id),
        author_history(client, &comment),
        article_title(client, &comment),
        parent(client, comment.parent_id),
        reports(client, id),
    )?;
    Ok(Some(ReviewItem {
        comment,
        article_title,
        parent,
        reports,
        labels,
        decided_at,
        report_count: to_u64(report_count),
        author_history,
    }))
}

/// The training labels, decision time and report count of comment `id`.
async fn labels_of<C: GenericClient>(
    client: &C,
    id: CommentId,
) -> Result<(TrainingLabels, Option<i64>, i64), PgError> {
    let stmt = client
        .prepare_cached(
            "SELECT label_spam, label_abuse, decided_at,
                    (SELECT COUNT(*) FROM comment_reports WHERE comment_id = $1)
             FROM comments WHERE id = $1",
        )
        .await?;
    let row = client.query_one(&stmt, &[&id.get()]).await?;
    let labels = TrainingLabels {
        spam: row.get(0),
        abuse: row.get(1),
    };
    Ok((labels, row.get(2), row.get(3)))
}

/// Counts by status into an [`AuthorHistory`].
fn tally(history: &mut AuthorHistory, rows: &[Row]) -> Result<(), PgError> {
    for row in rows {
        let n = to_u64(row.get(1));
        match parse_status(row.get(0))? {
            Status::Published => history.published = n,
            Status::Pending => history.pending = n,
            Status::Rejected => history.rejected = n,
            Status::Reported => history.reported = n,
        }
    }
    Ok(())
}

/// The author's comments on the site by status: by e-mail if the comment has one, else
/// by IP; `none` when retention erased both.
async fn author_history<C: GenericClient>(
    client: &C,
    c: &StoredComment,
) -> Result<AuthorHistory, PgError> {
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
             WHERE site_id = $1 AND author_email = $2 GROUP BY status",
            email.as_str(),
        ),
        None => (
            "ip",
            "SELECT status, COUNT(*) FROM comments
             WHERE site_id = $1 AND client_ip = $2 GROUP BY status",
            c.client_ip.as_str(),
        ),
    };
    let mut history = AuthorHistory {
        by,
        ..AuthorHistory::default()
    };
    let stmt = client.prepare_cached(sql).await?;
    let rows = client.query(&stmt, &[&c.site_id, &key]).await?;
    tally(&mut history, &rows)?;
    Ok(history)
}

/// The comment's own headline, else the latest one of its article.
async fn article_title<C: GenericClient>(
    client: &C,
    c: &StoredComment,
) -> Result<Option<String>, PgError> {
    if let Some(own) = &c.article_title {
        return Ok(Some(own.clone()));
    }
    let stmt = client
        .prepare_cached(
            "SELECT article_title FROM comments
             WHERE site_id = $1 AND article_id = $2 AND article_title IS NOT NULL
             ORDER BY id DESC LIMIT 1",
        )
        .await?;
    Ok(client
        .query_opt(&stmt, &[&c.site_id, &c.article_id])
        .await?
        .map(|row| row.get(0)))
}

async fn parent<C: GenericClient>(
    client: &C,
    id: Option<CommentId>,
) -> Result<Option<ParentComment>, PgError> {
    let Some(id) = id else {
        return Ok(None);
    };
    let stmt = client
        .prepare_cached("SELECT author_name, body, status, created_at FROM comments WHERE id = $1")
        .await?;
    let Some(row) = client.query_opt(&stmt, &[&id.get()]).await? else {
        return Ok(None);
    };
    Ok(Some(ParentComment {
        id,
        author_name: row.get(0),
        body: row.get(1),
        status: parse_status(row.get(2))?,
        created_at: row.get(3),
    }))
}

async fn reports<C: GenericClient>(client: &C, id: CommentId) -> Result<Vec<ReportEntry>, PgError> {
    let stmt = client
        .prepare_cached(
            "SELECT reason, created_at FROM comment_reports WHERE comment_id = $1
             ORDER BY created_at DESC LIMIT $2",
        )
        .await?;
    let rows = client
        .query(&stmt, &[&id.get(), &to_i64(MAX_REPORTS_SHOWN)])
        .await?;
    Ok(rows
        .iter()
        .map(|row| ReportEntry {
            reason: row.get(0),
            at: row.get(1),
        })
        .collect())
}

const AUDIT_COLUMNS: &str =
    "id, moderator, action, from_status, to_status, label, note, created_at";

fn audit_row(row: &Row) -> Result<AuditEntry, PgError> {
    Ok(AuditEntry {
        id: row.get(0),
        moderator: row.get(1),
        action: row.get(2),
        from_status: parse_status(row.get(3))?,
        to_status: parse_status(row.get(4))?,
        label: row.get(5),
        note: row.get(6),
        at: row.get(7),
    })
}

async fn audit_log<C: GenericClient>(
    client: &C,
    id: CommentId,
) -> Result<Vec<AuditEntry>, PgError> {
    let stmt = client
        .prepare_cached(&format!(
            "SELECT {AUDIT_COLUMNS} FROM decisions WHERE comment_id = $1 ORDER BY id"
        ))
        .await?;
    client
        .query(&stmt, &[&id.get()])
        .await?
        .iter()
        .map(audit_row)
        .collect()
}

async fn last_decision<C: GenericClient>(
    client: &C,
    id: CommentId,
) -> Result<Option<AuditEntry>, PgError> {
    let stmt = client
        .prepare_cached(&format!(
            "SELECT {AUDIT_COLUMNS} FROM decisions WHERE comment_id = $1 ORDER BY id DESC LIMIT 1"
        ))
        .await?;
    client
        .query_opt(&stmt, &[&id.get()])
        .await?
        .as_ref()
        .map(audit_row)
        .transpose()
}

/// The decision-relevant state of a comment, and whether a moderator ever decided it.
pub(super) async fn state<C: GenericClient>(
    client: &C,
    id: CommentId,
) -> Result<Option<(CommentState, bool)>, PgError> {
    let stmt = client
        .prepare_cached(
            "SELECT site_id, status, version, label_spam, label_abuse, decided_at IS NOT NULL
             FROM comments WHERE id = $1",
        )
        .await?;
    let Some(row) = client.query_opt(&stmt, &[&id.get()]).await? else {
        return Ok(None);
    };
    let state = CommentState {
        id,
        site: row.get(0),
        status: parse_status(row.get(1))?,
        version: row.get(2),
        labels: TrainingLabels {
            spam: row.get(3),
            abuse: row.get(4),
        },
        last_decision: last_decision(client, id).await?,
    };
    Ok(Some((state, row.get(5))))
}

/// Locks the comments `ids` for the rest of the transaction, in id order.
pub(super) async fn lock_comments(tx: &Transaction<'_>, ids: &[i64]) -> Result<(), PgError> {
    let stmt = tx
        .prepare_cached("SELECT id FROM comments WHERE id = ANY($1) ORDER BY id FOR UPDATE")
        .await?;
    tx.query(&stmt, &[&ids]).await?;
    Ok(())
}

/// A change of a comment by a moderator: audit row (keeping the labels and decision time
/// it replaces), new status, version + 1, labels, and — when the status changed — the
/// webhook event.
struct Change<'a> {
    id: CommentId,
    site: &'a str,
    from: Status,
    to: Status,
    labels: TrainingLabels,
    action: &'a str,
    label: Option<&'a str>,
    note: &'a str,
}

async fn record_change(
    tx: &Transaction<'_>,
    actor: &Actor,
    c: &Change<'_>,
    now: i64,
) -> Result<(), PgError> {
    let stmt = tx
        .prepare_cached(
            "INSERT INTO decisions
                (comment_id, moderator_id, moderator, action, from_status, to_status, label,
                 note, created_at, prev_label_spam, prev_label_abuse, prev_decided_at)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, label_spam, label_abuse, decided_at
             FROM comments WHERE id = $1",
        )
        .await?;
    tx.execute(
        &stmt,
        &[
            &c.id.get(),
            &actor.moderator_id,
            &actor.name,
            &c.action,
            &c.from.as_str(),
            &c.to.as_str(),
            &c.label,
            &c.note,
            &now,
        ],
    )
    .await?;
    let stmt = tx
        .prepare_cached(
            "UPDATE comments SET status = $2, version = version + 1, updated_at = $3,
                    label_spam = $4, label_abuse = $5, decided_at = $3
             WHERE id = $1",
        )
        .await?;
    tx.execute(
        &stmt,
        &[
            &c.id.get(),
            &c.to.as_str(),
            &now,
            &c.labels.spam,
            &c.labels.abuse,
        ],
    )
    .await?;
    if c.from != c.to {
        enqueue_event(tx, c.site, WebhookEvent::for_status(c.to), c.id.get(), now).await?;
    }
    Ok(())
}

/// Applies one decision (its comment is locked by the caller).
async fn decide(
    tx: &Transaction<'_>,
    actor: &Actor,
    grants: &SiteGrants,
    d: &DecisionRequest,
    now: i64,
) -> Result<DecisionOutcome, PgError> {
    let current = match check_decision(state(tx, d.id).await?, grants, d) {
        DecisionCheck::Write(current) => current,
        DecisionCheck::Answer(outcome) => return Ok(outcome),
    };
    let to = d.verdict.status();
    let labels = d.verdict.training_labels();
    let change = Change {
        id: d.id,
        site: &current.site,
        from: current.status,
        to,
        labels,
        action: d.verdict.action(),
        label: d.verdict.label().map(|l| l.as_str()),
        note: d.note.as_str(),
    };
    record_change(tx, actor, &change, now).await?;
    let (state, _) = state(tx, d.id)
        .await?
        .ok_or_else(|| PgError::Corrupt(format!("comment {} vanished", d.id)))?;
    Ok(DecisionOutcome::Applied {
        state,
        previous: current.status,
        changed: true,
    })
}

fn ban_column(target: &BanTarget) -> &'static str {
    match target {
        BanTarget::Email(_) => "author_email",
        BanTarget::Ip(_) => "client_ip",
    }
}

async fn ban(
    tx: &Transaction<'_>,
    actor: &Actor,
    b: &BanRequest,
    now: i64,
) -> Result<BanOutcome, PgError> {
    let key = b.target.key();
    let column = ban_column(&b.target);
    let (email, ip) = match &b.target {
        BanTarget::Email(_) => (Some(key.as_str()), None),
        BanTarget::Ip(_) => (None, Some(key.as_str())),
    };
    // Two bans of one author at once: the second lifts the first, as in SQLite.
    lock(
        tx,
        lock_key(&[
            b"ban",
            b.site.as_str().as_bytes(),
            column.as_bytes(),
            key.as_bytes(),
        ]),
    )
    .await?;
    let replaced = tx
        .execute(
            &format!(
                "UPDATE bans SET lifted_at = $3, lifted_by = $4
                 WHERE site_id = $1 AND {column} = $2 AND lifted_at IS NULL"
            ),
            &[&b.site.as_str(), &key, &now, &actor.name],
        )
        .await?;
    let ban_id: i64 = tx
        .query_one(
            "INSERT INTO bans (site_id, author_email, client_ip, until, note, created_by,
                               created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &[
                &b.site.as_str(),
                &email,
                &ip,
                &b.until,
                &b.note.as_str(),
                &actor.name,
                &now,
            ],
        )
        .await?
        .get(0);
    let mut rejected = Vec::new();
    if b.reject_existing {
        let victims = tx
            .query(
                &format!(
                    "SELECT id, status FROM comments
                     WHERE site_id = $1 AND {column} = $2
                       AND status IN ('pending', 'published', 'reported')
                     ORDER BY id FOR UPDATE"
                ),
                &[&b.site.as_str(), &key],
            )
            .await?;
        for row in victims {
            let id = comment_id(row.get(0))?;
            let change = Change {
                id,
                site: b.site.as_str(),
                from: parse_status(row.get(1))?,
                to: Status::Rejected,
                labels: TrainingLabels::default(),
                action: "ban",
                label: None,
                note: b.note.as_str(),
            };
            record_change(tx, actor, &change, now).await?;
            rejected.push(id);
        }
    }
    Ok(BanOutcome {
        ban_id,
        replaced,
        rejected,
    })
}

const BAN_COLUMNS: &str = "id, site_id, author_email, client_ip, note, created_by, created_at,
    until, lifted_at, lifted_by";

fn ban_row(row: &Row, now: i64) -> BanEntry {
    let until: Option<i64> = row.get(7);
    let lifted_at: Option<i64> = row.get(8);
    BanEntry {
        id: row.get(0),
        site: row.get(1),
        author_email: row.get(2),
        client_ip: row.get(3),
        note: row.get(4),
        created_by: row.get(5),
        created_at: row.get(6),
        until,
        lifted_at,
        lifted_by: row.get(9),
        active: lifted_at.is_none() && until.is_none_or(|u| u > now),
    }
}

impl PgStore {
    /// A page of the review queue.
    #[tracing::instrument(level = "debug", skip_all, fields(status = %query.status, order = query.order.as_str()))]
    pub(super) async fn review_queue(&self, query: QueueQuery) -> Result<QueuePage, StoreError> {
        let run = async {
            let client = self.client().await?;
            queue(&client, &query).await
        };
        Ok(run.await?)
    }

    /// One comment for a moderator, with its audit log (oldest entry first).
    #[tracing::instrument(level = "debug", skip(self))]
    pub(super) async fn review_item(
        &self,
        id: CommentId,
    ) -> Result<Option<(ReviewItem, Vec<AuditEntry>)>, StoreError> {
        let run = async {
            let client = self.client().await?;
            match item(&client, id).await? {
                Some(item) => Ok(Some((item, audit_log(&client, id).await?))),
                None => Ok::<_, PgError>(None),
            }
        };
        Ok(run.await?)
    }

    /// Applies decisions in order, each on its own (one refused does not stop the
    /// others), all in one transaction; their comments are locked first, in id order.
    #[tracing::instrument(level = "debug", skip_all, fields(moderator = %actor.name, n = decisions.len()))]
    pub(super) async fn decide(
        &self,
        actor: Actor,
        grants: SiteGrants,
        decisions: Vec<DecisionRequest>,
    ) -> Result<Vec<DecisionOutcome>, StoreError> {
        let mut ids: Vec<i64> = decisions.iter().map(|d| d.id.get()).collect();
        ids.sort_unstable();
        ids.dedup();
        in_transaction!(self, |tx| {
            let now = self.now();
            lock_comments(&tx, &ids).await?;
            let mut outcomes = Vec::with_capacity(decisions.len());
            for d in &decisions {
                outcomes.push(decide(&tx, &actor, &grants, d, now).await?);
            }
            Ok::<_, PgError>(outcomes)
        })
    }

    /// Bans an author from a site (lifting any earlier ban of theirs) and, if asked,
    /// rejects their pending, published and reported comments there — one transaction.
    #[tracing::instrument(level = "debug", skip_all, fields(moderator = %actor.name, site = %request.site))]
    pub(super) async fn ban(
        &self,
        actor: Actor,
        request: BanRequest,
    ) -> Result<BanOutcome, StoreError> {
        in_transaction!(self, |tx| ban(&tx, &actor, &request, self.now()).await)
    }

    /// Lifts the author's active bans on the site; returns how many were lifted.
    #[tracing::instrument(level = "debug", skip_all, fields(moderator = %actor.name, site = %site))]
    pub(super) async fn unban(
        &self,
        actor: Actor,
        site: SiteId,
        target: BanTarget,
    ) -> Result<u64, StoreError> {
        let run = async {
            let client = self.client().await?;
            let column = ban_column(&target);
            let lifted = client
                .execute(
                    &format!(
                        "UPDATE bans SET lifted_at = $3, lifted_by = $4
                         WHERE site_id = $1 AND {column} = $2 AND lifted_at IS NULL
                           AND (until IS NULL OR until > $3)"
                    ),
                    &[&site.as_str(), &target.key(), &self.now(), &actor.name],
                )
                .await?;
            Ok::<_, PgError>(lifted)
        };
        Ok(run.await?)
    }

    /// Every comment a moderator decided with a training label (the latest decision
    /// wins), of one site or all, oldest comment first.
    #[tracing::instrument(level = "debug", skip(self))]
    pub(super) async fn labelled_decisions(
        &self,
        site: Option<&SiteId>,
    ) -> Result<Vec<LabelledDecision>, StoreError> {
        let site = site.map(|s| s.as_str().to_owned());
        let run = async {
            let client = self.client().await?;
            let rows = client
                .query(
                    "SELECT id, site_id, article_id, body, label_spam, label_abuse, decided_at
                     FROM comments
                     WHERE decided_at IS NOT NULL
                       AND (label_spam IS NOT NULL OR label_abuse IS NOT NULL)
                       AND ($1::TEXT IS NULL OR site_id = $1)
                     ORDER BY id",
                    &[&site],
                )
                .await?;
            rows.iter()
                .map(|row| {
                    Ok(LabelledDecision {
                        comment_id: comment_id(row.get(0))?,
                        site: row.get(1),
                        article_id: row.get(2),
                        text: row.get(3),
                        spam: row.get(4),
                        abuse: row.get(5),
                        decided_at: row.get(6),
                    })
                })
                .collect::<Result<Vec<_>, PgError>>()
        };
        Ok(run.await?)
    }

    /// Comments of `status` on each of `sites` (not empty), by site and by reason.
    #[tracing::instrument(level = "debug", skip(self))]
    pub(super) async fn queue_counts(
        &self,
        status: Status,
        sites: Vec<String>,
    ) -> Result<QueueCounts, StoreError> {
        let run = async {
            let client = self.client().await?;
            let filter = "c.status = $1 AND c.site_id = ANY($2)";
            let args: [&(dyn ToSql + Sync); 2] = [&status.as_str(), &sites];
            let mut per_site: Vec<(String, u64)> = sites.iter().map(|s| (s.clone(), 0)).collect();
            let rows = client
                .query(
                    &format!(
                        "SELECT c.site_id, COUNT(*) FROM comments c WHERE {filter} GROUP BY c.site_id"
                    ),
                    &args,
                )
                .await?;
            for row in rows {
                let site: String = row.get(0);
                if let Some(entry) = per_site.iter_mut().find(|(s, _)| *s == site) {
                    entry.1 = to_u64(row.get(1));
                }
            }
            let rows = client
                .query(
                    &format!(
                        "SELECT r.code, COUNT(DISTINCT c.id) FROM comments c
                         JOIN comment_reasons r ON r.comment_id = c.id
                         WHERE {filter} GROUP BY r.code
                         ORDER BY COUNT(DISTINCT c.id) DESC, r.code COLLATE \"C\""
                    ),
                    &args,
                )
                .await?;
            let mut reasons = Vec::new();
            for row in rows {
                let code: String = row.get(0);
                // A code this build does not know (written by a newer one) is left out.
                match serde_json::from_value::<ReasonCode>(serde_json::Value::String(code.clone()))
                {
                    Ok(parsed) => reasons.push((parsed, to_u64(row.get(1)))),
                    Err(_) => tracing::warn!(code, "unknown reason code in the database"),
                }
            }
            let reported: i64 = client
                .query_one(
                    &format!(
                        "SELECT COUNT(*) FROM comments c WHERE {filter}
                         AND EXISTS (SELECT 1 FROM comment_reports p WHERE p.comment_id = c.id)"
                    ),
                    &args,
                )
                .await?
                .get(0);
            Ok::<_, PgError>(QueueCounts {
                total: per_site.iter().map(|(_, n)| n).sum(),
                sites: per_site,
                reasons,
                reported: to_u64(reported),
            })
        };
        Ok(run.await?)
    }

    /// An author on `site`: their record, latest comments and every ban of theirs.
    #[tracing::instrument(level = "debug", skip_all, fields(site = %site))]
    pub(super) async fn author(
        &self,
        site: SiteId,
        target: BanTarget,
    ) -> Result<AuthorView, StoreError> {
        let run = async {
            let client = self.client().await?;
            let now = self.now();
            let column = ban_column(&target);
            let key = target.key();
            let mut history = AuthorHistory {
                by: match target {
                    BanTarget::Email(_) => "email",
                    BanTarget::Ip(_) => "ip",
                },
                ..AuthorHistory::default()
            };
            let rows = client
                .query(
                    &format!(
                        "SELECT status, COUNT(*) FROM comments
                         WHERE site_id = $1 AND {column} = $2 GROUP BY status"
                    ),
                    &[&site.as_str(), &key],
                )
                .await?;
            tally(&mut history, &rows)?;
            let rows = client
                .query(
                    &format!(
                        "SELECT id, status, article_id, article_title, author_name, body, created_at
                         FROM comments WHERE site_id = $1 AND {column} = $2
                         ORDER BY id DESC LIMIT $3"
                    ),
                    &[&site.as_str(), &key, &to_i64(AUTHOR_COMMENTS)],
                )
                .await?;
            let comments = rows
                .iter()
                .map(|row| {
                    Ok(AuthorComment {
                        id: comment_id(row.get(0))?,
                        status: parse_status(row.get(1))?,
                        article_id: row.get(2),
                        article_title: row.get(3),
                        author_name: row.get(4),
                        body: row.get(5),
                        created_at: row.get(6),
                    })
                })
                .collect::<Result<Vec<_>, PgError>>()?;
            let rows = client
                .query(
                    &format!(
                        "SELECT {BAN_COLUMNS} FROM bans WHERE site_id = $1 AND {column} = $2
                         ORDER BY id DESC"
                    ),
                    &[&site.as_str(), &key],
                )
                .await?;
            let bans = rows.iter().map(|row| ban_row(row, now)).collect();
            Ok::<_, PgError>(AuthorView {
                history,
                comments,
                bans,
            })
        };
        Ok(run.await?)
    }

    /// The bans of `sites` (not empty), newest first, at most `MAX_BANS_LISTED`: only
    /// those in force unless `include_inactive`.
    #[tracing::instrument(level = "debug", skip(self))]
    pub(super) async fn bans(
        &self,
        sites: Vec<String>,
        include_inactive: bool,
    ) -> Result<Vec<BanEntry>, StoreError> {
        let run = async {
            let client = self.client().await?;
            let now = self.now();
            let rows = client
                .query(
                    &format!(
                        "SELECT {BAN_COLUMNS} FROM bans WHERE site_id = ANY($1)
                           AND ($2 OR (lifted_at IS NULL AND (until IS NULL OR until > $3)))
                         ORDER BY id DESC LIMIT $4"
                    ),
                    &[&sites, &include_inactive, &now, &to_i64(MAX_BANS_LISTED)],
                )
                .await?;
            Ok::<_, PgError>(rows.iter().map(|row| ban_row(row, now)).collect())
        };
        Ok(run.await?)
    }
}
