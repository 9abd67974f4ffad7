//! The moderators interface: moderators (added and revoked by the CLI, found by the hash
//! of their token) and their browser sessions.
//!
//! # Contract every backend keeps
//! - Only the SHA-256 of a token or a session secret is stored ([`TokenHash`]); the
//!   token itself is printed once by `commentguard moderator add` and never again.
//! - A revoked moderator keeps its record (the audit log refers to it) and can no longer
//!   authenticate, by token or by session; at most one *active* moderator has a given
//!   name, so a name can be reused after revocation.
//! - An admin is granted every site, present and future, and the admin API.
//! - A session authenticates only while it has not expired and its moderator is active.
use async_trait::async_trait;
use serde::Serialize;

use super::StoreError;
use crate::domain::{ModeratorName, SiteId, TokenHash};

/// The sites a moderator may see and decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteGrants {
    /// Every site (admins).
    All,
    /// These sites only.
    Only(Vec<String>),
}

impl SiteGrants {
    pub fn allows(&self, site: &str) -> bool {
        match self {
            SiteGrants::All => true,
            SiteGrants::Only(sites) => sites.iter().any(|s| s == site),
        }
    }
}

/// An authenticated, active moderator.
#[derive(Debug, Clone)]
pub struct ModeratorRecord {
    pub id: i64,
    pub name: String,
    pub is_admin: bool,
    pub grants: SiteGrants,
}

/// A moderator to add.
#[derive(Debug)]
pub struct NewModerator {
    pub name: ModeratorName,
    pub token_hash: TokenHash,
    pub is_admin: bool,
    /// Ignored for admins (they have every site).
    pub sites: Vec<SiteId>,
}

/// A moderator as `commentguard moderator list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModeratorInfo {
    pub name: String,
    pub is_admin: bool,
    pub sites: Vec<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds; `None` while active.
    pub revoked_at: Option<i64>,
}

/// Refusals of [`Moderators::add_moderator`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddModeratorError {
    #[error("an active moderator named `{0}` exists (revoke it first)")]
    NameTaken(String),
}

/// A session to record.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub hash: TokenHash,
    pub moderator_id: i64,
    /// Unix milliseconds.
    pub expires_at: i64,
}

/// An active session and whose it is.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub moderator: ModeratorRecord,
    /// Unix milliseconds.
    pub expires_at: i64,
}

/// Moderators and their sessions.
#[async_trait]
pub trait Moderators {
    /// Adds a moderator (created now); refuses, writing nothing, a name that an active
    /// moderator already has. Durable before return.
    async fn add_moderator(
        &self,
        moderator: NewModerator,
    ) -> Result<Result<(), AddModeratorError>, StoreError>;

    /// Every moderator, active ones first, then by name. A read.
    async fn moderators(&self) -> Result<Vec<ModeratorInfo>, StoreError>;

    /// Revokes the active moderator `name` (now); `false` if there is none. Their
    /// sessions stop authenticating at once. Durable before return.
    async fn revoke_moderator(&self, name: ModeratorName) -> Result<bool, StoreError>;

    /// The active moderator whose token hashes to `hash`, with its grants. A read.
    async fn moderator_by_token(
        &self,
        hash: TokenHash,
    ) -> Result<Option<ModeratorRecord>, StoreError>;

    /// Records a new session (created now) and forgets expired ones. Durable before
    /// return.
    async fn create_session(&self, session: NewSession) -> Result<(), StoreError>;

    /// The session whose secret hashes to `hash`, if it has not expired (as of now) and
    /// its moderator is active, with that moderator. A read.
    async fn session(&self, hash: TokenHash) -> Result<Option<SessionRecord>, StoreError>;

    /// Ends a session; `false` if there was none. Durable before return.
    async fn end_session(&self, hash: TokenHash) -> Result<bool, StoreError>;
}
