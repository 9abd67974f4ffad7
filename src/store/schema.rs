//! Opening connections and migrating the schema.
//!
//! Migrations are an append-only list of SQL files tracked by SQLite's `user_version`
//! (via `rusqlite_migration`), applied in one transaction when the store opens. Never
//! edit a shipped migration; add the next file.
//!
//! Every connection gets the same pragmas: WAL (readers never block the writer),
//! `synchronous = FULL` (a commit is on disk before it returns, so an acknowledged comment
//! survives a power cut), foreign keys on, and a busy timeout.
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{Migrations, M};

use super::StoreError;

/// The schema's history, oldest first.
const MIGRATIONS: &[M<'static>] = &[M::up(include_str!("migrations/0001_intake.sql"))];

fn migrations() -> Migrations<'static> {
    Migrations::from_slice(MIGRATIONS)
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
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
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
