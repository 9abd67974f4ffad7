//! The reader-reports interface: recording one report, and sending a published comment
//! back to the review queue when enough readers have reported it.
//!
//! # Contract every backend keeps
//! - Only a published comment of the report's site can be reported; anything else is
//!   [`ReportOutcome::NotFound`], so held and rejected comments cannot be probed.
//! - One report per client IP per comment, ever.
//! - Reports made since the comment was last published count (made at or after its
//!   `updated_at`, which every change of status bumps): a moderator who approves a
//!   reported comment starts a fresh count instead of being overruled by the old reports.
//! - Reaching the site's threshold does, in the same transaction as the report: status
//!   `reported` (off the article listing, back in the queue), version + 1, `updated_at` =
//!   now, a `reported` reason (outcome `hold`, detail `"N reader reports"`) appended to
//!   the comment's reasons, and a `comment.reported` webhook event.
use async_trait::async_trait;

use super::StoreError;
use crate::domain::{CommentId, SiteId};

/// What a report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportOutcome {
    /// Counted. `taken_down`: this report reached the threshold and the comment is now
    /// `reported`.
    Recorded { reports: u32, taken_down: bool },
    /// This IP already reported this comment; nothing changed.
    AlreadyReported,
    /// No published comment of that site has this id.
    NotFound,
}

/// One reader report, as the HTTP layer parsed it.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub comment: CommentId,
    /// The comment's site (the caller looked it up); the report is refused if it differs.
    pub site: SiteId,
    pub client_ip: String,
    pub reason: String,
    /// The site's `reports_to_review`.
    pub threshold: u32,
}

/// Reader reports.
#[async_trait]
pub trait Reports {
    /// Records `report` (see the module's contract) in one transaction, durable before
    /// return.
    async fn report(&self, report: NewReport) -> Result<ReportOutcome, StoreError>;
}
