//! `commentguard backup --out FILE`: a consistent copy of the database, taken online.
//!
//! The copy is made with SQLite's `VACUUM INTO` on a read-only connection (see
//! [`crate::store::sqlite::backup`]): one read transaction, so it is a single consistent snapshot,
//! and the running service keeps writing meanwhile (in WAL mode a reader never blocks the
//! writer). It is written to a temporary file next to `FILE` (created 0600: it holds
//! e-mail and IP addresses and the form-token secret), checked (`integrity_check`), synced
//! and renamed over `FILE`, so `FILE` is always either the previous backup or a complete
//! new one. To restore: stop the service, replace the database file with the backup
//! (removing any `-wal` and `-shm` files next to it) and start it (deploy/README.md).
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use crate::config::Config;

/// Arguments of `commentguard backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// TOML configuration file (the database it names is copied).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Where to write the backup (replaced atomically if it exists).
    #[arg(long)]
    pub out: PathBuf,
}

/// Copies the database at `database` to `out` (see the module doc); returns what it holds.
pub fn backup(database: &Path, out: &Path) -> anyhow::Result<crate::store::sqlite::BackupReport> {
    if let crate::store::Database::Postgres(_) = crate::store::Database::of(database) {
        anyhow::bail!(
            "`commentguard backup` copies a SQLite file; `database` is a PostgreSQL URL: back it up with pg_dump or the server's own backups"
        );
    }
    if !database.is_file() {
        anyhow::bail!("no database at {}", database.display());
    }
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let live = std::fs::canonicalize(database)?;
    let target = std::fs::canonicalize(dir)?.join(out.file_name().unwrap_or_default());
    let live_name = live.as_os_str().to_string_lossy().into_owned();
    let target_name = target.as_os_str().to_string_lossy().into_owned();
    if target_name == live_name || target_name.starts_with(&format!("{live_name}-")) {
        anyhow::bail!(
            "--out {} is the database itself (or one of its files): give another path",
            out.display()
        );
    }
    // An empty private file for VACUUM INTO to fill (it accepts an empty target).
    let mut builder = tempfile::Builder::new();
    builder.prefix(".commentguard-backup-");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
    let tmp = builder
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    let report = crate::store::sqlite::backup(database, tmp.path())
        .with_context(|| format!("cannot back up {}", database.display()))?;
    tmp.as_file().sync_all()?;
    tmp.persist(out)
        .with_context(|| format!("cannot write {}", out.display()))?;
    if let Ok(d) = std::fs::File::open(dir) {
        // The rename is durable once the directory is synced; best effort.
        let _ = d.sync_all();
    }
    Ok(report)
}

/// `commentguard backup [--config FILE] --out FILE`
pub fn run(args: BackupArgs) -> anyhow::Result<()> {
    let config = Config::load(args.config.as_deref(), None)?;
    let report = backup(&config.database, &args.out)?;
    eprintln!(
        "Backed up {} to {} ({} bytes): {} comments, {} audit entries, {} moderators; integrity_check ok.",
        config.database.display(),
        args.out.display(),
        report.bytes,
        report.comments,
        report.decisions,
        report.moderators
    );
    Ok(())
}
