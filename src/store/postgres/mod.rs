//! The PostgreSQL + PostGIS store (DESIGN.md, "Scaling out"), for when one SQLite file is
//! outgrown. A database is given by a URL (`postgres://user:password@host:port/dbname`, or
//! libpq's `key=value` form), connected without TLS (a replica talks to its database over a
//! private network or a Unix socket).
//!
//! What is here: the schema (real `geometry(…, 4326)` columns with GiST indexes beside the
//! columns hotspot reads, see [`schema`]), its migrations (once per database, under an advisory
//! lock), the layers ([`LayerStore`]: read back exactly as the SQLite store gives them; imports
//! through `COPY`, all or nothing and idempotent), tokens and the audit log, and copying a
//! whole SQLite store in ([`copy_store`]), reports with their writer ([`PgReportSink`]),
//! planning, and the change feed that replicas follow.

mod access;
mod changes;
mod copy;
mod layers;
mod limits;
mod planning;
mod reports;
pub mod schema;

pub use copy::{copy_store, CopyReport};
pub use reports::PgReportSink;

use std::cell::RefCell;

use geo::MultiPolygon;

use super::{IncidentRow, IncidentRows, LayerStore, Result, StoreError};
use crate::model::{District, Incidents, Layer, NewIncident, NewObservation, Observation};

/// An advisory lock key of hotspot's migrations ("hotspot" in ASCII): the first replica to
/// start migrates, the others wait and then find nothing to do.
const MIGRATION_LOCK: i64 = 0x0068_6f74_7370_6f74;

/// An advisory lock key taken by every transaction that adds to the change log, held until it
/// commits: positions (`changes.seq`) are then handed out in commit order, so a follower that
/// has read up to a position can never later see a smaller one appear ("hotspot changes").
const CHANGE_LOCK: i64 = 0x0068_6f74_6368_6773;

/// Adds a row of `kind` (`layers`, `tokens` or `report`) with `key` to the change log, in the
/// caller's transaction and in commit order (see [`CHANGE_LOCK`]).
fn log_change(tx: &mut postgres::Transaction<'_>, kind: &str, key: Option<i64>) -> Result<()> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CHANGE_LOCK])?;
    tx.execute(
        "INSERT INTO changes(kind, key) VALUES ($1, $2)",
        &[&kind, &key],
    )?;
    tx.batch_execute(NOTIFY)?;
    Ok(())
}

/// How long a connection may sit idle before it is checked (one round trip, at most
/// [`CHECK_TIMEOUT`]) ahead of its next use: a connection the server ended (a restart, a
/// failover, a cut idle connection) shows only when used, and would fail that request.
pub(super) const IDLE_CHECK: std::time::Duration = std::time::Duration::from_millis(100);

/// How long that check may take before the connection is made again.
const CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Whether `client`, last used at `used`, may be used as it is: not closed, and answering when
/// it was idle for longer than [`IDLE_CHECK`].
fn usable(client: &mut postgres::Client, used: &std::cell::Cell<std::time::Instant>) -> bool {
    !client.is_closed()
        && (used.get().elapsed() <= IDLE_CHECK || client.is_valid(CHECK_TIMEOUT).is_ok())
}

/// Connects to the database at `url`, with what a replica needs to notice a lost database
/// within seconds rather than hours: a connect timeout (unless the URL sets one), TCP
/// keepalives, and a TCP user timeout (data unacknowledged for 10 s ends the connection).
pub(super) fn connect(url: &str) -> std::result::Result<postgres::Client, postgres::Error> {
    use std::time::Duration;
    let mut config: postgres::Config = url.parse()?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(5));
    }
    config
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(10))
        .keepalives_interval(Duration::from_secs(2))
        .keepalives_retries(3)
        .tcp_user_timeout(Duration::from_secs(10));
    // The server's side of the same: a replica cut off in the middle of a transaction would
    // otherwise keep its locks (the change log's, a client's rate-limit lock) and stall every
    // other replica's writes until the server noticed, hours later.
    let options = format!(
        "{} {SESSION_OPTIONS}",
        config.get_options().unwrap_or_default()
    );
    config.options(options.trim());
    config.connect(postgres::NoTls)
}

/// Settings of every session: a transaction left idle for 10 s is ended by the server (no
/// transaction of hotspot's waits on its client that long), and the server's TCP keepalives
/// and user timeout find a vanished replica within seconds. Statements prepared once per
/// connection are planned at each execution for its values: a plan made once for any value
/// would be made while the tables are small (a new database) and kept as they grow (a scan of
/// every idempotency key for each batch of reports, measured).
const SESSION_OPTIONS: &str = "-c idle_in_transaction_session_timeout=10000 \
     -c tcp_keepalives_idle=10 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3 \
     -c tcp_user_timeout=10000 -c plan_cache_mode=force_custom_plan";

/// The channel on which a commit that adds to the change log wakes the replicas (delivered at
/// commit, never for a rolled-back transaction).
pub const CHANNEL: &str = "hotspot_changes";

/// The statement that wakes the replicas at commit.
const NOTIFY: &str = "NOTIFY hotspot_changes";

/// How long a woken follower waits for further commits before it reads them all.
const COALESCE: std::time::Duration = std::time::Duration::from_millis(10);

/// A connection listening on [`CHANNEL`]: a replica's follower waits on it between polls of the
/// change log, so a change reaches it at once rather than at the next poll. A wake-up carries
/// nothing: the follower reads the log from its position, so a notification lost with a
/// connection costs only the wait until the next poll.
pub struct ChangeListener {
    url: String,
    client: Option<postgres::Client>,
}

impl ChangeListener {
    /// A listener on the database at `url` (connected at first use).
    pub fn new(url: &str) -> ChangeListener {
        ChangeListener {
            url: url.to_owned(),
            client: None,
        }
    }

    /// Waits until a change is committed or `timeout` passes; returns whether woken by a
    /// change. A broken connection is made again at the next call (meanwhile it just waits).
    pub fn wait(&mut self, timeout: std::time::Duration) -> bool {
        use fallible_iterator::FallibleIterator;
        if self.client.as_ref().is_none_or(postgres::Client::is_closed) {
            let connected = connect(&self.url).and_then(|mut c| {
                c.batch_execute(&format!("LISTEN {CHANNEL}"))?;
                Ok(c)
            });
            match connected {
                Ok(c) => self.client = Some(c),
                Err(e) => {
                    tracing::warn!("listening for changes: {}", StoreError::from(e));
                    self.client = None;
                    std::thread::sleep(timeout);
                    return false;
                }
            }
        }
        let Some(client) = self.client.as_mut() else {
            return false;
        };
        let waited = {
            let mut notifications = client.notifications();
            let woken = notifications
                .timeout_iter(timeout)
                .next()
                .map(|n| n.is_some());
            // Under a stream of commits (reports through every replica), the commits of the
            // next few milliseconds are read in the same catch-up, not one catch-up each.
            if matches!(woken, Ok(true)) {
                std::thread::sleep(COALESCE);
            }
            woken.and_then(|w| notifications.iter().count().map(|_| w))
        };
        match waited {
            Ok(woken) => woken,
            Err(e) => {
                tracing::warn!("listening for changes: {}", StoreError::from(e));
                self.client = None;
                false
            }
        }
    }
}

/// A connection to a PostgreSQL + PostGIS database holding a hotspot store.
pub struct PgStore {
    client: RefCell<postgres::Client>,
    /// Where it is connected (never printed: it may hold a password).
    url: String,
    /// When the connection was last used (see [`usable`]).
    used: std::cell::Cell<std::time::Instant>,
    /// The statements prepared on the connection, by their text (the change feed is read
    /// several times a second under load: parsed once, each read is one round trip).
    statements: RefCell<std::collections::HashMap<&'static str, postgres::Statement>>,
}

impl PgStore {
    /// Connects to the database at `url` and brings its schema up to date. The database must
    /// have PostGIS available (`postgresql-15-postgis-3` on Debian), and the user may create
    /// the extension or it is there already.
    pub fn connect(url: &str) -> Result<PgStore> {
        let client = connect(url)?;
        let mut store = PgStore {
            client: RefCell::new(client),
            url: url.to_owned(),
            used: std::cell::Cell::new(std::time::Instant::now()),
            statements: RefCell::default(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// Applies the migrations this database lacks, each in one transaction, under an advisory
    /// lock held until it commits.
    fn migrate(&mut self) -> Result<()> {
        let client = self.client_mut()?;
        let newest = schema::MIGRATIONS.len() as i64;
        loop {
            let mut tx = client.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS hotspot_schema (version bigint NOT NULL);
                 INSERT INTO hotspot_schema SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM hotspot_schema);",
            )?;
            let current: i64 = tx
                .query_one("SELECT version FROM hotspot_schema", &[])?
                .get(0);
            if current > newest {
                return Err(StoreError::TooNew {
                    found: current,
                    supported: newest,
                });
            }
            if current == newest {
                tx.commit()?;
                return Ok(());
            }
            tx.batch_execute(schema::MIGRATIONS[current as usize])?;
            tx.execute("UPDATE hotspot_schema SET version = $1", &[&(current + 1)])?;
            tx.commit()?;
        }
    }

    /// The connection, made again first if it was lost (a restart or failover of the
    /// database, a cut idle connection): a replica never goes on with a dead connection, which
    /// would leave it serving revoked tokens and unlimited reports while its reads fail.
    fn client(&self) -> Result<std::cell::RefMut<'_, postgres::Client>> {
        let mut client = self.client.borrow_mut();
        if !usable(&mut client, &self.used) {
            self.statements.borrow_mut().clear();
            *client = connect(&self.url)?;
        }
        self.used.set(std::time::Instant::now());
        Ok(client)
    }

    /// `sql` prepared on `client`, this store's connection (from [`PgStore::client`]), once
    /// per connection.
    fn prepared(
        &self,
        client: &mut postgres::Client,
        sql: &'static str,
    ) -> Result<postgres::Statement> {
        if let Some(statement) = self.statements.borrow().get(sql) {
            return Ok(statement.clone());
        }
        let statement = client.prepare(sql)?;
        self.statements.borrow_mut().insert(sql, statement.clone());
        Ok(statement)
    }

    /// [`PgStore::client`] for `&mut self`.
    fn client_mut(&mut self) -> Result<&mut postgres::Client> {
        let client = self.client.get_mut();
        if !usable(client, &self.used) {
            self.statements.get_mut().clear();
            *client = connect(&self.url)?;
        }
        self.used.set(std::time::Instant::now());
        Ok(client)
    }

    /// The schema version (migrations applied).
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .client()?
            .query_one("SELECT version FROM hotspot_schema", &[])?
            .get(0))
    }

    /// The secret behind the public incident ids.
    pub fn public_id_key(&self) -> Result<[u8; 32]> {
        let hex: String = self
            .client()?
            .query_one("SELECT value FROM meta WHERE key = 'public_id_key'", &[])?
            .get(0);
        super::parse_key(&hex)
    }

    /// Every district, bydele first, then safety districts, then roder, each by number (as
    /// the SQLite store orders them).
    pub fn load_districts(&self) -> Result<Vec<District>> {
        let rows = self.client()?.query(
            "SELECT id, name, level, population, parent, geometry FROM districts
             ORDER BY CASE level WHEN 'bydel' THEN 0 WHEN 'district' THEN 1 ELSE 2 END,
                      (substring(id FROM '[0-9]+$'))::bigint NULLS LAST, id",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                let id: String = r.get(0);
                let corrupt = |reason: String| StoreError::Corrupt {
                    table: "districts",
                    id: id.clone(),
                    reason,
                };
                let level = r.get::<_, String>(2).parse().map_err(corrupt)?;
                let geometry: MultiPolygon<f64> = r
                    .get::<_, String>(5)
                    .parse::<geojson::Geometry>()
                    .map_err(|e| e.to_string())
                    .and_then(|g| MultiPolygon::try_from(g).map_err(|e| e.to_string()))
                    .map_err(corrupt)?;
                let population = r
                    .get::<_, Option<i64>>(3)
                    .map(|p| u32::try_from(p).map_err(|e| corrupt(e.to_string())))
                    .transpose()?;
                Ok(District {
                    name: r.get(1),
                    level,
                    population,
                    parent: r.get(4),
                    geometry,
                    id,
                })
            })
            .collect()
    }

    /// Every incident by id (synthetic ones only with `with_synthetic`), with the anchor cells
    /// and first-round public ids stored with them.
    pub fn load_incidents(&self, with_synthetic: bool) -> Result<Incidents> {
        use fallible_iterator::FallibleIterator;
        let mut client = self.client()?;
        let n: i64 = client
            .query_one("SELECT count(*) FROM incidents", &[])?
            .get(0);
        let mut out = IncidentRows::new(n as usize);
        let mut rows = client.query_raw(
            "SELECT id, category, occurred_at, lon, lat, precision, source, source_id, cell, public_id
             FROM incidents WHERE synthetic = 0 OR $1 ORDER BY id",
            [&with_synthetic as &(dyn postgres::types::ToSql + Sync)],
        )?;
        while let Some(r) = rows.next()? {
            out.push(
                IncidentRow {
                    id: r.get(0),
                    category: r.get::<_, &str>(1).as_bytes(),
                    occurred_at: r.get(2),
                    lon: r.get(3),
                    lat: r.get(4),
                    precision: r.get::<_, &str>(5).as_bytes(),
                    source: r.get::<_, &str>(6).as_bytes(),
                    source_id: r.get::<_, &str>(7).as_bytes(),
                },
                r.get(8),
                r.get(9),
            )?;
        }
        Ok(out.finish())
    }

    /// Every observation by id; synthetic ones only when `with_synthetic`.
    pub fn load_observations(&self, with_synthetic: bool) -> Result<Vec<Observation>> {
        let rows = self.client()?.query(
            "SELECT id, kind, rating, note, observed_at, lon, lat, source, source_id
             FROM observations WHERE synthetic = 0 OR $1 ORDER BY id",
            &[&with_synthetic],
        )?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.get(0);
                let corrupt = |reason: String| StoreError::Corrupt {
                    table: "observations",
                    id: id.to_string(),
                    reason,
                };
                Ok(Observation {
                    id,
                    kind: r.get::<_, String>(1).parse().map_err(corrupt)?,
                    rating: u8::try_from(r.get::<_, i32>(2)).map_err(|e| corrupt(e.to_string()))?,
                    note: r.get(3),
                    observed_at: r.get(4),
                    lon: r.get(5),
                    lat: r.get(6),
                    source: r.get(7),
                    source_id: r.get(8),
                })
            })
            .collect()
    }

    /// Number of rows in a layer's table, synthetic ones included.
    pub fn count(&self, layer: Layer) -> Result<i64> {
        let sql = match layer {
            Layer::Districts => "SELECT count(*) FROM districts",
            Layer::Incidents => "SELECT count(*) FROM incidents",
            Layer::Observations => "SELECT count(*) FROM observations",
        };
        Ok(self.client()?.query_one(sql, &[])?.get(0))
    }
}

/// Incidents per batch of a non-streamed insert.
const BLOCK: usize = 16_384;

impl LayerStore for PgStore {
    fn load_districts(&self) -> Result<Vec<District>> {
        PgStore::load_districts(self)
    }
    fn load_incidents(&self, with_synthetic: bool) -> Result<Incidents> {
        PgStore::load_incidents(self, with_synthetic)
    }
    fn load_observations(&self, with_synthetic: bool) -> Result<Vec<Observation>> {
        PgStore::load_observations(self, with_synthetic)
    }
    fn insert_incidents(&mut self, incidents: &[NewIncident]) -> Result<usize> {
        let added = self.insert_incident_batches(incidents.chunks(BLOCK), &mut || true)?;
        Ok(added.unwrap_or(0))
    }
    fn insert_incidents_streamed(
        &mut self,
        batches: std::sync::mpsc::Receiver<Vec<NewIncident>>,
        commit: &mut dyn FnMut() -> bool,
    ) -> Result<Option<usize>> {
        self.insert_incident_batches(batches.into_iter(), commit)
    }
    fn insert_observations(&mut self, observations: &[NewObservation]) -> Result<usize> {
        self.insert_observations_on(observations, None)
    }
    fn insert_walk_observation(&mut self, o: &NewObservation, walk: i64) -> Result<usize> {
        self.insert_observations_on(std::slice::from_ref(o), Some(walk))
    }
    fn upsert_districts(&mut self, districts: &[District], source: &str) -> Result<usize> {
        PgStore::upsert_districts(self, districts, source)
    }
    fn count(&self, layer: Layer) -> Result<i64> {
        PgStore::count(self, layer)
    }
    fn public_id_key(&self) -> Result<[u8; 32]> {
        PgStore::public_id_key(self)
    }
    fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .client()?
            .query_opt("SELECT value FROM meta WHERE key = $1", &[&key])?
            .map(|r| r.get(0)))
    }
    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.client()?.execute(
            "INSERT INTO meta(key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&key, &value],
        )?;
        Ok(())
    }
    fn claim_meta(&self, key: &str, value: &str) -> Result<bool> {
        Ok(self.client()?.execute(
            "INSERT INTO meta(key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            &[&key, &value],
        )? == 1)
    }
    fn sync_shipped_districts(&mut self, districts: &[District], digest: &str) -> Result<bool> {
        PgStore::sync_shipped_districts(self, districts, digest)
    }
    fn location(&self) -> super::Location {
        super::Location::Postgres(super::DatabaseUrl::known(&self.url))
    }
}
