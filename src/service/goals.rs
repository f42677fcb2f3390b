//! The programme's effect goals with their values and status, as a caller may see them
//! (`GET /api/goals`, the status report).

use serde_json::{json, Value};

use super::{Service, ServiceResult};
use crate::auth::{Caller, Need};
use crate::planning::goals::{self, Measure, Period};

/// Every goal with its values and status, as the caller may see them.
pub fn goal_views(state: &Service, caller: &Caller) -> ServiceResult<Vec<Value>> {
    let (cat, disclosure) = state.view(caller, Need::Programme);
    let measurements = state.read(|s| s.measurements())?;
    let settings = state.read(|s| s.goal_settings())?;
    let initiatives = state.initiatives()?;
    let all_initiatives = caller.sees_unpublished();
    Ok(goals::GOALS
        .iter()
        .map(|g| {
            let set = settings
                .iter()
                .find(|(id, _)| id == g.id)
                .map(|(_, s)| s.clone())
                .unwrap_or_default();
            let values: Vec<goals::Value> = match g.measure {
                Measure::Entered => measurements
                    .iter()
                    .filter(|(id, _)| id == g.id)
                    .map(|(_, m)| goals::Value {
                        period: m.period.clone(),
                        value: Some(m.value),
                        partial: false,
                        detail: None,
                        note: m.note.clone(),
                        source: m.source.clone(),
                    })
                    .collect(),
                _ => goals::counted_series(
                    g,
                    &cat,
                    &|y| state.safety_levels(&cat, y),
                    &disclosure,
                ),
            };
            let mut values = values;
            values.sort_by_key(|v| Period::parse(&v.period).map(|p| p.key()));
            let target = set.target.or(g.target);
            let a = goals::status(g.direction, set.baseline.clone(), target, &values);
            let serving: Vec<i64> = initiatives
                .iter()
                .filter(|i| all_initiatives || i.published)
                .filter(|i| {
                    i.feature["properties"]["goals"]
                        .as_array()
                        .is_some_and(|gs| gs.iter().any(|n| n.as_u64() == Some(g.number as u64)))
                })
                .map(|i| i.id)
                .collect();
            json!({
                "id": g.id, "number": g.number, "challenge": g.challenge,
                "title_da": g.title_da, "title_en": g.title_en,
                "unit_da": g.unit_da, "unit_en": g.unit_en,
                "direction": g.direction, "target": target,
                "baseline": set.baseline.as_ref().map(|(p, v)| json!({"period": p, "value": v})),
                "owner": set.owner.as_deref().unwrap_or(g.owner),
                "measure": g.measure,
                "how": match g.measure {
                    Measure::SafetyIndex => "counted per calendar year from the incidents: the safety-index crime groups of district 8 at level markant or intensiveret (GET /api/safety-index; this service's thresholds, not the official index method). For context: in the programme's 2010 index all five groups were above ordinær (3 markant, 2 intensiveret).",
                    Measure::WeaponsIncidents => "counted per calendar year from the incidents: category weapons inside district 8",
                    Measure::Entered => "entered by the owner per year (YYYY) or half year (YYYY-H1, YYYY-H2) with POST /api/goals/{id}/measurements",
                },
                "how_da": match g.measure {
                    Measure::SafetyIndex => "optalt pr. kalenderår af hændelserne: de kriminalitetsgrupper i distrikt 8, der står til markant eller intensiveret i tryghedsindekset (GET /api/safety-index; tjenestens egne tærskler, ikke det officielle indeks' metode). Til sammenligning: i programmets indeks for 2010 lå alle fem grupper over ordinær (3 markant, 2 intensiveret).",
                    Measure::WeaponsIncidents => "optalt pr. kalenderår af hændelserne: kategorien våbenloven i distrikt 8",
                    Measure::Entered => "indtastes af ejeren pr. år (ÅÅÅÅ) eller halvår (ÅÅÅÅ-H1, ÅÅÅÅ-H2) med POST /api/goals/{id}/measurements",
                },
                "values": values,
                "status": a.status,
                "status_reason_en": a.reason_en, "status_reason_da": a.reason_da,
                "reference": a.reference.map(|(p, v)| json!({"period": p, "value": v})),
                "latest": a.latest.map(|(p, v)| json!({"period": p, "value": v})),
                "initiatives": serving,
            })
        })
        .collect())
}
