//! The layers' writes on PostgreSQL: incidents through `COPY` into a staging table and one
//! `INSERT … ON CONFLICT DO NOTHING` (all or nothing, idempotent by `(source, source_id)`) —
//! or, into an empty table, straight into it with its indexes made afterwards (see
//! [`BULK_PREPARE`]) —
//! observations and districts row by row; each write bumps the layers' generation and adds a
//! `layers` row to the change log in the same transaction, as the SQLite store's triggers do.

use std::io::Write;

use super::copy::quoted;
use super::{log_change, PgStore};
use crate::model::{District, NewIncident, NewObservation};
use crate::store::{Result, StoreError};

/// Bumps the layers' generation and logs the change (in the caller's transaction, as its last
/// statement before the commit: the change log's lock is held from here to the commit).
fn bump_generation(tx: &mut postgres::Transaction<'_>, layer: crate::model::Layer) -> Result<()> {
    tx.batch_execute(
        "INSERT INTO meta(key, value) VALUES ('generation', '1')
         ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + 1)::text;",
    )?;
    log_change(tx, "layers", Some(crate::store::layer_key(layer)))
}

/// Ahead of a load into the empty incidents table: the table to this transaction alone (readers
/// wait for its commit), without the GiST index and the unique `(source, source_id)` index,
/// which [`finish_bulk`] makes again.
const BULK_PREPARE: &str = "DROP INDEX IF EXISTS incidents_geom;
     ALTER TABLE incidents DROP CONSTRAINT IF EXISTS incidents_source_source_id_key;";

/// Takes the incidents table for a first load ([`BULK_PREPARE`]) if readers let it within 5 s
/// (a lock request waiting behind a long reader would hold up every reader after it); returns
/// whether it did — if not, the load takes the staging table's way, as later imports do.
fn take_for_bulk(tx: &mut postgres::Transaction<'_>) -> Result<bool> {
    let mut attempt = tx.savepoint("bulk")?;
    let taken = attempt.batch_execute(
        "SET LOCAL lock_timeout = '5s';
         LOCK TABLE incidents IN ACCESS EXCLUSIVE MODE;
         SET LOCAL lock_timeout = 0;",
    );
    match taken {
        Ok(()) => {
            attempt.batch_execute(BULK_PREPARE)?;
            attempt.commit()?;
            Ok(true)
        }
        Err(e) if e.code() == Some(&postgres::error::SqlState::LOCK_NOT_AVAILABLE) => {
            attempt.rollback()?;
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// After `copied` rows went straight into the empty table: its unique `(source, source_id)`
/// index made again — a record repeated in the file kept once, the first, as `ON CONFLICT DO
/// NOTHING` would — and its GiST index. Returns the rows kept.
fn finish_bulk(tx: &mut postgres::Transaction<'_>, copied: u64) -> Result<u64> {
    const UNIQUE: &str =
        "ALTER TABLE incidents ADD CONSTRAINT incidents_source_source_id_key UNIQUE (source, source_id)";
    let mut attempt = tx.savepoint("kept_once")?;
    let repeated = match attempt.batch_execute(UNIQUE) {
        Ok(()) => {
            attempt.commit()?;
            0
        }
        Err(e) if e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION) => {
            attempt.rollback()?;
            // Every record after the first of its key, found in one sort (a self-join would
            // compare each of many repeats of one key with all the others).
            let n = tx.execute(
                "DELETE FROM incidents WHERE id IN (
                     SELECT id FROM (
                         SELECT id, row_number() OVER (PARTITION BY source, source_id ORDER BY id) AS n
                         FROM incidents) ranked
                     WHERE n > 1)",
                &[],
            )?;
            tx.batch_execute(UNIQUE)?;
            n
        }
        Err(e) => return Err(e.into()),
    };
    tx.batch_execute("CREATE INDEX incidents_geom ON incidents USING gist (geom)")?;
    Ok(copied - repeated)
}

impl PgStore {
    /// Inserts incidents as their batches arrive, in one transaction, committed once they all
    /// have if `commit()` says so (returns how many were new) or rolled back (`None`). Each row
    /// gets the next id after the largest stored, in the order given (one writer at a time: the
    /// table is locked against other writers, not readers — against readers too while the first
    /// load fills the empty table), so its anchor cell and public id are made before it is sent;
    /// a row skipped as already stored leaves its id unused.
    pub fn insert_incident_batches<B: AsRef<[NewIncident]>>(
        &mut self,
        batches: impl Iterator<Item = B>,
        commit: &mut dyn FnMut() -> bool,
    ) -> Result<Option<usize>> {
        let key = self.public_id_key()?;
        let client = self.client_mut()?;
        let mut tx = client.transaction()?;
        tx.batch_execute(
            "LOCK TABLE incidents IN SHARE ROW EXCLUSIVE MODE;
             CREATE TEMP TABLE incoming (
                 id bigint, category text, occurred_at bigint, lon double precision,
                 lat double precision, precision text, source text, source_id text,
                 synthetic integer, cell bigint, public_id bigint) ON COMMIT DROP;",
        )?;
        let first: i64 = tx
            .query_one("SELECT coalesce(max(id), 0) + 1 FROM incidents", &[])?
            .get(0);
        // The first load of a country's incidents goes straight into the empty table, whose
        // indexes are made once afterwards (several times faster than kept up row by row).
        let bulk = first == 1 && take_for_bulk(&mut tx)?;
        let mut sink = tx.copy_in(if bulk {
            "COPY incidents (id, category, occurred_at, lon, lat, precision, source, source_id, synthetic, cell, public_id)
             FROM STDIN WITH (FORMAT csv, NULL '\\N')"
        } else {
            "COPY incoming FROM STDIN WITH (FORMAT csv, NULL '\\N')"
        })?;
        let mut id = first;
        let mut line = Vec::with_capacity(1 << 16);
        for batch in batches {
            line.clear();
            for i in batch.as_ref() {
                let cell = crate::privacy::anchor_cell(i.lon, i.lat).map(|c| u64::from(c) as i64);
                let public_id = crate::privacy::public_id(&key, id, 0);
                write!(
                    line,
                    "{id},{},{},{:?},{:?},{},",
                    i.category.code(),
                    i.occurred_at,
                    i.lon,
                    i.lat,
                    i.precision.code()
                )
                .expect("writing to a Vec cannot fail");
                quoted(&mut line, i.source.as_bytes());
                line.push(b',');
                quoted(&mut line, i.source_id.as_bytes());
                match cell {
                    Some(c) => writeln!(line, ",{},{c},{public_id}", i32::from(i.synthetic)),
                    None => writeln!(line, ",{},\\N,{public_id}", i32::from(i.synthetic)),
                }
                .expect("writing to a Vec cannot fail");
                id += 1;
            }
            sink.write_all(&line).map_err(|e| StoreError::Io {
                path: "COPY incidents".into(),
                source: e,
            })?;
        }
        let copied = sink.finish()?;
        if !commit() {
            // Dropping the transaction rolls it back (the dropped indexes too).
            return Ok(None);
        }
        let added = if bulk {
            finish_bulk(&mut tx, copied)?
        } else {
            tx.execute(
                "INSERT INTO incidents (id, category, occurred_at, lon, lat, precision, source, source_id, synthetic, cell, public_id)
                 SELECT * FROM incoming ORDER BY id
                 ON CONFLICT (source, source_id) DO NOTHING",
                &[],
            )?
        };
        if added > 0 {
            tx.batch_execute(
                "INSERT INTO meta(key, value)
                     VALUES ('incident_stamp', encode(uuid_send(gen_random_uuid()), 'hex'))
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value;
                 SELECT setval(pg_get_serial_sequence('incidents', 'id'),
                               (SELECT max(id) FROM incidents) + 1, false);",
            )?;
        }
        // Last, so that the change log's lock is held for the commit only.
        bump_generation(&mut tx, crate::model::Layer::Incidents)?;
        tx.commit()?;
        Ok(Some(added as usize))
    }

    /// Inserts observations in one transaction, skipping known `(source, source_id)`; with
    /// `walk`, each is linked to that safety walk in the same transaction.
    pub fn insert_observations_on(
        &mut self,
        observations: &[NewObservation],
        walk: Option<i64>,
    ) -> Result<usize> {
        let mut tx = self.client_mut()?.transaction()?;
        let stmt = tx.prepare(
            "INSERT INTO observations(kind, rating, note, observed_at, lon, lat, source, source_id, synthetic, walk_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (source, source_id) DO UPDATE SET walk_id = coalesce(excluded.walk_id, observations.walk_id)
             RETURNING (xmax = 0)",
        )?;
        let mut added = 0;
        for o in observations {
            let row = tx.query_one(
                &stmt,
                &[
                    &o.kind.code(),
                    &i32::from(o.rating),
                    &o.note,
                    &o.observed_at,
                    &o.lon,
                    &o.lat,
                    &o.source,
                    &o.source_id,
                    &i32::from(o.synthetic),
                    &walk,
                ],
            )?;
            added += usize::from(row.get::<_, bool>(0));
        }
        bump_generation(&mut tx, crate::model::Layer::Observations)?;
        tx.commit()?;
        Ok(added)
    }

    /// Inserts or replaces districts by id, in one transaction, marked with `source`.
    pub fn upsert_districts(&mut self, districts: &[District], source: &str) -> Result<usize> {
        let mut tx = self.client_mut()?.transaction()?;
        upsert_districts_in(&mut tx, districts, source)?;
        bump_generation(&mut tx, crate::model::Layer::Districts)?;
        tx.commit()?;
        Ok(districts.len())
    }

    /// Replaces the shipped districts with `districts` in one transaction, unless the database
    /// already holds the shipped set whose digest is `digest`. Returns whether it wrote.
    pub fn sync_shipped_districts(&mut self, districts: &[District], digest: &str) -> Result<bool> {
        let mut tx = self.client_mut()?.transaction()?;
        // Replicas starting together: one writes, the others then find the digest.
        tx.execute(
            "SELECT pg_advisory_xact_lock($1)",
            &[&super::MIGRATION_LOCK],
        )?;
        let stored: Option<String> = tx
            .query_opt(
                "SELECT value FROM meta WHERE key = 'shipped_districts_digest'",
                &[],
            )?
            .map(|r| r.get(0));
        if stored.as_deref() == Some(digest) {
            return Ok(false);
        }
        tx.execute("DELETE FROM districts WHERE source = 'shipped'", &[])?;
        upsert_districts_in(&mut tx, districts, "shipped")?;
        tx.execute(
            "INSERT INTO meta(key, value) VALUES ('shipped_districts_digest', $1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&digest],
        )?;
        bump_generation(&mut tx, crate::model::Layer::Districts)?;
        tx.commit()?;
        Ok(true)
    }
}

/// Inserts or replaces districts by id in the open transaction `tx`, marked with `source`.
fn upsert_districts_in(
    tx: &mut postgres::Transaction<'_>,
    districts: &[District],
    source: &str,
) -> Result<()> {
    let stmt = tx.prepare(
        "INSERT INTO districts(id, name, level, population, parent, geometry, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, level = excluded.level,
           population = excluded.population, parent = excluded.parent,
           geometry = excluded.geometry, source = excluded.source",
    )?;
    for d in districts {
        let geometry = geojson::Geometry::from(&d.geometry).to_string();
        tx.execute(
            &stmt,
            &[
                &d.id,
                &d.name,
                &d.level.code(),
                &d.population.map(i64::from),
                &d.parent,
                &geometry,
                &source,
            ],
        )?;
    }
    Ok(())
}
