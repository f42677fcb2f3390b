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
        let mut client = self.client()?;
        let row = client.query_one("SELECT min(seq), coalesce(max(seq), 0) FROM changes", &[])?;
        let (first, now): (Option<i64>, i64) = (row.get(0), row.get(1));
        if now <= after {
            return Ok(Changes::Since {
                now: after,
                keys: Vec::new(),
            });
        }
        if first.is_some_and(|f| f > after + 1) {
            return Ok(Changes::Gap { now });
        }
        let rows = client.query(
            "SELECT key FROM changes WHERE seq > $1 AND seq <= $2 AND kind = $3 ORDER BY seq",
            &[&after, &now, &kind.code()],
        )?;
        Ok(Changes::Since {
            now,
            keys: rows.iter().map(|r| r.get(0)).collect(),
        })
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
