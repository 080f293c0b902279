//! Connection threads: ONE writer thread owns the only write connection; N reader threads each
//! own a read connection and pull jobs from one shared queue. Async callers hand a boxed job over
//! a crossbeam channel and await the answer on a tokio oneshot, so blocking SQLite work never
//! runs on the async executor. Commits queue as data, not closures, so the writer can fold the
//! ones waiting into one transaction (`group`). Dropping every sender (the store) ends the
//! threads.

use crate::error::{closed, open_failed};
use crate::group::{self, Counters, MAX_GROUP, Pending};
use crate::watch::Watcher;
use cmms_core::domain::event::CommittedBatch;
use cmms_core::store::{Changeset, Receipt};
use cmms_core::{OrgId, StoreError};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use rusqlite::{Connection, OpenFlags};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, oneshot};

/// A unit of blocking work run on a connection thread.
type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// What the writer thread is asked to do, in arrival order.
enum WriterJob {
    /// Anything but a commit (migrations, backups, reads of an in-memory store).
    Run(Job),
    /// A changeset to commit, maybe together with others waiting.
    Commit(Pending),
    /// Nothing to do: wakes the writer after a new subscription, so that it starts looking for
    /// other connections' commits (`watch`).
    Wake,
}

/// Where a store's connections come from.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// A database file: WAL, one writer and a reader pool.
    File(PathBuf),
    /// A private in-memory database: one shared connection, reads go to the writer.
    Memory,
}

/// The job queues of a store's threads.
pub(crate) struct Threads {
    writer: Sender<WriterJob>,
    /// Transactions and commits done by the writer.
    pub(crate) counters: Arc<Counters>,
    /// `None` when reads share the writer's connection (in-memory, or zero readers).
    readers: Option<Sender<Job>>,
    /// Whether other connections can commit to this database (a file), so the writer watches.
    watch: bool,
}

impl Threads {
    /// Starts the writer thread and `readers` reader threads; fails if any connection does not
    /// open and configure.
    pub(crate) async fn start(
        target: Target,
        readers: usize,
        busy_timeout: Duration,
        publish: broadcast::Sender<Arc<CommittedBatch>>,
    ) -> Result<Self, StoreError> {
        let (wtx, wrx) = crossbeam_channel::unbounded::<WriterJob>();
        let counters = Arc::new(Counters::default());
        let t = target.clone();
        let open_writer = move || open(&t, busy_timeout, false);
        let watch = matches!(target, Target::File(_));
        let writer = Writer { jobs: wrx, publish, counters: counters.clone(), watch };
        spawn("cmms-sqlite-writer".into(), open_writer, move |c| writer.serve(c)).await?;
        let readers = match target {
            Target::File(path) if readers > 0 => {
                let (rtx, rrx) = crossbeam_channel::unbounded::<Job>();
                for i in 0..readers {
                    let path = path.clone();
                    let open_reader = move || open(&Target::File(path), busy_timeout, true);
                    let jobs = rrx.clone();
                    let serve = move |conn: &mut Connection| {
                        for job in jobs.iter() {
                            guarded(|| job(conn));
                        }
                    };
                    spawn(format!("cmms-sqlite-reader-{i}"), open_reader, serve).await?;
                }
                Some(rtx)
            }
            _ => None,
        };
        Ok(Self { writer: wtx, counters, readers, watch })
    }

    /// Tells the writer that someone subscribed (see `watch`).
    pub(crate) fn wake(&self) {
        if self.watch {
            // A writer that is gone has nobody to wake.
            let _ = self.writer.send(WriterJob::Wake);
        }
    }

    /// Commits `changes` for `org` on the writer thread.
    pub(crate) async fn commit(
        &self,
        org: OrgId,
        changes: Changeset,
    ) -> Result<Receipt, StoreError> {
        let (reply, answer) = oneshot::channel();
        let sent = self.writer.send(WriterJob::Commit(Pending { org, changes, reply }));
        ask(sent.is_ok(), answer).await
    }

    /// Runs `f` on the writer connection.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (job, answer) = job(f);
        ask(self.writer.send(WriterJob::Run(job)).is_ok(), answer).await
    }

    /// Runs `f` on a reader connection (or the writer's, when reads share it).
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let Some(readers) = &self.readers else {
            return self.write(f).await;
        };
        let (job, answer) = job(f);
        ask(readers.send(job).is_ok(), answer).await
    }
}

/// The answer to a job that was `sent` (or "closed" if it could not be): a dropped answer means
/// the thread is gone or the job panicked.
async fn ask<T>(
    sent: bool,
    answer: oneshot::Receiver<Result<T, StoreError>>,
) -> Result<T, StoreError> {
    if !sent {
        return Err(closed());
    }
    answer.await.map_err(|_| closed())?
}

/// `f` as a job, and where its answer arrives.
fn job<T, F>(f: F) -> (Job, oneshot::Receiver<Result<T, StoreError>>)
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    let job: Job = Box::new(move |conn| {
        // The caller may have gone away (its future dropped): nobody to answer then.
        let _ = tx.send(f(conn));
    });
    (job, rx)
}

/// The writer thread's loop.
struct Writer {
    jobs: Receiver<WriterJob>,
    publish: broadcast::Sender<Arc<CommittedBatch>>,
    counters: Arc<Counters>,
    /// Whether to look for other connections' commits while someone follows.
    watch: bool,
}

impl Writer {
    fn serve(self, conn: &mut Connection) {
        let mut held = None;
        let mut watcher = self.watch.then(|| Watcher::new(conn));
        loop {
            if let Some(w) = watcher.as_mut() {
                w.check_if_due(conn, &self.publish);
            }
            let next = match held.take() {
                Some(job) => job,
                None => {
                    let wait = watcher.as_ref().and_then(|w| w.wait(&self.publish));
                    let received = match wait {
                        None => self.jobs.recv().map_err(|_| RecvTimeoutError::Disconnected),
                        Some(wait) => self.jobs.recv_timeout(wait),
                    };
                    match received {
                        Ok(job) => job,
                        Err(RecvTimeoutError::Timeout) => continue,
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            };
            match next {
                WriterJob::Wake => {}
                WriterJob::Run(job) => guarded(|| job(conn)),
                WriterJob::Commit(first) => {
                    // Take the commits already waiting, never wait for more; stop at anything
                    // else so jobs still run in arrival order.
                    let mut group = vec![first];
                    while group.len() < MAX_GROUP {
                        match self.jobs.try_recv() {
                            Ok(WriterJob::Commit(p)) => group.push(p),
                            Ok(WriterJob::Wake) => {}
                            Ok(other) => {
                                held = Some(other);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    guarded(|| group::run(conn, group, &self.publish, &self.counters));
                }
            }
        }
    }
}

/// Runs one job; a panicking job must not take the connection thread down with it (an open
/// transaction is rolled back when its guard unwinds, and the callers get "closed").
fn guarded(f: impl FnOnce()) {
    if catch_unwind(AssertUnwindSafe(f)).is_err() {
        tracing::error!("a store job panicked; its caller gets an error");
    }
}

/// Spawns one connection thread running `serve` on its connection, and waits until the
/// connection is open.
async fn spawn(
    name: String,
    open: impl FnOnce() -> Result<Connection, StoreError> + Send + 'static,
    serve: impl FnOnce(&mut Connection) + Send + 'static,
) -> Result<(), StoreError> {
    let (ready_tx, ready_rx) = oneshot::channel::<Result<(), StoreError>>();
    std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            let mut conn = match open() {
                Ok(conn) => {
                    let _ = ready_tx.send(Ok(()));
                    conn
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            serve(&mut conn);
        })
        .map_err(|e| StoreError::Backend(Box::new(e)))?;
    ready_rx.await.map_err(|_| closed())?
}

/// Opens and configures one connection.
fn open(target: &Target, busy_timeout: Duration, reader: bool) -> Result<Connection, StoreError> {
    let path = match target {
        Target::File(path) => Some(path.as_path()),
        Target::Memory => None,
    };
    // Setting up fails too on a file that is not a database: name the file either way.
    let conn = match path {
        Some(path) => open_file(path),
        None => Connection::open_in_memory(),
    }
    .and_then(|conn| configure(&conn, busy_timeout, path.is_some(), reader).map(|()| conn))
    .map_err(|e| open_failed(path, e))?;
    Ok(conn)
}

fn open_file(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    Connection::open_with_flags(path, flags)
}

/// Settings every connection gets.
pub(crate) fn configure(
    conn: &Connection,
    busy_timeout: Duration,
    file: bool,
    reader: bool,
) -> rusqlite::Result<()> {
    conn.busy_timeout(busy_timeout)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    if file {
        // WAL: readers never block the writer and the writer never blocks readers. The mode is
        // stored in the file, so for readers this is a no-op once the writer has set it.
        let _mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    }
    // NORMAL is safe in WAL mode: a commit is durable against application crashes and the
    // database can never be corrupted; only the last commits may roll back on power loss.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Statement journals (kept for write statements inside a transaction) and sort spills live
    // in memory, not in temporary files: under the load benchmark, with a savepoint per grouped
    // changeset, their file writes were ~17 % of the writer's time.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    if reader {
        conn.pragma_update(None, "query_only", true)?;
    }
    // Plans do not depend on bound values (the query planner stability guarantee). Without it,
    // SQLite marks a statement whose plan looked at a bound value (matching the expression
    // index of the due-date sort, for one) as expired whenever it is bound again, and
    // re-parses it on every run: the work-order list was re-prepared on each call, about a
    // fifth of its CPU (callgrind, benches/BENCHMARKS.md). Our lists bind tenant, filters and
    // keyset values, none of which should change a plan.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    // Every described table has a handful of generic statements (select, insert, update,
    // version, delete, join lists) besides the lists and chains.
    conn.set_prepared_statement_cache_capacity(256);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::map_rusqlite;

    #[tokio::test]
    async fn a_panicking_job_fails_its_caller_and_the_thread_lives_on() {
        let (publish, _) = broadcast::channel(4);
        let threads =
            Threads::start(Target::Memory, 0, Duration::from_secs(1), publish).await.unwrap();
        let err =
            threads.write(|_| -> Result<(), StoreError> { panic!("boom") }).await.unwrap_err();
        assert_eq!(err.to_string(), "backend: store is closed");
        let one: i64 = threads
            .read(|c| c.query_row("SELECT 1", [], |r| r.get(0)).map_err(map_rusqlite))
            .await
            .unwrap();
        assert_eq!(one, 1);
    }

    #[tokio::test]
    async fn calls_fail_once_the_thread_is_gone() {
        let (tx, rx) = crossbeam_channel::unbounded::<WriterJob>();
        drop(rx);
        let threads = Threads { writer: tx, counters: Arc::default(), readers: None, watch: false };
        let err = threads.write(|_| Ok(())).await.unwrap_err();
        assert_eq!(err.to_string(), "backend: store is closed");
    }
}
