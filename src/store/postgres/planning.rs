//! Initiatives, effect-goal measurements and goal settings on PostgreSQL (the SQLite store's
//! statements, in PostgreSQL's dialect).

use super::PgStore;
use crate::store::{GoalSettings, Measurement, PlanningStore, Result, StoredInitiative};

impl PlanningStore for PgStore {
    fn create_initiative(
        &self,
        feature: &serde_json::Value,
        published: bool,
        created_by: &str,
        now: i64,
    ) -> Result<i64> {
        Ok(self
            .client()?
            .query_one(
                "INSERT INTO initiatives(feature, published, created_by, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $4) RETURNING id",
                &[
                    &feature.to_string(),
                    &i32::from(published),
                    &created_by,
                    &now,
                ],
            )?
            .get(0))
    }

    fn initiatives(&self) -> Result<Vec<StoredInitiative>> {
        let rows = self.client()?.query(
            "SELECT id, feature, published FROM initiatives ORDER BY id",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| StoredInitiative {
                id: r.get(0),
                feature: serde_json::from_str(r.get::<_, &str>(1)).unwrap_or_default(),
                published: r.get::<_, i32>(2) != 0,
            })
            .collect())
    }

    fn update_initiative(
        &self,
        id: i64,
        feature: &serde_json::Value,
        published: bool,
        now: i64,
    ) -> Result<bool> {
        let n = self.client()?.execute(
            "UPDATE initiatives SET feature = $2, published = $3, updated_at = $4 WHERE id = $1",
            &[&id, &feature.to_string(), &i32::from(published), &now],
        )?;
        Ok(n == 1)
    }

    fn delete_initiative(&self, id: i64) -> Result<bool> {
        let n = self
            .client()?
            .execute("DELETE FROM initiatives WHERE id = $1", &[&id])?;
        Ok(n == 1)
    }

    fn put_measurements(
        &mut self,
        goal: &str,
        rows: &[(String, f64, Option<String>, Option<String>)],
        actor: &str,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.client_mut()?.transaction()?;
        let stmt = tx.prepare(
            "INSERT INTO goal_measurements(goal_id, period, value, note, source, entered_by, entered_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (goal_id, period) DO UPDATE SET value = excluded.value, note = excluded.note,
             source = excluded.source, entered_by = excluded.entered_by, entered_at = excluded.entered_at",
        )?;
        for (period, value, note, source) in rows {
            tx.execute(&stmt, &[&goal, period, value, note, source, &actor, &now])?;
        }
        tx.commit()?;
        Ok(())
    }

    fn delete_measurement(&self, goal: &str, period: &str) -> Result<bool> {
        let n = self.client()?.execute(
            "DELETE FROM goal_measurements WHERE goal_id = $1 AND period = $2",
            &[&goal, &period],
        )?;
        Ok(n == 1)
    }

    fn measurements(&self) -> Result<Vec<(String, Measurement)>> {
        let rows = self.client()?.query(
            "SELECT goal_id, period, value, note, source, entered_by, entered_at
             FROM goal_measurements ORDER BY goal_id, period",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.get(0),
                    Measurement {
                        period: r.get(1),
                        value: r.get(2),
                        note: r.get(3),
                        source: r.get(4),
                        entered_by: r.get(5),
                        entered_at: r.get(6),
                    },
                )
            })
            .collect())
    }

    fn goal_settings(&self) -> Result<Vec<(String, GoalSettings)>> {
        let rows = self.client()?.query(
            "SELECT goal_id, baseline_period, baseline_value, target, owner
             FROM goal_settings ORDER BY goal_id",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| {
                let period: Option<String> = r.get(1);
                let value: Option<f64> = r.get(2);
                (
                    r.get(0),
                    GoalSettings {
                        baseline: period.zip(value),
                        target: r.get(3),
                        owner: r.get(4),
                    },
                )
            })
            .collect())
    }

    fn set_goal_settings(&self, goal: &str, s: &GoalSettings, actor: &str, now: i64) -> Result<()> {
        let (bp, bv) = match &s.baseline {
            Some((p, v)) => (Some(p.as_str()), Some(*v)),
            None => (None, None),
        };
        self.client()?.execute(
            "INSERT INTO goal_settings(goal_id, baseline_period, baseline_value, target, owner, updated_by, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (goal_id) DO UPDATE SET
             baseline_period = excluded.baseline_period, baseline_value = excluded.baseline_value,
             target = excluded.target, owner = excluded.owner, updated_by = excluded.updated_by,
             updated_at = excluded.updated_at",
            &[&goal, &bp, &bv, &s.target, &s.owner, &actor, &now],
        )?;
        Ok(())
    }

    fn has_initiatives(&self) -> Result<bool> {
        Ok(self
            .client()?
            .query_opt("SELECT 1 FROM initiatives LIMIT 1", &[])?
            .is_some())
    }
}
