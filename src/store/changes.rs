//! The change feed: a row per commit that changes what a server holds in memory, written by
//! triggers in the writing transaction (migration 8). A server reads the rows after its
//! position and reloads or patches what they name, so several processes on one store follow
//! each other.

use rusqlite::params;

use super::{Result, Store};

/// What a change touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// Incidents, observations or districts (the catalog).
    Layers,
    /// API tokens (made or revoked).
    Tokens,
    /// One resident report (made, moderated, "me too").
    Report,
}

impl ChangeKind {
    pub(crate) fn code(self) -> &'static str {
        match self {
            ChangeKind::Layers => "layers",
            ChangeKind::Tokens => "tokens",
            ChangeKind::Report => "report",
        }
    }
}

/// The changes of one kind after a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changes {
    /// The keys of the rows of the kind, oldest first (empty when none), and the position
    /// they reach.
    Since {
        /// The newest position read.
        now: i64,
        /// The key of each row of the kind (`None` for layers).
        keys: Vec<Option<i64>>,
        /// The position of each row (same order as `keys`).
        seqs: Vec<i64>,
    },
    /// Rows after the position were pruned: everything must be reloaded, up to `now`.
    Gap {
        /// The newest position.
        now: i64,
    },
}

/// The key of a `layers` change that names the one layer it changed. PostgreSQL's writes give
/// it; SQLite's triggers give none, and a change without one may have changed any layer.
pub fn layer_key(layer: crate::model::Layer) -> i64 {
    match layer {
        crate::model::Layer::Districts => 1,
        crate::model::Layer::Incidents => 2,
        crate::model::Layer::Observations => 3,
    }
}

/// How long changes are kept, in seconds. A follower polls every quarter second; one that
/// falls further behind reloads everything.
pub const KEEP_CHANGES_S: i64 = 3600;

impl Store {
    /// The newest position of the feed (0 when empty).
    pub fn change_position(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT coalesce(max(seq), 0) FROM changes", [], |r| {
                r.get(0)
            })?)
    }

    /// The changes of `kind` after position `after`.
    pub fn changes_since(&self, after: i64, kind: ChangeKind) -> Result<Changes> {
        let (first, now): (Option<i64>, i64) = self.conn.query_row(
            "SELECT min(seq), coalesce(max(seq), 0) FROM changes",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if now <= after {
            return Ok(Changes::Since {
                now: after,
                keys: Vec::new(),
                seqs: Vec::new(),
            });
        }
        // Pruning removes the oldest rows only: a hole right after `after` means lost rows.
        if first.is_some_and(|f| f > after + 1) {
            return Ok(Changes::Gap { now });
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, key FROM changes WHERE seq > ?1 AND seq <= ?2 AND kind = ?3 ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![after, now, kind.code()], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?))
        })?;
        let (seqs, keys) = rows.collect::<rusqlite::Result<(Vec<i64>, Vec<Option<i64>>)>>()?;
        Ok(Changes::Since { now, keys, seqs })
    }

    /// Deletes changes older than `KEEP_CHANGES_S`, never the newest (positions are its rowid
    /// plus one, so they must never go back); returns how many.
    pub fn prune_changes(&self, now: i64) -> Result<usize> {
        // Idempotency keys expire with them (the same chore, once a minute).
        self.conn.execute(
            "DELETE FROM report_keys WHERE created_at < ?1",
            [now - super::reports::KEEP_REPORT_KEYS_S],
        )?;
        Ok(self.conn.execute(
            "DELETE FROM changes WHERE at < ?1 AND seq < (SELECT max(seq) FROM changes)",
            [now - KEEP_CHANGES_S],
        )?)
    }
}
