//! The upkeep interface: what keeps an instance healthy and lawful — readiness, the
//! retention purge, erasing one commenter, the counts monitoring reads, and the
//! instance's own form-token key.
//!
//! # Retention (what [`Upkeep::purge`] does)
//! Per site with `retention_days`, for comments created before the cut-off: rejected ones
//! are deleted (with their reasons, audit entries, reports and webhook events; replies
//! keep their text and lose the link), and the others lose their client IP (stored as
//! `''`), e-mail address and user agent; reader reports on them are deleted (they are
//! keyed by the reporter's IP). Name, text and status stay: they are what the site
//! published. Bans stay: they are moderators' decisions. Globally, audit entries older
//! than `retention.audit_days`, webhook events given up on older than
//! `retention.failed_webhook_days` and delivered ones older than
//! `webhooks.keep_delivered_hours` are deleted.
//!
//! # Erasure (what [`Upkeep::erase_author`] does)
//! Deletes every comment written with one e-mail address, on every site, with everything
//! that hangs off them (reasons, audit entries, reports, webhook events), detaches other
//! people's replies to them, and deletes the bans naming the address — in one
//! transaction, leaving no readable copy in the live database where the backend can
//! promise it (SQLite: `secure_delete`).
use async_trait::async_trait;
use serde::Serialize;

use super::StoreError;

/// What to purge, with every cut-off as unix milliseconds.
#[derive(Debug, Clone, Default)]
pub struct RetentionPolicy {
    /// `(site, cut-off)`: the site's comments created before the cut-off.
    pub sites: Vec<(String, i64)>,
    /// Audit entries created before this.
    pub audit_before: Option<i64>,
    /// Webhook events given up on before this.
    pub failed_webhooks_before: i64,
    /// Webhook events delivered before this.
    pub delivered_webhooks_before: i64,
}

/// What a purge did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    pub rejected_comments_deleted: usize,
    pub comments_stripped: usize,
    pub reports_deleted: usize,
    pub audit_entries_deleted: usize,
    pub webhook_events_deleted: usize,
}

/// Most rows one transaction of a purge touches: a first purge of a large database never
/// holds the database (and the submissions behind it) for long.
pub const PURGE_CHUNK: usize = 2_000;

/// One step of a purge, run chunk by chunk (at most [`PURGE_CHUNK`] rows each) until a
/// chunk touches fewer rows than that.
#[derive(Debug, Clone, Copy)]
pub enum PurgeStep {
    DeleteRejected { cutoff: i64 },
    Strip { cutoff: i64 },
    DeleteReports { cutoff: i64 },
    DeleteAudit { cutoff: i64 },
    DeleteFailedWebhooks { cutoff: i64 },
    DeleteDeliveredWebhooks { cutoff: i64 },
}

/// The statuses that wait for a moderator (counted by [`Upkeep::waiting_counts`]).
pub const WAITING: [&str; 2] = ["pending", "reported"];

impl RetentionPolicy {
    /// The policy's steps in the order every backend runs them, each with its site (empty
    /// for the global steps).
    pub fn steps(&self) -> Vec<(String, PurgeStep)> {
        let mut steps: Vec<(String, PurgeStep)> = Vec::new();
        for (site, cutoff) in &self.sites {
            let cutoff = *cutoff;
            steps.push((site.clone(), PurgeStep::DeleteRejected { cutoff }));
            steps.push((site.clone(), PurgeStep::DeleteReports { cutoff }));
            steps.push((site.clone(), PurgeStep::Strip { cutoff }));
        }
        if let Some(cutoff) = self.audit_before {
            steps.push((String::new(), PurgeStep::DeleteAudit { cutoff }));
        }
        steps.push((
            String::new(),
            PurgeStep::DeleteFailedWebhooks {
                cutoff: self.failed_webhooks_before,
            },
        ));
        steps.push((
            String::new(),
            PurgeStep::DeleteDeliveredWebhooks {
                cutoff: self.delivered_webhooks_before,
            },
        ));
        steps
    }
}

impl PurgeReport {
    /// Counts `n` rows touched by one chunk of `step`.
    pub fn add(&mut self, step: PurgeStep, n: usize) {
        match step {
            PurgeStep::DeleteRejected { .. } => self.rejected_comments_deleted += n,
            PurgeStep::Strip { .. } => self.comments_stripped += n,
            PurgeStep::DeleteReports { .. } => self.reports_deleted += n,
            PurgeStep::DeleteAudit { .. } => self.audit_entries_deleted += n,
            PurgeStep::DeleteFailedWebhooks { .. } | PurgeStep::DeleteDeliveredWebhooks { .. } => {
                self.webhook_events_deleted += n
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == PurgeReport::default()
    }
}

/// What erasing one commenter did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ErasureReport {
    /// The comments deleted (with their reasons, audit entries, reports and webhook
    /// events), per site.
    pub comments_deleted: usize,
    pub sites: Vec<String>,
    /// Other people's replies that pointed at a deleted comment (their link is removed).
    pub replies_detached: usize,
    /// Bans naming the address.
    pub bans_deleted: usize,
}

/// For monitoring: `(site, status, count)` of the comments waiting for a moderator
/// (`pending`, then `reported`, for each site asked, zeros included), and the webhook
/// events neither delivered nor given up on.
pub type WaitingCounts = (Vec<(String, &'static str, u64)>, u64);

/// Keeping the instance healthy and lawful.
#[async_trait]
pub trait Upkeep {
    /// The instance's own form-token key, made at first start and kept by the store (the
    /// same on every instance sharing the store, and across restarts).
    fn form_token_secret(&self) -> &[u8];

    /// Readiness: `Ok` when a write made now would be accepted and a read answers; an
    /// error saying why not otherwise ([`StoreError::is_unavailable`] for a fault of the
    /// surroundings: disk, network, a lock held elsewhere). May write (a no-op update) to
    /// find out; never changes data.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Applies `policy` (see the module doc) and says what it did. Each step works in
    /// chunks of a few thousand rows, each chunk its own short transaction, so writes
    /// queued meanwhile are not held up; a failure stops the purge with the chunks done so
    /// far committed (running it again finishes the work).
    async fn purge(&self, policy: &RetentionPolicy) -> Result<PurgeReport, StoreError>;

    /// Erases everything stored under one (lower-cased) e-mail address, on every site, in
    /// one transaction (see the module doc), durable before return.
    async fn erase_author(&self, email: String) -> Result<ErasureReport, StoreError>;

    /// The counts `/metrics` shows for `sites` (see [`WaitingCounts`]). A read.
    async fn waiting_counts(&self, sites: Vec<String>) -> Result<WaitingCounts, StoreError>;
}
