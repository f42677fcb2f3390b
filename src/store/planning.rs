//! Planning records: the programme's initiatives, effect-goal measurements and goal settings
//! (issue 6).

use rusqlite::{params, OptionalExtension};

use super::{Result, Store};

/// A measured value of an effect goal for one period.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Measurement {
    /// `YYYY`, `YYYY-H1` or `YYYY-H2`.
    pub period: String,
    /// The value, in the goal's unit.
    pub value: f64,
    /// Free text.
    pub note: Option<String>,
    /// Where the figure comes from (survey, registry, …).
    pub source: Option<String>,
    /// Who entered it (token name).
    pub entered_by: String,
    /// When, Unix seconds.
    pub entered_at: i64,
}

/// A planner's settings of a goal, over its shipped definition.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct GoalSettings {
    /// Baseline period and value.
    pub baseline: Option<(String, f64)>,
    /// Target value.
    pub target: Option<f64>,
    /// Owner who measures it.
    pub owner: Option<String>,
}

/// A stored initiative: its id and GeoJSON Feature text.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredInitiative {
    /// Id.
    pub id: i64,
    /// The Feature (geometry WGS84; properties as given and checked).
    pub feature: serde_json::Value,
    /// Whether the public sees it.
    pub published: bool,
}

impl Store {
    /// Stores an initiative; returns its id.
    pub fn create_initiative(
        &self,
        feature: &serde_json::Value,
        published: bool,
        created_by: &str,
        now: i64,
    ) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO initiatives(feature, published, created_by, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?4)",
            params![feature.to_string(), published, created_by, now],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Every initiative, by id.
    pub fn initiatives(&self) -> Result<Vec<StoredInitiative>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, feature, published FROM initiatives ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            let text: String = r.get(1)?;
            Ok(StoredInitiative {
                id: r.get(0)?,
                feature: serde_json::from_str(&text).unwrap_or_default(),
                published: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Replaces initiative `id`'s feature; returns whether it existed.
    pub fn update_initiative(
        &self,
        id: i64,
        feature: &serde_json::Value,
        published: bool,
        now: i64,
    ) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE initiatives SET feature = ?2, published = ?3, updated_at = ?4 WHERE id = ?1",
            params![id, feature.to_string(), published, now],
        )?;
        Ok(n == 1)
    }

    /// Deletes initiative `id`; returns whether it existed.
    pub fn delete_initiative(&self, id: i64) -> Result<bool> {
        Ok(self
            .conn
            .execute("DELETE FROM initiatives WHERE id = ?1", [id])?
            == 1)
    }

    /// Stores measurements of goal `goal` in one transaction (a period already measured is
    /// replaced: that is how a figure is corrected).
    pub fn put_measurements(
        &mut self,
        goal: &str,
        rows: &[(String, f64, Option<String>, Option<String>)],
        actor: &str,
        now: i64,
    ) -> Result<()> {
        self.in_transaction(|tx| {
            let mut stmt = tx.prepare(
                "INSERT INTO goal_measurements(goal_id, period, value, note, source, entered_by, entered_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                 ON CONFLICT(goal_id, period) DO UPDATE SET value = excluded.value, note = excluded.note, \
                 source = excluded.source, entered_by = excluded.entered_by, entered_at = excluded.entered_at",
            )?;
            for (period, value, note, source) in rows {
                stmt.execute(params![goal, period, value, note, source, actor, now])?;
            }
            Ok(())
        })
    }

    /// Deletes goal `goal`'s measurement for `period`; returns whether there was one.
    pub fn delete_measurement(&self, goal: &str, period: &str) -> Result<bool> {
        Ok(self.conn.execute(
            "DELETE FROM goal_measurements WHERE goal_id = ?1 AND period = ?2",
            params![goal, period],
        )? == 1)
    }

    /// Every measurement, by goal and period.
    pub fn measurements(&self) -> Result<Vec<(String, Measurement)>> {
        let mut stmt = self.conn.prepare(
            "SELECT goal_id, period, value, note, source, entered_by, entered_at \
             FROM goal_measurements ORDER BY goal_id, period",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                Measurement {
                    period: r.get(1)?,
                    value: r.get(2)?,
                    note: r.get(3)?,
                    source: r.get(4)?,
                    entered_by: r.get(5)?,
                    entered_at: r.get(6)?,
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Settings of every goal that has any.
    pub fn goal_settings(&self) -> Result<Vec<(String, GoalSettings)>> {
        let mut stmt = self.conn.prepare(
            "SELECT goal_id, baseline_period, baseline_value, target, owner FROM goal_settings ORDER BY goal_id",
        )?;
        let rows = stmt.query_map([], |r| {
            let period: Option<String> = r.get(1)?;
            let value: Option<f64> = r.get(2)?;
            Ok((
                r.get(0)?,
                GoalSettings {
                    baseline: period.zip(value),
                    target: r.get(3)?,
                    owner: r.get(4)?,
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Sets goal `goal`'s settings (all of them: `None` clears).
    pub fn set_goal_settings(
        &self,
        goal: &str,
        s: &GoalSettings,
        actor: &str,
        now: i64,
    ) -> Result<()> {
        let (bp, bv) = match &s.baseline {
            Some((p, v)) => (Some(p.as_str()), Some(*v)),
            None => (None, None),
        };
        self.conn.execute(
            "INSERT INTO goal_settings(goal_id, baseline_period, baseline_value, target, owner, updated_by, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(goal_id) DO UPDATE SET \
             baseline_period = excluded.baseline_period, baseline_value = excluded.baseline_value, \
             target = excluded.target, owner = excluded.owner, updated_by = excluded.updated_by, \
             updated_at = excluded.updated_at",
            params![goal, bp, bv, s.target, s.owner, actor, now],
        )?;
        Ok(())
    }

    /// Whether any initiative is stored (the demo seeds some only into an empty table).
    pub fn has_initiatives(&self) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT 1 FROM initiatives LIMIT 1", [], |_| Ok(()))
            .optional()?
            .is_some())
    }
}
