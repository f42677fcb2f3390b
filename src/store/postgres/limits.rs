//! Rate limits shared by every replica (DESIGN.md, "Scaling out"): the reports each client sent
//! in the last window, and the "me too"s already counted, kept in the database so that N
//! replicas allow a client what one would. As in memory (see [`crate::reports::ratelimit`]), a
//! client is known only by a salted digest of its address; the salts are random, one per
//! period, and deleted with the period after next, so nothing kept can be tied back to an
//! address for longer than that.

use super::PgStore;
use crate::store::Result;

impl PgStore {
    /// The salt (16 random bytes) of `period` for `purpose`, made by the first replica that
    /// asks; salts of periods before `period − 1` are deleted.
    pub fn limit_salt(&self, purpose: &str, period: i64) -> Result<[u8; 16]> {
        let mut fresh = [0u8; 16];
        // Without randomness the limit still works; only the digests get predictable.
        let _ = getrandom::fill(&mut fresh);
        let mut client = self.client.borrow_mut();
        let mut tx = client.transaction()?;
        tx.execute(
            "INSERT INTO limit_salts(purpose, period, salt) VALUES ($1, $2, $3)
             ON CONFLICT (purpose, period) DO NOTHING",
            &[&purpose, &period, &fresh.as_slice()],
        )?;
        let salt: Vec<u8> = tx
            .query_one(
                "SELECT salt FROM limit_salts WHERE purpose = $1 AND period = $2",
                &[&purpose, &period],
            )?
            .get(0);
        tx.execute(
            "DELETE FROM limit_salts WHERE purpose = $1 AND period < $2",
            &[&purpose, &(period - 1)],
        )?;
        tx.commit()?;
        let mut out = [0u8; 16];
        if salt.len() == 16 {
            out.copy_from_slice(&salt);
        }
        Ok(out)
    }

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
        let mut client = self.client.borrow_mut();
        let mut tx = client.transaction()?;
        let mut locks: Vec<&Vec<u8>> = counted.iter().collect();
        locks.sort();
        for k in locks {
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(encode($1, 'hex'), 7))",
                &[&k.as_slice()],
            )?;
        }
        let since = now - window_s;
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
                let w = (oldest.unwrap_or(now) + window_s - now).max(1) as u64;
                wait = Some(wait.map_or(w, |x| x.max(w)));
            }
        }
        if let Some(w) = wait {
            return Ok(Err(w));
        }
        for k in counted {
            tx.execute(
                "INSERT INTO limit_hits(key, at) VALUES ($1, $2)",
                &[&k.as_slice(), &now],
            )?;
        }
        tx.commit()?;
        Ok(Ok(()))
    }

    /// Whether `key` (a salted digest) is seen for the first time; it is remembered until
    /// `until` (Unix seconds).
    pub fn first_event(&self, key: &[u8], until: i64) -> Result<bool> {
        let n = self.client.borrow_mut().execute(
            "INSERT INTO limit_once(key, until) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            &[&key, &until],
        )?;
        Ok(n == 1)
    }

    /// Deletes what the limits no longer need at `now`: hits older than `window_s` and
    /// remembered firsts past their time.
    pub fn prune_limits(&self, now: i64, window_s: i64) -> Result<()> {
        let mut client = self.client.borrow_mut();
        client.execute(
            "DELETE FROM limit_hits WHERE at <= $1",
            &[&(now - window_s)],
        )?;
        client.execute("DELETE FROM limit_once WHERE until < $1", &[&now])?;
        Ok(())
    }
}
