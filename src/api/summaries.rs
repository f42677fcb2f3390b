//! Planner-facing answers: kernel density, district summaries, safety-index levels.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::auth::{Caller, Need};
use super::error::{ApiError, ApiResult};
use super::heavy::AnswerKey;
use super::params::{self, Params};
use super::{blocking, AppState, Reply};
use crate::analysis::{kde, safety_index, summary};
use crate::index::{LonLatBox, PointFilter};
use crate::model::time;
use crate::privacy::Disclosure;
use crate::{demo, model};

fn synthetic_fields(v: &mut serde_json::Value, synthetic: bool) {
    v["synthetic"] = json!(synthetic);
    if synthetic {
        v["notice"] = json!(demo::NOTICE);
    }
}

fn json_reply(v: &serde_json::Value) -> ApiResult<Reply> {
    Ok(Reply::new(
        "application/json",
        serde_json::to_vec(v).map_err(|e| ApiError::Internal(e.to_string()))?,
    ))
}

/// The most cells a `format=geojson` density answer may hold.
const MAX_GRID_FEATURES: usize = 20_000;

/// `GET /api/analysis/kde`: quartic kernel density, incidents per km², as a compact raster
/// (default) or a GeoJSON grid of the non-zero cells (`format=geojson`).
pub async fn kde(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let p = Params::parse(
        req.query_string(),
        &[
            "district",
            "bbox",
            "category",
            "datetime",
            "cell_m",
            "bandwidth_m",
            "format",
        ],
    )?;
    // A density surface can be read back to the points it was made from (a lone incident's
    // kernel peaks on it), so it is made from the points the caller may see, not from exact
    // positions for planners.
    let caller = Caller::of(&req);
    let (cat, disclosure) = state.view(&caller, Need::Points);
    let key = AnswerKey::new("density", req.query_string(), caller.role, &cat.version);
    state.heavy().reply_cached(key, &req, move || {
        let num = |key: &str, default: f64, lo: f64, hi: f64| -> ApiResult<f64> {
            match p.non_empty(key)? {
                None => Ok(default),
                Some(v) => v
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x >= lo && *x <= hi)
                    .ok_or_else(|| ApiError::param(key, format!("'{v}' is not a number {lo}..{hi} (metres)"))),
            }
        };
        let cell_m = num("cell_m", 25.0, 5.0, 1000.0)?;
        let bandwidth_m = match p.non_empty("bandwidth_m")? {
            Some("auto") => None,
            _ => Some(num("bandwidth_m", 150.0, 20.0, 5000.0)?),
        };
        let format = params::choice(&p, "format", &["raster", "geojson"], "raster")?;
        let categories = params::categories(&p)?;
        let datetime = params::datetime_for(&p, caller.hourly())?;
        let area = match params::bbox(&p, cat.district_extent())? {
            Some(b) => {
                if p.get("district").is_some() {
                    return Err(ApiError::param("bbox", "give either bbox or district, not both"));
                }
                b
            }
            None => {
                let id = p.non_empty("district")?.unwrap_or(model::HOTSPOT_DISTRICT_ID);
                let d = cat.district(id).ok_or_else(|| ApiError::param("district", format!("unknown district '{id}'")))?;
                d.bbox().map(LonLatBox::from_rect).ok_or_else(|| ApiError::param("district", "has no geometry"))?
            }
        };
        if area.min_lat < -85.0 || area.max_lat > 85.0 {
            return Err(ApiError::param("bbox", "lies beyond 85° latitude, where a metric grid in degrees breaks down"));
        }
        // Every incident within reach of the grid counts, also those just outside the area.
        let pad = bandwidth_m.unwrap_or(1000.0) / 111_320.0 * 2.0;
        let window = LonLatBox { min_lon: area.min_lon - pad * 2.0, min_lat: area.min_lat - pad, max_lon: area.max_lon + pad * 2.0, max_lat: area.max_lat + pad };
        let positions = cat.query_incidents(&PointFilter { bbox: Some(window), within: None, time: datetime }, categories);
        let points: Vec<(f64, f64)> = positions.iter().map(|&i| (cat.incidents[i as usize].lon, cat.incidents[i as usize].lat)).collect();
        let r = kde::density(&points, &area, cell_m, bandwidth_m).map_err(|e| match e {
            kde::KdeError::TooManyCells(_) => ApiError::param("cell_m", e.to_string()),
            kde::KdeError::TooMuchWork(_) => ApiError::param("bandwidth_m", e.to_string()),
        })?;
        let parameters = json!({
            "bbox": area.to_array(), "district": p.get("district"), "category": p.get("category"),
            "datetime": p.get("datetime"), "cell_m": cell_m, "bandwidth_m": r.bandwidth_m,
            "bandwidth_rule": if bandwidth_m.is_none() { "Silverman (0.9·min(σ, IQR/1.34)·n^-1/5)" } else { "fixed" },
        });
        let mut v = if format == "raster" {
            json!({
                "kernel": "quartic (biweight)", "unit": "incidents per km²", "parameters": parameters,
                "numberOfIncidents": disclosure.count(points.len() as u64), "raster": r, "data_version": cat.version,
                "software_version": env!("CARGO_PKG_VERSION"),
            })
        } else {
            let (w, n) = (r.bbox[0], r.bbox[3]);
            let dx = (r.bbox[2] - r.bbox[0]) / r.width as f64;
            let dy = (r.bbox[3] - r.bbox[1]) / r.height as f64;
            let nonzero = r.values.iter().filter(|v| **v > 0.0).count();
            if nonzero > MAX_GRID_FEATURES {
                return Err(ApiError::param(
                    "format",
                    format!("{nonzero} non-empty cells is more than {MAX_GRID_FEATURES} GeoJSON features; use format=raster or a larger cell_m"),
                ));
            }
            let features: Vec<serde_json::Value> = r
                .values
                .iter()
                .enumerate()
                .filter(|(_, v)| **v > 0.0)
                .map(|(i, v)| {
                    let (row, col) = (i / r.width, i % r.width);
                    let (x0, y1) = (w + col as f64 * dx, n - row as f64 * dy);
                    let (x1, y0) = (x0 + dx, y1 - dy);
                    json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]},
                           "properties": {"density": v}})
                })
                .collect();
            json!({"type": "FeatureCollection", "kernel": "quartic (biweight)", "unit": "incidents per km²", "parameters": parameters,
                   "numberOfIncidents": disclosure.count(points.len() as u64), "data_version": cat.version,
                   "software_version": env!("CARGO_PKG_VERSION"), "features": features})
        };
        v["privacy"] = disclosure.describe();
        synthetic_fields(&mut v, cat.synthetic.incidents > 0);
        json_reply(&v)
    })
    .await
}

/// Resident reports received in `[from, to]` inside `area` (not rejected, not duplicates), by
/// type: `{"total": n, "by_service": [...]}`. The public counts published reports only, at
/// their public positions, with small counts suppressed.
fn reports_in(
    state: &AppState,
    area: &geo::MultiPolygon<f64>,
    from: i64,
    to: i64,
    d: Disclosure,
    all_reports: bool,
) -> serde_json::Value {
    use crate::reports::{Service, Status};
    use geo::Contains;
    let counts = state.reports().read(|all| {
        let mut counts = [0u64; Service::ALL.len()];
        for r in all {
            // The public counts what the public map shows: published reports, at their
            // public positions. Counting the unmoderated ones would reveal them.
            let (lon, lat) = if all_reports {
                (r.lon, r.lat)
            } else {
                crate::privacy::anchor(r.lon, r.lat)
            };
            if r.created_at < from
                || r.created_at > to
                || matches!(r.status, Status::Rejected | Status::Duplicate)
                || (!all_reports && !r.published)
                || !area.contains(&geo::Point::new(lon, lat))
            {
                continue;
            }
            if let Some(i) = Service::ALL.iter().position(|s| *s == r.service) {
                counts[i] += 1;
            }
        }
        counts
    });
    let total: u64 = counts.iter().sum();
    let mut by: Vec<serde_json::Value> = Service::ALL
        .iter()
        .zip(counts)
        .map(|(s, n)| {
            let l = s.labels();
            json!({"code": s.code(), "label_da": l.label_da, "label_en": l.label_en, "count": n})
        })
        .collect();
    let mut total = json!(total);
    if !d.exact {
        let mut cells: Vec<&mut serde_json::Value> =
            by.iter_mut().map(|r| &mut r["count"]).collect();
        for c in cells.iter_mut() {
            suppress(c, d);
        }
        if suppress_complement(&mut cells).is_err() {
            total = serde_json::Value::Null;
        }
        suppress(&mut total, d);
    }
    json!({"total": total, "by_service": by})
}

/// Replaces a count the public may not see by `null`; returns whether it did.
fn suppress(v: &mut serde_json::Value, d: Disclosure) -> bool {
    match v.as_u64() {
        Some(n) if !d.shows(n) => {
            *v = serde_json::Value::Null;
            true
        }
        _ => false,
    }
}

/// Complementary suppression: when any of `cells` is hidden, the smallest shown non-zero one
/// (≥ the threshold, as it is shown) is hidden too, so the hidden ones cannot be worked out
/// from a published total. Returns the index of the cell it hid, or `Err(())` when a cell is
/// hidden but there is no shown one to hide with it: then the caller hides the total.
fn suppress_complement(cells: &mut [&mut serde_json::Value]) -> Result<Option<usize>, ()> {
    if !cells.iter().any(|c| c.is_null()) {
        return Ok(None);
    }
    let (i, _) = cells
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.as_u64().filter(|&n| n > 0).map(|n| (i, n)))
        .min_by_key(|&(_, n)| n)
        .ok_or(())?;
    *cells[i] = serde_json::Value::Null;
    Ok(Some(i))
}

/// The public's district summary: category counts, the hour × weekday grid and top-cell counts
/// of 1 to `min_count − 1` become `null`, with one more count in the same table (see
/// [`suppress_complement`]), and so do the change figures computed from them.
fn suppress_summary(v: &mut serde_json::Value, d: Disclosure) {
    if d.exact {
        return;
    }
    const CHANGE: [&str; 4] = ["rate_ratio", "change_pct", "p_value", "significant"];
    if let Some(rows) = v["categories"].as_array_mut() {
        for row in rows.iter_mut() {
            let a = suppress(&mut row["count"], d);
            let b = suppress(&mut row["previous"], d);
            if a || b {
                for k in CHANGE {
                    row[k] = serde_json::Value::Null;
                }
            }
        }
        // The `all` row is the published total of the others.
        for column in ["count", "previous"] {
            let mut cells: Vec<&mut serde_json::Value> = rows
                .iter_mut()
                .filter(|r| r["code"] != "all")
                .map(|r| &mut r[column])
                .collect();
            match suppress_complement(&mut cells) {
                Ok(Some(i)) => {
                    drop(cells);
                    if let Some(row) = rows.iter_mut().filter(|r| r["code"] != "all").nth(i) {
                        for k in CHANGE {
                            row[k] = serde_json::Value::Null;
                        }
                    }
                }
                Ok(None) => {}
                Err(()) => {
                    drop(cells);
                    if let Some(all) = rows.iter_mut().find(|r| r["code"] == "all") {
                        all[column] = serde_json::Value::Null;
                        for k in CHANGE {
                            all[k] = serde_json::Value::Null;
                        }
                    }
                }
            }
        }
    }
    if let Some(grid) = v["hour_weekday"].as_array_mut() {
        let mut cells: Vec<&mut serde_json::Value> = grid
            .iter_mut()
            .flat_map(|r| r.as_array_mut().into_iter().flatten())
            .collect();
        for cell in cells.iter_mut() {
            suppress(cell, d);
        }
        if suppress_complement(&mut cells).is_err() {
            // Only small counts in the grid: its total (the `all` row) would give their sum.
            drop(cells);
            if let Some(all) = v["categories"]
                .as_array_mut()
                .and_then(|rows| rows.iter_mut().find(|r| r["code"] == "all"))
            {
                all["count"] = serde_json::Value::Null;
            }
        }
    }
    if let Some(cells) = v["top_cells"].as_array_mut() {
        for c in cells {
            suppress(&mut c["count"], d);
        }
    }
}

/// What a district summary for `from`–`to` (`YYYY-MM-DD`, Copenhagen days) counts: for district
/// 8 over a whole calendar year or its first half — the programme's fixed figures, which no caller
/// can narrow — what the status report counts ([`Need::Programme`], exact for planners), so a
/// planner reads one set of figures in the map's panel and in the report; any other district or
/// period is an aggregate over a chosen area and time ([`Need::Aggregates`]).
fn summary_need(id: &str, from: Option<&str>, to: Option<&str>) -> Need {
    let programme = id == model::HOTSPOT_DISTRICT_ID
        && match (from, to) {
            (Some(f), Some(t)) if f.len() == 10 && t.len() == 10 => {
                f.ends_with("-01-01")
                    && f.get(..4) == t.get(..4)
                    && (t.ends_with("-12-31") || t.ends_with("-06-30"))
            }
            _ => false,
        };
    if programme {
        Need::Programme
    } else {
        Need::Aggregates
    }
}

/// `GET /api/districts/{id}/summary?from=&to=`.
pub async fn district_summary(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let p = Params::parse(req.query_string(), &["from", "to"])?;
    let st = state.clone();
    let caller = Caller::of(&req);
    let all_reports = caller.sees_unpublished();
    let need = summary_need(&id, p.non_empty("from")?, p.non_empty("to")?);
    // Exact only because it is a programme figure (a planner): see the previous period below.
    let exact_as_programme = need == Need::Programme
        && caller.sees_exact(Need::Programme)
        && !caller.sees_exact(Need::Aggregates);
    let (cat, disclosure) = state.view(&caller, need);
    state.heavy().reply(move || {
        let district = cat.district(&id).ok_or_else(|| ApiError::NotFound(format!("no district '{id}'")))?;
        // Dates are Copenhagen calendar days: `from` at local midnight, `to` through 23:59:59.
        let day = |key: &str, next: bool| -> ApiResult<Option<i64>> {
            p.non_empty(key)?
                .map(|v| {
                    let d = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                        .map_err(|_| ApiError::param(key, format!("'{v}' is not a date YYYY-MM-DD")))?;
                    use chrono::Datelike;
                    if !(1900..=2100).contains(&d.year()) {
                        return Err(ApiError::param(key, format!("'{v}' is not a date in 1900..2100")));
                    }
                    let d = if next { d.succ_opt().unwrap_or(d) } else { d };
                    let t = time::copenhagen_to_utc(d.year() as i64, d.month(), d.day(), 0, 0);
                    Ok(if next { t - 1 } else { t })
                })
                .transpose()
        };
        let last = cat.incident_time_extent().map(|(_, b)| b).unwrap_or_else(|| chrono::Utc::now().timestamp());
        let to = day("to", true)?.unwrap_or(last);
        let from = day("from", false)?.unwrap_or(to - 365 * 86_400 + 1);
        if from > to {
            return Err(ApiError::param("from", "is after to"));
        }
        // A programme figure made exact for a planner (a whole year or first half of district 8)
        // is compared with the same part of the year before — itself a programme figure —, never
        // with a shifted window that differencing could narrow to a few days. Everyone else
        // compares with the equally long period just before.
        let (pfrom, pto) = if exact_as_programme {
            let local = from + time::copenhagen_offset(from);
            let (y, _, _) = time::civil_from_days(local.div_euclid(86_400));
            let len_months = if to - from > 200 * 86_400 { 12 } else { 6 };
            let start = time::copenhagen_to_utc(y - 1, 1, 1, 0, 0);
            let end = if len_months == 12 {
                time::copenhagen_to_utc(y, 1, 1, 0, 0)
            } else {
                time::copenhagen_to_utc(y - 1, 7, 1, 0, 0)
            };
            (start, end - 1)
        } else {
            let len = to - from + 1;
            (from - len, from - 1)
        };
        let mut s = summary::summarise_against(&cat, district, from, to, (pfrom, pto));
        // The comparison only means something when the data cover the previous period: from
        // the start of the month of the first incident on.
        let covered_from = cat.incident_time_extent().map(|(a, _)| {
            let local = a + time::copenhagen_offset(a);
            let (y, m, _) = time::civil_from_days(local.div_euclid(86_400));
            time::copenhagen_to_utc(y, m, 1, 0, 0)
        });
        let data_end = cat.incident_time_extent().map(|(_, b)| b).unwrap_or(i64::MIN);
        let previous_covered = covered_from.is_some_and(|c| pfrom >= c) && from <= data_end;
        if !previous_covered {
            for c in &mut s.categories {
                c.rate_ratio = None;
                c.change_pct = None;
                c.p_value = None;
                c.significant = None;
            }
        }
        let mut v = json!({
            "district": {"id": district.id, "name": district.name, "level": district.level.code(), "population": district.population},
            "period": {"from": time::rfc3339(from), "to": time::rfc3339(to)},
            "previous_period": {"from": time::rfc3339(pfrom), "to": time::rfc3339(pto)},
            "previous_period_covered": previous_covered,
            "previous_period_note": if previous_covered { serde_json::Value::Null } else {
                json!("the data do not cover both this period and the whole previous one, so no change or test is given; choose a period inside the data")
            },
            "change_test": "exact conditional test for two Poisson counts over equal periods (n1 | n1+n2 ~ Binomial(n1+n2, 1/2)), two-sided p = 2·min tail; significant at p < 0.05",
            "hour_weekday_note": "rows Monday…Sunday, columns hour 0…23, Copenhagen local time",
            "night": "22:00–05:59 Copenhagen time",
            "reports": reports_in(&st, &district.geometry, from, to, disclosure, all_reports),
            "reports_note": if all_reports { "resident reports received in the period inside the district (rejected ones and duplicates left out), by type; published or not" } else { "published resident reports received in the period inside the district, by type (as the public map shows them)" },
            "data_version": cat.version,
            "software_version": env!("CARGO_PKG_VERSION"),
        });
        let summary_json = serde_json::to_value(&s).map_err(|e| ApiError::Internal(e.to_string()))?;
        if let (Some(o), Some(sj)) = (v.as_object_mut(), summary_json.as_object()) {
            for (k, val) in sj {
                o.insert(k.clone(), val.clone());
            }
        }
        suppress_summary(&mut v, disclosure);
        v["privacy"] = disclosure.describe();
        synthetic_fields(&mut v, cat.synthetic.any());
        json_reply(&v)
    })
    .await
}

/// `GET /api/safety-index?year=Y[&markant=2.0&intensiveret=1.3]`.
pub async fn safety_index(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let p = Params::parse(
        req.query_string(),
        &["year", "markant", "intensiveret", "district"],
    )?;
    let (cat, disclosure) = state.view(&Caller::of(&req), Need::Aggregates);
    let st = state.clone();
    blocking(move || {
        let year: i32 = p
            .non_empty("year")?
            .ok_or_else(|| ApiError::param("year", "is required, e.g. year=2010"))?
            .parse()
            .ok()
            .filter(|y| (1900..=2100).contains(y))
            .ok_or_else(|| ApiError::param("year", "is not a year 1900..2100"))?;
        let ratio = |key: &str, default: f64| -> ApiResult<f64> {
            match p.non_empty(key)? {
                None => Ok(default),
                Some(v) => v.parse::<f64>().ok().filter(|x| x.is_finite() && *x > 0.0 && *x < 100.0)
                    .ok_or_else(|| ApiError::param(key, format!("'{v}' is not a ratio > 0"))),
            }
        };
        let d = safety_index::Thresholds::default();
        let t = safety_index::Thresholds { markant: ratio("markant", d.markant)?, intensiveret: ratio("intensiveret", d.intensiveret)? };
        if t.intensiveret >= t.markant {
            return Err(ApiError::param("intensiveret", "must be below markant"));
        }
        let (first, last) = cat.incident_time_extent().ok_or_else(|| ApiError::Unprocessable("there are no incidents".into()))?;
        let year_of = |t: i64| time::civil_from_days((t + time::copenhagen_offset(t)).div_euclid(86_400)).0 as i32;
        if year < year_of(first) || year > year_of(last) {
            return Err(ApiError::Unprocessable(format!(
                "no incidents in {year}; the data cover {}–{}",
                year_of(first),
                year_of(last)
            )));
        }
        let only = match p.non_empty("district")? {
            Some(id) => match cat.district(id) {
                Some(d) if d.level == crate::model::DistrictLevel::District => Some(id.to_owned()),
                Some(_) => return Err(ApiError::param("district", format!("'{id}' is not a safety district; the index is per district-N"))),
                None => return Err(ApiError::param("district", format!("unknown district '{id}'"))),
            },
            None => None,
        };
        let pops = st.populations();
        let mut rows = safety_index::levels(&cat, year, &pops, t);
        if let Some(id) = only {
            rows.retain(|r| r.district == id);
        }
        let mut rows = serde_json::to_value(&rows).map_err(|e| ApiError::Internal(e.to_string()))?;
        for row in rows.as_array_mut().into_iter().flatten() {
            if suppress(&mut row["count"], disclosure) {
                row["ratio"] = serde_json::Value::Null;
            }
        }
        let groups: Vec<serde_json::Value> = safety_index::GROUPS.iter().map(|(c, da, en, cats)| json!({
            "code": c, "label_da": da, "label_en": en, "categories": cats.iter().map(|c| c.code()).collect::<Vec<_>>()
        })).collect();
        let mut v = json!({
            "year": year,
            "thresholds": t,
            "method": "incidents per 1,000 residents in the year against the rate of the 35 safety districts together; level markant when the ratio ≥ markant, intensiveret when ≥ intensiveret, else ordinær. This is hotspot's convention, not the official Tryghedsindeks method (which also weighs survey answers).",
            "population_note": "district-8: 13,988 residents (1 January 2009, recorded); every other district: an estimate scaled from district 8 by city-block area, marked population_estimated",
            "groups": groups,
            "levels": rows,
            "privacy": disclosure.describe(),
            "data_version": cat.version,
            "software_version": env!("CARGO_PKG_VERSION"),
        });
        synthetic_fields(&mut v, cat.synthetic.incidents > 0);
        json_reply(&v)
    })
    .await
}
