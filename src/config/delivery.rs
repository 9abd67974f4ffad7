//! Webhook delivery tuning (`[webhooks]`), shared by every site's webhook; the per-site
//! URL and secret are in `sites.ID.webhook` ([`super::WebhookConfig`]).
use serde::{Deserialize, Serialize};

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
