//! The single writer: one thread owns the only write connection and commits in groups.
//!
//! # Why one writer
//! SQLite allows one writer at a time; many threads taking turns would each pay a full
//! fsync (`synchronous = FULL`). Instead every write is a *job* sent over a bounded
//! channel to one thread. The thread takes whatever jobs are queued (up to `max_batch`),
//! runs them all inside one transaction and commits once, so a burst of N submissions
//! costs one fsync, not N (group commit).
//!
//! # Invariants
//! - A job's answer is delivered only after the transaction holding it has committed (or
//!   failed): a caller that hears `Ok` knows its write is on disk.
//! - Each job runs inside its own savepoint: a job that fails is rolled back alone and
//!   the rest of the batch still commits.
//! - Jobs see the writes of earlier jobs in the same batch, which is what makes checks
//!   such as "no duplicate within 24 h" atomic.
//! - The queue is bounded; a full queue is reported at once ([`StoreError::Busy`]), never
//!   waited on, so the async workers cannot pile up behind a slow disk.
//! - When every [`Writer`] handle is dropped the thread drains the queue and exits.
//! - WAL checkpoints are not the writer's job (see [`super::checkpoint`]): it tells the
//!   checkpointer thread about each commit, and only when asked restarts the WAL between
//!   two batches.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::checkpoint::WalLink;
use super::StoreError;

/// A write waiting for its turn: runs on the writer's connection inside the batch
/// transaction and returns whether it succeeded plus how to answer once committed.
type Job = Box<dyn FnOnce(&Connection) -> Done + Send>;

/// A job that ran: `ok` decides its savepoint; `reply` is called after the commit with
/// the commit's error, if any.
struct Done {
    ok: bool,
    reply: Box<dyn FnOnce(Option<StoreError>) + Send>,
}

/// Handle to the writer thread; cheap to clone.
#[derive(Clone)]
pub(crate) struct Writer {
    jobs: SyncSender<Job>,
    alive: Arc<AtomicBool>,
}

impl Writer {
    /// Starts the writer thread on `conn`. With `wal`, `conn` must have
    /// `wal_autocheckpoint = 0`: the checkpointer behind `wal` keeps the WAL bounded.
    pub(crate) fn spawn(
        conn: Connection,
        queue: usize,
        max_batch: usize,
        wal: Option<WalLink>,
    ) -> std::io::Result<Self> {
        let (jobs, rx) = mpsc::sync_channel::<Job>(queue);
        let alive = Arc::new(AtomicBool::new(true));
        let flag = Arc::clone(&alive);
        std::thread::Builder::new()
            .name("commentguard-writer".into())
            .spawn(move || {
                run(conn, rx, max_batch, wal);
                flag.store(false, Ordering::Release);
            })?;
        Ok(Writer { jobs, alive })
    }

    /// A writer without a thread that refuses every write with [`StoreError::Closed`]:
    /// the writer of a read-only store.
    pub(crate) fn closed() -> Self {
        let (jobs, _) = mpsc::sync_channel::<Job>(1);
        Writer {
            jobs,
            alive: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether the writer thread is still running.
    pub(crate) fn is_alive(&self) -> bool {
        self.alive.load(Ordering::Acquire)
    }

    /// Queues `op` and waits for its committed result.
    pub(crate) async fn write<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<Result<T, StoreError>>();
        let job: Job = Box::new(move |conn| {
            let result = op(conn);
            Done {
                ok: result.is_ok(),
                reply: Box::new(move |commit_error| {
                    let answer = match commit_error {
                        Some(err) => Err(err),
                        None => result,
                    };
                    // The caller may have gone away (client disconnected); nothing to do.
                    let _ = tx.send(answer);
                }),
            }
        });
        self.jobs.try_send(job).map_err(|err| match err {
            TrySendError::Full(_) => StoreError::Busy,
            TrySendError::Disconnected(_) => StoreError::Closed,
        })?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

/// The writer loop: wait for one job, take every other queued job up to `max_batch`,
/// run them in one transaction, commit, answer; then tell the checkpointer.
fn run(conn: Connection, rx: Receiver<Job>, max_batch: usize, mut wal: Option<WalLink>) {
    let mut batch: Vec<Job> = Vec::with_capacity(max_batch);
    let mut done: Vec<Done> = Vec::with_capacity(max_batch);
    while let Ok(first) = rx.recv() {
        batch.push(first);
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let size = batch.len();
        let commit_error = run_batch(&conn, &mut batch, &mut done);
        if let Some(err) = &commit_error {
            tracing::error!(error = %err, batch = size, "write batch failed; answering each job with the error");
        } else {
            tracing::trace!(batch = size, "write batch committed");
        }
        for d in done.drain(..) {
            let err = commit_error.as_ref().map(StoreError::commit_failed);
            (d.reply)(err);
        }
        // After the answers, so that no caller waits for checkpoint work.
        if let Some(link) = &wal {
            if commit_error.is_none() {
                link.committed();
            }
            if link.take_restart_request() {
                link.restart(&conn);
            }
            if !link.checkpointer_alive() {
                // Without its checkpointer the WAL would grow without bound: let SQLite
                // checkpoint inside commits again (its default, 1,000 pages).
                tracing::error!("the checkpoint thread stopped; automatic checkpoints back on");
                if let Err(err) = conn.execute_batch("PRAGMA wal_autocheckpoint = 1000") {
                    tracing::error!(error = %err, "could not turn automatic checkpoints back on");
                }
                wal = None;
            }
        }
    }
    tracing::debug!("writer queue closed; writer thread exits");
}

/// Runs `batch` in one transaction; returns the error that prevented the commit, if any.
fn run_batch(conn: &Connection, batch: &mut Vec<Job>, done: &mut Vec<Done>) -> Option<StoreError> {
    if let Err(err) = conn.execute_batch("BEGIN IMMEDIATE") {
        // Could not even start: every job fails without running.
        for job in batch.drain(..) {
            drop(job);
        }
        return Some(err.into());
    }
    // Cached statements: these run for every job, and parsing them each time shows.
    let run = |sql: &str| -> rusqlite::Result<()> {
        conn.prepare_cached(sql)?.execute([])?;
        Ok(())
    };
    for job in batch.drain(..) {
        if let Err(err) = run("SAVEPOINT job") {
            let _ = conn.execute_batch("ROLLBACK");
            return Some(err.into());
        }
        // A panicking job (a bug) must not take the writer, and every later write, down:
        // its savepoint is rolled back and its caller sees the store as closed.
        let d = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(conn))) {
            Ok(d) => d,
            Err(_) => {
                tracing::error!("a write job panicked; rolled back");
                Done {
                    ok: false,
                    reply: Box::new(|_| {}),
                }
            }
        };
        let end = if d.ok {
            run("RELEASE job")
        } else {
            run("ROLLBACK TO job").and_then(|()| run("RELEASE job"))
        };
        done.push(d);
        if let Err(err) = end {
            let _ = conn.execute_batch("ROLLBACK");
            return Some(err.into());
        }
    }
    match conn.execute_batch("COMMIT") {
        Ok(()) => None,
        Err(err) => {
            let _ = conn.execute_batch("ROLLBACK");
            Some(err.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer(queue: usize) -> (Writer, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("w.db")).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER UNIQUE);")
            .unwrap();
        (Writer::spawn(conn, queue, 64, None).unwrap(), dir)
    }

    fn insert(x: i64) -> impl FnOnce(&Connection) -> Result<i64, StoreError> + Send + 'static {
        move |conn| {
            conn.execute("INSERT INTO t (x) VALUES (?1)", [x])?;
            Ok(conn.last_insert_rowid())
        }
    }

    /// Concurrent writes are committed and each caller gets its own answer.
    #[tokio::test]
    async fn concurrent_writes_commit() {
        let (w, _dir) = writer(1024);
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                tokio::spawn({
                    let w = w.clone();
                    async move { w.write(insert(i)).await }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let count = w
            .write(|c| Ok(c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0))?))
            .await
            .unwrap();
        assert_eq!(count, 200);
    }

    /// A failing job is rolled back alone; its neighbours in the batch still commit.
    #[tokio::test]
    async fn failing_job_does_not_spoil_batch() {
        let (w, _dir) = writer(1024);
        let (a, b, c) = tokio::join!(w.write(insert(1)), w.write(insert(1)), w.write(insert(2)));
        assert!(a.is_ok() && c.is_ok());
        assert!(b.is_err(), "second insert of 1 violates UNIQUE");
        let count = w
            .write(|c| Ok(c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0))?))
            .await
            .unwrap();
        assert_eq!(count, 2);
    }

    /// A job that panics is rolled back alone and the writer keeps serving.
    #[tokio::test]
    async fn panicking_job_does_not_kill_the_writer() {
        let (w, _dir) = writer(16);
        let panicked = w
            .write(|conn| -> Result<(), StoreError> {
                conn.execute("INSERT INTO t (x) VALUES (7)", [])?;
                panic!("bug in a job")
            })
            .await;
        assert!(matches!(panicked, Err(StoreError::Closed)));
        w.write(insert(8)).await.unwrap();
        let count = w
            .write(|c| Ok(c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0))?))
            .await
            .unwrap();
        assert_eq!(count, 1, "the panicking job's insert was rolled back");
        assert!(w.is_alive());
    }

    /// A full queue is refused at once instead of blocking the caller.
    #[tokio::test]
    async fn full_queue_is_busy() {
        let (w, _dir) = writer(1);
        // Park the writer thread inside a job until we let it go.
        let (release, parked) = std::sync::mpsc::channel::<()>();
        let blocker = tokio::spawn({
            let w = w.clone();
            async move {
                w.write(move |_| {
                    parked.recv().ok();
                    Ok(())
                })
                .await
            }
        });
        // Wait until the writer has taken the blocker off the queue.
        let mut queued = Vec::new();
        let mut busy = false;
        for i in 0..100 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            let w2 = w.clone();
            let h = tokio::spawn(async move { w2.write(insert(i)).await });
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            if h.is_finished() {
                if let Err(StoreError::Busy) = h.await.unwrap() {
                    busy = true;
                    break;
                }
            } else {
                queued.push(h);
            }
        }
        assert!(busy, "a full queue answers Busy");
        release.send(()).unwrap();
        blocker.await.unwrap().unwrap();
        for h in queued {
            h.await.unwrap().unwrap();
        }
    }
}
