//! Flood limits (governor's GCRA), per site: per client IP, per author e-mail, and a
//! ceiling on the whole site; reader reports have their own per-IP limit.
//!
//! - IPv6 clients are keyed by their /64 (one household or host can rotate through a
//!   whole /64 at will); IPv4-mapped IPv6 addresses count as the IPv4 address.
//! - E-mails are keyed by a keyed hash (SipHash with a per-process random key) of the
//!   lower-cased address: fixed-size keys, and no address kept in memory.
//! - Keyed state grows with every new key; [`RateLimiters::prune`] (run periodically by
//!   the server) drops keys whose limit has fully recovered, so a spray of distinct IPs
//!   costs memory only for about one limit period.
//! - Limits are checked IP → e-mail → site; a request refused by a later limit has still
//!   used a cell of the earlier ones (a flood is a flood).
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota};

use crate::config::RateLimitConfig;
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

/// A quota from a burst and a per-minute rate; `None` when the limit is off.
fn quota(burst: u32, per_minute: u32) -> Option<Quota> {
    let per_minute = NonZeroU32::new(per_minute)?;
    // Validation guarantees burst ≥ 1 while the limit is on; 1 is the safe floor anyway.
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Some(Quota::per_minute(per_minute).allow_burst(burst))
}

/// The limiters of one site.
struct SiteLimiters {
    ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    email: Option<DefaultKeyedRateLimiter<u64>>,
    site: Option<DefaultDirectRateLimiter>,
    report_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

impl SiteLimiters {
    fn new(config: &RateLimitConfig) -> Self {
        SiteLimiters {
            ip: quota(config.ip_burst, config.ip_per_minute).map(DefaultKeyedRateLimiter::keyed),
            email: quota(config.email_burst, config.email_per_minute)
                .map(DefaultKeyedRateLimiter::keyed),
            site: quota(config.global_burst, config.global_per_minute)
                .map(DefaultDirectRateLimiter::direct),
            report_ip: quota(config.report_ip_burst, config.report_ip_per_minute)
                .map(DefaultKeyedRateLimiter::keyed),
        }
    }
}

/// All limiters of the instance, shared by every HTTP worker.
pub struct RateLimiters {
    sites: HashMap<String, SiteLimiters>,
    email_hasher: std::collections::hash_map::RandomState,
    clock: DefaultClock,
}

impl std::fmt::Debug for RateLimiters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiters")
            .field("sites", &self.sites.len())
            .field("tracked_keys", &self.tracked_keys())
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
    pub fn new(sites: &Sites) -> Self {
        RateLimiters {
            sites: sites
                .iter()
                .map(|s| (s.id.as_str().to_owned(), SiteLimiters::new(&s.rate_limit)))
                .collect(),
            email_hasher: std::collections::hash_map::RandomState::new(),
            clock: DefaultClock::default(),
        }
    }

    fn email_key(&self, email: &str) -> u64 {
        let mut h = self.email_hasher.build_hasher();
        for c in email.trim().chars().flat_map(char::to_lowercase) {
            h.write_u32(u32::from(c));
        }
        h.finish()
    }

    /// Counts one submission to `site` from `ip` (and `email`, if given).
    pub fn check(&self, site: &str, ip: IpAddr, email: Option<&str>) -> Result<(), RateLimited> {
        let Some(limits) = self.sites.get(site) else {
            return Ok(());
        };
        let refused = |scope, not_until: governor::NotUntil<_>| RateLimited {
            scope,
            retry_after: not_until.wait_time_from(self.clock.now()),
        };
        if let Some(limiter) = &limits.ip {
            limiter
                .check_key(&ip_key(ip))
                .map_err(|n| refused(LimitScope::Ip, n))?;
        }
        if let (Some(limiter), Some(email)) = (&limits.email, email) {
            if !email.trim().is_empty() {
                limiter
                    .check_key(&self.email_key(email))
                    .map_err(|n| refused(LimitScope::Email, n))?;
            }
        }
        if let Some(limiter) = &limits.site {
            limiter.check().map_err(|n| refused(LimitScope::Site, n))?;
        }
        Ok(())
    }

    /// Counts one reader report on `site` from `ip`.
    pub fn check_report(&self, site: &str, ip: IpAddr) -> Result<(), RateLimited> {
        let Some(limiter) = self.sites.get(site).and_then(|l| l.report_ip.as_ref()) else {
            return Ok(());
        };
        limiter
            .check_key(&ip_key(ip))
            .map_err(|not_until| RateLimited {
                scope: LimitScope::Ip,
                retry_after: not_until.wait_time_from(self.clock.now()),
            })
    }

    /// Drops keys whose limits have fully recovered and gives the memory back.
    pub fn prune(&self) {
        for limits in self.sites.values() {
            if let Some(l) = &limits.ip {
                l.retain_recent();
                l.shrink_to_fit();
            }
            if let Some(l) = &limits.email {
                l.retain_recent();
                l.shrink_to_fit();
            }
            if let Some(l) = &limits.report_ip {
                l.retain_recent();
                l.shrink_to_fit();
            }
        }
    }

    /// Keys currently tracked, over all sites (for tests and diagnostics).
    pub fn tracked_keys(&self) -> usize {
        self.sites
            .values()
            .map(|l| {
                l.ip.as_ref().map_or(0, |l| l.len())
                    + l.email.as_ref().map_or(0, |l| l.len())
                    + l.report_ip.as_ref().map_or(0, |l| l.len())
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::config::SiteConfig;

    fn limiters(rate_limit: RateLimitConfig) -> RateLimiters {
        let mut configs = BTreeMap::new();
        configs.insert(
            "news".to_owned(),
            SiteConfig {
                rate_limit,
                ..SiteConfig::default()
            },
        );
        RateLimiters::new(&Sites::from_config(&configs).unwrap())
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// The default IP limit allows a burst of 3, then refuses with a wait of about 12 s.
    #[test]
    fn ip_burst_then_refused() {
        let l = limiters(RateLimitConfig::default());
        for i in 0..3 {
            assert!(
                l.check("news", ip("192.0.2.1"), None).is_ok(),
                "request {i}"
            );
        }
        let refused = l.check("news", ip("192.0.2.1"), None).unwrap_err();
        assert_eq!(refused.scope, LimitScope::Ip);
        assert!(
            (11..=12).contains(&refused.retry_after_secs()),
            "{refused:?}"
        );
        assert!(
            l.check("news", ip("192.0.2.2"), None).is_ok(),
            "other IPs are unaffected"
        );
    }

    /// One author is limited across IPs, whatever the case of the address.
    #[test]
    fn email_limit_spans_ips() {
        let l = limiters(RateLimitConfig {
            email_burst: 2,
            ..RateLimitConfig::default()
        });
        assert!(l.check("news", ip("192.0.2.1"), Some("Ann@x.io")).is_ok());
        assert!(l.check("news", ip("192.0.2.2"), Some("ann@x.io")).is_ok());
        let refused = l
            .check("news", ip("192.0.2.3"), Some(" ANN@X.IO "))
            .unwrap_err();
        assert_eq!(refused.scope, LimitScope::Email);
    }

    /// The site ceiling caps everyone together.
    #[test]
    fn site_ceiling() {
        let l = limiters(RateLimitConfig {
            global_burst: 2,
            ..RateLimitConfig::default()
        });
        assert!(l.check("news", ip("192.0.2.1"), None).is_ok());
        assert!(l.check("news", ip("192.0.2.2"), None).is_ok());
        assert_eq!(
            l.check("news", ip("192.0.2.3"), None).unwrap_err().scope,
            LimitScope::Site
        );
    }

    /// IPv6 clients share a limit across their /64.
    #[test]
    fn ipv6_keyed_by_prefix() {
        let l = limiters(RateLimitConfig {
            ip_burst: 1,
            ..RateLimitConfig::default()
        });
        assert!(l.check("news", ip("2001:db8:1:2::1"), None).is_ok());
        assert!(l.check("news", ip("2001:db8:1:2::ffff"), None).is_err());
        assert!(l.check("news", ip("2001:db8:1:3::1"), None).is_ok());
    }

    /// A limit with a zero rate is off.
    #[test]
    fn zero_rate_disables() {
        let l = limiters(RateLimitConfig {
            ip_per_minute: 0,
            global_per_minute: 0,
            ..RateLimitConfig::default()
        });
        for _ in 0..100 {
            assert!(l.check("news", ip("192.0.2.1"), None).is_ok());
        }
    }

    /// Reports have their own per-IP limit: commenting does not use it up, nor the reverse.
    #[test]
    fn reports_are_limited_apart_from_comments() {
        let l = limiters(RateLimitConfig::default());
        for i in 0..5 {
            assert!(
                l.check_report("news", ip("192.0.2.1")).is_ok(),
                "report {i}"
            );
        }
        let refused = l.check_report("news", ip("192.0.2.1")).unwrap_err();
        assert!(
            (5..=6).contains(&refused.retry_after_secs()),
            "10 a minute: {refused:?}"
        );
        assert!(
            l.check("news", ip("192.0.2.1"), None).is_ok(),
            "the comment limit is untouched"
        );
        assert!(l.check_report("news", ip("192.0.2.2")).is_ok(), "other IPs");
    }

    /// Pruning forgets keys that have recovered, so a spray of IPs does not grow memory.
    #[test]
    fn pruning_bounds_state() {
        // 60 000 per minute = one cell per millisecond: keys recover almost at once.
        let l = limiters(RateLimitConfig {
            ip_burst: 1,
            ip_per_minute: 60_000,
            ..RateLimitConfig::default()
        });
        for i in 0..5_000u32 {
            let _ = l.check("news", IpAddr::from(i.to_be_bytes()), None);
        }
        assert_eq!(l.tracked_keys(), 5_000);
        std::thread::sleep(Duration::from_millis(20));
        l.prune();
        assert_eq!(l.tracked_keys(), 0);
    }
}
