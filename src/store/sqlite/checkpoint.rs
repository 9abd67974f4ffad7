//! WAL checkpoints, kept off the writer's commit path.
//!
//! # Why
//! SQLite's automatic checkpoint (every 1,000 WAL pages, `wal_autocheckpoint`) runs inside
//! the COMMIT of the connection that crosses the threshold. With one writer that is always
//! the writer thread: the batch being committed, and every submission queued behind it,
//! waits while pages are copied into the database file and that file is fsynced. Profiled
//! under load: ~12% of the writer thread's time, and its slowest batches.
//!
//! # How
//! - The writer's connection runs with `wal_autocheckpoint = 0`.
//! - This thread has its own connection (`synchronous = FULL`). After commits it runs
//!   `PRAGMA wal_checkpoint(PASSIVE)`, at most once per [`Tuning::passive_every`]. PASSIVE
//!   takes neither the write lock nor waits for readers: the writer keeps committing while
//!   pages are copied.
//! - SQLite starts the WAL over from its beginning only when a write transaction begins
//!   with the whole WAL checkpointed. Under sustained load that never happens on its own
//!   (the writer commits again before a checkpoint finishes), so once the WAL holds
//!   [`Tuning::restart_frames`] pages this thread asks the writer, through
//!   [`WalLink::take_restart_request`], to run `wal_checkpoint(RESTART)` itself between
//!   two batches. Right after a PASSIVE run that RESTART only has the few batches committed
//!   since to copy, and the next batch writes the WAL from its start again: the WAL file
//!   stays below about `restart_frames` pages plus one batch.
//! - After [`Tuning::idle`] without a commit it runs `wal_checkpoint(TRUNCATE)`, which
//!   empties the WAL file; and once more when the writer stops.
//! - If this thread cannot start, or stops, the writer turns SQLite's automatic checkpoint
//!   back on ([`WalLink::checkpointer_alive`]).
//!
//! # Why it is safe
//! - A commit's durability does not depend on checkpoints: the writer's sync thread fsyncs
//!   the WAL after the commit and before any job of the batch is answered (see `writer`).
//! - A checkpoint only copies pages of committed transactions from the WAL into the
//!   database file. SQLite's checkpoint protocol fsyncs the WAL before copying and the
//!   database file after (this connection has `synchronous = FULL`, so both syncs happen),
//!   and records the copied frames as backfilled only then. The WAL is written over from
//!   its start, or truncated, only when every frame in it is backfilled. At any instant a
//!   committed transaction is therefore in the synced WAL, or in the synced database file,
//!   or both — whichever connection runs the checkpoint, and whenever.
//! - Checkpoints by another connection are an ordinary SQLite feature (the same as a
//!   second process running `PRAGMA wal_checkpoint`): PASSIVE never copies a frame past
//!   what a reader's snapshot may still need, and RESTART/TRUNCATE wait (up to a short
//!   busy timeout, then give up and report busy) for readers to move on.
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::store::StoreError;

/// When checkpoints run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tuning {
    /// Least time between two PASSIVE checkpoints while commits arrive. Longer copies each
    /// page fewer times (a page written by many batches is copied once per run), shorter
    /// keeps the WAL smaller.
    pub passive_every: Duration,
    /// WAL size, in pages, from which the writer is asked to restart the WAL.
    pub restart_frames: i64,
    /// No commit for this long: truncate the WAL file.
    pub idle: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            passive_every: Duration::from_millis(100),
            // 16,384 pages of 4 KiB: 64 MiB.
            restart_frames: 16_384,
            idle: Duration::from_secs(1),
        }
    }
}

/// The checkpointer's connection waits this long for a lock (RESTART and TRUNCATE wait for
/// the writer and for readers; PASSIVE never waits).
const CHECKPOINTER_BUSY: Duration = Duration::from_millis(100);
/// The writer's RESTART waits at most this long for readers and for a running checkpoint:
/// it runs while submissions are queued, so it gives up quickly and is asked again later.
const WRITER_RESTART_BUSY: Duration = Duration::from_millis(20);

/// What the writer thread shares with the checkpointer.
pub(crate) struct WalLink {
    commits: SyncSender<()>,
    shared: Arc<Shared>,
    busy_timeout: Duration,
}

struct Shared {
    restart: AtomicBool,
    alive: AtomicBool,
}

impl WalLink {
    /// Called by the writer after each commit (never blocks).
    pub(crate) fn committed(&self) {
        match self.commits.try_send(()) {
            Ok(()) | Err(TrySendError::Full(())) => {}
            Err(TrySendError::Disconnected(())) => {
                self.shared.alive.store(false, Ordering::Release)
            }
        }
    }

    /// Whether the checkpointer asked for a RESTART since the last call.
    pub(crate) fn take_restart_request(&self) -> bool {
        self.shared.restart.swap(false, Ordering::AcqRel)
    }

    /// Whether the checkpointer thread still runs.
    pub(crate) fn checkpointer_alive(&self) -> bool {
        self.shared.alive.load(Ordering::Acquire)
    }

    /// Runs `wal_checkpoint(RESTART)` on the writer's connection, outside any transaction,
    /// waiting at most [`WRITER_RESTART_BUSY`] for locks.
    pub(crate) fn restart(&self, conn: &Connection) {
        let started = Instant::now();
        let result = conn.busy_timeout(WRITER_RESTART_BUSY).and_then(|()| {
            conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, i64>(2)?,
                ))
            })
        });
        if let Err(err) = conn.busy_timeout(self.busy_timeout) {
            tracing::warn!(error = %err, "could not restore the writer's busy timeout");
        }
        match result {
            Ok((busy, log, copied)) => tracing::debug!(
                busy,
                log,
                copied,
                ms = started.elapsed().as_secs_f64() * 1e3,
                "writer restarted the WAL"
            ),
            Err(err) => tracing::warn!(error = %err, "WAL restart failed"),
        }
    }
}

/// Starts the checkpointer on its own connection to the database at `path` (already
/// created and migrated by the writer). `busy_timeout` is the writer connection's, restored
/// after the writer's RESTART.
pub(crate) fn spawn(
    path: &Path,
    busy_timeout: Duration,
    tuning: Tuning,
) -> Result<WalLink, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(CHECKPOINTER_BUSY)?;
    // FULL: the checkpoint fsyncs the WAL before copying and the database file after.
    conn.execute_batch("PRAGMA synchronous = FULL;")?;
    let (commits, rx) = mpsc::sync_channel::<()>(1);
    let shared = Arc::new(Shared {
        restart: AtomicBool::new(false),
        alive: AtomicBool::new(true),
    });
    let flag = Arc::clone(&shared);
    std::thread::Builder::new()
        .name("commentguard-checkpoint".into())
        .spawn(move || {
            run(&conn, &rx, &flag, tuning);
            flag.alive.store(false, Ordering::Release);
        })
        .map_err(StoreError::Spawn)?;
    Ok(WalLink {
        commits,
        shared,
        busy_timeout,
    })
}

/// `(busy, frames in the WAL, frames checkpointed)`, as `PRAGMA wal_checkpoint` reports.
fn checkpoint(conn: &Connection, mode: &str) -> rusqlite::Result<(i64, i64, i64)> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
    })
}

fn run(conn: &Connection, commits: &Receiver<()>, shared: &Shared, tuning: Tuning) {
    let mut last_passive: Option<Instant> = None;
    // Whether the WAL may hold frames (a commit since the last TRUNCATE).
    let mut dirty = true;
    loop {
        match commits.recv_timeout(tuning.idle) {
            Ok(()) => {
                dirty = true;
                if let Some(wait) = last_passive
                    .map(|at| tuning.passive_every.saturating_sub(at.elapsed()))
                    .filter(|w| !w.is_zero())
                {
                    std::thread::sleep(wait);
                }
                // Commits that arrived while sleeping are covered by this run.
                while commits.try_recv().is_ok() {}
                last_passive = Some(Instant::now());
                match checkpoint(conn, "PASSIVE") {
                    Ok((_, log, copied)) => {
                        tracing::trace!(log, copied, "passive checkpoint");
                        if log >= tuning.restart_frames {
                            shared.restart.store(true, Ordering::Release);
                        }
                    }
                    Err(err) => tracing::warn!(error = %err, "passive checkpoint failed"),
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                if dirty {
                    match checkpoint(conn, "TRUNCATE") {
                        // busy = 0: every frame copied and the WAL file emptied.
                        Ok((0, _, _)) => dirty = false,
                        Ok(_) => {}
                        Err(err) => tracing::warn!(error = %err, "idle checkpoint failed"),
                    }
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                // The writer has stopped: leave an empty WAL behind if no reader objects.
                if let Err(err) = checkpoint(conn, "TRUNCATE") {
                    tracing::warn!(error = %err, "final checkpoint failed");
                }
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wal_len(path: &Path) -> u64 {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        std::fs::metadata(wal).map_or(0, |m| m.len())
    }

    fn wal_frames(conn: &Connection) -> i64 {
        // A PASSIVE checkpoint that copies nothing new reports the WAL's size in frames.
        checkpoint(conn, "PASSIVE").unwrap().1
    }

    /// Without automatic checkpoints on the writer, the checkpointer asks for a restart
    /// once the WAL passes the threshold, the writer's RESTART starts the WAL over, and an
    /// idle WAL is truncated.
    #[test]
    fn checkpointer_bounds_the_wal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let conn = Connection::open(&path).unwrap();
        // synchronous = OFF here only to commit faster than the checkpointer can copy.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; \
             PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (x BLOB);",
        )
        .unwrap();
        let tuning = Tuning {
            passive_every: Duration::from_millis(1),
            restart_frames: 50,
            idle: Duration::from_millis(300),
        };
        let link = spawn(&path, Duration::from_secs(5), tuning).unwrap();
        for _ in 0..300 {
            conn.execute("INSERT INTO t (x) VALUES (randomblob(3000))", [])
                .unwrap();
            link.committed();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while !link.take_restart_request() {
            assert!(Instant::now() < deadline, "no restart request");
            std::thread::sleep(Duration::from_millis(5));
        }
        // The restart gives up quickly when the checkpointer is busy copying (it is asked
        // again later); here, ask until it went through.
        loop {
            link.restart(&conn);
            conn.execute("INSERT INTO t (x) VALUES (randomblob(3000))", [])
                .unwrap();
            link.committed();
            if wal_frames(&conn) < 10 {
                break; // the WAL started over
            }
            assert!(Instant::now() < deadline, "the WAL never started over");
            std::thread::sleep(Duration::from_millis(20));
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while wal_len(&path) > 0 {
            assert!(Instant::now() < deadline, "idle WAL not truncated");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(link.checkpointer_alive());
        let count: i64 = conn
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert!(count > 300, "{count} rows");
        // The writer goes away: the checkpointer stops.
        let shared = Arc::clone(&link.shared);
        drop(link);
        let deadline = Instant::now() + Duration::from_secs(10);
        while shared.alive.load(Ordering::Acquire) {
            assert!(Instant::now() < deadline, "checkpointer still running");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}
