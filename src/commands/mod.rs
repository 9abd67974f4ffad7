//! The subcommands: each file parses its arguments (clap), calls the library and prints.
//! Exit status is non-zero on any error, with a message naming the input. Service:
//! `serve`, `site-key`, `example-config`. Classifier: `train`, `evaluate`, `score`,
//! `models` (installing model sets in the database for every instance).
//! Review: `moderator`, `export-decisions` ([`export`]; [`decisions`] reads moderators'
//! decisions as training examples for it and for `train --with-decisions`). Data care:
//! `backup`, `purge`, `forget`.
pub mod backup;
pub mod decisions;
pub mod evaluate;
pub mod example_config;
pub mod export;
pub mod forget;
pub mod models;
pub mod moderator;
pub mod purge;
pub mod score;
pub mod serve;
pub mod site_key;
pub mod train;

/// The runtime a command's store calls run on: one thread, as a command does one thing.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context as _;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Unix milliseconds as an RFC 3339 UTC time to the second (for listings).
pub(crate) fn rfc3339(millis: i64) -> String {
    crate::clock::rfc3339(millis.div_euclid(1000) * 1000).unwrap_or_else(|| millis.to_string())
}

/// Opens the configured database for a command (creating and migrating it if needed),
/// with an error that names it (a URL without its password).
pub(crate) async fn open_store(
    config: &crate::config::Config,
    clock: crate::clock::Clock,
) -> anyhow::Result<crate::store::Store> {
    use anyhow::Context as _;
    crate::store::open(&config.database, &config.storage, clock)
        .await
        .with_context(|| format!("cannot open the database {}", config.database.describe()))
}
