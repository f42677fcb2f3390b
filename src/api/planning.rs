//! Effect goals (`/api/goals…`), where to act (`/api/where-to-act`) and the annual status report
//! (`/api/status-report`). The computing is in `crate::planning`; these check and serialise.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::auth::{Caller, Need};
use super::error::{ApiError, ApiResult};
use super::params::{self, Params};
use super::AppState;
use crate::auth::Role;
use crate::planning::goals::{self, GoalDef, Measure, Period};
use crate::planning::where_to_act;
use crate::store::GoalSettings;

/// Measurements one request may carry.
const MAX_MEASUREMENTS: usize = 500;

fn goal_of(raw: &str) -> ApiResult<&'static GoalDef> {
    goals::goal(raw).ok_or_else(|| {
        let ids: Vec<&str> = goals::GOALS.iter().map(|g| g.id).collect();
        ApiError::NotFound(format!("no goal '{raw}'; goals are {}", ids.join(", ")))
    })
}

/// Every goal with its values and status, as the caller may see them.
pub(crate) fn goal_views(state: &AppState, caller: &Caller) -> ApiResult<Vec<Value>> {
    let (cat, disclosure) = state.view(caller, Need::Aggregates);
    let measurements = state.with_store(|s| s.measurements())?;
    let settings = state.with_store(|s| s.goal_settings())?;
    let initiatives = state.initiatives()?;
    let all_initiatives = matches!(caller.role, Role::Planner | Role::Admin);
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

fn envelope(state: &AppState, caller: &Caller, goals: Vec<Value>) -> Value {
    let (cat, disclosure) = state.view(caller, Need::Aggregates);
    let mut v = json!({
        "goals": goals,
        "status_rule_en": goals::STATUS_RULE_EN,
        "status_rule_da": goals::STATUS_RULE_DA,
        "privacy": disclosure.describe(),
        "data_version": cat.version,
        "synthetic": cat.synthetic.incidents > 0,
    });
    if cat.synthetic.incidents > 0 {
        v["notice"] = json!(format!(
            "{} The counted goals (1, 2) are computed from these synthetic incidents.",
            crate::demo::NOTICE
        ));
    }
    v
}

/// `GET /api/goals`: every goal with values, status and the rule.
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    Params::parse(req.query_string(), &[])?;
    let caller = Caller::of(&req);
    let st = state.clone();
    let c = caller.clone();
    let goals = web::block(move || goal_views(&st, &c))
        .await
        .map_err(|e| ApiError::Internal(format!("worker pool: {e}")))??;
    Ok(HttpResponse::Ok().json(envelope(&state, &caller, goals)))
}

/// `GET /api/goals/{id}`.
pub async fn one(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Params::parse(req.query_string(), &[])?;
    let g = goal_of(&path)?;
    let caller = Caller::of(&req);
    let st = state.clone();
    let c = caller.clone();
    let goals = web::block(move || goal_views(&st, &c))
        .await
        .map_err(|e| ApiError::Internal(format!("worker pool: {e}")))??;
    let mut v = envelope(&state, &caller, Vec::new());
    let one = goals
        .into_iter()
        .find(|x| x["id"] == g.id)
        .ok_or_else(|| ApiError::Internal("goal lost".into()))?;
    v["goal"] = one;
    if let Some(o) = v.as_object_mut() {
        o.remove("goals");
    }
    Ok(HttpResponse::Ok().json(v))
}

fn number(v: &Value, field: &str) -> ApiResult<Option<f64>> {
    match v {
        Value::Null => Ok(None),
        v => v
            .as_f64()
            .filter(|x| x.is_finite() && x.abs() < 1e12)
            .map(Some)
            .ok_or_else(|| ApiError::param(field, "expected a finite number")),
    }
}

fn period(s: &str, field: &str) -> ApiResult<String> {
    Period::parse(s.trim())
        .map(|p| p.to_string())
        .ok_or_else(|| {
            ApiError::param(
                field,
                format!("'{s}' is not a period YYYY, YYYY-H1 or YYYY-H2"),
            )
        })
}

fn short_text(v: Option<&str>, field: &str) -> ApiResult<Option<String>> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) if s.chars().count() > 500 => {
            Err(ApiError::param(field, "longer than 500 characters"))
        }
        Some(s) if s.chars().any(char::is_control) => {
            Err(ApiError::param(field, "contains control characters"))
        }
        Some(s) => Ok(Some(s.to_owned())),
    }
}

type Row = (String, f64, Option<String>, Option<String>);

fn json_row(v: &Value, at: &str) -> ApiResult<Row> {
    if !v.is_object() {
        return Err(ApiError::param(
            at,
            "expected an object {period, value, note, source}",
        ));
    }
    for k in v.as_object().into_iter().flat_map(|o| o.keys()) {
        if !["period", "value", "note", "source"].contains(&k.as_str()) {
            return Err(ApiError::param(
                format!("{at}.{k}"),
                "unknown field; expected period, value, note, source",
            ));
        }
    }
    let p = v["period"].as_str().ok_or_else(|| {
        ApiError::param(
            format!("{at}.period"),
            "is required: YYYY, YYYY-H1 or YYYY-H2",
        )
    })?;
    let value = number(&v["value"], &format!("{at}.value"))?
        .ok_or_else(|| ApiError::param(format!("{at}.value"), "is required: a number"))?;
    Ok((
        period(p, &format!("{at}.period"))?,
        value,
        short_text(v["note"].as_str(), &format!("{at}.note"))?,
        short_text(v["source"].as_str(), &format!("{at}.source"))?,
    ))
}

/// Reads CSV `period,value[,note][,source]` with a header line.
fn csv_rows(body: &[u8]) -> ApiResult<Vec<Row>> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(body);
    let header: Vec<String> = r
        .headers()
        .map_err(|e| ApiError::param("body", format!("CSV header: {e}")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(pi), Some(vi)) = (col("period"), col("value")) else {
        return Err(ApiError::param(
            "body",
            format!("CSV header {header:?} lacks period and value (optional: note, source)"),
        ));
    };
    if let Some(h) = header
        .iter()
        .find(|h| !["period", "value", "note", "source"].contains(&h.as_str()))
    {
        return Err(ApiError::param(
            "body",
            format!("CSV column '{h}' is not period, value, note or source"),
        ));
    }
    let (ni, si) = (col("note"), col("source"));
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| ApiError::param(format!("line {line}"), e.to_string()))?;
        let raw = rec.get(vi).unwrap_or("");
        let value: f64 = raw
            .replace(',', ".")
            .parse()
            .ok()
            .filter(|x: &f64| x.is_finite())
            .ok_or_else(|| {
                ApiError::param(
                    format!("line {line}: value"),
                    format!("'{raw}' is not a number"),
                )
            })?;
        out.push((
            period(rec.get(pi).unwrap_or(""), &format!("line {line}: period"))?,
            value,
            short_text(ni.and_then(|i| rec.get(i)), &format!("line {line}: note"))?,
            short_text(si.and_then(|i| rec.get(i)), &format!("line {line}: source"))?,
        ));
    }
    Ok(out)
}

/// `POST /api/goals/{id}/measurements` (planner): JSON `{period, value, note, source}`, a JSON
/// list of those, or CSV with a header `period,value[,note][,source]`. All or nothing; a period
/// already measured is replaced.
pub async fn add_measurements(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let g = goal_of(&path)?;
    if g.measure != Measure::Entered {
        return Err(ApiError::Unprocessable(format!(
            "goal {} is counted from the incidents; it takes no measurements",
            g.id
        )));
    }
    let ct = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let rows: Vec<Row> = if ct.starts_with("text/csv") {
        csv_rows(&body)?
    } else if ct.starts_with("application/json") || ct.is_empty() {
        let v: Value = serde_json::from_slice(&body)
            .map_err(|e| ApiError::param("body", format!("not JSON: {e}")))?;
        match &v {
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, x)| json_row(x, &format!("[{i}]")))
                .collect::<ApiResult<_>>()?,
            x => vec![json_row(x, "body")?],
        }
    } else {
        return Err(ApiError::param(
            "Content-Type",
            format!("'{ct}' is neither application/json nor text/csv"),
        ));
    };
    if rows.is_empty() {
        return Err(ApiError::param("body", "holds no measurements"));
    }
    if rows.len() > MAX_MEASUREMENTS {
        return Err(ApiError::param(
            "body",
            format!(
                "{} measurements; at most {MAX_MEASUREMENTS} per request",
                rows.len()
            ),
        ));
    }
    let mut periods: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    periods.sort_unstable();
    if let Some(w) = periods.windows(2).find(|w| w[0] == w[1]) {
        return Err(ApiError::param("period", format!("{} appears twice", w[0])));
    }
    let actor = Caller::of(&req).actor();
    let now = chrono::Utc::now().timestamp();
    let n = rows.len();
    let st = state.clone();
    let id = g.id;
    web::block(move || {
        st.write(|s| {
            s.put_measurements(id, &rows, &actor, now)
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(((), false))
        })
    })
    .await
    .map_err(|e| ApiError::Internal(format!("worker pool: {e}")))??;
    Ok(HttpResponse::Created().json(json!({"goal": g.id, "stored": n})))
}

/// `DELETE /api/goals/{id}/measurements/{period}` (planner).
pub async fn delete_measurement(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, p) = path.into_inner();
    let g = goal_of(&id)?;
    let p = period(&p, "period")?;
    let st = state.clone();
    let pp = p.clone();
    let found = web::block(move || st.with_store(|s| s.delete_measurement(g.id, &pp)))
        .await
        .map_err(|e| ApiError::Internal(format!("worker pool: {e}")))??;
    if !found {
        return Err(ApiError::NotFound(format!(
            "goal {} has no measurement for {p}",
            g.id
        )));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// `PUT /api/goals/{id}` (planner): `{"baseline": {"period", "value"} | null, "target": n | null,
/// "owner": "…" | null}` — every field set (null clears it and restores the shipped value).
pub async fn settings(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let g = goal_of(&path)?;
    let v: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::param("body", format!("not JSON: {e}")))?;
    let o = v
        .as_object()
        .ok_or_else(|| ApiError::param("body", "expected an object {baseline, target, owner}"))?;
    if let Some(k) = o
        .keys()
        .find(|k| !["baseline", "target", "owner"].contains(&k.as_str()))
    {
        return Err(ApiError::param(
            k.clone(),
            "unknown field; expected baseline, target, owner",
        ));
    }
    let baseline = match &v["baseline"] {
        Value::Null => None,
        b => {
            let p = b["period"].as_str().ok_or_else(|| {
                ApiError::param("baseline.period", "is required: YYYY, YYYY-H1 or YYYY-H2")
            })?;
            let value = number(&b["value"], "baseline.value")?
                .ok_or_else(|| ApiError::param("baseline.value", "is required: a number"))?;
            Some((period(p, "baseline.period")?, value))
        }
    };
    let s = GoalSettings {
        baseline,
        target: number(&v["target"], "target")?,
        owner: short_text(
            match &v["owner"] {
                Value::Null => None,
                Value::String(s) => Some(s.as_str()),
                _ => return Err(ApiError::param("owner", "expected text")),
            },
            "owner",
        )?,
    };
    let actor = Caller::of(&req).actor();
    let now = chrono::Utc::now().timestamp();
    let st = state.clone();
    let caller = Caller::of(&req);
    let out = web::block(move || -> ApiResult<Value> {
        st.with_store(|store| store.set_goal_settings(g.id, &s, &actor, now))?;
        goal_views(&st, &caller)?
            .into_iter()
            .find(|x| x["id"] == g.id)
            .ok_or_else(|| ApiError::Internal("goal lost".into()))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("worker pool: {e}")))??;
    Ok(HttpResponse::Ok().json(out))
}

/// `GET /api/where-to-act?district=&resolution=&months=&limit=` (planner): ranked H3 cells as a
/// GeoJSON FeatureCollection of hexagons.
pub async fn where_to_act(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let p = Params::parse(
        req.query_string(),
        &["district", "resolution", "months", "limit"],
    )?;
    let district_id = p
        .non_empty("district")?
        .unwrap_or(crate::model::HOTSPOT_DISTRICT_ID)
        .to_owned();
    let res = params::small_int(&p, "resolution", 8..=11, 10)?;
    let months = params::small_int(&p, "months", 1..=120, 24)? as i64;
    let limit = params::small_int(&p, "limit", 1..=200, 20)? as usize;
    let (cat, _) = state.view(&Caller::of(&req), Need::Aggregates);
    let area = cat
        .district(&district_id)
        .ok_or_else(|| ApiError::param("district", format!("unknown district '{district_id}'")))?
        .geometry
        .clone();
    let (_, last) = cat
        .incident_time_extent()
        .ok_or_else(|| ApiError::Unprocessable("there are no incidents".into()))?;
    let window = months * 30 * 86_400 + months * 10 * 3600 + months * 1800;
    let now = chrono::Utc::now().timestamp();
    let reports = state.reports().read(|r| r.to_vec());
    let initiatives: Vec<(i64, String, geo::Geometry<f64>)> = state
        .initiatives()?
        .into_iter()
        .filter_map(|i| {
            let g: geojson::Geometry =
                serde_json::from_value(i.feature["geometry"].clone()).ok()?;
            let title = i.feature["properties"]["title"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            Some((i.id, title, geo::Geometry::try_from(g).ok()?))
        })
        .collect();
    let resolution =
        h3o::Resolution::try_from(res).map_err(|_| ApiError::param("resolution", "is 8..11"))?;
    let places = web::block(move || {
        where_to_act::rank(&where_to_act::Inputs {
            catalog: &cat,
            area: &area,
            resolution,
            incidents: (last - window, last),
            reports_since: now - window,
            reports: &reports,
            initiatives: &initiatives,
        })
        .map(|v| {
            (
                v,
                cat.version.clone(),
                cat.synthetic.incidents > 0,
                time_range(last - window, last),
            )
        })
    })
    .await
    .map_err(|e| ApiError::Internal(format!("worker pool: {e}")))?
    .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    let (places, version, synthetic, window_text) = places;
    let total = places.len();
    let features: Vec<Value> = places
        .into_iter()
        .take(limit)
        .map(|pl| {
            let ring = where_to_act::cell_ring(pl.cell);
            json!({
                "type": "Feature",
                "id": pl.cell.to_string(),
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": pl,
            })
        })
        .collect();
    let mut v = json!({
        "type": "FeatureCollection",
        "features": features,
        "numberMatched": total,
        "numberReturned": features.len(),
        "parameters": {"district": district_id, "resolution": res, "months": months, "limit": limit},
        "incident_window": window_text,
        "reports_window": [crate::model::time::rfc3339(now - window), crate::model::time::rfc3339(now)],
        "method": "score = 0.5 × evening/night hot spot (Gi* z of incidents 18:00–06:00 over the district's cells, k = 1, scaled z/3.29 capped at 1) + 0.25 × poor safety-walk ratings (newest rating per cell and kind of lighting, visibility, hidden corner, walkway, feeling; each kind rated 1–2 adds 1/3) + 0.25 × resident reports (not rejected or duplicate, plus me-too, 5 count fully). Cells scoring 0 are left out.",
        "data_version": version,
        "synthetic": synthetic,
    });
    if synthetic {
        v["notice"] = json!(crate::demo::NOTICE);
    }
    Ok(HttpResponse::Ok()
        .content_type("application/geo+json")
        .json(v))
}

fn time_range(a: i64, b: i64) -> [String; 2] {
    [
        crate::model::time::rfc3339(a),
        crate::model::time::rfc3339(b),
    ]
}

/// The shipped streets, parsed once (for the report's map).
fn streets() -> &'static [geo::LineString<f64>] {
    static STREETS: std::sync::OnceLock<Vec<geo::LineString<f64>>> = std::sync::OnceLock::new();
    STREETS.get_or_init(|| {
        let Ok(fc) = crate::ingest::shipped::STREETS.parse::<geojson::GeoJson>() else {
            return Vec::new();
        };
        let geojson::GeoJson::FeatureCollection(fc) = fc else {
            return Vec::new();
        };
        fc.features
            .into_iter()
            .filter_map(|f| geo::Geometry::<f64>::try_from(f.geometry?).ok())
            .flat_map(|g| match g {
                geo::Geometry::LineString(l) => vec![l],
                geo::Geometry::MultiLineString(m) => m.0,
                _ => Vec::new(),
            })
            .collect()
    })
}

/// The evaluation's displacement reading in the report's language.
fn displacement_text(lang: crate::planning::Lang, reading: &str) -> String {
    let da = match reading {
        r if r.starts_with("displacement") => {
            "forskydning: hændelserne steg i ringen omkring mod kontrolområdet"
        }
        r if r.starts_with("diffusion") => {
            "spredning af gevinsten: hændelserne faldt også i ringen omkring"
        }
        _ => "ingen tydelig ændring i ringen omkring",
    };
    lang.pick(da, reading).to_owned()
}

/// `(from, to)` Unix seconds of a year or its first half (Copenhagen time).
fn period_bounds(year: i32, first_half: bool) -> (i64, i64) {
    use crate::model::time::copenhagen_to_utc;
    let from = copenhagen_to_utc(year as i64, 1, 1, 0, 0);
    let to = if first_half {
        copenhagen_to_utc(year as i64, 7, 1, 0, 0)
    } else {
        copenhagen_to_utc(year as i64 + 1, 1, 1, 0, 0)
    } - 1;
    (from, to)
}

/// The status report for `year` (or its first half) as the caller may see it.
pub(crate) fn status_report(
    state: &AppState,
    caller: &Caller,
    year: i32,
    first_half: bool,
    lang: crate::planning::Lang,
) -> ApiResult<String> {
    use crate::analysis::gistar;
    use crate::analysis::safety_index;
    use crate::index::PointFilter;
    use crate::model::{time, Category, DistrictLevel, HOTSPOT_DISTRICT_ID};
    use crate::planning::report::{self, Evaluation, GoalRow, InitiativeRow, MapData, ReportStats};
    use geo::{BoundingRect, Contains, Intersects};

    let l = lang;
    let (cat, disclosure) = state.view(caller, Need::Aggregates);
    let d8 = cat
        .district(HOTSPOT_DISTRICT_ID)
        .ok_or_else(|| ApiError::Unprocessable("district 8 is not loaded".into()))?;
    let (from, to) = period_bounds(year, first_half);
    let (pfrom, pto) = period_bounds(year - 1, first_half);
    let in_d8 = |t: (i64, i64), mask: u16| {
        cat.query_incidents(
            &PointFilter {
                bbox: None,
                within: Some(&d8.geometry),
                time: Some(t),
            },
            mask,
        )
    };
    let this_all = in_d8((from, to), u16::MAX);
    let prev_all = in_d8((pfrom, pto), u16::MAX);
    let count_cat = |ps: &[u32], c: Category| {
        ps.iter()
            .filter(|&&p| cat.incidents[p as usize].category == c)
            .count() as u64
    };
    let categories = Category::ALL
        .iter()
        .map(|&c| {
            let lb = c.labels();
            (
                lang.pick(lb.label_da, lb.label_en).to_owned(),
                disclosure.count(count_cat(&prev_all, c)),
                disclosure.count(count_cat(&this_all, c)),
            )
        })
        .collect();
    let months = if first_half { 6 } else { 12 };
    let month_of = |t: i64| {
        time::civil_from_days((t + time::copenhagen_offset(t)).div_euclid(86_400)).1 as usize
    };
    let mut per_month = vec![(0u64, 0u64); months];
    for &p in &prev_all {
        if let Some(m) = per_month.get_mut(month_of(cat.incidents[p as usize].occurred_at) - 1) {
            m.0 += 1;
        }
    }
    for &p in &this_all {
        if let Some(m) = per_month.get_mut(month_of(cat.incidents[p as usize].occurred_at) - 1) {
            m.1 += 1;
        }
    }
    const MONTHS_DA: [&str; 12] = [
        "jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
    ];
    const MONTHS_EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let monthly = per_month
        .iter()
        .enumerate()
        .map(|(i, &(a, b))| {
            (
                lang.pick(MONTHS_DA[i], MONTHS_EN[i]).to_owned(),
                disclosure.count(a),
                disclosure.count(b),
            )
        })
        .collect();

    // The safety index is yearly: the half-year report shows the last two whole years.
    let si_year = if first_half { year - 1 } else { year };
    let levels = |y: i32| -> Vec<safety_index::Level> {
        state
            .safety_levels(&cat, y)
            .iter()
            .filter(|r| r.district == HOTSPOT_DISTRICT_ID)
            .cloned()
            .collect()
    };
    let (si_now, si_prev) = (levels(si_year), levels(si_year - 1));
    let safety_index = safety_index::GROUPS
        .iter()
        .map(|(code, da, en, _)| {
            let now = si_now.iter().find(|r| r.group == *code);
            let prev = si_prev.iter().find(|r| r.group == *code);
            (
                format!("{} ({}–{})", lang.pick(da, en), si_year - 1, si_year),
                prev.map(|r| r.level.to_owned()),
                now.map(|r| r.level.to_owned()),
                now.filter(|r| disclosure.shows(r.count as u64))
                    .map(|r| r.ratio),
            )
        })
        .collect();

    // Goals, as known at the end of the period.
    let end_key = if first_half { (year, 1) } else { (year, 3) };
    let goals = goal_views(state, caller)?
        .iter()
        .map(|g| {
            let s = |k: &str| g[k].as_str().unwrap_or("").to_owned();
            let values: Vec<goals::Value> =
                serde_json::from_value::<Vec<Value>>(g["values"].clone())
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|v| {
                        let period = v["period"].as_str()?.to_owned();
                        let key = Period::parse(&period)?.key();
                        (key <= end_key).then(|| goals::Value {
                            period,
                            value: v["value"].as_f64(),
                            partial: v["partial"].as_bool().unwrap_or(false),
                            detail: None,
                            note: None,
                            source: None,
                        })
                    })
                    .collect();
            let def = goals::goal(g["id"].as_str().unwrap_or("")).copied();
            let direction = def.map_or(goals::Direction::Down, |d| d.direction);
            let baseline = g["baseline"]["period"]
                .as_str()
                .zip(g["baseline"]["value"].as_f64())
                .map(|(p, v)| (p.to_owned(), v));
            let target = g["target"].as_f64();
            let a = goals::status(direction, baseline, target, &values);
            GoalRow {
                id: s("id"),
                title: s(if lang == crate::planning::Lang::Da {
                    "title_da"
                } else {
                    "title_en"
                }),
                unit: s(if lang == crate::planning::Lang::Da {
                    "unit_da"
                } else {
                    "unit_en"
                }),
                owner: s("owner"),
                direction,
                target,
                status: a.status,
                reason: if lang == crate::planning::Lang::Da {
                    a.reason_da
                } else {
                    a.reason_en
                },
                values: values.iter().map(|v| (v.period.clone(), v.value)).collect(),
            }
        })
        .collect();

    // Initiatives active in the period, each evaluated with the defaults.
    let all = matches!(caller.role, Role::Planner | Role::Admin);
    let (from_date, to_date) = (
        time::rfc3339(from + time::copenhagen_offset(from))[..10].to_owned(),
        time::rfc3339(to + time::copenhagen_offset(to))[..10].to_owned(),
    );
    let stored: Vec<_> = state
        .initiatives()?
        .into_iter()
        .filter(|i| all || i.published)
        .filter(|i| {
            let p = &i.feature["properties"];
            let start = p["start_date"].as_str().unwrap_or("9999");
            let end = p["end_date"].as_str().unwrap_or("9999");
            start <= to_date.as_str() && end >= from_date.as_str()
        })
        .collect();
    let mut map_initiatives = Vec::new();
    let initiatives: Vec<InitiativeRow> = stored
        .iter()
        .map(|i| {
            let p = &i.feature["properties"];
            if let Ok(g) =
                serde_json::from_value::<geojson::Geometry>(i.feature["geometry"].clone())
            {
                if let Ok(g) = geo::Geometry::<f64>::try_from(g) {
                    map_initiatives.push((i.id, g));
                }
            }
            let evaluation = super::initiatives::evaluation(
                state,
                caller,
                i,
                &super::initiatives::EvalOptions::default(),
            )
            .map(|e| Evaluation {
                rate_ratio: e["rate_ratio"].as_f64().unwrap_or(f64::NAN),
                ci: (
                    e["ci_low"].as_f64().unwrap_or(f64::NAN),
                    e["ci_high"].as_f64().unwrap_or(f64::NAN),
                ),
                small_numbers: e["small_numbers"].as_bool().unwrap_or(true),
                area: (
                    e["counts"]["area"]["before"].as_u64(),
                    e["counts"]["area"]["after"].as_u64(),
                ),
                displacement: displacement_text(
                    lang,
                    e["displacement"]["reading"].as_str().unwrap_or(""),
                ),
            })
            .map_err(|e| e.to_string());
            InitiativeRow {
                id: i.id,
                title: p["title"].as_str().unwrap_or("").to_owned(),
                kind: p["kind"].as_str().unwrap_or("other").to_owned(),
                status: p["status"].as_str().unwrap_or("planned").to_owned(),
                start: p["start_date"].as_str().unwrap_or("").to_owned(),
                end: p["end_date"].as_str().map(str::to_owned),
                budget_dkk: p["budget_dkk"].as_f64(),
                pool: p["pool"].as_str().map(str::to_owned),
                owner: p["owner"].as_str().map(str::to_owned),
                goals: p["goals"]
                    .as_array()
                    .map_or(Vec::new(), |a| a.iter().filter_map(Value::as_u64).collect()),
                published: i.published,
                evaluation,
            }
        })
        .collect();

    // The map.
    let bbox = d8.geometry.bounding_rect();
    let near = |r: Option<geo::Rect<f64>>| match (bbox, r) {
        (Some(a), Some(b)) => a.intersects(&b),
        _ => false,
    };
    let neighbours = cat
        .districts
        .iter()
        .filter(|d| d.level == DistrictLevel::District && d.id != HOTSPOT_DISTRICT_ID)
        .filter(|d| near(d.geometry.bounding_rect()))
        .map(|d| d.geometry.clone())
        .collect();
    let streets = streets()
        .iter()
        .filter(|s| near(s.bounding_rect()))
        .cloned()
        .collect();
    let cells = gistar::hotspots(
        &cat,
        &[&d8.geometry],
        &gistar::HotspotParams {
            resolution: h3o::Resolution::Ten,
            k: 1,
            categories: u16::MAX,
            time: Some((from, to)),
            permutations: 0,
            seed: 0,
        },
    )
    .map(|h| {
        h.cells
            .iter()
            .filter(|c| c.bin != 0)
            .map(|c| (where_to_act::cell_ring(c.cell), c.bin))
            .collect()
    })
    .unwrap_or_default();

    // Resident reports in district 8 made in the period.
    let reports = state.reports().read(|rs| {
        let mine: Vec<&crate::reports::Report> = rs
            .iter()
            .filter(|r| r.created_at >= from && r.created_at <= to)
            .filter(|r| d8.geometry.contains(&geo::Point::new(r.lon, r.lat)))
            .collect();
        use crate::reports::Status as S;
        let count = |f: &dyn Fn(&crate::reports::Report) -> bool| {
            disclosure.count(mine.iter().filter(|r| f(r)).count() as u64)
        };
        let mut days: Vec<f64> = mine
            .iter()
            .filter(|r| r.status == S::Closed)
            .map(|r| (r.updated_at - r.created_at) as f64 / 86_400.0)
            .collect();
        days.sort_by(f64::total_cmp);
        let median = (!days.is_empty() && disclosure.shows(days.len() as u64))
            .then(|| crate::analysis::stats::median_sorted(&days));
        ReportStats {
            received: count(&|_| true),
            published: count(&|r| r.published),
            closed: count(&|r| r.status == S::Closed),
            rejected: count(&|r| r.status == S::Rejected),
            duplicates: count(&|r| r.status == S::Duplicate),
            open: count(&|r| !matches!(r.status, S::Closed | S::Rejected | S::Duplicate)),
            median_days_to_close: median,
            by_service: crate::reports::Service::ALL
                .iter()
                .map(|s| {
                    let lb = s.labels();
                    (
                        lang.pick(lb.label_da, lb.label_en).to_owned(),
                        disclosure.count(mine.iter().filter(|r| r.service == *s).count() as u64),
                    )
                })
                .filter(|(_, c)| *c != Some(0))
                .collect(),
        }
    });

    // Provenance.
    let mut sources: std::collections::BTreeMap<(&str, &str), u64> = Default::default();
    for i in &cat.incidents {
        *sources.entry(("incidents", i.source.as_str())).or_default() += 1;
    }
    for o in &cat.observations {
        *sources
            .entry(("observations", o.source.as_str()))
            .or_default() += 1;
    }
    let mut provenance: Vec<String> = sources
        .iter()
        .map(|((layer, src), n)| {
            let synthetic = *src == crate::store::DEMO_SOURCE;
            let layer = match (*layer, lang) {
                ("incidents", crate::planning::Lang::Da) => "hændelser",
                ("observations", crate::planning::Lang::Da) => "observationer",
                (x, _) => x,
            };
            format!(
                "{}: {n} {layer}{}",
                src,
                if synthetic {
                    l.pick(" (syntetiske demodata)", " (synthetic demo data)")
                } else {
                    ""
                }
            )
        })
        .collect();
    provenance.push(crate::ingest::shipped::ATTRIBUTION.to_owned());
    provenance.push(l.pick(
        "Beboertal: distrikt 8 13.988 (1. januar 2009, rammeprogrammet); øvrige distrikter anslået ud fra bebyggelsens areal.",
        "Residents: district 8 13,988 (1 January 2009, the framework programme); other districts estimated from their block area.",
    ).to_owned());
    provenance.push(format!(
        "{} {}",
        l.pick(
            "Borgerhenvendelser: indsendt gennem hotspot (Open311);",
            "Resident reports: sent through hotspot (Open311);"
        ),
        l.pick(
            "tæller henvendelser inden for distrikt 8.",
            "counts reports inside district 8."
        )
    ));

    let synthetic = cat.synthetic.incidents > 0;
    let data = report::ReportData {
        lang,
        year,
        first_half,
        generated: time::rfc3339(chrono::Utc::now().timestamp()),
        data_version: cat.version.clone(),
        synthetic_notice: synthetic.then(|| {
            format!(
                "{} {}",
                l.pick(crate::demo::NOTICE_DA, crate::demo::NOTICE),
                l.pick(
                    "Demo-indsatserne er også opdigtede eksempler.",
                    "The demo initiatives are made-up examples too."
                )
            )
        }),
        privacy: (!caller.sees_exact(Need::Aggregates)).then(|| {
            l.pick(
                "Offentlig udgave: hændelser er flyttet til midten af deres H3-celle (≤ 80 m), tal på 1–2 er udeladt, og kun offentliggjorte indsatser er med.",
                "Public edition: incidents are moved to the centre of their H3 cell (≤ 80 m), counts of 1–2 are withheld, and only published initiatives are shown.",
            )
            .to_owned()
        }),
        provenance,
        map: MapData {
            district: d8.geometry.clone(),
            neighbours,
            streets,
            cells,
            initiatives: map_initiatives,
        },
        categories,
        monthly,
        safety_index,
        goals,
        status_rule: l.pick(goals::STATUS_RULE_DA, goals::STATUS_RULE_EN).to_owned(),
        initiatives,
        withheld_below: disclosure.describe()["suppressed_below"]
            .as_u64()
            .map(|k| k as u32),
        pool_dkk: 1_000_000.0,
        reports,
    };
    Ok(report::render(&data))
}

/// `GET /api/status-report?year=&period=full|h1&lang=da|en`: the printable HTML report.
pub async fn status_report_page(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let p = Params::parse(req.query_string(), &["year", "period", "lang"])?;
    let (year, first_half, lang) = report_params(&state, &p)?;
    let caller = Caller::of(&req);
    let st = state.clone();
    let html = web::block(move || status_report(&st, &caller, year, first_half, lang))
        .await
        .map_err(|e| ApiError::Internal(format!("worker pool: {e}")))??;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!(
                "inline; filename=\"hotspot-status-{year}{}-{}.html\"",
                if first_half { "-h1" } else { "" },
                lang.code()
            ),
        ))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "private, no-store"))
        .body(html))
}

fn report_params(state: &AppState, p: &Params) -> ApiResult<(i32, bool, crate::planning::Lang)> {
    let years = goals::data_years(&state.catalog());
    let default_year = years
        .iter()
        .rev()
        .find(|(_, whole)| *whole)
        .or(years.last())
        .map_or(2014, |(y, _)| *y);
    let year = match p.non_empty("year")? {
        None => default_year,
        Some(raw) => raw
            .parse::<i32>()
            .ok()
            .filter(|y| (1990..=2100).contains(y))
            .ok_or_else(|| ApiError::param("year", format!("'{raw}' is not a year 1990..2100")))?,
    };
    let first_half = params::choice(p, "period", &["full", "h1"], "full")? == "h1";
    let lang = crate::planning::Lang::parse(params::choice(p, "lang", &["da", "en"], "da")?)
        .unwrap_or(crate::planning::Lang::Da);
    Ok((year, first_half, lang))
}
