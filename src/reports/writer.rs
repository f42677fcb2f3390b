//! The one writer of reports: a thread with its own SQLite connection that takes every job
//! queued since its last commit, applies each inside a savepoint of one transaction, commits
//! once (one `fsync` for the lot: group commit), and only then answers each job — so a `201`
//! always means durable, and 32 concurrent submitters share their commits.

use std::path::Path;
use std::sync::mpsc;

use rusqlite::Connection;

use crate::store::{Store, StoreError};

/// What a job says after its commit: called with whether the transaction was committed.
type Finish = Box<dyn FnOnce(bool) + Send>;

/// A job: writes in the open transaction; says whether it succeeded (else its savepoint is
/// rolled back) and how to finish.
type Job = Box<dyn FnOnce(&Connection) -> (bool, Finish) + Send>;

/// Most jobs in one transaction.
const MAX_BATCH: usize = 1024;

/// Handle to the writer thread.
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Opens a second connection to the store in `data_dir` and starts the thread.
    pub fn start(data_dir: &Path) -> Result<Writer, StoreError> {
        let mut store = Store::open(data_dir)?;
        // Checkpoints move the WAL into the database file; done by the committing connection
        // they stall every report behind them, so a checkpointer thread does them instead.
        store.set_autocheckpoint(0)?;
        let checkpointer = Store::open(data_dir)?;
        std::thread::Builder::new()
            .name("report-checkpoint".into())
            .spawn(move || loop {
                std::thread::sleep(std::time::Duration::from_millis(500));
                if let Err(e) = checkpointer.checkpoint_passive() {
                    tracing::warn!("checkpoint: {e}");
                }
            })
            .map_err(|e| StoreError::Io {
                path: data_dir.to_owned(),
                source: e,
            })?;
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("report-writer".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut jobs = vec![first];
                    while jobs.len() < MAX_BATCH {
                        match rx.try_recv() {
                            Ok(j) => jobs.push(j),
                            Err(_) => break,
                        }
                    }
                    let mut finishes: Vec<Finish> = Vec::with_capacity(jobs.len());
                    let committed = store
                        .in_transaction(|conn| {
                            for job in jobs.drain(..) {
                                conn.execute_batch("SAVEPOINT job")?;
                                let (ok, finish) = job(conn);
                                if ok {
                                    conn.execute_batch("RELEASE job")?;
                                } else {
                                    conn.execute_batch("ROLLBACK TO job; RELEASE job")?;
                                }
                                finishes.push(finish);
                            }
                            Ok(())
                        })
                        .map_err(|e| tracing::error!("report commit failed: {e}"))
                        .is_ok();
                    for f in finishes {
                        f(committed);
                    }
                }
            })
            .map_err(|e| StoreError::Io {
                path: data_dir.to_owned(),
                source: e,
            })?;
        Ok(Writer { jobs: tx })
    }

    /// Runs `write` in the writer's next transaction and waits for the commit; after it, and
    /// before returning, runs `after` with the result (to update what readers see). Blocks:
    /// call it off the async workers.
    pub fn run<T: Send + 'static>(
        &self,
        write: impl FnOnce(&Connection) -> Result<T, WriteError> + Send + 'static,
        after: impl FnOnce(&T) + Send + 'static,
    ) -> Result<T, WriteError> {
        let (reply, answer) = mpsc::sync_channel::<Result<T, WriteError>>(1);
        let job: Job = Box::new(move |conn| match write(conn) {
            Ok(v) => (
                true,
                Box::new(move |committed| {
                    let _ = reply.send(if committed {
                        after(&v);
                        Ok(v)
                    } else {
                        Err(WriteError::Store(
                            "the transaction was not committed".into(),
                        ))
                    });
                }),
            ),
            Err(e) => (
                false,
                Box::new(move |_| {
                    let _ = reply.send(Err(e));
                }),
            ),
        });
        self.jobs
            .send(job)
            .map_err(|_| WriteError::Store("the report writer has stopped".into()))?;
        answer
            .recv()
            .map_err(|_| WriteError::Store("the report writer has stopped".into()))?
    }
}

/// Why a write was not done.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WriteError {
    /// The request cannot be applied (names what is wrong).
    #[error("{0}")]
    Refused(String),
    /// The store failed.
    #[error("store: {0}")]
    Store(String),
}

impl From<StoreError> for WriteError {
    fn from(e: StoreError) -> Self {
        WriteError::Store(e.to_string())
    }
}

impl From<rusqlite::Error> for WriteError {
    fn from(e: rusqlite::Error) -> Self {
        WriteError::Store(e.to_string())
    }
}
