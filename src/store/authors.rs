//! The authors interface: an author's record as moderators look it up, and the bans they
//! impose and lift.
//!
//! # Contract every backend keeps
//! - A ban is on an e-mail (lower-cased) or an IP, on one site; it is *active* while not
//!   lifted and `until` (if any) is in the future. At most one ban per author and site is
//!   active: a new ban lifts the earlier ones (`lifted_by` = the new ban's moderator).
//! - Bans are read by [`super::Comments::submit`] at the instant of each insert.
//! - Rejecting an author's comments with a ban is a moderator's change like any other
//!   (see [`super::ReviewQueue`]): version + 1, an audit entry (`ban`), the webhook event
//!   — in the ban's transaction.
use async_trait::async_trait;
use serde::Serialize;

use super::review::{Actor, AuthorHistory};
use super::StoreError;
use crate::domain::{BanTarget, CommentId, Note, SiteId, Status};

/// Most comments shown in an author's view, newest first.
pub const AUTHOR_COMMENTS: usize = 20;

/// Most bans listed at once, newest first.
pub const MAX_BANS_LISTED: usize = 500;

/// One of an author's comments, in the author's view.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuthorComment {
    pub id: CommentId,
    pub status: Status,
    pub article_id: String,
    pub article_title: Option<String>,
    /// The name they signed this one with.
    pub author_name: String,
    pub body: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A ban as recorded, active or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BanEntry {
    pub id: i64,
    pub site: String,
    /// The banned e-mail, or `null` for a ban by `client_ip`.
    pub author_email: Option<String>,
    pub client_ip: Option<String>,
    pub note: String,
    /// The moderator who banned.
    pub created_by: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds; `null`: until lifted.
    pub until: Option<i64>,
    /// Unix milliseconds, when a moderator lifted it (or a later ban replaced it).
    pub lifted_at: Option<i64>,
    pub lifted_by: Option<String>,
    /// In force now: not lifted and not past `until`.
    pub active: bool,
}

/// An author on a site: their record, latest comments and bans.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorView {
    pub history: AuthorHistory,
    pub comments: Vec<AuthorComment>,
    /// Their bans, newest first, lifted and expired ones included.
    pub bans: Vec<BanEntry>,
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

/// Authors and their bans.
#[async_trait]
pub trait Authors {
    /// An author on `site` (by e-mail or by IP, as `target` says): their record by
    /// status, their latest [`AUTHOR_COMMENTS`] comments newest first, and every ban of
    /// theirs on the site, newest first (lifted and expired ones included, `active` as of
    /// now). A read.
    async fn author(&self, site: SiteId, target: BanTarget) -> Result<AuthorView, StoreError>;

    /// The bans of `sites` (not empty), newest first, at most [`MAX_BANS_LISTED`]: only
    /// those active now unless `include_inactive`. A read.
    async fn bans(
        &self,
        sites: Vec<String>,
        include_inactive: bool,
    ) -> Result<Vec<BanEntry>, StoreError>;

    /// Bans an author from a site (lifting any earlier active ban of theirs there) and,
    /// if `request.reject_existing`, rejects their pending, published and reported
    /// comments there, oldest first (an audit entry `ban` each, labels cleared) — one
    /// transaction, durable before return.
    async fn ban(&self, actor: Actor, request: BanRequest) -> Result<BanOutcome, StoreError>;

    /// Lifts the author's active bans on the site (`lifted_by` = the actor); returns how
    /// many were lifted (0 is not an error). Durable before return.
    async fn unban(&self, actor: Actor, site: SiteId, target: BanTarget)
        -> Result<u64, StoreError>;
}
