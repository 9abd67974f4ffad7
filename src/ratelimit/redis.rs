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
    pub async fn locked(
        &self,
        lock_key: &str,
        now_us: u64,
    ) -> Result<Option<Duration>, StoreError> {
        let key = self.key(lock_key);
        let until: Option<u64> = self
            .guarded(
                |mut conn| async move { redis::cmd("GET").arg(&key).query_async(&mut conn).await },
            )
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

#[cfg(test)]
pub(crate) mod tests {
    //! The script against governor, on the same quotas and the same sequence of requests
    //! at the same (manual) times. These need a Redis: they run when
    //! `COMMENTGUARD_TEST_REDIS_URL` is set and fail if it cannot be reached; the ones
    //! about an unreachable or slow store run always.
    use std::time::Duration;

    use super::*;
    use crate::clock::Clock;
    use crate::ratelimit::auth::AuthFailures;
    use crate::ratelimit::local::{wait, Gcra, GovernorClock};

    /// The test Redis, or `None` when `COMMENTGUARD_TEST_REDIS_URL` is unset.
    pub(crate) fn test_redis_url() -> Option<StoreUrl> {
        let raw = std::env::var("COMMENTGUARD_TEST_REDIS_URL").ok()?;
        Some(StoreUrl::parse(&raw).expect("COMMENTGUARD_TEST_REDIS_URL is a redis:// URL"))
    }

    /// A key prefix no other test or run uses (no FLUSHDB needed, parallel runs are fine).
    pub(crate) fn unique_prefix(test: &str) -> String {
        format!(
            "cgtest:{test}:{}:{:016x}:",
            std::process::id(),
            rand::random::<u64>()
        )
    }

    fn store(url: &StoreUrl, test: &str) -> RedisLimits {
        RedisLimits::new(url, &unique_prefix(test), Duration::from_secs(2)).unwrap()
    }

    /// Gaps between requests, in ms, for a limit of `burst` with a cell every
    /// `interval_ms`: a flood past the burst, then a deterministic walk of bursts (0),
    /// pauses shorter than a cell, and pauses of up to two full recoveries.
    fn gaps(seed: u64, burst: u32, interval_ms: u64) -> Vec<u64> {
        let mut x = seed;
        let flood = (0..burst + 3).map(|_| 0);
        let walk = (0..400).map(move |_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let r = x >> 33;
            match r % 10 {
                0..=5 => 0,
                6..=8 => r % interval_ms.max(1),
                _ => r % (2 * u64::from(burst) * interval_ms).max(1),
            }
        });
        flood.chain(walk).collect()
    }

    fn us(clock: &Clock) -> u64 {
        u64::try_from(clock.now_millis()).unwrap() * 1000
    }

    /// For each quota, governor and the script allow and refuse the same requests, and
    /// ask for the same wait (to the µs the script counts in, within 1 ms for rates whose
    /// interval is not a whole number of µs).
    #[tokio::test]
    async fn script_decides_like_governor() {
        let Some(url) = test_redis_url() else { return };
        let redis = store(&url, "gcra");
        let quotas = [(3, 5), (1, 7), (10, 10), (5, 10), (500, 6_000), (2, 60_000)];
        for (q, (burst, per_minute)) in quotas.into_iter().enumerate() {
            let clock = Clock::manual(1_700_000_000_000);
            let gcra = Gcra::per_minute(burst, per_minute).unwrap();
            let governor = gcra.keyed::<u8>(&clock);
            let gclock = GovernorClock(clock.clone());
            let cell = gcra.cell(format!("quota{q}"));
            let (mut allowed, mut refused) = (0, 0);
            let interval_ms = 60_000 / u64::from(per_minute);
            for (step, gap) in gaps(q as u64 + 1, burst, interval_ms)
                .into_iter()
                .enumerate()
            {
                clock.advance(Duration::from_millis(gap));
                let expected = governor.check_key(&0).map_err(|n| wait(&n, &gclock));
                let got = redis
                    .take(std::slice::from_ref(&cell), us(&clock))
                    .await
                    .expect("the test Redis answers");
                let context = format!("burst {burst}, {per_minute}/min, step {step}");
                match (expected, got) {
                    (Ok(()), None) => allowed += 1,
                    (Err(want), Some((0, have))) => {
                        refused += 1;
                        let diff = want.abs_diff(have);
                        assert!(
                            diff < Duration::from_millis(1),
                            "{context}: {want:?} vs {have:?}"
                        );
                    }
                    (expected, got) => panic!("{context}: governor {expected:?}, script {got:?}"),
                }
            }
            assert!(
                allowed > burst && refused > 3,
                "burst {burst}: {allowed} allowed, {refused} refused"
            );
        }
    }

    /// Several limits in one call: checked in order, the first refusal named, and the
    /// limits before it keep their cell (as in-process).
    #[tokio::test]
    async fn limits_are_taken_in_order() {
        let Some(url) = test_redis_url() else { return };
        let redis = store(&url, "order");
        let now = 1_700_000_000_000_000;
        let ip = Gcra::per_minute(3, 5).unwrap().cell("ip".into());
        let site = Gcra::per_minute(1, 5).unwrap().cell("site".into());
        let both = [ip.clone(), site.clone()];
        assert_eq!(redis.take(&both, now).await.unwrap(), None);
        assert_eq!(
            redis.take(&both, now).await.unwrap(),
            Some((1, Duration::from_secs(12))),
            "the site limit refuses"
        );
        assert_eq!(
            redis.take(std::slice::from_ref(&ip), now).await.unwrap(),
            None
        );
        assert_eq!(
            redis.take(&[ip], now).await.unwrap(),
            Some((0, Duration::from_secs(12))),
            "the refused request still used a cell of the IP limit: this was the 4th"
        );
    }

    /// The failed-authentication script locks out like the in-process limit does.
    #[tokio::test]
    async fn lockout_script_matches_the_local_limit() {
        let Some(url) = test_redis_url() else { return };
        let redis = store(&url, "lockout");
        let clock = Clock::manual(1_700_000_000_000);
        let local = AuthFailures::new(&clock, None);
        let ip: std::net::IpAddr = "192.0.2.1".parse().unwrap();
        let cell = Gcra::per_minute(10, 10)
            .unwrap()
            .cell("auth_failures:x".into());
        for (step, gap) in gaps(99, 10, 6_000).into_iter().enumerate() {
            clock.advance(Duration::from_millis(gap));
            let expected = local.failed(ip).await;
            let got = redis
                .lockout(&cell, "auth_lock:x", us(&clock))
                .await
                .unwrap();
            assert_eq!(expected, got, "step {step}");
            let locked_here = local.locked(ip).await;
            let locked_there = redis.locked("auth_lock:x", us(&clock)).await.unwrap();
            assert_eq!(locked_here, locked_there, "step {step}");
        }
    }

    /// Keys live as long as the limit has not recovered (plus a second), not forever.
    #[tokio::test]
    async fn keys_expire_once_recovered() {
        let Some(url) = test_redis_url() else { return };
        let prefix = unique_prefix("ttl");
        let redis = RedisLimits::new(&url, &prefix, Duration::from_secs(2)).unwrap();
        let cell = Gcra::per_minute(3, 5).unwrap().cell("k".into());
        let now = 1_700_000_000_000_000;
        for _ in 0..3 {
            assert_eq!(
                redis.take(std::slice::from_ref(&cell), now).await.unwrap(),
                None
            );
        }
        let mut conn = redis::Client::open(url.expose())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let ttl: i64 = redis::cmd("PTTL")
            .arg(format!("{prefix}k"))
            .query_async(&mut conn)
            .await
            .unwrap();
        assert!(
            (36_000..=37_000).contains(&ttl),
            "3 cells of 12 s: {ttl} ms"
        );
        let tat: u64 = redis::cmd("GET")
            .arg(format!("{prefix}k"))
            .query_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(tat, now + 36_000_000, "the theoretical arrival time, in µs");
    }

    /// A Redis that lost the script (restarted, flushed) gets it whole: EVALSHA → EVAL.
    #[tokio::test]
    async fn unknown_script_is_sent_whole() {
        let Some(url) = test_redis_url() else { return };
        let mut redis = store(&url, "noscript");
        redis.sha = "0".repeat(40);
        let cell = Gcra::per_minute(1, 5).unwrap().cell("k".into());
        assert_eq!(
            redis
                .take(std::slice::from_ref(&cell), 1_000_000)
                .await
                .unwrap(),
            None
        );
        assert!(redis.take(&[cell], 1_000_000).await.unwrap().is_some());
    }

    /// Nothing listening: the call fails at once, and the next ones do not even try
    /// until the cool-down has passed.
    #[tokio::test]
    async fn unreachable_store_fails_and_cools_down() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = StoreUrl::parse(&format!("redis://127.0.0.1:{port}")).unwrap();
        let redis = RedisLimits::new(&url, "x:", Duration::from_secs(2)).unwrap();
        let cell = Gcra::per_minute(1, 5).unwrap().cell("k".into());
        let first = redis
            .take(std::slice::from_ref(&cell), 0)
            .await
            .unwrap_err();
        assert!(matches!(first, StoreError::Redis(_)), "{first:?}");
        let second = redis.take(&[cell], 0).await.unwrap_err();
        assert!(matches!(second, StoreError::CoolingDown), "{second:?}");
    }

    /// A store that accepts the connection and never answers costs one timeout.
    #[tokio::test]
    async fn silent_store_times_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let silent = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        let url = StoreUrl::parse(&format!("redis://127.0.0.1:{port}")).unwrap();
        let redis = RedisLimits::new(&url, "x:", Duration::from_millis(200)).unwrap();
        let cell = Gcra::per_minute(1, 5).unwrap().cell("k".into());
        let err = redis.take(&[cell], 0).await.unwrap_err();
        assert!(
            matches!(err, StoreError::Timeout(_) | StoreError::Redis(_)),
            "{err:?}"
        );
        silent.abort();
    }
}
