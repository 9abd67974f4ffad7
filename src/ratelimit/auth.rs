//! The failed-moderator-authentication limit: per client IP (IPv6 by /64), a burst of
//! [`FAILURE_BURST`] refilling at [`FAILURES_PER_MINUTE`]. An IP over the limit is
//! *locked out* until a failure would be allowed again (see
//! [`crate::http::moderator_auth`] for what a locked-out IP is answered).
//!
//! In-process first (governor on our [`Clock`], plus the lock-outs it decided); with a
//! shared store, a failure this instance let through is then counted in Redis
//! (`auth_failures:IP`, the lock in `auth_lock:IP`), so guesses spread over every
//! instance are limited as one. A lock-out learnt from Redis is remembered here too, so
//! the next requests from that IP do not ask Redis again. Redis unreachable: this
//! instance's own limit stands, in both `rate_limit_unreachable` modes (see
//! [`super::shared`]).
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::ip_key;
use super::local::{wait, Gcra, GovernorClock, Keyed};
use super::redis::Lockout;
use super::shared::SharedLimits;
use crate::clock::Clock;

/// Failed authentications one client IP may make in a row.
pub const FAILURE_BURST: u32 = 10;
/// How fast that allowance refills.
pub const FAILURES_PER_MINUTE: u32 = 10;

/// Counts failed authentications per client IP and locks out IPs over the limit.
pub struct AuthFailures {
    gcra: Gcra,
    limiter: Keyed<IpAddr>,
    /// IPs over the limit, and until when (Unix milliseconds of `clock`).
    locked: Mutex<HashMap<IpAddr, i64>>,
    clock: Clock,
    governor_clock: GovernorClock,
    shared: Option<Arc<SharedLimits>>,
}

impl Default for AuthFailures {
    fn default() -> Self {
        Self::new(&Clock::system(), None)
    }
}

impl AuthFailures {
    pub fn new(clock: &Clock, shared: Option<Arc<SharedLimits>>) -> Self {
        // Both constants are non-zero.
        let gcra = Gcra::per_minute(FAILURE_BURST, FAILURES_PER_MINUTE)
            .unwrap_or_else(|| unreachable!("FAILURES_PER_MINUTE is not 0"));
        AuthFailures {
            gcra,
            limiter: gcra.keyed(clock),
            locked: Mutex::new(HashMap::new()),
            clock: clock.clone(),
            governor_clock: GovernorClock(clock.clone()),
            shared,
        }
    }

    /// `Some(wait)` while `ip` is locked out.
    pub async fn locked(&self, ip: IpAddr) -> Option<Duration> {
        let key = ip_key(ip);
        if let Some(wait) = self.locked_here(key) {
            return Some(wait);
        }
        let shared = self.shared.as_ref()?;
        let wait = shared
            .locked(&format!("auth_lock:{key}"), self.clock.now_millis())
            .await?;
        self.lock_here(key, wait);
        Some(wait)
    }

    /// Counts a failure from `ip`: within the limit, over it with this one (the IP is now
    /// locked out for the wait), or already locked out.
    pub async fn failed(&self, ip: IpAddr) -> Lockout {
        let key = ip_key(ip);
        let here = self.failed_here(key);
        let Some(shared) = &self.shared else {
            return here;
        };
        if here != Lockout::Counted {
            return here;
        }
        let cell = self.gcra.cell(format!("auth_failures:{key}"));
        let lock_key = format!("auth_lock:{key}");
        match shared
            .lockout(&cell, &lock_key, self.clock.now_millis())
            .await
        {
            None | Some(Lockout::Counted) => Lockout::Counted,
            Some(locked @ (Lockout::LockedNow(wait) | Lockout::StillLocked(wait))) => {
                self.lock_here(key, wait);
                locked
            }
        }
    }

    /// Forgets recovered IPs (run with the other limiters' pruning).
    pub fn prune(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
        let now = self.clock.now_millis();
        self.lock_map().retain(|_, until| *until > now);
    }

    fn lock_map(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, i64>> {
        self.locked.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn locked_here(&self, key: IpAddr) -> Option<Duration> {
        let now = self.clock.now_millis();
        let until = *self.lock_map().get(&key)?;
        (until > now).then(|| millis(until - now))
    }

    fn lock_here(&self, key: IpAddr, wait: Duration) {
        let until = self.clock.now_millis().saturating_add(ceil_millis(wait));
        let mut locked = self.lock_map();
        let entry = locked.entry(key).or_insert(until);
        *entry = (*entry).max(until);
    }

    /// The in-process half of [`AuthFailures::failed`].
    fn failed_here(&self, key: IpAddr) -> Lockout {
        if let Some(wait) = self.locked_here(key) {
            // Still counted; while locked out the limiter refuses, so nothing changes.
            let _ = self.limiter.check_key(&key);
            return Lockout::StillLocked(wait);
        }
        match self.limiter.check_key(&key) {
            Ok(()) => Lockout::Counted,
            Err(not_until) => {
                let wait = wait(&not_until, &self.governor_clock);
                self.lock_here(key, wait);
                Lockout::LockedNow(wait)
            }
        }
    }
}

fn millis(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

fn ceil_millis(wait: Duration) -> i64 {
    let ms = wait.as_millis() + u128::from(wait.subsec_nanos() % 1_000_000 > 0);
    i64::try_from(ms).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A burst of failures is allowed; the next one locks the IP out for the time a
    /// failure takes to come back (6 s), other IPs are free, and the lock ends on time.
    #[tokio::test]
    async fn failures_lock_out_after_the_burst() {
        let clock = Clock::manual(1_700_000_000_000);
        let f = AuthFailures::new(&clock, None);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for i in 0..FAILURE_BURST {
            assert_eq!(f.failed(ip).await, Lockout::Counted, "failure {i}");
            assert_eq!(f.locked(ip).await, None);
        }
        assert_eq!(
            f.failed(ip).await,
            Lockout::LockedNow(Duration::from_secs(6))
        );
        assert_eq!(f.locked(ip).await, Some(Duration::from_secs(6)));
        assert_eq!(f.locked("192.0.2.2".parse().unwrap()).await, None);
        clock.advance(Duration::from_secs(2));
        assert_eq!(
            f.failed(ip).await,
            Lockout::StillLocked(Duration::from_secs(4))
        );
        clock.advance(Duration::from_secs(4));
        assert_eq!(f.locked(ip).await, None, "the lock has run out");
        assert_eq!(
            f.failed(ip).await,
            Lockout::Counted,
            "one failure came back"
        );
        f.prune();
    }
}
