//! Logging setup: `tracing` to stderr, filtered by `RUST_LOG` (default [`DEFAULT_FILTER`]), as text or
//! as one JSON object per line (`log_format = "json"`).
//!
//! House rule: comment text, e-mail addresses and tokens are never logged above `debug`.
//! Handlers and storage calls are `#[tracing::instrument]`ed with `skip_all` and only
//! record ids, site ids and statuses.
//!
//! [`Throttle`] keeps a failure that repeats for every request (a full disk answers every
//! write with the same error) to one log line per interval, with the count of the lines
//! it held back.
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (coloured on a terminal).
    #[default]
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `fields`, and `spans`
    /// (outermost first: the `request` span with its `request_id`, then the handler's).
    Json,
}

/// The filter without `RUST_LOG`: `info`, except actix-http's connection dispatcher, which
/// logs at ERROR every malformed request an anonymous client sends (a bad
/// `Content-Length`, a head over its size limit, a reset connection): the client's fault,
/// nothing an operator can act on. `RUST_LOG=info,actix_http=debug` shows them.
pub const DEFAULT_FILTER: &str = "info,actix_http::h1::dispatcher=off";

/// Installs the global subscriber; does nothing if one is already installed (tests).
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(false)
            .with_current_span(false)
            .with_span_list(true)
            .try_init(),
    };
}

/// Lets one log line through per `every`; counts the ones it holds back.
pub struct Throttle {
    every: Duration,
    last: Mutex<Option<Instant>>,
    suppressed: AtomicU64,
}

impl Throttle {
    pub const fn new(every: Duration) -> Self {
        Throttle {
            every,
            last: Mutex::new(None),
            suppressed: AtomicU64::new(0),
        }
    }

    /// `Some(n)` when a line may be written now, `n` being how many were held back since
    /// the last one; `None` to stay quiet.
    pub fn allow(&self) -> Option<u64> {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        match *last {
            Some(at) if now.duration_since(at) < self.every => {
                self.suppressed.fetch_add(1, Ordering::Relaxed);
                None
            }
            _ => {
                *last = Some(now);
                Some(self.suppressed.swap(0, Ordering::Relaxed))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One line per interval; the next one says how many were held back.
    #[test]
    fn throttle_counts_what_it_holds_back() {
        let t = Throttle::new(Duration::from_millis(50));
        assert_eq!(t.allow(), Some(0));
        for _ in 0..5 {
            assert_eq!(t.allow(), None);
        }
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(t.allow(), Some(5));
        assert_eq!(t.allow(), None);
    }
}
