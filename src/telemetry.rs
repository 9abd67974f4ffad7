//! Logging setup: `tracing` to stderr, filtered by `RUST_LOG` (default `info`).
//!
//! House rule: comment text, e-mail addresses and tokens are never logged above `debug`.
//! Handlers and storage calls are `#[tracing::instrument]`ed with `skip_all` and only
//! record ids, site ids and statuses.
use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; does nothing if one is already installed (tests).
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
