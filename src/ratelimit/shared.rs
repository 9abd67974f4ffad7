//! Rate limits shared by several instances: the configuration, and what happens when the
//! shared store cannot be reached.
//!
//! | key | default | what |
//! |---|---|---|
//! | `rate_limit_store` | unset | `redis://[:password@]host:port[/db]`: limits are shared by every instance using it. Unset: each instance limits on its own. |
//! | `rate_limit_unreachable` | `"open"` | Redis down or slow: `"open"` = each instance's own limits only (logged once a minute, counted in `commentguard_rate_limit_store_unreachable_total`); `"closed"` = submissions and reports are refused with `503 RATE_LIMIT_UNAVAILABLE` + `Retry-After` |
//! | `rate_limit_store_timeout_ms` | `100` | longest wait for Redis, connecting included; past it Redis counts as unreachable |
//! | `rate_limit_store_prefix` | `"commentguard:rl:"` | start of every key, so deployments (and test runs) can share one Redis |
//!
//! The in-process limits always run first; only requests they let through are counted in
//! Redis, so a flood that one instance sees alone never reaches Redis.
//!
//! The failed-authentication limit falls back to the instance's own limit in both modes:
//! the requests it counts are refused anyway (no valid credential), so "closed" could
//! only turn their 401 into a 503 without protecting anything more.
use std::fmt;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::redis::{Cell, Lockout, RedisLimits, StoreError, RETRY_AFTER};
use crate::config::{Config, ConfigError};
use crate::telemetry::Throttle;

/// Default of `rate_limit_store_timeout_ms`.
pub const DEFAULT_TIMEOUT_MS: u64 = 100;
/// Default of `rate_limit_store_prefix`.
pub const DEFAULT_PREFIX: &str = "commentguard:rl:";
/// Longest `rate_limit_store_timeout_ms` (a limit check must never stall a submission).
pub const MAX_TIMEOUT_MS: u64 = 5_000;
/// How often "the store is unreachable" is logged while it stays so.
const LOG_EVERY: Duration = Duration::from_secs(60);

/// `rate_limit_store`: a `redis://` URL, checked when the configuration is read. `Debug`
/// and `Display` hide its password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StoreUrl(String);

impl StoreUrl {
    pub fn parse(raw: &str) -> Result<StoreUrl, String> {
        let raw = raw.trim();
        let url =
            url::Url::parse(raw).map_err(|e| format!("`{}` is not a URL ({e})", redact(raw)))?;
        if url.scheme() != "redis" {
            return Err(format!(
                "must be a redis:// URL (got scheme `{}`; TLS is not supported)",
                url.scheme()
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("must name a host: redis://HOST:PORT".to_owned());
        }
        redis::Client::open(raw).map_err(|e| format!("not a Redis URL: {e}"))?;
        Ok(StoreUrl(raw.to_owned()))
    }

    /// The URL itself, password included, for the one place that connects.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The URL with any password replaced by `…`.
fn redact(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("…"));
            url.to_string()
        }
        _ => raw.to_owned(),
    }
}

impl TryFrom<String> for StoreUrl {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        StoreUrl::parse(&value)
    }
}

impl From<StoreUrl> for String {
    fn from(value: StoreUrl) -> Self {
        value.0
    }
}

impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreUrl({})", redact(&self.0))
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.0))
    }
}

/// `rate_limit_unreachable`: what a check does when the shared store does not answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WhenUnreachable {
    /// Each instance's own limits decide alone.
    #[default]
    Open,
    /// Refuse with `503 RATE_LIMIT_UNAVAILABLE` until the store answers again.
    Closed,
}

impl WhenUnreachable {
    fn as_str(self) -> &'static str {
        match self {
            WhenUnreachable::Open => "open",
            WhenUnreachable::Closed => "closed",
        }
    }
}

/// The shared-limit keys of `config`, checked: called by [`Config::validate`].
pub fn validate(config: &Config) -> Result<(), ConfigError> {
    let invalid = |key: &str, message: String| ConfigError::Invalid {
        key: key.to_owned(),
        message,
    };
    if !(1..=MAX_TIMEOUT_MS).contains(&config.rate_limit_store_timeout_ms) {
        return Err(invalid(
            "rate_limit_store_timeout_ms",
            format!("must be between 1 and {MAX_TIMEOUT_MS}"),
        ));
    }
    let prefix = &config.rate_limit_store_prefix;
    if prefix.is_empty() || prefix.len() > 200 || prefix.chars().any(char::is_whitespace) {
        return Err(invalid(
            "rate_limit_store_prefix",
            "must be 1 to 200 bytes without spaces".to_owned(),
        ));
    }
    Ok(())
}

/// Why a check refused the request because the store could not be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreUnavailable {
    pub retry_after: Duration,
}

/// The shared store and the policy for when it is unreachable.
#[derive(Debug)]
pub struct SharedLimits {
    redis: RedisLimits,
    when_unreachable: WhenUnreachable,
    /// Keys e-mail addresses (HMAC-SHA256), the same on every instance of a deployment.
    email_key: Hmac<Sha256>,
}

impl SharedLimits {
    /// From the configuration: `None` when `rate_limit_store` is unset. `email_secret` is
    /// a secret every instance of the deployment shares (the form-token secret): the
    /// e-mail limit is keyed by a MAC of the address under it.
    pub fn from_config(
        config: &Config,
        email_secret: &[u8],
    ) -> Result<Option<SharedLimits>, StoreError> {
        let Some(url) = &config.rate_limit_store else {
            return Ok(None);
        };
        let redis = RedisLimits::new(
            url,
            &config.rate_limit_store_prefix,
            Duration::from_millis(config.rate_limit_store_timeout_ms),
        )?;
        Ok(Some(SharedLimits {
            redis,
            when_unreachable: config.rate_limit_unreachable,
            email_key: derive_email_key(email_secret),
        }))
    }

    /// The key of an e-mail address (trimmed, lower-cased) in Redis: no address is stored.
    pub fn email_key(&self, email: &str) -> String {
        mac_email(&self.email_key, email)
    }

    /// Takes a cell from each of `cells`: `Ok(None)` allowed, `Ok(Some((i, wait)))`
    /// refused by `cells[i]`, `Err` when the store is unreachable and the policy is closed.
    /// Open, an unreachable store allows (the local limits already ran).
    pub async fn take(
        &self,
        cells: &[Cell],
        now_millis: i64,
    ) -> Result<Option<(usize, Duration)>, StoreUnavailable> {
        match self.redis.take(cells, micros(now_millis)).await {
            Ok(answer) => Ok(answer),
            Err(err) => self.unreachable(&err, self.when_unreachable).map(|()| None),
        }
    }

    /// Counts a failed authentication; `None` when the store is unreachable (the caller's
    /// own limit stands, whatever the policy: see the module doc).
    pub async fn lockout(&self, cell: &Cell, lock_key: &str, now_millis: i64) -> Option<Lockout> {
        match self.redis.lockout(cell, lock_key, micros(now_millis)).await {
            Ok(answer) => Some(answer),
            Err(err) => {
                let _ = self.unreachable(&err, WhenUnreachable::Open);
                None
            }
        }
    }

    /// How long the client of `lock_key` is still locked out; `None` also when the store
    /// is unreachable.
    pub async fn locked(&self, lock_key: &str, now_millis: i64) -> Option<Duration> {
        match self.redis.locked(lock_key, micros(now_millis)).await {
            Ok(wait) => wait,
            Err(err) => {
                let _ = self.unreachable(&err, WhenUnreachable::Open);
                None
            }
        }
    }

    /// Logs (at most once per [`LOG_EVERY`]) and counts a check the store did not answer.
    fn unreachable(
        &self,
        err: &StoreError,
        policy: WhenUnreachable,
    ) -> Result<(), StoreUnavailable> {
        static LOG: Throttle = Throttle::new(LOG_EVERY);
        crate::monitoring::rate_limit_store_unreachable(policy.as_str());
        if let Some(held_back) = LOG.allow() {
            tracing::warn!(
                error = %err,
                policy = self.when_unreachable.as_str(),
                held_back,
                "the shared rate-limit store is unreachable; {}",
                match self.when_unreachable {
                    WhenUnreachable::Open => "each instance limits on its own until it answers",
                    WhenUnreachable::Closed =>
                        "submissions and reports are refused (503) until it answers",
                }
            );
        }
        match policy {
            WhenUnreachable::Open => Ok(()),
            WhenUnreachable::Closed => Err(StoreUnavailable {
                retry_after: RETRY_AFTER,
            }),
        }
    }
}

/// The e-mail MAC key: derived from the shared secret, so it is no use for anything else.
fn derive_email_key(secret: &[u8]) -> Hmac<Sha256> {
    let mut derive =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes any key length");
    derive.update(b"commentguard rate-limit e-mail key v1");
    let key = derive.finalize().into_bytes();
    <Hmac<Sha256> as KeyInit>::new_from_slice(&key).expect("HMAC takes any key length")
}

/// The first 16 bytes (hex) of the MAC of the trimmed, lower-cased address.
fn mac_email(key: &Hmac<Sha256>, email: &str) -> String {
    let mut mac = key.clone();
    for c in email.trim().chars().flat_map(char::to_lowercase) {
        let mut buf = [0; 4];
        mac.update(c.encode_utf8(&mut buf).as_bytes());
    }
    hex::encode(&mac.finalize().into_bytes()[..16])
}

/// Unix milliseconds as the script's µs (0 before 1970).
fn micros(millis: i64) -> u64 {
    u64::try_from(millis).unwrap_or(0).saturating_mul(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys are read from the configuration, and a bad value names its key.
    #[test]
    fn config_keys_are_read_and_checked() {
        let config = Config::from_toml(
            "rate_limit_store = \"redis://:pw@127.0.0.1:6379/2\"\n\
             rate_limit_unreachable = \"closed\"\n\
             rate_limit_store_timeout_ms = 50\n\
             rate_limit_store_prefix = \"cg:\"\n",
        )
        .unwrap();
        let url = config.rate_limit_store.as_ref().unwrap();
        assert_eq!(url.expose(), "redis://:pw@127.0.0.1:6379/2");
        assert!(!format!("{url:?} {url}").contains("pw"), "{url:?}");
        assert_eq!(config.rate_limit_unreachable, WhenUnreachable::Closed);

        let defaults = Config::from_toml("").unwrap();
        assert!(defaults.rate_limit_store.is_none());
        assert_eq!(defaults.rate_limit_unreachable, WhenUnreachable::Open);
        assert_eq!(defaults.rate_limit_store_timeout_ms, DEFAULT_TIMEOUT_MS);

        for (toml, key) in [
            (
                "rate_limit_store = \"http://127.0.0.1:6379\"",
                "rate_limit_store",
            ),
            ("rate_limit_store = \"not a url\"", "rate_limit_store"),
            ("rate_limit_store = \"redis://\"", "rate_limit_store"),
            (
                "rate_limit_unreachable = \"maybe\"",
                "rate_limit_unreachable",
            ),
            (
                "rate_limit_store_timeout_ms = 0",
                "rate_limit_store_timeout_ms",
            ),
            ("rate_limit_store_prefix = \"\"", "rate_limit_store_prefix"),
        ] {
            let err = Config::from_toml(toml).unwrap_err().to_string();
            assert!(err.contains(key), "{toml}: {err}");
        }
    }

    /// E-mail keys ignore case and spaces, differ by secret, and do not contain the address.
    #[test]
    fn email_keys() {
        let key = |secret: &[u8], email: &str| mac_email(&derive_email_key(secret), email);
        assert_eq!(key(b"s", "Ann@X.io "), key(b"s", "ann@x.io"));
        assert_ne!(key(b"s", "ann@x.io"), key(b"t", "ann@x.io"));
        assert_eq!(key(b"s", "ann@x.io").len(), 32);
    }
}
