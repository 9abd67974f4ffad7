//! `commentguard forget EMAIL`: the right to erasure. Deletes every comment written with
//! that e-mail address on every site of the database, with their reasons, audit entries,
//! reports and webhook events, and the bans naming it; other people's replies stay, without
//! their link. Prints what it did as JSON. The admin API does the same
//! (`POST /api/v1/admin/erase`).
//!
//! Copies outside the live database are not reached: backups made before, and webhook
//! receivers that already stored the events (they carry ids and statuses, no personal
//! data). See deploy/README.md.
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::AuthorEmail;

/// Arguments of `commentguard forget`.
#[derive(Debug, Args)]
pub struct ForgetArgs {
    /// The commenter's e-mail address (matched case-insensitively).
    pub email: String,
    /// TOML configuration file (the database it names is changed).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// `commentguard forget EMAIL [--config FILE]`
pub fn run(args: ForgetArgs) -> anyhow::Result<()> {
    let config = Config::load(args.config.as_deref(), None)?;
    let email = AuthorEmail::parse(&args.email)?;
    let runtime = super::runtime()?;
    let report = runtime.block_on(async {
        let store = super::open_store(&config, Clock::system()).await?;
        store
            .erase_author(email.as_str().to_owned())
            .await
            .context("cannot erase the author's data")
    })?;
    eprintln!(
        "Erased {}: {} comment(s) on {} site(s), {} ban(s); {} repl(y/ies) by others detached.",
        email.as_str(),
        report.comments_deleted,
        report.sites.len(),
        report.bans_deleted,
        report.replies_detached
    );
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
