//! The storage traits on SQLite: each method puts a query function of this backend on the
//! writer (a job, see [`super::writer`]) or on a read connection. Contracts are documented
//! on the traits ([`crate::store`]); what is SQLite's own is said here.
use std::sync::Arc;

use async_trait::async_trait;

use super::retention;
use super::{
    authors, bans, comments, counts, decisions, labelled, model_sets, moderators, outbox, queue,
    queue_counts, reports, rules, sessions, stats, undo, SqliteStore, RECENT_FAILURE_MS,
};
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
impl Comments for SqliteStore {
    /// One job on the writer. Running the lookup in the writer, not on a read connection
    /// first, costs the writer a few indexed lookups and saves every submission a thread
    /// hop; it also makes bans, trust and duplicates exact under concurrency. `decide`
    /// runs on the writer thread (the pipeline's phases are microseconds; model scoring,
    /// hashing and encoding the explanations happen before, in
    /// [`NewCommentRecord::new`]).
    #[tracing::instrument(level = "debug", skip_all, fields(site = %query.site))]
    async fn submit(
        &self,
        query: AuthorQuery,
        record: Arc<NewCommentRecord>,
        decide: Arc<dyn Decide>,
    ) -> Result<Result<(Submitted, Verdict), Refusal>, StoreError> {
        self.write(move |conn, now| {
            let author = comments::author_context(conn, &query, now)?;
            match decide.decide(&author, &record.comment) {
                Ok(verdict) => {
                    let submitted = comments::insert(conn, &record, &verdict, now)?;
                    Ok(Ok((submitted, verdict)))
                }
                Err(refusal) => Ok(Err(refusal)),
            }
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn published(
        &self,
        site: SiteId,
        article: ArticleId,
        after: Option<CommentId>,
        limit: usize,
    ) -> Result<Vec<PublishedComment>, StoreError> {
        self.read(move |conn, _| comments::published(conn, &site, &article, after, limit))
            .await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn comment(&self, id: CommentId) -> Result<Option<StoredComment>, StoreError> {
        self.read(move |conn, _| comments::get(conn, id)).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn published_counts(
        &self,
        site: SiteId,
        articles: Vec<ArticleId>,
    ) -> Result<Vec<u64>, StoreError> {
        self.read(move |conn, _| counts::published_counts(conn, &site, &articles))
            .await
    }
}

#[async_trait]
impl ReviewQueue for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(status = %query.status, order = query.order.as_str()))]
    async fn review_queue(&self, query: QueueQuery) -> Result<QueuePage, StoreError> {
        self.read(move |conn, _| queue::queue(conn, &query)).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn review_item(
        &self,
        id: CommentId,
    ) -> Result<Option<(ReviewItem, Vec<AuditEntry>)>, StoreError> {
        self.read(move |conn, _| match queue::item(conn, id)? {
            Some(item) => Ok(Some((item, decisions::audit_log(conn, id)?))),
            None => Ok(None),
        })
        .await
    }

    /// One writer job: one transaction, one fsync.
    #[tracing::instrument(level = "debug", skip_all, fields(moderator = %actor.name, n = decisions.len()))]
    async fn decide(
        &self,
        actor: Actor,
        grants: SiteGrants,
        decisions: Vec<DecisionRequest>,
    ) -> Result<Vec<DecisionOutcome>, StoreError> {
        self.write(move |conn, now| {
            decisions
                .iter()
                .map(|d| decisions::decide(conn, &actor, &grants, d, now))
                .collect()
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(moderator = %actor.name, id = %id))]
    async fn undo(
        &self,
        actor: Actor,
        grants: SiteGrants,
        id: CommentId,
        version: i64,
    ) -> Result<UndoOutcome, StoreError> {
        self.write(move |conn, now| undo::undo(conn, &actor, &grants, id, version, now))
            .await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn queue_counts(
        &self,
        status: Status,
        sites: Vec<String>,
    ) -> Result<QueueCounts, StoreError> {
        self.read(move |conn, _| queue_counts::counts(conn, status, &sites))
            .await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn labelled_decisions(
        &self,
        site: Option<&SiteId>,
    ) -> Result<Vec<LabelledDecision>, StoreError> {
        let site = site.map(|s| s.as_str().to_owned());
        self.read(move |conn, _| labelled::labelled_decisions(conn, site.as_deref()))
            .await
    }
}

#[async_trait]
impl Authors for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(site = %site))]
    async fn author(&self, site: SiteId, target: BanTarget) -> Result<AuthorView, StoreError> {
        self.read(move |conn, now| authors::author(conn, &site, &target, now))
            .await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn bans(
        &self,
        sites: Vec<String>,
        include_inactive: bool,
    ) -> Result<Vec<BanEntry>, StoreError> {
        self.read(move |conn, now| authors::bans(conn, &sites, include_inactive, now))
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(moderator = %actor.name, site = %request.site))]
    async fn ban(&self, actor: Actor, request: BanRequest) -> Result<BanOutcome, StoreError> {
        self.write(move |conn, now| bans::ban(conn, &actor, &request, now))
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(moderator = %actor.name, site = %site))]
    async fn unban(
        &self,
        actor: Actor,
        site: SiteId,
        target: BanTarget,
    ) -> Result<u64, StoreError> {
        self.write(move |conn, now| bans::unban(conn, &actor, &site, &target, now))
            .await
    }
}

#[async_trait]
impl Reports for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(comment = %report.comment))]
    async fn report(&self, report: NewReport) -> Result<ReportOutcome, StoreError> {
        self.write(move |conn, now| reports::report(conn, &report, now))
            .await
    }
}

#[async_trait]
impl Outbox for SqliteStore {
    async fn set_webhook_sites(&self, sites: Vec<String>) -> Result<(), StoreError> {
        self.write(move |conn, now| outbox::set_webhook_sites(conn, &sites, now))
            .await
    }

    async fn webhook_events_due(&self, now: i64) -> Result<bool, StoreError> {
        self.read(move |conn, _| outbox::any_due(conn, now)).await
    }

    /// On the writer: claims never race each other.
    async fn claim_webhook_events(
        &self,
        now: i64,
        limit: usize,
        lease_ms: i64,
    ) -> Result<Vec<DueEvent>, StoreError> {
        self.write(move |conn, _| outbox::claim_due(conn, now, limit, lease_ms))
            .await
    }

    async fn record_webhook_attempt(
        &self,
        row: i64,
        outcome: AttemptOutcome,
    ) -> Result<(), StoreError> {
        self.write(move |conn, now| outbox::record_attempt(conn, row, &outcome, now))
            .await
    }

    async fn prune_webhook_events(&self, before: i64) -> Result<usize, StoreError> {
        self.write(move |conn, _| outbox::prune_delivered(conn, before))
            .await
    }
}

#[async_trait]
impl Rules for SqliteStore {
    #[tracing::instrument(level = "debug", skip(self))]
    async fn stored_rules(&self, site: SiteId) -> Result<StoredRules, StoreError> {
        self.read(move |conn, _| rules::stored(conn, site.as_str()))
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(site = %site, moderator = %actor.name))]
    async fn change_rules(
        &self,
        actor: Actor,
        site: SiteId,
        base: RuleValues,
        changes: Vec<(Rule, RuleChange)>,
        note: Note,
    ) -> Result<Result<RulesChanged, ValidationError>, StoreError> {
        self.write(move |conn, now| rules::change(conn, &actor, &site, &base, &changes, &note, now))
            .await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn rule_changes(&self, site: SiteId) -> Result<Vec<RuleChangeEntry>, StoreError> {
        self.read(move |conn, _| rules::log(conn, site.as_str()))
            .await
    }
}

#[async_trait]
impl Moderators for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(name = %moderator.name))]
    async fn add_moderator(
        &self,
        moderator: NewModerator,
    ) -> Result<Result<(), AddModeratorError>, StoreError> {
        self.write(move |conn, now| moderators::add(conn, &moderator, now))
            .await
    }

    async fn moderators(&self) -> Result<Vec<ModeratorInfo>, StoreError> {
        self.read(|conn, _| moderators::list(conn)).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn revoke_moderator(&self, name: ModeratorName) -> Result<bool, StoreError> {
        self.write(move |conn, now| moderators::revoke(conn, &name, now))
            .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn moderator_by_token(
        &self,
        hash: TokenHash,
    ) -> Result<Option<ModeratorRecord>, StoreError> {
        self.read(move |conn, _| moderators::by_token(conn, &hash))
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(moderator = session.moderator_id))]
    async fn create_session(&self, session: NewSession) -> Result<(), StoreError> {
        self.write(move |conn, now| sessions::create(conn, &session, now))
            .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn session(&self, hash: TokenHash) -> Result<Option<SessionRecord>, StoreError> {
        self.read(move |conn, now| sessions::find(conn, &hash, now))
            .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn end_session(&self, hash: TokenHash) -> Result<bool, StoreError> {
        self.write(move |conn, _| sessions::end(conn, &hash)).await
    }
}

#[async_trait]
impl ModelSets for SqliteStore {
    /// One writer job (the bytes, about 2 MB, are shared with it, not copied per replay).
    #[tracing::instrument(level = "debug", skip_all, fields(checksum = %set.checksum()))]
    async fn install_model_set(&self, set: NewModelSet) -> Result<Installed, StoreError> {
        let set = Arc::new(set);
        self.write(move |conn, now| model_sets::install(conn, &set, now))
            .await
    }

    async fn latest_model_set(&self) -> Result<Option<ModelSetHead>, StoreError> {
        self.read(|conn, _| model_sets::latest(conn)).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn model_set(&self, version: i64) -> Result<Option<ModelSet>, StoreError> {
        self.read(move |conn, _| model_sets::get(conn, version))
            .await
    }

    async fn model_sets(&self) -> Result<Vec<ModelSetInfo>, StoreError> {
        self.read(|conn, _| model_sets::list(conn)).await
    }
}

#[async_trait]
impl Upkeep for SqliteStore {
    fn form_token_secret(&self) -> &[u8] {
        &self.form_token_secret
    }

    /// The writer runs, writes succeed and a read connection answers.
    ///
    /// Writes count as failing for [`RECENT_FAILURE_MS`] after one failed for a reason
    /// outside the service (disk full, I/O error, read-only file, a lock held elsewhere):
    /// on a nearly full disk a tiny write may pass while comments do not. After that, if
    /// the last batch failed, this writes one row over itself through the writer, so
    /// readiness comes back with writes and not before.
    async fn ping(&self) -> Result<(), StoreError> {
        if !self.writer.is_alive() {
            return Err(StoreError::Closed);
        }
        if self.writer.failed_within(RECENT_FAILURE_MS) {
            return Err(StoreError::Unavailable(
                "a write failed in the last seconds".into(),
            ));
        }
        if self.writer.is_failing() {
            self.write(|conn, _| {
                conn.execute(
                    "UPDATE secrets SET value = value WHERE name = 'form_token'",
                    [],
                )?;
                Ok(())
            })
            .await?;
        }
        self.read(|conn, _| Ok(conn.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }

    /// Each step in chunks of [`retention::CHUNK`] rows, one writer job per chunk.
    async fn purge(&self, policy: &RetentionPolicy) -> Result<PurgeReport, StoreError> {
        let mut report = PurgeReport::default();
        for (site, step) in policy.steps() {
            loop {
                let site = site.clone();
                let n = self
                    .write(move |conn, _| retention::purge_chunk(conn, &site, step))
                    .await?;
                report.add(step, n);
                if n < retention::CHUNK {
                    break;
                }
            }
        }
        Ok(report)
    }

    /// With `secure_delete` on for the job: the freed pages are zeroed. Copies outside the
    /// live database — backups, and the WAL until its next checkpoint — are the
    /// operator's to handle (see deploy/README.md).
    async fn erase_author(&self, email: String) -> Result<ErasureReport, StoreError> {
        self.write(move |conn, _| retention::erase_author(conn, &email))
            .await
    }

    async fn waiting_counts(&self, sites: Vec<String>) -> Result<WaitingCounts, StoreError> {
        self.read(move |conn, _| Ok((stats::waiting(conn, &sites)?, stats::webhook_backlog(conn)?)))
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::clock::Clock;
    use crate::config::StorageConfig;
    use crate::domain::{
        AuthorContext, AuthorEmail, AuthorName, CommentBody, ModeratorToken, NewComment,
    };
    use crate::store::{sqlite, Store};

    /// The model-set contract ([`crate::store::models`]) on SQLite.
    #[tokio::test]
    async fn model_sets_keep_their_contract() {
        let dir = tempfile::tempdir().unwrap();
        let store: Store = sqlite::open(
            &dir.path().join("m.db"),
            &StorageConfig::default(),
            Clock::manual(1_000_000),
        )
        .unwrap();
        crate::store::models::contract::model_sets_keep_their_contract(store, 1_000_000).await;
    }

    /// Two stores on one file, as two processes on one machine (`serve` and `commentguard
    /// models install`): a set installed through one is the newest for the other, and the
    /// versions they give count on from each other's.
    #[tokio::test]
    async fn model_sets_are_shared_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        let open = || sqlite::open(&path, &StorageConfig::default(), Clock::system()).unwrap();
        let (serving, installing) = (open(), open());
        let set = |tag: &str| NewModelSet::new(tag.into(), b"abuse".to_vec(), "ops");
        let first = installing.install_model_set(set("one")).await.unwrap();
        assert_eq!(
            serving.latest_model_set().await.unwrap(),
            Some(ModelSetHead {
                version: 1,
                checksum: first.set.checksum.clone()
            })
        );
        let second = serving.install_model_set(set("two")).await.unwrap();
        assert_eq!(second.set.version, 2);
        let fetched = installing.model_set(2).await.unwrap().unwrap();
        fetched.verify().unwrap();
        assert_eq!(fetched.spam, b"two");
    }

    /// A decision fixed in advance.
    struct Publish;

    impl Decide for Publish {
        fn decide(&self, _: &AuthorContext, _: &NewComment) -> Result<Verdict, Refusal> {
            Ok(Verdict {
                status: Status::Published,
                reasons: Vec::new(),
            })
        }
    }

    /// Every time the store writes or compares with comes from its clock: a comment is
    /// stored at the clock's instant, and a session expires when the clock says so.
    #[tokio::test]
    async fn times_come_from_the_stores_clock() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Clock::manual(1_000_000);
        let store: Store = sqlite::open(
            &dir.path().join("c.db"),
            &StorageConfig::default(),
            clock.clone(),
        )
        .unwrap();
        let comment = NewComment {
            site: SiteId::parse("news").unwrap(),
            article_id: ArticleId::parse("a1").unwrap(),
            article_url: None,
            parent_id: None,
            author_name: AuthorName::parse("Ann").unwrap(),
            author_email: Some(AuthorEmail::parse("ann@example.com").unwrap()),
            author_url: None,
            body: CommentBody::parse("A comment stored at the clock's time.").unwrap(),
            client_ip: "192.0.2.1".parse().unwrap(),
            user_agent: None,
        };
        let query = AuthorQuery {
            site: comment.site.clone(),
            email: comment.author_email.clone(),
            ip: comment.client_ip,
            parent: None,
            trust_after: 0,
        };
        let record = Arc::new(NewCommentRecord::new(
            comment,
            None,
            None,
            Duration::from_secs(60),
        ));
        let (submitted, _) = store
            .submit(query, record, Arc::new(Publish))
            .await
            .unwrap()
            .unwrap();
        let Submitted::Stored { id, created_at } = submitted else {
            panic!("{submitted:?}")
        };
        assert_eq!(created_at, 1_000_000);
        let stored = store.comment(id).await.unwrap().unwrap();
        assert_eq!(
            (stored.created_at, stored.updated_at),
            (1_000_000, 1_000_000)
        );

        let token = ModeratorToken::generate();
        store
            .add_moderator(NewModerator {
                name: ModeratorName::parse("ann").unwrap(),
                token_hash: token.hash,
                is_admin: true,
                sites: Vec::new(),
            })
            .await
            .unwrap()
            .unwrap();
        let moderator = store.moderator_by_token(token.hash).await.unwrap().unwrap();
        let session = TokenHash::of("a session secret");
        store
            .create_session(NewSession {
                hash: session,
                moderator_id: moderator.id,
                expires_at: 1_000_010,
            })
            .await
            .unwrap();
        assert!(store.session(session).await.unwrap().is_some());
        clock.advance(Duration::from_millis(10));
        assert!(
            store.session(session).await.unwrap().is_none(),
            "expired by the store's clock"
        );
    }
}
