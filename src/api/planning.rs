//! Effect goals (`/api/goals…`) and where to act (`/api/where-to-act`). The computing is in
//! `crate::planning` and `crate::service::goals`; these check and serialise.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::auth::{Caller, Need};
use super::error::{ApiError, ApiResult};
use super::params::{self, Params};
use super::AppState;
use crate::planning::goals::{self, GoalDef, Measure, Period};
use crate::planning::where_to_act;
pub(crate) use crate::service::goals::goal_views;
use crate::store::GoalSettings;

/// Measurements one request may carry.
const MAX_MEASUREMENTS: usize = 500;

fn goal_of(raw: &str) -> ApiResult<&'static GoalDef> {
    goals::goal(raw).ok_or_else(|| {
        let ids: Vec<&str> = goals::GOALS.iter().map(|g| g.id).collect();
        ApiError::NotFound(format!("no goal '{raw}'; goals are {}", ids.join(", ")))
    })
}

fn envelope(state: &AppState, caller: &Caller, goals: Vec<Value>) -> Value {
    let (cat, disclosure) = state.view(caller, Need::Programme);
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
    let goals = super::off_thread(move || goal_views(&st, &c)).await?;
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
    let goals = super::off_thread(move || goal_views(&st, &c)).await?;
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
                format!(
                    "'{}' is not a period YYYY, YYYY-H1 or YYYY-H2",
                    super::initiatives::clip(s)
                ),
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
        // Published with the goal: scrubbed as residents' reports are.
        Some(s) => Ok(Some(crate::reports::scrub::scrub(s).0)),
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
    for k in ["note", "source"] {
        if !v[k].is_null() && !v[k].is_string() {
            return Err(ApiError::param(format!("{at}.{k}"), "expected text"));
        }
    }
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
    if let Some(h) = header
        .iter()
        .enumerate()
        .find(|(i, h)| header[..*i].contains(h))
        .map(|(_, h)| h)
    {
        return Err(ApiError::param(
            "body",
            format!("CSV column '{}' appears twice", super::initiatives::clip(h)),
        ));
    }
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
            .filter(|x: &f64| x.is_finite() && x.abs() < 1e12)
            .ok_or_else(|| {
                ApiError::param(
                    format!("line {line}: value"),
                    format!("'{}' is not a number", super::initiatives::clip(raw)),
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
    super::off_thread(move || st.put_measurements(id, &rows, &actor, now)).await?;
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
    let found = super::off_thread(move || st.delete_measurement(g.id, &pp)).await?;
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
    let out = super::off_thread(move || -> ApiResult<Value> {
        st.set_goal_settings(g.id, &s, &actor, now)?;
        goal_views(&st, &caller)?
            .into_iter()
            .find(|x| x["id"] == g.id)
            .ok_or_else(|| ApiError::Internal("goal lost".into()))
    })
    .await?;
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
    Caller::of(&req).check_resolution(res)?;
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
    let window = months * crate::analysis::evaluation::MONTH_S;
    let now = chrono::Utc::now().timestamp();
    let resolution =
        h3o::Resolution::try_from(res).map_err(|_| ApiError::param("resolution", "is 8..11"))?;
    let st = state.clone();
    let places = super::off_thread(move || {
        let initiatives: Vec<(i64, geo::Geometry<f64>)> = st
            .initiatives()?
            .iter()
            .filter_map(|i| {
                Some((
                    i.id,
                    super::initiatives::geometry_of(&i.feature["geometry"])?,
                ))
            })
            .collect();
        // Ranked while reading the reports, not on a copy of them.
        st.reports()
            .read(|reports| {
                where_to_act::rank(&where_to_act::Inputs {
                    catalog: &cat,
                    area: &area,
                    resolution,
                    incidents: (last - window, last),
                    reports_since: now - window,
                    reports,
                    initiatives: &initiatives,
                })
            })
            .map(|v| {
                (
                    v,
                    cat.version.clone(),
                    cat.synthetic.incidents > 0,
                    time_range(last - window, last),
                )
            })
            .map_err(|e| ApiError::Unprocessable(e.to_string()))
    })
    .await?;
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
        "method_da": "score = 0,5 × hot spot aften/nat (Gi* z for hændelser kl. 18–06 over distriktets celler, k = 1, skaleret z/3,29, højst 1) + 0,25 × dårlige vurderinger på tryghedsvandringer (nyeste vurdering pr. celle og type: belysning, oversigt, skjult hjørne, gangforbindelse, tryghedsfølelse; hver type vurderet 1–2 giver 1/3) + 0,25 × borgerhenvendelser (ikke afviste eller dubletter, plus »også mig«; 5 tæller fuldt). Celler med score 0 er udeladt.",
        "method": "score = 0.5 × evening/night hot spot (Gi* z of incidents 18:00–06:00 over the district's cells, k = 1, scaled z/3.29 capped at 1) + 0.25 × poor safety-walk ratings (newest rating per cell and kind of lighting, visibility, hidden corner, walkway, feeling; each kind rated 1–2 adds 1/3) + 0.25 × resident reports (not rejected or duplicate, plus me-too, 5 count fully). Cells scoring 0 are left out.",
        "data_version": version,
        "synthetic": synthetic,
    });
    if synthetic {
        v["notice"] = json!(crate::demo::NOTICE);
        v["notice_da"] = json!(crate::demo::NOTICE_DA);
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
