//! Resident reports, their moderation log and safety walks on PostgreSQL, and the report
//! writer's side here ([`PgReportSink`]): every batch of report writes is one transaction whose
//! last statement adds a `report` row per touched report to the change log, so every replica
//! reads it into its book.

use postgres::GenericClient;

use super::{PgStore, CHANGE_LOCK};
use crate::reports::{Contact, ModerationEntry, NewReport, Report, Service, Status, TimeOfDay};
use crate::store::writer::{
    replayed, Outcomes, ReportKey, ReportSink, ReportWrite, Touched, WriteError, Written,
};
use crate::store::{ReportStore, Result, StoreError, Walk};

/// The columns a [`Report`] is read from (see [`report_from`]).
macro_rules! report_columns {
    () => {
        "id, service_code, lon, lat, description, description_original, email, first_name, \
         last_name, time_of_day, status, published, reason, duplicate_of, status_note, me_too, \
         created_at, updated_at, follow_salt, follow_hash, district"
    };
}
const REPORT_COLUMNS: &str = report_columns!();

fn report_from(r: &postgres::Row) -> Result<Report> {
    let id: i64 = r.get(0);
    let corrupt = |reason: String| StoreError::Corrupt {
        table: "reports",
        id: id.to_string(),
        reason,
    };
    let code: String = r.get(1);
    let status: String = r.get(10);
    let tod: Option<String> = r.get(9);
    Ok(Report {
        id,
        service: Service::parse(&code).ok_or_else(|| corrupt(format!("service {code}")))?,
        lon: r.get(2),
        lat: r.get(3),
        description: r.get(4),
        description_original: r.get(5),
        contact: Contact {
            email: r.get(6),
            first_name: r.get(7),
            last_name: r.get(8),
        },
        time_of_day: tod.as_deref().and_then(TimeOfDay::parse),
        status: Status::parse(&status).ok_or_else(|| corrupt(format!("status {status}")))?,
        published: r.get::<_, i32>(11) != 0,
        reason: r.get(12),
        duplicate_of: r.get(13),
        status_note: r.get(14),
        me_too: u32::try_from(r.get::<_, i64>(15)).map_err(|e| corrupt(e.to_string()))?,
        created_at: r.get(16),
        updated_at: r.get(17),
        follow: (r.get(18), r.get(19)),
        district: r.get(20),
    })
}

impl ReportStore for PgStore {
    fn load_reports(&self) -> Result<Vec<Report>> {
        let rows = self.client()?.query(
            &format!("SELECT {REPORT_COLUMNS} FROM reports ORDER BY id"),
            &[],
        )?;
        rows.iter().map(report_from).collect()
    }

    fn load_report(&self, id: i64) -> Result<Option<Report>> {
        let row = self.client()?.query_opt(
            &format!("SELECT {REPORT_COLUMNS} FROM reports WHERE id = $1"),
            &[&id],
        )?;
        row.as_ref().map(report_from).transpose()
    }

    fn load_reports_by_id(&self, ids: &[i64]) -> Result<Vec<Report>> {
        // Read by every replica after each commit of reports: prepared once.
        const BY_ID: &str = concat!(
            "SELECT ",
            report_columns!(),
            " FROM reports WHERE id = ANY($1)"
        );
        let mut client = self.client()?;
        let by_id = self.prepared(&mut client, BY_ID)?;
        let rows = client.query(&by_id, &[&ids])?;
        rows.iter().map(report_from).collect()
    }

    fn report_of_key(&self, key: &str) -> Result<Option<(i64, String)>> {
        Ok(self
            .client()?
            .query_opt(
                "SELECT report_id, request_hash FROM report_keys WHERE key_hash = $1",
                &[&key],
            )?
            .map(|r| (r.get(0), r.get(1))))
    }

    fn moderation_log(&self, report_id: i64) -> Result<Vec<ModerationEntry>> {
        let rows = self.client()?.query(
            "SELECT report_id, at, actor, action, reason, status, status_note, duplicate_of
             FROM moderation WHERE report_id = $1 ORDER BY id",
            &[&report_id],
        )?;
        Ok(rows
            .iter()
            .map(|r| ModerationEntry {
                report_id: r.get(0),
                at: r.get(1),
                actor: r.get(2),
                action: r.get(3),
                reason: r.get(4),
                status: r.get(5),
                status_note: r.get(6),
                duplicate_of: r.get(7),
            })
            .collect())
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
        let participants = serde_json::to_string(participants).unwrap_or_else(|_| "[]".into());
        Ok(self
            .client()?
            .query_one(
                "INSERT INTO walks(title, date, route, participants, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[&title, &date, &route, &participants, &created_by, &now],
            )?
            .get(0))
    }

    fn walks(&self) -> Result<Vec<Walk>> {
        let rows = self.client()?.query(
            "SELECT w.id, w.title, w.date, w.route, w.participants, w.created_by,
                    (SELECT count(*) FROM observations o WHERE o.walk_id = w.id)
             FROM walks w ORDER BY w.date DESC, w.id DESC",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| Walk {
                id: r.get(0),
                title: r.get(1),
                date: r.get(2),
                route: r
                    .get::<_, Option<String>>(3)
                    .and_then(|t| serde_json::from_str(&t).ok()),
                participants: serde_json::from_str(&r.get::<_, String>(4)).unwrap_or_default(),
                created_by: r.get(5),
                observations: r.get(6),
            })
            .collect())
    }

    fn walk_exists(&self, id: i64) -> Result<bool> {
        Ok(self
            .client()?
            .query_opt("SELECT 1 FROM walks WHERE id = $1", &[&id])?
            .is_some())
    }
}

/// The report writer's connection to PostgreSQL (see [`crate::store::writer`]). A lost
/// connection fails the batch it was writing (none of it was acknowledged) and is made again
/// for the next; one that was idle is checked first (see [`super::IDLE_CHECK`]).
pub struct PgReportSink {
    url: String,
    client: postgres::Client,
    /// When the connection was last used.
    used: std::cell::Cell<std::time::Instant>,
    /// The writer's statements, prepared once per connection: a batch is a handful of round
    /// trips made one after another, each a bind and execute of a statement parsed once.
    statements: SinkStatements,
    /// The change-feed positions the last committed batch logged.
    logged: Vec<i64>,
}

/// The statements of a [`PgReportSink`], prepared on its connection.
struct SinkStatements {
    /// The insert of a new report (see [`INSERT_REPORT`]).
    insert: postgres::Statement,
    /// The insert of a batch's new reports in one statement (see [`insert_new`]).
    insert_many: postgres::Statement,
    /// The transaction's id and the batch's idempotency-key locks (see [`BEGIN_BATCH`]).
    begin: postgres::Statement,
    /// The row locks of stored reports the batch changes, in id order.
    lock_reports: postgres::Statement,
    /// The stored reports of idempotency keys.
    stored_keys: postgres::Statement,
    /// The insert of new reports' idempotency keys.
    insert_keys: postgres::Statement,
}

/// A batch's first statement: its transaction id (to learn whether it committed should the
/// answer to COMMIT be lost), and the advisory locks of its new reports' idempotency keys in key
/// order (a client retrying through two replicas at once, or two clients with one key, would
/// otherwise make two batches wait on each other's keys in opposite orders; in key order, one
/// waits for the other's commit and then finds the key taken). Each lock is taken after the
/// sort (PostgreSQL evaluates a volatile output column after ORDER BY).
const BEGIN_BATCH: &str = "SELECT txid_current(),
     (SELECT count(*) FROM (SELECT pg_advisory_xact_lock(hashtextextended(k, 16))
                            FROM unnest($1::text[]) AS k ORDER BY k) AS locked)";

/// The insert of a new report (its id drawn by the writer).
const INSERT_REPORT: &str =
    "INSERT INTO reports(id, service_code, lon, lat, description, description_original, email,
     first_name, last_name, time_of_day, status, published, me_too, created_at, updated_at,
     follow_salt, follow_hash, district)
     VALUES ($14, $1, $2, $3, $4, $5, $6, $7, $8, $9, 'new', 0, 0, $10, $10, $11, $12, $13)
     ON CONFLICT (id) DO NOTHING";

/// The insert of many new reports (ids drawn by the writer), one array per column; answers the
/// ids inserted (an id already taken is not).
const INSERT_REPORTS: &str =
    "INSERT INTO reports(id, service_code, lon, lat, description, description_original, email,
     first_name, last_name, time_of_day, status, published, me_too, created_at, updated_at,
     follow_salt, follow_hash, district)
     SELECT id, code, lon, lat, d, d_orig, email, first, last, tod, 'new', 0, 0, at, at, salt, hash, district
     FROM unnest($1::bigint[], $2::text[], $3::float8[], $4::float8[], $5::text[], $6::text[],
                 $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::text[],
                 $13::text[], $14::text[])
          AS n(id, code, lon, lat, d, d_orig, email, first, last, tod, at, salt, hash, district)
     ON CONFLICT (id) DO NOTHING
     RETURNING id";

impl PgReportSink {
    /// Connects to the database at `url` (whose schema is already migrated).
    pub fn connect(url: &str) -> Result<PgReportSink> {
        let mut client = super::connect(url)?;
        let statements = SinkStatements {
            insert: client.prepare(INSERT_REPORT)?,
            insert_many: client.prepare(INSERT_REPORTS)?,
            begin: client.prepare(BEGIN_BATCH)?,
            lock_reports: client
                .prepare("SELECT id FROM reports WHERE id = ANY($1) ORDER BY id FOR UPDATE")?,
            stored_keys: client.prepare(
                "SELECT key_hash, report_id, request_hash FROM report_keys WHERE key_hash = ANY($1)",
            )?,
            insert_keys: client.prepare(
                "INSERT INTO report_keys(key_hash, request_hash, report_id, created_at)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])
                 ON CONFLICT (key_hash) DO NOTHING",
            )?,
        };
        Ok(PgReportSink {
            url: url.to_owned(),
            client,
            used: std::cell::Cell::new(std::time::Instant::now()),
            statements,
            logged: Vec::new(),
        })
    }
}

impl ReportSink for PgReportSink {
    fn commit(&mut self, writes: Vec<ReportWrite>) -> Result<Outcomes> {
        // A connection the server ended (a restart, a failover, a cut idle connection) shows
        // only when used, and would fail the batch: one idle for a while is checked first.
        if !super::usable(&mut self.client, &self.used) {
            *self = PgReportSink::connect(&self.url)?;
        }
        self.used.set(std::time::Instant::now());
        self.logged.clear();
        let mut logged = Vec::new();
        let out = self.commit_batch(writes, true, &mut logged)?;
        self.logged = logged;
        Ok(out)
    }

    fn logged(&mut self) -> Vec<i64> {
        std::mem::take(&mut self.logged)
    }
}

impl PgReportSink {
    /// Writes `writes` in one transaction: the new reports together (`together`, in a few
    /// statements for the whole batch), or each write alone.
    /// Adds the change-feed positions it logged to `logged` (known only once committed).
    fn commit_batch(
        &mut self,
        writes: Vec<ReportWrite>,
        together: bool,
        logged: &mut Vec<i64>,
    ) -> Result<Outcomes> {
        let st = &self.statements;
        let mut tx = self.client.transaction()?;
        let mut keys: Vec<&str> = writes
            .iter()
            .filter_map(|w| match w {
                ReportWrite::Insert(_, Some(k)) => Some(k.key.as_str()),
                _ => None,
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let xid: i64 = tx.query_one(&st.begin, &[&keys])?.get(0);
        // The stored reports this batch changes, locked in id order (after the keys, as every
        // batch does): two replicas' batches touching the same reports in opposite orders
        // would otherwise deadlock.
        let mut stored: Vec<i64> = writes
            .iter()
            .flat_map(|w| match w {
                ReportWrite::Insert(..) => vec![],
                ReportWrite::MeToo { id, .. } => vec![*id],
                ReportWrite::Moderate {
                    report,
                    duplicate_of,
                    ..
                } => std::iter::once(report.id).chain(*duplicate_of).collect(),
            })
            .collect();
        if !stored.is_empty() {
            stored.sort_unstable();
            stored.dedup();
            tx.execute(&st.lock_reports, &[&stored])?;
        }
        let mut slots: Vec<Option<std::result::Result<(Written, Touched), WriteError>>> =
            (0..writes.len()).map(|_| None).collect();
        let mut new = Vec::new();
        let mut each = Vec::new();
        for (i, w) in writes.into_iter().enumerate() {
            match w {
                ReportWrite::Insert(n, k) if together => new.push((i, n, k)),
                w => each.push((i, w)),
            }
        }
        if !new.is_empty() {
            match insert_new(&mut tx, st, &new) {
                Ok(outcomes) => {
                    for ((i, n, _), outcome) in new.into_iter().zip(outcomes) {
                        slots[i] = Some(match outcome {
                            NewOutcome::Inserted(id) => Ok((
                                Written::Id(id),
                                Touched::Inserted(Box::new(Report::from_new(id, *n))),
                            )),
                            NewOutcome::Answered(a) => a,
                        });
                    }
                }
                Err(e) => {
                    // The transaction is void: the batch again, each write alone (rare: a
                    // key stored meanwhile without its lock, a database error).
                    tx.rollback()?;
                    tracing::warn!(
                        "writing {} new reports together failed ({e}); writing each alone",
                        new.len()
                    );
                    let mut writes: Vec<(usize, ReportWrite)> = each;
                    writes.extend(
                        new.into_iter()
                            .map(|(i, n, k)| (i, ReportWrite::Insert(n, k))),
                    );
                    writes.sort_unstable_by_key(|(i, _)| *i);
                    let writes = writes.into_iter().map(|(_, w)| w).collect();
                    return self.commit_batch(writes, false, logged);
                }
            }
        }
        for (i, w) in each {
            let mut job = tx.savepoint("job")?;
            let done = apply(&mut job, &st.insert, w);
            if done.is_ok() {
                job.commit()?;
            } else {
                job.rollback()?;
            }
            slots[i] = Some(done);
        }
        let out: Outcomes = slots
            .into_iter()
            .map(|s| s.unwrap_or_else(|| Err(WriteError::Store("a write was not applied".into()))))
            .collect();
        let touched_ids: Vec<String> = out
            .iter()
            .flat_map(|o| match o {
                Ok((_, Touched::Inserted(r))) => vec![r.id],
                Ok((_, Touched::Changed(ids))) => ids.clone(),
                Err(_) => vec![],
            })
            .map(|id| id.to_string())
            .collect();
        let mut seqs = Vec::new();
        if !touched_ids.is_empty() {
            // Last, so the change log's lock is held for the commit only (see CHANGE_LOCK); one
            // round trip (the ids are our own integers, so they are written into the text).
            for message in tx.simple_query(&format!(
                "SELECT pg_advisory_xact_lock({CHANGE_LOCK});
                 INSERT INTO changes(kind, key) SELECT 'report', unnest('{{{}}}'::bigint[]) RETURNING seq;
                 {}",
                touched_ids.join(","),
                super::NOTIFY
            ))? {
                if let postgres::SimpleQueryMessage::Row(row) = message {
                    // Only the insert's rows have a column named seq.
                    if let Some(seq) = row.try_get("seq").ok().flatten() {
                        seqs.extend(seq.parse::<i64>().ok());
                    }
                }
            }
        }
        match tx.commit() {
            Ok(()) => {
                logged.extend(seqs);
                Ok(out)
            }
            // The connection failed at COMMIT: the reports may be stored all the same, and a
            // client told otherwise would send them again. Asked on a new connection.
            Err(e) if self.client.is_closed() => match self.committed(xid) {
                Ok(true) => Ok(out),
                Ok(false) => Err(e.into()),
                Err(unknown) => {
                    tracing::error!("whether a batch of reports committed is unknown: {unknown}");
                    Err(e.into())
                }
            },
            Err(e) => Err(e.into()),
        }
    }

    /// Whether transaction `xid` committed, asked on a new connection (waiting up to 2 s for
    /// one still in progress, such as a COMMIT whose connection was cut as it ran).
    fn committed(&mut self, xid: i64) -> Result<bool> {
        *self = PgReportSink::connect(&self.url)?;
        for _ in 0..20 {
            let status: Option<String> = self
                .client
                .query_one("SELECT txid_status($1)", &[&xid])?
                .get(0);
            match status.as_deref() {
                Some("committed") => return Ok(true),
                Some("in progress") => std::thread::sleep(std::time::Duration::from_millis(100)),
                _ => return Ok(false),
            }
        }
        Ok(false)
    }
}

/// What became of one new report written with others (see [`insert_new`]).
enum NewOutcome {
    /// Stored under this id.
    Inserted(i64),
    /// Answered without a new row: a replay of its idempotency key, or its refusal.
    Answered(std::result::Result<(Written, Touched), WriteError>),
}

/// Writes a batch's new reports in the open transaction `tx` with a few statements, however
/// many there are: the stored idempotency keys in one query (their advisory locks are held, so
/// no other replica stores one meanwhile), the reports in one insert (`st.insert_many`, ids drawn here;
/// an id already taken is drawn again), their keys in another. A key sent twice in the batch
/// replays its first report. Returns each report's outcome, in order; on an error nothing of it
/// is to be kept (the caller rolls back).
fn insert_new(
    tx: &mut postgres::Transaction<'_>,
    st: &SinkStatements,
    new: &[(usize, Box<NewReport>, Option<ReportKey>)],
) -> std::result::Result<Vec<NewOutcome>, StoreError> {
    use std::collections::{HashMap, HashSet};
    let keys: Vec<&str> = new
        .iter()
        .filter_map(|(_, _, k)| k.as_ref().map(|k| k.key.as_str()))
        .collect();
    let mut stored: HashMap<String, (i64, String)> = HashMap::new();
    if !keys.is_empty() {
        for r in tx.query(&st.stored_keys, &[&keys])? {
            stored.insert(r.get(0), (r.get(1), r.get(2)));
        }
    }
    // Which reports are new rows; the others replay a stored key or one earlier in the batch.
    enum Plan {
        Row,
        Replay(std::result::Result<(Written, Touched), WriteError>),
        SameAs(usize, String),
    }
    let mut first_of: HashMap<&str, (usize, &str)> = HashMap::new();
    let plans: Vec<Plan> = new
        .iter()
        .enumerate()
        .map(|(j, (_, _, k))| match k {
            None => Plan::Row,
            Some(k) => {
                if let Some((id, request)) = stored.get(&k.key) {
                    Plan::Replay(replayed(*id, request, &k.request))
                } else if let Some((first, request)) = first_of.get(k.key.as_str()) {
                    Plan::SameAs(*first, request.to_string())
                } else {
                    first_of.insert(&k.key, (j, &k.request));
                    Plan::Row
                }
            }
        })
        .collect();
    let mut ids: Vec<Option<i64>> = vec![None; new.len()];
    let mut drawn = HashSet::new();
    for _ in 0..16 {
        let rows: Vec<usize> = (0..new.len())
            .filter(|&j| matches!(plans[j], Plan::Row) && ids[j].is_none())
            .collect();
        if rows.is_empty() {
            break;
        }
        let draw: Vec<i64> = rows
            .iter()
            .map(|_| loop {
                let id = crate::store::reports::random_report_id();
                if drawn.insert(id) {
                    break id;
                }
            })
            .collect();
        let n = |j: usize| &new[j].1;
        let col = |f: &dyn Fn(&NewReport) -> Option<String>| -> Vec<Option<String>> {
            rows.iter().map(|&j| f(n(j))).collect()
        };
        let inserted: HashSet<i64> = tx
            .query(
                &st.insert_many,
                &[
                    &draw,
                    &col(&|n| Some(n.service.code().to_owned())),
                    &rows.iter().map(|&j| n(j).lon).collect::<Vec<f64>>(),
                    &rows.iter().map(|&j| n(j).lat).collect::<Vec<f64>>(),
                    &col(&|n| Some(n.description.clone())),
                    &col(&|n| Some(n.description_original.clone())),
                    &col(&|n| n.contact.email.clone()),
                    &col(&|n| n.contact.first_name.clone()),
                    &col(&|n| n.contact.last_name.clone()),
                    &col(&|n| n.time_of_day.map(|t| t.code().to_owned())),
                    &rows.iter().map(|&j| n(j).created_at).collect::<Vec<i64>>(),
                    &col(&|n| Some(n.follow.0.clone())),
                    &col(&|n| Some(n.follow.1.clone())),
                    &col(&|n| n.district.clone()),
                ],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for (&j, id) in rows.iter().zip(draw) {
            if inserted.contains(&id) {
                ids[j] = Some(id);
            }
        }
    }
    let mut key_rows: (Vec<&str>, Vec<&str>, Vec<i64>, Vec<i64>) = Default::default();
    for (j, (_, n, k)) in new.iter().enumerate() {
        if let (Plan::Row, Some(k), Some(id)) = (&plans[j], k, ids[j]) {
            key_rows.0.push(&k.key);
            key_rows.1.push(&k.request);
            key_rows.2.push(id);
            key_rows.3.push(n.created_at);
        }
    }
    if !key_rows.0.is_empty() {
        let claimed = tx.execute(
            &st.insert_keys,
            &[&key_rows.0, &key_rows.1, &key_rows.2, &key_rows.3],
        )?;
        if claimed != key_rows.0.len() as u64 {
            // Only if a key's lock was not held: write each alone, which copes.
            return Err(StoreError::Corrupt {
                table: "report_keys",
                id: String::new(),
                reason: "a key was stored meanwhile".into(),
            });
        }
    }
    let outcomes = plans
        .into_iter()
        .enumerate()
        .map(|(j, plan)| match plan {
            Plan::Row => match ids[j] {
                Some(id) => NewOutcome::Inserted(id),
                None => NewOutcome::Answered(Err(StoreError::Corrupt {
                    table: "reports",
                    id: String::new(),
                    reason: "no free report id after 16 draws".into(),
                }
                .into())),
            },
            Plan::Replay(a) => NewOutcome::Answered(a),
            Plan::SameAs(first, request) => NewOutcome::Answered(match ids[first] {
                Some(id) => {
                    let asked = new[j].2.as_ref().map_or("", |k| k.request.as_str());
                    replayed(id, &request, asked)
                }
                None => Err(WriteError::Store("its first report was not stored".into())),
            }),
        })
        .collect();
    Ok(outcomes)
}

/// Applies one write in the open transaction `tx`.
fn apply(
    tx: &mut postgres::Transaction<'_>,
    insert: &postgres::Statement,
    w: ReportWrite,
) -> std::result::Result<(Written, Touched), WriteError> {
    let pg = |e: postgres::Error| WriteError::from(StoreError::from(e));
    match w {
        ReportWrite::Insert(new, None) => {
            let id = insert_report(tx, insert, &new)?;
            Ok((
                Written::Id(id),
                Touched::Inserted(Box::new(Report::from_new(id, *new))),
            ))
        }
        ReportWrite::Insert(new, Some(k)) => {
            let (key, asked) = (&k.key, &k.request);
            let existing = |tx: &mut postgres::Transaction<'_>| {
                tx.query_opt(
                    "SELECT report_id, request_hash FROM report_keys WHERE key_hash = $1",
                    &[&key],
                )
                .map(|r| r.map(|r| (r.get::<_, i64>(0), r.get::<_, String>(1))))
            };
            if let Some((id, stored)) = existing(tx).map_err(pg)? {
                return replayed(id, &stored, asked);
            }
            let mut attempt = tx.savepoint("keyed").map_err(pg)?;
            let id = insert_report(&mut attempt, insert, &new)?;
            // Another replica may be writing the same key: this waits for its commit, and
            // then inserts nothing.
            let claimed = attempt
                .execute(
                    "INSERT INTO report_keys(key_hash, request_hash, report_id, created_at)
                     VALUES ($1, $2, $3, $4) ON CONFLICT (key_hash) DO NOTHING",
                    &[&key, &asked, &id, &new.created_at],
                )
                .map_err(pg)?;
            if claimed == 1 {
                attempt.commit().map_err(pg)?;
                return Ok((
                    Written::Id(id),
                    Touched::Inserted(Box::new(Report::from_new(id, *new))),
                ));
            }
            attempt.rollback().map_err(pg)?;
            let (id, stored) = existing(tx)
                .map_err(pg)?
                .ok_or_else(|| WriteError::Store("an idempotency key vanished".into()))?;
            replayed(id, &stored, asked)
        }
        ReportWrite::MeToo { id, at } => {
            me_too(tx, id, at).map_err(pg)?;
            Ok((Written::Done, Touched::Changed(vec![id])))
        }
        ReportWrite::Moderate {
            seen,
            report,
            entry,
            duplicate_of,
        } => {
            let r = &*report;
            // Written only if its moderated state is still what the rules saw (an UPDATE
            // re-reads the row as committed once it holds its lock).
            let written = tx
                .execute(
                    "UPDATE reports SET status = $2, published = $3, reason = $4, duplicate_of = $5,
                     status_note = $6, updated_at = $7
                     WHERE id = $1 AND status = $8 AND published = $9
                       AND reason IS NOT DISTINCT FROM $10 AND duplicate_of IS NOT DISTINCT FROM $11
                       AND status_note IS NOT DISTINCT FROM $12",
                    &[
                        &r.id,
                        &r.status.code(),
                        &i32::from(r.published),
                        &r.reason,
                        &r.duplicate_of,
                        &r.status_note,
                        &r.updated_at,
                        &seen.status.code(),
                        &i32::from(seen.published),
                        &seen.reason,
                        &seen.duplicate_of,
                        &seen.status_note,
                    ],
                )
                .map_err(pg)?;
            if written == 0 {
                return Err(WriteError::Conflict(
                    crate::store::writer::MODERATED_MEANWHILE.into(),
                ));
            }
            tx.execute(
                "INSERT INTO moderation(report_id, at, actor, action, reason, status, status_note, duplicate_of)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    &entry.report_id,
                    &entry.at,
                    &entry.actor,
                    &entry.action,
                    &entry.reason,
                    &entry.status,
                    &entry.status_note,
                    &entry.duplicate_of,
                ],
            )
            .map_err(pg)?;
            let mut changed = vec![r.id];
            if let Some(t) = duplicate_of {
                let counted = tx
                    .execute(
                        "UPDATE reports SET me_too = me_too + 1, updated_at = $2
                         WHERE id = $1 AND published = 1 AND status <> 'duplicate'",
                        &[&t, &entry.at],
                    )
                    .map_err(pg)?;
                if counted == 0 {
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

/// Adds one "me too" to a report.
fn me_too(
    tx: &mut impl GenericClient,
    id: i64,
    now: i64,
) -> std::result::Result<u64, postgres::Error> {
    tx.execute(
        "UPDATE reports SET me_too = me_too + 1, updated_at = $2 WHERE id = $1",
        &[&id, &now],
    )
}

/// Inserts a report; returns its id: random, ten digits, as on SQLite (see
/// [`crate::store::reports`]), drawn again when taken.
fn insert_report(
    tx: &mut postgres::Transaction<'_>,
    stmt: &postgres::Statement,
    n: &NewReport,
) -> std::result::Result<i64, WriteError> {
    for _ in 0..16 {
        let id = crate::store::reports::random_report_id();
        let inserted = tx
            .execute(
                stmt,
                &[
                    &n.service.code(),
                    &n.lon,
                    &n.lat,
                    &n.description,
                    &n.description_original,
                    &n.contact.email,
                    &n.contact.first_name,
                    &n.contact.last_name,
                    &n.time_of_day.map(|t| t.code()),
                    &n.created_at,
                    &n.follow.0,
                    &n.follow.1,
                    &n.district,
                    &id,
                ],
            )
            .map_err(StoreError::from)?;
        if inserted == 1 {
            return Ok(id);
        }
    }
    Err(StoreError::Corrupt {
        table: "reports",
        id: String::new(),
        reason: "no free report id after 16 draws".into(),
    }
    .into())
}
