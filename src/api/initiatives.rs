//! The programme's initiatives (issue 6): `POST /api/initiatives` (planner) takes a GeoJSON
//! Feature, `PUT`/`DELETE /api/initiatives/{id}` edit and remove one, `GET /api/initiatives[/{id}]`
//! and the `initiatives` collection list them (the public sees published ones), and
//! `GET /api/initiatives/{id}/evaluation` compares incidents around an initiative before and
//! after its start with a control area (see `analysis::evaluation`).

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::params::{self, Params};
use super::AppState;
use crate::model::DistrictLevel;
use crate::planning::INITIATIVE_KINDS;
pub(crate) use crate::service::evaluation::{evaluation, geometry_of, EvalOptions};

/// Statuses of an initiative.
pub const STATUSES: [&str; 3] = ["planned", "running", "done"];

/// What is wrong with the shape of a GeoJSON LineString or Polygon, if anything: a line needs
/// two distinct positions, a ring four positions, closed, around three distinct ones.
fn shape_problem(g: &Value) -> Option<String> {
    let positions = |v: &Value| -> Vec<(f64, f64)> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let distinct = |ps: &[(f64, f64)]| {
        let mut d: Vec<(f64, f64)> = Vec::new();
        for p in ps {
            if !d.contains(p) {
                d.push(*p);
            }
        }
        d.len()
    };
    match g["type"].as_str()? {
        "LineString" if distinct(&positions(&g["coordinates"])) < 2 => {
            Some("a LineString needs two distinct positions".into())
        }
        "Polygon" => g["coordinates"].as_array()?.iter().enumerate().find_map(|(i, ring)| {
            let ps = positions(ring);
            if ps.len() < 4 || ps.first() != ps.last() {
                Some(format!("ring {i} is not closed with at least 4 positions (the last repeats the first)"))
            } else if distinct(&ps) < 3 {
                Some(format!("ring {i} has fewer than 3 distinct positions"))
            } else {
                None
            }
        }),
        _ => None,
    }
}

/// An optional date `YYYY-MM-DD` (`null` or absent = `None`), in the years 1990–2100.
fn date(v: &Value, field: &str) -> ApiResult<Option<chrono::NaiveDate>> {
    use chrono::Datelike;
    match v {
        Value::Null => Ok(None),
        Value::String(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .filter(|d| s.len() == 10 && (1990..=2100).contains(&d.year()))
            .map(Some)
            .ok_or_else(|| {
                ApiError::param(
                    field,
                    format!("'{}' is not a date YYYY-MM-DD in 1990–2100", clip(s)),
                )
            }),
        _ => Err(ApiError::param(field, "expected a date YYYY-MM-DD")),
    }
}

/// `s`, cut to 40 characters for an error message.
pub(crate) fn clip(s: &str) -> String {
    if s.chars().count() > 40 {
        s.chars().take(40).collect::<String>() + "…"
    } else {
        s.to_owned()
    }
}

fn text(v: &Value, field: &str, max: usize, required: bool) -> ApiResult<Option<String>> {
    if !v.is_null() && !v.is_string() {
        return Err(ApiError::param(field, "expected text"));
    }
    match v.as_str().map(str::trim) {
        None | Some("") if !required => Ok(None),
        None | Some("") => Err(ApiError::param(field, "is required")),
        Some(s) if s.chars().count() > max => Err(ApiError::param(
            field,
            format!("longer than {max} characters"),
        )),
        Some(s) if s.chars().any(|c| c.is_control() && c != '\n') => {
            Err(ApiError::param(field, "contains control characters"))
        }
        // Staff text is published with the initiative: the same scrubber as residents' reports.
        Some(s) => Ok(Some(crate::reports::scrub::scrub(s).0)),
    }
}

/// Checks a submitted Feature; returns the Feature to store and whether it is published.
fn check(state: &AppState, body: &[u8]) -> ApiResult<(Value, bool)> {
    let f: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::param("body", format!("not JSON: {e}")))?;
    if f["type"] != "Feature" {
        return Err(ApiError::param("type", "expected a GeoJSON Feature"));
    }
    let geometry = geometry_of(&f["geometry"]).ok_or_else(|| {
        ApiError::param(
            "geometry",
            "expected a GeoJSON Point, LineString or Polygon in WGS84 lon/lat",
        )
    })?;
    if !matches!(
        geometry,
        geo::Geometry::Point(_) | geo::Geometry::LineString(_) | geo::Geometry::Polygon(_)
    ) {
        return Err(ApiError::param(
            "geometry",
            "expected a Point, LineString or Polygon",
        ));
    }
    use geo::{Centroid, CoordsIter};
    if geometry
        .coords_iter()
        .any(|c| !(-180.0..=180.0).contains(&c.x) || !(-90.0..=90.0).contains(&c.y))
    {
        return Err(ApiError::param(
            "geometry",
            "coordinates must be lon −180…180, lat −90…90 (WGS84, [lon, lat])",
        ));
    }
    if let Some(problem) = shape_problem(&f["geometry"]) {
        return Err(ApiError::param("geometry", problem));
    }
    let c = geometry
        .centroid()
        .ok_or_else(|| ApiError::param("geometry", "is empty"))?;
    if state
        .catalog()
        .districts_at(c.x(), c.y(), DistrictLevel::Bydel)
        .is_empty()
    {
        return Err(ApiError::param(
            "geometry",
            format!(
                "({}, {}) is outside Copenhagen (lon ≈ 12.6, lat ≈ 55.7)",
                c.x(),
                c.y()
            ),
        ));
    }
    let p = &f["properties"];
    if !p.is_object() {
        return Err(ApiError::param("properties", "expected an object"));
    }
    let title = text(&p["title"], "title", 200, true)?;
    let description = text(&p["description"], "description", 4000, false)?;
    let kind = text(&p["kind"], "kind", 40, true)?.unwrap_or_default();
    if !INITIATIVE_KINDS.iter().any(|k| k.0 == kind) {
        let codes: Vec<&str> = INITIATIVE_KINDS.iter().map(|k| k.0).collect();
        return Err(ApiError::param(
            "kind",
            format!("'{}' is not one of {}", clip(&kind), codes.join(", ")),
        ));
    }
    let start = date(&p["start_date"], "start_date")?
        .ok_or_else(|| ApiError::param("start_date", "is required: a date YYYY-MM-DD"))?;
    let end = date(&p["end_date"], "end_date")?;
    if end.is_some_and(|e| e < start) {
        return Err(ApiError::param("end_date", "is before start_date"));
    }
    let budget = match &p["budget_dkk"] {
        Value::Null => None,
        v => Some(
            v.as_f64()
                .filter(|b| b.is_finite() && *b >= 0.0 && *b < 1e10)
                .ok_or_else(|| ApiError::param("budget_dkk", "is an amount in DKK ≥ 0"))?,
        ),
    };
    let pool = text(&p["pool"], "pool", 100, false)?;
    let owner = text(&p["owner"], "owner", 200, false)?;
    let status = text(&p["status"], "status", 20, false)?.unwrap_or_else(|| "planned".into());
    if !STATUSES.contains(&status.as_str()) {
        return Err(ApiError::param(
            "status",
            format!("'{status}' is not planned, running or done"),
        ));
    }
    let challenge = match &p["challenge"] {
        Value::Null => None,
        v => Some(v.as_u64().filter(|c| (1..=3).contains(c)).ok_or_else(|| {
            ApiError::param("challenge", "is the programme's challenge 1, 2 or 3")
        })?),
    };
    let goals: Vec<u64> = match &p["goals"] {
        Value::Null => Vec::new(),
        Value::Array(a) if a.len() <= 20 => a
            .iter()
            .map(|g| g.as_u64().filter(|n| (1..=9).contains(n)))
            .collect::<Option<_>>()
            .ok_or_else(|| {
                ApiError::param(
                    "goals",
                    "expected the numbers (1–9) of the effect goals it serves, e.g. [2, 9]",
                )
            })?,
        _ => return Err(ApiError::param("goals", "expected a list of goal numbers")),
    };
    let published = match &p["published"] {
        Value::Null => false,
        Value::Bool(b) => *b,
        _ => return Err(ApiError::param("published", "is true or false")),
    };
    let feature = json!({
        "type": "Feature",
        "geometry": f["geometry"],
        "properties": {
            "title": title, "description": description, "kind": kind,
            "start_date": start.to_string(), "end_date": end.map(|e| e.to_string()),
            "budget_dkk": budget, "pool": pool, "owner": owner, "status": status,
            "challenge": challenge, "goals": goals, "published": published,
        },
    });
    Ok((feature, published))
}

fn may_see_all(req: &HttpRequest) -> bool {
    Caller::of(req).sees_unpublished()
}

fn with_id(i: &crate::store::StoredInitiative) -> Value {
    let mut f = i.feature.clone();
    f["id"] = json!(i.id);
    f
}

/// `POST /api/initiatives` (planner): a GeoJSON Feature; answers 201 with the stored feature.
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (feature, published) = check(&state, &body)?;
    let actor = Caller::of(&req).actor();
    let now = chrono::Utc::now().timestamp();
    let st = state.clone();
    let stored = feature.clone();
    let id =
        super::off_thread(move || st.create_initiative(&stored, published, &actor, now)).await?;
    let mut out = feature;
    out["id"] = json!(id);
    Ok(HttpResponse::Created()
        .content_type("application/geo+json")
        .json(out))
}

/// The initiatives the caller may see, as GeoJSON features with their ids.
async fn visible(state: &web::Data<AppState>, req: &HttpRequest) -> ApiResult<Vec<Value>> {
    let all = may_see_all(req);
    let st = state.clone();
    let stored = super::off_thread(move || st.initiatives()).await?;
    Ok(stored
        .iter()
        .filter(|i| all || i.published)
        .map(with_id)
        .collect())
}

/// `GET /api/initiatives`: published initiatives (all for planners) as GeoJSON.
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    Params::parse(req.query_string(), &[])?;
    let features = visible(&state, &req).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/geo+json")
        .json(json!({"type": "FeatureCollection", "numberReturned": features.len(), "features": features})))
}

async fn find(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    raw: &str,
) -> ApiResult<crate::store::StoredInitiative> {
    let id: i64 = raw
        .parse()
        .map_err(|_| ApiError::NotFound(format!("no initiative '{raw}'")))?;
    let st = state.clone();
    let items = super::off_thread(move || st.initiatives()).await?;
    items
        .into_iter()
        .find(|i| i.id == id && (i.published || may_see_all(req)))
        .ok_or_else(|| ApiError::NotFound(format!("no initiative {id}")))
}

/// `GET /api/initiatives/{id}` and `GET /api/collections/initiatives/items/{id}`.
pub async fn one(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = Params::parse(req.query_string(), &["f"])?;
    params::choice(&p, "f", &["json", "geojson"], "json")?;
    let i = find(&state, &req, &path).await?;
    let base = super::base_url(&req);
    let mut f = with_id(&i);
    f["links"] = json!([
        {"rel": "self", "type": "application/geo+json", "href": format!("{base}{}", req.path())},
        {"rel": "collection", "type": "application/json", "href": format!("{base}/api/collections/initiatives")},
    ]);
    Ok(HttpResponse::Ok()
        .content_type("application/geo+json")
        .json(f))
}

/// `PUT /api/initiatives/{id}` (planner): replaces the initiative with the Feature given (the
/// same fields as `POST`); answers with the stored feature.
pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let id: i64 = path
        .parse()
        .map_err(|_| ApiError::NotFound(format!("no initiative '{}'", path.as_str())))?;
    let (feature, published) = check(&state, &body)?;
    let now = chrono::Utc::now().timestamp();
    let st = state.clone();
    let stored = feature.clone();
    let found =
        super::off_thread(move || st.update_initiative(id, &stored, published, now)).await?;
    if !found {
        return Err(ApiError::NotFound(format!("no initiative {id}")));
    }
    tracing::info!(initiative = id, actor = %Caller::of(&req).actor(), "initiative updated");
    let mut out = feature;
    out["id"] = json!(id);
    Ok(HttpResponse::Ok()
        .content_type("application/geo+json")
        .json(out))
}

/// `DELETE /api/initiatives/{id}` (planner).
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id: i64 = path
        .parse()
        .map_err(|_| ApiError::NotFound(format!("no initiative '{}'", path.as_str())))?;
    let st = state.clone();
    let found = super::off_thread(move || st.delete_initiative(id)).await?;
    if !found {
        return Err(ApiError::NotFound(format!("no initiative {id}")));
    }
    tracing::info!(initiative = id, actor = %Caller::of(&req).actor(), "initiative deleted");
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/initiatives/{id}/evaluation?category=&months=&buffer_m=&control=`.
pub async fn evaluate(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let i = find(&state, &req, &path).await?;
    let p = Params::parse(
        req.query_string(),
        &["category", "months", "buffer_m", "control"],
    )?;
    let o = EvalOptions {
        categories: params::categories(&p)?,
        category: p.get("category").map(str::to_owned),
        months: params::small_int(&p, "months", 1..=60, 12)? as i64,
        buffer_m: match p.non_empty("buffer_m")? {
            None => 100.0,
            Some(v) => v
                .parse::<f64>()
                .ok()
                .filter(|b| b.is_finite() && (0.0..=2000.0).contains(b))
                .ok_or_else(|| {
                    ApiError::param("buffer_m", format!("'{v}' is not 0..2000 (metres)"))
                })?,
        },
        control: p.non_empty("control")?.map(str::to_owned),
    };
    let v = evaluation(&state, &Caller::of(&req), &i, &o)?;
    Ok(HttpResponse::Ok().json(v))
}

/// The `initiatives` collection's metadata (DESIGN.md names it beside the other layers), as
/// the caller sees it: the count and time span (first start to last end; open while one runs
/// without an end) of the initiatives it may see, `bbox` the service area.
pub fn collection_json(state: &AppState, req: &HttpRequest) -> Value {
    let base = super::base_url(req);
    let all = may_see_all(req);
    let seen: Vec<Option<(i64, i64)>> = state
        .initiatives()
        .map(|v| {
            v.iter()
                .filter(|i| all || i.published)
                .map(|i| running(&i.feature))
                .collect()
        })
        .unwrap_or_default();
    let span = seen
        .iter()
        .flatten()
        .fold(None, |acc: Option<(i64, i64)>, &(s, e)| {
            Some(acc.map_or((s, e), |(a, b)| (a.min(s), b.max(e))))
        });
    let bbox = state.catalog().district_extent().map(|b| b.to_array());
    json!({
        "count": seen.len(),
        "extent": {
            "spatial": {"bbox": [bbox], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
            "temporal": {"interval": super::features::interval(span), "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"},
        },
        "id": "initiatives",
        "title": "Initiatives",
        "description": "The programme's initiatives (lighting, public-space redesign, youth activities, safety walks, outreach) as points, lines or polygons with dates, budget, owner, status and the goals they serve. The public sees published ones; planners every one. The same features as /api/initiatives.",
        "itemType": "feature",
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "links": [
            {"rel": "self", "type": "application/json", "href": format!("{base}/api/collections/initiatives")},
            {"rel": "items", "type": "application/geo+json", "href": format!("{base}/api/collections/initiatives/items")},
        ],
        "kinds": INITIATIVE_KINDS.iter().map(|(code, da, en)| json!({"code": code, "label_da": da, "label_en": en})).collect::<Vec<_>>(),
    })
}

/// `GET /api/collections/initiatives`.
pub async fn collection(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    Params::parse(req.query_string(), &[])?;
    Ok(HttpResponse::Ok().json(collection_json(&state, &req)))
}

/// The time an initiative runs, in UTC seconds: from the start of its `start_date` to the end
/// of its `end_date` (open-ended while it has none).
fn running(feature: &Value) -> Option<(i64, i64)> {
    let day = |k: &str| {
        chrono::NaiveDate::parse_from_str(feature["properties"][k].as_str()?, "%Y-%m-%d").ok()
    };
    let start = day("start_date")?
        .and_hms_opt(0, 0, 0)?
        .and_utc()
        .timestamp();
    let end = match day("end_date") {
        Some(d) => d.and_hms_opt(23, 59, 59)?.and_utc().timestamp(),
        None => i64::MAX,
    };
    Some((start, end))
}

/// `GET /api/collections/initiatives/items?limit=&offset=&bbox=&datetime=`: as
/// `GET /api/initiatives`, paged, with OGC links; `bbox` selects initiatives whose geometry's
/// box meets it, `datetime` those running at some time in it.
pub async fn items(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let p = Params::parse(
        req.query_string(),
        &["limit", "offset", "bbox", "datetime", "f"],
    )?;
    let super::features::CoreQuery {
        limit,
        offset,
        bbox,
        when,
    } = super::features::CoreQuery::parse(&p, state.catalog().district_extent())?;
    let matching: Vec<Value> = visible(&state, &req)
        .await?
        .into_iter()
        .filter(|f| {
            bbox.is_none_or(|b| {
                use geo::BoundingRect;
                geometry_of(&f["geometry"])
                    .and_then(|g| g.bounding_rect())
                    .is_some_and(|r| b.intersects(&crate::index::LonLatBox::from_rect(r)))
            })
        })
        .filter(|f| when.is_none_or(|(a, b)| running(f).is_some_and(|(s, e)| s <= b && a <= e)))
        .collect();
    let matched = matching.len();
    let features: Vec<Value> = matching.into_iter().skip(offset).take(limit).collect();
    Ok(HttpResponse::Ok()
        .content_type("application/geo+json")
        .json(super::features::feature_page(
            &req, &p, offset, limit, matched, features,
        )))
}
