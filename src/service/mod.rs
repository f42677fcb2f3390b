//! The service: everything the use-cases share — the snapshots of the data (exact and public),
//! the store, the report book with its writer, the tokens, the rate limits, the caches — and
//! how it follows the store's change feed. The HTTP edge (`crate::api`) and the command line
//! call it; it names no HTTP type.

mod error;
pub mod evaluation;
pub mod goals;
mod limits;
pub mod moderation;
pub mod query;
pub mod status_report;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use arc_swap::ArcSwap;

pub use error::{ServiceError, ServiceResult};

use crate::auth::{Caller, Need};
use crate::catalog::Catalog;
use crate::privacy::Disclosure;
use crate::store::writer::{ReportWrite, WriteError, Written};
use crate::store::{Repository, StoredToken};

/// Store connections for reads, and for the shared rate limits, unless
/// [`Service::with_pool_size`] says otherwise.
const READERS: usize = crate::config::DEFAULT_DB_POOL_SIZE;

/// Residents per safety district id.
type Populations =
    Arc<std::collections::HashMap<String, crate::analysis::safety_index::Population>>;

/// A store connection following the change feed, with how far the layers and the tokens held
/// in memory have followed it.
struct Following {
    store: Box<dyn Repository>,
    layers: i64,
    tokens: i64,
}

/// The report book kept up with the store: after every commit of this process's writer, and
/// on every poll for other processes' commits, it reads the reports the change feed names.
pub(crate) struct ReportFollower {
    store: Mutex<FollowerState>,
    book: Arc<crate::reports::ReportBook>,
}

/// What [`ReportFollower`] guards: its store connection, the feed position the book has
/// followed, and the positions after it that this process's writer logged and already put in
/// the book (the follower needn't read those back; with one replica, none).
struct FollowerState {
    store: Box<dyn Repository>,
    position: i64,
    own: std::collections::HashSet<i64>,
}

impl ReportFollower {
    /// Takes in this process's committed report writes: a new report as written, changed ones
    /// read back (under the same lock as [`ReportFollower::catch_up`], so a row read earlier
    /// never replaces one read later). Other processes' writes arrive through the feed; the
    /// feed positions `logged` by these writes are noted as taken in, once all of them are.
    fn take_in(
        &self,
        touched: Vec<crate::store::writer::Touched>,
        logged: Vec<i64>,
    ) -> crate::store::Result<()> {
        use crate::store::writer::Touched;
        let mut guard = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let state = &mut *guard;
        for t in touched {
            match t {
                Touched::Inserted(r) => self.book.insert_new(*r),
                Touched::Changed(ids) => {
                    for id in ids {
                        match state.store.load_report(id)? {
                            Some(r) => self.book.insert(r),
                            None => self.book.remove(id),
                        }
                    }
                }
            }
        }
        // Positions the follower has passed were read back already.
        let position = state.position;
        state
            .own
            .extend(logged.into_iter().filter(|&seq| seq > position));
        Ok(())
    }

    /// Reads the reports changed since the last look into the book; returns how many.
    fn catch_up(&self) -> crate::store::Result<usize> {
        use crate::store::{ChangeKind, Changes};
        let mut guard = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let FollowerState {
            store,
            position,
            own,
        } = &mut *guard;
        match store.changes_since(*position, ChangeKind::Report)? {
            Changes::Gap { .. } => {
                let now = store.change_position()?;
                let all = store.load_reports()?;
                let n = all.len();
                self.book.replace_all(all);
                *position = now;
                own.clear();
                Ok(n)
            }
            Changes::Since { now, keys, seqs } => {
                // This process's own writes are in the book already.
                let mut ids: Vec<i64> = seqs
                    .iter()
                    .zip(keys)
                    .filter(|(seq, _)| !own.remove(seq))
                    .filter_map(|(_, key)| key)
                    .collect();
                own.retain(|&seq| seq > now);
                ids.sort_unstable();
                ids.dedup();
                if ids.is_empty() {
                    *position = now;
                    return Ok(0);
                }
                let stored = store.load_reports_by_id(&ids)?;
                let found: std::collections::HashSet<i64> = stored.iter().map(|r| r.id).collect();
                for r in stored {
                    self.book.insert(r);
                }
                for id in ids.iter().filter(|id| !found.contains(id)) {
                    self.book.remove(*id);
                }
                *position = now;
                Ok(ids.len())
            }
        }
    }
}

/// Safety-index levels by (data version, public view, year).
type LevelCache =
    std::collections::HashMap<(String, bool, i32), Arc<Vec<crate::analysis::safety_index::Level>>>;

/// A part of the store that could not be loaded at start-up.
#[derive(Debug, thiserror::Error)]
#[error("{part}: {source}")]
pub struct StartError {
    /// Which part (`reports`, `tokens`, …).
    pub part: &'static str,
    /// Why.
    #[source]
    pub source: crate::store::StoreError,
}

/// The service: the snapshots of the data, the store, the report book and its writer, the
/// tokens, the rate limits and the caches that every use-case shares. No HTTP type appears here.
pub struct Service {
    catalog: ArcSwap<Catalog>,
    /// The public's view of `catalog` (see [`crate::privacy`]), swapped with it.
    public: ArcSwap<Catalog>,
    /// Smallest count a public aggregate shows.
    min_count: u32,
    /// Resident reports, as stored.
    reports: Arc<crate::reports::ReportBook>,
    /// The one writer of reports (group commit).
    report_writer: crate::store::writer::Writer,
    /// Keeps `reports` up with the store's change feed (this process's writes and others').
    report_follower: Arc<ReportFollower>,
    /// Reports per client (and "me too"s), 5 per 10 minutes by default, and the "me too"s
    /// already counted per client and report (a day at a time): in memory, or shared by the
    /// replicas in the database.
    limits: limits::Limits,
    /// The API tokens (salted hashes).
    tokens: ArcSwap<Vec<StoredToken>>,
    /// The store's connection for use-cases' writes.
    store: Mutex<Box<dyn Repository>>,
    /// Connections for reads, which SQLite in WAL mode serves beside a writer: reads do not
    /// queue behind a write or behind each other (up to one per connection).
    readers: Vec<Mutex<Box<dyn Repository>>>,
    /// Spreads waiting reads over `readers` when all are busy.
    next_reader: std::sync::atomic::AtomicUsize,
    /// Whether synthetic records are shown.
    demo: bool,
    /// Whether the store is PostgreSQL (see [`Service::off_runtime`]).
    postgres: bool,
    /// When the tokens were last confirmed current from the change feed, Unix milliseconds:
    /// a follower whose database fails, hangs or is cut off stops moving it.
    confirmed_at: std::sync::atomic::AtomicI64,
    /// Since when the follower has been loading changed layers, Unix milliseconds (0 when it
    /// is not): a long reload is progress, not a lost store.
    reloading_since: std::sync::atomic::AtomicI64,
    /// Whether a background follower runs (see [`follow_in_background`]); without one the
    /// store is read only when this process writes.
    followed: std::sync::atomic::AtomicBool,
    /// Where the store lives.
    location: crate::store::Location,
    /// A connection that follows the change feed for the layers and tokens.
    following: Mutex<Following>,
    /// Residents per safety district, for the districts of the snapshot with this version.
    populations: Mutex<Option<(String, Populations)>>,
    /// Safety-index levels by (data version, public view, year), for the goals and the report.
    levels: Mutex<LevelCache>,
}

impl Service {
    /// The service around an open store and the catalog loaded from it; `demo` says whether
    /// synthetic records are shown, `report_json` renders a report's public JSON (kept with
    /// each report in the book).
    ///
    /// Every part must load: a store with a damaged table (reports, tokens, …) or a writer that
    /// cannot start is refused with the part named, never served with the part missing.
    pub fn new(
        store: Box<dyn Repository>,
        catalog: Catalog,
        demo: bool,
        report_json: fn(&crate::reports::Report) -> Vec<u8>,
    ) -> Result<Self, StartError> {
        let part = |part: &'static str| move |source| StartError { part, source };
        let location = store.location();
        let tokens_at = store.change_position().map_err(part("change feed"))?;
        let tokens = store.tokens().map_err(part("tokens"))?;
        let reports_at = store.change_position().map_err(part("change feed"))?;
        let reports = store.load_reports().map_err(part("reports"))?;
        let book = Arc::new(crate::reports::ReportBook::new(reports, report_json));
        let report_follower = Arc::new(ReportFollower {
            store: Mutex::new(FollowerState {
                store: location.open().map_err(part("report follower"))?,
                position: reports_at,
                own: Default::default(),
            }),
            book: book.clone(),
        });
        let follower = report_follower.clone();
        let report_writer = location
            .start_report_writer(move |touched, logged| {
                if let Err(e) = follower.take_in(touched, logged) {
                    tracing::error!("reading committed reports back: {e}");
                }
            })
            .map_err(part("report writer"))?;
        let readers = (0..READERS)
            .map(|_| {
                location
                    .open()
                    .map(Mutex::new)
                    .map_err(part("store readers"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let following = Following {
            store: location.open().map_err(part("change feed"))?,
            layers: catalog.feed_position,
            tokens: tokens_at,
        };
        let public = catalog.generalised();
        let limits = match &location {
            crate::store::Location::Dir(_) => {
                limits::Limits::memory(crate::reports::ratelimit::REPORTS_PER_WINDOW)
            }
            crate::store::Location::Postgres(url) => limits::Limits::Shared {
                stores: (0..READERS)
                    .map(|_| {
                        crate::store::postgres::PgStore::connect(url.expose())
                            .map(Mutex::new)
                            .map_err(part("rate limits"))
                    })
                    .collect::<Result<_, _>>()?,
                per_window: crate::reports::ratelimit::REPORTS_PER_WINDOW,
                secret: limits::process_secret(),
            },
        };
        Ok(Service {
            reports: book,
            report_writer,
            report_follower,
            limits,
            catalog: ArcSwap::from_pointee(catalog),
            public: ArcSwap::from_pointee(public),
            min_count: crate::privacy::DEFAULT_MIN_COUNT,
            tokens: ArcSwap::from_pointee(tokens),
            store: Mutex::new(store),
            readers,
            next_reader: std::sync::atomic::AtomicUsize::new(0),
            demo,
            postgres: location.is_postgres(),
            confirmed_at: std::sync::atomic::AtomicI64::new(chrono::Utc::now().timestamp_millis()),
            reloading_since: std::sync::atomic::AtomicI64::new(0),
            followed: std::sync::atomic::AtomicBool::new(false),
            location,
            following: Mutex::new(following),
            populations: Mutex::new(None),
            levels: Mutex::new(LevelCache::default()),
        })
    }

    /// Warms both views of the current snapshot on a background thread (see
    /// [`Catalog::warm`]); `serve` calls it once at start-up, a reload on every change.
    pub fn warm_in_background(&self) {
        warm_in_background(vec![self.catalog.load_full(), self.public.load_full()]);
    }

    /// Keeps `n` store connections for reads, and on PostgreSQL `n` for the shared rate limits
    /// (`--db-pool-size`).
    pub fn with_pool_size(mut self, n: usize) -> Result<Self, StartError> {
        let part = |part: &'static str| move |source| StartError { part, source };
        let n = n.max(1);
        self.readers.truncate(n);
        while self.readers.len() < n {
            let store = self.location.open().map_err(part("store readers"))?;
            self.readers.push(Mutex::new(store));
        }
        if let limits::Limits::Shared { stores, .. } = &mut self.limits {
            stores.truncate(n);
            while stores.len() < n {
                let url = match &self.location {
                    crate::store::Location::Postgres(url) => url.expose().to_owned(),
                    crate::store::Location::Dir(_) => break,
                };
                let store =
                    crate::store::postgres::PgStore::connect(&url).map_err(part("rate limits"))?;
                stores.push(Mutex::new(store));
            }
        }
        Ok(self)
    }

    /// Sets how many reports one client may send per 10 minutes (0 = no limit, for load tests).
    pub fn with_report_limit(mut self, per_10_minutes: usize) -> Self {
        let per_window = if per_10_minutes == 0 {
            usize::MAX
        } else {
            per_10_minutes
        };
        self.limits = self.limits.with_per_window(per_window);
        self
    }

    /// Sets the secret the replicas share for their rate limits on PostgreSQL (see
    /// [`limits`]); without it each replica salts with a secret of its own, and a client's
    /// reports are counted per replica.
    pub fn with_rate_limit_secret(mut self, secret: &str) -> Self {
        use sha2::{Digest, Sha256};
        if let limits::Limits::Shared { secret: s, .. } = &mut self.limits {
            s.copy_from_slice(&Sha256::digest(secret.as_bytes()));
        }
        self
    }

    /// Whether this is the first "me too" for `report` under every one of `keys` (within a
    /// day); each is remembered.
    pub fn first_me_too(&self, keys: &[String], report: i64) -> bool {
        self.off_runtime(|| self.limits.first_me_too(keys, report))
    }

    /// Counts a report (or "me too") of the client known by `keys` against the per-client
    /// limit; `Err(seconds)` to wait when it is over (then it is not counted).
    pub fn check_report_limit(&self, keys: &[&str]) -> Result<(), u64> {
        self.off_runtime(|| self.limits.check_report(keys))
    }

    /// The reports.
    pub fn reports(&self) -> Arc<crate::reports::ReportBook> {
        self.reports.clone()
    }

    /// Stores a new report durably; returns its id once committed (and in the book), and
    /// whether it was stored earlier under the same idempotency key (`key`): then nothing new
    /// was written.
    pub fn store_report(
        &self,
        new: crate::reports::NewReport,
        key: Option<crate::store::writer::ReportKey>,
    ) -> Result<(i64, bool), WriteError> {
        match self
            .report_writer
            .write(ReportWrite::Insert(Box::new(new), key))?
        {
            Written::Id(id) => Ok((id, false)),
            Written::Existing(id) => Ok((id, true)),
            Written::Done => Err(WriteError::Store("no id for the new report".into())),
        }
    }

    /// The report stored earlier under the idempotency key `key` when it was asked for as now
    /// (`Ok(None)` when there is none, a refusal when the key came with another report).
    pub fn stored_under_key(
        &self,
        key: &crate::store::writer::ReportKey,
    ) -> Result<Option<i64>, WriteError> {
        let stored = self
            .read(|s| s.report_of_key(&key.key))
            .map_err(|e| WriteError::Store(e.to_string()))?;
        match stored {
            None => Ok(None),
            Some((id, request)) => {
                crate::store::writer::replayed(id, &request, &key.request).map(|_| Some(id))
            }
        }
    }

    /// Adds a "me too" to a report; returns its new count once committed.
    pub fn report_me_too(&self, id: i64) -> Result<u32, WriteError> {
        let at = chrono::Utc::now().timestamp();
        self.report_writer.write(ReportWrite::MeToo { id, at })?;
        Ok(self.reports.get(id).map_or(0, |r| r.me_too))
    }

    /// Stores a moderated report and its log entry (and the "me too" it gives the report it
    /// duplicates); returns the report once committed.
    pub fn store_moderation(
        &self,
        seen: crate::reports::Report,
        report: crate::reports::Report,
        entry: crate::reports::ModerationEntry,
        duplicate_of: Option<i64>,
    ) -> Result<crate::reports::Report, WriteError> {
        let written = report.clone();
        self.report_writer.write(ReportWrite::Moderate {
            seen: Box::new(seen),
            report: Box::new(report),
            entry: Box::new(entry),
            duplicate_of,
        })?;
        // The book's copy, unless reading the row back failed (then the report as written:
        // never one from before the decision).
        Ok(self
            .reports
            .get(written.id)
            .filter(|r| r.updated_at >= written.updated_at && r.status == written.status)
            .unwrap_or(written))
    }

    /// Reads the reports committed since the book last looked (by any process) into the book.
    pub(crate) fn catch_up_reports(&self) -> ServiceResult<()> {
        self.off_runtime(|| self.report_follower.catch_up())
            .map(|_| ())
            .map_err(|e| ServiceError::internal("following reports", e))
    }

    /// The moderation log of a report.
    pub fn moderation_log(&self, id: i64) -> ServiceResult<Vec<crate::reports::ModerationEntry>> {
        self.read(|s| s.moderation_log(id))
    }

    /// Records a safety walk.
    pub fn create_walk(
        &self,
        title: &str,
        date: &str,
        route: Option<&str>,
        participants: &[String],
        actor: &str,
        now: i64,
    ) -> ServiceResult<i64> {
        self.with_store(|s| s.create_walk(title, date, route, participants, actor, now))
    }

    /// Stores an initiative.
    pub fn create_initiative(
        &self,
        feature: &serde_json::Value,
        published: bool,
        actor: &str,
        now: i64,
    ) -> ServiceResult<i64> {
        self.with_store(|s| s.create_initiative(feature, published, actor, now))
    }

    /// Replaces initiative `id`'s feature; returns whether there was one.
    pub fn update_initiative(
        &self,
        id: i64,
        feature: &serde_json::Value,
        published: bool,
        now: i64,
    ) -> ServiceResult<bool> {
        self.with_store(|s| s.update_initiative(id, feature, published, now))
    }

    /// Deletes initiative `id`; returns whether there was one.
    pub fn delete_initiative(&self, id: i64) -> ServiceResult<bool> {
        self.with_store(|s| s.delete_initiative(id))
    }

    /// Stores measured values of goal `goal` as (period, value, note, source), all or none.
    pub fn put_measurements(
        &self,
        goal: &str,
        rows: &[(String, f64, Option<String>, Option<String>)],
        actor: &str,
        now: i64,
    ) -> ServiceResult<()> {
        self.off_runtime(|| {
            let mut store = self.lock_store()?;
            Ok(store.put_measurements(goal, rows, actor, now)?)
        })
    }

    /// Deletes goal `goal`'s measurement of `period`; returns whether there was one.
    pub fn delete_measurement(&self, goal: &str, period: &str) -> ServiceResult<bool> {
        self.with_store(|s| s.delete_measurement(goal, period))
    }

    /// Sets goal `goal`'s baseline, target and owner.
    pub fn set_goal_settings(
        &self,
        goal: &str,
        settings: &crate::store::GoalSettings,
        actor: &str,
        now: i64,
    ) -> ServiceResult<()> {
        self.with_store(|s| s.set_goal_settings(goal, settings, actor, now))
    }

    /// Stores an observation recorded on safety walk `walk` and waits until the catalog
    /// holds it.
    pub fn record_walk_observation(
        &self,
        observation: &crate::store::NewObservation,
        walk: i64,
    ) -> ServiceResult<()> {
        self.write(|store| {
            store.insert_walk_observation(observation, walk)?;
            Ok(((), true))
        })
    }

    /// Imports `records` into `layer` all or nothing (see [`crate::ingest::import::commit`]); when
    /// anything was committed, returns after the catalog holds it.
    pub fn import(
        &self,
        layer: crate::model::Layer,
        records: crate::ingest::Records,
        skip_invalid: bool,
        source: &str,
        started: Instant,
    ) -> ServiceResult<crate::ingest::import::ImportSummary> {
        self.write(|store| {
            let s =
                crate::ingest::import::commit(store, layer, records, skip_invalid, source, started)
                    .map_err(|e| ServiceError::internal("import", e))?;
            let changed = s.committed;
            Ok((s, changed))
        })
    }

    /// Every initiative.
    pub fn initiatives(&self) -> ServiceResult<Vec<crate::store::StoredInitiative>> {
        self.read(|s| s.initiatives())
    }

    /// Every walk.
    pub fn walks(&self) -> ServiceResult<Vec<crate::store::Walk>> {
        self.read(|s| s.walks())
    }

    /// Whether walk `id` exists.
    pub fn walk_exists(&self, id: i64) -> ServiceResult<bool> {
        self.read(|s| s.walk_exists(id))
    }

    fn lock_store(&self) -> ServiceResult<std::sync::MutexGuard<'_, Box<dyn Repository>>> {
        self.store
            .lock()
            .map_err(|_| ServiceError::Internal("store lock poisoned".into()))
    }

    /// Runs `f` where a blocking database client may run: here, unless this is a thread of
    /// an async runtime (an HTTP worker) and the store is PostgreSQL, whose client runs a
    /// runtime of its own and must not be started inside another; then on a thread of its
    /// own. (SQLite's calls simply block, as they do on the blocking threads handlers use.)
    fn off_runtime<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        if !self.postgres || tokio::runtime::Handle::try_current().is_err() {
            return f();
        }
        std::thread::scope(|s| s.spawn(f).join()).unwrap_or_else(|p| std::panic::resume_unwind(p))
    }

    /// Runs the read `f` on a free reader connection (or waits for one).
    fn read<T: Send>(
        &self,
        f: impl FnOnce(&dyn Repository) -> crate::store::Result<T> + Send,
    ) -> ServiceResult<T> {
        self.off_runtime(|| {
            use std::sync::TryLockError;
            for r in &self.readers {
                match r.try_lock() {
                    Ok(g) => return Ok(f(g.as_ref())?),
                    Err(TryLockError::Poisoned(p)) => return Ok(f(p.into_inner().as_ref())?),
                    Err(TryLockError::WouldBlock) => {}
                }
            }
            let i = self
                .next_reader
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                % self.readers.len();
            let g = self.readers[i].lock().unwrap_or_else(|e| e.into_inner());
            Ok(f(g.as_ref())?)
        })
    }

    /// Runs the write `f` on the store's connection (writes are serialised).
    fn with_store<T: Send>(
        &self,
        f: impl FnOnce(&dyn Repository) -> crate::store::Result<T> + Send,
    ) -> ServiceResult<T> {
        self.off_runtime(|| {
            let store = self.lock_store()?;
            Ok(f(store.as_ref())?)
        })
    }

    /// Sets the smallest count a public aggregate shows (default 3).
    pub fn with_min_count(mut self, min_count: u32) -> Self {
        self.min_count = min_count.max(1);
        self
    }

    /// The current snapshot of the exact data. Handlers that answer with incident data take
    /// [`Service::view`] instead.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.load_full()
    }

    /// The snapshot `caller` may see for `need`, and how much its answers may disclose:
    /// points (items, tiles, exports) are exact for police and admin; aggregates (analysis,
    /// summaries) also for planners; everyone else gets the generalised view.
    pub fn view(&self, caller: &Caller, need: Need) -> (Arc<Catalog>, Disclosure) {
        if caller.sees_exact(need) {
            (self.catalog.load_full(), Disclosure::EXACT)
        } else if need == Need::Aggregates && caller.role != crate::auth::Role::Public {
            (self.public.load_full(), Disclosure::GENERALISED)
        } else {
            (self.public.load_full(), Disclosure::public(self.min_count))
        }
    }

    /// Residents per safety district (district 8 recorded, the rest estimated), computed once
    /// per snapshot of the districts.
    pub fn populations(&self) -> Populations {
        let catalog = self.catalog();
        let mut kept = self.populations.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((version, p)) = &*kept {
            if *version == catalog.version {
                return p.clone();
            }
        }
        let p = Arc::new(crate::analysis::safety_index::population_table(
            &catalog.districts,
        ));
        *kept = Some((catalog.version.clone(), p.clone()));
        p
    }

    /// The safety-index levels of `year` over `cat` with the default thresholds, computed
    /// once per data version and view.
    pub fn safety_levels(
        &self,
        cat: &Catalog,
        year: i32,
    ) -> Arc<Vec<crate::analysis::safety_index::Level>> {
        use crate::analysis::safety_index::{levels, Thresholds};
        let key = (cat.version.clone(), cat.is_public(), year);
        if let Some(v) = self.levels.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return v;
        }
        let v = Arc::new(levels(
            cat,
            year,
            &self.populations(),
            Thresholds::default(),
        ));
        if let Ok(mut c) = self.levels.lock() {
            c.retain(|k, _| k.0 == key.0);
            c.insert(key, v.clone());
        }
        v
    }

    /// Who presents this token, if it is a live one.
    pub fn caller_of(&self, token: &str) -> Option<Caller> {
        crate::auth::check(&self.tokens.load(), token)
    }

    /// Appends an entry to the audit log; it is durable when this returns.
    pub fn record_audit(&self, entry: &crate::store::AuditEntry) -> ServiceResult<()> {
        self.with_store(|s| s.record_audit(entry))?;
        Ok(())
    }

    /// A page of the audit log, newest first, and the number of entries.
    pub fn audit_page(
        &self,
        limit: usize,
        offset: usize,
    ) -> ServiceResult<(Vec<crate::store::AuditEntry>, i64)> {
        self.read(|s| s.audit(limit, offset))
    }

    /// Runs `f` with the store locked (writes are serialised), then follows the change feed
    /// so that readers see the committed state whole before this returns.
    ///
    /// `f` says whether it changed anything; when it did not (a refused import), nothing is
    /// reloaded.
    fn write<T: Send>(
        &self,
        f: impl FnOnce(&mut dyn Repository) -> ServiceResult<(T, bool)> + Send,
    ) -> ServiceResult<T> {
        self.off_runtime(|| {
            let out = {
                let mut store = self.lock_store()?;
                let (out, changed) = f(store.as_mut())?;
                if !changed {
                    return Ok(out);
                }
                out
            };
            self.follow_store()?;
            Ok(out)
        })
    }

    /// Seconds since the tokens were last confirmed current from the store's change feed,
    /// when that is longer than a few polls (`None` while the server follows its store, or is
    /// busy loading changed layers for less than [`RELOAD_GRACE_S`]): a server whose store
    /// failed, hangs or is cut off cannot learn of revocations or others' writes, and says so
    /// in its health and refuses tokens (see [`Service::store_stale_s`]).
    pub fn store_unreachable_s(&self) -> Option<f64> {
        use std::sync::atomic::Ordering::Relaxed;
        if !self.followed.load(Relaxed) {
            return None;
        }
        let now = chrono::Utc::now().timestamp_millis();
        let reloading = self.reloading_since.load(Relaxed);
        if reloading > 0 && now - reloading < RELOAD_GRACE_S * 1000 {
            return None;
        }
        let age = (now - self.confirmed_at.load(Relaxed)).max(0) as f64 / 1000.0;
        (age > UNCONFIRMED_S).then_some(age)
    }

    /// [`Service::store_unreachable_s`] when it is over [`STALE_S`]: then the server answers
    /// its health with 503 and refuses every token (it could be one revoked meanwhile).
    pub fn store_stale_s(&self) -> Option<f64> {
        self.store_unreachable_s().filter(|s| *s > STALE_S)
    }

    /// Deletes the change log's rows older than [`crate::store::KEEP_CHANGES_S`].
    fn prune_changes(&self) {
        let guard = self.following.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = guard.store.prune_changes(chrono::Utc::now().timestamp()) {
            tracing::warn!("pruning the change feed: {e}");
        }
    }

    /// Takes in what was committed to the store since the last look, by this process or any
    /// other on the same store (`hotspot import`, `hotspot token`, a second `serve`): reloads
    /// the catalog when the layers changed, the tokens when they changed, and reads changed
    /// reports into the book. Returns whether the catalog was reloaded. Reads never wait for
    /// it: it has its own connection, and swaps the new snapshot in whole.
    pub fn follow_store(&self) -> ServiceResult<bool> {
        use crate::store::{ChangeKind, Changes};
        // Tokens first, on their own: a revocation must reach this process even when reading
        // reports or reloading the layers fails. A lock poisoned by a panic elsewhere is taken
        // over (what it guards is re-read from the store).
        let mut guard = self.following.lock().unwrap_or_else(|e| e.into_inner());
        let f = &mut *guard;
        let internal = |e: crate::store::StoreError| ServiceError::Internal(e.to_string());
        let tokens = f
            .store
            .changes_since(f.tokens, ChangeKind::Tokens)
            .map_err(internal)?;
        let (tokens_changed, tokens_now) = match tokens {
            Changes::Gap { now } => (true, now),
            Changes::Since { now, keys, .. } => (!keys.is_empty(), now),
        };
        if tokens_changed {
            self.tokens
                .store(Arc::new(f.store.tokens().map_err(internal)?));
        }
        f.tokens = tokens_now;
        self.confirmed_at.store(
            chrono::Utc::now().timestamp_millis(),
            std::sync::atomic::Ordering::Relaxed,
        );
        let reports = self.report_follower.catch_up();
        let observations = Some(crate::store::layer_key(crate::model::Layer::Observations));
        let (layers_changed, observations_only) = match f
            .store
            .changes_since(f.layers, ChangeKind::Layers)
            .map_err(internal)?
        {
            Changes::Gap { .. } => (true, None),
            Changes::Since { now, keys, .. } => {
                if keys.is_empty() {
                    f.layers = now;
                }
                let only = !keys.is_empty() && keys.iter().all(|k| *k == observations);
                (!keys.is_empty(), only.then_some(now))
            }
        };
        if let Some(now) = observations_only {
            // Only observations changed: both views take the new ones beside the incidents
            // they hold (no full reload, whatever the number of incidents).
            let observations = f.store.load_observations(self.demo).map_err(internal)?;
            let (exact, public) = (self.catalog.load_full(), self.public.load_full());
            let public = Arc::new(public.with_observations(observations.clone(), now));
            let exact = Arc::new(exact.with_observations(observations, now));
            f.layers = now;
            self.public.store(public);
            self.catalog.store(exact);
        } else if layers_changed {
            use std::sync::atomic::Ordering::Relaxed;
            self.reloading_since
                .store(chrono::Utc::now().timestamp_millis(), Relaxed);
            let catalog = Catalog::load(f.store.as_ref(), self.demo);
            self.reloading_since.store(0, Relaxed);
            let catalog = catalog.map_err(internal)?;
            f.layers = catalog.feed_position;
            let public = catalog.generalised();
            // The public view first: a reader never pairs new exact data with an old public
            // view for longer than this gap, and both carry their version.
            let (catalog, public) = (Arc::new(catalog), Arc::new(public));
            self.public.store(public.clone());
            self.catalog.store(catalog.clone());
            warm_in_background(vec![catalog, public]);
        }
        reports.map_err(|e| ServiceError::internal("following reports", e))?;
        Ok(layers_changed)
    }
}

/// How often the change feed is read when nothing wakes the follower earlier.
const POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// Seconds without confirming the tokens after which a server says its store is unreachable
/// (four polls).
const UNCONFIRMED_S: f64 = 1.0;

/// Seconds after which it is stale: its health answers 503 (a load balancer sends requests
/// elsewhere) and it refuses tokens until it has caught up.
pub const STALE_S: f64 = 3.0;

/// Seconds a reload of changed layers may take before the server counts as stale anyway.
const RELOAD_GRACE_S: i64 = 120;

/// Follows the store's change feed on a thread of its own, for as long as the process runs
/// (see [`Service::follow_store`]): on PostgreSQL as soon as a commit's notification arrives,
/// and every quarter second in any case (the fallback that cannot miss a change, since it reads
/// the log from its position); `serve` starts it once.
pub fn follow_in_background<S: AsRef<Service> + Send + Sync + 'static>(
    service: Arc<S>,
) -> std::io::Result<()> {
    let mut wait = (*service).as_ref().location.change_waiter();
    let prune = (*service).as_ref().postgres;
    {
        use std::sync::atomic::Ordering::Relaxed;
        let s = (*service).as_ref();
        s.confirmed_at
            .store(chrono::Utc::now().timestamp_millis(), Relaxed);
        s.followed.store(true, Relaxed);
    }
    std::thread::Builder::new()
        .name("store-watch".into())
        .spawn(move || for round in 0u64.. {
            wait(POLL);
            let s = (*service).as_ref();
            // On SQLite the report writer prunes the log; on PostgreSQL every replica does, once
            // a minute or so (a delete of nothing costs little).
            if prune && round % 240 == 0 {
                s.prune_changes();
                s.limits.prune();
            }
            // A panic in one poll must not end the following (revocations would stop
            // arriving): it is logged and the next poll starts afresh.
            let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.follow_store()));
            let Ok(polled) = polled else {
                tracing::error!("following the store panicked; trying again");
                continue;
            };
            match polled {
                Ok(true) => {
                    let c = s.catalog();
                    tracing::info!(incidents = c.incidents.len(), observations = c.observations.len(), districts = c.districts.len(), data_version = %c.version, "store changed; reloaded");
                }
                Ok(false) => {}
                Err(e) => tracing::error!("following the store failed: {e}"),
            }
        })
        .map(|_| ())
}

/// Warms `catalogs` one after another on a new thread (a newer snapshot's thread runs beside
/// an older one's; each ends when its catalog is warm).
fn warm_in_background(catalogs: Vec<Arc<Catalog>>) {
    let spawned = std::thread::Builder::new()
        .name("warm-snapshot".into())
        .spawn(move || {
            let started = Instant::now();
            // The first report or observation note would otherwise compile the patterns.
            crate::reports::scrub::warm();
            for c in &catalogs {
                c.warm();
            }
            tracing::debug!(ms = started.elapsed().as_millis() as u64, "snapshot warmed");
            // Then, if the incidents came out of SQLite, the file that spares the next start
            // from reading them there.
            for c in &catalogs {
                c.write_owed_snapshot();
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not start the warm-up thread; queries warm the snapshot themselves");
    }
}
