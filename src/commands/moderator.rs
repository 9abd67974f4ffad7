//! `commentguard moderator add | list | revoke`: the people who review comments.
//!
//! The commands open the database the configuration points at (the same one `serve`
//! uses; they work while it runs). `add` prints the new token once, on standard output
//! and alone on its line, so `TOKEN=$(commentguard moderator add ann --site news)` works;
//! everything meant for the operator goes to standard error. Only the token's SHA-256 is
//! stored, so a lost token cannot be shown again: revoke it and add the moderator anew.
use std::path::PathBuf;

use anyhow::bail;
use clap::{Args, Subcommand};

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::{ModeratorName, ModeratorToken, SiteId};
use crate::store::{ModeratorInfo, NewModerator, Store};

/// Arguments of `commentguard moderator`.
#[derive(Debug, Args)]
pub struct ModeratorArgs {
    #[command(subcommand)]
    pub command: ModeratorCommand,
}

#[derive(Debug, Subcommand)]
pub enum ModeratorCommand {
    /// Add a moderator and print their token (shown once; only its hash is stored).
    ///
    /// Without --site and --admin, an instance with a single site grants that site.
    Add(AddArgs),
    /// List moderators: name, sites, admin, when added, whether revoked.
    List(ConfigArg),
    /// Revoke a moderator's token at once (their audit entries stay).
    Revoke(RevokeArgs),
}

#[derive(Debug, Args)]
pub struct ConfigArg {
    /// TOML configuration file (the database it names is used).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Name shown in the audit log: letters, digits, '.', '_', '-', '@'.
    pub name: String,
    /// A site this moderator reviews (repeat for several).
    #[arg(long = "site", value_name = "SITE")]
    pub sites: Vec<String>,
    /// Every site, present and future, plus the admin API (model reload).
    #[arg(long)]
    pub admin: bool,
    #[command(flatten)]
    pub config: ConfigArg,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The moderator to revoke.
    pub name: String,
    #[command(flatten)]
    pub config: ConfigArg,
}

/// A moderator just added, with the token to hand over (`Debug` leaves the token out).
pub struct Added {
    pub name: ModeratorName,
    pub token: String,
    /// Empty for admins (they have every site).
    pub sites: Vec<SiteId>,
    pub admin: bool,
}

impl std::fmt::Debug for Added {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Added")
            .field("name", &self.name)
            .field("token", &"…")
            .field("sites", &self.sites)
            .field("admin", &self.admin)
            .finish()
    }
}

/// The sites to grant: the named ones (each must be configured), or the only site.
fn sites_to_grant(config: &Config, named: &[String], admin: bool) -> anyhow::Result<Vec<SiteId>> {
    if admin {
        if !named.is_empty() {
            bail!("--admin already grants every site; drop --site");
        }
        return Ok(Vec::new());
    }
    let configured = || config.sites.keys().cloned().collect::<Vec<_>>().join(", ");
    if named.is_empty() {
        if config.sites.len() == 1 {
            let only = config.sites.keys().next().map(String::as_str).unwrap_or("");
            return Ok(vec![SiteId::parse(only)?]);
        }
        bail!(
            "name the sites to grant with --site (configured: {}), or use --admin",
            configured()
        );
    }
    let mut sites = Vec::with_capacity(named.len());
    for raw in named {
        let site = SiteId::parse(raw.trim())?;
        if !config.sites.contains_key(site.as_str()) {
            bail!(
                "no site `{site}` in the configuration (configured: {})",
                configured()
            );
        }
        if !sites.contains(&site) {
            sites.push(site);
        }
    }
    Ok(sites)
}

async fn open(config: &Config) -> anyhow::Result<Store> {
    super::open_store(config, Clock::system()).await
}

/// Adds moderator `name` to the database of `config` and returns their new token.
pub async fn add(
    config: &Config,
    name: &str,
    sites: &[String],
    admin: bool,
) -> anyhow::Result<Added> {
    let name = ModeratorName::parse(name)?;
    let sites = sites_to_grant(config, sites, admin)?;
    let token = ModeratorToken::generate();
    let store = open(config).await?;
    store
        .add_moderator(NewModerator {
            name: name.clone(),
            token_hash: token.hash,
            is_admin: admin,
            sites: sites.clone(),
        })
        .await??;
    Ok(Added {
        name,
        token: token.token,
        sites,
        admin,
    })
}

/// Every moderator in the database of `config`.
pub async fn list(config: &Config) -> anyhow::Result<Vec<ModeratorInfo>> {
    Ok(open(config).await?.moderators().await?)
}

/// Revokes moderator `name`; `false` if no active moderator has that name.
pub async fn revoke(config: &Config, name: &str) -> anyhow::Result<bool> {
    let name = ModeratorName::parse(name)?;
    Ok(open(config).await?.revoke_moderator(name).await?)
}

/// `commentguard moderator …`
pub fn run(args: ModeratorArgs) -> anyhow::Result<()> {
    let runtime = super::runtime()?;
    match args.command {
        ModeratorCommand::Add(a) => {
            let config = Config::load(a.config.config.as_deref(), None)?;
            let added = runtime.block_on(add(&config, &a.name, &a.sites, a.admin))?;
            let scope = if added.admin {
                "every site, and the admin API".to_owned()
            } else {
                added
                    .sites
                    .iter()
                    .map(SiteId::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            eprintln!(
                "Moderator `{}` added ({scope}). Their token follows; it is shown only now \
                 and stored only as a hash. They send it as `Authorization: Bearer <token>` \
                 or paste it into /review.",
                added.name
            );
            println!("{}", added.token);
        }
        ModeratorCommand::List(c) => {
            let config = Config::load(c.config.as_deref(), None)?;
            let moderators = runtime.block_on(list(&config))?;
            if moderators.is_empty() {
                eprintln!("No moderators yet: add one with `commentguard moderator add NAME --site SITE`.");
            }
            println!(
                "{:<24} {:<8} {:<20} {:<9} SITES",
                "NAME", "ADMIN", "ADDED", "STATUS"
            );
            for m in moderators {
                let sites = if m.is_admin {
                    "*".to_owned()
                } else {
                    m.sites.join(",")
                };
                println!(
                    "{:<24} {:<8} {:<20} {:<9} {}",
                    m.name,
                    if m.is_admin { "yes" } else { "no" },
                    super::rfc3339(m.created_at),
                    if m.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    },
                    sites
                );
            }
        }
        ModeratorCommand::Revoke(r) => {
            let config = Config::load(r.config.config.as_deref(), None)?;
            if !runtime.block_on(revoke(&config, &r.name))? {
                bail!("no active moderator named `{}`", r.name);
            }
            eprintln!(
                "Moderator `{}` revoked; their token no longer works.",
                r.name
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(sites: &[&str]) -> Config {
        let mut text = String::new();
        for s in sites {
            text.push_str(&format!("[sites.{s}]\n"));
        }
        Config::from_toml(&text).unwrap()
    }

    /// A new moderator's token never shows in `Debug` (a log line, a panic message).
    #[test]
    fn debug_hides_the_token() {
        let token = ModeratorToken::generate();
        let added = Added {
            name: ModeratorName::parse("ann").unwrap(),
            token: token.token.clone(),
            sites: Vec::new(),
            admin: true,
        };
        let shown = format!("{added:?}");
        assert!(
            shown.contains("ann") && !shown.contains(&token.token),
            "{shown}"
        );
    }

    /// Which sites a new moderator gets, and the mistakes refused.
    #[test]
    fn site_grants() {
        let one = config(&["news"]);
        let two = config(&["news", "sport"]);
        let ids = |v: Vec<SiteId>| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(ids(sites_to_grant(&one, &[], false).unwrap()), ["news"]);
        assert!(sites_to_grant(&two, &[], false).is_err(), "must choose");
        assert_eq!(
            ids(sites_to_grant(&two, &["sport".into(), "sport".into()], false).unwrap()),
            ["sport"]
        );
        assert!(sites_to_grant(&two, &["weather".into()], false).is_err());
        assert!(sites_to_grant(&two, &[], true).unwrap().is_empty());
        assert!(sites_to_grant(&two, &["news".into()], true).is_err());
    }
}
