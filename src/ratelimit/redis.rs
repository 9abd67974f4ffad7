//! The rate limits shared by every instance, kept in Redis: governor's GCRA in one Lua
//! script ([`SCRIPT`], `gcra.lua`), one atomic round trip per check.
//!
//! - **Keys** are `key_prefix` + the limiter's name + its key (`news:comment_ip:192.0.2.1`,
//!   `auth_lock:192.0.2.1`); each holds a theoretical arrival time in µs and expires once
//!   it would read as a fresh limit, so Redis holds only clients that are still limited.
//! - **Time** is the calling instance's [`crate::clock::Clock`], passed into the script:
//!   tests drive it, and instances of one deployment share NTP time (a skew of δ between
//!   two instances lets at most δ / T more cells through, T being a cell's interval).
//! - **EVALSHA, then EVAL**: the script is sent by its SHA-1; a Redis that does not know it
//!   (restarted, flushed, failed over) answers `NOSCRIPT` and gets the whole script once.
//! - **Never slow**: every call, connecting included, is bounded by `timeout`; a call that
//!   fails or times out marks Redis unreachable for [`RETRY_AFTER`], during which calls fail
//!   at once without touching the network (what happens then is the caller's policy, see
//!   [`super::shared`]). After that one call tries again.
//! - **One connection** (multiplexed: concurrent calls share it), opened on first use and
//!   dropped on any failure, so the service starts and serves while Redis is down.
//!
//! Redis Cluster is not supported: a submission's limits are separate keys of one script.
use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, ErrorKind, ServerErrorKind};

use super::shared::StoreUrl;

/// The script: see its header for the arguments and answers.
pub const SCRIPT: &str = include_str!("gcra.lua");

/// How long Redis is left alone after a failed call.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Why a call to Redis gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A recent call failed; Redis is not tried again before [`RETRY_AFTER`] has passed.
    #[error("the rate-limit store failed less than {RETRY_AFTER:?} ago; not tried")]
    CoolingDown,
    /// No answer within the configured timeout (connecting included).
    #[error("the rate-limit store did not answer within {0:?}")]
    Timeout(Duration),
    /// Connection refused or lost, an error reply, an answer of the wrong shape.
    #[error("the rate-limit store failed: {0}")]
    Redis(#[from] redis::RedisError),
}

/// One limit of a check, as the script takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// Without the prefix (added here).
    pub key: String,
    /// Emission interval: how long one cell takes to come back, in µs (≥ 1).
    pub interval_us: u64,
    /// Tolerance: `interval_us · (burst − 1)`.
    pub tolerance_us: u64,
}

/// What the failed-authentication limit made of one failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lockout {
    /// Within the limit.
    Counted,
    /// This failure went over the limit: locked out for the wait.
    LockedNow(Duration),
    /// Already locked out, for the wait still to go.
    StillLocked(Duration),
}

/// The connection to Redis and its health.
pub struct RedisLimits {
    client: redis::Client,
    prefix: String,
    timeout: Duration,
    connection_config: AsyncConnectionConfig,
    /// Opened on first use; `None` again after any failure.
    connection: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    /// When the last failure was (real time: it is about the network, not the limits).
    failed_at: Mutex<Option<Instant>>,
    sha: String,
}

impl std::fmt::Debug for RedisLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: it may hold a password.
        f.debug_struct("RedisLimits")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisLimits {
    /// A client for `url`; connects on first use, so this never waits for Redis.
    pub fn new(url: &StoreUrl, prefix: &str, timeout: Duration) -> Result<Self, StoreError> {
        Ok(RedisLimits {
            client: redis::Client::open(url.expose())?,
            prefix: prefix.to_owned(),
            timeout,
            connection_config: AsyncConnectionConfig::new()
                .set_connection_timeout(Some(timeout))
                .set_response_timeout(Some(timeout)),
            connection: tokio::sync::Mutex::new(None),
            failed_at: Mutex::new(None),
            sha: redis::Script::new(SCRIPT).get_hash().to_owned(),
        })
    }

    /// Takes one cell from each of `cells` in order, at `now_us` (µs since the Unix
    /// epoch): `None` when all allowed it, else the index of the limit that refused and
    /// the wait. Limits before the refusing one keep their cell.
    pub async fn take(
        &self,
        cells: &[Cell],
        now_us: u64,
    ) -> Result<Option<(usize, Duration)>, StoreError> {
        if cells.is_empty() {
            return Ok(None);
        }
        let keys: Vec<String> = cells.iter().map(|c| self.key(&c.key)).collect();
        let mut args = vec![now_us.to_string(), "take".to_owned()];
        for cell in cells {
            args.push(cell.interval_us.max(1).to_string());
            args.push(cell.tolerance_us.to_string());
        }
        let (index, wait_us) = self.eval(&keys, &args).await?;
        Ok(match usize::try_from(index) {
            Ok(0) => None,
            Ok(i) if i <= cells.len() => Some((i - 1, micros(wait_us))),
            _ => return Err(unexpected(index)),
        })
    }

    /// Counts one failed authentication under `key` (limit `cell`, lock `lock_key`).
    pub async fn lockout(
        &self,
        cell: &Cell,
        lock_key: &str,
        now_us: u64,
    ) -> Result<Lockout, StoreError> {
        let keys = [self.key(&cell.key), self.key(lock_key)];
        let args = [
            now_us.to_string(),
            "lockout".to_owned(),
            cell.interval_us.max(1).to_string(),
            cell.tolerance_us.to_string(),
        ];
        match self.eval(&keys, &args).await? {
            (0, _) => Ok(Lockout::Counted),
            (1, wait) => Ok(Lockout::LockedNow(micros(wait))),
            (2, wait) => Ok(Lockout::StillLocked(micros(wait))),
            (other, _) => Err(unexpected(other)),
        }
    }

    /// How long the client of `lock_key` is still locked out at `now_us`, if it is.
    pub async fn locked(&self, lock_key: &str, now_us: u64) -> Result<Option<Duration>, StoreError> {
        let key = self.key(lock_key);
        let until: Option<u64> = self
            .guarded(|mut conn| async move {
                redis::cmd("GET").arg(&key).query_async(&mut conn).await
            })
            .await?;
        Ok(until
            .filter(|&until| until > now_us)
            .map(|until| Duration::from_micros(until - now_us)))
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Runs the script by its hash, sending it whole when Redis does not know it.
    async fn eval(&self, keys: &[String], args: &[String]) -> Result<(i64, i64), StoreError> {
        let sha = &self.sha;
        self.guarded(|mut conn| async move {
            let by_hash = redis::cmd("EVALSHA")
                .arg(sha)
                .arg(keys.len())
                .arg(keys)
                .arg(args)
                .query_async(&mut conn)
                .await;
            match by_hash {
                Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                    redis::cmd("EVAL")
                        .arg(SCRIPT)
                        .arg(keys.len())
                        .arg(keys)
                        .arg(args)
                        .query_async(&mut conn)
                        .await
                }
                answer => answer,
            }
        })
        .await
    }

    /// Runs `call` on the connection within the timeout, unless Redis failed recently;
    /// any failure drops the connection and starts the cool-down.
    async fn guarded<T, F, Fut>(&self, call: F) -> Result<T, StoreError>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        if self.cooling_down() {
            return Err(StoreError::CoolingDown);
        }
        let attempt = async {
            let conn = self.connection().await?;
            call(conn).await
        };
        let result = match tokio::time::timeout(self.timeout, attempt).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(e)) => StoreError::Redis(e),
            Err(_) => StoreError::Timeout(self.timeout),
        };
        *self.failed_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        // A caller that is connecting right now holds the lock and replaces it anyway.
        if let Ok(mut slot) = self.connection.try_lock() {
            *slot = None;
        }
        Err(result)
    }

    fn cooling_down(&self) -> bool {
        let failed_at = *self.failed_at.lock().unwrap_or_else(|e| e.into_inner());
        failed_at.is_some_and(|at| at.elapsed() < RETRY_AFTER)
    }

    /// The open connection, or a new one (one caller connects; the others wait for it).
    async fn connection(&self) -> redis::RedisResult<MultiplexedConnection> {
        let mut slot = self.connection.lock().await;
        if let Some(conn) = slot.as_ref() {
            return Ok(conn.clone());
        }
        let conn = self
            .client
            .get_multiplexed_async_connection_with_config(&self.connection_config)
            .await?;
        *slot = Some(conn.clone());
        Ok(conn)
    }
}

fn micros(us: i64) -> Duration {
    Duration::from_micros(u64::try_from(us).unwrap_or(0))
}

fn unexpected(answer: i64) -> StoreError {
    StoreError::Redis(redis::RedisError::from((
        ErrorKind::Client,
        "unexpected answer from gcra.lua",
        answer.to_string(),
    )))
}
