//! A site's settings as a `[sites.ID]` section of the configuration writes them, with the
//! defaults of a zero-config site: who may call for the site and how its comments are
//! judged.
//!
//! Values with a shape (origins, CIDR ranges, the key hash) are parsed while
//! deserializing; the rules across fields are checked by `crate::config` (naming the key
//! at fault) before a [`super::Site`] is built from a section. These types live in the
//! domain so that [`super::site`] and [`super::rules`] build from them without depending
//! on the configuration module (which depends on the domain, one way).
use serde::{Deserialize, Serialize};

use super::{BlockAction, IpNet, KeyHash, Origin};

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
