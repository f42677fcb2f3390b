//! Analysis endpoints.

use actix_web::{web, HttpRequest, HttpResponse};
use h3o::Resolution;
use serde_json::json;

use super::auth::{Caller, Need};
use super::error::{ApiError, ApiResult};
use super::heavy::AnswerKey;
use super::params::{self, Params};
use super::{encode, AppState, Reply};
use crate::analysis::hexbins::{self, RESOLUTIONS};
use crate::demo;
use crate::index::PointFilter;
use crate::model::time;

/// Starts a FeatureCollection whose top-level members are those of `head` (a JSON object),
/// plus the synthetic-data notice when `synthetic`, up to the opening of `features`.
fn open_collection(out: &mut Vec<u8>, head: &serde_json::Value, synthetic: bool) {
    out.extend_from_slice(br#"{"type":"FeatureCollection","#);
    let head = head.to_string();
    out.extend_from_slice(&head.as_bytes()[1..head.len() - 1]);
    if synthetic {
        out.extend_from_slice(br#","notice":"#);
        encode::string(out, demo::NOTICE);
    }
    out.extend_from_slice(br#","features":["#);
}

/// Appends an H3 cell's outline as a GeoJSON Polygon (closed ring, lon/lat, 7 decimals).
fn cell_polygon(out: &mut Vec<u8>, cell: h3o::CellIndex) {
    out.extend_from_slice(br#"{"type":"Polygon","coordinates":[["#);
    let boundary = cell.boundary();
    let verts: Vec<&h3o::LatLng> = boundary.iter().collect();
    for (k, v) in verts.iter().chain(verts.first()).enumerate() {
        if k > 0 {
            out.push(b',');
        }
        out.push(b'[');
        encode::coord(out, v.lng());
        out.push(b',');
        encode::coord(out, v.lat());
        out.push(b']');
    }
    out.extend_from_slice(b"]]}");
}

/// The most districts one analysis may combine.
const MAX_DISTRICTS: usize = 50;

/// The most study cells one analysis may hold (the whole city at resolution 11 is about
/// 52,000); a Gi* answer costs about 420 bytes a cell, so this also bounds it to ~25 MB.
const MAX_STUDY_CELLS: f64 = 60_000.0;

/// The most cells a hexbin answer may hold (about 400 bytes each as polygons).
const MAX_HEXBIN_CELLS: usize = 60_000;

/// The study area and common parameters of the Gi* analyses: `district` (ids, default
/// district 8), `resolution`, `k`, `category`.
struct Study<'c> {
    ids: Vec<String>,
    area: Vec<&'c geo::MultiPolygon<f64>>,
    res_n: u8,
    resolution: Resolution,
    k: u8,
    categories: u16,
}

fn study<'c>(
    p: &Params,
    cat: &'c crate::catalog::Catalog,
    caller: &Caller,
) -> ApiResult<Study<'c>> {
    let res_n = params::small_int(p, "resolution", RESOLUTIONS, 10)?;
    caller.check_resolution(res_n)?;
    let resolution =
        Resolution::try_from(res_n).map_err(|e| ApiError::param("resolution", e.to_string()))?;
    let k = params::small_int(p, "k", 1..=5, 1)?;
    let categories = params::categories(p)?;
    let ids: Vec<String> = p
        .non_empty("district")?
        .unwrap_or(crate::model::HOTSPOT_DISTRICT_ID)
        .split(',')
        .map(|s| s.trim().to_owned())
        .collect();
    let mut ids = ids;
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    if ids.len() > MAX_DISTRICTS {
        return Err(ApiError::param(
            "district",
            format!("{} districts; at most {MAX_DISTRICTS} at once", ids.len()),
        ));
    }
    let mut area = Vec::new();
    let mut km2 = 0.0;
    for id in &ids {
        let d = cat.district(id).ok_or_else(|| {
            ApiError::param(
                "district",
                format!("unknown district '{id}'; ids are bydel-N, district-N or rode-N"),
            )
        })?;
        use geo::Area;
        // Degrees² to km² at Copenhagen's latitude: enough to bound the work.
        km2 += d.geometry.unsigned_area() * 111.32 * 111.32 * 55.7f64.to_radians().cos();
        area.push(&d.geometry);
    }
    let cells = km2 / resolution.area_km2();
    if cells > MAX_STUDY_CELLS {
        return Err(ApiError::param(
            "resolution",
            format!("about {cells:.0} cells at resolution {res_n}; at most {MAX_STUDY_CELLS:.0}: choose a coarser resolution or a smaller area"),
        ));
    }
    Ok(Study {
        ids,
        area,
        res_n,
        resolution,
        k,
        categories,
    })
}

/// `GET /api/analysis/hexbins`: incident counts per H3 cell, as GeoJSON polygons (or cell
/// centres with `geometry=point`, for heatmaps).
pub async fn hexbins(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let p = Params::parse(
        req.query_string(),
        &[
            "resolution",
            "category",
            "datetime",
            "district",
            "bbox",
            "geometry",
        ],
    )?;
    let caller = Caller::of(&req);
    let (cat, disclosure) = state.view(&caller, Need::Aggregates);
    let key = AnswerKey::new("hexbins", req.query_string(), caller.role, &cat.version);
    state.heavy().reply_cached(key, &req, move || {
        let res_n = params::small_int(&p, "resolution", RESOLUTIONS, 10)?;
        caller.check_resolution(res_n)?;
        let resolution = Resolution::try_from(res_n)
            .map_err(|e| ApiError::param("resolution", e.to_string()))?;
        let categories = params::categories(&p)?;
        let datetime = params::datetime_for(&p, caller.hourly())?;
        let bbox = params::bbox(&p, cat.district_extent())?;
        let geometry = params::choice(&p, "geometry", &["polygon", "point"], "polygon")?;
        let district = match p.non_empty("district")? {
            Some(id) => Some(cat.district(id).ok_or_else(|| {
                ApiError::param("district", format!("unknown district '{id}'; ids are bydel-N, district-N or rode-N"))
            })?),
            None => None,
        };
        let filter = PointFilter {
            bbox,
            within: district.map(|d| &d.geometry),
            time: datetime,
        };
        let positions = cat.query_incidents(&filter, categories);
        let mut cells = hexbins::count_by_cell(&cat, &positions, resolution);
        let before = cells.len();
        cells.retain(|h| disclosure.shows(h.count as u64));
        let suppressed = before - cells.len();
        if cells.len() > MAX_HEXBIN_CELLS {
            return Err(ApiError::param(
                "resolution",
                format!("{} cells at resolution {res_n}; at most {MAX_HEXBIN_CELLS} in one answer: choose a coarser resolution, a district or a smaller bbox", cells.len()),
            ));
        }

        let mut out = Vec::with_capacity(512 + cells.len() * if geometry == "point" { 150 } else { 400 });
        let parameters = json!({
            "resolution": res_n,
            "category": p.get("category"),
            "datetime": datetime.map(|(a, b)| {
                let f = |t: i64| if t == i64::MIN || t == i64::MAX { "..".to_owned() } else { time::rfc3339(t) };
                format!("{}/{}", f(a), f(b))
            }),
            "district": district.map(|d| d.id.as_str()),
            "bbox": bbox.map(|b| b.to_array()),
            "geometry": geometry,
        });
        let head = json!({
            "parameters": parameters,
            "numberOfCells": cells.len(),
            "numberOfIncidents": disclosure.count(positions.len() as u64),
            "suppressedCells": suppressed,
            "privacy": disclosure.describe(),
            "data_version": cat.version,
            "software_version": env!("CARGO_PKG_VERSION"),
            "synthetic": cat.synthetic.incidents > 0,
        });
        open_collection(&mut out, &head, cat.synthetic.incidents > 0);
        for (n, h) in cells.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            let hex = h.cell.to_string();
            out.extend_from_slice(br#"{"type":"Feature","id":""#);
            out.extend_from_slice(hex.as_bytes());
            out.extend_from_slice(br#"","geometry":"#);
            if geometry == "point" {
                let c = h3o::LatLng::from(h.cell);
                out.extend_from_slice(br#"{"type":"Point","coordinates":["#);
                encode::coord(&mut out, c.lng());
                out.push(b',');
                encode::coord(&mut out, c.lat());
                out.extend_from_slice(b"]}");
            } else {
                cell_polygon(&mut out, h.cell);
            }
            out.extend_from_slice(br#","properties":{"h3":""#);
            out.extend_from_slice(hex.as_bytes());
            out.extend_from_slice(br#"","count":"#);
            out.extend_from_slice(h.count.to_string().as_bytes());
            out.extend_from_slice(br#","area_km2":"#);
            encode::coord(&mut out, h.area_km2);
            out.extend_from_slice(br#","per_km2":"#);
            out.extend_from_slice(format!("{:.1}", h.per_km2()).as_bytes());
            out.extend_from_slice(b"}}");
        }
        out.extend_from_slice(b"]}");
        Ok(Reply::new("application/geo+json", out))
    })
    .await
}

/// `GET /api/analysis/hotspots`: Getis-Ord Gi* over H3 cells (DESIGN.md's definition), as
/// GeoJSON cell polygons with `h3`, `count`, `gi_z`, `gi_p`, `bin` (and `p_sim` with
/// `permutations`).
pub async fn hotspots(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    use crate::analysis::gistar::{self, GiError, HotspotParams};
    let p = Params::parse(
        req.query_string(),
        &[
            "district",
            "resolution",
            "k",
            "category",
            "datetime",
            "permutations",
            "seed",
        ],
    )?;
    let caller = Caller::of(&req);
    let (cat, disclosure) = state.view(&caller, Need::Aggregates);
    let key = AnswerKey::new("hotspots", req.query_string(), caller.role, &cat.version);
    state.heavy().reply_cached(key, &req, move || {
        let Study { ids, area, res_n, resolution, k, categories } = study(&p, &cat, &caller)?;
        let datetime = params::datetime_for(&p, caller.hourly())?;
        let permutations: u32 = match p.non_empty("permutations")? {
            None => 0,
            Some(v) => v
                .parse()
                .ok()
                .filter(|n| *n <= 9_999)
                .ok_or_else(|| ApiError::param("permutations", format!("'{v}' is not a whole number 0..9999")))?,
        };
        let seed: u64 = match p.non_empty("seed")? {
            None => 20_110_301,
            Some(v) => v.parse().map_err(|_| ApiError::param("seed", format!("'{v}' is not a whole number ≥ 0")))?,
        };
        let params = HotspotParams { resolution, k: k as u32, categories, time: datetime, permutations, seed };
        let result = gistar::hotspots(&cat, &area, &params).map_err(|e| match e {
            GiError::TooMuchWork(_) => ApiError::param("permutations", e.to_string()),
            GiError::TooLarge { .. } => ApiError::param("resolution", e.to_string()),
            GiError::TooFewIncidents(_) | GiError::NoVariation(_) | GiError::TooFewCells(_) | GiError::TooFewSteps(_) | GiError::AllNeighbours(_) => {
                ApiError::Unprocessable(e.to_string())
            }
        })?;
        let fmt_t = |t: i64| if t == i64::MIN || t == i64::MAX { "..".to_owned() } else { time::rfc3339(t) };
        let head = json!({
            "parameters": {
                "district": ids,
                "resolution": res_n,
                "k": k,
                "category": p.get("category"),
                "datetime": datetime.map(|(a, b)| format!("{}/{}", fmt_t(a), fmt_t(b))),
                "permutations": permutations,
                "seed": if permutations > 0 { Some(seed) } else { None },
            },
            "method": "Getis-Ord Gi* (Getis & Ord 1995) on H3 cells whose centre lies in the study area, zero cells included; binary weights within k grid steps including the cell itself; z analytic (= PySAL esda.G_Local(y, w, transform='B', star=True).Zs); p two-sided normal; bins ±3/±2/±1 = significant at 99/95/90 % after Benjamini–Hochberg FDR correction over all cells.",
            "numberOfCells": result.cells.len(),
            "numberOfIncidents": result.incidents,
            "privacy": disclosure.describe(),
            "data_version": cat.version,
            "software_version": env!("CARGO_PKG_VERSION"),
            "synthetic": cat.synthetic.incidents > 0,
        });
        let mut out = Vec::with_capacity(512 + result.cells.len() * 420);
        open_collection(&mut out, &head, cat.synthetic.incidents > 0);
        // The cells' ids and polygons are encoded once per study grid and copied from there.
        let polygons = result.grid.encoded_cells(|out, cell| {
            out.extend_from_slice(br#"{"type":"Feature","id":""#);
            out.extend_from_slice(cell.to_string().as_bytes());
            out.extend_from_slice(br#"","geometry":"#);
            cell_polygon(out, cell);
            out.extend_from_slice(br#","properties":{"h3":""#);
            out.extend_from_slice(cell.to_string().as_bytes());
            out.extend_from_slice(br#"","count":"#);
        });
        for (n, c) in result.cells.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.extend_from_slice(polygons.get(n));
            match disclosure.count(c.count as u64) {
                Some(v) => out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
                None => out.extend_from_slice(b"null"),
            }
            out.extend_from_slice(br#","gi_z":"#);
            encode::number(&mut out, c.z);
            out.extend_from_slice(br#","gi_p":"#);
            encode::number(&mut out, c.p);
            out.extend_from_slice(br#","bin":"#);
            out.extend_from_slice(itoa::Buffer::new().format(c.bin).as_bytes());
            out.extend_from_slice(br#","p_sim":"#);
            match c.p_sim {
                Some(v) => encode::number(&mut out, v),
                None => out.extend_from_slice(b"null"),
            }
            out.extend_from_slice(b"}}");
        }
        out.extend_from_slice(b"]}");
        Ok(Reply::new("application/geo+json", out))
    })
    .await
}

/// `GET /api/analysis/emerging`: emerging hot-spot classes per H3 cell (see
/// `analysis::emerging`), as GeoJSON cell polygons with `class`, `trend_z`, `trend_p` and the
/// per-step `counts`, `z`, `sig` series.
pub async fn emerging(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    use crate::analysis::emerging::{self, EmergingParams, Step, CLASSES};
    use crate::analysis::gistar::GiError;
    let p = Params::parse(
        req.query_string(),
        &[
            "district",
            "resolution",
            "k",
            "category",
            "datetime",
            "step",
            "time_window",
        ],
    )?;
    let caller = Caller::of(&req);
    let (cat, disclosure) = state.view(&caller, Need::Aggregates);
    let key = AnswerKey::new("emerging", req.query_string(), caller.role, &cat.version);
    state.heavy().reply_cached(key, &req, move || {
        let Study { ids, area, res_n, resolution, k, categories } = study(&p, &cat, &caller)?;
        let time_window = params::small_int(&p, "time_window", 0..=12, 1)?;
        let step = match params::choice(&p, "step", &["month", "quarter", "year"], "quarter")? {
            "month" => Step::Month,
            "year" => Step::Year,
            _ => Step::Quarter,
        };
        let extent = cat.incident_time_extent().ok_or_else(|| ApiError::Unprocessable("there are no incidents".into()))?;
        let (a, b) = params::datetime_for(&p, caller.hourly())?.unwrap_or(extent);
        let span = (a.max(extent.0), b.min(extent.1));
        if span.0 > span.1 {
            return Err(ApiError::Unprocessable("no incidents in the chosen period".into()));
        }
        let params = EmergingParams { resolution, k: k as u32, time_window: time_window as u32, step, categories, time: span };
        let r = emerging::emerging(&cat, &area, &params).map_err(|e: GiError| match e {
            GiError::TooMuchWork(_) | GiError::TooLarge { .. } => ApiError::param("resolution", e.to_string()),
            _ => ApiError::Unprocessable(e.to_string()),
        })?;
        let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        for c in &r.cells {
            *counts.entry(c.class).or_default() += 1;
        }
        let features: Vec<serde_json::Value> = r
            .cells
            .iter()
            .map(|c| {
                let mut geometry = Vec::new();
                cell_polygon(&mut geometry, c.cell);
                let geometry: serde_json::Value = serde_json::from_slice(&geometry).unwrap_or_default();
                json!({
                    "type": "Feature", "id": c.cell.to_string(),
                    "geometry": geometry,
                    "properties": {"h3": c.cell.to_string(), "class": c.class, "trend_z": c.trend_z, "trend_p": c.trend_p,
                                   "total": disclosure.count(c.counts.iter().map(|&n| n as u64).sum()),
                                   "counts": c.counts.iter().map(|&n| disclosure.count(n as u64)).collect::<Vec<_>>(), "z": c.z, "sig": c.sig}
                })
            })
            .collect();
        let mut v = json!({
            "type": "FeatureCollection",
            "parameters": {"district": ids, "resolution": res_n, "k": k, "time_window": time_window,
                           "step": p.get("step").unwrap_or("quarter"), "category": p.get("category"),
                           "datetime": format!("{}/{}", time::rfc3339(span.0), time::rfc3339(span.1))},
            "method": "Space-time Getis-Ord Gi* per cell and step (neighbours: cells within k grid steps, in the same step and time_window steps before; mean and deviation over the whole cube); significance after Benjamini–Hochberg FDR at 95 % over all cell-steps; Mann-Kendall test of each cell's z-series; classes after Esri's Emerging Hot Spot Analysis.",
            "steps": r.steps.iter().map(|&t| time::rfc3339(t)).collect::<Vec<_>>(),
            "classes": CLASSES.iter().map(|(c, d)| json!({"class": c, "definition": d})).collect::<Vec<_>>(),
            "classCounts": counts,
            "numberOfCells": r.cells.len(),
            "numberOfIncidents": r.incidents,
            "privacy": disclosure.describe(),
            "data_version": cat.version,
            "software_version": env!("CARGO_PKG_VERSION"),
            "synthetic": cat.synthetic.incidents > 0,
            "features": features,
        });
        if r.steps.len() < 10 {
            v["warning"] = json!("fewer than 10 time steps: the trend test has little power; use a shorter step");
        }
        if cat.synthetic.incidents > 0 {
            v["notice"] = json!(demo::NOTICE);
        }
        Ok(Reply::new("application/geo+json", serde_json::to_vec(&v).map_err(|e| ApiError::Internal(e.to_string()))?))
    })
    .await
}
