//! Schema migrations, versioned by SQLite's `user_version`. Each entry upgrades from the version
//! before it; a store is never downgraded.

use rusqlite::Connection;

use super::{Result, StoreError};

/// The migrations in order; `MIGRATIONS[n]` upgrades version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: districts, incidents, observations, meta.
    "CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE districts (
        id         TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        level      TEXT NOT NULL CHECK (level IN ('bydel', 'district', 'rode')),
        population INTEGER CHECK (population IS NULL OR population >= 0),
        parent     TEXT,
        geometry   TEXT NOT NULL,   -- GeoJSON Polygon/MultiPolygon, WGS84 lon/lat
        source     TEXT NOT NULL
    );
    CREATE TABLE incidents (
        id          INTEGER PRIMARY KEY,
        category    TEXT NOT NULL,
        occurred_at INTEGER NOT NULL,   -- Unix seconds, UTC
        lon         REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
        lat         REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
        precision   TEXT NOT NULL,
        source      TEXT NOT NULL,
        source_id   TEXT NOT NULL,
        synthetic   INTEGER NOT NULL DEFAULT 0,
        UNIQUE (source, source_id)
    );
    CREATE TABLE observations (
        id          INTEGER PRIMARY KEY,
        kind        TEXT NOT NULL,
        rating      INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
        note        TEXT NOT NULL,
        observed_at INTEGER NOT NULL,   -- Unix seconds, UTC
        lon         REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
        lat         REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
        source      TEXT NOT NULL,
        source_id   TEXT NOT NULL,
        synthetic   INTEGER NOT NULL DEFAULT 0,
        UNIQUE (source, source_id)
    );",
    // 2: API tokens (salted hashes only).
    "CREATE TABLE tokens (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        role       TEXT NOT NULL CHECK (role IN ('planner', 'police', 'admin')),
        salt       TEXT NOT NULL,
        hash       TEXT NOT NULL,       -- SHA-256(salt ':' secret), hex
        created_at INTEGER NOT NULL,    -- Unix seconds, UTC
        revoked_at INTEGER
    );",
    // 3: the audit log of exports (who, when, what, how many).
    "CREATE TABLE audit (
        id         INTEGER PRIMARY KEY,
        at         INTEGER NOT NULL,    -- Unix seconds, UTC
        actor      TEXT NOT NULL,       -- 'token 3 (name, police)', 'public' or 'command line'
        role       TEXT NOT NULL,
        action     TEXT NOT NULL,       -- 'export'
        collection TEXT NOT NULL,
        format     TEXT NOT NULL,
        query      TEXT NOT NULL,       -- the request's filters, URL-encoded
        features   INTEGER NOT NULL
    );",
    // 4: resident reports, their moderation log, safety walks.
    "CREATE TABLE reports (
        id                   INTEGER PRIMARY KEY,
        service_code         TEXT NOT NULL,
        lon                  REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
        lat                  REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
        description          TEXT NOT NULL,     -- scrubbed: what may be published
        description_original TEXT NOT NULL,     -- as sent: moderators only
        email                TEXT,              -- contact: moderators only
        first_name           TEXT,
        last_name            TEXT,
        time_of_day          TEXT CHECK (time_of_day IN ('day', 'evening', 'night')),
        status               TEXT NOT NULL,
        published            INTEGER NOT NULL DEFAULT 0,
        reason               TEXT,
        duplicate_of         INTEGER REFERENCES reports(id),
        status_note          TEXT,
        me_too               INTEGER NOT NULL DEFAULT 0,
        created_at           INTEGER NOT NULL,  -- Unix seconds, UTC
        updated_at           INTEGER NOT NULL,
        follow_salt          TEXT NOT NULL,     -- the reporter's follow key, salted SHA-256
        follow_hash          TEXT NOT NULL,
        district             TEXT
    );
    CREATE TABLE moderation (
        id           INTEGER PRIMARY KEY,
        report_id    INTEGER NOT NULL REFERENCES reports(id),
        at           INTEGER NOT NULL,
        actor        TEXT NOT NULL,
        action       TEXT NOT NULL,
        reason       TEXT,
        status       TEXT NOT NULL,
        status_note  TEXT,
        duplicate_of INTEGER
    );
    CREATE INDEX moderation_report ON moderation(report_id);
    CREATE TABLE walks (
        id           INTEGER PRIMARY KEY,
        title        TEXT NOT NULL,
        date         TEXT NOT NULL,      -- YYYY-MM-DD, Copenhagen
        route        TEXT,               -- GeoJSON LineString, WGS84, or NULL
        participants TEXT NOT NULL,      -- JSON array of roles, never names
        created_by   TEXT NOT NULL,
        created_at   INTEGER NOT NULL
    );
    ALTER TABLE observations ADD COLUMN walk_id INTEGER REFERENCES walks(id);",
    // 5: the programme's initiatives (issue 6): a GeoJSON Feature each, properties as JSON.
    "CREATE TABLE initiatives (
        id         INTEGER PRIMARY KEY,
        feature    TEXT NOT NULL,      -- GeoJSON Feature (WGS84), properties checked on entry
        published  INTEGER NOT NULL DEFAULT 0,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );",
    // 6: effect goals (issue 6): measured values per goal and period, and planners' settings
    // (baseline, target, owner) over the shipped definitions.
    "CREATE TABLE goal_measurements (
        goal_id    TEXT NOT NULL,       -- e.g. 3 or 5a
        period     TEXT NOT NULL,       -- YYYY, YYYY-H1 or YYYY-H2
        value      REAL NOT NULL,
        note       TEXT,
        source     TEXT,
        entered_by TEXT NOT NULL,
        entered_at INTEGER NOT NULL,
        PRIMARY KEY (goal_id, period)
    );
    CREATE TABLE goal_settings (
        goal_id         TEXT PRIMARY KEY,
        baseline_period TEXT,
        baseline_value  REAL,
        target          REAL,
        owner           TEXT,
        updated_by      TEXT NOT NULL,
        updated_at      INTEGER NOT NULL
    );",
    // 7: the secret behind the public incident ids (issue 12): random, made once per store.
    "INSERT OR IGNORE INTO meta(key, value)
        VALUES ('public_id_key', lower(hex(randomblob(32))));",
    // 8: the change feed (issue 13): every commit that changes what a server holds in memory
    // (the layers, the tokens, a report) adds a row in the same transaction, by trigger, so
    // every process on this store follows every other. Old rows are pruned; a follower that
    // finds its position pruned reloads everything.
    "CREATE TABLE changes (
        seq  INTEGER PRIMARY KEY,        -- max + 1: pruning never removes the newest row
        kind TEXT NOT NULL CHECK (kind IN ('layers', 'tokens', 'report')),
        key  INTEGER,                    -- the token's or the report's id; NULL for layers
        at   INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER))
    );
    CREATE TRIGGER changes_layers_insert AFTER INSERT ON meta WHEN NEW.key = 'generation'
    BEGIN INSERT INTO changes(kind) VALUES ('layers'); END;
    CREATE TRIGGER changes_layers_update AFTER UPDATE ON meta WHEN NEW.key = 'generation'
    BEGIN INSERT INTO changes(kind) VALUES ('layers'); END;
    CREATE TRIGGER changes_tokens_insert AFTER INSERT ON tokens
    BEGIN INSERT INTO changes(kind, key) VALUES ('tokens', NEW.id); END;
    CREATE TRIGGER changes_tokens_update AFTER UPDATE ON tokens
    BEGIN INSERT INTO changes(kind, key) VALUES ('tokens', NEW.id); END;
    CREATE TRIGGER changes_tokens_delete AFTER DELETE ON tokens
    BEGIN INSERT INTO changes(kind, key) VALUES ('tokens', OLD.id); END;
    CREATE TRIGGER changes_report_insert AFTER INSERT ON reports
    BEGIN INSERT INTO changes(kind, key) VALUES ('report', NEW.id); END;
    CREATE TRIGGER changes_report_update AFTER UPDATE ON reports
    BEGIN INSERT INTO changes(kind, key) VALUES ('report', NEW.id); END;
    CREATE TRIGGER changes_report_delete AFTER DELETE ON reports
    BEGIN INSERT INTO changes(kind, key) VALUES ('report', OLD.id); END;",
    // 9: what a start would otherwise compute for every incident again (issue 17), found once
    // when it is written (stored rows get theirs in this step, see `after`): its H3 cell at
    // resolution 10 (the public anchor) and its first-round public id (see
    // `privacy::public_id`; made with the store's own secret, kept beside it).
    "ALTER TABLE incidents ADD COLUMN cell INTEGER;
    ALTER TABLE incidents ADD COLUMN public_id INTEGER;",
    // 10: incidents are only ever added; any change to a stored one (a later migration, a
    // hand edit) is counted, so that the incident snapshot beside the store (see
    // `store::snapshot`) is not taken for the table any more. Inserts are not counted: a
    // snapshot knows its last id.
    "CREATE TRIGGER incident_edits_update AFTER UPDATE ON incidents
    BEGIN INSERT INTO meta(key, value) VALUES ('incident_edits', 1)
          ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1; END;
    CREATE TRIGGER incident_edits_delete AFTER DELETE ON incidents
    BEGIN INSERT INTO meta(key, value) VALUES ('incident_edits', 1)
          ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1; END;",
    // 11: idempotency keys of new reports (issue 16): a POST retried with the same
    // `Idempotency-Key` returns the report the first one made. Only a keyed digest of the key
    // is kept (see `reports::idempotency`), for a day.
    "CREATE TABLE report_keys (
        key_hash     TEXT PRIMARY KEY,
        request_hash TEXT NOT NULL,  -- what was asked, so a key replays only its own report
        report_id    INTEGER NOT NULL,
        created_at   INTEGER NOT NULL
    );",
];

/// What a migration does besides its SQL, in the same transaction: `n` is its index.
fn after(n: usize, tx: &rusqlite::Transaction<'_>) -> Result<()> {
    if n == 8 {
        let key: String = tx.query_row(
            "SELECT value FROM meta WHERE key = 'public_id_key'",
            [],
            |r| r.get(0),
        )?;
        let key = super::parse_key(&key)?;
        let points = {
            let mut stmt = tx.prepare("SELECT id, lon, lat FROM incidents")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<rusqlite::Result<Vec<(i64, f64, f64)>>>()?
        };
        let cells =
            crate::privacy::anchor_cells(&points.iter().map(|p| (p.1, p.2)).collect::<Vec<_>>());
        let ids = crate::privacy::public_ids(&key, &points.iter().map(|p| p.0).collect::<Vec<_>>());
        let mut stmt =
            tx.prepare("UPDATE incidents SET cell = ?2, public_id = ?3 WHERE id = ?1")?;
        for (((id, _, _), cell), public) in points.iter().zip(cells).zip(ids) {
            stmt.execute(rusqlite::params![
                id,
                cell.map(|c| u64::from(c) as i64),
                public
            ])?;
        }
    }
    Ok(())
}

/// Brings the schema to the newest version, each step in its own transaction.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let newest = MIGRATIONS.len() as i64;
    if current > newest {
        return Err(StoreError::TooNew {
            found: current,
            supported: newest,
        });
    }
    for (n, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        after(n, &tx)?;
        tx.pragma_update(None, "user_version", n as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incidents_stored_before_version_9_get_their_cell_and_public_id() {
        let dir = super::super::tests::tempdir();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("old.sqlite");
        {
            let mut conn = Connection::open(&path).unwrap();
            for (n, sql) in MIGRATIONS.iter().enumerate().take(8) {
                let tx = conn.transaction().unwrap();
                tx.execute_batch(sql).unwrap();
                tx.pragma_update(None, "user_version", n as i64 + 1)
                    .unwrap();
                tx.commit().unwrap();
            }
            for n in 0..50 {
                conn.execute(
                    "INSERT INTO incidents(category, occurred_at, lon, lat, precision, source, source_id)
                     VALUES ('theft', 0, ?1, ?2, 'street', 'old', ?3)",
                    rusqlite::params![12.5 + n as f64 * 1e-3, 55.6 + n as f64 * 7e-4, n.to_string()],
                )
                .unwrap();
            }
        }
        let mut conn = Connection::open(&path).unwrap();
        migrate(&mut conn).unwrap();
        let hex: String = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'public_id_key'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let key = super::super::parse_key(&hex).unwrap();
        let mut stmt = conn
            .prepare("SELECT id, lon, lat, cell, public_id FROM incidents")
            .unwrap();
        let rows: Vec<(i64, f64, f64, i64, i64)> = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(rows.len(), 50);
        for (id, lon, lat, cell, public) in rows {
            let want = crate::privacy::anchor_cell(lon, lat).unwrap();
            assert_eq!(cell as u64, u64::from(want));
            assert_eq!(public, crate::privacy::public_id(&key, id, 0));
        }
    }
}
