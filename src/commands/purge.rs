//! `commentguard purge`: applies the retention policy of the configuration now (the server
//! also does it once a day; see [`crate::maintenance`]) and prints what it did.
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::clock::Clock;
use crate::config::Config;

/// Arguments of `commentguard purge`.
#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// TOML configuration file (its sites' `retention_days` and `[retention]` apply).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// `commentguard purge [--config FILE]`
pub fn run(args: PurgeArgs) -> anyhow::Result<()> {
    let config = Config::load(args.config.as_deref(), None)?;
    let runtime = super::runtime()?;
    let clock = Clock::system();
    let report = runtime.block_on(async {
        let store = super::open_store(&config, clock.clone()).await?;
        crate::maintenance::purge_once(&store, &config, &clock)
            .await
            .context("cannot apply the retention policy")
    })?;
    let with_retention: Vec<&str> = config
        .sites
        .iter()
        .filter(|(_, s)| s.retention_days.is_some())
        .map(|(id, _)| id.as_str())
        .collect();
    eprintln!(
        "Sites with retention_days: {}.",
        if with_retention.is_empty() {
            "none".to_owned()
        } else {
            with_retention.join(", ")
        }
    );
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
