//! Flood limits (governor's GCRA), per site: per client IP, per author e-mail, and a
//! ceiling on the whole site; reader reports have their own per-IP limit, and failed
//! moderator authentications theirs ([`auth`]).
//!
//! The HTTP layer asks [`RateLimiters::check`] (a submission) or
//! [`RateLimiters::check_report`] (a reader report) and gets `Ok`, or a [`Refused`]:
//! 429 with the wait, or — the shared store unreachable and `rate_limit_unreachable =
//! "closed"` — 503 `RATE_LIMIT_UNAVAILABLE`.
//!
//! # Layout
//! - [`local`]: the in-process limiters (governor on our [`Clock`]); always the first line.
//! - [`redis`]: the same GCRA kept in Redis, one Lua script per check (`gcra.lua`).
//! - [`shared`]: its configuration and the policy for when Redis does not answer.
//! - [`auth`]: the failed-authentication limit, local and shared the same way.
//!
//! # Keys and order
//! - IPv6 clients are keyed by their /64 (one household or host can rotate through a
//!   whole /64 at will); IPv4-mapped IPv6 addresses count as the IPv4 address.
//! - E-mails are keyed by a hash of the trimmed, lower-cased address: in-process a
//!   SipHash with a per-process random key, in Redis an HMAC under a key derived from the
//!   deployment's form-token secret (the same on every instance). No address is stored.
//! - Keyed in-process state grows with every new key; [`RateLimiters::prune`] (run
//!   periodically by the server) drops keys whose limit has fully recovered, so a spray
//!   of distinct IPs costs memory only for about one limit period. Redis keys expire by
//!   themselves once recovered.
//! - Limits are checked IP → e-mail → site, all in-process ones first, then (when a
//!   store is configured) all shared ones in one script call; a request refused by a
//!   later limit has still used a cell of the earlier ones (a flood is a flood). So an
//!   instance's own limit may run ahead of the shared one for a key whose requests the
//!   shared limit refused: that instance alone saw more than the quota of that key.
pub mod auth;
pub mod local;
pub mod redis;
pub mod shared;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

pub use auth::AuthFailures;
pub use shared::{SharedLimits, StoreUnavailable, WhenUnreachable};

use self::local::{EmailHasher, GovernorClock, SiteLimiters};
use self::redis::Cell;
use crate::clock::Clock;
use crate::domain::Sites;

/// Which limit refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitScope {
    Ip,
    Email,
    Site,
}

impl LimitScope {
    pub fn as_str(self) -> &'static str {
        match self {
            LimitScope::Ip => "ip",
            LimitScope::Email => "email",
            LimitScope::Site => "site",
        }
    }
}

/// A refused request: which limit, and when to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimited {
    pub scope: LimitScope,
    pub retry_after: Duration,
}

impl RateLimited {
    /// `Retry-After` in whole seconds, rounded up, at least 1.
    pub fn retry_after_secs(&self) -> u64 {
        crate::clock::retry_after_secs(self.retry_after)
    }
}

/// Why a check did not let a request through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Over a limit (429).
    Limited(RateLimited),
    /// The shared store is unreachable and the policy is to refuse (503).
    Unavailable(StoreUnavailable),
}

impl From<RateLimited> for Refused {
    fn from(limited: RateLimited) -> Self {
        Refused::Limited(limited)
    }
}

/// All limiters of the instance, shared by every HTTP worker.
pub struct RateLimiters {
    sites: HashMap<String, SiteLimiters>,
    emails: EmailHasher,
    clock: Clock,
    governor_clock: GovernorClock,
    shared: Option<Arc<SharedLimits>>,
}

impl std::fmt::Debug for RateLimiters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiters")
            .field("sites", &self.sites.len())
            .field("tracked_keys", &self.tracked_keys())
            .field("shared", &self.shared.is_some())
            .finish()
    }
}

/// The key an IP is limited under: IPv4 as is, IPv6 by its /64.
pub(crate) fn ip_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !(u128::from(u64::MAX))).into()),
        },
    }
}

impl RateLimiters {
    /// The limiters of `sites`, reading time from `clock`; shared through `shared` when
    /// a store is configured.
    pub fn new(sites: &Sites, clock: &Clock, shared: Option<Arc<SharedLimits>>) -> Self {
        RateLimiters {
            sites: sites
                .iter()
                .map(|s| {
                    (
                        s.id.as_str().to_owned(),
                        SiteLimiters::new(&s.rate_limit, clock),
                    )
                })
                .collect(),
            emails: EmailHasher::default(),
            clock: clock.clone(),
            governor_clock: GovernorClock(clock.clone()),
            shared,
        }
    }

    /// Counts one submission to `site` from `ip` (and `email`, if given).
    pub async fn check(&self, site: &str, ip: IpAddr, email: Option<&str>) -> Result<(), Refused> {
        let Some(limits) = self.sites.get(site) else {
            return Ok(());
        };
        let ip = ip_key(ip);
        let email = email.filter(|e| !e.trim().is_empty());
        let refused = |scope, not_until: governor::NotUntil<_>| RateLimited {
            scope,
            retry_after: local::wait(&not_until, &self.governor_clock),
        };
        // In-process first: what they refuse never reaches the shared store.
        let mut shared_cells = Vec::new();
        let shared = self.shared.as_deref();
        if let Some(limit) = &limits.ip {
            limit
                .limiter
                .check_key(&ip)
                .map_err(|n| refused(LimitScope::Ip, n))?;
            if shared.is_some() {
                let cell = limit.gcra.cell(format!("{site}:comment_ip:{ip}"));
                shared_cells.push((LimitScope::Ip, cell));
            }
        }
        if let (Some(limit), Some(email)) = (&limits.email, email) {
            limit
                .limiter
                .check_key(&self.emails.key(email))
                .map_err(|n| refused(LimitScope::Email, n))?;
            if let Some(shared) = shared {
                let key = format!("{site}:comment_email:{}", shared.email_key(email));
                shared_cells.push((LimitScope::Email, limit.gcra.cell(key)));
            }
        }
        if let Some(limit) = &limits.site {
            limit
                .limiter
                .check()
                .map_err(|n| refused(LimitScope::Site, n))?;
            if shared.is_some() {
                let cell = limit.gcra.cell(format!("{site}:comment_site"));
                shared_cells.push((LimitScope::Site, cell));
            }
        }
        self.check_shared(&shared_cells).await
    }

    /// Counts one reader report on `site` from `ip`.
    pub async fn check_report(&self, site: &str, ip: IpAddr) -> Result<(), Refused> {
        let Some(limit) = self.sites.get(site).and_then(|l| l.report_ip.as_ref()) else {
            return Ok(());
        };
        let ip = ip_key(ip);
        limit
            .limiter
            .check_key(&ip)
            .map_err(|not_until| RateLimited {
                scope: LimitScope::Ip,
                retry_after: local::wait(&not_until, &self.governor_clock),
            })?;
        if self.shared.is_none() {
            return Ok(());
        }
        let cell = limit.gcra.cell(format!("{site}:report_ip:{ip}"));
        self.check_shared(&[(LimitScope::Ip, cell)]).await
    }

    /// The shared limits of `cells`, in one call; nothing to do without a store.
    async fn check_shared(&self, cells: &[(LimitScope, Cell)]) -> Result<(), Refused> {
        let (Some(shared), false) = (&self.shared, cells.is_empty()) else {
            return Ok(());
        };
        let only_cells: Vec<Cell> = cells.iter().map(|(_, c)| c.clone()).collect();
        match shared.take(&only_cells, self.clock.now_millis()).await {
            Ok(None) => Ok(()),
            Ok(Some((i, retry_after))) => Err(Refused::Limited(RateLimited {
                scope: cells.get(i).map_or(LimitScope::Site, |(scope, _)| *scope),
                retry_after,
            })),
            Err(unavailable) => Err(Refused::Unavailable(unavailable)),
        }
    }

    /// Drops in-process keys whose limits have fully recovered and gives the memory back.
    pub fn prune(&self) {
        for limits in self.sites.values() {
            limits.prune();
        }
    }

    /// In-process keys currently tracked, over all sites (for tests and diagnostics).
    pub fn tracked_keys(&self) -> usize {
        self.sites.values().map(SiteLimiters::tracked_keys).sum()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::config::{RateLimitConfig, SiteConfig};

    fn limiters(rate_limit: RateLimitConfig) -> (RateLimiters, Clock) {
        let mut configs = BTreeMap::new();
        configs.insert(
            "news".to_owned(),
            SiteConfig {
                rate_limit,
                ..SiteConfig::default()
            },
        );
        let clock = Clock::manual(1_700_000_000_000);
        let sites = Sites::from_config(&configs).unwrap();
        (RateLimiters::new(&sites, &clock, None), clock)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn limited(refused: Refused) -> RateLimited {
        match refused {
            Refused::Limited(l) => l,
            other => panic!("expected a 429, got {other:?}"),
        }
    }

    /// The default IP limit allows a burst of 3, then refuses with a wait of 12 s, and
    /// lets one more through once those 12 s have passed.
    #[tokio::test]
    async fn ip_burst_then_refused() {
        let (l, clock) = limiters(RateLimitConfig::default());
        for i in 0..3 {
            assert!(
                l.check("news", ip("192.0.2.1"), None).await.is_ok(),
                "request {i}"
            );
        }
        let refused = limited(l.check("news", ip("192.0.2.1"), None).await.unwrap_err());
        assert_eq!(refused.scope, LimitScope::Ip);
        assert_eq!(refused.retry_after, Duration::from_secs(12), "{refused:?}");
        assert!(
            l.check("news", ip("192.0.2.2"), None).await.is_ok(),
            "other IPs are unaffected"
        );
        clock.advance(Duration::from_millis(11_999));
        let refused = limited(l.check("news", ip("192.0.2.1"), None).await.unwrap_err());
        assert_eq!(refused.retry_after, Duration::from_millis(1));
        assert_eq!(refused.retry_after_secs(), 1);
        clock.advance(Duration::from_millis(1));
        assert!(l.check("news", ip("192.0.2.1"), None).await.is_ok());
        assert!(l.check("news", ip("192.0.2.1"), None).await.is_err());
    }

    /// One author is limited across IPs, whatever the case of the address.
    #[tokio::test]
    async fn email_limit_spans_ips() {
        let (l, _) = limiters(RateLimitConfig {
            email_burst: 2,
            ..RateLimitConfig::default()
        });
        assert!(l
            .check("news", ip("192.0.2.1"), Some("Ann@x.io"))
            .await
            .is_ok());
        assert!(l
            .check("news", ip("192.0.2.2"), Some("ann@x.io"))
            .await
            .is_ok());
        let refused = l
            .check("news", ip("192.0.2.3"), Some(" ANN@X.IO "))
            .await
            .unwrap_err();
        assert_eq!(limited(refused).scope, LimitScope::Email);
    }

    /// The site ceiling caps everyone together.
    #[tokio::test]
    async fn site_ceiling() {
        let (l, _) = limiters(RateLimitConfig {
            global_burst: 2,
            ..RateLimitConfig::default()
        });
        assert!(l.check("news", ip("192.0.2.1"), None).await.is_ok());
        assert!(l.check("news", ip("192.0.2.2"), None).await.is_ok());
        let refused = l.check("news", ip("192.0.2.3"), None).await.unwrap_err();
        assert_eq!(limited(refused).scope, LimitScope::Site);
    }

    /// IPv6 clients share a limit across their /64.
    #[tokio::test]
    async fn ipv6_keyed_by_prefix() {
        let (l, _) = limiters(RateLimitConfig {
            ip_burst: 1,
            ..RateLimitConfig::default()
        });
        assert!(l.check("news", ip("2001:db8:1:2::1"), None).await.is_ok());
        assert!(l
            .check("news", ip("2001:db8:1:2::ffff"), None)
            .await
            .is_err());
        assert!(l.check("news", ip("2001:db8:1:3::1"), None).await.is_ok());
    }

    /// A limit with a zero rate is off.
    #[tokio::test]
    async fn zero_rate_disables() {
        let (l, _) = limiters(RateLimitConfig {
            ip_per_minute: 0,
            global_per_minute: 0,
            ..RateLimitConfig::default()
        });
        for _ in 0..100 {
            assert!(l.check("news", ip("192.0.2.1"), None).await.is_ok());
        }
    }

    /// Reports have their own per-IP limit: commenting does not use it up, nor the reverse.
    #[tokio::test]
    async fn reports_are_limited_apart_from_comments() {
        let (l, _) = limiters(RateLimitConfig::default());
        for i in 0..5 {
            assert!(
                l.check_report("news", ip("192.0.2.1")).await.is_ok(),
                "report {i}"
            );
        }
        let refused = limited(l.check_report("news", ip("192.0.2.1")).await.unwrap_err());
        assert_eq!(refused.retry_after, Duration::from_secs(6), "10 a minute");
        assert!(
            l.check("news", ip("192.0.2.1"), None).await.is_ok(),
            "the comment limit is untouched"
        );
        assert!(
            l.check_report("news", ip("192.0.2.2")).await.is_ok(),
            "other IPs"
        );
    }

    /// Pruning forgets keys that have recovered, so a spray of IPs does not grow memory;
    /// keys that have not recovered yet stay.
    #[tokio::test]
    async fn pruning_bounds_state() {
        // 60 000 per minute = one cell per millisecond.
        let (l, clock) = limiters(RateLimitConfig {
            ip_burst: 1,
            ip_per_minute: 60_000,
            ..RateLimitConfig::default()
        });
        for i in 0..5_000u32 {
            let _ = l.check("news", IpAddr::from(i.to_be_bytes()), None).await;
        }
        assert_eq!(l.tracked_keys(), 5_000);
        l.prune();
        assert_eq!(
            l.tracked_keys(),
            5_000,
            "not recovered yet: the clock stands"
        );
        clock.advance(Duration::from_millis(20));
        l.prune();
        assert_eq!(l.tracked_keys(), 0);
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(
            crate::clock::retry_after_secs(Duration::from_millis(5_100)),
            6
        );
        assert_eq!(crate::clock::retry_after_secs(Duration::ZERO), 1);
        assert_eq!(crate::clock::retry_after_secs(Duration::from_secs(12)), 12);
    }
}
