//! SQL of resident reports, their moderation log and safety walks.

use rusqlite::{params, Connection, Row};

use super::{Result, Store, StoreError};
use crate::reports::{Contact, ModerationEntry, NewReport, Report, Service, Status, TimeOfDay};

/// A safety walk (tryghedsvandring): when, where, who by role (never names).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Walk {
    /// Id.
    pub id: i64,
    /// Title, e.g. "Tryghedsvandring Blågården, efterår".
    pub title: String,
    /// The day, `YYYY-MM-DD`.
    pub date: String,
    /// The route as a GeoJSON LineString (WGS84), if drawn.
    pub route: Option<serde_json::Value>,
    /// Participants' roles.
    pub participants: Vec<String>,
    /// Who recorded it (the token's actor text).
    pub created_by: String,
    /// Observations recorded on it.
    pub observations: i64,
}

const REPORT_COLUMNS: &str = "id, service_code, lon, lat, description, description_original, email, first_name, \
     last_name, time_of_day, status, published, reason, duplicate_of, status_note, me_too, created_at, \
     updated_at, follow_salt, follow_hash, district";

fn report_from(r: &Row<'_>) -> rusqlite::Result<Report> {
    let bad = |i: usize, what: String| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, what.into())
    };
    let code: String = r.get(1)?;
    let status: String = r.get(10)?;
    let tod: Option<String> = r.get(9)?;
    Ok(Report {
        id: r.get(0)?,
        service: Service::parse(&code).ok_or_else(|| bad(1, format!("service {code}")))?,
        lon: r.get(2)?,
        lat: r.get(3)?,
        description: r.get(4)?,
        description_original: r.get(5)?,
        contact: Contact {
            email: r.get(6)?,
            first_name: r.get(7)?,
            last_name: r.get(8)?,
        },
        time_of_day: tod.as_deref().and_then(TimeOfDay::parse),
        status: Status::parse(&status).ok_or_else(|| bad(10, format!("status {status}")))?,
        published: r.get(11)?,
        reason: r.get(12)?,
        duplicate_of: r.get(13)?,
        status_note: r.get(14)?,
        me_too: r.get(15)?,
        created_at: r.get(16)?,
        updated_at: r.get(17)?,
        follow: (r.get(18)?, r.get(19)?),
        district: r.get(20)?,
    })
}

/// Inserts a report in the open transaction `conn`; returns its id.
///
/// The id is random (ten digits): sequential ids would let anyone who sends two reports count
/// the unmoderated ones received in between. A taken id is drawn again.
pub(super) fn insert_report(conn: &Connection, n: &NewReport) -> Result<i64> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO reports(id, service_code, lon, lat, description, description_original, email, \
         first_name, last_name, time_of_day, status, published, me_too, created_at, updated_at, \
         follow_salt, follow_hash, district) \
         VALUES (?14, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'new', 0, 0, ?10, ?10, ?11, ?12, ?13) \
         ON CONFLICT(id) DO NOTHING",
    )?;
    for _ in 0..16 {
        let id = random_report_id();
        let inserted = stmt.execute(params![
            n.service.code(),
            n.lon,
            n.lat,
            n.description,
            n.description_original,
            n.contact.email,
            n.contact.first_name,
            n.contact.last_name,
            n.time_of_day.map(|t| t.code()),
            n.created_at,
            n.follow.0,
            n.follow.1,
            n.district,
            id,
        ])?;
        if inserted == 1 {
            return Ok(id);
        }
    }
    Err(StoreError::Corrupt {
        table: "reports",
        id: String::new(),
        reason: "no free report id after 16 draws".into(),
    })
}

/// A random report id of ten digits (1,000,000,000 ..= 9,999,999,999).
pub(crate) fn random_report_id() -> i64 {
    let mut b = [0u8; 8];
    // Without randomness ids still differ (the time), only less unpredictably.
    if getrandom::fill(&mut b).is_err() {
        b = (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0))
        .to_le_bytes();
    }
    1_000_000_000 + (u64::from_le_bytes(b) % 9_000_000_000) as i64
}

/// Writes a report's moderated state and the log entry, in the open transaction `conn`, if its
/// moderated state (status, published, reason, duplicate, note) is still that of `seen`, what
/// the moderation rules were applied to; returns whether it wrote. The "me too" count is left
/// as stored (another process may have counted one meanwhile).
pub(super) fn moderate(
    conn: &Connection,
    seen: &Report,
    r: &Report,
    entry: &ModerationEntry,
) -> Result<bool> {
    let n = conn.execute(
        "UPDATE reports SET status = ?2, published = ?3, reason = ?4, duplicate_of = ?5, \
         status_note = ?6, updated_at = ?7 \
         WHERE id = ?1 AND status = ?8 AND published = ?9 AND reason IS ?10 \
         AND duplicate_of IS ?11 AND status_note IS ?12",
        params![
            r.id,
            r.status.code(),
            r.published,
            r.reason,
            r.duplicate_of,
            r.status_note,
            r.updated_at,
            seen.status.code(),
            seen.published,
            seen.reason,
            seen.duplicate_of,
            seen.status_note,
        ],
    )?;
    if n == 0 {
        return Ok(false);
    }
    conn.execute(
        "INSERT INTO moderation(report_id, at, actor, action, reason, status, status_note, duplicate_of) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            entry.report_id,
            entry.at,
            entry.actor,
            entry.action,
            entry.reason,
            entry.status,
            entry.status_note,
            entry.duplicate_of
        ],
    )?;
    Ok(true)
}

/// Adds the "me too" a report marked as its duplicate gives report `id`, if `id` is still
/// published and not itself a duplicate; returns whether it did.
pub(super) fn duplicate_target(conn: &Connection, id: i64, now: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE reports SET me_too = me_too + 1, updated_at = ?2 \
             WHERE id = ?1 AND published = 1 AND status <> 'duplicate'",
        )?
        .execute(params![id, now])?
        == 1)
}

/// The report stored under the idempotency key digest `key`, with the digest of what was
/// asked then, if any.
pub(super) fn report_of_key(conn: &Connection, key: &str) -> Result<Option<(i64, String)>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached("SELECT report_id, request_hash FROM report_keys WHERE key_hash = ?1")?
        .query_row([key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// How long an idempotency key is kept, in seconds (a day: a client retries within minutes).
pub const KEEP_REPORT_KEYS_S: i64 = 86_400;

/// Adds one "me too" to a report, in the open transaction `conn`.
pub(super) fn me_too(conn: &Connection, id: i64, now: i64) -> Result<()> {
    conn.prepare_cached("UPDATE reports SET me_too = me_too + 1, updated_at = ?2 WHERE id = ?1")?
        .execute(params![id, now])?;
    Ok(())
}

impl Store {
    /// Every report, by id.
    pub fn load_reports(&self) -> Result<Vec<Report>> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {REPORT_COLUMNS} FROM reports ORDER BY id"))?;
        let rows = stmt.query_map([], report_from)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The report with `id`, as stored now.
    pub fn load_report(&self, id: i64) -> Result<Option<Report>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {REPORT_COLUMNS} FROM reports WHERE id = ?1"
        ))?;
        let mut rows = stmt.query_map([id], report_from)?;
        Ok(rows.next().transpose()?)
    }

    /// The moderation log of a report, oldest first.
    pub fn moderation_log(&self, report_id: i64) -> Result<Vec<ModerationEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT report_id, at, actor, action, reason, status, status_note, duplicate_of \
             FROM moderation WHERE report_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([report_id], |r| {
            Ok(ModerationEntry {
                report_id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                reason: r.get(4)?,
                status: r.get(5)?,
                status_note: r.get(6)?,
                duplicate_of: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Records a safety walk; returns its id.
    pub fn create_walk(
        &self,
        title: &str,
        date: &str,
        route: Option<&str>,
        participants: &[String],
        created_by: &str,
        now: i64,
    ) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO walks(title, date, route, participants, created_by, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                title,
                date,
                route,
                serde_json::to_string(participants).unwrap_or_else(|_| "[]".into()),
                created_by,
                now
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Whether walk `id` exists.
    pub fn walk_exists(&self, id: i64) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM walks WHERE id = ?1")?
            .exists([id])?)
    }

    /// Every walk, newest first, with its number of observations.
    pub fn walks(&self) -> Result<Vec<Walk>> {
        let mut stmt = self.conn.prepare(
            "SELECT w.id, w.title, w.date, w.route, w.participants, w.created_by, \
             (SELECT count(*) FROM observations o WHERE o.walk_id = w.id) \
             FROM walks w ORDER BY w.date DESC, w.id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            let route: Option<String> = r.get(3)?;
            let participants: String = r.get(4)?;
            Ok(Walk {
                id: r.get(0)?,
                title: r.get(1)?,
                date: r.get(2)?,
                route: route.and_then(|t| serde_json::from_str(&t).ok()),
                participants: serde_json::from_str(&participants).unwrap_or_default(),
                created_by: r.get(5)?,
                observations: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
