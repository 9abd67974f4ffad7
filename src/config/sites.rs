//! One `[sites.ID]` section: who may call for a site and how its comments are judged,
//! and the checks that name the key at fault (`sites.ID.field`).
use serde::{Deserialize, Serialize};

use super::{invalid, ConfigError};
use crate::domain::{BlockAction, IpNet, KeyHash, Origin};

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
