//! The review-queue interface: what moderators list, open and decide, and taking a
//! decision back.
//!
//! # Contract every backend keeps
//! - Every change a moderator makes to a comment — status, or only its training labels —
//!   bumps `version` by one and writes one audit entry ([`AuditEntry`]) in the same
//!   transaction. A change of status also records its webhook event (`comment.published`
//!   / `comment.rejected` / back to `comment.held` on an undo; see [`super::Outbox`]) in
//!   that transaction.
//! - A decision names the `version` the moderator saw; it is applied only if the comment
//!   is still at that version ([`DecisionOutcome::Stale`] otherwise). Repeating the
//!   decision a moderator already made (same status, same labels, and the comment was
//!   decided before) changes nothing and succeeds whatever the version, so retries are
//!   safe.
//! - The latest decision sets the comment's training labels and `decided_at`;
//!   [`LabelledDecision`]s are read from there.
//! - Sites are checked by the store too (the moderator's [`SiteGrants`] travel with each
//!   decision), because a comment's site is only known once it is read.
//!
//! # Queue order and keyset pagination
//! Every order is a sort key `k` plus the id as tie-breaker, and a page continues after
//! the last `(k, id)` shown (a [`QueuePosition`]). `k` is computed from stored values, so
//! the position of a comment is exactly reproducible from the cursor:
//! - `oldest` / `newest`: by id (k is 0);
//! - `spam` / `abuse`: the score, highest first (k = −score; a missing score sorts last,
//!   k = 1);
//! - `uncertain`: the distance of the score nearest to its hold threshold, over both
//!   models, with each site's effective thresholds ([`SiteHolds`]; a missing score counts
//!   as distance 2) — the comments whose label teaches the models most come first.
use async_trait::async_trait;
use serde::Serialize;

use super::comments::StoredComment;
use super::moderators::SiteGrants;
use super::StoreError;
use crate::domain::{
    ArticleId, CommentId, Note, ReasonCode, SearchText, SiteId, Status, TrainingLabels, Verdict,
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

/// The checks every backend makes before writing a decision, on the comment as read inside
/// the decision's transaction (`found`: its state and whether a moderator decided it
/// before): `Write(current)` when the decision must be written; else the outcome to answer
/// without writing — not found, another site's, a repeat of what is in force (idempotent),
/// or stale (someone changed it since the moderator's version).
pub fn check_decision(
    found: Option<(CommentState, bool)>,
    grants: &SiteGrants,
    d: &DecisionRequest,
) -> DecisionCheck {
    let Some((current, decided)) = found else {
        return DecisionCheck::Answer(DecisionOutcome::NotFound);
    };
    if !grants.allows(&current.site) {
        return DecisionCheck::Answer(DecisionOutcome::Forbidden);
    }
    if decided
        && current.status == d.verdict.status()
        && current.labels == d.verdict.training_labels()
    {
        let previous = current.status;
        return DecisionCheck::Answer(DecisionOutcome::Applied {
            state: current,
            previous,
            changed: false,
        });
    }
    if current.version != d.version {
        return DecisionCheck::Answer(DecisionOutcome::Stale { current });
    }
    DecisionCheck::Write(current)
}

/// What [`check_decision`] found.
#[derive(Debug)]
pub enum DecisionCheck {
    /// Write the decision over this state.
    Write(CommentState),
    /// Answer this without writing.
    Answer(DecisionOutcome),
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

/// Most report reasons shown with one comment (newest first).
pub const MAX_REPORTS_SHOWN: usize = 20;

/// The comment a reply answers, as the moderator needs it to judge the reply.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ParentComment {
    pub id: CommentId,
    pub author_name: String,
    pub body: String,
    pub status: Status,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// One reader report: what the reader wrote (possibly nothing) and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReportEntry {
    /// The reader's reason; empty when they gave none.
    pub reason: String,
    /// Unix milliseconds.
    pub at: i64,
}

/// Comments of one status on the sites a moderator sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueCounts {
    pub total: u64,
    /// Every site asked for, in the order asked, with its count (0 included).
    pub sites: Vec<(String, u64)>,
    /// Each reason code some of them carry, with how many carry it, most frequent first.
    pub reasons: Vec<(ReasonCode, u64)>,
    /// How many readers reported at least once (the queue's `reason=reported`).
    pub reported: u64,
}

/// How long after a decision its moderator may undo it, in milliseconds. The review page
/// offers it for less (see `review_page.js`), so a slow answer never turns an offered
/// undo into a refusal.
pub const UNDO_WINDOW_MS: i64 = 60_000;

/// What became of an undo.
#[derive(Debug, Clone, PartialEq)]
pub enum UndoOutcome {
    /// The decision is undone: the comment is back to `state.status`.
    Undone {
        state: CommentState,
        /// The status the undone decision had set.
        previous: Status,
    },
    NotFound,
    /// The comment belongs to a site the moderator is not granted.
    Forbidden,
    /// The comment changed since the version the moderator saw.
    Stale {
        current: CommentState,
    },
    /// Its latest change is not a decision of this moderator.
    NothingToUndo {
        current: CommentState,
    },
    /// The decision is older than [`UNDO_WINDOW_MS`].
    Expired {
        current: CommentState,
    },
}

/// The review queue as moderators work it.
#[async_trait]
pub trait ReviewQueue {
    /// A page of the queue: comments of `query.status` on `query.sites` matching the
    /// filters, in `query.order` after `query.after`, at most `query.limit`, each with
    /// what [`ReviewQueue::review_item`] shows but the audit log; `total` counts every
    /// match over all pages. A read.
    async fn review_queue(&self, query: QueueQuery) -> Result<QueuePage, StoreError>;

    /// One comment for a moderator, whatever its status, with its audit log (oldest entry
    /// first); `None` if there is no such id. The caller checks the site.
    async fn review_item(
        &self,
        id: CommentId,
    ) -> Result<Option<(ReviewItem, Vec<AuditEntry>)>, StoreError>;

    /// Applies `decisions` in order, each on its own (one refused — not found, forbidden,
    /// stale — does not stop the others; a later one sees the earlier ones' changes), all
    /// in **one transaction**: durable before return, all or none on a failure of the
    /// store. See the module's contract for versions and repeats.
    async fn decide(
        &self,
        actor: Actor,
        grants: SiteGrants,
        decisions: Vec<DecisionRequest>,
    ) -> Result<Vec<DecisionOutcome>, StoreError>;

    /// Undoes the moderator's latest decision on comment `id`, in one transaction, durable
    /// before return. Only the comment's latest audit entry can be undone, only if it is
    /// an `approve` or `reject` by the same moderator (`actor.moderator_id`), made at most
    /// [`UNDO_WINDOW_MS`] ago, and only at `version`, the version that decision produced.
    /// Undoing restores the status, training labels and `decided_at` the decision
    /// replaced, bumps the version, writes an `undo` audit entry and, if the status
    /// changes, the webhook event of the status it returns to.
    async fn undo(
        &self,
        actor: Actor,
        grants: SiteGrants,
        id: CommentId,
        version: i64,
    ) -> Result<UndoOutcome, StoreError>;

    /// Comments of `status` on each of `sites` (not empty), by site and by reason. A read.
    async fn queue_counts(
        &self,
        status: Status,
        sites: Vec<String>,
    ) -> Result<QueueCounts, StoreError>;

    /// Every comment a moderator decided with a training label (the latest decision
    /// wins), of one site or all, oldest comment (lowest id) first. What
    /// `export-decisions` writes and `train --with-decisions` learns from. A read.
    async fn labelled_decisions(
        &self,
        site: Option<&SiteId>,
    ) -> Result<Vec<LabelledDecision>, StoreError>;
}
