//! Model sets installed in the database (rules: [`crate::store::models`]).
//!
//! Installing is one writer job, so installs are serialised by the writer (and, between
//! processes sharing the file, by SQLite's write lock): the newest version + 1 read in the
//! job is the version written.
use rusqlite::{params, Connection, OptionalExtension};

use crate::store::{
    Installed, ModelSet, ModelSetHead, ModelSetInfo, NewModelSet, StoreError, MODEL_SETS_KEPT,
};

const INFO_COLUMNS: &str =
    "version, checksum, installed_at, installed_by, length(spam), length(abuse)";

fn info(row: &rusqlite::Row<'_>) -> rusqlite::Result<ModelSetInfo> {
    Ok(ModelSetInfo {
        version: row.get(0)?,
        checksum: row.get(1)?,
        installed_at: row.get(2)?,
        installed_by: row.get(3)?,
        spam_bytes: u64::try_from(row.get::<_, i64>(4)?).unwrap_or(0),
        abuse_bytes: u64::try_from(row.get::<_, i64>(5)?).unwrap_or(0),
    })
}

fn by_version(conn: &Connection, version: i64) -> Result<Option<ModelSetInfo>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {INFO_COLUMNS} FROM model_sets WHERE version = ?1"
        ))?
        .query_row([version], info)
        .optional()?)
}

/// Installs `set` as the newest unless the newest already holds the same pair; prunes.
pub(super) fn install(
    conn: &Connection,
    set: &NewModelSet,
    now: i64,
) -> Result<Installed, StoreError> {
    if let Some(head) = latest(conn)? {
        if head.checksum == set.checksum() {
            let newest = by_version(conn, head.version)?.ok_or_else(|| {
                StoreError::Corrupt(format!("model set {} vanished", head.version))
            })?;
            return Ok(Installed {
                set: newest,
                new: false,
            });
        }
    }
    let version: i64 = conn
        .prepare_cached("SELECT COALESCE(MAX(version), 0) + 1 FROM model_sets")?
        .query_row([], |row| row.get(0))?;
    conn.prepare_cached(
        "INSERT INTO model_sets (version, checksum, installed_at, installed_by, spam, abuse)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        version,
        set.checksum(),
        now,
        set.installed_by(),
        set.spam(),
        set.abuse()
    ])?;
    conn.prepare_cached("DELETE FROM model_sets WHERE version <= ?1")?
        .execute([version - MODEL_SETS_KEPT])?;
    Ok(Installed {
        set: set.info(version, now),
        new: true,
    })
}

/// The newest set's version and checksum (the blobs are not read).
pub(super) fn latest(conn: &Connection) -> Result<Option<ModelSetHead>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT version, checksum FROM model_sets ORDER BY version DESC LIMIT 1")?
        .query_row([], |row| {
            Ok(ModelSetHead {
                version: row.get(0)?,
                checksum: row.get(1)?,
            })
        })
        .optional()?)
}

/// Set `version` with its bytes.
pub(super) fn get(conn: &Connection, version: i64) -> Result<Option<ModelSet>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT checksum, spam, abuse FROM model_sets WHERE version = ?1")?
        .query_row([version], |row| {
            Ok(ModelSet {
                version,
                checksum: row.get(0)?,
                spam: row.get(1)?,
                abuse: row.get(2)?,
            })
        })
        .optional()?)
}

/// Every set kept, newest first.
pub(super) fn list(conn: &Connection) -> Result<Vec<ModelSetInfo>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {INFO_COLUMNS} FROM model_sets ORDER BY version DESC"
    ))?;
    let rows = stmt.query_map([], info)?;
    Ok(rows.collect::<Result<_, _>>()?)
}
