//! The one writer of reports: a thread with its own SQLite connection that takes every write
//! queued since its last commit, applies each inside a savepoint of one transaction, commits
//! once (one `fsync` for the lot: group commit), and only then answers each — so a `201` always
//! means durable, and 32 concurrent submitters share their commits. After each commit it calls
//! the hook it was started with (the server catches its report book up from the change feed),
//! before it answers.

use std::path::Path;
use std::sync::mpsc;

use rusqlite::Connection;

use super::reports::{insert_report, me_too, moderate};
use super::{Store, StoreError};
use crate::reports::{ModerationEntry, NewReport, Report};

/// A write of resident reports.
#[derive(Debug, Clone)]
pub enum ReportWrite {
    /// A new report; answers [`Written::Id`].
    Insert(NewReport),
    /// One more "me too" on report `id` at `at` (Unix seconds); answers [`Written::Done`].
    MeToo {
        /// The report.
        id: i64,
        /// When.
        at: i64,
    },
    /// A moderated report with its log entry, and the "me too" it gives the report it
    /// duplicates; answers [`Written::Done`].
    Moderate {
        /// The report as moderated.
        report: Box<Report>,
        /// The log entry.
        entry: Box<ModerationEntry>,
        /// The report it duplicates, if it is marked so.
        duplicate_of: Option<i64>,
    },
}

/// What a committed write changed, for the server to take in before it answers: a new report
/// as stored, or the ids of reports to read back.
#[derive(Debug, Clone)]
pub enum Touched {
    /// A new report, exactly as its row now holds it.
    Inserted(Box<Report>),
    /// Reports whose rows changed.
    Changed(Vec<i64>),
}

/// What a committed write answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The new report's id.
    Id(i64),
    /// Done.
    Done,
}

fn apply(conn: &Connection, w: ReportWrite) -> Result<(Written, Touched), WriteError> {
    match w {
        ReportWrite::Insert(new) => {
            let id = insert_report(conn, &new)?;
            Ok((
                Written::Id(id),
                Touched::Inserted(Box::new(Report::from_new(id, new))),
            ))
        }
        ReportWrite::MeToo { id, at } => {
            me_too(conn, id, at)?;
            Ok((Written::Done, Touched::Changed(vec![id])))
        }
        ReportWrite::Moderate {
            report,
            entry,
            duplicate_of,
        } => {
            moderate(conn, &report, &entry)?;
            let mut changed = vec![report.id];
            if let Some(t) = duplicate_of {
                me_too(conn, t, entry.at)?;
                changed.push(t);
            }
            Ok((Written::Done, Touched::Changed(changed)))
        }
    }
}

/// What a job says after its commit: called with whether the transaction was committed.
type Finish = Box<dyn FnOnce(bool) + Send>;

/// A job: writes in the open transaction; says what it changed (`None` when it failed: its
/// savepoint is rolled back) and how to finish.
type Job = Box<dyn FnOnce(&Connection) -> (Option<Touched>, Finish) + Send>;

/// Most jobs in one transaction.
const MAX_BATCH: usize = 1024;

/// Handle to the writer thread.
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Opens a second connection to the store in `data_dir` and starts the thread;
    /// `committed` runs after every commit with what the committed writes changed, before they
    /// are answered.
    pub fn start(
        data_dir: &Path,
        committed: impl Fn(Vec<Touched>) + Send + 'static,
    ) -> Result<Writer, StoreError> {
        let mut store = Store::open(data_dir)?;
        // Checkpoints move the WAL into the database file; done by the committing connection
        // they stall every report behind them, so a checkpointer thread does them instead.
        store.set_autocheckpoint(0)?;
        let checkpointer = Store::open(data_dir)?;
        std::thread::Builder::new()
            .name("report-checkpoint".into())
            .spawn(move || {
                for round in 0u64.. {
                    std::thread::sleep(std::time::Duration::from_millis(500));
                    if let Err(e) = checkpointer.checkpoint_passive() {
                        tracing::warn!("checkpoint: {e}");
                    }
                    // Once a minute, the change feed's old rows.
                    if round % 120 == 0 {
                        if let Err(e) = checkpointer.prune_changes(chrono::Utc::now().timestamp()) {
                            tracing::warn!("pruning the change feed: {e}");
                        }
                    }
                }
            })
            .map_err(|e| StoreError::Io {
                path: data_dir.to_owned(),
                source: e,
            })?;
        let committed_hook = committed;
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
                    let mut touched: Vec<Touched> = Vec::with_capacity(jobs.len());
                    let committed = store
                        .in_transaction(|conn| {
                            for job in jobs.drain(..) {
                                conn.execute_batch("SAVEPOINT job")?;
                                let (done, finish) = job(conn);
                                if let Some(t) = done {
                                    conn.execute_batch("RELEASE job")?;
                                    touched.push(t);
                                } else {
                                    conn.execute_batch("ROLLBACK TO job; RELEASE job")?;
                                }
                                finishes.push(finish);
                            }
                            Ok(())
                        })
                        .map_err(|e| tracing::error!("report commit failed: {e}"))
                        .is_ok();
                    if committed {
                        committed_hook(touched);
                    }
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

    /// Applies `write` in the writer's next transaction and waits for the commit (and the
    /// hook after it). Blocks: call it off the async workers.
    pub fn write(&self, write: ReportWrite) -> Result<Written, WriteError> {
        let (reply, answer) = mpsc::sync_channel::<Result<Written, WriteError>>(1);
        let job: Job = Box::new(move |conn| match apply(conn, write) {
            Ok((v, touched)) => (
                Some(touched),
                Box::new(move |committed| {
                    let _ = reply.send(if committed {
                        Ok(v)
                    } else {
                        Err(WriteError::Store(
                            "the transaction was not committed".into(),
                        ))
                    });
                }),
            ),
            Err(e) => (
                None,
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
