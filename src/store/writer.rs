//! The one writer of reports per process: a thread with its own connection (SQLite, or
//! PostgreSQL through [`ReportSink`]) that takes every write queued since its last commit,
//! applies each inside a savepoint of one transaction, commits once (one `fsync` for the lot:
//! group commit), and only then answers each — so a `201` always
//! means durable, and 32 concurrent submitters share their commits. After each commit it calls
//! the hook it was started with (the server catches its report book up from the change feed),
//! before it answers.

use std::path::Path;
use std::sync::mpsc;

use rusqlite::Connection;

use super::reports::{duplicate_target, insert_report, me_too, moderate, report_of_key};

/// The answer to a moderation whose report was moderated by someone else since it was read.
pub const MODERATED_MEANWHILE: &str =
    "the report was moderated meanwhile; reload it and decide again";
use super::{Store, StoreError};
use crate::reports::{ModerationEntry, NewReport, Report};

/// A write of resident reports.
#[derive(Debug, Clone)]
pub enum ReportWrite {
    /// A new report, with the keyed digest of its idempotency key if it came with one;
    /// answers [`Written::Id`], or [`Written::Existing`] when a report with that key is
    /// stored already (then nothing is written).
    Insert(Box<NewReport>, Option<ReportKey>),
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
        /// The report as the moderation rules saw it: the write is refused with
        /// [`WriteError::Conflict`] when its moderated state is no longer stored so.
        seen: Box<Report>,
        /// The report as moderated.
        report: Box<Report>,
        /// The log entry.
        entry: Box<ModerationEntry>,
        /// The report it duplicates, if it is marked so.
        duplicate_of: Option<i64>,
    },
}

/// A new report's idempotency key as kept: the keyed digests of the key and of what was
/// asked (see [`crate::reports::idempotency`], [`NewReport::request_digest`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportKey {
    /// The key's digest.
    pub key: String,
    /// The digest of the report asked for with it.
    pub request: String,
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
    /// The id of the report stored earlier under the same idempotency key.
    Existing(i64),
    /// Done.
    Done,
}

/// The answer to a report whose idempotency key is stored with report `id` and the digest
/// `stored` of what was asked then: that report when `asked` is the same, else a refusal (a
/// key replays only its own report, so a guessed key discloses nothing).
pub(crate) fn replayed(
    id: i64,
    stored: &str,
    asked: &str,
) -> Result<(Written, Touched), WriteError> {
    if stored == asked {
        Ok((Written::Existing(id), Touched::Changed(Vec::new())))
    } else {
        Err(WriteError::Refused(
            "Idempotency-Key: was sent before with a different report; make a new key for a new report".into(),
        ))
    }
}

/// Applies one write in the open transaction `conn`.
fn apply(conn: &Connection, w: ReportWrite) -> Result<(Written, Touched), WriteError> {
    match w {
        ReportWrite::Insert(new, key) => {
            if let Some(k) = &key {
                if let Some((id, stored)) = report_of_key(conn, &k.key)? {
                    return replayed(id, &stored, &k.request);
                }
            }
            let id = insert_report(conn, &new)?;
            if let Some(k) = &key {
                conn.prepare_cached(
                    "INSERT INTO report_keys(key_hash, request_hash, report_id, created_at) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(rusqlite::params![k.key, k.request, id, new.created_at])?;
            }
            Ok((
                Written::Id(id),
                Touched::Inserted(Box::new(Report::from_new(id, *new))),
            ))
        }
        ReportWrite::MeToo { id, at } => {
            me_too(conn, id, at)?;
            Ok((Written::Done, Touched::Changed(vec![id])))
        }
        ReportWrite::Moderate {
            seen,
            report,
            entry,
            duplicate_of,
        } => {
            if !moderate(conn, &seen, &report, &entry)? {
                return Err(WriteError::Conflict(MODERATED_MEANWHILE.into()));
            }
            let mut changed = vec![report.id];
            if let Some(t) = duplicate_of {
                if !duplicate_target(conn, t, entry.at)? {
                    return Err(WriteError::Conflict(format!(
                        "duplicate_of: report {t} is no longer published"
                    )));
                }
                changed.push(t);
            }
            Ok((Written::Done, Touched::Changed(changed)))
        }
    }
}

/// What each write of a committed batch came to: its answer and what it changed, or why it
/// alone was rolled back.
pub type Outcomes = Vec<Result<(Written, Touched), WriteError>>;

/// A backend's side of the report writer.
pub trait ReportSink: Send {
    /// Applies `writes` in order in one transaction, each in a savepoint of its own (a write
    /// that fails is rolled back alone), and commits once. Returns each write's outcome, or an
    /// error when the transaction was not committed (then none of them was).
    fn commit(&mut self, writes: Vec<ReportWrite>) -> Result<Outcomes, StoreError>;

    /// The change-feed positions the last commit logged, when the backend knows them (the
    /// follower then needn't read back what the writer already put in the book).
    fn logged(&mut self) -> Vec<i64> {
        Vec::new()
    }
}

/// The SQLite store's side of the writer.
struct SqliteSink {
    store: Store,
}

impl ReportSink for SqliteSink {
    fn commit(&mut self, writes: Vec<ReportWrite>) -> Result<Outcomes, StoreError> {
        let mut out = Vec::with_capacity(writes.len());
        self.store.in_transaction(|conn| {
            for w in writes {
                conn.execute_batch("SAVEPOINT job")?;
                let done = apply(conn, w);
                if done.is_ok() {
                    conn.execute_batch("RELEASE job")?;
                } else {
                    conn.execute_batch("ROLLBACK TO job; RELEASE job")?;
                }
                out.push(done);
            }
            Ok(())
        })?;
        Ok(out)
    }
}

/// A write waiting for the writer, with where to send its answer.
type Job = (ReportWrite, mpsc::SyncSender<Result<Written, WriteError>>);

/// Most jobs in one transaction.
const MAX_BATCH: usize = 1024;

/// Handle to the writer thread.
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Opens a second connection to the SQLite store in `data_dir` and starts the thread;
    /// `committed` runs after every commit with what the committed writes changed (and the
    /// change-feed positions logged, if known), before they are answered.
    pub fn start(
        data_dir: &Path,
        committed: impl Fn(Vec<Touched>, Vec<i64>) + Send + 'static,
    ) -> Result<Writer, StoreError> {
        let store = Store::open(data_dir)?;
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
        Writer::start_on(Box::new(SqliteSink { store }), committed)
    }

    /// Starts the writer thread on `sink`; `committed` runs after every commit with what the
    /// committed writes changed (and the change-feed positions logged, if known), before they
    /// are answered.
    pub fn start_on(
        mut sink: Box<dyn ReportSink>,
        committed: impl Fn(Vec<Touched>, Vec<i64>) + Send + 'static,
    ) -> Result<Writer, StoreError> {
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
                    let (writes, replies): (Vec<_>, Vec<_>) = jobs.into_iter().unzip();
                    let started = std::time::Instant::now();
                    let batch = writes.len();
                    let result = sink.commit(writes);
                    tracing::debug!(
                        batch,
                        micros = started.elapsed().as_micros() as u64,
                        "report commit"
                    );
                    match result {
                        Ok(outcomes) => {
                            let mut touched = Vec::with_capacity(outcomes.len());
                            let answers: Vec<_> = outcomes
                                .into_iter()
                                .map(|o| {
                                    o.map(|(written, t)| {
                                        touched.push(t);
                                        written
                                    })
                                })
                                .collect();
                            committed(touched, sink.logged());
                            for (reply, answer) in replies.into_iter().zip(answers) {
                                let _ = reply.send(answer);
                            }
                        }
                        Err(e) => {
                            tracing::error!("report commit failed: {e}");
                            for reply in replies {
                                let _ = reply.send(Err(WriteError::Store(
                                    "the transaction was not committed".into(),
                                )));
                            }
                        }
                    }
                }
            })
            .map_err(|e| StoreError::Io {
                path: "report writer".into(),
                source: e,
            })?;
        Ok(Writer { jobs: tx })
    }

    /// Applies `write` in the writer's next transaction and waits for the commit (and the
    /// hook after it). Blocks: call it off the async workers.
    pub fn write(&self, write: ReportWrite) -> Result<Written, WriteError> {
        let (reply, answer) = mpsc::sync_channel::<Result<Written, WriteError>>(1);
        self.jobs
            .send((write, reply))
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
    /// What the write was decided on changed meanwhile (another process's commit).
    #[error("{0}")]
    Conflict(String),
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
