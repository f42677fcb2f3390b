//! What the service needs of a store, by concern — the layers, resident reports and safety
//! walks, planning, tokens, the audit log and the change feed — as traits, so that a second
//! backend (PostgreSQL + PostGIS, DESIGN.md "Scaling out") can stand beside the SQLite [`Store`],
//! which implements them all. The SQLite writer's group commit ([`super::writer`]) stays the
//! SQLite backend's own business.

use super::{
    AuditEntry, ChangeKind, Changes, GoalSettings, Measurement, Result, Store, StoredInitiative,
    StoredToken, Walk,
};
use crate::model::{District, Incidents, Layer, NewIncident, NewObservation, Observation};
use crate::reports::{ModerationEntry, Report};

/// Districts, incidents and observations (WGS84 lon/lat, Unix seconds UTC).
pub trait LayerStore {
    /// Every district, bydele first.
    fn load_districts(&self) -> Result<Vec<District>>;
    /// Every incident (synthetic ones only with `with_synthetic`).
    fn load_incidents(&self, with_synthetic: bool) -> Result<Incidents>;
    /// A writer of a faster-to-read copy of the incidents last loaded, when the backend keeps
    /// one and it is out of date (see [`super::snapshot`]).
    fn incident_snapshot_writer(&self) -> Option<super::snapshot::SnapshotWriter> {
        None
    }
    /// Every observation (synthetic ones only with `with_synthetic`).
    fn load_observations(&self, with_synthetic: bool) -> Result<Vec<Observation>>;
    /// Inserts incidents in one transaction, skipping known `(source, source_id)`; returns how
    /// many were new.
    fn insert_incidents(&mut self, incidents: &[NewIncident]) -> Result<usize>;
    /// Inserts incidents as their batches arrive, in one transaction, committed once they all
    /// have if `commit()` says so (returns how many were new) or rolled back (`None`).
    fn insert_incidents_streamed(
        &mut self,
        batches: std::sync::mpsc::Receiver<Vec<NewIncident>>,
        commit: &mut dyn FnMut() -> bool,
    ) -> Result<Option<usize>>;
    /// Inserts observations in one transaction, likewise.
    fn insert_observations(&mut self, observations: &[NewObservation]) -> Result<usize>;
    /// Inserts an observation recorded on safety walk `walk`, with its link, in one transaction.
    fn insert_walk_observation(&mut self, o: &NewObservation, walk: i64) -> Result<usize>;
    /// Inserts or replaces districts by id, in one transaction, marked with `source`.
    fn upsert_districts(&mut self, districts: &[District], source: &str) -> Result<usize>;
    /// Records stored in `layer`.
    fn count(&self, layer: Layer) -> Result<i64>;
    /// The secret behind the public incident ids.
    fn public_id_key(&self) -> Result<[u8; 32]>;
    /// A value from the store's settings (`meta`).
    fn meta(&self, key: &str) -> Result<Option<String>>;
    /// Sets a value in the store's settings, durably.
    fn set_meta(&self, key: &str, value: &str) -> Result<()>;
    /// Sets a value in the store's settings unless it is set; returns whether this call set it
    /// (of replicas starting together, exactly one does).
    fn claim_meta(&self, key: &str, value: &str) -> Result<bool>;
    /// Replaces the shipped districts with `districts` in one transaction, unless the store
    /// holds the shipped set whose digest is `digest` already; returns whether it wrote.
    fn sync_shipped_districts(&mut self, districts: &[District], digest: &str) -> Result<bool>;
    /// Where this store lives, to open more connections to it.
    fn location(&self) -> super::Location;
}

/// Resident reports, their moderation log, and safety walks. Reports are written through the
/// backend's report writer (see [`super::writer`]).
pub trait ReportStore {
    /// Every report, by id.
    fn load_reports(&self) -> Result<Vec<Report>>;
    /// The report with `id`, as stored now.
    fn load_report(&self, id: i64) -> Result<Option<Report>>;
    /// The reports with `ids` that are stored now, in no particular order (a backend across a
    /// network answers them in one query).
    fn load_reports_by_id(&self, ids: &[i64]) -> Result<Vec<Report>> {
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            out.extend(self.load_report(id)?);
        }
        Ok(out)
    }
    /// The report stored under the idempotency key digest `key`, with the digest of what was
    /// asked then.
    fn report_of_key(&self, key: &str) -> Result<Option<(i64, String)>>;
    /// A report's moderation log, oldest first.
    fn moderation_log(&self, report_id: i64) -> Result<Vec<ModerationEntry>>;
    /// Records a safety walk; returns its id.
    fn create_walk(
        &self,
        title: &str,
        date: &str,
        route: Option<&str>,
        participants: &[String],
        created_by: &str,
        now: i64,
    ) -> Result<i64>;
    /// Every walk, newest first.
    fn walks(&self) -> Result<Vec<Walk>>;
    /// Whether walk `id` exists.
    fn walk_exists(&self, id: i64) -> Result<bool>;
}

/// The programme's initiatives and effect-goal values.
pub trait PlanningStore {
    /// Stores an initiative (a GeoJSON Feature); returns its id.
    fn create_initiative(
        &self,
        feature: &serde_json::Value,
        published: bool,
        created_by: &str,
        now: i64,
    ) -> Result<i64>;
    /// Every initiative, by id.
    fn initiatives(&self) -> Result<Vec<StoredInitiative>>;
    /// Replaces an initiative; returns whether there was one.
    fn update_initiative(
        &self,
        id: i64,
        feature: &serde_json::Value,
        published: bool,
        now: i64,
    ) -> Result<bool>;
    /// Deletes an initiative; returns whether there was one.
    fn delete_initiative(&self, id: i64) -> Result<bool>;
    /// Stores a goal's measured values as (period, value, note, source), all or none.
    fn put_measurements(
        &mut self,
        goal: &str,
        rows: &[(String, f64, Option<String>, Option<String>)],
        actor: &str,
        now: i64,
    ) -> Result<()>;
    /// Deletes a goal's measurement of a period; returns whether there was one.
    fn delete_measurement(&self, goal: &str, period: &str) -> Result<bool>;
    /// Every measurement, by goal and period.
    fn measurements(&self) -> Result<Vec<(String, Measurement)>>;
    /// The planners' settings per goal.
    fn goal_settings(&self) -> Result<Vec<(String, GoalSettings)>>;
    /// Sets a goal's baseline, target and owner.
    fn set_goal_settings(&self, goal: &str, s: &GoalSettings, actor: &str, now: i64) -> Result<()>;
    /// Whether any initiative is stored.
    fn has_initiatives(&self) -> Result<bool>;
}

/// API tokens: salted hashes only.
pub trait TokenStore {
    /// Stores a token's hash; returns its id.
    fn create_token(&self, name: &str, role: &str, salt: &str, hash: &str, now: i64)
        -> Result<i64>;
    /// Every token, newest first.
    fn tokens(&self) -> Result<Vec<StoredToken>>;
    /// Revokes a token; returns whether there was such a live token.
    fn revoke_token(&self, id: i64, now: i64) -> Result<bool>;
}

/// The audit log of exports.
pub trait AuditStore {
    /// Appends an entry, durably; returns its id.
    fn record_audit(&self, e: &AuditEntry) -> Result<i64>;
    /// A page of entries, newest first, and their number.
    fn audit(&self, limit: usize, offset: usize) -> Result<(Vec<AuditEntry>, i64)>;
}

/// The change feed: a position per commit that changes what a server holds in memory.
pub trait ChangeFeed {
    /// The newest position (0 when nothing changed yet).
    fn change_position(&self) -> Result<i64>;
    /// The changes of `kind` after position `after`.
    fn changes_since(&self, after: i64, kind: ChangeKind) -> Result<Changes>;
    /// Deletes changes older than [`super::KEEP_CHANGES_S`] at `now` (Unix seconds), never
    /// the newest; returns how many.
    fn prune_changes(&self, now: i64) -> Result<usize>;
}

/// Everything the service reads and writes outside the report writer.
pub trait Repository:
    LayerStore + ReportStore + PlanningStore + TokenStore + AuditStore + ChangeFeed + Send
{
}

impl<T: LayerStore + ReportStore + PlanningStore + TokenStore + AuditStore + ChangeFeed + Send>
    Repository for T
{
}

impl LayerStore for Store {
    fn load_districts(&self) -> Result<Vec<District>> {
        Store::load_districts(self)
    }
    fn load_incidents(&self, with_synthetic: bool) -> Result<Incidents> {
        Store::load_incidents(self, with_synthetic)
    }
    fn load_observations(&self, with_synthetic: bool) -> Result<Vec<Observation>> {
        Store::load_observations(self, with_synthetic)
    }
    fn incident_snapshot_writer(&self) -> Option<super::snapshot::SnapshotWriter> {
        Store::incident_snapshot_writer(self)
    }
    fn insert_incidents(&mut self, incidents: &[NewIncident]) -> Result<usize> {
        Store::insert_incidents(self, incidents)
    }
    fn insert_incidents_streamed(
        &mut self,
        batches: std::sync::mpsc::Receiver<Vec<NewIncident>>,
        commit: &mut dyn FnMut() -> bool,
    ) -> Result<Option<usize>> {
        Store::insert_incidents_streamed(self, batches, commit)
    }
    fn insert_observations(&mut self, observations: &[NewObservation]) -> Result<usize> {
        Store::insert_observations(self, observations)
    }
    fn insert_walk_observation(&mut self, o: &NewObservation, walk: i64) -> Result<usize> {
        Store::insert_walk_observation(self, o, walk)
    }
    fn upsert_districts(&mut self, districts: &[District], source: &str) -> Result<usize> {
        Store::upsert_districts(self, districts, source)
    }
    fn count(&self, layer: Layer) -> Result<i64> {
        Store::count(self, layer)
    }
    fn public_id_key(&self) -> Result<[u8; 32]> {
        Store::public_id_key(self)
    }
    fn meta(&self, key: &str) -> Result<Option<String>> {
        Store::meta(self, key)
    }
    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        Store::set_meta(self, key, value)
    }
    fn claim_meta(&self, key: &str, value: &str) -> Result<bool> {
        Store::claim_meta(self, key, value)
    }
    fn sync_shipped_districts(&mut self, districts: &[District], digest: &str) -> Result<bool> {
        Store::sync_shipped_districts(self, districts, digest)
    }
    fn location(&self) -> super::Location {
        super::Location::Dir(
            self.path()
                .parent()
                .map(std::path::Path::to_path_buf)
                .unwrap_or_default(),
        )
    }
}

impl ReportStore for Store {
    fn load_reports(&self) -> Result<Vec<Report>> {
        Store::load_reports(self)
    }
    fn load_report(&self, id: i64) -> Result<Option<Report>> {
        Store::load_report(self, id)
    }
    fn report_of_key(&self, key: &str) -> Result<Option<(i64, String)>> {
        super::reports::report_of_key(&self.conn, key)
    }
    fn moderation_log(&self, report_id: i64) -> Result<Vec<ModerationEntry>> {
        Store::moderation_log(self, report_id)
    }
    fn create_walk(
        &self,
        title: &str,
        date: &str,
        route: Option<&str>,
        participants: &[String],
        created_by: &str,
        now: i64,
    ) -> Result<i64> {
        Store::create_walk(self, title, date, route, participants, created_by, now)
    }
    fn walks(&self) -> Result<Vec<Walk>> {
        Store::walks(self)
    }
    fn walk_exists(&self, id: i64) -> Result<bool> {
        Store::walk_exists(self, id)
    }
}

impl PlanningStore for Store {
    fn create_initiative(
        &self,
        feature: &serde_json::Value,
        published: bool,
        created_by: &str,
        now: i64,
    ) -> Result<i64> {
        Store::create_initiative(self, feature, published, created_by, now)
    }
    fn initiatives(&self) -> Result<Vec<StoredInitiative>> {
        Store::initiatives(self)
    }
    fn update_initiative(
        &self,
        id: i64,
        feature: &serde_json::Value,
        published: bool,
        now: i64,
    ) -> Result<bool> {
        Store::update_initiative(self, id, feature, published, now)
    }
    fn delete_initiative(&self, id: i64) -> Result<bool> {
        Store::delete_initiative(self, id)
    }
    fn put_measurements(
        &mut self,
        goal: &str,
        rows: &[(String, f64, Option<String>, Option<String>)],
        actor: &str,
        now: i64,
    ) -> Result<()> {
        Store::put_measurements(self, goal, rows, actor, now)
    }
    fn delete_measurement(&self, goal: &str, period: &str) -> Result<bool> {
        Store::delete_measurement(self, goal, period)
    }
    fn measurements(&self) -> Result<Vec<(String, Measurement)>> {
        Store::measurements(self)
    }
    fn goal_settings(&self) -> Result<Vec<(String, GoalSettings)>> {
        Store::goal_settings(self)
    }
    fn set_goal_settings(&self, goal: &str, s: &GoalSettings, actor: &str, now: i64) -> Result<()> {
        Store::set_goal_settings(self, goal, s, actor, now)
    }
    fn has_initiatives(&self) -> Result<bool> {
        Store::has_initiatives(self)
    }
}

impl TokenStore for Store {
    fn create_token(
        &self,
        name: &str,
        role: &str,
        salt: &str,
        hash: &str,
        now: i64,
    ) -> Result<i64> {
        Store::create_token(self, name, role, salt, hash, now)
    }
    fn tokens(&self) -> Result<Vec<StoredToken>> {
        Store::tokens(self)
    }
    fn revoke_token(&self, id: i64, now: i64) -> Result<bool> {
        Store::revoke_token(self, id, now)
    }
}

impl AuditStore for Store {
    fn record_audit(&self, e: &AuditEntry) -> Result<i64> {
        Store::record_audit(self, e)
    }
    fn audit(&self, limit: usize, offset: usize) -> Result<(Vec<AuditEntry>, i64)> {
        Store::audit(self, limit, offset)
    }
}

impl ChangeFeed for Store {
    fn change_position(&self) -> Result<i64> {
        Store::change_position(self)
    }
    fn changes_since(&self, after: i64, kind: ChangeKind) -> Result<Changes> {
        Store::changes_since(self, after, kind)
    }
    fn prune_changes(&self, now: i64) -> Result<usize> {
        Store::prune_changes(self, now)
    }
}
