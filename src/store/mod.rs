//! Storage: the only module that knows SQL.
//!
//! The interface is narrow on purpose — submit a comment (looking up, in the same
//! transaction, what its decision needs to know about the author), list published
//! comments, fetch one comment, record a reader report, hand webhook events to the
//! delivery worker — so that another backend (PostgreSQL, for sites that
//! outgrow one machine) can sit behind it one day.
//! Every method is `async` and does its blocking SQLite work off the async workers:
//! writes go to the single [`writer`] thread (group commit), reads run on a small pool of
//! read connections inside `spawn_blocking`.
//!
//! # Layout
//! - [`schema`] — opening connections, pragmas, migrations (`migrations/*.sql`).
//! - [`writer`] — the writer thread and its group commit.
//! - [`checkpoint`] — the thread that checkpoints the WAL, off the writer's commit path.
//! - [`readers`] — the read-connection pool.
//! - [`comments`] — the comment queries (insert with duplicate check, listing, lookups).
//! - [`counts`] — published comments per article, for article lists.
//! - [`outbox`] — webhook events, enqueued in the transaction of the change they report.
//! - [`reports`] — reader reports and sending reported comments back to the queue.
//! - [`moderators`] — moderators, their tokens (hashed) and the sites they may review;
//!   [`sessions`] — their browser sessions (hashed too).
//! - [`review`] — the review queue, decisions with their audit log, bans, and the
//!   labelled decisions that train the next models; [`review_context`] — what is shown
//!   around a queued comment (headline, parent, report reasons); [`queue_counts`] — the
//!   queue by site and reason; [`authors`] — an author's view and the list of bans;
//!   [`undo`] — taking back one's own decision.
//! - [`rules`] — site rules changed at run time, with their audit log.
//! - [`retention`] — purging by the retention policy, erasing one commenter, backups.
//! - [`stats`] — counts read for monitoring.
mod authors;
mod checkpoint;
mod comments;
mod counts;
mod moderators;
mod outbox;
pub mod postgres;
mod queue_counts;
mod readers;
mod reports;
mod retention;
mod review;
mod review_context;
mod rules;
mod schema;
mod sessions;
mod stats;
mod undo;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::Connection;
use tokio::sync::Semaphore;

pub use comments::{
    AuthorContext, AuthorQuery, Ban, NewCommentRecord, ParentInfo, PublishedComment, StoredComment,
    Submitted, Verdict,
};

pub use outbox::{AttemptOutcome, DueEvent, WebhookEvent};
pub use reports::{NewReport, ReportOutcome};
pub use retention::{backup, BackupReport, ErasureReport, PurgeReport, RetentionPolicy};

pub use authors::{AuthorComment, AuthorView, BanEntry};
pub use moderators::{AddModeratorError, ModeratorInfo, ModeratorRecord, NewModerator, SiteGrants};
pub use queue_counts::QueueCounts;
pub use review::{
    Actor, AuditEntry, AuthorHistory, BanOutcome, BanRequest, CommentState, DecisionOutcome,
    DecisionRequest, LabelledDecision, QueueOrder, QueuePage, QueuePosition, QueueQuery,
    ReasonFilter, ReviewItem, SiteHolds, MAX_BULK_DECISIONS,
};
pub use review_context::{ParentComment, ReportEntry};
pub use rules::{RuleChangeEntry, RulesChanged, StoredRule, StoredRules};
pub use sessions::{NewSession, SessionRecord};
pub use undo::{UndoOutcome, UNDO_WINDOW_MS};

use crate::config::StorageConfig;
use crate::domain::{ArticleId, CommentId, NewComment, SiteId};
use readers::ReadPool;
use writer::{Durability, Writer};

/// Storage failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database migration failed")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("could not create the database directory {path}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the database refused WAL mode (journal_mode = {0})")]
    NoWal(String),
    #[error("could not start the writer thread")]
    Spawn(#[source] std::io::Error),
    /// The write queue is full: the caller should retry shortly.
    #[error("the write queue is full")]
    Busy,
    /// The writer thread has stopped (shutting down, or it died).
    #[error("the store is closed")]
    Closed,
    /// The batch holding this write failed to commit.
    #[error("the transaction failed to commit: {0}")]
    Commit(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("a storage task panicked")]
    Panicked,
    /// A read-only open found no database file.
    #[error("no database at {0}")]
    NoDatabase(PathBuf),
    /// A read-only open found a schema older than this build (read-only opens never migrate).
    #[error("the database schema is older than this build: start `commentguard serve` on it once to migrate it")]
    Outdated,
    /// The file is a database of another application: refused, never migrated.
    #[error("{0} is not a commentguard database ({1}); refusing to touch it")]
    Foreign(PathBuf, String),
    /// The database's directory cannot be written (read-only file system, wrong owner):
    /// the service cannot start on it.
    #[error("cannot write in the database's directory {dir} (read-only file system, or not the service user's?)")]
    Unwritable {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The database file could only be opened read-only.
    #[error(
        "{0} can only be opened read-only (read-only file system, or not the service user's file?)"
    )]
    ReadOnlyFile(PathBuf),
    /// The database cannot take writes for now (disk full, I/O error, read-only file,
    /// locked by another process): nothing was written; the caller may retry later.
    #[error("the database cannot take writes right now: {0}")]
    Unavailable(String),
}

impl StoreError {
    /// The error each job of a failed batch receives.
    fn commit_failed(err: &StoreError) -> StoreError {
        let message = format!("{err}: {:?}", std::error::Error::source(err));
        if err.is_unavailable() {
            StoreError::Unavailable(message)
        } else {
            StoreError::Commit(message)
        }
    }

    /// Whether this is a fault of the database's surroundings (the disk is full or
    /// failing, the file is read-only, another process holds the lock) rather than of
    /// the request or of our code: it passes, and the caller should retry later.
    pub fn is_unavailable(&self) -> bool {
        use rusqlite::ErrorCode;
        match self {
            StoreError::Unavailable(_) => true,
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.code,
                ErrorCode::DiskFull
                    | ErrorCode::SystemIoFailure
                    | ErrorCode::ReadOnly
                    | ErrorCode::DatabaseBusy
                    | ErrorCode::DatabaseLocked
                    | ErrorCode::CannotOpen
                    | ErrorCode::OutOfMemory
            ),
            _ => false,
        }
    }
}

/// How long after a write failed for a reason outside the service (disk full, ...) the
/// store still reports itself not ready, in milliseconds.
pub const RECENT_FAILURE_MS: i64 = 3_000;

/// Milliseconds since the Unix epoch, the store's time unit.
pub(crate) fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Ids are stored as SQLite integers; a non-positive one is corrupt data.
impl rusqlite::types::FromSql for CommentId {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let id = i64::column_result(value)?;
        CommentId::new(id).ok_or(rusqlite::types::FromSqlError::OutOfRange(id))
    }
}

/// Handle to the database; cheap to clone, shared by every HTTP worker.
#[derive(Clone)]
pub struct Store {
    writer: Writer,
    readers: Arc<ReadPool>,
    /// One permit per pooled read connection: reads beyond that wait here (async) rather
    /// than opening connections on the blocking pool.
    read_permits: Arc<Semaphore>,
    form_token_secret: Arc<[u8]>,
}

impl Store {
    /// Opens (creating and migrating if needed) the database at `path` and starts the
    /// writer thread.
    pub fn open(path: &Path, config: &StorageConfig) -> Result<Store, StoreError> {
        let busy = Duration::from_millis(config.busy_timeout_ms);
        let conn = schema::open_writer(path, busy)?;
        let secret: Vec<u8> = conn.query_row(
            "SELECT value FROM secrets WHERE name = 'form_token'",
            [],
            |row| row.get(0),
        )?;
        // WAL checkpoints run on their own thread (see `checkpoint`), so the writer's
        // commits never copy pages into the database file; if that thread cannot start,
        // SQLite's automatic checkpoint stays on.
        let wal = match checkpoint::spawn(path, busy, checkpoint::Tuning::default()) {
            Ok(link) => {
                conn.execute_batch("PRAGMA wal_autocheckpoint = 0")?;
                Some(link)
            }
            Err(err) => {
                tracing::warn!(error = %err, "no checkpoint thread; checkpoints stay in commits");
                None
            }
        };
        // Commits are made durable by syncing the WAL on a thread of its own, overlapping
        // the next batch (see `writer`). The WAL file exists from the migrations' writes on
        // and SQLite keeps it while this connection is open (checkpoints truncate or
        // rewrite it in place), so one handle serves for the store's lifetime.
        let wal_path = {
            let mut p = path.as_os_str().to_owned();
            p.push("-wal");
            PathBuf::from(p)
        };
        let durability = match std::fs::File::open(&wal_path) {
            Ok(file) => Durability::SyncWal(Box::new(move || file.sync_data())),
            Err(err) => {
                tracing::warn!(error = %err, wal = %wal_path.display(), "cannot open the WAL file; commits sync themselves");
                Durability::InCommit
            }
        };
        let writer = Writer::spawn(conn, config.write_queue, config.max_batch, wal, durability)?;
        let readers = Arc::new(ReadPool::new(
            path.to_owned(),
            busy,
            config.read_connections,
        ));
        Ok(Store {
            writer,
            readers,
            read_permits: Arc::new(Semaphore::new(config.read_connections)),
            form_token_secret: secret.into(),
        })
    }

    /// Opens an existing database for reading only (for CLI tools such as
    /// `export-decisions` and `train --with-decisions`, also while `serve` runs on it):
    /// no writer thread, no migration; every write answers [`StoreError::Closed`].
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        if !path.is_file() {
            return Err(StoreError::NoDatabase(path.to_owned()));
        }
        let busy = Duration::from_millis(StorageConfig::default().busy_timeout_ms);
        let conn = schema::open_reader(path, busy)?;
        if !schema::is_current(&conn)? {
            return Err(StoreError::Outdated);
        }
        let secret: Vec<u8> = conn.query_row(
            "SELECT value FROM secrets WHERE name = 'form_token'",
            [],
            |row| row.get(0),
        )?;
        const READERS: usize = 2;
        Ok(Store {
            writer: Writer::closed(),
            readers: Arc::new(ReadPool::new(path.to_owned(), busy, READERS)),
            read_permits: Arc::new(Semaphore::new(READERS)),
            form_token_secret: secret.into(),
        })
    }

    /// The instance's own form-token key, made at first start and kept in the database.
    pub fn form_token_secret(&self) -> &[u8] {
        &self.form_token_secret
    }

    /// Submits a comment in one step of the writer, inside one transaction:
    ///
    /// 1. looks up what the decision needs — active bans, the author's history (trust),
    ///    the parent — as of this instant, including comments earlier in the same batch;
    /// 2. calls `decide` with it and the comment, which returns the pipeline's verdict or
    ///    refuses (`Err(E)`, nothing is written);
    /// 3. refuses a duplicate (same body by the same e-mail or IP within the window), else
    ///    inserts — with the comment's webhook event (`comment.held`, `.published` or
    ///    `.rejected`) when its site has a webhook.
    ///
    /// Returns after the commit is durable, with the verdict stored. Running the lookup in
    /// the writer, not on a read connection first, costs the writer a few indexed lookups
    /// and saves every submission a thread hop; it also makes bans, trust and duplicates
    /// exact under concurrency. `decide` runs on the writer thread: keep it CPU-only and
    /// short (the pipeline's phases are microseconds; model scoring, hashing and encoding
    /// the explanations happen before, in [`NewCommentRecord::new`]). Like every write it
    /// may run more than once if its batch is replayed (see [`writer`]).
    #[tracing::instrument(level = "debug", skip_all, fields(site = %query.site))]
    pub async fn submit<E, F>(
        &self,
        query: AuthorQuery,
        record: Arc<NewCommentRecord>,
        mut decide: F,
    ) -> Result<Result<(Submitted, Verdict), E>, StoreError>
    where
        F: FnMut(&AuthorContext, &NewComment) -> Result<Verdict, E> + Send + 'static,
        E: Send + 'static,
    {
        self.writer
            .write(move |conn| {
                let now = now_millis();
                let author = comments::author_context(conn, &query, now)?;
                match decide(&author, &record.comment) {
                    Ok(verdict) => {
                        let submitted = comments::insert(conn, &record, &verdict, now)?;
                        Ok(Ok((submitted, verdict)))
                    }
                    Err(refusal) => Ok(Err(refusal)),
                }
            })
            .await
    }

    /// Published comments of an article, oldest first, after the keyset cursor `after`.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn published(
        &self,
        site: SiteId,
        article: ArticleId,
        after: Option<CommentId>,
        limit: usize,
    ) -> Result<Vec<PublishedComment>, StoreError> {
        self.read(move |conn| comments::published(conn, &site, &article, after, limit))
            .await
    }

    /// One comment with everything stored about it.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn comment(&self, id: CommentId) -> Result<Option<StoredComment>, StoreError> {
        self.read(move |conn| comments::get(conn, id)).await
    }

    /// Records which sites have a webhook, so that only their events are enqueued (see
    /// [`outbox`]). Called at start with the configured sites; undelivered events of a
    /// site that lost its webhook are marked failed.
    pub async fn set_webhook_sites(&self, sites: Vec<String>) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| outbox::set_webhook_sites(conn, &sites, now_millis()))
            .await
    }

    /// Records a reader report and, at the site's threshold, sends the comment back to the
    /// review queue as `reported` — in one transaction (see [`reports`]).
    #[tracing::instrument(level = "debug", skip_all, fields(comment = %report.comment))]
    pub async fn report(&self, report: NewReport) -> Result<ReportOutcome, StoreError> {
        self.writer
            .write(move |conn| reports::report(conn, &report, now_millis()))
            .await
    }

    /// Applies `policy` (see [`retention`]): each step in chunks of [`retention::CHUNK`]
    /// rows, one write job per chunk, so submissions queued meanwhile are not held up.
    pub async fn purge(&self, policy: &RetentionPolicy) -> Result<PurgeReport, StoreError> {
        use retention::PurgeStep;
        let mut report = PurgeReport::default();
        let mut steps: Vec<(String, PurgeStep)> = Vec::new();
        for (site, cutoff) in &policy.sites {
            let cutoff = *cutoff;
            steps.push((site.clone(), PurgeStep::DeleteRejected { cutoff }));
            steps.push((site.clone(), PurgeStep::DeleteReports { cutoff }));
            steps.push((site.clone(), PurgeStep::Strip { cutoff }));
        }
        if let Some(cutoff) = policy.audit_before {
            steps.push((String::new(), PurgeStep::DeleteAudit { cutoff }));
        }
        steps.push((
            String::new(),
            PurgeStep::DeleteFailedWebhooks {
                cutoff: policy.failed_webhooks_before,
            },
        ));
        steps.push((
            String::new(),
            PurgeStep::DeleteDeliveredWebhooks {
                cutoff: policy.delivered_webhooks_before,
            },
        ));
        for (site, step) in steps {
            loop {
                let site = site.clone();
                let n = self
                    .writer
                    .write(move |conn| retention::purge_chunk(conn, &site, step))
                    .await?;
                match step {
                    PurgeStep::DeleteRejected { .. } => report.rejected_comments_deleted += n,
                    PurgeStep::Strip { .. } => report.comments_stripped += n,
                    PurgeStep::DeleteReports { .. } => report.reports_deleted += n,
                    PurgeStep::DeleteAudit { .. } => report.audit_entries_deleted += n,
                    PurgeStep::DeleteFailedWebhooks { .. }
                    | PurgeStep::DeleteDeliveredWebhooks { .. } => {
                        report.webhook_events_deleted += n
                    }
                }
                if n < retention::CHUNK {
                    break;
                }
            }
        }
        Ok(report)
    }

    /// Erases everything stored under one (lower-cased) e-mail address, on every site, in
    /// one transaction (see [`retention`]).
    pub async fn erase_author(&self, email: String) -> Result<ErasureReport, StoreError> {
        self.writer
            .write(move |conn| retention::erase_author(conn, &email))
            .await
    }

    /// For monitoring: `(site, status, count)` of the comments waiting for a moderator on
    /// each of `sites`, and the webhook events still to deliver.
    pub async fn waiting_counts(
        &self,
        sites: Vec<String>,
    ) -> Result<(Vec<(String, &'static str, u64)>, u64), StoreError> {
        self.read(move |conn| Ok((stats::waiting(conn, &sites)?, stats::webhook_backlog(conn)?)))
            .await
    }

    /// Whether any webhook event is due at `now` (a read; claiming needs the writer).
    pub async fn webhook_events_due(&self, now: i64) -> Result<bool, StoreError> {
        self.read(move |conn| outbox::any_due(conn, now)).await
    }

    /// Claims up to `limit` due webhook events for one attempt each; none of them is
    /// handed out again for `lease_ms` unless its attempt is recorded first.
    pub async fn claim_webhook_events(
        &self,
        now: i64,
        limit: usize,
        lease_ms: i64,
    ) -> Result<Vec<DueEvent>, StoreError> {
        self.writer
            .write(move |conn| outbox::claim_due(conn, now, limit, lease_ms))
            .await
    }

    /// Records how a delivery attempt ended.
    pub async fn record_webhook_attempt(
        &self,
        row: i64,
        outcome: AttemptOutcome,
    ) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| outbox::record_attempt(conn, row, &outcome, now_millis()))
            .await
    }

    /// Deletes webhook events delivered before `before` (unix milliseconds).
    pub async fn prune_webhook_events(&self, before: i64) -> Result<usize, StoreError> {
        self.writer
            .write(move |conn| outbox::prune_delivered(conn, before))
            .await
    }

    /// Readiness: the writer runs, writes succeed and a read connection answers.
    ///
    /// Writes count as failing for [`RECENT_FAILURE_MS`] after one failed for a reason
    /// outside the service (disk full, I/O error, read-only file, a lock held elsewhere):
    /// on a nearly full disk a tiny write may pass while comments do not. After that, if
    /// the last batch failed, this writes one row over itself through the writer, so
    /// readiness comes back with writes and not before.
    pub async fn ping(&self) -> Result<(), StoreError> {
        if !self.writer.is_alive() {
            return Err(StoreError::Closed);
        }
        if self.writer.failed_within(RECENT_FAILURE_MS) {
            return Err(StoreError::Unavailable(
                "a write failed in the last seconds".into(),
            ));
        }
        if self.writer.is_failing() {
            self.writer
                .write(|conn| {
                    conn.execute(
                        "UPDATE secrets SET value = value WHERE name = 'form_token'",
                        [],
                    )?;
                    Ok(())
                })
                .await?;
        }
        self.read(|conn| Ok(conn.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }

    /// Runs `op` on a read connection on the blocking pool.
    pub(crate) async fn read<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let permit = Arc::clone(&self.read_permits)
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Closed)?;
        let readers = Arc::clone(&self.readers);
        tokio::task::spawn_blocking(move || {
            let result = readers.with(op);
            drop(permit);
            result
        })
        .await
        .map_err(|_| StoreError::Panicked)?
    }

    /// Runs `op` in the writer's next batch (for other modules of `store`, e.g. the
    /// review queue's decisions).
    #[allow(dead_code)]
    pub(crate) async fn write<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        F: FnMut(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        self.writer.write(op).await
    }
}
