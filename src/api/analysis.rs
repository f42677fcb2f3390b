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
