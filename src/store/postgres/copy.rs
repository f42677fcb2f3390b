//! `hotspot copy-store --to URL`: a whole SQLite store into an empty PostgreSQL + PostGIS
//! database, all or nothing. The SQLite side is read in one read transaction (a consistent
//! snapshot, safe while a server writes); the PostgreSQL side is written in one transaction
//! with `COPY`, its row counts checked against the snapshot's before it commits, and the id
//! sequences moved past the copied ids.

use std::io::Write;

use super::schema::TABLES;
use super::PgStore;
use crate::store::{Result, Store, StoreError};

/// What a copy copied: rows per table, in copy order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// (table, rows).
    pub tables: Vec<(&'static str, i64)>,
}

/// Copies every table of `from` into `to`, which must hold no hotspot data yet: no row in any
/// table but the settings (`meta`) and the change log, which the copy replaces — the
/// store's own secret replaces the one the schema made, so public incident ids stay as they
/// were. Nothing is written unless all is.
pub fn copy_store(from: &Store, to: &PgStore) -> Result<CopyReport> {
    let sqlite = from.conn.unchecked_transaction()?;
    check_columns(&sqlite)?;
    let mut client = to.client.borrow_mut();
    let mut tx = client.transaction()?;
    for (table, _) in TABLES {
        if matches!(*table, "meta" | "changes") {
            continue;
        }
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {table})");
        if tx.query_one(&sql, &[])?.get::<_, bool>(0) {
            return Err(StoreError::Refused(format!(
                "the database already holds hotspot data (table {table}); copy into an empty one"
            )));
        }
    }
    tx.batch_execute("DELETE FROM meta; DELETE FROM changes;")?;
    let mut report = CopyReport { tables: Vec::new() };
    for (table, columns) in TABLES {
        let list = columns.join(", ");
        let mut stmt = sqlite.prepare(&format!("SELECT {list} FROM {table}"))?;
        let mut rows = stmt.query([])?;
        let mut sink = tx.copy_in(&format!(
            "COPY {table} ({list}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
        ))?;
        let mut line = Vec::with_capacity(256);
        let mut copied = 0i64;
        while let Some(r) = rows.next()? {
            line.clear();
            for k in 0..columns.len() {
                if k > 0 {
                    line.push(b',');
                }
                csv_field(&mut line, r.get_ref(k)?, table)?;
            }
            line.push(b'\n');
            sink.write_all(&line).map_err(|e| StoreError::Io {
                path: format!("COPY {table}").into(),
                source: e,
            })?;
            copied += 1;
        }
        sink.finish()?;
        let stored: i64 = tx
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])?
            .get(0);
        let source: i64 =
            sqlite.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        if stored != source || copied != source {
            return Err(StoreError::Refused(format!(
                "{table}: {source} rows in the store, {copied} read, {stored} in the database; nothing was copied"
            )));
        }
        report.tables.push((table, stored));
    }
    // New rows written through PostgreSQL take ids after the copied ones.
    let identities = tx.query(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND is_identity = 'YES'",
        &[],
    )?;
    for r in identities {
        let (table, column): (String, String) = (r.get(0), r.get(1));
        tx.execute(
            &format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
                 coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"
            ),
            &[],
        )?;
    }
    tx.commit()?;
    Ok(report)
}

/// Refuses a store whose tables hold columns (or tables) the PostgreSQL schema lacks, so that
/// no data is left behind silently.
fn check_columns(sqlite: &rusqlite::Connection) -> Result<()> {
    let mut stmt = sqlite.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )?;
    let tables: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for table in tables {
        let Some((_, columns)) = TABLES.iter().find(|(t, _)| *t == table) else {
            return Err(StoreError::Refused(format!(
                "the store has a table {table} this binary cannot copy to PostgreSQL"
            )));
        };
        let mut info = sqlite.prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?;
        for column in info.query_map([], |r| r.get::<_, String>(0))? {
            let column = column?;
            if !columns.contains(&column.as_str()) {
                return Err(StoreError::Refused(format!(
                    "the store's {table}.{column} has no place in the PostgreSQL schema of this binary"
                )));
            }
        }
    }
    Ok(())
}

/// One CSV field for `COPY … (FORMAT csv, NULL '\N')`: NULL as an unquoted `\N`, every value
/// quoted (so an empty text stays empty and a text `\N` stays text).
fn csv_field(out: &mut Vec<u8>, v: rusqlite::types::ValueRef<'_>, table: &str) -> Result<()> {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => out.extend_from_slice(b"\\N"),
        ValueRef::Integer(i) => out.extend_from_slice(i.to_string().as_bytes()),
        ValueRef::Real(f) => out.extend_from_slice(format!("{f:?}").as_bytes()),
        ValueRef::Text(t) => quoted(out, t),
        ValueRef::Blob(_) => {
            return Err(StoreError::Corrupt {
                table: "(copy)",
                id: table.to_owned(),
                reason: "a binary value where the schema has none".to_owned(),
            })
        }
    }
    Ok(())
}

/// A quoted CSV field: `"` doubled inside.
pub(super) fn quoted(out: &mut Vec<u8>, text: &[u8]) {
    out.push(b'"');
    for &b in text {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}
