//! How PostgreSQL's and the pool's failures become the store's [`StoreError`].
//!
//! - The server cannot be reached, the pool waited too long for a connection, the server
//!   is shutting down, out of disk or connections, or read-only (a standby):
//!   [`StoreError::Backend`] with `unavailable` set — a 503 with `Retry-After` upstream,
//!   like SQLite's full disk or foreign lock.
//! - A deadlock or serialization failure that survived the retries of
//!   [`super::PgStore`]'s transactions, or a lock not had within `lock_timeout`:
//!   [`StoreError::Busy`] (retry shortly).
//! - Stored data this build cannot read: [`StoreError::Corrupt`].
//! - Anything else (a bug, a constraint our code did not expect): [`StoreError::Backend`]
//!   carrying the error itself (its message holds the server's SQLSTATE).
use tokio_postgres::error::SqlState;

use crate::store::StoreError;

/// A failure inside the PostgreSQL backend.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PgError {
    #[error("postgres: {}", describe(.0))]
    Db(#[from] tokio_postgres::Error),
    #[error("connection pool: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// The SQLSTATE and message of a server error, or the client's description.
fn describe(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => format!("{} {}", db.code().code(), db.message()),
        None => match std::error::Error::source(err) {
            Some(source) => format!("{err}: {source}"),
            None => err.to_string(),
        },
    }
}

impl PgError {
    /// The server's SQLSTATE, if it answered with an error.
    pub(crate) fn code(&self) -> Option<&SqlState> {
        match self {
            PgError::Db(e) => e.code(),
            _ => None,
        }
    }

    /// A deadlock or serialization failure: the transaction was rolled back by the
    /// server and may simply be run again.
    pub(crate) fn is_retryable(&self) -> bool {
        matches!(
            self.code(),
            Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
        )
    }

    /// A lock could not be had within `lock_timeout` (another transaction holds it for
    /// long): nothing was written; the caller may retry shortly.
    pub(crate) fn is_lock_timeout(&self) -> bool {
        matches!(self.code(), Some(c) if *c == SqlState::LOCK_NOT_AVAILABLE)
    }

    /// Whether the fault is the database's surroundings, not the request or our code.
    pub(crate) fn is_unavailable(&self) -> bool {
        match self {
            PgError::Pool(_) => true,
            PgError::Db(e) => {
                if e.is_closed() {
                    return true;
                }
                match e.code() {
                    // No SQLSTATE: the socket failed, a timeout, the protocol broke.
                    None => e.as_db_error().is_none(),
                    Some(code) => {
                        let c = code.code();
                        // 08: connection exception; 53: insufficient resources (disk full,
                        // out of memory, too many connections); 57P0x: the server is
                        // shutting down or starting; 25006: a read-only (standby) server.
                        c.starts_with("08")
                            || c.starts_with("53")
                            || c.starts_with("57P")
                            || c == "25006"
                    }
                }
            }
            PgError::Corrupt(_) => false,
        }
    }
}

impl From<PgError> for StoreError {
    fn from(err: PgError) -> Self {
        if err.is_unavailable() {
            return StoreError::Backend {
                source: Box::new(err),
                unavailable: true,
            };
        }
        if err.is_retryable() || err.is_lock_timeout() {
            return StoreError::Busy;
        }
        match err {
            PgError::Corrupt(what) => StoreError::Corrupt(what),
            other => StoreError::Backend {
                source: Box::new(other),
                unavailable: false,
            },
        }
    }
}
