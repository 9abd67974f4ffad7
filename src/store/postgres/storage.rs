//! The storage traits on PostgreSQL: each method is one of [`PgStore`]'s query methods
//! (one transaction on a pooled connection, see [`super`]). Contracts are documented on
//! the traits ([`crate::store`]); what is PostgreSQL's own is said on the query methods.
use std::sync::Arc;

use async_trait::async_trait;

use super::PgStore;
use crate::domain::{
    ArticleId, AuthorQuery, BanTarget, CommentId, Decide, ModeratorName, Note, Refusal, Rule,
    RuleChange, RuleValues, SiteId, Status, TokenHash, ValidationError,
};
use crate::store::{
    Actor, AddModeratorError, AttemptOutcome, AuditEntry, AuthorView, Authors, BanEntry,
    BanOutcome, BanRequest, Comments, DecisionOutcome, DecisionRequest, DueEvent, ErasureReport,
    Installed, LabelledDecision, ModelSet, ModelSetHead, ModelSetInfo, ModelSets, ModeratorInfo,
    ModeratorRecord, Moderators, NewCommentRecord, NewModelSet, NewModerator, NewReport,
    NewSession, Outbox, PublishedComment, PurgeReport, QueueCounts, QueuePage, QueueQuery,
    ReportOutcome, Reports, RetentionPolicy, ReviewItem, ReviewQueue, RuleChangeEntry, Rules,
    RulesChanged, SessionRecord, SiteGrants, StoreError, StoredComment, StoredRules, Submitted,
    UndoOutcome, Upkeep, Verdict, WaitingCounts,
};

#[async_trait]
impl Comments for PgStore {
    /// The decision runs inside the transaction, after the author's rows were read; it
    /// runs again if the transaction is retried after a deadlock.
    async fn submit(
        &self,
        query: AuthorQuery,
        record: Arc<NewCommentRecord>,
        decide: Arc<dyn Decide>,
    ) -> Result<Result<(Submitted, Verdict), Refusal>, StoreError> {
        PgStore::submit(self, query, record, decide).await
    }

    async fn published(
        &self,
        site: SiteId,
        article: ArticleId,
        after: Option<CommentId>,
        limit: usize,
    ) -> Result<Vec<PublishedComment>, StoreError> {
        PgStore::published(self, site, article, after, limit).await
    }

    async fn comment(&self, id: CommentId) -> Result<Option<StoredComment>, StoreError> {
        PgStore::comment(self, id).await
    }

    async fn published_counts(
        &self,
        site: SiteId,
        articles: Vec<ArticleId>,
    ) -> Result<Vec<u64>, StoreError> {
        PgStore::published_counts(self, site, articles).await
    }
}

#[async_trait]
impl ReviewQueue for PgStore {
    async fn review_queue(&self, query: QueueQuery) -> Result<QueuePage, StoreError> {
        PgStore::review_queue(self, query).await
    }

    async fn review_item(
        &self,
        id: CommentId,
    ) -> Result<Option<(ReviewItem, Vec<AuditEntry>)>, StoreError> {
        PgStore::review_item(self, id).await
    }

    /// One transaction for the whole batch.
    async fn decide(
        &self,
        actor: Actor,
        grants: SiteGrants,
        decisions: Vec<DecisionRequest>,
    ) -> Result<Vec<DecisionOutcome>, StoreError> {
        PgStore::decide(self, actor, grants, decisions).await
    }

    async fn undo(
        &self,
        actor: Actor,
        grants: SiteGrants,
        id: CommentId,
        version: i64,
    ) -> Result<UndoOutcome, StoreError> {
        PgStore::undo(self, actor, grants, id, version).await
    }

    async fn queue_counts(
        &self,
        status: Status,
        sites: Vec<String>,
    ) -> Result<QueueCounts, StoreError> {
        PgStore::queue_counts(self, status, sites).await
    }

    async fn labelled_decisions(
        &self,
        site: Option<&SiteId>,
    ) -> Result<Vec<LabelledDecision>, StoreError> {
        PgStore::labelled_decisions(self, site).await
    }
}

#[async_trait]
impl Authors for PgStore {
    async fn author(&self, site: SiteId, target: BanTarget) -> Result<AuthorView, StoreError> {
        PgStore::author(self, site, target).await
    }

    async fn bans(
        &self,
        sites: Vec<String>,
        include_inactive: bool,
    ) -> Result<Vec<BanEntry>, StoreError> {
        PgStore::bans(self, sites, include_inactive).await
    }

    async fn ban(&self, actor: Actor, request: BanRequest) -> Result<BanOutcome, StoreError> {
        PgStore::ban(self, actor, request).await
    }

    async fn unban(
        &self,
        actor: Actor,
        site: SiteId,
        target: BanTarget,
    ) -> Result<u64, StoreError> {
        PgStore::unban(self, actor, site, target).await
    }
}

#[async_trait]
impl Reports for PgStore {
    async fn report(&self, report: NewReport) -> Result<ReportOutcome, StoreError> {
        PgStore::report(self, report).await
    }
}

#[async_trait]
impl Outbox for PgStore {
    async fn set_webhook_sites(&self, sites: Vec<String>) -> Result<(), StoreError> {
        PgStore::set_webhook_sites(self, sites).await
    }

    async fn webhook_events_due(&self, now: i64) -> Result<bool, StoreError> {
        PgStore::webhook_events_due(self, now).await
    }

    /// `FOR UPDATE SKIP LOCKED`: any instance claims, none takes another's event.
    async fn claim_webhook_events(
        &self,
        now: i64,
        limit: usize,
        lease_ms: i64,
    ) -> Result<Vec<DueEvent>, StoreError> {
        PgStore::claim_webhook_events(self, now, limit, lease_ms).await
    }

    async fn record_webhook_attempt(
        &self,
        row: i64,
        outcome: AttemptOutcome,
    ) -> Result<(), StoreError> {
        PgStore::record_webhook_attempt(self, row, outcome).await
    }

    async fn prune_webhook_events(&self, before: i64) -> Result<usize, StoreError> {
        PgStore::prune_webhook_events(self, before).await
    }
}

#[async_trait]
impl Rules for PgStore {
    async fn stored_rules(&self, site: SiteId) -> Result<StoredRules, StoreError> {
        PgStore::stored_rules(self, site).await
    }

    async fn change_rules(
        &self,
        actor: Actor,
        site: SiteId,
        base: RuleValues,
        changes: Vec<(Rule, RuleChange)>,
        note: Note,
    ) -> Result<Result<RulesChanged, ValidationError>, StoreError> {
        PgStore::change_rules(self, actor, site, base, changes, note).await
    }

    async fn rule_changes(&self, site: SiteId) -> Result<Vec<RuleChangeEntry>, StoreError> {
        PgStore::rule_changes(self, site).await
    }
}

#[async_trait]
impl Moderators for PgStore {
    async fn add_moderator(
        &self,
        moderator: NewModerator,
    ) -> Result<Result<(), AddModeratorError>, StoreError> {
        PgStore::add_moderator(self, moderator).await
    }

    async fn moderators(&self) -> Result<Vec<ModeratorInfo>, StoreError> {
        PgStore::moderators(self).await
    }

    async fn revoke_moderator(&self, name: ModeratorName) -> Result<bool, StoreError> {
        PgStore::revoke_moderator(self, name).await
    }

    async fn moderator_by_token(
        &self,
        hash: TokenHash,
    ) -> Result<Option<ModeratorRecord>, StoreError> {
        PgStore::moderator_by_token(self, hash).await
    }

    async fn create_session(&self, session: NewSession) -> Result<(), StoreError> {
        PgStore::create_session(self, session).await
    }

    async fn session(&self, hash: TokenHash) -> Result<Option<SessionRecord>, StoreError> {
        PgStore::session(self, hash).await
    }

    async fn end_session(&self, hash: TokenHash) -> Result<bool, StoreError> {
        PgStore::end_session(self, hash).await
    }
}

#[async_trait]
impl ModelSets for PgStore {
    /// Under an advisory lock: installs from several machines are applied in turn.
    async fn install_model_set(&self, set: NewModelSet) -> Result<Installed, StoreError> {
        PgStore::install_model_set(self, set).await
    }

    async fn latest_model_set(&self) -> Result<Option<ModelSetHead>, StoreError> {
        PgStore::latest_model_set(self).await
    }

    async fn model_set(&self, version: i64) -> Result<Option<ModelSet>, StoreError> {
        PgStore::model_set(self, version).await
    }

    async fn model_sets(&self) -> Result<Vec<ModelSetInfo>, StoreError> {
        PgStore::model_sets(self).await
    }
}

#[async_trait]
impl Upkeep for PgStore {
    fn form_token_secret(&self) -> &[u8] {
        PgStore::form_token_secret(self)
    }

    /// A pooled connection answers, on a server that takes writes (not a standby).
    async fn ping(&self) -> Result<(), StoreError> {
        PgStore::ping(self).await
    }

    /// Each step in chunks of [`crate::store::upkeep::PURGE_CHUNK`] rows, one transaction
    /// per chunk.
    async fn purge(&self, policy: &RetentionPolicy) -> Result<PurgeReport, StoreError> {
        PgStore::purge(self, policy).await
    }

    /// PostgreSQL has no `secure_delete`: the rows' bytes stay in the table's pages until
    /// VACUUM reclaims them (see [`super::retention`]).
    async fn erase_author(&self, email: String) -> Result<ErasureReport, StoreError> {
        PgStore::erase_author(self, email).await
    }

    async fn waiting_counts(&self, sites: Vec<String>) -> Result<WaitingCounts, StoreError> {
        PgStore::waiting_counts(self, sites).await
    }
}
