//! Storage tuning (`[storage]`) and how long data the service no longer needs is kept
//! (`[retention]`).
use serde::{Deserialize, Serialize};

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
