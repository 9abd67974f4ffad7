//! A small pool of read connections.
//!
//! WAL lets readers run while the writer commits, so reads never wait for the writer.
//! Connections are opened on demand and up to `keep` idle ones are kept; the pool is a
//! mutex around a `Vec`, held only to push or pop (never while a query runs).
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::Connection;

use super::schema;
use crate::store::StoreError;

pub(crate) struct ReadPool {
    path: PathBuf,
    busy_timeout: Duration,
    keep: usize,
    idle: Mutex<Vec<Connection>>,
}

impl ReadPool {
    pub(crate) fn new(path: PathBuf, busy_timeout: Duration, keep: usize) -> Self {
        ReadPool {
            path,
            busy_timeout,
            keep,
            idle: Mutex::new(Vec::with_capacity(keep)),
        }
    }

    /// Runs `op` on an idle connection (or a new one) and returns it to the pool.
    /// Blocking: call from `spawn_blocking`.
    pub(crate) fn with<T>(
        &self,
        op: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // A poisoned lock only means another reader panicked while pushing/popping; the
        // Vec itself is still a valid list of connections.
        let conn = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match conn {
            Some(conn) => conn,
            None => schema::open_reader(&self.path, self.busy_timeout)?,
        };
        let result = op(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < self.keep {
            idle.push(conn);
        }
        result
    }
}
