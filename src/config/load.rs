//! Reading the configuration: defaults, the file, the environment and `--bind`, in that
//! order, then the cross-field checks of [`Config::validate`].
use std::path::Path;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;

use super::{invalid, Config, ConfigError, SiteConfig, DEFAULT_SITE, ENV_PREFIX};
use crate::domain::SiteId;

impl Config {
    /// Loads defaults, then `file` (if given), then the environment, then `bind`, and
    /// validates the result.
    pub fn load(file: Option<&Path>, bind: Option<&str>) -> Result<Config, ConfigError> {
        // `COMMENTGUARD_TEST_*` (the test suite's Redis and PostgreSQL URLs) is not
        // configuration: without this, a server started under the tests would refuse it as
        // an unknown key.
        let env = Env::prefixed(ENV_PREFIX)
            .filter(|key| !key.starts_with("test_"))
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
        crate::ratelimit::shared::validate(&self)?;
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

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
        assert_eq!(&*config.database, Path::new("data/commentguard.db"));
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
            jail.set_env("COMMENTGUARD_TEST_REDIS_URL", "redis://127.0.0.1:6379");
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
            jail.set_env(
                "COMMENTGUARD_DATABASE",
                "postgres://cg:pg-password-1@db.internal:5432/comments?sslmode=disable",
            );
            let config = Config::load(Some(Path::new("c.toml")), None).unwrap();
            assert_eq!(
                config.database.to_str(),
                Some("postgres://cg:pg-password-1@db.internal:5432/comments?sslmode=disable"),
                "the store gets the whole URL"
            );
            let shown = format!("{config:?}");
            assert!(
                !shown.contains("pg-password-1"),
                "Debug hides the database password: {shown}"
            );
            assert!(
                shown.contains("postgres://cg:***@db.internal:5432/comments"),
                "{shown}"
            );
            Ok(())
        });
    }
}
