//! The PostgreSQL backend (issue 14): the storage traits of [`crate::store`] (see
//! [`storage`]), for running several stateless instances on one database; opened by
//! [`open`] when the configured `database` is a `postgres://` URL.
//!
//! [`PgStore`]'s query methods keep the traits' contracts, with the SQLite backend's
//! semantics (ordering, keyset cursors,
//! totals, idempotent repeats, version checks, audit rows and webhook events in the
//! transaction of their change). What differs is how exactness under concurrency is won:
//! SQLite has one writer thread; here many connections of many instances write at once,
//! in READ COMMITTED transactions, and each rule that needs it takes a lock:
//!
//! - duplicates: a transaction-scoped advisory lock on (site, body hash) before the check
//!   (see [`comments`]);
//! - decisions, undo, reports, bans that reject comments: the comment rows are locked
//!   (`SELECT … FOR UPDATE`, in id order) before they are read, so a version check and the
//!   change it guards are atomic;
//! - bans of one author, rule changes of one site, the webhook site list: an advisory lock
//!   on what they change;
//! - the webhook outbox: claims take due rows with `FOR UPDATE SKIP LOCKED`, so any
//!   instance drains it and no event is handed to two attempts (see [`outbox`]).
//!
//! A transaction that meets a deadlock or serialization failure is run again (a few
//! times); one that fails otherwise is rolled back and reported (see [`error`]).
//!
//! Text is sorted `COLLATE "C"` wherever an order is returned (moderators, sites, rules,
//! reason codes): byte order, as SQLite's BINARY collation, whatever the database's locale.
//!
//! # Group commit
//! SQLite needs a writer thread to batch commits; PostgreSQL batches the WAL flushes of
//! concurrent commits by itself (every backend waiting on the flush is released by one
//! fsync; `commit_delay` can widen the window). With a pool of connections that is the
//! group commit: no writer thread here, and none should be added unless a measurement
//! shows it pays.
//!
//! # Connections
//! `tokio-postgres` through a `deadpool-postgres` pool, without TLS: the database is
//! expected on loopback or a private network (add `postgres-native-tls`/`tokio-postgres-rustls`
//! before pointing it across an untrusted one).
//!
//! # Layout
//! [`schema`] (migrations under an advisory lock), [`comments`] (submit, listing, one
//! comment, counts), [`outbox`] (webhook events), [`review`] (queue, decisions, bans,
//! labelled decisions, queue counts, authors), [`undo`], [`reports`], [`moderators`]
//! (and sessions), [`rules`], [`model_sets`] (installed model pairs), [`retention`] (purge,
//! erasure, monitoring counts).
mod comments;
mod error;
mod model_sets;
mod moderators;
mod outbox;
mod reports;
mod retention;
mod review;
mod rules;
mod schema;
mod storage;
mod undo;

#[cfg(test)]
mod tests;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use crate::clock::Clock;
use crate::store::{Store, StoreError};
pub(crate) use error::PgError;

/// Opens the PostgreSQL database at `url` (see [`PgStore::open`]) behind the storage
/// interface, with a pool of up to `pool_size` connections.
pub async fn open(url: &str, pool_size: usize, clock: Clock) -> Result<Store, StoreError> {
    Ok(Arc::new(PgStore::open(url, clock, pool_size).await?))
}

/// How long a request waits for a pooled connection, or for a new one to be made.
const POOL_WAIT: Duration = Duration::from_secs(5);
/// How often a transaction that hit a deadlock or serialization failure is run in all.
const MAX_ATTEMPTS: u32 = 5;

/// Handle to the PostgreSQL database; cheap to clone, shared by every HTTP worker.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    clock: Clock,
    form_token_secret: Arc<[u8]>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("pool", &self.pool.status())
            .finish_non_exhaustive()
    }
}

/// Runs `$body` (an expression that may use `$tx`, a `&Transaction`, and returns
/// `Result<T, PgError>`) in a transaction on a pooled connection, commits, and evaluates
/// to `Result<T, StoreError>`. A deadlock or serialization failure runs it again (up to
/// [`MAX_ATTEMPTS`] times in all); any other failure rolls back. Never retried after an
/// error whose outcome is unknown (a lost connection): the body may have committed.
macro_rules! in_transaction {
    ($store:expr, |$tx:ident| $body:expr) => {{
        let mut attempt = 1u32;
        loop {
            let result: Result<_, $crate::store::postgres::PgError> = async {
                let mut client = $store.client().await?;
                let $tx = client.transaction().await?;
                let value = { $body }?;
                $tx.commit().await?;
                Ok(value)
            }
            .await;
            match result {
                Ok(value) => break Ok(value),
                Err(err) if err.is_retryable() && attempt < $crate::store::postgres::MAX_ATTEMPTS => {
                    tracing::debug!(error = %err, attempt, "transaction retried");
                    attempt += 1;
                }
                Err(err) => break Err($crate::store::StoreError::from(err)),
            }
        }
    }};
}
pub(crate) use in_transaction;

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`, options such as
    /// `options=-csearch_path%3Dschema` included) with a pool of up to `pool_size`
    /// connections, brings the schema up to date under an advisory lock (several instances
    /// may start at once) and reads — or, on the first start, creates — the form-token
    /// secret that every instance shares.
    ///
    /// Refuses ([`StoreError::Foreign`]) a schema that holds tables but not ours.
    pub async fn open(url: &str, clock: Clock, pool_size: usize) -> Result<PgStore, StoreError> {
        let mut config = tokio_postgres::Config::from_str(url).map_err(|e| {
            StoreError::Unavailable(format!("invalid PostgreSQL URL: {}", error_text(&e)))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(POOL_WAIT);
        }
        if config.get_application_name().is_none() {
            config.application_name("commentguard");
        }
        // No request waits without end on a lock held by a stuck transaction elsewhere, and
        // no transaction left open by a lost client holds its locks for long. Settings the
        // URL's `options` already names are left as they are.
        let mut options = config.get_options().unwrap_or_default().to_owned();
        for (name, value) in [
            ("lock_timeout", "10s"),
            ("idle_in_transaction_session_timeout", "60s"),
        ] {
            if !options.contains(name) {
                options = format!("{options} -c {name}={value}").trim().to_owned();
            }
        }
        config.options(options);
        schema::migrate(&config, url).await?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(POOL_WAIT))
            .recycle_timeout(Some(POOL_WAIT))
            .build()
            .map_err(|e| StoreError::Unavailable(format!("cannot build the pool: {e}")))?;
        let store = PgStore {
            pool,
            clock,
            form_token_secret: Arc::from(Vec::new()),
        };
        let secret = store.read_or_create_secret().await?;
        Ok(PgStore {
            form_token_secret: secret.into(),
            ..store
        })
    }

    /// The form-token key shared by every instance: inserted if absent (the first
    /// instance's random bytes win a race), then read.
    async fn read_or_create_secret(&self) -> Result<Vec<u8>, StoreError> {
        let mut fresh = [0u8; 32];
        rand::fill(&mut fresh);
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO secrets (name, value) VALUES ('form_token', $1)
                 ON CONFLICT (name) DO NOTHING",
                &[&&fresh[..]],
            )
            .await
            .map_err(PgError::from)?;
        let row = client
            .query_one("SELECT value FROM secrets WHERE name = 'form_token'", &[])
            .await
            .map_err(PgError::from)?;
        Ok(row.get(0))
    }

    /// The instances' shared form-token key, made at first start and kept in the database.
    pub(super) fn form_token_secret(&self) -> &[u8] {
        &self.form_token_secret
    }

    /// Readiness: a pooled connection answers, on a server that takes writes (not a
    /// standby in recovery).
    pub(super) async fn ping(&self) -> Result<(), StoreError> {
        let client = self.client().await?;
        let in_recovery: bool = client
            .query_one("SELECT pg_is_in_recovery()", &[])
            .await
            .map_err(PgError::from)?
            .get(0);
        if in_recovery {
            return Err(StoreError::Unavailable(
                "the PostgreSQL server is a read-only standby".into(),
            ));
        }
        Ok(())
    }

    /// The store's clock (its timestamps).
    pub(crate) fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    /// A pooled connection.
    pub(crate) async fn client(&self) -> Result<Object, PgError> {
        Ok(self.pool.get().await?)
    }
}

/// A client error with its cause.
fn error_text(err: &tokio_postgres::Error) -> String {
    match std::error::Error::source(err) {
        Some(source) => format!("{err}: {source}"),
        None => err.to_string(),
    }
}

/// Parses a status (or other enumeration) column; a value this build does not know is
/// corrupt data.
pub(crate) fn parse_status(raw: &str) -> Result<crate::domain::Status, PgError> {
    raw.parse().map_err(PgError::Corrupt)
}

/// A count or length as PostgreSQL's BIGINT (saturating).
pub(crate) fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A non-negative count from PostgreSQL.
pub(crate) fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// A key for `pg_advisory_xact_lock(bigint)`: the first 8 bytes of the SHA-256 of `parts`
/// (NUL-separated, the first naming what is locked). A collision only makes two unrelated
/// transactions wait for each other.
pub(crate) fn lock_key(parts: &[&[u8]]) -> i64 {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in parts {
        h.update(part);
        h.update([0]);
    }
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// Takes a transaction-scoped advisory lock on `key` (see [`lock_key`]).
pub(crate) async fn lock(tx: &deadpool_postgres::Transaction<'_>, key: i64) -> Result<(), PgError> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&key])
        .await?;
    Ok(())
}
