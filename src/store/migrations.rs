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
];

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
        tx.pragma_update(None, "user_version", n as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
