//! Storage tuning (`[storage]`) and how long data the service no longer needs is kept
//! (`[retention]`).
use std::fmt;
use std::ops::Deref;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The configured `database`: the path of a SQLite file, or a `postgres://` URL (see
/// [`crate::store::Database`]). A URL may carry a password, so it is shown (`Debug`, and
/// [`DatabaseLocation::describe`] for messages) without it; everything else reads it as
/// the path it dereferences to.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DatabaseLocation(PathBuf);

impl DatabaseLocation {
    /// For messages and logs: the file's path, or the URL without its password and
    /// query.
    pub fn describe(&self) -> String {
        match self.0.to_str() {
            Some(raw) if raw.starts_with("postgres://") || raw.starts_with("postgresql://") => {
                describe_url(raw)
            }
            _ => self.0.display().to_string(),
        }
    }
}

/// A database URL without its password and query (`***` where the password was).
pub fn describe_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) => {
            if url.password().is_some() {
                // Cannot fail on a URL with a host, which a password implies.
                let _ = url.set_password(Some("***"));
            }
            url.set_query(None);
            url.to_string()
        }
        Err(_) => "a PostgreSQL URL".to_owned(),
    }
}

impl fmt::Debug for DatabaseLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.describe())
    }
}

impl Deref for DatabaseLocation {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for DatabaseLocation {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl From<PathBuf> for DatabaseLocation {
    fn from(path: PathBuf) -> Self {
        DatabaseLocation(path)
    }
}

impl From<&str> for DatabaseLocation {
    fn from(s: &str) -> Self {
        DatabaseLocation(PathBuf::from(s))
    }
}

impl From<String> for DatabaseLocation {
    fn from(s: String) -> Self {
        DatabaseLocation(PathBuf::from(s))
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
