//! `commentguard example-config`: print the documented example configuration
//! (`deploy/commentguard.toml`, every key with its default).
use crate::config::Config;

/// `commentguard example-config`: the documented example configuration.
pub(crate) fn run() -> anyhow::Result<()> {
    print!("{}", Config::EXAMPLE);
    Ok(())
}
