//! The in-process limits: governor's keyed GCRA, reading time from the service's
//! [`Clock`] (so tests advance time instead of sleeping), one set per site.
//!
//! These run first on every instance, with or without a shared store: a request one of
//! them refuses is answered at once and never reaches Redis.
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::Clock as _;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{NotUntil, Quota, RateLimiter};

use super::redis::Cell;
use crate::clock::Clock;
use crate::config::RateLimitConfig;

/// Our [`Clock`] as governor's clock: nanoseconds since the Unix epoch (at the clock's
/// millisecond resolution; 0 before 1970).
#[derive(Debug, Clone, Default)]
pub struct GovernorClock(pub Clock);

impl governor::clock::Clock for GovernorClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        let millis = u64::try_from(self.0.now_millis()).unwrap_or(0);
        Nanos::from(millis.saturating_mul(1_000_000))
    }
}

/// A keyed limiter on our clock.
pub type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, GovernorClock, NoOpMiddleware<Nanos>>;
/// An unkeyed limiter on our clock.
pub type Direct = RateLimiter<NotKeyed, InMemoryState, GovernorClock, NoOpMiddleware<Nanos>>;

/// A quota, as governor and the shared store's script both take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gcra(Quota);

impl Gcra {
    /// A burst and a per-minute rate; `None` when the limit is off (rate 0).
    pub fn per_minute(burst: u32, per_minute: u32) -> Option<Gcra> {
        let per_minute = NonZeroU32::new(per_minute)?;
        // Validation guarantees burst ≥ 1 while the limit is on; 1 is the safe floor anyway.
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        Some(Gcra(Quota::per_minute(per_minute).allow_burst(burst)))
    }

    pub fn keyed<K: Clone + std::hash::Hash + Eq>(self, clock: &Clock) -> Keyed<K> {
        RateLimiter::new(
            self.0,
            DefaultKeyedStateStore::default(),
            GovernorClock(clock.clone()),
        )
    }

    pub fn direct(self, clock: &Clock) -> Direct {
        RateLimiter::direct_with_clock(self.0, GovernorClock(clock.clone()))
    }

    /// This quota for `key` in the shared store: governor's T and τ = T·(burst − 1), in
    /// µs (T truncated to the µs, at least 1).
    pub fn cell(self, key: String) -> Cell {
        let interval_us = u64::try_from(self.0.replenish_interval().as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        Cell {
            key,
            interval_us,
            tolerance_us: interval_us.saturating_mul(u64::from(self.0.burst_size().get() - 1)),
        }
    }
}

/// How long a refusal asks to wait, from `clock`'s now.
pub fn wait(not_until: &NotUntil<Nanos>, clock: &GovernorClock) -> Duration {
    not_until.wait_time_from(clock.now())
}

/// A limiter and its quota (for the shared store).
pub struct Limit<L> {
    pub limiter: L,
    pub gcra: Gcra,
}

/// The in-process limiters of one site.
pub struct SiteLimiters {
    pub ip: Option<Limit<Keyed<IpAddr>>>,
    pub email: Option<Limit<Keyed<u64>>>,
    pub site: Option<Limit<Direct>>,
    pub report_ip: Option<Limit<Keyed<IpAddr>>>,
}

impl SiteLimiters {
    pub fn new(config: &RateLimitConfig, clock: &Clock) -> Self {
        let keyed = |burst, per_minute| {
            Gcra::per_minute(burst, per_minute).map(|gcra| Limit {
                limiter: gcra.keyed(clock),
                gcra,
            })
        };
        SiteLimiters {
            ip: keyed(config.ip_burst, config.ip_per_minute),
            email: Gcra::per_minute(config.email_burst, config.email_per_minute).map(|gcra| {
                Limit {
                    limiter: gcra.keyed(clock),
                    gcra,
                }
            }),
            site: Gcra::per_minute(config.global_burst, config.global_per_minute).map(|gcra| {
                Limit {
                    limiter: gcra.direct(clock),
                    gcra,
                }
            }),
            report_ip: keyed(config.report_ip_burst, config.report_ip_per_minute),
        }
    }

    /// Drops keys whose limits have fully recovered and gives the memory back.
    pub fn prune(&self) {
        if let Some(l) = &self.ip {
            l.limiter.retain_recent();
            l.limiter.shrink_to_fit();
        }
        if let Some(l) = &self.email {
            l.limiter.retain_recent();
            l.limiter.shrink_to_fit();
        }
        if let Some(l) = &self.report_ip {
            l.limiter.retain_recent();
            l.limiter.shrink_to_fit();
        }
    }

    /// Keys currently tracked.
    pub fn tracked_keys(&self) -> usize {
        self.ip.as_ref().map_or(0, |l| l.limiter.len())
            + self.email.as_ref().map_or(0, |l| l.limiter.len())
            + self.report_ip.as_ref().map_or(0, |l| l.limiter.len())
    }
}

/// E-mail addresses as in-process keys: SipHash with a per-process random key of the
/// trimmed, lower-cased address (fixed-size keys, no address kept in memory).
#[derive(Debug, Default)]
pub struct EmailHasher(RandomState);

impl EmailHasher {
    pub fn key(&self, email: &str) -> u64 {
        let mut h = self.0.build_hasher();
        for c in email.trim().chars().flat_map(char::to_lowercase) {
            h.write_u32(u32::from(c));
        }
        h.finish()
    }
}
