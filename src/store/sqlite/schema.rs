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

use crate::store::StoreError;

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
    // Rebuilds tables that other tables reference: runs with foreign keys off (see
    // `open_writer`), so their integrity is checked when it is done.
    M::up(include_str!("migrations/0005_checks_without_lists.sql")).foreign_key_check(),
    // Rebuilds `decisions` (nothing references it; it references comments and moderators).
    M::up(include_str!("migrations/0006_review_desk.sql")).foreign_key_check(),
    M::up(include_str!("migrations/0007_model_sets.sql")),
];

fn migrations() -> Migrations<'static> {
    Migrations::from_slice(MIGRATIONS)
}

/// SQLite says "unable to open database file" whether the file or its directory cannot be
/// written (a read-only file system, wrong owner): say which, since the service needs to
/// create its WAL next to the database.
fn explain_unwritable(path: &Path, err: rusqlite::Error) -> StoreError {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match tempfile::tempfile_in(dir) {
        Err(io) => StoreError::Unwritable {
            dir: dir.to_owned(),
            source: io,
        },
        Ok(_) => StoreError::Sqlite(err),
    }
}

/// `PRAGMA application_id` of a commentguard database ("CGRD"), set when it is created
/// (or first opened by a build that knows it): a file of another application is refused
/// instead of being migrated.
pub(crate) const APPLICATION_ID: i32 = 0x4347_5244;

/// Refuses a database this build must not migrate: one with another application's id,
/// or one that holds tables but no commentguard schema (`user_version` 0).
fn check_ownership(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let app: i32 = conn.query_row("PRAGMA application_id", [], |row| row.get(0))?;
    if app != 0 && app != APPLICATION_ID {
        return Err(StoreError::Foreign(
            path.to_owned(),
            format!("its application_id is {app:#x}"),
        ));
    }
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version == 0 {
        let tables: i64 = conn.query_row(
            "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            [],
            |row| row.get(0),
        )?;
        if tables > 0 {
            return Err(StoreError::Foreign(
                path.to_owned(),
                format!("it holds {tables} table(s) but no commentguard schema"),
            ));
        }
    }
    Ok(())
}

/// Creates the database's directory (0700) and the empty file (0600) when missing: the
/// database holds e-mail and IP addresses and the form-token secret. SQLite gives its WAL
/// and shared-memory files the database file's permissions. Existing ones are left as
/// they are, with a warning when others may read them.
fn create_private(path: &Path) -> Result<(), StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder
                .create(dir)
                .map_err(|source| StoreError::CreateDir {
                    path: dir.to_owned(),
                    source,
                })?;
        }
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            warn_if_readable_by_others(path);
            Ok(())
        }
        // Let SQLite report it (read-only directory, ...) with its own error.
        Err(_) => Ok(()),
    }
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                database = %path.display(),
                mode = format!("{mode:o}"),
                "the database may be read by other users; it holds e-mail and IP addresses (chmod 600)"
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

/// Whether `conn`'s schema has every migration this build knows (read-only opens cannot
/// migrate, so they check instead).
pub(crate) fn is_current(conn: &Connection) -> Result<bool, StoreError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    Ok(usize::try_from(version).is_ok_and(|v| v >= MIGRATIONS.len()))
}

/// Opens (creating if needed) the database for writing and brings its schema up to date.
pub(crate) fn open_writer(path: &Path, busy_timeout: Duration) -> Result<Connection, StoreError> {
    create_private(path)?;
    let mut conn = Connection::open(path).map_err(|e| explain_unwritable(path, e))?;
    conn.busy_timeout(busy_timeout)?;
    // SQLite falls back to read-only when it cannot open the file for writing.
    if conn.is_readonly(rusqlite::MAIN_DB)? {
        return Err(StoreError::ReadOnlyFile(path.to_owned()));
    }
    check_ownership(&conn, path)?;
    // journal_mode returns the resulting mode as a row.
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(|e| explain_unwritable(path, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::NoWal(mode));
    }
    // synchronous = FULL: an acknowledged comment survives power loss, not only a crash.
    // temp_store = MEMORY: statement journals and temporary tables stay in memory instead
    // of files created and deleted per batch (measured: ~16% of the writer's time).
    // cache_size: 8 MiB, enough for the interior pages of every B-tree past a million
    // comments (the leaves of the random-key author indexes miss at any size; the OS page
    // cache serves them). Not more: every commit scans the whole page cache. B-tree page
    // splits park a page under the lock-byte page's number (page 262,145 with 4 KiB
    // pages) for a moment, and until the database is past 1 GiB that number is above the
    // database's size, so the truncation that ends each transaction walks every cached
    // page looking for pages beyond the end (seen with gdb in `pcache1TruncateUnsafe`:
    // ~14% of the writer's time at 32 MiB). Under `benches/load.sh`, SQLite's default
    // 2 MiB lost throughput as the database grew past a few hundred thousand comments.
    conn.execute_batch(
        "PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -8192;",
    )?;
    // Foreign keys are off while migrating: a migration that rebuilds a table (SQLite's
    // only way to change a constraint) drops the table other tables reference, which with
    // foreign keys on would delete or refuse their rows. Such a migration ends with a
    // `foreign_key_check`. (The pragma is a no-op inside a transaction, so it is set here.)
    conn.execute_batch("PRAGMA foreign_keys = OFF;")?;
    migrations().to_latest(&mut conn)?;
    conn.execute_batch("PRAGMA foreign_keys = ON;")?;
    let app: i32 = conn.query_row("PRAGMA application_id", [], |row| row.get(0))?;
    if app != APPLICATION_ID {
        conn.execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID}"))?;
    }
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
    conn.execute_batch("PRAGMA foreign_keys = OFF;")
        .expect("pragma");
    migrations().to_latest(&mut conn).expect("migrations apply");
    conn.execute_batch("PRAGMA foreign_keys = ON;")
        .expect("pragma");
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

    /// Migration 0006 rebuilds `decisions` with the `undo` action: existing audit rows keep
    /// their ids and values (with no earlier labels recorded), and the new constraint still
    /// refuses unknown actions.
    #[test]
    fn undo_migration_keeps_the_audit_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            Migrations::from_slice(&MIGRATIONS[..5])
                .to_latest(&mut conn)
                .unwrap();
            conn.execute_batch(
                "INSERT INTO comments (site_id, article_id, author_name, body, body_hash, status,
                     client_ip, created_at, updated_at)
                 VALUES ('news', 'a1', 'Ann', 'first', x'00', 'published', '1.1.1.1', 1, 1);
                 INSERT INTO moderators (name, token_sha256, created_at) VALUES ('mo', x'00', 1);
                 INSERT INTO decisions (comment_id, moderator_id, moderator, action, from_status,
                     to_status, note, created_at)
                 VALUES (1, 1, 'mo', 'approve', 'pending', 'published', 'ok', 4);",
            )
            .unwrap();
        }
        let conn = open_writer(&path, Duration::from_secs(5)).unwrap();
        let row: (i64, String, String, Option<i64>) = conn
            .query_row(
                "SELECT id, action, note, prev_label_spam FROM decisions",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(row, (1, "approve".into(), "ok".into(), None));
        let insert = |action: &str| {
            conn.execute(
                "INSERT INTO decisions (comment_id, moderator, action, from_status, to_status,
                     created_at) VALUES (1, 'mo', ?1, 'published', 'pending', 5)",
                [action],
            )
        };
        assert!(insert("undo").is_ok());
        assert!(insert("erase").is_err());
        let title: Option<String> = conn
            .query_row("SELECT article_title FROM comments", [], |r| r.get(0))
            .unwrap();
        assert_eq!(title, None);
    }

    /// Migration 0005 rebuilds `comments`, `comment_reasons` and `webhook_outbox` on a
    /// database that already holds data: every row, id and reference survives, ids keep
    /// counting up, and the rebuilt constraints still refuse what they refused before.
    #[test]
    fn rebuilding_tables_keeps_rows_ids_and_constraints() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            Migrations::from_slice(&MIGRATIONS[..4])
                .to_latest(&mut conn)
                .unwrap();
            conn.execute_batch(
                "PRAGMA foreign_keys = ON;
                 INSERT INTO comments (site_id, article_id, author_name, body, body_hash, status,
                     client_ip, created_at, updated_at)
                 VALUES ('news', 'a1', 'Ann', 'first', x'00', 'published', '1.1.1.1', 1, 1),
                        ('news', 'a1', 'Bob', 'second', x'01', 'pending', '2.2.2.2', 2, 2);
                 DELETE FROM comments WHERE id = 2;
                 INSERT INTO comments (site_id, article_id, parent_id, author_name, body, body_hash,
                     status, client_ip, created_at, updated_at, label_abuse, decided_at)
                 VALUES ('news', 'a1', 1, 'Cy', 'reply', x'02', 'rejected', '3.3.3.3', 3, 3, 1, 4);
                 INSERT INTO comment_reasons (comment_id, seq, code, outcome, detail)
                 VALUES (3, 0, 'abuse', 'hold', '0.9');
                 INSERT INTO moderators (name, token_sha256, created_at) VALUES ('mo', x'00', 1);
                 INSERT INTO decisions (comment_id, moderator_id, moderator, action, from_status,
                     to_status, label, created_at)
                 VALUES (3, 1, 'mo', 'reject', 'pending', 'rejected', 'abuse', 4);
                 INSERT INTO webhook_outbox (event_id, site_id, event, comment_id, payload,
                     created_at, next_attempt_at)
                 VALUES ('evt_1', 'news', 'comment.rejected', 3, '{}', 4, 4);",
            )
            .unwrap();
        }
        let conn = open_writer(&path, Duration::from_secs(5)).unwrap();
        let rows: Vec<(i64, Option<i64>, String, Option<i64>)> = conn
            .prepare("SELECT id, parent_id, status, label_abuse FROM comments ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            vec![
                (1, None, "published".to_owned(), None),
                (3, Some(1), "rejected".to_owned(), Some(1)),
            ]
        );
        let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
        assert_eq!(
            count("SELECT COUNT(*) FROM comment_reasons WHERE comment_id = 3"),
            1
        );
        assert_eq!(
            count("SELECT COUNT(*) FROM decisions WHERE comment_id = 3"),
            1
        );
        assert_eq!(
            count("SELECT COUNT(*) FROM webhook_outbox WHERE comment_id = 3"),
            1
        );
        // AUTOINCREMENT: the deleted id 2 and the live 3 are never handed out again.
        conn.execute(
            "INSERT INTO comments (site_id, article_id, author_name, body, body_hash, status,
                 client_ip, created_at, updated_at)
             VALUES ('news', 'a1', 'Di', 'next', x'03', 'pending', '4.4.4.4', 5, 5)",
            [],
        )
        .unwrap();
        assert_eq!(conn.last_insert_rowid(), 4);
        // The constraints still hold: CHECKs, foreign keys, indexes in use.
        let refused = |sql: &str| assert!(conn.execute(sql, []).is_err(), "accepted: {sql}");
        refused("UPDATE comments SET status = 'lost' WHERE id = 1");
        refused("INSERT INTO comment_reasons (comment_id, seq, code, outcome) VALUES (1, 0, 'x', 'maybe')");
        refused("INSERT INTO comment_reasons (comment_id, seq, code, outcome) VALUES (99, 0, 'x', 'hold')");
        refused(
            "INSERT INTO webhook_outbox (event_id, site_id, event, comment_id, payload, created_at,
                 next_attempt_at) VALUES ('evt_2', 'news', 'comment.lost', 1, '{}', 1, 1)",
        );
        refused("UPDATE comments SET parent_id = 99 WHERE id = 3");
        let plan: String = conn
            .query_row(
                "EXPLAIN QUERY PLAN SELECT id FROM comments WHERE site_id = 'news'
                 AND article_id = 'a1' AND status = 'published'",
                [],
                |r| r.get(3),
            )
            .unwrap();
        assert!(plan.contains("comments_by_article"), "{plan}");
        // No CHECK on the intake's tables is a list of three or more constants.
        let mut st = conn
            .prepare(
                "SELECT sql FROM sqlite_schema
                 WHERE name IN ('comments', 'comment_reasons', 'webhook_outbox')",
            )
            .unwrap();
        let sqls: Vec<String> = st
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(sqls.len(), 3);
        for sql in sqls {
            assert!(!sql.contains("IN ('"), "{sql}");
        }
    }
}
