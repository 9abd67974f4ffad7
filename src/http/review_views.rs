//! The answers of the review API: what moderators (and the review page) are shown. Each
//! is a typed struct, so the OpenAPI document describes exactly what is sent.
use serde::Serialize;
use utoipa::ToSchema;

use crate::classifier::explain::{self, TokenSpan};
use crate::classifier::Task;
use crate::domain::{CommentId, ModelScore, Outcome, Reason, ReasonCode, Status, TrainingLabels};
use crate::http::{review_words, ApiError, AppState, ErrorCode};
use crate::store::{
    AuditEntry, AuthorHistory, CommentState, ParentComment, ReportEntry, ReviewItem,
};

/// A score with the thresholds it is judged against on its site.
#[derive(Serialize, ToSchema)]
pub struct ReviewScore<'a> {
    pub(super) probability: f64,
    pub(super) top_tokens: &'a [String],
    /// Where the explaining words are in the body (UTF-16 offsets, as JavaScript indexes
    /// strings), for highlighting.
    pub(super) spans: Vec<TokenSpan>,
    /// The site's thresholds (absent if the site is no longer configured; `reject` also
    /// absent when nothing is rejected on this score alone).
    pub(super) hold: Option<f64>,
    pub(super) reject: Option<f64>,
}

/// Both models' scores of a queued comment (`null`: not scored).
#[derive(Serialize, ToSchema)]
pub struct ReviewScores<'a> {
    pub(super) spam: Option<ReviewScore<'a>>,
    pub(super) abuse: Option<ReviewScore<'a>>,
}

/// The article a queued comment is on.
#[derive(Serialize, ToSchema)]
pub struct ReviewArticle<'a> {
    pub(super) id: &'a str,
    pub(super) url: Option<&'a str>,
    /// The headline (the comment's own, else the latest one the article's comments came
    /// with); `null` when none was ever sent.
    pub(super) title: Option<&'a str>,
}

/// Why a comment got its status, with the reason in plain words.
#[derive(Serialize, ToSchema)]
pub struct ReasonView<'a> {
    pub(super) code: ReasonCode,
    pub(super) outcome: Outcome,
    /// Short evidence from the phase that found it.
    pub(super) detail: &'a str,
    /// The reason in words a journalist understands.
    pub(super) summary: &'static str,
}

impl<'a> ReasonView<'a> {
    pub(super) fn of(r: &'a Reason) -> Self {
        ReasonView {
            code: r.code,
            outcome: r.outcome,
            detail: &r.detail,
            summary: review_words::summary(r.code),
        }
    }
}

/// Who wrote a queued comment, with their record on the site.
#[derive(Serialize, ToSchema)]
pub struct ReviewAuthor<'a> {
    pub(super) name: &'a str,
    pub(super) email: Option<&'a str>,
    pub(super) url: Option<&'a str>,
    pub(super) client_ip: &'a str,
    pub(super) user_agent: Option<&'a str>,
    pub(super) history: &'a AuthorHistory,
}

/// A queue item as moderators (and the review page) see it.
#[derive(Serialize, ToSchema)]
pub struct ReviewItemView<'a> {
    pub(super) id: CommentId,
    pub(super) site: &'a str,
    pub(super) status: Status,
    pub(super) version: i64,
    pub(super) article: ReviewArticle<'a>,
    pub(super) parent_id: Option<CommentId>,
    /// The comment this one answers (`null` for a top-level comment, or when it is gone).
    pub(super) parent: Option<&'a ParentComment>,
    pub(super) author: ReviewAuthor<'a>,
    pub(super) body: &'a str,
    /// Unix milliseconds.
    pub(super) created_at: i64,
    /// Unix milliseconds.
    pub(super) updated_at: i64,
    pub(super) scores: ReviewScores<'a>,
    pub(super) reasons: Vec<ReasonView<'a>>,
    pub(super) report_count: u64,
    /// What readers wrote when reporting it, newest first (at most 20).
    pub(super) reports: &'a [ReportEntry],
    pub(super) labels: TrainingLabels,
    /// When a moderator last decided it (Unix milliseconds).
    pub(super) decided_at: Option<i64>,
    /// The audit log, oldest first (`GET /api/v1/review/{id}` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) decisions: Option<&'a [AuditEntry]>,
}

pub(super) fn item_view<'a>(state: &AppState, item: &'a ReviewItem) -> ReviewItemView<'a> {
    let c = &item.comment;
    let thresholds = state
        .sites
        .get(&c.site_id)
        .map(|site| state.thresholds(site));
    let score = |s: &'a Option<ModelScore>, task: Task| {
        let t = thresholds.map(|t| match task {
            Task::Spam => t.spam,
            Task::Abuse => t.abuse,
        });
        s.as_ref().map(|s| ReviewScore {
            probability: s.probability,
            top_tokens: &s.top_tokens,
            spans: explain::spans(&c.body, &s.top_tokens),
            hold: t.map(|t| t.hold),
            reject: t.and_then(|t| t.reject),
        })
    };
    ReviewItemView {
        id: c.id,
        site: &c.site_id,
        status: c.status,
        version: c.version,
        article: ReviewArticle {
            id: &c.article_id,
            url: c.article_url.as_deref(),
            title: item.article_title.as_deref(),
        },
        parent_id: c.parent_id,
        parent: item.parent.as_ref(),
        author: ReviewAuthor {
            name: &c.author_name,
            email: c.author_email.as_deref(),
            url: c.author_url.as_deref(),
            client_ip: &c.client_ip,
            user_agent: c.user_agent.as_deref(),
            history: &item.author_history,
        },
        body: &c.body,
        created_at: c.created_at,
        updated_at: c.updated_at,
        scores: ReviewScores {
            spam: score(&c.spam, Task::Spam),
            abuse: score(&c.abuse, Task::Abuse),
        },
        reasons: c.reasons.iter().map(ReasonView::of).collect(),
        report_count: item.report_count,
        reports: &item.reports,
        labels: item.labels,
        decided_at: item.decided_at,
        decisions: None,
    }
}

/// A page of the review queue.
#[derive(Serialize, ToSchema)]
pub struct QueuePageView<'a> {
    pub(super) items: Vec<ReviewItemView<'a>>,
    /// Comments matching the filter, over all pages.
    pub(super) total: u64,
    /// Pass back as `cursor` for the next page; `null` on the last page.
    pub(super) next_cursor: Option<String>,
}

/// A decision applied (or already in force): where the comment stands now.
#[derive(Serialize, ToSchema)]
pub struct AppliedView {
    pub(super) id: CommentId,
    pub(super) site: String,
    pub(super) status: Status,
    pub(super) version: i64,
    pub(super) labels: TrainingLabels,
    /// The latest audit entry, if a moderator ever acted on the comment.
    pub(super) last_decision: Option<AuditEntry>,
    pub(super) previous_status: Status,
    /// `false` when the same decision was already in force (nothing was written).
    pub(super) changed: bool,
}

impl AppliedView {
    pub fn new(state: CommentState, previous_status: Status, changed: bool) -> Self {
        AppliedView {
            id: state.id,
            site: state.site,
            status: state.status,
            version: state.version,
            labels: state.labels,
            last_decision: state.last_decision,
            previous_status,
            changed,
        }
    }
}

/// One entry of a bulk answer: the decision's result, or why it was refused (the API's
/// error shape, per item), with the `id` it was sent with.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum BulkResult {
    Applied {
        /// `true`.
        ok: bool,
        #[serde(flatten)]
        applied: AppliedView,
    },
    Refused {
        /// `false`.
        ok: bool,
        id: Option<i64>,
        error: ItemError,
        /// The comment as it is now, for `STALE_VERSION`.
        #[serde(skip_serializing_if = "Option::is_none")]
        current: Option<CommentState>,
    },
}

/// Why one decision of a bulk request was refused.
#[derive(Serialize, ToSchema)]
pub struct ItemError {
    pub(super) code: ErrorCode,
    pub(super) message: String,
    pub(super) field: Option<&'static str>,
}

/// An error as one entry of a bulk answer.
pub(super) fn item_error(err: &ApiError, id: Option<i64>) -> BulkResult {
    BulkResult::Refused {
        ok: false,
        id,
        error: ItemError {
            code: err.code(),
            message: err.message(),
            field: err.field(),
        },
        current: err.current().cloned(),
    }
}

/// The answer to a bulk request.
#[derive(Serialize, ToSchema)]
pub struct BulkView {
    /// One per decision sent, in order.
    pub(super) results: Vec<BulkResult>,
    pub(super) applied: usize,
    pub(super) refused: usize,
}

/// A ban as recorded.
#[derive(Serialize, ToSchema)]
pub struct BanRecord<'a> {
    pub(super) id: i64,
    pub(super) site: &'a str,
    /// The banned e-mail (or `client_ip`: one of the two).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) author_email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) client_ip: Option<&'a str>,
    /// RFC 3339; `null`: until lifted.
    pub(super) until: Option<String>,
    pub(super) note: &'a str,
}

/// The answer to a ban.
#[derive(Serialize, ToSchema)]
pub struct BanView<'a> {
    pub(super) ban: BanRecord<'a>,
    /// Earlier active bans of the same author, lifted in favour of this one.
    pub(super) replaced: u64,
    /// The author's comments this ban rejected.
    pub(super) rejected: Vec<CommentId>,
}

/// The answer to an unban.
#[derive(Serialize, ToSchema)]
pub struct UnbanView {
    /// Active bans lifted (0 if there were none).
    pub(super) lifted: u64,
}
