//! Command line interface: `serve`, `train`, `evaluate`, `score`, `models`, `site-key`,
//! `example-config`, `moderator`, `export-decisions`, `backup`, `purge`, `forget`.
//!
//! Every subcommand is documented with `///` so `commentguard help <cmd>` is the manual.
//! The library does the work; this module parses arguments, prints and picks exit codes.
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Self-hosted comment moderation for news sites.
#[derive(Debug, Parser)]
#[command(name = "commentguard", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the moderation service (HTTP API on 127.0.0.1:8080 by default).
    Serve(crate::commands::serve::ServeArgs),
    /// Train the spam and abuse models on labelled CSV files and write them to `--out`.
    Train(Box<crate::commands::train::TrainArgs>),
    /// Score a labelled CSV with the models and report precision, recall, F1, ROC AUC.
    Evaluate(crate::commands::evaluate::EvaluateArgs),
    /// Score one comment (argument, or standard input) and explain the scores.
    Score(crate::commands::score::ScoreArgs),
    /// Model sets in the database: `install` (checks a models directory and stores it as
    /// the newest set, which every instance on the database then serves), `list`.
    Models(crate::commands::models::ModelsArgs),
    /// Make a new random API key for a site's backend.
    ///
    /// Prints the key (give it to the backend; it is not stored anywhere) and its SHA-256,
    /// which goes in the site's config as `api_key_sha256`.
    SiteKey,
    /// Print the documented example configuration (every key, with its default).
    ExampleConfig,
    /// Manage moderators: `add NAME --site SITE` (prints a token once), `list`, `revoke NAME`.
    Moderator(crate::commands::moderator::ModeratorArgs),
    /// Write moderators' labelled decisions as training CSV (text,spam,abuse,source,group).
    ExportDecisions(crate::commands::export::ExportArgs),
    /// Copy the database to `--out`, consistently, while the service runs (VACUUM INTO).
    Backup(crate::commands::backup::BackupArgs),
    /// Apply the retention policy now: sites' `retention_days`, `[retention]` (the server
    /// also does this daily). Prints what was deleted or erased.
    Purge(crate::commands::purge::PurgeArgs),
    /// Erase one commenter (by e-mail) from every site: their comments, reports, audit
    /// entries, webhook events and bans. Prints what was done.
    Forget(crate::commands::forget::ForgetArgs),
}

impl Command {
    /// Whether the command runs the service (which must survive clients that hang up; the
    /// other commands write to a terminal or a pipe and may stop when it closes).
    pub fn is_service(&self) -> bool {
        matches!(self, Command::Serve(_))
    }
}

/// Runs a parsed command line: the `commentguard` binary's work after argument parsing.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve(args) => crate::commands::serve::run(args),
        Command::Train(args) => crate::commands::train::run(*args),
        Command::Evaluate(args) => crate::commands::evaluate::run(args),
        Command::Score(args) => crate::commands::score::run(args),
        Command::Models(args) => crate::commands::models::run(args),
        Command::SiteKey => crate::commands::site_key::run(),
        Command::ExampleConfig => crate::commands::example_config::run(),
        Command::Moderator(args) => crate::commands::moderator::run(args),
        Command::ExportDecisions(args) => crate::commands::export::run(args),
        Command::Backup(args) => crate::commands::backup::run(args),
        Command::Purge(args) => crate::commands::purge::run(args),
        Command::Forget(args) => crate::commands::forget::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
