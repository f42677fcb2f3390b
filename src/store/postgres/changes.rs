//! The change feed on PostgreSQL: the `changes` table, read as the SQLite store's is (see
//! [`crate::store::Changes`]). Positions follow commit order because every insert takes the
//! change log's advisory lock (see [`super::CHANGE_LOCK`]); a rolled-back insert leaves a hole
//! in the positions, which is harmless: a hole right after a follower's position that is
//! really pruned rows is told by the oldest row kept.

use super::PgStore;
use crate::store::{ChangeFeed, ChangeKind, Changes, Result, KEEP_CHANGES_S};

impl ChangeFeed for PgStore {
    fn change_position(&self) -> Result<i64> {
        Ok(self
            .client()?
            .query_one("SELECT coalesce(max(seq), 0) FROM changes", &[])?
            .get(0))
    }

    fn changes_since(&self, after: i64, kind: ChangeKind) -> Result<Changes> {
        // One statement, so one snapshot and one round trip: the feed's first and newest
        // positions, and the rows of the kind after `after` (none when rows after it were
        // pruned, which is a gap).
        const SINCE: &str =
            "WITH b AS (SELECT min(seq) AS first, coalesce(max(seq), 0) AS now FROM changes)
             SELECT b.first, b.now, c.seq, c.key FROM b LEFT JOIN LATERAL
               (SELECT seq, key FROM changes
                WHERE seq > $1 AND seq <= b.now AND kind = $2 AND NOT b.first > $1 + 1) c ON true
             ORDER BY c.seq";
        let mut client = self.client()?;
        let since = self.prepared(&mut client, SINCE)?;
        let rows = client.query(&since, &[&after, &kind.code()])?;
        let Some(head) = rows.first() else {
            return Ok(Changes::Since {
                now: after,
                keys: Vec::new(),
                seqs: Vec::new(),
            });
        };
        let (first, now): (Option<i64>, i64) = (head.get(0), head.get(1));
        if now <= after {
            return Ok(Changes::Since {
                now: after,
                keys: Vec::new(),
                seqs: Vec::new(),
            });
        }
        if first.is_some_and(|f| f > after + 1) {
            return Ok(Changes::Gap { now });
        }
        let (seqs, keys) = rows
            .iter()
            .filter_map(|r| Some((r.get::<_, Option<i64>>(2)?, r.get::<_, Option<i64>>(3))))
            .unzip();
        Ok(Changes::Since { now, keys, seqs })
    }

    fn prune_changes(&self, now: i64) -> Result<usize> {
        self.client()?.execute(
            "DELETE FROM report_keys WHERE created_at < $1",
            &[&(now - crate::store::reports::KEEP_REPORT_KEYS_S)],
        )?;
        Ok(self.client()?.execute(
            "DELETE FROM changes WHERE at < $1 AND seq < (SELECT max(seq) FROM changes)",
            &[&(now - KEEP_CHANGES_S)],
        )? as usize)
    }
}
