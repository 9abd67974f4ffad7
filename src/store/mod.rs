//! Storage: the interface every backend implements, in the words of the domain, and the
//! backends behind it. The only module that knows SQL.
//!
//! Everything above the store holds a [`Store`] — an `Arc<dyn Storage>` — and calls the
//! methods of the traits below on it (a trait object's methods need no import).
//! Today the backend is SQLite ([`sqlite`]: one file, a single group-commit writer); a
//! PostgreSQL backend, for news groups that run several instances for availability,
//! implements the same traits and passes the same API test suite.
//!
//! # The contract every backend keeps (each method's doc adds its own)
//! - **Durable before return.** A method that writes returns `Ok` only once its
//!   transaction has committed *and* is on stable storage (SQLite: the WAL is synced;
//!   PostgreSQL: the commit has returned with `synchronous_commit = on`): a power cut
//!   after `Ok` loses nothing. On `Err`, nothing of the call was written — except
//!   [`Upkeep::purge`], whose chunks commit one by one.
//! - **One transaction per call.** Each writing method is atomic: what its doc lists
//!   happens all together or not at all, including the webhook event of a change
//!   ([`Outbox`]), and it sees every write committed before it began (checks such as
//!   "no duplicate within 24 h" or "still at version 3" are exact under concurrency).
//! - **Reads** see committed data only, possibly a moment old.
//! - **Time.** Every timestamp a backend writes or compares with "now" comes from the
//!   [`crate::clock::Clock`] it was opened with, in unix milliseconds; within one call, one
//!   instant. Times passed in by the caller (cut-offs, `now` of the outbox) are used as
//!   given.
//! - **Retries.** A backend may run a transaction's body more than once (the SQLite
//!   writer replays a batch after a job in it failed part-way; PostgreSQL may retry a
//!   serialization failure): a body does nothing outside the transaction, and a
//!   [`crate::domain::Decide`] passed in is pure.
//! - **Errors.** A fault of the surroundings (disk full, server unreachable, lock held
//!   elsewhere) is an error for which [`StoreError::is_unavailable`] holds (the HTTP
//!   layer answers 503); too many writes queued is [`StoreError::Busy`]; a stopped store
//!   is [`StoreError::Closed`].
//! - **Ids** are positive and increase with insertion order (keyset pagination and the
//!   rules' revision rely on it).
//!
//! # Layout
//! - [`comments`] — [`Comments`]: submit (author lookup, decision, duplicate check,
//!   insert), the public listing, one comment, published counts.
//! - [`review`] — [`ReviewQueue`]: the queue, one item, decisions with their audit log,
//!   undo, queue counts, labelled decisions.
//! - [`authors`] — [`Authors`]: an author's view, bans.
//! - [`reports`] — [`Reports`]: reader reports.
//! - [`outbox`] — [`Outbox`]: webhook events, their typed payload, claims and attempts.
//! - [`rules`] — [`Rules`]: site rules changed at run time.
//! - [`moderators`] — [`Moderators`]: moderators, their grants and sessions.
//! - [`models`] — [`ModelSets`]: trained model pairs installed in the database, versioned
//!   and checksummed, which every instance polls for and serves.
//! - [`upkeep`] — [`Upkeep`]: readiness, retention, erasure, monitoring counts.
//! - [`error`] — [`StoreError`].
//! - [`sqlite`] — the SQLite backend (engine and queries).
//! - [`open`] — choosing the backend from the configured `database` ([`open()`]).
//! - [`postgres`] — the PostgreSQL backend (a connection pool; same traits, same tests).
pub mod authors;
pub mod comments;
pub mod error;
pub mod models;
pub mod moderators;
pub mod open;
pub mod outbox;
pub mod postgres;
pub mod reports;
pub mod review;
pub mod rules;
pub mod sqlite;
pub mod upkeep;

use std::sync::Arc;

pub use authors::{
    AuthorComment, AuthorView, Authors, BanEntry, BanOutcome, BanRequest, AUTHOR_COMMENTS,
    MAX_BANS_LISTED,
};
pub use comments::{
    Comments, NewCommentRecord, PublishedComment, StoredComment, Submitted, Verdict,
};
pub use error::StoreError;
pub use models::{
    ChecksumMismatch, Installed, ModelSet, ModelSetHead, ModelSetInfo, ModelSets, NewModelSet,
    MODEL_SETS_KEPT,
};
pub use moderators::{
    AddModeratorError, ModeratorInfo, ModeratorRecord, Moderators, NewModerator, NewSession,
    SessionRecord, SiteGrants,
};
pub use open::{open, open_for_reading, Database};
pub use outbox::{AttemptOutcome, CommentSnapshot, DueEvent, Outbox, WebhookEvent, WebhookPayload};
pub use reports::{NewReport, ReportOutcome, Reports};
pub use review::{
    Actor, AuditEntry, AuthorHistory, CommentState, DecisionOutcome, DecisionRequest,
    LabelledDecision, ParentComment, QueueCounts, QueueOrder, QueuePage, QueuePosition, QueueQuery,
    ReasonFilter, ReportEntry, ReviewItem, ReviewQueue, SiteHolds, UndoOutcome, MAX_BULK_DECISIONS,
    MAX_REPORTS_SHOWN, UNDO_WINDOW_MS,
};
pub use rules::{
    RuleChangeEntry, Rules, RulesChanged, StoredRule, StoredRules, MAX_RULE_CHANGES_LISTED,
};
pub use upkeep::{ErasureReport, PurgeReport, RetentionPolicy, Upkeep, WaitingCounts};

/// Everything a backend implements: one object behind [`Store`].
pub trait Storage:
    Comments
    + ReviewQueue
    + Authors
    + Reports
    + Outbox
    + Rules
    + Moderators
    + ModelSets
    + Upkeep
    + Send
    + Sync
{
}

impl<T> Storage for T where
    T: Comments
        + ReviewQueue
        + Authors
        + Reports
        + Outbox
        + Rules
        + Moderators
        + ModelSets
        + Upkeep
        + Send
        + Sync
{
}

/// The store as the rest of the service holds it: cheap to clone, shared by every worker.
pub type Store = Arc<dyn Storage>;
