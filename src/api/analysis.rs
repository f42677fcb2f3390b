//! Analysis endpoints.

use actix_web::{web, HttpRequest, HttpResponse};
use h3o::Resolution;
use serde_json::json;

use super::error::{ApiError, ApiResult};
use super::params::{self, Params};
use super::{blocking, encode, AppState, Reply};
use crate::analysis::hexbins::{self, RESOLUTIONS};
use crate::demo;
use crate::index::PointFilter;
use crate::model::time;

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
    let cat = state.catalog();
    blocking(move || {
        let res_n = params::small_int(&p, "resolution", RESOLUTIONS, 10)?;
        let resolution = Resolution::try_from(res_n)
            .map_err(|e| ApiError::param("resolution", e.to_string()))?;
        let categories = params::categories(&p)?;
        let datetime = params::datetime(&p)?;
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
        let cells = hexbins::count_by_cell(&cat, &positions, resolution);

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
            "numberOfIncidents": positions.len(),
            "data_version": cat.version,
            "synthetic": cat.synthetic.incidents > 0,
        });
        out.extend_from_slice(br#"{"type":"FeatureCollection","#);
        let head_s = head.to_string();
        out.extend_from_slice(&head_s.as_bytes()[1..head_s.len() - 1]);
        if cat.synthetic.incidents > 0 {
            out.extend_from_slice(br#","notice":"#);
            encode::string(&mut out, demo::NOTICE);
        }
        out.extend_from_slice(br#","features":["#);
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
                out.extend_from_slice(br#"{"type":"Polygon","coordinates":[["#);
                let boundary = h.cell.boundary();
                let verts: Vec<&h3o::LatLng> = boundary.iter().collect();
                for (k, v) in verts.iter().chain(verts.first()).enumerate() {
                    if k > 0 {
                        out.push(b',');
                    }
                    out.push(b'[');
                    encode::coord(&mut out, v.lng());
                    out.push(b',');
                    encode::coord(&mut out, v.lat());
                    out.push(b']');
                }
                out.extend_from_slice(b"]]}");
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
    let cat = state.catalog();
    blocking(move || {
        let res_n = params::small_int(&p, "resolution", RESOLUTIONS, 10)?;
        let resolution = Resolution::try_from(res_n).map_err(|e| ApiError::param("resolution", e.to_string()))?;
        let k = params::small_int(&p, "k", 1..=5, 1)?;
        let categories = params::categories(&p)?;
        let datetime = params::datetime(&p)?;
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
        let ids: Vec<&str> = p.non_empty("district")?.unwrap_or(crate::model::HOTSPOT_DISTRICT_ID).split(',').map(str::trim).collect();
        let mut area = Vec::new();
        for id in &ids {
            let d = cat.district(id).ok_or_else(|| {
                ApiError::param("district", format!("unknown district '{id}'; ids are bydel-N, district-N or rode-N"))
            })?;
            area.push(&d.geometry);
        }
        let params = HotspotParams { resolution, k: k as u32, categories, time: datetime, permutations, seed };
        let result = gistar::hotspots(&cat, &area, &params).map_err(|e| match e {
            GiError::TooFewIncidents(_) | GiError::NoVariation(_) | GiError::TooFewCells(_) => ApiError::Unprocessable(e.to_string()),
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
            "data_version": cat.version,
            "synthetic": cat.synthetic.incidents > 0,
        });
        let mut out = Vec::with_capacity(512 + result.cells.len() * 420);
        out.extend_from_slice(br#"{"type":"FeatureCollection","#);
        let head_s = head.to_string();
        out.extend_from_slice(&head_s.as_bytes()[1..head_s.len() - 1]);
        if cat.synthetic.incidents > 0 {
            out.extend_from_slice(br#","notice":"#);
            encode::string(&mut out, demo::NOTICE);
        }
        out.extend_from_slice(br#","features":["#);
        for (n, c) in result.cells.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            let hex = c.cell.to_string();
            out.extend_from_slice(br#"{"type":"Feature","id":""#);
            out.extend_from_slice(hex.as_bytes());
            out.extend_from_slice(br#"","geometry":{"type":"Polygon","coordinates":[["#);
            let boundary = c.cell.boundary();
            let verts: Vec<&h3o::LatLng> = boundary.iter().collect();
            for (i, v) in verts.iter().chain(verts.first()).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.push(b'[');
                encode::coord(&mut out, v.lng());
                out.push(b',');
                encode::coord(&mut out, v.lat());
                out.push(b']');
            }
            let props = json!({"h3": hex, "count": c.count, "gi_z": c.z, "gi_p": c.p, "bin": c.bin, "p_sim": c.p_sim});
            out.extend_from_slice(br#"]]},"properties":"#);
            serde_json::to_writer(&mut out, &props).map_err(|e| ApiError::Internal(e.to_string()))?;
            out.push(b'}');
        }
        out.extend_from_slice(b"]}");
        Ok(Reply::new("application/geo+json", out))
    })
    .await
}
