//! Rate limits shared by every replica (DESIGN.md, "Scaling out"): the reports each client sent
//! in the last window, and the "me too"s already counted, kept in the database so that N
//! replicas allow a client what one would. As in memory (see [`crate::reports::ratelimit`]), a
//! client is known only by a salted digest of its address. The salts are derived by the
//! replicas from a secret they share and the database never holds (see
//! `service::limits`), so a copy of these tables cannot be tried against addresses; times are
//! kept to the minute, so they do not single out a report either.

use super::PgStore;
use crate::store::Result;

impl PgStore {
    /// Counts an event of a client known by the digests `counted` (under the current salt), if
    /// under each of `counted` and `consulted` (the same clients under the previous salt) fewer
    /// than `limit` events fell in the `window_s` seconds before `now`; otherwise counts
    /// nothing and answers the seconds to wait. Replicas checking one client at once take
    /// turns (an advisory lock per digest), so the limit holds across them.
    pub fn count_event(
        &self,
        counted: &[Vec<u8>],
        consulted: &[Vec<u8>],
        limit: usize,
        window_s: i64,
        now: i64,
    ) -> Result<std::result::Result<(), u64>> {
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        // A client's lock held by a replica cut off mid-check is freed only when the server
        // ends that session (10 s idle, see `SESSION_OPTIONS`), and that replica's other checks
        // queue behind it: waiting longer than 2 s fails the check (the caller refuses the
        // report for now) rather than stall this replica's requests in that queue.
        tx.batch_execute("SET LOCAL lock_timeout = '2s'")?;
        let mut locks: Vec<&Vec<u8>> = counted.iter().collect();
        locks.sort();
        for k in locks {
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(encode($1, 'hex'), 7))",
                &[&k.as_slice()],
            )?;
        }
        // Hits are kept to the minute they fell in (see below), so one counts until the window
        // has passed since the end of its minute: never for less than the window.
        let since = now - window_s - 60;
        let mut wait: Option<u64> = None;
        for (n, k) in counted.iter().enumerate() {
            let keys: Vec<&[u8]> = std::iter::once(k.as_slice())
                .chain(consulted.get(n).map(Vec::as_slice))
                .collect();
            let row = tx.query_one(
                "SELECT count(*), min(at) FROM limit_hits WHERE key = ANY($1) AND at > $2",
                &[&keys, &since],
            )?;
            let (count, oldest): (i64, Option<i64>) = (row.get(0), row.get(1));
            if count as usize >= limit {
                let w = (oldest.unwrap_or(now) + 60 + window_s - now).max(1) as u64;
                wait = Some(wait.map_or(w, |x| x.max(w)));
            }
        }
        if let Some(w) = wait {
            return Ok(Err(w));
        }
        let minute = now - now.rem_euclid(60);
        for k in counted {
            tx.execute(
                "INSERT INTO limit_hits(key, at) VALUES ($1, $2)",
                &[&k.as_slice(), &minute],
            )?;
        }
        tx.commit()?;
        Ok(Ok(()))
    }

    /// Whether `key` (a salted digest) is seen for the first time; it is remembered until
    /// `until` (Unix seconds).
    pub fn first_event(&self, key: &[u8], until: i64) -> Result<bool> {
        let n = self.client()?.execute(
            "INSERT INTO limit_once(key, until) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            &[&key, &until],
        )?;
        Ok(n == 1)
    }

    /// Deletes what the limits no longer need at `now`: hits older than `window_s` and
    /// remembered firsts past their time.
    pub fn prune_limits(&self, now: i64, window_s: i64) -> Result<()> {
        let mut client = self.client()?;
        client.execute(
            "DELETE FROM limit_hits WHERE at <= $1",
            &[&(now - window_s - 60)],
        )?;
        client.execute("DELETE FROM limit_once WHERE until < $1", &[&now])?;
        Ok(())
    }
}
