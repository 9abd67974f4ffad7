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
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

use crate::domain::{BlockAction, IpNet, KeyHash, Origin, SiteId};

/// Id of the site that exists when the configuration names none.
pub const DEFAULT_SITE: &str = "default";

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

fn invalid(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
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
    /// SQLite database file; its directory is created if missing.
    pub database: PathBuf,
    /// Directory holding `spam.json` and `abuse.json`.
    pub models: PathBuf,
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
            database: PathBuf::from("data/commentguard.db"),
            models: PathBuf::from("models"),
            workers: None,
            trusted_proxies: Vec::new(),
            form_token_secret: None,
            log_format: crate::telemetry::LogFormat::default(),
            retention: RetentionConfig::default(),
            rate_limit_prune_secs: 60,
            storage: StorageConfig::default(),
            webhooks: WebhookDeliveryConfig::default(),
            sessions: SessionConfig::default(),
            sites: BTreeMap::new(),
        }
    }
}

/// SQLite and writer tuning.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Writes waiting for the writer thread; beyond this, submissions get 503.
    pub write_queue: usize,
    /// Most writes committed in one transaction (group commit).
    pub max_batch: usize,
    /// Read connections kept open for listings and lookups.
    pub read_connections: usize,
    /// How long a connection waits on a lock before failing, in milliseconds.
    pub busy_timeout_ms: u64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            write_queue: 4096,
            max_batch: 512,
            read_connections: 8,
            busy_timeout_ms: 5000,
        }
    }
}

/// Webhook delivery tuning, shared by every site's webhook.
///
/// A failed attempt (no answer within `timeout_ms`, or any status but 2xx) is retried
/// after `retry_base_ms · 2^(attempt-1)`, capped at `retry_max_ms`, each delay drawn at
/// random from its upper half (jitter, so receivers coming back up are not hit by every
/// retry at once). An event still undelivered `give_up_after_hours` after it happened is
/// marked failed and kept in the database.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookDeliveryConfig {
    /// How long one attempt may take, connect to last byte, in milliseconds.
    pub timeout_ms: u64,
    /// Delay before the first retry, in milliseconds; doubles with every attempt.
    pub retry_base_ms: u64,
    /// Longest delay between two attempts, in milliseconds.
    pub retry_max_ms: u64,
    /// Age after which an undelivered event is given up, in hours.
    pub give_up_after_hours: u64,
    /// How often the delivery worker looks for due events, in milliseconds (the most a
    /// new event waits before its first attempt).
    pub poll_interval_ms: u64,
    /// Attempts in flight at once, over all sites.
    pub concurrency: usize,
    /// Delivered events are kept this long (an audit of what was sent), in hours.
    pub keep_delivered_hours: u64,
}

impl Default for WebhookDeliveryConfig {
    fn default() -> Self {
        WebhookDeliveryConfig {
            timeout_ms: 10_000,
            retry_base_ms: 10_000,
            retry_max_ms: 3_600_000,
            give_up_after_hours: 72,
            poll_interval_ms: 1_000,
            concurrency: 8,
            keep_delivered_hours: 168,
        }
    }
}

/// Moderators' browser sessions: signing in to the review page with a token once gives a
/// session cookie (`HttpOnly`, `SameSite=Strict`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// Mark the cookie `Secure` (sent over HTTPS only; it is then named
    /// `__Host-cg_session`). Set it whenever the service is reached over HTTPS, as behind
    /// the reverse proxies of `deploy/`.
    pub secure_cookie: bool,
    /// How long a sign-in lasts, in hours (1 to 720).
    pub hours: u32,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            secure_cookie: false,
            hours: 12,
        }
    }
}

/// Where a site's webhook events go and the secret they are signed with.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// The receiver: an http(s) URL events are POSTed to.
    pub url: String,
    /// Shared secret for the `Webhook-Signature` header (HMAC-SHA256 keyed with its UTF-8
    /// bytes), at least 16 characters.
    pub secret: String,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("WebhookConfig")
            .field("url", &self.url)
            .field("secret", &"…")
            .finish()
    }
}

/// A secret from the configuration: `Debug` never prints it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Retention of data kept beyond a comment's own life (see `commentguard purge`).
///
/// Comments themselves follow their site's `retention_days`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Audit-log entries (who decided what, with their notes) older than this many days
    /// are deleted; the comments keep their status and labels. Unset: kept.
    pub audit_days: Option<u32>,
    /// Webhook events given up on (never delivered) older than this many days are
    /// deleted. Delivered ones follow `webhooks.keep_delivered_hours`.
    pub failed_webhook_days: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            audit_days: None,
            failed_webhook_days: 30,
        }
    }
}

/// Shortest accepted webhook secret, in characters.
pub const MIN_WEBHOOK_SECRET_CHARS: usize = 16;

/// One news site: who may call for it and how its comments are judged.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SiteConfig {
    /// Origins its article pages are served from (CORS and form redirects).
    pub origins: Vec<Origin>,
    /// SHA-256 (hex) of the API key its backend sends as `Authorization: Bearer`.
    pub api_key_sha256: Option<KeyHash>,
    /// Whether `author_email` is required.
    pub require_email: bool,
    /// Name of the honeypot form field; a non-empty value rejects the comment.
    pub honeypot_field: String,
    /// A form submitted sooner than this after its token was issued is held (0 = off).
    pub min_form_seconds: u64,
    /// Hold anonymous submissions that carry no valid form token.
    pub require_form_token: bool,
    /// More links than this in a body holds the comment.
    pub max_links: usize,
    /// Same body from the same e-mail or IP within this many hours is a duplicate.
    pub duplicate_window_hours: u64,
    /// Published comments (and no rejected one) after which an author is trusted (0 = off).
    pub trusted_author_after: u32,
    /// Hold every comment of this site.
    pub premoderate: bool,
    /// Hold every comment on these articles.
    pub premoderate_articles: Vec<String>,
    /// Articles closed to new comments (refused with `409 ARTICLE_CLOSED`).
    pub closed_articles: Vec<String>,
    /// Authors (by e-mail) the models cannot hold, whatever their record.
    pub trusted_authors: Vec<String>,
    /// Share of ordinary comments the spam and abuse models may hold together (e.g.
    /// `0.03`), instead of the models' own hold thresholds: each model's threshold is
    /// taken from the estimate it was trained with. Raw `thresholds` still win.
    pub hold_budget: Option<f64>,
    /// Model thresholds; unset ones come from the model files (or `hold_budget`).
    /// Abuse is never rejected automatically unless `abuse_reject` is set.
    pub thresholds: ThresholdConfig,
    /// What happens to a comment the models cannot judge because it is confidently in
    /// another language than English: `hold` (for a moderator) or `publish`.
    pub other_languages: OtherLanguages,
    /// Words, e-mails and IPs that are held or rejected.
    pub blocklist: BlockListConfig,
    /// Flood limits.
    pub rate_limit: RateLimitConfig,
    /// Reader reports (from different IPs, since it was last published) that take a
    /// published comment off its article and back to the review queue (≥ 1).
    pub reports_to_review: u32,
    /// Where this site's webhook events go; unset: no events.
    pub webhook: Option<WebhookConfig>,
    /// Days after which this site's rejected comments are deleted and the client IP,
    /// e-mail address and user agent of its other comments are erased (daily, and by
    /// `commentguard purge`). Unset: kept.
    pub retention_days: Option<u32>,
}

impl Default for SiteConfig {
    fn default() -> Self {
        SiteConfig {
            origins: Vec::new(),
            api_key_sha256: None,
            require_email: false,
            honeypot_field: "website".to_owned(),
            min_form_seconds: 3,
            require_form_token: false,
            max_links: 2,
            duplicate_window_hours: 24,
            trusted_author_after: 5,
            premoderate: false,
            premoderate_articles: Vec::new(),
            closed_articles: Vec::new(),
            trusted_authors: Vec::new(),
            hold_budget: None,
            thresholds: ThresholdConfig::default(),
            other_languages: OtherLanguages::Hold,
            blocklist: BlockListConfig::default(),
            rate_limit: RateLimitConfig::default(),
            reports_to_review: 3,
            webhook: None,
            retention_days: None,
        }
    }
}

/// What to do with a comment in a language the models were not trained on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OtherLanguages {
    /// Hold it for a moderator (reason `language`).
    Hold,
    /// Publish it unless another phase holds it (the reason `language` is still noted).
    Publish,
}

/// Per-site model thresholds (probabilities in `[0, 1]`); `review` ≤ `reject`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThresholdConfig {
    pub spam_review: Option<f64>,
    pub spam_reject: Option<f64>,
    pub abuse_review: Option<f64>,
    pub abuse_reject: Option<f64>,
}

/// A site's block lists and what a match does.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BlockListConfig {
    /// `pending` (hold for a moderator) or `rejected`.
    pub action: BlockAction,
    /// Words or phrases, matched case-insensitively on word boundaries.
    pub words: Vec<String>,
    /// Addresses (`someone@example.com`) or whole domains (`@example.com`).
    pub emails: Vec<String>,
    /// Addresses or CIDR ranges.
    pub ips: Vec<IpNet>,
}

impl Default for BlockListConfig {
    fn default() -> Self {
        BlockListConfig {
            action: BlockAction::Pending,
            words: Vec::new(),
            emails: Vec::new(),
            ips: Vec::new(),
        }
    }
}

/// Flood limits of one site. A `*_per_minute` of 0 switches that limit off.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    pub ip_burst: u32,
    pub ip_per_minute: u32,
    pub email_burst: u32,
    pub email_per_minute: u32,
    /// Ceiling on all submissions to the site together.
    pub global_burst: u32,
    pub global_per_minute: u32,
    /// Reader reports (`POST /api/v1/comments/{id}/report`) per client IP.
    pub report_ip_burst: u32,
    pub report_ip_per_minute: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            ip_burst: 3,
            ip_per_minute: 5,
            email_burst: 3,
            email_per_minute: 5,
            global_burst: 500,
            global_per_minute: 6000,
            report_ip_burst: 5,
            report_ip_per_minute: 10,
        }
    }
}

impl Config {
    /// Loads defaults, then `file` (if given), then the environment, then `bind`, and
    /// validates the result.
    pub fn load(file: Option<&Path>, bind: Option<&str>) -> Result<Config, ConfigError> {
        // `COMMENTGUARD_TEST_*` (e.g. `COMMENTGUARD_TEST_POSTGRES_URL`) belong to the test
        // suites, not to the configuration, whose unknown keys are refused.
        let env = Env::prefixed(ENV_PREFIX)
            .filter(|key| !key.as_str().to_ascii_lowercase().starts_with("test_"))
            .split("__");
        Self::load_from(file, bind, env)
    }

    fn load_from(file: Option<&Path>, bind: Option<&str>, env: Env) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.exists() {
                return Err(invalid(
                    "--config",
                    format!("{} does not exist", file.display()),
                ));
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        figment = figment.merge(env);
        if let Some(bind) = bind {
            figment = figment.merge(("bind", bind));
        }
        let config: Config = figment.extract().map_err(Box::new)?;
        config.validate()
    }

    /// Parses a TOML document (no environment); used by tests and `--check`-style tools.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let config: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string(text))
            .extract()
            .map_err(Box::new)?;
        config.validate()
    }

    /// Checks cross-field rules and adds the `default` site when none is configured.
    pub fn validate(mut self) -> Result<Config, ConfigError> {
        if self.sites.is_empty() {
            self.sites
                .insert(DEFAULT_SITE.to_owned(), SiteConfig::default());
        }
        if self.storage.write_queue == 0 {
            return Err(invalid("storage.write_queue", "must be at least 1"));
        }
        if self.storage.max_batch == 0 {
            return Err(invalid("storage.max_batch", "must be at least 1"));
        }
        if self.storage.read_connections == 0 {
            return Err(invalid("storage.read_connections", "must be at least 1"));
        }
        if self.workers == Some(0) {
            return Err(invalid("workers", "must be at least 1"));
        }
        let w = &self.webhooks;
        for (name, value) in [
            ("timeout_ms", w.timeout_ms),
            ("retry_base_ms", w.retry_base_ms),
            ("give_up_after_hours", w.give_up_after_hours),
            ("poll_interval_ms", w.poll_interval_ms),
        ] {
            if value == 0 {
                return Err(invalid(format!("webhooks.{name}"), "must be at least 1"));
            }
        }
        if w.retry_max_ms < w.retry_base_ms {
            return Err(invalid(
                "webhooks.retry_max_ms",
                format!(
                    "must be at least webhooks.retry_base_ms ({})",
                    w.retry_base_ms
                ),
            ));
        }
        if w.concurrency == 0 {
            return Err(invalid("webhooks.concurrency", "must be at least 1"));
        }
        if !(1..=720).contains(&self.sessions.hours) {
            return Err(invalid("sessions.hours", "must be between 1 and 720"));
        }
        if self.rate_limit_prune_secs == 0 {
            return Err(invalid("rate_limit_prune_secs", "must be at least 1"));
        }
        if let Some(secret) = &self.form_token_secret {
            match hex::decode(secret.expose()) {
                Ok(bytes) if bytes.len() >= 32 => {}
                _ => {
                    return Err(invalid(
                        "form_token_secret",
                        "must be at least 32 bytes written as hex (64+ hex digits)",
                    ))
                }
            }
        }
        for (id, site) in &self.sites {
            let key = |field: &str| format!("sites.{id}.{field}");
            SiteId::parse(id).map_err(|e| invalid(format!("sites.{id}"), e.to_string()))?;
            site.validate(&key)?;
        }
        Ok(self)
    }

    /// The example configuration shipped in `deploy/commentguard.toml`.
    pub const EXAMPLE: &'static str = include_str!("../deploy/commentguard.toml");
}

impl SiteConfig {
    fn validate(&self, key: &dyn Fn(&str) -> String) -> Result<(), ConfigError> {
        let field = self.honeypot_field.trim();
        if field.is_empty() {
            return Err(invalid(key("honeypot_field"), "must not be empty"));
        }
        if crate::domain::KNOWN_FIELDS.contains(&field) {
            return Err(invalid(
                key("honeypot_field"),
                format!("`{field}` is a real comment field; pick a name humans never fill"),
            ));
        }
        if self.duplicate_window_hours == 0 {
            return Err(invalid(key("duplicate_window_hours"), "must be at least 1"));
        }
        if let Some(b) = self.hold_budget {
            if !(b > 0.0 && b < 1.0) {
                return Err(invalid(
                    key("hold_budget"),
                    "must be a share of comments between 0 and 1 (e.g. 0.03 for 3%)",
                ));
            }
        }
        let t = &self.thresholds;
        for (name, value) in [
            ("spam_review", t.spam_review),
            ("spam_reject", t.spam_reject),
            ("abuse_review", t.abuse_review),
            ("abuse_reject", t.abuse_reject),
        ] {
            if let Some(v) = value {
                if !(0.0..=1.0).contains(&v) {
                    return Err(invalid(
                        key(&format!("thresholds.{name}")),
                        "must be a probability between 0 and 1",
                    ));
                }
            }
        }
        for (task, review, reject) in [
            ("spam", t.spam_review, t.spam_reject),
            ("abuse", t.abuse_review, t.abuse_reject),
        ] {
            if let (Some(review), Some(reject)) = (review, reject) {
                if review > reject {
                    return Err(invalid(
                        key(&format!("thresholds.{task}_review")),
                        format!("must not exceed thresholds.{task}_reject ({reject})"),
                    ));
                }
            }
        }
        for (i, word) in self.blocklist.words.iter().enumerate() {
            if word.trim().is_empty() {
                return Err(invalid(
                    key(&format!("blocklist.words[{i}]")),
                    "must not be empty",
                ));
            }
        }
        for (i, email) in self.blocklist.emails.iter().enumerate() {
            let email = email.trim();
            let ok = match email.strip_prefix('@') {
                Some(domain) => !domain.is_empty() && !domain.contains('@'),
                None => email_address::EmailAddress::is_valid(email),
            };
            if !ok {
                return Err(invalid(
                    key(&format!("blocklist.emails[{i}]")),
                    "must be an e-mail address or `@domain`",
                ));
            }
        }
        for (i, email) in self.trusted_authors.iter().enumerate() {
            if crate::domain::AuthorEmail::parse(email).is_err() {
                return Err(invalid(
                    key(&format!("trusted_authors[{i}]")),
                    "must be an e-mail address",
                ));
            }
        }
        for (name, articles) in [
            ("premoderate_articles", &self.premoderate_articles),
            ("closed_articles", &self.closed_articles),
        ] {
            for (i, article) in articles.iter().enumerate() {
                if let Err(e) = crate::domain::ArticleId::parse(article) {
                    return Err(invalid(key(&format!("{name}[{i}]")), e.message));
                }
            }
        }
        let r = &self.rate_limit;
        for (name, burst, per_minute) in [
            ("ip", r.ip_burst, r.ip_per_minute),
            ("email", r.email_burst, r.email_per_minute),
            ("global", r.global_burst, r.global_per_minute),
            ("report_ip", r.report_ip_burst, r.report_ip_per_minute),
        ] {
            if per_minute > 0 && burst == 0 {
                return Err(invalid(
                    key(&format!("rate_limit.{name}_burst")),
                    "must be at least 1 while the limit is on",
                ));
            }
        }
        if self.retention_days == Some(0) {
            return Err(invalid(
                key("retention_days"),
                "must be at least 1 (or unset)",
            ));
        }
        if self.reports_to_review == 0 {
            return Err(invalid(key("reports_to_review"), "must be at least 1"));
        }
        if let Some(webhook) = &self.webhook {
            crate::domain::WebUrl::parse(&webhook.url, "url")
                .map_err(|_| invalid(key("webhook.url"), "must be an http(s) URL"))?;
            if webhook.secret.chars().count() < MIN_WEBHOOK_SECRET_CHARS {
                return Err(invalid(
                    key("webhook.secret"),
                    format!("must be at least {MIN_WEBHOOK_SECRET_CHARS} characters"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped example is a valid configuration.
    #[test]
    fn example_config_loads() {
        let config = Config::from_toml(Config::EXAMPLE).expect("deploy/commentguard.toml");
        assert!(!config.sites.is_empty());
    }

    /// No configuration at all gives the documented zero-config instance.
    #[test]
    fn zero_config_has_default_site() {
        let config = Config::from_toml("").unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(config.database, PathBuf::from("data/commentguard.db"));
        assert!(config.sites.contains_key(DEFAULT_SITE));
    }

    /// Bad values are reported with the key that holds them.
    #[test]
    fn errors_name_the_key() {
        let cases = [
            ("bind = \"not an address\"", "bind"),
            ("[sites.news]\norigins = [\"ftp://x\"]", "origins"),
            ("[sites.news]\nmax_links = -1", "max_links"),
            (
                "[sites.news.thresholds]\nspam_review = 1.5",
                "sites.news.thresholds.spam_review",
            ),
            (
                "[sites.news.thresholds]\nspam_review = 0.9\nspam_reject = 0.5",
                "sites.news.thresholds.spam_review",
            ),
            ("trusted_proxies = [\"10.0.0.0/99\"]", "trusted_proxies"),
            (
                "[sites.news]\nhoneypot_field = \"body\"",
                "sites.news.honeypot_field",
            ),
            ("[sites.news]\nunknown_key = 1", "unknown_key"),
            ("[sites.News]\n", "sites.News"),
            (
                "[sites.news.blocklist]\nemails = [\"nope\"]",
                "sites.news.blocklist.emails[0]",
            ),
            (
                "[sites.news.webhook]\nurl = \"ftp://x\"\nsecret = \"0123456789abcdef\"",
                "sites.news.webhook.url",
            ),
            (
                "[sites.news.webhook]\nurl = \"https://x.example/hook\"\nsecret = \"short\"",
                "sites.news.webhook.secret",
            ),
            (
                "[sites.news]\nreports_to_review = 0",
                "sites.news.reports_to_review",
            ),
            (
                "[webhooks]\nretry_base_ms = 100\nretry_max_ms = 10",
                "webhooks.retry_max_ms",
            ),
            ("log_format = \"xml\"", "log_format"),
            (
                "[sites.news]\nretention_days = 0",
                "sites.news.retention_days",
            ),
            ("[retention]\naudit_days = -1", "retention.audit_days"),
        ];
        for (toml, key) in cases {
            let err = Config::from_toml(toml).expect_err(toml).to_string();
            assert!(
                err.contains(key),
                "error for {toml:?} should name {key}: {err}"
            );
        }
    }

    /// Environment variables override the file, nested keys joined with `__`.
    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API returns its own large error
    fn environment_overrides_file() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("c.toml", "[sites.news]\nmax_links = 1\n")?;
            jail.set_env("COMMENTGUARD_SITES__NEWS__MAX_LINKS", "7");
            jail.set_env("COMMENTGUARD_BIND", "0.0.0.0:9000");
            // The test suites' own variables are not configuration keys.
            jail.set_env(
                "COMMENTGUARD_TEST_POSTGRES_URL",
                "postgres://postgres@127.0.0.1:5432/test",
            );
            let config = Config::load(Some(Path::new("c.toml")), None).unwrap();
            assert_eq!(config.sites["news"].max_links, 7);
            assert_eq!(config.bind.to_string(), "0.0.0.0:9000");
            let config = Config::load(Some(Path::new("c.toml")), Some("127.0.0.1:1")).unwrap();
            assert_eq!(config.bind.to_string(), "127.0.0.1:1");
            // A webhook can be configured, or its secret kept out of the file, this way.
            jail.set_env(
                "COMMENTGUARD_SITES__NEWS__WEBHOOK__URL",
                "https://cms.example/hooks/comments",
            );
            jail.set_env(
                "COMMENTGUARD_SITES__NEWS__WEBHOOK__SECRET",
                "whsec_from_the_environment",
            );
            let config = Config::load(Some(Path::new("c.toml")), None).unwrap();
            let webhook = config.sites["news"].webhook.as_ref().unwrap();
            assert_eq!(webhook.url, "https://cms.example/hooks/comments");
            assert_eq!(webhook.secret, "whsec_from_the_environment");
            assert!(
                !format!("{config:?}").contains("whsec_"),
                "Debug hides the secret"
            );
            let hex_secret = "ab".repeat(32);
            jail.set_env("COMMENTGUARD_FORM_TOKEN_SECRET", &hex_secret);
            let config = Config::load(Some(Path::new("c.toml")), None).unwrap();
            assert_eq!(
                config.form_token_secret.as_ref().map(Secret::expose),
                Some(hex_secret.as_str())
            );
            assert!(
                !format!("{config:?}").contains(&hex_secret),
                "Debug hides the form-token secret"
            );
            Ok(())
        });
    }
}
