//! `commentguard serve`: read the configuration (file, environment, `--bind`), then build
//! the application ([`crate::startup::Application`]) and serve until SIGINT/SIGTERM; or,
//! with `--check`, only check what `build` would and exit.
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::classifier::Classifier;
use crate::config::Config;
use crate::domain::Sites;
use crate::startup::Application;
use crate::webhooks;

/// Arguments of `commentguard serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TOML configuration file (see deploy/commentguard.toml); defaults apply without one.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:8080 (overrides the config's `bind`).
    #[arg(long)]
    pub bind: Option<String>,
    /// Check the configuration (file and environment) and the models, then exit: 0 if the
    /// service would start with them.
    #[arg(long)]
    pub check: bool,
}

/// `commentguard serve`: read the configuration, build, serve until SIGINT/SIGTERM.
pub(crate) fn run(args: ServeArgs) -> anyhow::Result<()> {
    let config = Config::load(args.config.as_deref(), args.bind.as_deref())?;
    if args.check {
        return check(&config);
    }
    crate::telemetry::init(config.log_format);
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(config).await?;
        app.run_until_stopped().await?;
        tracing::info!("commentguard stopped");
        Ok(())
    })
}

/// `commentguard serve --check`: what `build` checks before it touches the database or
/// the network — sites, webhooks, the models — and a summary.
fn check(config: &Config) -> anyhow::Result<()> {
    Sites::from_config(&config.sites).context("invalid site")?;
    webhooks::Targets::from_config(config)?;
    Classifier::load(&config.models)
        .with_context(|| format!("cannot load the models from {}", config.models.display()))?;
    println!(
        "configuration OK: bind {}, database {}, models {}, sites {}",
        config.bind,
        crate::store::Database::of(&config.database).describe(),
        config.models.display(),
        config.sites.keys().cloned().collect::<Vec<_>>().join(", ")
    );
    Ok(())
}
