//! The one error type of the storage layer, shared by every backend.
use std::path::PathBuf;

/// Storage failures, whatever the backend.
///
/// The variants a caller acts on are backend-neutral: [`StoreError::Busy`] (retry
/// shortly), [`StoreError::Closed`], [`StoreError::Unavailable`] and, through
/// [`StoreError::is_unavailable`], any fault of the surroundings (answered 503). A
/// backend's own errors travel in [`StoreError::Backend`] (or, for SQLite, the
/// `Sqlite`/`Migration` variants kept for its `?`s); the other variants name conditions
/// any backend may meet.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An SQLite error (the SQLite backend only).
    #[error("database error")]
    Sqlite(#[from] rusqlite::Error),
    /// An SQLite migration failed (the SQLite backend only).
    #[error("database migration failed")]
    Migration(#[from] rusqlite_migration::Error),
    /// Another backend's error. `unavailable`: a fault of the surroundings (the server
    /// is unreachable, the disk full, a lock held elsewhere) rather than of the request or
    /// of our code — see [`StoreError::is_unavailable`].
    #[error("database error: {source}")]
    Backend {
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
        unavailable: bool,
    },
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
    pub(crate) fn commit_failed(err: &StoreError) -> StoreError {
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
            StoreError::Backend { unavailable, .. } => *unavailable,
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
