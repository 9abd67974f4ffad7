//! `commentguard models install | list`: model sets in the database, so that one `train`
//! + `install` updates every instance sharing it (see [`crate::reload`]).
//!
//! `install` reads `spam.json` and `abuse.json` from the models directory, checks them
//! the way the service loads them (a truncated, corrupt, incompatible or mismatched file
//! is refused, naming the file, and nothing is installed), and stores both as one set
//! with its SHA-256. It prints `version=N checksum=HEX` on standard output; everything
//! meant for the operator goes to standard error. Each instance on the database takes the
//! set within `model_poll_seconds` and `/readyz` shows its version under `model_set`.
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::classifier::manifest;
use crate::classifier::model::model_path;
use crate::classifier::{Classifier, Task};
use crate::clock::Clock;
use crate::config::Config;
use crate::store::{self, Installed, ModelSetInfo, NewModelSet, Store};

/// Arguments of `commentguard models`.
#[derive(Debug, Args)]
pub struct ModelsArgs {
    #[command(subcommand)]
    pub command: ModelsCommand,
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Check the models in a directory and install them in the database as the newest set:
    /// every instance on the database serves them within `model_poll_seconds`.
    ///
    /// Prints `version=N checksum=HEX`. Installing the pair the newest set already holds
    /// installs nothing; installing an older pair again makes it the newest (a rollback).
    Install(InstallArgs),
    /// List the installed model sets, newest first: version, when, by whom, sizes, checksum.
    List(ConfigArg),
}

#[derive(Debug, Args)]
pub struct ConfigArg {
    /// TOML configuration file (the database it names is used).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Directory holding spam.json and abuse.json (default: the configured `models`).
    #[arg(long)]
    pub models: Option<PathBuf>,
    /// Who installs, for `models list` (default: user@host).
    #[arg(long)]
    pub by: Option<String>,
    #[command(flatten)]
    pub config: ConfigArg,
}

/// Reads the pair in `dir` and checks it as the service loads a models directory: each
/// model, and — when the directory has a `manifest.json` — that both files are the pair
/// it names. The error names the file at fault.
pub fn read_checked(dir: &Path) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
    let refused = "the models were refused; nothing was installed";
    let read = |task: Task| {
        let path = model_path(dir, task);
        std::fs::read(&path)
            .with_context(|| format!("{}: cannot read model", path.display()))
            .map(|bytes| (bytes, path))
    };
    let (spam, spam_path) = read(Task::Spam)?;
    let (abuse, abuse_path) = read(Task::Abuse)?;
    Classifier::from_bytes(&spam, &spam_path, &abuse, &abuse_path).context(refused)?;
    if let Some(manifest) = manifest::read(dir).context(refused)? {
        manifest::check(dir, &manifest, Task::Spam, &spam).context(refused)?;
        manifest::check(dir, &manifest, Task::Abuse, &abuse).context(refused)?;
    }
    Ok((spam, abuse))
}

async fn open(config: &Config) -> anyhow::Result<Store> {
    super::open_store(config, Clock::system()).await
}

/// Checks the models in `dir` and installs them in the database of `config`.
pub async fn install(config: &Config, dir: &Path, by: &str) -> anyhow::Result<Installed> {
    let (spam, abuse) = read_checked(dir)?;
    let store = open(config).await?;
    store
        .install_model_set(NewModelSet::new(spam, abuse, by))
        .await
        .context("cannot install the model set")
}

/// Every model set kept in the database of `config`, newest first.
pub async fn list(config: &Config) -> anyhow::Result<Vec<ModelSetInfo>> {
    Ok(open(config).await?.model_sets().await?)
}

/// `user@host` of whoever runs the command, as far as the system says.
fn who() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty());
    match host {
        Some(host) => format!("{user}@{host}"),
        None => user,
    }
}

/// `commentguard models …`
pub fn run(args: ModelsArgs) -> anyhow::Result<()> {
    let runtime = super::runtime()?;
    match args.command {
        ModelsCommand::Install(a) => {
            let config = Config::load(a.config.config.as_deref(), None)?;
            let dir = a.models.clone().unwrap_or_else(|| config.models.clone());
            let by = a.by.clone().unwrap_or_else(who);
            let installed = runtime.block_on(install(&config, &dir, &by))?;
            let set = &installed.set;
            if installed.new {
                eprintln!(
                    "Installed the models in {} as model set {} in {}. Instances on this \
                     database serve it within model_poll_seconds ({} s here); /readyz shows \
                     the version under model_set.",
                    dir.display(),
                    set.version,
                    store::Database::of(&config.database).describe(),
                    config.model_poll_seconds
                );
            } else {
                eprintln!(
                    "The newest installed model set ({}) already holds these models; nothing \
                     was installed.",
                    set.version
                );
            }
            println!("version={} checksum={}", set.version, set.checksum);
        }
        ModelsCommand::List(c) => {
            let config = Config::load(c.config.as_deref(), None)?;
            let sets = runtime.block_on(list(&config))?;
            if sets.is_empty() {
                eprintln!(
                    "No model sets installed: instances serve their models directory. Install \
                     one with `commentguard models install`."
                );
            }
            println!(
                "{:<8} {:<20} {:<24} {:>10} {:>10} CHECKSUM",
                "VERSION", "INSTALLED", "BY", "SPAM", "ABUSE"
            );
            for s in sets {
                println!(
                    "{:<8} {:<20} {:<24} {:>10} {:>10} {}",
                    s.version,
                    super::rfc3339(s.installed_at),
                    s.installed_by,
                    s.spam_bytes,
                    s.abuse_bytes,
                    s.checksum
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
    }

    fn copy(to: &Path) {
        for task in [Task::Spam, Task::Abuse] {
            std::fs::copy(model_path(&committed(), task), model_path(to, task)).unwrap();
        }
    }

    /// The committed pair passes; a truncated file, a missing one and two files swapped
    /// are refused, each naming the file at fault.
    #[test]
    fn only_a_good_pair_passes_and_refusals_name_the_file() {
        let (spam, abuse) = read_checked(&committed()).unwrap();
        assert!(!spam.is_empty() && !abuse.is_empty());

        let dir = tempfile::tempdir().unwrap();
        copy(dir.path());
        let abuse_path = model_path(dir.path(), Task::Abuse);
        std::fs::write(&abuse_path, &abuse[..abuse.len() / 2]).unwrap();
        let err = format!("{:#}", read_checked(dir.path()).unwrap_err());
        assert!(
            err.contains("abuse.json") && err.contains("corrupt"),
            "{err}"
        );

        std::fs::remove_file(&abuse_path).unwrap();
        let err = format!("{:#}", read_checked(dir.path()).unwrap_err());
        assert!(err.contains("abuse.json: cannot read"), "{err}");

        // spam.json holding the abuse model, and the other way round.
        std::fs::write(model_path(dir.path(), Task::Spam), &abuse).unwrap();
        std::fs::write(&abuse_path, &spam).unwrap();
        let err = format!("{:#}", read_checked(dir.path()).unwrap_err());
        assert!(
            err.contains("spam.json") && err.contains("expected a spam model"),
            "{err}"
        );
    }

    /// With a manifest, a valid spam model that is not the one it names (replaced without
    /// the manifest) is refused naming the file; the manifest written again pairs them.
    #[test]
    fn a_pair_that_does_not_match_its_manifest_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        copy(dir.path());
        std::fs::copy(
            manifest::manifest_path(&committed()),
            manifest::manifest_path(dir.path()),
        )
        .unwrap();
        read_checked(dir.path()).unwrap();

        let spam_path = model_path(dir.path(), Task::Spam);
        let mut file: crate::classifier::model::ModelFile =
            serde_json::from_slice(&std::fs::read(&spam_path).unwrap()).unwrap();
        file.thresholds.hold = 0.3;
        crate::classifier::TaskModel::save(&file, &spam_path).unwrap();
        let err = format!("{:#}", read_checked(dir.path()).unwrap_err());
        assert!(
            err.contains("spam.json") && err.contains("manifest.json"),
            "{err}"
        );

        manifest::write(dir.path()).unwrap();
        let (spam, _) = read_checked(dir.path()).unwrap();
        assert_eq!(spam, std::fs::read(&spam_path).unwrap());
    }
}
