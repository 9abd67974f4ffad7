//! Storage: the only module that knows SQL.
//!
//! The interface is narrow on purpose — submit a comment, look up what the pipeline needs
//! to know about an author, list published comments, fetch one comment — so that another
//! backend (PostgreSQL, for sites that outgrow one machine) can sit behind it one day.
//! Every method is `async` and does its blocking SQLite work off the async workers:
//! writes go to the single [`writer`] thread (group commit), reads run on a small pool of
//! read connections inside `spawn_blocking`.
//!
//! # Layout
//! - [`schema`]: opening connections, pragmas, migrations (`migrations/*.sql`).
//! - [`writer`]: the writer thread and its group commit.
//! - [`readers`]: the read-connection pool.
//! - [`comments`]: the comment queries (insert with duplicate check, listing, lookups).
mod comments;
mod readers;
mod schema;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::Connection;

pub use comments::{
    AuthorContext, AuthorQuery, Ban, NewCommentRecord, ParentInfo, PublishedComment,
    StoredComment, Submitted,
};

use crate::config::StorageConfig;
use crate::domain::{ArticleId, CommentId, SiteId};
use readers::ReadPool;
use writer::Writer;

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
}

impl StoreError {
    /// The error each job of a failed batch receives.
    fn commit_failed(err: &StoreError) -> StoreError {
        StoreError::Commit(format!("{err}: {:?}", std::error::Error::source(err)))
    }
}

/// Milliseconds since the Unix epoch, the store's time unit.
pub(crate) fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Handle to the database; cheap to clone, shared by every HTTP worker.
#[derive(Clone)]
pub struct Store {
    writer: Writer,
    readers: Arc<ReadPool>,
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
        let writer =
            Writer::spawn(conn, config.write_queue, config.max_batch).map_err(StoreError::Spawn)?;
        let readers = Arc::new(ReadPool::new(path.to_owned(), busy, config.read_connections));
        Ok(Store {
            writer,
            readers,
            form_token_secret: secret.into(),
        })
    }

    /// The instance's own form-token key, made at first start and kept in the database.
    pub fn form_token_secret(&self) -> &[u8] {
        &self.form_token_secret
    }

    /// Stores a decided comment, unless it duplicates a recent one (checked atomically
    /// with the insert). Returns after the commit is durable.
    #[tracing::instrument(level = "debug", skip_all, fields(site = %record.comment.site))]
    pub async fn submit(&self, record: NewCommentRecord) -> Result<Submitted, StoreError> {
        self.writer
            .write(move |conn| comments::insert(conn, &record, now_millis()))
            .await
    }

    /// What the pipeline needs to know about the author of a submission and its parent.
    #[tracing::instrument(level = "debug", skip_all, fields(site = %query.site))]
    pub async fn author_context(&self, query: AuthorQuery) -> Result<AuthorContext, StoreError> {
        self.read(move |conn| comments::author_context(conn, &query, now_millis()))
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

    /// Readiness: the writer runs and a read connection answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        if !self.writer.is_alive() {
            return Err(StoreError::Closed);
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
        let readers = Arc::clone(&self.readers);
        tokio::task::spawn_blocking(move || readers.with(op))
            .await
            .map_err(|_| StoreError::Panicked)?
    }

    /// Runs `op` in the writer's next batch (for other modules of `store`, e.g. the
    /// review queue's decisions).
    #[allow(dead_code)]
    pub(crate) async fn write<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        self.writer.write(op).await
    }
}
