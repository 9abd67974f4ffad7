//! Service configuration: one TOML file, overridden by `COMMENTGUARD_…` environment
//! variables, with defaults that make a zero-config start work.
//!
//! Layering (later wins): built-in defaults → the TOML file (if any) → the environment
//! (`COMMENTGUARD_BIND=0.0.0.0:8080`, nested keys with `__`:
//! `COMMENTGUARD_SITES__DEFAULT__MAX_LINKS=5`) → `--bind` on the command line.
//!
//! Values that have a shape (addresses, origins, CIDR ranges, key hashes) are parsed while
//! deserializing, so a bad value is reported by figment with the key that holds it;
//! cross-field rules (thresholds ordered, at least one site …) are checked by
//! [`Config::validate`], whose errors also name the key. After `validate` succeeds the
//! configuration is trusted everywhere else.
//!
//! The documented example lives in `deploy/commentguard.toml`; a test keeps it loadable.
//!
//! Layout: this file holds [`Config`], the whole file, and [`ConfigError`]; `load` reads
//! and validates it; `sites` checks a `[sites.ID]` section (its types are the domain's,
//! [`crate::domain::site_config`], re-exported here); `storage`, `delivery` and
//! `sessions` tune those parts of the service; `secrets` keeps secrets out of logs.
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::domain::IpNet;

mod delivery;
mod load;
mod secrets;
mod sessions;
mod sites;
mod storage;

pub use crate::domain::site_config::{
    BlockListConfig, OtherLanguages, RateLimitConfig, SiteConfig, ThresholdConfig, WebhookConfig,
};
pub use delivery::WebhookDeliveryConfig;
pub use secrets::Secret;
pub use sessions::SessionConfig;
pub use sites::MIN_WEBHOOK_SECRET_CHARS;
pub use storage::{describe_url, DatabaseLocation, RetentionConfig, StorageConfig};

/// Id of the site that exists when the configuration names none.
pub const DEFAULT_SITE: &str = "default";

/// Default of `model_poll_seconds`: a fleet takes a new install within ten seconds, at
/// the cost of one tiny query per instance every ten seconds.
pub const DEFAULT_MODEL_POLL_SECONDS: u64 = 10;

/// Prefix of the environment variables that override the file.
pub const ENV_PREFIX: &str = "COMMENTGUARD_";

/// A configuration that cannot be used, with the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file or environment could not be read or has a value of the wrong shape
    /// (figment's message names the key and where it came from).
    #[error("invalid configuration: {0}")]
    Load(Box<figment::Error>),
    /// A value is well-formed but breaks a rule.
    #[error("invalid configuration: `{key}`: {message}")]
    Invalid { key: String, message: String },
}

impl From<Box<figment::Error>> for ConfigError {
    fn from(err: Box<figment::Error>) -> Self {
        // Not a `#[source]`: figment's message already says everything, once.
        ConfigError::Load(err)
    }
}

pub(crate) fn invalid(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        message: message.into(),
    }
}

/// The whole configuration of one instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub bind: SocketAddr,
    /// SQLite database file (its directory is created if missing), or a PostgreSQL URL.
    pub database: DatabaseLocation,
    /// Directory holding `spam.json` and `abuse.json` (served when the database holds no
    /// installed model set, and read by `SIGHUP` / the admin reload).
    pub models: PathBuf,
    /// How often to check the database for a newer installed model set, in seconds
    /// (`commentguard models install`); 0 = never (only at start).
    pub model_poll_seconds: u64,
    /// HTTP worker threads; `None` = one per core.
    pub workers: Option<usize>,
    /// Peers whose `X-Forwarded-For` header is believed (reverse proxies, load balancers).
    pub trusted_proxies: Vec<IpNet>,
    /// Secret for form tokens (hex, ≥ 32 bytes). `None` = a random secret kept in the
    /// database, so tokens survive restarts.
    pub form_token_secret: Option<Secret>,
    /// `text` (default) or `json`: one JSON object per log line.
    pub log_format: crate::telemetry::LogFormat,
    /// How long data the service no longer needs is kept (sites add `retention_days`).
    pub retention: RetentionConfig,
    /// How often keyed rate-limit state is pruned, in seconds.
    pub rate_limit_prune_secs: u64,
    /// Redis shared by every instance for the rate limits (`redis://host:port`); unset:
    /// each instance limits on its own. These four keys: [`crate::ratelimit::shared`].
    pub rate_limit_store: Option<crate::ratelimit::shared::StoreUrl>,
    /// `open` (each instance's own limits) or `closed` (503) while Redis is unreachable.
    pub rate_limit_unreachable: crate::ratelimit::WhenUnreachable,
    /// Longest wait for Redis, in milliseconds; past it Redis counts as unreachable.
    pub rate_limit_store_timeout_ms: u64,
    /// Start of every Redis key.
    pub rate_limit_store_prefix: String,
    /// Storage tuning.
    pub storage: StorageConfig,
    /// How webhook events are delivered (the per-site URL and secret are in
    /// `sites.ID.webhook`).
    pub webhooks: WebhookDeliveryConfig,
    /// Moderators' browser sessions (the review page's sign-in).
    pub sessions: SessionConfig,
    /// The news sites served by this instance, by id.
    pub sites: BTreeMap<String, SiteConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database: PathBuf::from("data/commentguard.db").into(),
            models: PathBuf::from("models"),
            model_poll_seconds: DEFAULT_MODEL_POLL_SECONDS,
            workers: None,
            trusted_proxies: Vec::new(),
            form_token_secret: None,
            log_format: crate::telemetry::LogFormat::default(),
            retention: RetentionConfig::default(),
            rate_limit_prune_secs: 60,
            rate_limit_store: None,
            rate_limit_unreachable: crate::ratelimit::WhenUnreachable::default(),
            rate_limit_store_timeout_ms: crate::ratelimit::shared::DEFAULT_TIMEOUT_MS,
            rate_limit_store_prefix: crate::ratelimit::shared::DEFAULT_PREFIX.to_owned(),
            storage: StorageConfig::default(),
            webhooks: WebhookDeliveryConfig::default(),
            sessions: SessionConfig::default(),
            sites: BTreeMap::new(),
        }
    }
}

impl Config {
    /// The example configuration shipped in `deploy/commentguard.toml`.
    pub const EXAMPLE: &'static str = include_str!("../../deploy/commentguard.toml");
}
