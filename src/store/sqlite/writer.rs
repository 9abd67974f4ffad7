//! The single writer: one thread owns the only write connection and commits in groups.
//!
//! # Why one writer
//! SQLite allows one writer at a time; many threads taking turns would each pay a full
//! fsync. Instead every write is a *job* sent over a bounded channel to one thread. The
//! thread takes whatever jobs are queued (up to `max_batch`), runs them all inside one
//! transaction and commits once, so a burst of N submissions costs one fsync, not N
//! (group commit).
//!
//! # Invariants
//! - A job's answer is delivered only after the transaction holding it has committed and
//!   is on disk (or has failed): a caller that hears `Ok` knows its write survives a
//!   power cut.
//! - Syncing overlaps the next batch ([`Durability::SyncWal`]): the connection commits
//!   with `synchronous = NORMAL` (the frames reach the WAL file, unsynced), a second
//!   thread `fdatasync`s the WAL file and only then answers the batch's jobs, while the
//!   writer already runs the next batch. The WAL is append-only and one sync covers every
//!   frame written before it, so a write that depends on another (a decision on a
//!   comment) is never durable without it. What this gives up against
//!   `synchronous = FULL`: for the few milliseconds of a sync, *readers* can see a commit
//!   that a power cut would still take back — one whose writers have not been answered
//!   yet. (Measured: waiting for the sync on the writer thread was a third of its time.)
//!   If a sync fails, the jobs it covered are answered with the error and the writer
//!   stops: after a failed fsync the kernel may have dropped the pages, so no later
//!   answer could be trusted.
//! - A job that fails leaves no trace and the rest of the batch still commits. Jobs run
//!   without a savepoint each (a savepoint copies every page a job touches into a
//!   sub-journal: measured, ~14% of the writer's time). Almost every failing job fails
//!   before it writes anything — a conflict, a missing row — and then there is nothing to
//!   undo (a failed statement undoes its own changes). When a job fails *after* writing
//!   (SQLite's change counter moved, or SQLite ended the transaction itself), the writer
//!   rolls the whole transaction back and runs the batch again without that job. Every
//!   other job of the batch then runs a second time: see "Replays" below.
//! - Jobs see the writes of earlier jobs in the same batch, which is what makes checks
//!   such as "no duplicate within 24 h" atomic.
//! - The queue is bounded; a full queue is reported at once ([`StoreError::Busy`]), never
//!   waited on, so the async workers cannot pile up behind a slow disk.
//! - When every [`Writer`] handle is dropped the thread drains the queue and exits.
//! - WAL checkpoints are not the writer's job (see [`super::checkpoint`]): it tells the
//!   checkpointer thread about each commit, and only when asked restarts the WAL between
//!   two batches.
//! - Every job of one attempt at a batch is given the same instant (`now`, unix
//!   milliseconds, read from the store's [`Clock`] as the attempt begins): the time the
//!   job writes and compares with. A job never reads a clock itself.
//!
//! # Replays: a job does nothing but SQL
//! A job can run more than once: when another job of its batch fails after writing, the
//! batch is rolled back and run again (above), and only the run that commits counts. So
//! a job is an [`Fn`] — it cannot move or mutate what it captured — and it must have no
//! effect outside the transaction: no metrics, no logging of outcomes, no channel sends,
//! no counters, no clock reads, no randomness whose value is seen outside the database.
//! Do such things in the `async` caller, after [`Writer::write`] returns (the result is
//! that of the run that committed). A value computed inside a job (a fresh event id, a
//! row id) may differ between runs; only the committed run's is answered.
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::checkpoint::WalLink;
use crate::clock::Clock;
use crate::store::StoreError;

/// A write waiting for its turn.
trait Job: Send {
    /// Runs the write on the writer's connection inside the batch transaction, at the
    /// batch's instant `now`, and keeps its result; returns whether it succeeded. Called
    /// again if the batch is replayed.
    fn run(&mut self, conn: &Connection, now: i64) -> bool;
    /// Whether the job's last run failed for a reason outside the service (disk full, I/O
    /// error, ...: [`StoreError::is_unavailable`]).
    fn unavailable(&self) -> bool;
    /// Records that the job panicked: its caller will see the store as closed.
    fn panicked(&mut self);
    /// Answers the caller once the batch has committed (or with the commit's error).
    fn answer(self: Box<Self>, commit_error: Option<StoreError>);
}

/// A [`Job`] built from a closure and the channel its caller waits on.
struct Pending<T, F> {
    op: F,
    result: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Job for Pending<T, F>
where
    F: Fn(&Connection, i64) -> Result<T, StoreError> + Send,
    T: Send,
{
    fn run(&mut self, conn: &Connection, now: i64) -> bool {
        let result = (self.op)(conn, now);
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn unavailable(&self) -> bool {
        matches!(&self.result, Some(Err(err)) if err.is_unavailable())
    }

    fn panicked(&mut self) {
        self.result = Some(Err(StoreError::Closed));
    }

    fn answer(self: Box<Self>, commit_error: Option<StoreError>) {
        let answer = match (commit_error, self.result) {
            (Some(err), _) => Err(err),
            (None, Some(result)) => result,
            // Never ran: the transaction could not even begin.
            (None, None) => Err(StoreError::Closed),
        };
        // The caller may have gone away (client disconnected); nothing to do.
        let _ = self.reply.send(answer);
    }
}

/// How a committed batch becomes durable before its jobs are answered.
pub(crate) enum Durability {
    /// The connection syncs inside COMMIT (`synchronous = FULL`); answer right after.
    InCommit,
    /// The connection commits without syncing (`synchronous = NORMAL`, set by
    /// [`Writer::spawn`]); `sync` (an `fdatasync` of the WAL file) runs on a thread of its
    /// own and makes every commit before it durable. See the module's invariants.
    SyncWal(Box<dyn FnMut() -> std::io::Result<()> + Send>),
}

/// Handle to the writer thread; cheap to clone.
#[derive(Clone)]
pub(crate) struct Writer {
    jobs: SyncSender<Box<dyn Job>>,
    alive: Arc<AtomicBool>,
    /// Whether writes fail for a reason outside the service.
    health: Arc<WriteHealth>,
    /// The store's time: each batch's instant, and when writes last failed.
    clock: Clock,
}

/// Whether writes fail for a reason outside the service (disk full, I/O error, read-only
/// file, a lock held elsewhere).
#[derive(Default)]
pub(crate) struct WriteHealth {
    /// Set by a batch with such a failure, cleared by the next batch without.
    failing: AtomicBool,
    /// When the last such failure happened (unix milliseconds; 0 = never).
    last_failure_ms: AtomicI64,
}

impl WriteHealth {
    fn record(&self, failed: bool, now: i64) {
        self.failing.store(failed, Ordering::Release);
        if failed {
            self.last_failure_ms.store(now, Ordering::Release);
        }
    }
}

/// At most one "write batch failed" line per this interval: a full disk fails every
/// batch, thousands a second.
const FAILURE_LOG_EVERY: Duration = Duration::from_secs(10);

impl Writer {
    /// Starts the writer thread on `conn` (and, with [`Durability::SyncWal`], its syncer
    /// thread). With `wal`, `conn` must have `wal_autocheckpoint = 0`: the checkpointer
    /// behind `wal` keeps the WAL bounded. Each batch's instant is read from `clock`.
    pub(crate) fn spawn(
        conn: Connection,
        queue: usize,
        max_batch: usize,
        wal: Option<WalLink>,
        durability: Durability,
        clock: Clock,
    ) -> Result<Self, StoreError> {
        let (jobs, rx) = mpsc::sync_channel::<Box<dyn Job>>(queue);
        let alive = Arc::new(AtomicBool::new(true));
        let health = Arc::new(WriteHealth::default());
        let syncer = match durability {
            Durability::InCommit => None,
            Durability::SyncWal(sync) => {
                conn.execute_batch("PRAGMA synchronous = NORMAL")?;
                Some(Syncer::spawn(sync).map_err(StoreError::Spawn)?)
            }
        };
        let flag = Arc::clone(&alive);
        let shared_health = Arc::clone(&health);
        let thread_clock = clock.clone();
        std::thread::Builder::new()
            .name("commentguard-writer".into())
            .spawn(move || {
                run(
                    conn,
                    rx,
                    max_batch,
                    wal,
                    syncer,
                    &shared_health,
                    &thread_clock,
                );
                flag.store(false, Ordering::Release);
            })
            .map_err(StoreError::Spawn)?;
        Ok(Writer {
            jobs,
            alive,
            health,
            clock,
        })
    }

    /// A writer without a thread that refuses every write with [`StoreError::Closed`]:
    /// the writer of a read-only store.
    pub(crate) fn closed() -> Self {
        let (jobs, _) = mpsc::sync_channel::<Box<dyn Job>>(1);
        Writer {
            jobs,
            alive: Arc::new(AtomicBool::new(false)),
            health: Arc::new(WriteHealth::default()),
            clock: Clock::system(),
        }
    }

    /// Whether the writer thread is still running.
    pub(crate) fn is_alive(&self) -> bool {
        self.alive.load(Ordering::Acquire)
    }

    /// Whether the last batch failed for a reason outside the service (see
    /// [`StoreError::is_unavailable`]); the next batch without such a failure clears it.
    pub(crate) fn is_failing(&self) -> bool {
        self.health.failing.load(Ordering::Acquire)
    }

    /// Whether a write failed for a reason outside the service less than `window_ms`
    /// milliseconds ago.
    pub(crate) fn failed_within(&self, window_ms: i64) -> bool {
        let at = self.health.last_failure_ms.load(Ordering::Acquire);
        at != 0 && self.clock.now_millis().saturating_sub(at) < window_ms
    }

    /// Queues `op` and waits for its committed result: `op(conn, now)` runs inside the
    /// next batch's transaction on the writer's connection, `now` being the batch's
    /// instant (unix milliseconds, from the store's clock).
    ///
    /// # Replays
    /// `op` may run **more than once** — the batch is replayed when another job in it
    /// fails after writing — and only the run that commits is answered. Hence `Fn`, not
    /// `FnMut`: `op` does SQL on `conn` and nothing else (no metrics, logs of outcomes,
    /// channel sends, counters or clock reads; do those after this returns). See the
    /// module's "Replays".
    pub(crate) async fn write<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        F: Fn(&Connection, i64) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, rx) = oneshot::channel::<Result<T, StoreError>>();
        let job: Box<dyn Job> = Box::new(Pending {
            op,
            result: None,
            reply,
        });
        self.jobs.try_send(job).map_err(|err| match err {
            TrySendError::Full(_) => StoreError::Busy,
            TrySendError::Disconnected(_) => StoreError::Closed,
        })?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

/// The thread that makes committed batches durable and then answers their jobs.
struct Syncer {
    batches: mpsc::Sender<Vec<Box<dyn Job>>>,
    failed: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Syncer {
    fn spawn(mut sync: Box<dyn FnMut() -> std::io::Result<()> + Send>) -> std::io::Result<Self> {
        let (batches, rx) = mpsc::channel::<Vec<Box<dyn Job>>>();
        let failed = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&failed);
        let thread = std::thread::Builder::new()
            .name("commentguard-sync".into())
            .spawn(move || {
                let mut pending: Vec<Vec<Box<dyn Job>>> = Vec::new();
                while let Ok(first) = rx.recv() {
                    // Every batch committed meanwhile shares this one sync.
                    pending.push(first);
                    pending.extend(rx.try_iter());
                    let error = if flag.load(Ordering::Acquire) {
                        Some("an earlier sync of the WAL failed".to_owned())
                    } else {
                        let started = std::time::Instant::now();
                        let result = sync();
                        crate::monitoring::wal_sync(started.elapsed());
                        result.err().map(|err| {
                            tracing::error!(error = %err, "could not sync the WAL; the writer stops");
                            flag.store(true, Ordering::Release);
                            format!("could not sync the WAL: {err}")
                        })
                    };
                    // An I/O fault: the callers hear 503, never that their write is kept.
                    for job in pending.drain(..).flatten() {
                        job.answer(error.clone().map(StoreError::Unavailable));
                    }
                }
            })?;
        Ok(Syncer {
            batches,
            failed,
            thread,
        })
    }

    fn failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }
}

/// The writer loop: wait for one job, take every other queued job up to `max_batch`,
/// run them in one transaction, commit; answer (or hand the batch to the syncer, which
/// answers once it is on disk); then tell the checkpointer.
fn run(
    conn: Connection,
    rx: Receiver<Box<dyn Job>>,
    max_batch: usize,
    mut wal: Option<WalLink>,
    syncer: Option<Syncer>,
    health: &WriteHealth,
    clock: &Clock,
) {
    static FAILURES: crate::telemetry::Throttle =
        crate::telemetry::Throttle::new(FAILURE_LOG_EVERY);
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(max_batch);
    while let Ok(first) = rx.recv() {
        batch.push(first);
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let size = batch.len();
        if syncer.as_ref().is_some_and(Syncer::failed) {
            for job in batch.drain(..) {
                job.answer(Some(StoreError::Closed));
            }
            break;
        }
        let mut job_unavailable = false;
        let started = std::time::Instant::now();
        let commit_error = run_batch(&conn, &mut batch, &mut job_unavailable, clock);
        crate::monitoring::batch(
            size,
            started.elapsed(),
            match &commit_error {
                Some(err) if err.is_unavailable() => Some("unavailable"),
                Some(_) => Some("error"),
                None if job_unavailable => Some("unavailable"),
                None => None,
            },
        );
        if let Some(err) = &commit_error {
            health.record(err.is_unavailable(), clock.now_millis());
            if let Some(suppressed) = FAILURES.allow() {
                tracing::error!(
                    error = %err,
                    source = ?std::error::Error::source(err),
                    batch = size,
                    similar_lines_suppressed = suppressed,
                    "write batch failed; answering each job with the error"
                );
            }
        } else {
            // A job that hit a full disk mid-statement fails alone, and the rest (maybe
            // nothing) commits: writes still fail.
            health.record(job_unavailable, clock.now_millis());
            if job_unavailable {
                if let Some(suppressed) = FAILURES.allow() {
                    tracing::error!(
                        batch = size,
                        similar_lines_suppressed = suppressed,
                        "a write failed for a reason outside the service (disk full, I/O error, read-only, locked); answering it with 503"
                    );
                }
            }
            tracing::trace!(batch = size, "write batch committed");
        }
        match (&syncer, &commit_error) {
            (Some(syncer), None) => {
                let committed = std::mem::replace(&mut batch, Vec::with_capacity(max_batch));
                if let Err(mpsc::SendError(committed)) = syncer.batches.send(committed) {
                    // The syncer thread is gone (it cannot panic; defensive): durability
                    // of this batch is unknown.
                    for job in committed {
                        job.answer(Some(StoreError::Closed));
                    }
                    break;
                }
            }
            _ => {
                for job in batch.drain(..) {
                    job.answer(commit_error.as_ref().map(StoreError::commit_failed));
                }
            }
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
    // Answer what the syncer still holds before the writer counts as stopped.
    if let Some(Syncer {
        batches, thread, ..
    }) = syncer
    {
        drop(batches);
        if thread.join().is_err() {
            tracing::error!("the WAL sync thread panicked");
        }
    }
    tracing::debug!("writer thread exits");
}

/// Runs `batch` in one transaction and commits it; returns the error that prevented the
/// commit, if any. Each job's own result stays in the job. Every job of an attempt runs
/// at the instant `clock` gives as the attempt begins.
///
/// A job that fails after changing rows spoils the transaction: it is rolled back and
/// the batch runs again from the start without the failed job (so a batch of n jobs runs
/// at most n + 1 times; in practice once).
fn run_batch(
    conn: &Connection,
    batch: &mut [Box<dyn Job>],
    unavailable: &mut bool,
    clock: &Clock,
) -> Option<StoreError> {
    let mut excluded = vec![false; batch.len()];
    'attempt: loop {
        if let Err(err) = conn.execute_batch("BEGIN IMMEDIATE") {
            return Some(err.into());
        }
        let now = clock.now_millis();
        for (job, excluded) in batch.iter_mut().zip(excluded.iter_mut()) {
            if *excluded {
                continue;
            }
            let before = conn.total_changes();
            // A panicking job (a bug) must not take the writer, and every later write,
            // down: it is undone like a failed one and its caller sees the store as closed.
            let ok =
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run(conn, now)))
                {
                    Ok(ok) => ok,
                    Err(_) => {
                        tracing::error!("a write job panicked; undone");
                        job.panicked();
                        false
                    }
                };
            if ok {
                continue;
            }
            *unavailable |= job.unavailable();
            *excluded = true;
            let wrote = conn.total_changes() != before;
            let transaction_gone = conn.is_autocommit();
            if wrote || transaction_gone {
                tracing::debug!(
                    wrote,
                    transaction_gone,
                    "a write job failed part-way; replaying the batch without it"
                );
                if !transaction_gone {
                    if let Err(err) = conn.execute_batch("ROLLBACK") {
                        return Some(err.into());
                    }
                }
                continue 'attempt;
            }
        }
        return match conn.execute_batch("COMMIT") {
            Ok(()) => None,
            Err(err) => {
                let _ = conn.execute_batch("ROLLBACK");
                Some(err.into())
            }
        };
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
        (
            Writer::spawn(conn, queue, 64, None, Durability::InCommit, Clock::system()).unwrap(),
            dir,
        )
    }

    fn insert(x: i64) -> impl Fn(&Connection, i64) -> Result<i64, StoreError> + Send + 'static {
        move |conn, _| {
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
            .write(|c, _| Ok(c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0))?))
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
            .write(|c, _| Ok(c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0))?))
            .await
            .unwrap();
        assert_eq!(count, 2);
    }

    /// Parks the writer thread inside a job until the returned sender is used (or
    /// dropped), so that writes queued meanwhile run together in the next batch.
    async fn park(w: &Writer) -> (std::sync::mpsc::Sender<()>, tokio::task::JoinHandle<()>) {
        let (release, parked) = std::sync::mpsc::channel::<()>();
        let (entered_tx, entered) = oneshot::channel::<()>();
        // A job is `Fn`: the one-shot sender is taken out through a lock.
        let entered_tx = std::sync::Mutex::new(Some(entered_tx));
        let w = w.clone();
        let blocker = tokio::spawn(async move {
            w.write(move |_, _| {
                if let Some(tx) = entered_tx.lock().unwrap().take() {
                    let _ = tx.send(());
                }
                parked.recv().ok();
                Ok(())
            })
            .await
            .unwrap();
        });
        entered.await.unwrap();
        (release, blocker)
    }

    /// A job that fails after writing is undone alone: the batch is replayed without it,
    /// so its neighbours commit, each exactly once, and run twice only in that case.
    #[tokio::test]
    async fn job_failing_after_a_write_is_undone_alone() {
        use std::sync::atomic::AtomicUsize;
        let (w, _dir) = writer(1024);
        let runs = Arc::new(AtomicUsize::new(0));
        let (release, blocker) = park(&w).await;
        let counted = |x: i64| {
            let runs = Arc::clone(&runs);
            let w = w.clone();
            tokio::spawn(async move {
                w.write(move |conn, _| {
                    runs.fetch_add(1, Ordering::SeqCst);
                    conn.execute("INSERT INTO t (x) VALUES (?1)", [x])?;
                    Ok(())
                })
                .await
            })
        };
        let first = counted(1);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let spoiler = tokio::spawn({
            let w = w.clone();
            async move {
                w.write(|conn, _| -> Result<(), StoreError> {
                    conn.execute("INSERT INTO t (x) VALUES (2)", [])?;
                    Err(StoreError::Busy)
                })
                .await
            }
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let last = counted(3);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        release.send(()).unwrap();
        blocker.await.unwrap();
        assert!(first.await.unwrap().is_ok());
        assert!(matches!(spoiler.await.unwrap(), Err(StoreError::Busy)));
        assert!(last.await.unwrap().is_ok());
        let rows = w
            .write(|c, _| {
                let mut st = c.prepare("SELECT x FROM t ORDER BY x")?;
                let xs = st.query_map([], |r| r.get::<_, i64>(0))?;
                Ok(xs.collect::<Result<Vec<_>, _>>()?)
            })
            .await
            .unwrap();
        assert_eq!(
            rows,
            vec![1, 3],
            "the failed job's row is gone, the others kept"
        );
        // Job 1 ran before the failure and again in the replay; job 3 only in the replay.
        assert_eq!(runs.load(Ordering::SeqCst), 3);
    }

    /// A job that fails before writing anything costs its batch nothing: no replay.
    #[tokio::test]
    async fn job_failing_before_writing_causes_no_replay() {
        use std::sync::atomic::AtomicUsize;
        let (w, _dir) = writer(1024);
        let runs = Arc::new(AtomicUsize::new(0));
        let (release, blocker) = park(&w).await;
        let mut tasks = Vec::new();
        for x in [1, 1, 2] {
            let runs = Arc::clone(&runs);
            let w = w.clone();
            tasks.push(tokio::spawn(async move {
                w.write(move |conn, _| {
                    runs.fetch_add(1, Ordering::SeqCst);
                    conn.execute("INSERT INTO t (x) VALUES (?1)", [x])?;
                    Ok(())
                })
                .await
            }));
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        release.send(()).unwrap();
        blocker.await.unwrap();
        let results: Vec<bool> = futures_ok(tasks).await;
        assert_eq!(
            results,
            vec![true, false, true],
            "the second 1 violates UNIQUE"
        );
        assert_eq!(runs.load(Ordering::SeqCst), 3, "every job ran once");
    }

    async fn futures_ok(tasks: Vec<tokio::task::JoinHandle<Result<(), StoreError>>>) -> Vec<bool> {
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap().is_ok());
        }
        out
    }

    fn synced_writer(
        sync: impl FnMut() -> std::io::Result<()> + Send + 'static,
    ) -> (Writer, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("w.db")).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER UNIQUE);")
            .unwrap();
        let w = Writer::spawn(
            conn,
            1024,
            64,
            None,
            Durability::SyncWal(Box::new(sync)),
            Clock::system(),
        );
        (w.unwrap(), dir)
    }

    /// With a WAL syncer, a write is answered only after a sync that followed its commit.
    #[tokio::test]
    async fn synced_writes_are_answered_after_the_sync() {
        use std::sync::atomic::AtomicUsize;
        let syncs = Arc::new(AtomicUsize::new(0));
        let (w, _dir) = synced_writer({
            let syncs = Arc::clone(&syncs);
            move || {
                // Slow, so that an answer given before the sync would see 0.
                std::thread::sleep(std::time::Duration::from_millis(30));
                syncs.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        });
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let w = w.clone();
                let syncs = Arc::clone(&syncs);
                tokio::spawn(async move {
                    w.write(insert(i)).await.unwrap();
                    syncs.load(Ordering::SeqCst)
                })
            })
            .collect();
        for t in tasks {
            assert!(t.await.unwrap() >= 1, "answered before any sync");
        }
        let count = w
            .write(|c, _| Ok(c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0))?))
            .await
            .unwrap();
        assert_eq!(count, 50);
        let synchronous: i64 = w
            .write(|c, _| Ok(c.query_row("PRAGMA synchronous", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(synchronous, 1, "NORMAL: the syncer, not COMMIT, syncs");
    }

    /// A failed sync fails the writes it covered and stops the writer: nothing after it
    /// is acknowledged.
    #[tokio::test]
    async fn failed_sync_fails_its_writes_and_stops_the_writer() {
        let (w, _dir) = synced_writer(|| Err(std::io::Error::other("disk on fire")));
        let first = w.write(insert(1)).await;
        assert!(
            matches!(&first, Err(StoreError::Unavailable(m)) if m.contains("disk on fire")),
            "{first:?}"
        );
        let mut later = w.write(insert(2)).await;
        for _ in 0..100 {
            if w.is_alive() {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                later = w.write(insert(3)).await;
            }
        }
        assert!(later.is_err(), "{later:?}");
        assert!(!w.is_alive());
    }

    /// A job that panics is rolled back alone and the writer keeps serving.
    #[tokio::test]
    async fn panicking_job_does_not_kill_the_writer() {
        let (w, _dir) = writer(16);
        let panicked = w
            .write(|conn, _| -> Result<(), StoreError> {
                conn.execute("INSERT INTO t (x) VALUES (7)", [])?;
                panic!("bug in a job")
            })
            .await;
        assert!(matches!(panicked, Err(StoreError::Closed)));
        w.write(insert(8)).await.unwrap();
        let count = w
            .write(|c, _| Ok(c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0))?))
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
                w.write(move |_, _| {
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
