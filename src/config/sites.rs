//! Checks of one `[sites.ID]` section, naming the key at fault (`sites.ID.field`). The
//! section's types ([`SiteConfig`] and its parts) are the domain's
//! ([`crate::domain::site_config`]): the runtime [`crate::domain::Site`] is built from
//! them, so the domain never looks into this module.
use super::{invalid, ConfigError};
use crate::domain::site_config::SiteConfig;

/// Shortest accepted webhook secret, in characters.
pub const MIN_WEBHOOK_SECRET_CHARS: usize = 16;

impl SiteConfig {
    pub(super) fn validate(&self, key: &dyn Fn(&str) -> String) -> Result<(), ConfigError> {
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
