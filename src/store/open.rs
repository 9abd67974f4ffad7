//! Choosing the backend from the configured `database`: a `postgres://` (or
//! `postgresql://`) URL opens the PostgreSQL backend, anything else is the path of a
//! SQLite file. The one place the service and its commands open a store.
use std::path::Path;

use super::{postgres, sqlite, Store, StoreError};
use crate::clock::Clock;
use crate::config::StorageConfig;

/// Where the configured database lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Database<'a> {
    /// A SQLite file.
    Sqlite(&'a Path),
    /// A PostgreSQL server, by URL.
    Postgres(&'a str),
}

impl<'a> Database<'a> {
    /// Reads the configured `database` value.
    pub fn of(database: &'a Path) -> Database<'a> {
        match database.to_str() {
            Some(s) if s.starts_with("postgres://") || s.starts_with("postgresql://") => {
                Database::Postgres(s)
            }
            _ => Database::Sqlite(database),
        }
    }

    /// For messages: the file's path, or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite(path) => path.display().to_string(),
            Database::Postgres(raw) => crate::config::describe_url(raw),
        }
    }
}

/// Opens (creating and migrating if needed) the database `database`: SQLite with
/// `storage`'s tuning, or PostgreSQL with a pool of `storage.read_connections`
/// connections. Every timestamp comes from `clock`.
pub async fn open(
    database: &Path,
    storage: &StorageConfig,
    clock: Clock,
) -> Result<Store, StoreError> {
    match Database::of(database) {
        Database::Postgres(url) => postgres::open(url, storage.read_connections, clock).await,
        Database::Sqlite(path) => {
            let path = path.to_owned();
            let storage = storage.clone();
            tokio::task::spawn_blocking(move || sqlite::open(&path, &storage, clock))
                .await
                .map_err(|_| StoreError::Panicked)?
        }
    }
}

/// Opens the database for reading (CLI tools such as `export-decisions`, also while
/// `serve` runs on it): a SQLite file read-only without migrating; PostgreSQL through a
/// small pool (its schema is brought up to date like at any start).
pub async fn open_for_reading(database: &Path) -> Result<Store, StoreError> {
    match Database::of(database) {
        Database::Postgres(url) => postgres::open(url, 2, Clock::system()).await,
        Database::Sqlite(path) => sqlite::open_read_only(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_postgres_and_paths_are_sqlite() {
        for url in [
            "postgres://u@h/db",
            "postgresql://u:p@h:5432/db?options=-csearch_path%3Dx",
        ] {
            assert_eq!(Database::of(Path::new(url)), Database::Postgres(url));
        }
        for path in [
            "data/commentguard.db",
            "/var/lib/cg/postgres.db",
            "postgres",
        ] {
            assert_eq!(
                Database::of(Path::new(path)),
                Database::Sqlite(Path::new(path))
            );
        }
    }

    #[test]
    fn descriptions_hide_the_password() {
        let url = "postgres://cg:s3cret@db.internal:5432/cg?options=-csearch_path%3Dx";
        let shown = Database::of(Path::new(url)).describe();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("db.internal:5432/cg"), "{shown}");
        assert_eq!(Database::of(Path::new("data/c.db")).describe(), "data/c.db");
    }
}
