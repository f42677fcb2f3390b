//! The secretariat's side of resident reports and safety walks: the moderation queue
//! (`GET /api/reports`), moderation actions with their log, the `reports` collection, and
//! safety walks whose observations land in the `observations` layer at once.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::open311::{duplicates_for_moderator, RequestJson};
use super::params::{self, Params};
use super::AppState;
use crate::model::{time, DistrictLevel, NewObservation, ObservationKind};
use crate::reports::{scrub, Report, Status};
use crate::service::moderation::Moderation;
use crate::service::query::text;

/// `GET /api/reports?status=&limit=&offset=` (planner): every report, newest first, with the
/// original text, contact and possible duplicates; `status=new` is the moderation queue.
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let p = Params::parse(req.query_string(), &["status", "limit", "offset"])?;
    let status = match p.non_empty("status")? {
        None => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            let all: Vec<&str> = Status::ALL.iter().map(|s| s.code()).collect();
            ApiError::param("status", format!("'{s}' is not one of {}", all.join(", ")))
        })?),
    };
    let limit = params::limit(&p)?;
    let offset = params::offset(&p)?;
    let now = chrono::Utc::now().timestamp();
    let (page, matched): (Vec<Report>, usize) = state.reports().read(|all| {
        let matching: Vec<&Report> = crate::reports::newest_first(all)
            .into_iter()
            .map(|i| &all[i])
            .filter(|r| status.is_none_or(|s| r.status == s))
            .collect();
        (
            matching
                .iter()
                .skip(offset)
                .take(limit)
                .map(|r| (*r).clone())
                .collect(),
            matching.len(),
        )
    });
    let reports: Vec<serde_json::Value> = page
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(RequestJson::planner(r)).unwrap_or_default();
            v["possible_duplicates"] = serde_json::to_value(duplicates_for_moderator(
                &state,
                r.service,
                r.lon,
                r.lat,
                now.max(r.created_at),
                Some(r.id),
            ))
            .unwrap_or_default();
            v
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(
            json!({"numberMatched": matched, "numberReturned": reports.len(), "reports": reports}),
        ))
}

fn report_id(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0 && n.to_string() == raw)
        .ok_or_else(|| ApiError::NotFound(format!("no report '{raw}'")))
}

/// The `If-Match` of a moderation: the report's `moderation_version` the moderator saw (quoted
/// as an entity tag, or bare).
fn if_match(req: &HttpRequest) -> ApiResult<Option<String>> {
    let Some(v) = req.headers().get(actix_web::http::header::IF_MATCH) else {
        return Ok(None);
    };
    let v = v
        .to_str()
        .map_err(|_| ApiError::param("If-Match", "is not visible ASCII"))?
        .trim();
    if v == "*" {
        return Ok(None);
    }
    let v = v.strip_prefix("W/").unwrap_or(v).trim_matches('"');
    if v.is_empty() || v.len() > 64 || !v.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::param(
            "If-Match",
            "expected the report's moderation_version, e.g. \"m0123456789abcdef\"",
        ));
    }
    Ok(Some(v.to_owned()))
}

/// `POST /api/reports/{id}/moderation` (planner).
pub async fn moderate(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let id = report_id(&path)?;
    let m = moderation_request(&body)?;
    let actor = Caller::of(&req).actor();
    let seen = if_match(&req)?;
    let st = state.clone();
    let done = super::off_thread(move || st.moderate(id, &m, &actor, seen.as_deref())).await?;
    Ok(HttpResponse::Ok().json(RequestJson::planner(&done)))
}

/// `GET /api/reports/{id}/moderation` (planner): who did what, when and why.
pub async fn moderation_log(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = report_id(&path)?;
    if state.reports().get(id).is_none() {
        return Err(ApiError::NotFound(format!("no report {id}")));
    }
    let st = state.clone();
    let actions = web::block(move || st.moderation_log(id))
        .await
        .map_err(|e| ApiError::Internal(format!("worker pool: {e}")))??;
    Ok(HttpResponse::Ok().json(json!({"report": id.to_string(), "actions": actions})))
}

/// A report as a GeoJSON Feature: the planner's with the exact spot and every field, the
/// public's at its generalised position with the public fields.
fn report_feature(r: &Report, planner: bool) -> serde_json::Value {
    let props = if planner {
        RequestJson::planner(r)
    } else {
        RequestJson::public(r)
    };
    let props = serde_json::to_value(props).unwrap_or_default();
    let coords = if planner {
        json!([r.lon, r.lat])
    } else {
        json!([props["long"], props["lat"]])
    };
    json!({"type": "Feature", "id": r.id,
           "geometry": {"type": "Point", "coordinates": coords},
           "properties": props})
}

/// Whether the caller sees every report with contact details: the secretariat only (not the
/// police).
fn sees_all_reports(req: &HttpRequest) -> bool {
    matches!(
        Caller::of(req).role,
        crate::auth::Role::Planner | crate::auth::Role::Admin
    )
}

/// `GET /api/collections/reports/items?limit=&offset=&bbox=&datetime=&service_code=`:
/// published reports (all of them for planners) as GeoJSON points; the public's at their
/// generalised position, filtered on it and on the hour the public sees.
pub async fn items(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let p = Params::parse(
        req.query_string(),
        &["limit", "offset", "bbox", "datetime", "service_code", "f"],
    )?;
    let super::features::CoreQuery {
        limit,
        offset,
        bbox,
        when,
    } = super::features::CoreQuery::parse(&p, state.catalog().district_extent())?;
    let codes: Option<Vec<crate::reports::Service>> = p
        .non_empty("service_code")?
        .map(|v| {
            v.split(',')
                .map(|c| {
                    crate::reports::Service::parse(c.trim()).ok_or_else(|| {
                        let all: Vec<&str> = crate::reports::Service::ALL
                            .iter()
                            .map(|s| s.code())
                            .collect();
                        ApiError::param(
                            "service_code",
                            format!("unknown code '{}'; one of {}", c.trim(), all.join(", ")),
                        )
                    })
                })
                .collect::<ApiResult<Vec<_>>>()
        })
        .transpose()?;
    let planner = sees_all_reports(&req);
    // Off the async workers: a page of 10,000 takes a while to write.
    let st = state.clone();
    let (features, matched) = super::off_thread(move || {
        Ok(st.reports().read(|all| {
            let order = if planner {
                crate::reports::newest_first(all)
            } else {
                crate::reports::public_order(all)
            };
            let matching: Vec<&Report> = order
                .into_iter()
                .map(|i| &all[i])
                .filter(|r| planner || r.published)
                .filter(|r| codes.as_ref().is_none_or(|c| c.contains(&r.service)))
                .filter(|r| {
                    bbox.is_none_or(|b| {
                        let (lon, lat) = if planner {
                            (r.lon, r.lat)
                        } else {
                            crate::privacy::anchor(r.lon, r.lat)
                        };
                        b.contains(lon, lat)
                    })
                })
                .filter(|r| {
                    when.is_none_or(|(start, end)| {
                        if planner {
                            (start..=end).contains(&r.created_at)
                        } else {
                            // On the hour the public sees, not the second (as in Open311's list).
                            let t = r.created_at - r.created_at.rem_euclid(3600);
                            t >= start.saturating_sub(start.rem_euclid(3600)) && t <= end
                        }
                    })
                })
                .collect();
            let features: Vec<serde_json::Value> = matching
                .iter()
                .skip(offset)
                .take(limit)
                .map(|r| report_feature(r, planner))
                .collect();
            (features, matching.len())
        }))
    })
    .await?;
    let mut page = super::features::feature_page(&req, &p, offset, limit, matched, features);
    page["note"] = json!(if planner {
        "every report, with exact positions (planner)"
    } else {
        "published reports; positions generalised to the centre of their H3 resolution-10 cell"
    });
    Ok(role_dependent(planner)
        .content_type("application/geo+json")
        .json(page))
}

/// `GET /api/collections/reports/items/{id}`: one report as a Feature (the public: published
/// ones only, in their public form).
pub async fn item(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let raw = path.into_inner();
    let p = Params::parse(req.query_string(), &["f"])?;
    params::choice(&p, "f", &["json", "geojson"], "json")?;
    let planner = sees_all_reports(&req);
    let missing = || ApiError::NotFound(format!("no feature '{raw}' in reports"));
    let id: i64 = raw
        .parse()
        .ok()
        .filter(|n: &i64| n.to_string() == raw)
        .ok_or_else(missing)?;
    let r = state
        .reports()
        .get(id)
        .filter(|r| planner || r.published)
        .ok_or_else(missing)?;
    let base = super::base_url(&req);
    let mut f = report_feature(&r, planner);
    f["links"] = json!([
        {"rel": "self", "type": "application/geo+json", "href": format!("{base}/api/collections/reports/items/{id}")},
        {"rel": "collection", "type": "application/json", "href": format!("{base}/api/collections/reports")},
    ]);
    Ok(role_dependent(planner)
        .content_type("application/geo+json")
        .json(f))
}

/// An answer that depends on the caller's role: `Vary: Authorization`, and never stored by
/// any cache when it holds the secretariat's view (contact details, exact positions).
fn role_dependent(planner: bool) -> actix_web::HttpResponseBuilder {
    let mut r = HttpResponse::Ok();
    r.insert_header((actix_web::http::header::VARY, "Authorization"));
    if planner {
        r.insert_header((actix_web::http::header::CACHE_CONTROL, "private, no-store"));
    }
    r
}

/// The `reports` collection's metadata as the caller sees it: `count` and the temporal extent
/// of the reports it may see (the public: published ones, by the hour), `bbox` the service
/// area.
pub fn collection_json(state: &AppState, req: &HttpRequest) -> serde_json::Value {
    let base = super::base_url(req);
    let planner = sees_all_reports(req);
    let (count, span) = state.reports().read(|all| {
        let seen: Vec<i64> = all
            .iter()
            .filter(|r| planner || r.published)
            .map(|r| {
                if planner {
                    r.created_at
                } else {
                    r.created_at - r.created_at.rem_euclid(3600)
                }
            })
            .collect();
        let span = seen
            .iter()
            .min()
            .zip(seen.iter().max())
            .map(|(a, b)| (*a, *b));
        (seen.len(), span)
    });
    let bbox = state.catalog().district_extent().map(|b| b.to_array());
    json!({
        "count": count,
        "extent": {
            "spatial": {"bbox": [bbox], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
            "temporal": {"interval": super::features::interval(span), "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"},
        },
        "id": "reports",
        "title": "Resident reports",
        "description": "Unsafe spots reported by residents (Open311 GeoReport v2 at /open311/v2). The public sees published reports at their generalised position (the centre of their H3 resolution-10 cell) with personal data scrubbed from the description; planners see every report.",
        "itemType": "feature",
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "links": [
            {"rel": "self", "type": "application/json", "href": format!("{base}/api/collections/reports")},
            {"rel": "items", "type": "application/geo+json", "href": format!("{base}/api/collections/reports/items")},
            {"rel": "alternate", "type": "application/json", "title": "Open311 GeoReport v2", "href": format!("{base}/open311/v2/requests.json")},
        ],
        "services": crate::reports::Service::ALL.iter().map(|s| {
            let l = s.labels();
            json!({"code": s.code(), "label_da": l.label_da, "label_en": l.label_en})
        }).collect::<Vec<_>>(),
    })
}

/// `GET /api/collections/reports`.
pub async fn collection(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    role_dependent(sees_all_reports(&req)).json(collection_json(&state, &req))
}

/// Participants' roles a walk may record (never names).
const ROLES: [&str; 8] = [
    "resident",
    "police",
    "municipality",
    "housing",
    "youth_worker",
    "planner",
    "business",
    "other",
];

/// The body of `POST /api/walks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWalk {
    title: String,
    date: String,
    route: Option<serde_json::Value>,
    #[serde(default)]
    participants: Vec<String>,
}

/// `POST /api/walks` (planner): starts a safety walk.
pub async fn create_walk(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let w: NewWalk = serde_json::from_slice(&body)
        .map_err(|e| ApiError::param("body", format!("not a walk: {e}")))?;
    let title = text("title", &Some(w.title.clone()), 200)?
        .ok_or_else(|| ApiError::param("title", "is required"))?;
    chrono::NaiveDate::parse_from_str(&w.date, "%Y-%m-%d")
        .map_err(|_| ApiError::param("date", format!("'{}' is not a date YYYY-MM-DD", w.date)))?;
    for p in &w.participants {
        if !ROLES.contains(&p.as_str()) {
            return Err(ApiError::param(
                "participants",
                format!(
                    "'{p}' is not a role; roles are {} (never names)",
                    ROLES.join(", ")
                ),
            ));
        }
    }
    let route = match &w.route {
        None | Some(serde_json::Value::Null) => None,
        Some(g) => {
            let ok = g["type"] == "LineString"
                && g["coordinates"].as_array().is_some_and(|c| {
                    c.len() >= 2
                        && c.iter().all(|p| {
                            p.as_array().is_some_and(|xy| {
                                xy.len() == 2
                                    && xy[0]
                                        .as_f64()
                                        .is_some_and(|x| (-180.0..=180.0).contains(&x))
                                    && xy[1].as_f64().is_some_and(|y| (-90.0..=90.0).contains(&y))
                            })
                        })
                });
            if !ok {
                return Err(ApiError::param(
                    "route",
                    "expected a GeoJSON LineString in WGS84 lon/lat",
                ));
            }
            Some(g.to_string())
        }
    };
    let actor = Caller::of(&req).actor();
    let now = chrono::Utc::now().timestamp();
    let st = state.clone();
    let answer =
        json!({"title": title, "date": w.date, "participants": w.participants, "route": w.route});
    let id = web::block(move || {
        st.create_walk(
            &title,
            &w.date,
            route.as_deref(),
            &w.participants,
            &actor,
            now,
        )
    })
    .await
    .map_err(|e| ApiError::Internal(format!("worker pool: {e}")))??;
    let mut answer = answer;
    answer["id"] = json!(id);
    answer["observations"] = json!(0);
    Ok(HttpResponse::Created().json(answer))
}

/// `GET /api/walks` (planner).
pub async fn walks(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let st = state.clone();
    let walks = web::block(move || st.walks())
        .await
        .map_err(|e| ApiError::Internal(format!("worker pool: {e}")))??;
    Ok(HttpResponse::Ok().json(json!({"walks": walks})))
}

/// The body of `POST /api/walks/{id}/observations`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalkObservation {
    kind: String,
    rating: serde_json::Value,
    #[serde(default)]
    note: String,
    lon: f64,
    lat: f64,
    observed_at: Option<String>,
}

/// `POST /api/walks/{id}/observations` (planner): one observation from the field; it is in
/// the `observations` layer when this answers.
pub async fn walk_observation(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let walk: i64 = path
        .parse()
        .map_err(|_| ApiError::NotFound(format!("no walk '{path}'")))?;
    let o: WalkObservation = serde_json::from_slice(&body)
        .map_err(|e| ApiError::param("body", format!("not an observation: {e}")))?;
    let kind: ObservationKind = o
        .kind
        .parse()
        .map_err(|e: String| ApiError::param("kind", e))?;
    let rating = o
        .rating
        .as_u64()
        .filter(|r| (1..=5).contains(r))
        .ok_or_else(|| {
            ApiError::param(
                "rating",
                "is a whole number 1 (very poor/unsafe) … 5 (good/safe)",
            )
        })? as u8;
    let note = text("note", &Some(o.note.clone()), 1000)?.unwrap_or_default();
    if !o.lon.is_finite() || !o.lat.is_finite() {
        return Err(ApiError::param("lon", "lon and lat must be numbers"));
    }
    let cat = state.catalog();
    if cat
        .districts_at(o.lon, o.lat, DistrictLevel::Bydel)
        .is_empty()
    {
        return Err(ApiError::param(
            "lon",
            format!(
                "({}, {}) is outside Copenhagen (lon ≈ 12.6, lat ≈ 55.7)",
                o.lon, o.lat
            ),
        ));
    }
    let now = chrono::Utc::now().timestamp();
    let observed_at = match &o.observed_at {
        None => now,
        Some(t) => time::parse_rfc3339(t).ok_or_else(|| {
            ApiError::param("observed_at", format!("'{t}' is not an RFC 3339 time"))
        })?,
    };
    if !walk_exists(&state, walk).await? {
        return Err(ApiError::NotFound(format!("no walk {walk}")));
    }
    let source = format!("walk-{walk}");
    let mut id_bytes = [0u8; 8];
    getrandom::fill(&mut id_bytes).map_err(|e| ApiError::Internal(e.to_string()))?;
    let source_id = format!("{observed_at}-{:016x}", u64::from_le_bytes(id_bytes));
    let new = NewObservation {
        kind,
        rating,
        note: scrub::scrub(&note).0,
        observed_at,
        lon: o.lon,
        lat: o.lat,
        source: source.clone(),
        source_id: source_id.clone(),
        synthetic: false,
    };
    let st = state.clone();
    super::off_thread(move || st.record_walk_observation(&new, walk)).await?;
    let cat = state.catalog();
    let stored = cat
        .observations
        .iter()
        .rev()
        .find(|x| x.source == source && x.source_id == source_id)
        .ok_or_else(|| ApiError::Internal("the observation is not in the catalog".into()))?;
    let mut out = Vec::with_capacity(512);
    super::encode::observation(&mut out, stored);
    Ok(HttpResponse::Created()
        .content_type("application/geo+json")
        .body(out))
}

/// The observations recorded on walk `walk` (source `walk-N`), in time order.
fn walk_points(cat: &crate::catalog::Catalog, walk: i64) -> Vec<&crate::model::Observation> {
    let source = format!("walk-{walk}");
    let mut v: Vec<&crate::model::Observation> = cat
        .observations
        .iter()
        .filter(|o| o.source == source)
        .collect();
    v.sort_by_key(|o| (o.observed_at, o.id));
    v
}

/// `GET /api/walks/{id}/observations` (planner): the walk's observations as GeoJSON.
pub async fn walk_observations(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let walk: i64 = path
        .parse()
        .map_err(|_| ApiError::NotFound(format!("no walk '{path}'")))?;
    if !walk_exists(&state, walk).await? {
        return Err(ApiError::NotFound(format!("no walk {walk}")));
    }
    let cat = state.catalog();
    let points = walk_points(&cat, walk);
    let mut out = Vec::with_capacity(256 + points.len() * 300);
    out.extend_from_slice(br#"{"type":"FeatureCollection","walk":"#);
    out.extend_from_slice(walk.to_string().as_bytes());
    out.extend_from_slice(br#","features":["#);
    for (n, o) in points.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        super::encode::observation(&mut out, o);
    }
    out.extend_from_slice(b"]}");
    Ok(HttpResponse::Ok()
        .content_type("application/geo+json")
        .body(out))
}

/// `GET /api/walks/{id}/compare?with={other}` (planner): each observation of walk `id` beside
/// the nearest one of the same kind within 50 m on walk `other` (the next walk at the same
/// places), with the change in rating, and a summary.
pub async fn compare_walks(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let walk: i64 = path
        .parse()
        .map_err(|_| ApiError::NotFound(format!("no walk '{path}'")))?;
    if !walk_exists(&state, walk).await? {
        return Err(ApiError::NotFound(format!("no walk {walk}")));
    }
    let p = Params::parse(req.query_string(), &["with"])?;
    let other: i64 = p
        .non_empty("with")?
        .ok_or_else(|| ApiError::param("with", "is required: the id of the walk to compare with"))?
        .parse()
        .map_err(|_| ApiError::param("with", "is not a walk id"))?;
    if !walk_exists(&state, other).await? {
        return Err(ApiError::param("with", format!("no walk {other}")));
    }
    let cat = state.catalog();
    let (first, second) = (walk_points(&cat, walk), walk_points(&cat, other));
    let place = |o: &crate::model::Observation| json!({"rating": o.rating, "note": o.note, "observed_at": time::rfc3339(o.observed_at), "lon": o.lon, "lat": o.lat, "id": o.id});
    let (mut better, mut worse, mut same, mut unmatched) = (0, 0, 0, 0);
    let pairs: Vec<serde_json::Value> = first
        .iter()
        .map(|a| {
            let nearest = second
                .iter()
                .filter(|b| b.kind == a.kind)
                .map(|b| (b, crate::reports::distance_m((a.lon, a.lat), (b.lon, b.lat))))
                .filter(|(_, d)| *d <= 50.0)
                .min_by(|x, y| x.1.total_cmp(&y.1));
            match nearest {
                Some((b, d)) => {
                    let change = b.rating as i32 - a.rating as i32;
                    match change.signum() {
                        1 => better += 1,
                        -1 => worse += 1,
                        _ => same += 1,
                    }
                    json!({"kind": a.kind.code(), "before": place(a), "after": place(b), "distance_m": d.round(), "change": change})
                }
                None => {
                    unmatched += 1;
                    json!({"kind": a.kind.code(), "before": place(a), "after": null, "distance_m": null, "change": null})
                }
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "walk": walk,
        "with": other,
        "rule": "each observation of `walk` is paired with the nearest observation of the same kind within 50 m on `with`; change = rating on `with` − rating on `walk` (ratings 1 = very poor/unsafe … 5 = good/safe)",
        "summary": {"pairs": better + worse + same, "better": better, "worse": worse, "same": same, "unmatched": unmatched},
        "pairs": pairs,
    })))
}

/// Whether walk `id` exists (a store read, off the async workers).
async fn walk_exists(state: &web::Data<AppState>, id: i64) -> ApiResult<bool> {
    let st = state.clone();
    super::off_thread(move || st.walk_exists(id)).await
}

/// The body of a moderation request, each wrong field named (a type error from serde would
/// only name the body).
fn moderation_request(body: &[u8]) -> ApiResult<Moderation> {
    let v: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::param("body", format!("not a moderation request: {e}")))?;
    let fields = v
        .as_object()
        .ok_or_else(|| ApiError::param("body", "not a moderation request: expected an object"))?;
    for (k, x) in fields {
        match k.as_str() {
            "action" | "reason" | "status" | "status_note" if !(x.is_string() || x.is_null()) => {
                return Err(ApiError::param(k.as_str(), "expected text"));
            }
            "action" | "reason" | "status" | "status_note" | "duplicate_of" => {}
            other => {
                return Err(ApiError::param(
                    other,
                    "unknown field; a moderation request takes action, reason, duplicate_of, status and status_note",
                ))
            }
        }
    }
    serde_json::from_value(v)
        .map_err(|e| ApiError::param("body", format!("not a moderation request: {e}")))
}
