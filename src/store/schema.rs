//! Opening connections and migrating the schema.
//!
//! Migrations are an append-only list of SQL files tracked by SQLite's `user_version`
//! (via `rusqlite_migration`), applied in one transaction when the store opens. Never
//! edit a shipped migration; add the next file.
//!
//! Every connection gets the same pragmas: WAL (readers never block the writer),
//! `synchronous = FULL` (a commit is on disk before it returns, so an acknowledged comment
//! survives a power cut), foreign keys on, and a busy timeout. The store's writer then
//! switches its own connection to `synchronous = NORMAL` and syncs the WAL on a thread of
//! its own before answering (see `writer`): acknowledgements stay durable.
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{Migrations, M};

use super::StoreError;

/// The schema's history, oldest first.
///
/// `rusqlite_migration` numbers migrations by their position in this list (`user_version`
/// = how many have run), not by file name: the list must stay contiguous and in file-name
/// order, and a shipped entry must never move.
const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("migrations/0001_intake.sql")),
    M::up(include_str!("migrations/0002_review.sql")),
    M::up(include_str!("migrations/0003_webhooks_reports.sql")),
    M::up(include_str!("migrations/0004_fewer_index_writes.sql")),
];

fn migrations() -> Migrations<'static> {
    Migrations::from_slice(MIGRATIONS)
}

/// Whether `conn`'s schema has every migration this build knows (read-only opens cannot
/// migrate, so they check instead).
pub(crate) fn is_current(conn: &Connection) -> Result<bool, StoreError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    Ok(usize::try_from(version).is_ok_and(|v| v >= MIGRATIONS.len()))
}

/// Opens (creating if needed) the database for writing and brings its schema up to date.
pub(crate) fn open_writer(path: &Path, busy_timeout: Duration) -> Result<Connection, StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
            path: dir.to_owned(),
            source,
        })?;
    }
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(busy_timeout)?;
    // journal_mode returns the resulting mode as a row.
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::NoWal(mode));
    }
    // synchronous = FULL: an acknowledged comment survives power loss, not only a crash.
    // temp_store = MEMORY: each job's savepoint journal stays in memory instead of a
    // temporary file created and deleted per batch (measured: ~16% of the writer's time).
    // cache_size: 32 MiB of page cache instead of 2 MiB, so index pages stop being re-read.
    conn.execute_batch(
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
         PRAGMA temp_store = MEMORY; PRAGMA cache_size = -32768;",
    )?;
    migrations().to_latest(&mut conn)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Opens a read-only connection (the writer has already created and migrated the file).
pub(crate) fn open_reader(path: &Path, busy_timeout: Duration) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )?;
    conn.busy_timeout(busy_timeout)?;
    conn.execute_batch("PRAGMA query_only = ON; PRAGMA foreign_keys = ON;")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// An in-memory database with every migration applied, for unit tests of `store`.
#[cfg(test)]
pub(crate) fn migrated_in_memory() -> Connection {
    let mut conn = Connection::open_in_memory().expect("in-memory database");
    conn.execute_batch("PRAGMA foreign_keys = ON;")
        .expect("pragma");
    migrations().to_latest(&mut conn).expect("migrations apply");
    conn
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The migration list is valid SQL and applies to an empty database.
    #[test]
    fn migrations_apply_from_empty() {
        migrations().validate().expect("migrations are valid");
        let mut conn = Connection::open_in_memory().unwrap();
        migrations().to_latest(&mut conn).unwrap();
        let secret: Vec<u8> = conn
            .query_row(
                "SELECT value FROM secrets WHERE name = 'form_token'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(secret.len(), 32);
    }
}
