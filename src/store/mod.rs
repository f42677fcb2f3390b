//! The embedded SQLite store: one file, `hotspot.sqlite`, in the data directory. This is the only
//! module that knows SQL.
//!
//! WAL mode with `synchronous=FULL`: a write returns only after its transaction is durable, so
//! anything acknowledged survives `kill -9` and power loss. Geometries are stored as GeoJSON text
//! in WGS84 lon/lat; times as Unix seconds (UTC).

mod changes;
mod location;
mod migrations;
mod planning;
pub mod postgres;
mod reports;
mod repository;
pub mod snapshot;

pub use changes::{layer_key, ChangeKind, Changes, KEEP_CHANGES_S};
pub use location::{DatabaseUrl, Location};
pub use planning::{GoalSettings, Measurement, StoredInitiative};
pub use reports::Walk;
pub use repository::{
    AuditStore, ChangeFeed, LayerStore, PlanningStore, ReportStore, Repository, TokenStore,
};
pub mod writer;

use std::path::{Path, PathBuf};

use geo::MultiPolygon;
use rusqlite::{params, Connection, OptionalExtension};

use crate::model::Layer;
use crate::model::{Category, District, Incident, Incidents, Observation, Precision, Source};
pub use crate::model::{NewIncident, NewObservation};

/// File name of the store inside the data directory.
pub const STORE_FILE: &str = "hotspot.sqlite";

/// The `source` of the synthetic demo records.
pub const DEMO_SOURCE: &str = "synthetic-demo";

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite said no.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The data directory could not be made or read.
    #[error("data directory {path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A row holds something this version cannot read.
    #[error("corrupt row in {table} (id {id}): {reason}")]
    Corrupt {
        /// Which table.
        table: &'static str,
        /// Which row.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// PostgreSQL said no (or could not be reached): its message, and its detail if any.
    #[error("PostgreSQL: {0}")]
    Postgres(String),
    /// An operation that would lose or mix data, refused before anything was written.
    #[error("{0}")]
    Refused(String),
    /// The file was written by a newer hotspot.
    #[error(
        "store schema version {found} is newer than this binary's {supported}; upgrade hotspot"
    )]
    TooNew {
        /// Version in the file.
        found: i64,
        /// Newest version this binary knows.
        supported: i64,
    },
}

impl From<::postgres::Error> for StoreError {
    fn from(e: ::postgres::Error) -> Self {
        // The client's own Display says only "db error": the server's message is in the cause.
        let text = match e.as_db_error() {
            Some(db) => match db.detail() {
                Some(detail) => format!("{} ({detail})", db.message()),
                None => db.message().to_owned(),
            },
            None => match std::error::Error::source(&e) {
                Some(cause) => format!("{e}: {cause}"),
                None => e.to_string(),
            },
        };
        StoreError::Postgres(text)
    }
}

/// Result of the store module.
pub type Result<T> = std::result::Result<T, StoreError>;

/// An open store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The key of the incidents last read from SQLite rather than from a snapshot: a
    /// snapshot of them is owed (see [`Store::incident_snapshot_writer`]).
    snapshot_owed: std::cell::Cell<Option<snapshot::Key>>,
}

/// Incidents from which each further reader connection pays for itself at start-up (a few
/// rows in the unit tests, so that they read in parts too).
const ROWS_PER_READER: i64 = if cfg!(test) { 4 } else { 200_000 };

/// Incidents per batch of an insert (their cells and public ids are made a batch ahead).
const BLOCK: usize = 16_384;

/// Incidents per `INSERT` statement of a large insert.
const ROWS_PER_INSERT: usize = 64;

/// Columns of an incident's row that an insert sets.
const INCIDENT_COLUMNS: usize = 11;

/// `INSERT` of `rows` incidents, skipping any whose `(source, source_id)` is stored.
fn insert_incidents_sql(rows: usize) -> String {
    let row = format!("({})", ["?"; INCIDENT_COLUMNS].join(", "));
    format!(
        "INSERT INTO incidents(id, category, occurred_at, lon, lat, precision, source, source_id, synthetic, cell, public_id)
         VALUES {}
         ON CONFLICT(source, source_id) DO NOTHING",
        vec![row; rows].join(", ")
    )
}

/// Binds incident `i` with its id, anchor cell and public id to the parameters after `at`.
fn bind_incident(
    stmt: &mut rusqlite::Statement<'_>,
    at: usize,
    i: &NewIncident,
    (id, cell, public_id): (i64, Option<i64>, i64),
) -> Result<()> {
    stmt.raw_bind_parameter(at + 1, id)?;
    stmt.raw_bind_parameter(at + 2, i.category.code())?;
    stmt.raw_bind_parameter(at + 3, i.occurred_at)?;
    stmt.raw_bind_parameter(at + 4, i.lon)?;
    stmt.raw_bind_parameter(at + 5, i.lat)?;
    stmt.raw_bind_parameter(at + 6, i.precision.code())?;
    stmt.raw_bind_parameter(at + 7, &i.source)?;
    stmt.raw_bind_parameter(at + 8, &i.source_id)?;
    stmt.raw_bind_parameter(at + 9, i.synthetic)?;
    stmt.raw_bind_parameter(at + 10, cell)?;
    stmt.raw_bind_parameter(at + 11, public_id)?;
    Ok(())
}

/// Creates (or truncates) the file at `path`, readable and writable by its owner only (on
/// Unix): for anything that holds personal data, such as the store, its backups and exports.
pub fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    // A file that was there already keeps its mode unless told (which only its owner may).
    if let Err(e) = make_private(path) {
        tracing::warn!(path = %path.display(), error = %e, "could not make the file owner-only");
    }
    Ok(file)
}

/// Takes away any access to the file at `path` by others than its owner (on Unix).
pub fn make_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))?;
        }
    }
    Ok(())
}

/// The public-id secret from its 64 hex digits in `meta`.
fn parse_key(hex: &str) -> Result<[u8; 32]> {
    let bad = |reason: &str| StoreError::Corrupt {
        table: "meta",
        id: "public_id_key".into(),
        reason: reason.into(),
    };
    let mut key = [0u8; 32];
    if hex.len() != 64 {
        return Err(bad("not 64 hex digits"));
    }
    for (k, pair) in key.iter_mut().zip(hex.as_bytes().chunks(2)) {
        let s = std::str::from_utf8(pair).map_err(|_| bad("not hex"))?;
        *k = u8::from_str_radix(s, 16).map_err(|_| bad("not hex"))?;
    }
    Ok(key)
}

/// The incidents with ids in `ids` (both ends included), by id; synthetic ones only when
/// `with_synthetic`; each with its anchor cell and first-round public id when every one has
/// them stored.
fn read_incidents(
    conn: &Connection,
    (first, last): (i64, i64),
    with_synthetic: bool,
) -> Result<Incidents> {
    let mut stmt = conn.prepare(
        "SELECT id, category, occurred_at, lon, lat, precision, source, source_id, cell, public_id
         FROM incidents WHERE id BETWEEN ?2 AND ?3 AND (synthetic = 0 OR ?1) ORDER BY id",
    )?;
    let mut rows = stmt.query(params![with_synthetic, first, last])?;
    let mut out = IncidentRows::new((last - first + 1).max(0) as usize);
    while let Some(r) = rows.next()? {
        let id = r.get::<_, i64>(0)?;
        let bytes = |col: usize| -> Result<&[u8]> {
            r.get_ref(col)?.as_bytes().map_err(|e| StoreError::Corrupt {
                table: "incidents",
                id: id.to_string(),
                reason: format!("column {col}: {e}"),
            })
        };
        out.push(
            IncidentRow {
                id,
                category: bytes(1)?,
                occurred_at: r.get(2)?,
                lon: r.get(3)?,
                lat: r.get(4)?,
                precision: bytes(5)?,
                source: bytes(6)?,
                source_id: bytes(7)?,
            },
            r.get(8)?,
            r.get(9)?,
        )?;
    }
    Ok(out.finish())
}

/// One stored incident's columns as read, codes and names as bytes (checked as text once,
/// when first seen), for [`IncidentRows`]: what every backend reads.
pub(crate) struct IncidentRow<'a> {
    pub id: i64,
    pub category: &'a [u8],
    pub occurred_at: i64,
    pub lon: f64,
    pub lat: f64,
    pub precision: &'a [u8],
    pub source: &'a [u8],
    pub source_id: &'a [u8],
}

/// Incidents being read, by id: each with its anchor cell and first-round public id when
/// every one has them stored (else none keeps them and the catalog finds them all). Source
/// names are interned once per read (a handful per store).
pub(crate) struct IncidentRows {
    out: Incidents,
    sources: Vec<(Vec<u8>, Source)>,
    with_derived: bool,
}

impl IncidentRows {
    /// Room for about `n` incidents.
    pub(crate) fn new(n: usize) -> IncidentRows {
        IncidentRows {
            out: Incidents::with_capacity(n, 12),
            sources: Vec::new(),
            with_derived: true,
        }
    }

    /// Adds a row, with its stored anchor cell (an H3 index as i64) and public id if any.
    pub(crate) fn push(
        &mut self,
        r: IncidentRow<'_>,
        cell: Option<i64>,
        public_id: Option<i64>,
    ) -> Result<()> {
        let corrupt = |reason: String| StoreError::Corrupt {
            table: "incidents",
            id: r.id.to_string(),
            reason,
        };
        fn text(b: &[u8], id: i64) -> Result<&str> {
            std::str::from_utf8(b).map_err(|e| StoreError::Corrupt {
                table: "incidents",
                id: id.to_string(),
                reason: e.to_string(),
            })
        }
        let source = match self.sources.iter().find(|(s, _)| s == r.source) {
            Some((_, s)) => *s,
            None => {
                let s = Source::new(text(r.source, r.id)?);
                self.sources.push((r.source.to_vec(), s));
                s
            }
        };
        let category = match Category::ALL
            .into_iter()
            .find(|c| c.code().as_bytes() == r.category)
        {
            Some(c) => c,
            None => text(r.category, r.id)?
                .parse::<Category>()
                .map_err(|e| corrupt(e.to_string()))?,
        };
        let precision = match Precision::ALL
            .into_iter()
            .find(|p| p.code().as_bytes() == r.precision)
        {
            Some(p) => p,
            None => text(r.precision, r.id)?
                .parse::<Precision>()
                .map_err(corrupt)?,
        };
        let incident = Incident {
            id: r.id,
            category,
            occurred_at: r.occurred_at,
            lon: r.lon,
            lat: r.lat,
            precision,
            source,
        };
        let source_id = text(r.source_id, r.id)?;
        let cell = cell.and_then(|c| h3o::CellIndex::try_from(c as u64).ok());
        match (cell, public_id) {
            (Some(cell), Some(public_id)) if self.with_derived => {
                self.out.push_derived(incident, source_id, cell, public_id)
            }
            _ => {
                if self.with_derived {
                    self.with_derived = false;
                    self.out.forget_derived();
                }
                self.out.push(incident, source_id)
            }
        }
        Ok(())
    }

    /// The incidents read.
    pub(crate) fn finish(self) -> Incidents {
        self.out
    }
}

impl Store {
    /// Opens (creating if needed) the store in `data_dir` and brings its schema up to date.
    pub fn open(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::Io {
            path: data_dir.to_owned(),
            source,
        })?;
        let path = data_dir.join(STORE_FILE);
        // The store holds personal data (exact positions, reporters' contacts): readable by
        // its owner only. SQLite makes its WAL and shared-memory files with the same mode.
        if path.exists() {
            // A store made by an older hotspot, or by hand: tightened when this process may
            // (it must be the files' owner), else left as it is, with a warning.
            for file in ["", "-wal", "-shm"] {
                let file = data_dir.join(format!("{STORE_FILE}{file}"));
                if let Err(e) = file.exists().then(|| make_private(&file)).transpose() {
                    tracing::warn!(path = %file.display(), error = %e, "could not make the store owner-only");
                }
            }
        } else {
            create_private(&path).map_err(|source| StoreError::Io {
                path: path.clone(),
                source,
            })?;
        }
        let mut conn = Connection::open(&path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // 64 MiB page cache: large imports update the (source, source_id) index all over.
        conn.pragma_update(None, "cache_size", -65_536)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // Every transaction here writes, and many read first (the report writer reads an
        // idempotency key, then inserts): begun as DEFERRED, one whose snapshot another
        // connection's commit outdated is refused at its first write ("database is locked",
        // no busy wait). IMMEDIATE takes the write lock at BEGIN, waiting its turn.
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        migrations::migrate(&mut conn)?;
        Ok(Store {
            conn,
            path,
            snapshot_owed: std::cell::Cell::new(None),
        })
    }

    /// Runs `f` in one transaction, committed (durably) when `f` succeeds.
    pub fn in_transaction<T>(&mut self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let tx = self.conn.transaction()?;
        let v = f(&tx)?;
        tx.commit()?;
        Ok(v)
    }

    /// Sets how many WAL pages make this connection checkpoint after a commit (0 = never).
    pub fn set_autocheckpoint(&self, pages: i64) -> Result<()> {
        self.conn.pragma_update(None, "wal_autocheckpoint", pages)?;
        Ok(())
    }

    /// Copies what it can of the WAL into the database without waiting for anyone.
    pub fn checkpoint_passive(&self) -> Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Path of the SQLite file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A value from the `meta` table.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// The secret behind the public incident ids (32 bytes, made by a migration).
    pub fn public_id_key(&self) -> Result<[u8; 32]> {
        let hex = self
            .meta("public_id_key")?
            .ok_or_else(|| StoreError::Corrupt {
                table: "meta",
                id: "public_id_key".into(),
                reason: "missing".into(),
            })?;
        parse_key(&hex)
    }

    /// Sets a value in the `meta` table (durably).
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Sets a value in the store's settings unless it is set; returns whether this call set it
    /// (of two processes starting together, one does).
    pub fn claim_meta(&self, key: &str, value: &str) -> Result<bool> {
        Ok(self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO NOTHING",
            params![key, value],
        )? == 1)
    }

    /// Replaces the shipped districts with `districts` in one transaction, unless the store
    /// already holds the shipped set whose digest is `digest`. Returns whether it wrote.
    pub fn sync_shipped_districts(&mut self, districts: &[District], digest: &str) -> Result<bool> {
        if self.meta("shipped_districts_digest")?.as_deref() == Some(digest) {
            return Ok(false);
        }
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM districts WHERE source = 'shipped'", [])?;
        bump_generation(&tx)?;
        upsert_districts_in(&tx, districts, "shipped")?;
        tx.execute(
            "INSERT INTO meta(key, value) VALUES ('shipped_districts_digest', ?1)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [digest],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Every district, ordered by level (bydel, district, rode) and then by number.
    pub fn load_districts(&self) -> Result<Vec<District>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, name, level, population, parent, geometry FROM districts
             ORDER BY CASE level WHEN 'bydel' THEN 0 WHEN 'district' THEN 1 ELSE 2 END,
                      CAST(substr(id, instr(id, '-') + 1) AS INTEGER), id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<u32>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, level, population, parent, geometry) = row?;
            let corrupt = |reason: String| StoreError::Corrupt {
                table: "districts",
                id: id.clone(),
                reason,
            };
            let level = level.parse().map_err(corrupt)?;
            let geometry: MultiPolygon<f64> = geometry
                .parse::<geojson::Geometry>()
                .map_err(|e| e.to_string())
                .and_then(|g| MultiPolygon::try_from(g).map_err(|e| e.to_string()))
                .map_err(corrupt)?;
            out.push(District {
                id,
                name,
                level,
                population,
                parent,
                geometry,
            });
        }
        Ok(out)
    }

    /// Inserts incidents in one transaction; a record whose `(source, source_id)` is already
    /// stored is left as it is. Returns how many were new.
    pub fn insert_incidents(&mut self, incidents: &[NewIncident]) -> Result<usize> {
        let committed = self.insert_incident_batches(incidents.chunks(BLOCK), &mut || true)?;
        // Always told to commit, so always `Some`.
        Ok(committed.unwrap_or(0))
    }

    /// Inserts the incidents of `batches` (as they arrive, e.g. from a file being read) in one
    /// transaction, skipping known `(source, source_id)`; once they have all arrived, commits
    /// if `commit()` says so (and returns how many were new) or rolls back (`None`).
    pub fn insert_incidents_streamed(
        &mut self,
        batches: std::sync::mpsc::Receiver<Vec<NewIncident>>,
        commit: &mut dyn FnMut() -> bool,
    ) -> Result<Option<usize>> {
        self.insert_incident_batches(batches.into_iter(), commit)
    }

    fn insert_incident_batches<B: AsRef<[NewIncident]> + Send>(
        &mut self,
        batches: impl Iterator<Item = B> + Send,
        commit: &mut dyn FnMut() -> bool,
    ) -> Result<Option<usize>> {
        let key = self.public_id_key()?;
        // A large import updates the (source, source_id) index all over: a larger page cache
        // while it runs (given back after).
        self.conn.pragma_update(None, "cache_size", -524_288)?;
        let result = self.insert_incident_batches_in(batches, &key, commit);
        self.conn.pragma_update(None, "cache_size", -65_536)?;
        result
    }

    fn insert_incident_batches_in<B: AsRef<[NewIncident]> + Send>(
        &mut self,
        batches: impl Iterator<Item = B> + Send,
        key: &[u8; 32],
        commit: &mut dyn FnMut() -> bool,
    ) -> Result<Option<usize>> {
        let tx = self.conn.transaction()?;
        let mut added = 0;
        {
            // First a write, so that this transaction holds the write lock from here on.
            bump_generation(&tx)?;
            // The ids the rows will get: the next after the largest, one per row in the order
            // given, as this is the only writer in the transaction (a row skipped as already
            // stored leaves its id unused).
            let first: i64 =
                tx.query_row("SELECT coalesce(max(id), 0) + 1 FROM incidents", [], |r| {
                    r.get(0)
                })?;
            // Rows go in [`ROWS_PER_INSERT`] to a statement: one statement's work per row is
            // then a fraction (binding, the B-trees' cursors, ending the statement).
            let mut many = tx.prepare(&insert_incidents_sql(ROWS_PER_INSERT))?;
            let mut one = tx.prepare(&insert_incidents_sql(1))?;
            // Each incident's anchor cell and public id are made on another core, a batch
            // ahead of the inserts.
            std::thread::scope(|s| -> Result<()> {
                let (to_insert, derived) = std::sync::mpsc::sync_channel(4);
                s.spawn(move || {
                    let mut id = first;
                    for batch in batches {
                        let made: Vec<(i64, Option<i64>, i64)> = batch
                            .as_ref()
                            .iter()
                            .map(|i| {
                                let cell = crate::privacy::anchor_cell(i.lon, i.lat)
                                    .map(|c| u64::from(c) as i64);
                                id += 1;
                                (id - 1, cell, crate::privacy::public_id(key, id - 1, 0))
                            })
                            .collect();
                        if to_insert.send((batch, made)).is_err() {
                            return;
                        }
                    }
                });
                for (batch, made) in derived {
                    let rows = batch.as_ref();
                    for (chunk, made) in rows
                        .chunks(ROWS_PER_INSERT)
                        .zip(made.chunks(ROWS_PER_INSERT))
                    {
                        if chunk.len() == ROWS_PER_INSERT {
                            for (n, (i, d)) in chunk.iter().zip(made).enumerate() {
                                bind_incident(&mut many, n * INCIDENT_COLUMNS, i, *d)?;
                            }
                            added += many.raw_execute()?;
                        } else {
                            for (i, d) in chunk.iter().zip(made) {
                                bind_incident(&mut one, 0, i, *d)?;
                                added += one.raw_execute()?;
                            }
                        }
                    }
                }
                Ok(())
            })?;
        }
        if !commit() {
            // Dropping the transaction rolls it back.
            return Ok(None);
        }
        if added > 0 {
            // A new stamp on the incidents (see `snapshot::Key`): a copy of this store that
            // takes other rows gets another, so a snapshot of one is never taken for the other.
            let mut stamp = [0u8; 16];
            getrandom::fill(&mut stamp).map_err(|e| StoreError::Io {
                path: self.path.clone(),
                source: std::io::Error::other(e.to_string()),
            })?;
            let hex: String = stamp.iter().map(|b| format!("{b:02x}")).collect();
            tx.execute(
                "INSERT INTO meta(key, value) VALUES ('incident_stamp', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [hex],
            )?;
        }
        tx.commit()?;
        Ok(Some(added))
    }

    /// Inserts observations in one transaction, skipping known `(source, source_id)`.
    pub fn insert_observations(&mut self, observations: &[NewObservation]) -> Result<usize> {
        self.insert_observations_on(observations, None)
    }

    /// Inserts an observation recorded on safety walk `walk`, in one transaction with its
    /// link to the walk.
    pub fn insert_walk_observation(&mut self, o: &NewObservation, walk: i64) -> Result<usize> {
        self.insert_observations_on(std::slice::from_ref(o), Some(walk))
    }

    fn insert_observations_on(
        &mut self,
        observations: &[NewObservation],
        walk: Option<i64>,
    ) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let mut added = 0;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO observations(kind, rating, note, observed_at, lon, lat, source, source_id, synthetic)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT(source, source_id) DO NOTHING",
            )?;
            bump_generation(&tx)?;
            for o in observations {
                added += stmt.execute(params![
                    o.kind.code(),
                    o.rating,
                    o.note,
                    o.observed_at,
                    o.lon,
                    o.lat,
                    o.source,
                    o.source_id,
                    o.synthetic
                ])?;
                if let Some(w) = walk {
                    tx.execute(
                        "UPDATE observations SET walk_id = ?3 WHERE source = ?1 AND source_id = ?2",
                        params![o.source, o.source_id, w],
                    )?;
                }
            }
        }
        tx.commit()?;
        Ok(added)
    }

    /// Every incident by id; synthetic ones only when `with_synthetic`.
    pub fn load_incidents(&self, with_synthetic: bool) -> Result<Incidents> {
        // Two queries: SQLite finds a lone min() or max() of the row id at one end of the
        // table, but scans every row for both at once (a second at ten million).
        let (lo, hi): (Option<i64>, Option<i64>) = (
            self.conn
                .query_row("SELECT min(id) FROM incidents", [], |r| r.get(0))?,
            self.conn
                .query_row("SELECT max(id) FROM incidents", [], |r| r.get(0))?,
        );
        let (Some(lo), Some(hi)) = (lo, hi) else {
            return Ok(Incidents::default());
        };
        let schema: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        let edits = self
            .meta("incident_edits")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let stamp = self.meta("incident_stamp")?.unwrap_or_default();
        let key = snapshot::Key::new(
            &self.public_id_key()?,
            &stamp,
            schema,
            edits,
            with_synthetic,
            (lo, hi),
        );
        let snapshot = self.path.with_file_name(snapshot::SNAPSHOT_FILE);
        match snapshot::read(&snapshot, &key) {
            Ok(Some(incidents)) => {
                tracing::info!(incidents = incidents.len(), file = %snapshot.display(), "incidents read from the snapshot");
                self.snapshot_owed.set(None);
                return Ok(incidents);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "reading the incidents from the store instead"),
        }
        // Large stores are read in id ranges on several connections at once. Incidents are
        // only ever added, with ids above `hi`, so the ranges together are one snapshot.
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4) as i64;
        let parts = threads.min((hi - lo + 1) / ROWS_PER_READER).max(1);
        let span = (hi - lo + parts) / parts;
        let range = |k: i64| (lo + k * span, (lo + (k + 1) * span - 1).min(hi));
        let path = &self.path;
        let read = move |k: i64| {
            let conn = Connection::open_with_flags(
                path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            conn.busy_timeout(std::time::Duration::from_secs(10))?;
            // Pages mapped rather than copied into a page cache: a scan of millions of rows
            // reads each once.
            conn.pragma_update(None, "mmap_size", 1i64 << 34)?;
            read_incidents(&conn, range(k), with_synthetic)
        };
        let mut all = std::thread::scope(|s| {
            let others: Vec<_> = (1..parts).map(|k| s.spawn(move || read(k))).collect();
            let mut all = read(0)?;
            for h in others {
                all.append(h.join().expect("reading incidents cannot panic")?);
            }
            Ok::<_, StoreError>(all)
        })?;
        all.shrink_to_fit();
        self.snapshot_owed.set(Some(key));
        Ok(all)
    }

    /// A writer of the snapshot of the incidents last loaded, when they were read from SQLite
    /// rather than from a snapshot (see [`snapshot`]); asked once, it is not offered again.
    pub fn incident_snapshot_writer(&self) -> Option<snapshot::SnapshotWriter> {
        self.snapshot_owed
            .take()
            .map(|key| snapshot::SnapshotWriter {
                path: self.path.with_file_name(snapshot::SNAPSHOT_FILE),
                key,
            })
    }

    /// Every observation by id; synthetic ones only when `with_synthetic`.
    pub fn load_observations(&self, with_synthetic: bool) -> Result<Vec<Observation>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, kind, rating, note, observed_at, lon, lat, source, source_id
             FROM observations WHERE synthetic = 0 OR ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([with_synthetic], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u8>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, f64>(5)?,
                r.get::<_, f64>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, kind, rating, note, observed_at, lon, lat, source, source_id) = row?;
            let kind = kind.parse().map_err(|reason| StoreError::Corrupt {
                table: "observations",
                id: id.to_string(),
                reason,
            })?;
            out.push(Observation {
                id,
                kind,
                rating,
                note,
                observed_at,
                lon,
                lat,
                source,
                source_id,
            });
        }
        Ok(out)
    }

    /// Number of rows in a layer's table, synthetic ones included.
    pub fn count(&self, layer: Layer) -> Result<i64> {
        let sql = match layer {
            Layer::Districts => "SELECT count(*) FROM districts",
            Layer::Incidents => "SELECT count(*) FROM incidents",
            Layer::Observations => "SELECT count(*) FROM observations",
        };
        Ok(self.conn.query_row(sql, [], |r| r.get(0))?)
    }
}

/// A stored API token (never the token itself).
#[derive(Debug, Clone)]
pub struct StoredToken {
    /// Row id, the `<id>` in `hs_<id>_<secret>`.
    pub id: i64,
    /// Who it was given to.
    pub name: String,
    /// `planner`, `police` or `admin`.
    pub role: String,
    /// Salt, hex.
    pub salt: String,
    /// Salted hash, hex.
    pub hash: String,
    /// When it was made, Unix seconds.
    pub created_at: i64,
    /// When it was revoked, if it was.
    pub revoked_at: Option<i64>,
}

impl Store {
    /// The generation of the layers: bumped in the same transaction by every write to
    /// incidents, observations or districts (each bump adds a `layers` row to the change feed).
    pub fn generation(&self) -> Result<i64> {
        Ok(self
            .meta("generation")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// SQLite's `data_version`: changes when another connection commits, so a server can see
    /// an import made by `hotspot import` into its data dir.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "data_version", |r| r.get(0))?)
    }

    /// Stores a token's hash; returns its id.
    pub fn create_token(
        &self,
        name: &str,
        role: &str,
        salt: &str,
        hash: &str,
        now: i64,
    ) -> Result<i64> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO tokens(name, role, salt, hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![name, role, salt, hash, now],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(id)
    }

    /// Every token, newest first.
    pub fn tokens(&self) -> Result<Vec<StoredToken>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, name, role, salt, hash, created_at, revoked_at FROM tokens ORDER BY id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(StoredToken {
                id: r.get(0)?,
                name: r.get(1)?,
                role: r.get(2)?,
                salt: r.get(3)?,
                hash: r.get(4)?,
                created_at: r.get(5)?,
                revoked_at: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Revokes a token; returns whether there was such a live token.
    pub fn revoke_token(&self, id: i64, now: i64) -> Result<bool> {
        let tx = self.conn.unchecked_transaction()?;
        let n = tx.execute(
            "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![id, now],
        )?;
        tx.commit()?;
        Ok(n == 1)
    }

    /// Inserts or replaces districts by id, in one transaction, marking them with `source`.
    pub fn upsert_districts(&mut self, districts: &[District], source: &str) -> Result<usize> {
        let tx = self.conn.transaction()?;
        upsert_districts_in(&tx, districts, source)?;
        bump_generation(&tx)?;
        tx.commit()?;
        Ok(districts.len())
    }

    /// A consistent copy of the store in `dest` (SQLite's online backup: readers and writers
    /// may go on meanwhile).
    pub fn backup(&self, dest: &Path) -> Result<()> {
        // Owner-only, like the store, before SQLite writes into it.
        if !dest.exists() {
            create_private(dest).map_err(|source| StoreError::Io {
                path: dest.to_owned(),
                source,
            })?;
        }
        self.conn
            .backup(rusqlite::MAIN_DB, dest, None)
            .map_err(StoreError::from)
    }
}

/// Inserts or replaces districts by id inside an open transaction.
fn upsert_districts_in(
    tx: &rusqlite::Transaction<'_>,
    districts: &[District],
    source: &str,
) -> Result<()> {
    let mut stmt = tx.prepare(
        "INSERT INTO districts(id, name, level, population, parent, geometry, source)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, level = excluded.level,
           population = excluded.population, parent = excluded.parent,
           geometry = excluded.geometry, source = excluded.source",
    )?;
    for d in districts {
        let geometry = geojson::Geometry::from(&d.geometry).to_string();
        stmt.execute(params![
            d.id,
            d.name,
            d.level.code(),
            d.population,
            d.parent,
            geometry,
            source
        ])?;
    }
    Ok(())
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    /// Row id (0 before it is stored).
    pub id: i64,
    /// When, Unix seconds (UTC).
    #[serde(serialize_with = "crate::model::time::serialize_rfc3339")]
    pub at: i64,
    /// Who: `token 3 (name, police)`, `public` or `command line`.
    pub actor: String,
    /// The role it acted in.
    pub role: String,
    /// What: `export`.
    pub action: String,
    /// Which collection.
    pub collection: String,
    /// `geojson`, `csv` or `shapefile` (with its CRS).
    pub format: String,
    /// The filters, URL-encoded.
    pub query: String,
    /// How many features it handed out.
    pub features: i64,
}

impl Store {
    /// Appends an entry to the audit log (durable when this returns); returns its id.
    pub fn record_audit(&self, e: &AuditEntry) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO audit(at, actor, role, action, collection, format, query, features)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                e.at,
                e.actor,
                e.role,
                e.action,
                e.collection,
                e.format,
                e.query,
                e.features
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Audit entries, newest first, and how many there are in all.
    pub fn audit(&self, limit: usize, offset: usize) -> Result<(Vec<AuditEntry>, i64)> {
        let total: i64 = self
            .conn
            .query_row("SELECT count(*) FROM audit", [], |r| r.get(0))?;
        let mut stmt = self.conn.prepare(
            "SELECT id, at, actor, role, action, collection, format, query, features
             FROM audit ORDER BY id DESC LIMIT ?1 OFFSET ?2",
        )?;
        let rows = stmt.query_map(params![limit as i64, offset as i64], |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                role: r.get(3)?,
                action: r.get(4)?,
                collection: r.get(5)?,
                format: r.get(6)?,
                query: r.get(7)?,
                features: r.get(8)?,
            })
        })?;
        Ok((rows.collect::<rusqlite::Result<Vec<_>>>()?, total))
    }
}

/// Counts a change to the layers or tokens (see [`Store::generation`]).
fn bump_generation(conn: &Connection) -> Result<()> {
    conn.execute(
        "INSERT INTO meta(key, value) VALUES ('generation', '1')
         ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
        [],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incident(n: usize) -> NewIncident {
        NewIncident {
            category: Category::Theft,
            occurred_at: 1_300_000_000 + n as i64,
            lon: 12.55 + n as f64 * 1e-3,
            lat: 55.69,
            precision: Precision::Street,
            source: "test".into(),
            source_id: format!("t-{n}"),
            synthetic: n % 2 == 0,
        }
    }

    #[test]
    fn a_transaction_that_reads_before_it_writes_is_not_refused_for_another_write() {
        // The report writer reads (an idempotency key) before it writes; another connection
        // writing in between (the pruning of the change feed, a token) made SQLite refuse the
        // write at once with "database is locked" (a 500 to a resident), busy timeout or not.
        let dir = tempdir();
        let mut a = Store::open(&dir).unwrap();
        let b = Store::open(&dir).unwrap();
        let read = &std::sync::Barrier::new(2);
        std::thread::scope(|s| {
            let other = s.spawn(move || {
                read.wait();
                // Waits for `a`'s transaction (busy timeout), then writes.
                b.set_meta("other", "1")
            });
            let mine = a.in_transaction(|tx| {
                let _: i64 = tx.query_row("SELECT count(*) FROM meta", [], |r| r.get(0))?;
                read.wait();
                std::thread::sleep(std::time::Duration::from_millis(200));
                tx.execute("INSERT INTO meta(key, value) VALUES ('mine', '1')", [])?;
                Ok(())
            });
            assert!(mine.is_ok(), "{mine:?}");
            assert!(other.join().unwrap().is_ok());
        });
        assert_eq!(a.meta("mine").unwrap().as_deref(), Some("1"));
        assert_eq!(a.meta("other").unwrap().as_deref(), Some("1"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn incidents_round_trip_and_are_idempotent() {
        let dir = tempdir();
        let mut store = Store::open(&dir).unwrap();
        let batch: Vec<_> = (0..10).map(incident).collect();
        assert_eq!(store.insert_incidents(&batch).unwrap(), 10);
        assert_eq!(store.insert_incidents(&batch).unwrap(), 0);
        let all = store.load_incidents(true).unwrap();
        assert_eq!(all.len(), 10);
        assert_eq!(all.source_id(3), "t-3");
        assert_eq!(all[3].occurred_at, 1_300_000_003);
        assert_eq!(store.load_incidents(false).unwrap().len(), 5);
        drop(store);
        // Reopening keeps everything and does not migrate twice.
        let store = Store::open(&dir).unwrap();
        assert_eq!(store.count(Layer::Incidents).unwrap(), 10);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn loaded_incidents_carry_their_cells_and_public_ids_in_parts() {
        let dir = tempdir();
        let mut store = Store::open(&dir).unwrap();
        let key = store.public_id_key().unwrap();
        assert_eq!(
            store
                .insert_incidents(&(0..7).map(incident).collect::<Vec<_>>())
                .unwrap(),
            7
        );
        // Stored ones and a repeat among new ones, in whole statements of many rows and in
        // the rest: skipped, each leaving its id unused; the new ones keep the file's order.
        let mut mixed: Vec<_> = (3..150).map(incident).collect();
        mixed.insert(40, incident(30));
        assert_eq!(store.insert_incidents(&mixed).unwrap(), 143);
        let mut all = store.load_incidents(true).unwrap();
        assert_eq!(all.len(), 150);
        let ids: Vec<i64> = all.iter().map(|i| i.id).collect();
        // t-3…t-6 are stored (8…11 unused), t-7…t-42 get 12…47, the repeat of t-30 leaves 48.
        let expected: Vec<i64> = (1..=7).chain(12..=47).chain(49..=155).collect();
        assert_eq!(ids, expected);
        let names: Vec<&str> = (0..all.len()).map(|p| all.source_id(p)).collect();
        let wanted: Vec<String> = (0..150).map(|n| format!("t-{n}")).collect();
        assert_eq!(names, wanted);
        let cells = all.take_cells().unwrap();
        let public = all.take_public_ids().unwrap();
        for (p, i) in all.iter().enumerate() {
            assert_eq!(Some(cells[p]), crate::privacy::anchor_cell(i.lon, i.lat));
            assert_eq!(public[p], crate::privacy::public_id(&key, i.id, 0));
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// Rows, source ids, and cells and public ids.
    type Parts = (Vec<Incident>, Vec<String>, Option<(Vec<u64>, Vec<i64>)>);

    /// The incidents as the catalog sees them.
    fn parts(all: &Incidents) -> Parts {
        let ids = (0..all.len())
            .map(|p| all.source_id(p).to_owned())
            .collect();
        let derived = all
            .derived()
            .map(|(c, p)| (c.iter().map(|&c| u64::from(c)).collect(), p.to_vec()));
        (all.to_vec(), ids, derived)
    }

    #[test]
    fn a_snapshot_is_read_while_the_incidents_are_unchanged_and_then_renewed() {
        let dir = tempdir();
        let mut store = Store::open(&dir).unwrap();
        store
            .insert_incidents(&(0..10).map(incident).collect::<Vec<_>>())
            .unwrap();
        let from_sqlite = store.load_incidents(true).unwrap();
        let writer = store
            .incident_snapshot_writer()
            .expect("a snapshot is owed");
        assert!(store.incident_snapshot_writer().is_none(), "offered once");
        writer.write(&from_sqlite, from_sqlite.derived()).unwrap();
        let file = dir.join(snapshot::SNAPSHOT_FILE);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(
                mode & 0o077,
                0,
                "exact positions: readable by the owner only"
            );
        }

        // Read back whole, and none is owed; a file loosened by hand is tightened again.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let from_file = store.load_incidents(true).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "tightened on reading");
        }
        assert_eq!(parts(&from_file), parts(&from_sqlite));
        assert!(parts(&from_file).2.is_some());
        assert!(store.incident_snapshot_writer().is_none());
        // The other filter is not in this file: SQLite, and a snapshot owed.
        assert_eq!(store.load_incidents(false).unwrap().len(), 5);
        assert!(store.incident_snapshot_writer().is_some());

        // A new incident: the old file no longer answers.
        store.insert_incidents(&[incident(10)]).unwrap();
        let grown = store.load_incidents(true).unwrap();
        assert_eq!(grown.len(), 11);
        assert_eq!(grown.source_id(10), "t-10");
        assert!(store.incident_snapshot_writer().is_some());

        // Nor does it for another store with the same ids.
        let other = tempdir();
        let mut second = Store::open(&other).unwrap();
        second
            .insert_incidents(&(0..10).map(incident).collect::<Vec<_>>())
            .unwrap();
        std::fs::copy(&file, other.join(snapshot::SNAPSHOT_FILE)).unwrap();
        second.load_incidents(true).unwrap();
        assert!(second.incident_snapshot_writer().is_some());

        // Nor for a copy of this store (the same secret) that took as many other rows.
        let copy = tempdir();
        std::fs::create_dir_all(&copy).unwrap();
        store.backup(&copy.join(STORE_FILE)).unwrap();
        let mut twin = Store::open(&copy).unwrap();
        store.insert_incidents(&[incident(11)]).unwrap();
        let mut theirs = incident(11);
        theirs.source_id = "elsewhere".into();
        twin.insert_incidents(&[theirs]).unwrap();
        let grown = store.load_incidents(true).unwrap();
        let writer = store.incident_snapshot_writer().expect("owed");
        writer.write(&grown, grown.derived()).unwrap();
        std::fs::copy(&file, copy.join(snapshot::SNAPSHOT_FILE)).unwrap();
        let twins = twin.load_incidents(true).unwrap();
        assert_eq!(twins.source_id(11), "elsewhere");
        assert!(twin.incident_snapshot_writer().is_some());
        std::fs::remove_dir_all(copy).unwrap();

        // A stored incident changed by hand: the file is passed over.
        store.load_incidents(true).unwrap();
        assert!(
            store.incident_snapshot_writer().is_none(),
            "the file answered"
        );
        store
            .conn
            .execute("UPDATE incidents SET lon = lon + 1e-4 WHERE id = 4", [])
            .unwrap();
        let edited = store.load_incidents(true).unwrap();
        let writer = store.incident_snapshot_writer().expect("owed");
        assert_ne!(edited[3].lon, grown[3].lon);
        let grown = edited;

        // A damaged file is passed over (SQLite answers), never believed.
        writer.write(&grown, grown.derived()).unwrap();
        let mut bytes = std::fs::read(&file).unwrap();
        let at = bytes.len() - 3;
        bytes[at] ^= 0x40;
        std::fs::write(&file, &bytes).unwrap();
        assert_eq!(parts(&store.load_incidents(true).unwrap()), parts(&grown));
        assert!(store.incident_snapshot_writer().is_some());
        std::fs::remove_dir_all(dir).unwrap();
        std::fs::remove_dir_all(other).unwrap();
    }

    pub(crate) fn tempdir() -> PathBuf {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "hotspot-store-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }
}
