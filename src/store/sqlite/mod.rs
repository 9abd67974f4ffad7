//! The SQLite backend: one database file, one writer thread that commits in groups, a
//! pool of read connections.
//!
//! Every method of the storage traits (implemented in [`storage`]) is `async` and does its
//! blocking SQLite work off the async workers: writes go to the single [`writer`] thread
//! (group commit: a burst of N submissions costs one fsync), reads run on a small pool of
//! read connections inside `spawn_blocking`. A write is a *job* — a closure over the
//! writer's connection and the batch's instant — that may run more than once (see
//! [`writer`]'s "Replays"), so it does nothing but SQL.
//!
//! # Layout
//! Engine:
//! - [`schema`] — opening connections, pragmas, migrations (`migrations/*.sql`).
//! - [`writer`] — the writer thread and its group commit.
//! - [`checkpoint`] — the thread that checkpoints the WAL, off the writer's commit path.
//! - [`readers`] — the read-connection pool.
//! - [`storage`] — the storage traits, each method a job on the writer or a read.
//!
//! Queries (each file the SQL of one concern, as plain functions over a `Connection`):
//! - [`comments`] — insert with author lookup and duplicate check, listing, lookups;
//!   [`counts`] — published comments per article.
//! - [`outbox`] — webhook events, recorded in the transaction of the change they report.
//! - [`reports`] — reader reports and sending reported comments back to the queue.
//! - [`moderators`] — moderators, their tokens (hashed) and grants; [`sessions`] — their
//!   browser sessions (hashed too).
//! - [`queue`] — listing the review queue and one item with its context
//!   ([`review_context`]: headline, parent, report reasons); [`queue_counts`] — the queue
//!   by site and reason.
//! - [`decisions`] — moderators' decisions and the audit log; [`undo`] — taking back
//!   one's own; [`labelled`] — the labelled decisions that train the next models.
//! - [`bans`] — imposing and lifting bans; [`authors`] — an author's view and the list
//!   of bans.
//! - [`rules`] — site rules changed at run time, with their audit log.
//! - [`model_sets`] — model pairs installed in the database (`commentguard models install`).
//! - [`retention`] — purging by the retention policy, erasing one commenter, backups.
//! - [`stats`] — counts read for monitoring.
mod authors;
mod bans;
mod checkpoint;
mod comments;
mod counts;
mod decisions;
#[cfg(test)]
mod fixtures;
mod labelled;
mod model_sets;
mod moderators;
mod outbox;
mod queue;
mod queue_counts;
mod readers;
mod reports;
mod retention;
mod review_context;
mod rules;
mod schema;
mod sessions;
mod stats;
mod storage;
mod undo;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::Semaphore;

pub use retention::{backup, BackupReport};

use super::{Store, StoreError};
use crate::clock::Clock;
use crate::config::StorageConfig;
use crate::domain::CommentId;
use readers::ReadPool;
use writer::{Durability, Writer};

/// How long after a write failed for a reason outside the service (disk full, ...) the
/// store still reports itself not ready, in milliseconds.
pub const RECENT_FAILURE_MS: i64 = 3_000;

/// Ids are stored as SQLite integers; a non-positive one is corrupt data.
impl rusqlite::types::FromSql for CommentId {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let id = i64::column_result(value)?;
        CommentId::new(id).ok_or(rusqlite::types::FromSqlError::OutOfRange(id))
    }
}

/// Opens (creating and migrating if needed) the database at `path`, starts its threads,
/// and returns it as the service's [`Store`]. See [`SqliteStore::open`].
pub fn open(path: &Path, config: &StorageConfig, clock: Clock) -> Result<Store, StoreError> {
    Ok(Arc::new(SqliteStore::open(path, config, clock)?))
}

/// Opens an existing database for reading only, as a [`Store`]. See
/// [`SqliteStore::open_read_only`].
pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
    Ok(Arc::new(SqliteStore::open_read_only(path)?))
}

/// Handle to one SQLite database; shared by every HTTP worker behind a [`Store`].
pub struct SqliteStore {
    writer: Writer,
    readers: Arc<ReadPool>,
    /// One permit per pooled read connection: reads beyond that wait here (async) rather
    /// than opening connections on the blocking pool.
    read_permits: Arc<Semaphore>,
    form_token_secret: Arc<[u8]>,
    /// The time every job and read compares with and writes.
    clock: Clock,
}

impl SqliteStore {
    /// Opens (creating and migrating if needed) the database at `path` and starts the
    /// writer thread; every timestamp it writes comes from `clock`.
    pub fn open(
        path: &Path,
        config: &StorageConfig,
        clock: Clock,
    ) -> Result<SqliteStore, StoreError> {
        let busy = Duration::from_millis(config.busy_timeout_ms);
        let conn = schema::open_writer(path, busy)?;
        let secret = form_token_secret(&conn)?;
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
        let writer = Writer::spawn(
            conn,
            config.write_queue,
            config.max_batch,
            wal,
            durability,
            clock.clone(),
        )?;
        let readers = Arc::new(ReadPool::new(
            path.to_owned(),
            busy,
            config.read_connections,
        ));
        Ok(SqliteStore {
            writer,
            readers,
            read_permits: Arc::new(Semaphore::new(config.read_connections)),
            form_token_secret: secret.into(),
            clock,
        })
    }

    /// Opens an existing database for reading only (for CLI tools such as
    /// `export-decisions` and `train --with-decisions`, also while `serve` runs on it):
    /// no writer thread, no migration; every write answers [`StoreError::Closed`].
    pub fn open_read_only(path: &Path) -> Result<SqliteStore, StoreError> {
        if !path.is_file() {
            return Err(StoreError::NoDatabase(path.to_owned()));
        }
        let busy = Duration::from_millis(StorageConfig::default().busy_timeout_ms);
        let conn = schema::open_reader(path, busy)?;
        if !schema::is_current(&conn)? {
            return Err(StoreError::Outdated);
        }
        let secret = form_token_secret(&conn)?;
        const READERS: usize = 2;
        Ok(SqliteStore {
            writer: Writer::closed(),
            readers: Arc::new(ReadPool::new(path.to_owned(), busy, READERS)),
            read_permits: Arc::new(Semaphore::new(READERS)),
            form_token_secret: secret.into(),
            clock: Clock::system(),
        })
    }

    /// Runs `op` on a read connection on the blocking pool, with the clock's current
    /// time.
    pub(crate) async fn read<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection, i64) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let permit = Arc::clone(&self.read_permits)
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Closed)?;
        let readers = Arc::clone(&self.readers);
        let now = self.clock.now_millis();
        tokio::task::spawn_blocking(move || {
            let result = readers.with(|conn| op(conn, now));
            drop(permit);
            result
        })
        .await
        .map_err(|_| StoreError::Panicked)?
    }

    /// Runs `op` in the writer's next batch; see [`Writer::write`] for what a job may do
    /// (SQL only: it may run more than once).
    pub(crate) async fn write<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        F: Fn(&Connection, i64) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        self.writer.write(op).await
    }
}

/// The instance's form-token key, made by the first migration.
fn form_token_secret(conn: &Connection) -> Result<Vec<u8>, StoreError> {
    Ok(conn.query_row(
        "SELECT value FROM secrets WHERE name = 'form_token'",
        [],
        |row| row.get(0),
    )?)
}
