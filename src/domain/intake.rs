//! What the intake of one comment decides with, and what it decides: the author as the
//! store knows them at the instant of the insert ([`AuthorContext`], asked for with an
//! [`AuthorQuery`]), the pipeline's [`Verdict`], or a [`Refusal`] that stores nothing.
//!
//! These types sit between the pipeline (which decides), the store (which looks the author
//! up and runs the decision inside its transaction, see [`crate::store::Comments::submit`])
//! and the HTTP layer (which maps a refusal to its response): none of them knows the
//! others, all of them know these.
use std::net::IpAddr;

use super::{AuthorEmail, CommentId, NewComment, Reason, SiteId, Status};

/// What the pipeline asks about a submission's author and parent.
#[derive(Debug, Clone)]
pub struct AuthorQuery {
    pub site: SiteId,
    pub email: Option<AuthorEmail>,
    pub ip: IpAddr,
    pub parent: Option<CommentId>,
    /// How many published comments make an author trusted (0 = don't count).
    pub trust_after: u32,
}

/// An active ban matching the author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ban {
    Email { note: String },
    Ip { note: String },
}

/// The parent a reply names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentInfo {
    pub article_id: String,
    pub published: bool,
}

/// The store's answer to an [`AuthorQuery`].
#[derive(Debug, Clone, Default)]
pub struct AuthorContext {
    /// An active ban on the author's e-mail (asked first) or IP on the site.
    pub ban: Option<Ban>,
    /// Published comments by this e-mail on the site, counted up to `trust_after`.
    pub published: u32,
    /// Whether any comment by this e-mail on the site was rejected (asked only once
    /// `published` reached `trust_after`).
    pub has_rejected: bool,
    /// The parent, if one was named and it exists on the same site.
    pub parent: Option<ParentInfo>,
}

impl AuthorContext {
    /// Trusted: at least `after` published comments and never a rejected one.
    pub fn is_trusted(&self, after: u32) -> bool {
        after > 0 && self.published >= after && !self.has_rejected
    }
}

/// What the moderation pipeline decided for a new comment: the status it is stored with
/// and every reason, in the order the phases recorded them.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub status: Status,
    pub reasons: Vec<Reason>,
}

/// Why a submission is refused before anything is stored. The HTTP layer maps each to
/// its response (`422` with the field at fault).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `parent_id` names no published comment of the site (unknown and unpublished
    /// parents look the same, so ids of held comments cannot be probed).
    ParentNotFound,
    /// `parent_id` names a published comment of another article.
    ParentOnOtherArticle,
    /// The author asked to be told (`nudge`) and the abuse model flagged the comment.
    LikelyAbusive,
}

/// The decision on one new comment, given what the store knows about its author at the
/// instant of the insert.
///
/// # Contract (for implementers and for the stores that call it)
/// - Pure: no I/O, no clock, no shared state changed. A store calls it inside its write
///   transaction and may call it **more than once** for the same submission (the SQLite
///   writer replays a batch after a job in it failed part-way; another backend may retry
///   a serialization failure): every call with the same inputs must give the same answer,
///   and only the answer of the transaction that commits counts.
/// - Short: microseconds. It holds the store's single writer (SQLite) or a row lock.
pub trait Decide: Send + Sync {
    /// The verdict to store `comment` with, or why it must not be stored.
    fn decide(&self, author: &AuthorContext, comment: &NewComment) -> Result<Verdict, Refusal>;
}
