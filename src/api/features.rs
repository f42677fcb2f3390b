//! OGC API – Features: landing page, conformance, collections, items and single features for
//! `districts`, `incidents` and `observations`.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::auth::{Caller, Need};
use super::error::{ApiError, ApiResult};
use super::params::{self, Params};
use super::{base_url, blocking, encode, AppState, Reply};
use crate::catalog::Catalog;
use crate::index::PointFilter;
use crate::ingest::shipped;
use crate::model::Layer;
use crate::model::{time, Category, DistrictLevel, ObservationKind};
use crate::privacy::Disclosure;
use crate::{demo, model};

const GEOJSON: &str = "application/geo+json";
const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

/// The feature collections of the layers, in the order `/api/collections` lists them.
const COLLECTIONS: [Layer; 3] = [Layer::Districts, Layer::Incidents, Layer::Observations];

/// The layer served as collection `id`.
fn collection_of(id: &str) -> ApiResult<Layer> {
    Layer::parse(id).map_err(|_| {
        ApiError::NotFound(format!(
            "no collection '{id}'; collections are districts, incidents, observations"
        ))
    })
}

/// The query parameters a collection's items take.
fn item_params(c: Layer) -> &'static [&'static str] {
    match c {
        // Districts have no time: `datetime` is checked, then every district answers
        // (OGC API – Features 1, /req/core/fc-time-response).
        Layer::Districts => &["bbox", "datetime", "limit", "offset", "level", "f", "crs"],
        Layer::Incidents => &[
            "bbox", "datetime", "limit", "offset", "category", "district", "f", "crs", "dialect",
        ],
        Layer::Observations => &[
            "bbox", "datetime", "limit", "offset", "kind", "district", "f", "crs", "dialect",
        ],
    }
}

/// `GET /api`: the OGC API landing page.
pub async fn landing(req: HttpRequest) -> HttpResponse {
    let base = base_url(&req);
    HttpResponse::Ok().json(json!({
        "title": "hotspot — safety mapping for Indre Nørrebro (district 8)",
        "description": "Districts, police-recorded incidents and safety-walk observations for Copenhagen's Hotspot programme, as OGC API – Features. The incidents and observations shipped with the demo are synthetic.",
        "attribution": shipped::ATTRIBUTION,
        "links": [
            {"rel": "self", "type": "application/json", "title": "This document", "href": format!("{base}/api")},
            {"rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0", "title": "The API definition (OpenAPI)", "href": format!("{base}/api/openapi.json")},
            {"rel": "service-doc", "type": "text/html", "title": "The API documentation", "href": format!("{base}/api/docs")},
            {"rel": "conformance", "type": "application/json", "title": "Conformance classes", "href": format!("{base}/api/conformance")},
            {"rel": "data", "type": "application/json", "title": "Collections", "href": format!("{base}/api/collections")},
            {"rel": "status", "type": "application/json", "title": "Health", "href": format!("{base}/api/health")},
            {"rel": "alternate", "type": "text/html", "title": "Web map", "href": format!("{base}/")},
        ],
    }))
}

/// `GET /api/conformance`.
pub async fn conformance() -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "conformsTo": [
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        ]
    }))
}

/// A temporal extent's `interval`: `[[start, end]]`, RFC 3339, an open end (`i64::MAX`) null.
pub(super) fn interval(t: Option<(i64, i64)>) -> Value {
    let end = |b: i64| {
        if b == i64::MAX {
            Value::Null
        } else {
            json!(time::rfc3339(b))
        }
    };
    match t {
        Some((a, b)) => json!([[time::rfc3339(a), end(b)]]),
        None => json!([[null, null]]),
    }
}

fn labels<T: Copy>(
    items: &[T],
    code: fn(T) -> &'static str,
    labels: fn(T) -> model::Labels,
) -> Value {
    Value::Array(
        items
            .iter()
            .map(|&i| {
                let l = labels(i);
                json!({"code": code(i), "label_da": l.label_da, "label_en": l.label_en})
            })
            .collect(),
    )
}

fn collection_json(c: Layer, cat: &Catalog, base: &str) -> Value {
    let items = format!("{base}/api/collections/{}/items", c.code());
    let mut links = vec![
        json!({"rel": "self", "type": "application/json", "href": format!("{base}/api/collections/{}", c.code())}),
        json!({"rel": "items", "type": GEOJSON, "title": "Features as GeoJSON", "href": items}),
    ];
    let who = if c == Layer::Incidents {
        " (police or admin token)"
    } else {
        ""
    };
    links.push(json!({"rel": "enclosure", "type": GEOJSON, "title": format!("Export as GeoJSON{who}"), "href": format!("{items}?f=geojson")}));
    if c != Layer::Districts {
        links.push(json!({"rel": "enclosure", "type": "text/csv", "title": format!("Export as CSV{who}"), "href": format!("{items}?f=csv")}));
    }
    links.push(json!({"rel": "enclosure", "type": "application/zip", "title": format!("Export as zipped Shapefile, EPSG:25832{who}"), "href": format!("{items}?f=shapefile&crs=EPSG:25832")}));
    links.push(json!({"rel": "tiles", "type": "application/json", "title": "Vector tiles (TileJSON)", "href": format!("{base}/tiles/{}.json", c.code())}));
    let bbox = cat.district_extent().map(|b| b.to_array());
    let mut v = json!({
        "id": c.code(),
        "itemType": "feature",
        "crs": [CRS84],
        "links": links,
    });
    let synthetic_count = match c {
        Layer::Districts => 0,
        Layer::Incidents => cat.synthetic.incidents,
        Layer::Observations => cat.synthetic.observations,
    };
    let o = v.as_object_mut().expect("object");
    match c {
        Layer::Districts => {
            o.insert("title".into(), json!("Districts"));
            o.insert("description".into(), json!("Copenhagen's 10 bydele, the 35 safety districts (district-8 is the Hotspot area, Indre Nørrebro west of Nørrebrogade) and the 399 roder. Filter with level=bydel|district|rode."));
            o.insert(
                "extent".into(),
                json!({"spatial": {"bbox": [bbox], "crs": CRS84}}),
            );
            o.insert(
                "levels".into(),
                json!(DistrictLevel::ALL
                    .iter()
                    .map(|l| l.code())
                    .collect::<Vec<_>>()),
            );
            o.insert("count".into(), json!(cat.districts.len()));
            o.insert("attribution".into(), json!("© Københavns Kommune (CC BY 4.0); roder dissolved into safety districts by hotspot"));
        }
        Layer::Incidents => {
            o.insert("title".into(), json!("Incidents"));
            o.insert("description".into(), json!("Police-recorded incidents, one point each, with category, time (UTC), location precision and source."));
            o.insert("extent".into(), json!({
                "spatial": {"bbox": [cat.incident_extent().map(|b| b.to_array())], "crs": CRS84},
                "temporal": {"interval": interval(cat.incident_time_extent()), "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"},
            }));
            o.insert(
                "categories".into(),
                labels(&Category::ALL, Category::code, Category::labels),
            );
            o.insert("count".into(), json!(cat.incidents.len()));
        }
        Layer::Observations => {
            o.insert("title".into(), json!("Safety-walk observations"));
            o.insert("description".into(), json!("Urban-space observations from safety walks (tryghedsvandringer): kind, rating 1 (very poor/unsafe) to 5 (good/safe), note, time."));
            o.insert("extent".into(), json!({
                "spatial": {"bbox": [bbox], "crs": CRS84},
                "temporal": {"interval": interval(cat.observation_time_extent()), "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"},
            }));
            o.insert(
                "kinds".into(),
                labels(
                    &ObservationKind::ALL,
                    ObservationKind::code,
                    ObservationKind::labels,
                ),
            );
            o.insert("count".into(), json!(cat.observations.len()));
        }
    }
    if c != Layer::Districts {
        o.insert("synthetic".into(), json!(synthetic_count > 0));
        o.insert("synthetic_count".into(), json!(synthetic_count));
        if synthetic_count > 0 {
            o.insert("notice".into(), json!(demo::NOTICE));
            o.insert("notice_en".into(), json!(demo::NOTICE));
            o.insert("notice_da".into(), json!(demo::NOTICE_DA));
        }
    }
    v
}

/// `GET /api/collections`.
pub async fn collections(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let (cat, _) = state.view(&Caller::of(&req), Need::Points);
    let base = base_url(&req);
    let mut list: Vec<Value> = COLLECTIONS
        .iter()
        .map(|&c| collection_json(c, &cat, &base))
        .collect();
    list.push(super::reports::collection_json(&state, &req));
    list.push(super::initiatives::collection_json(&state, &req));
    let mut body = json!({
        "collections": list,
        "links": [{"rel": "self", "type": "application/json", "href": format!("{base}/api/collections")}],
    });
    if cat.synthetic.any() {
        body["notice"] = json!(demo::NOTICE);
    }
    HttpResponse::Ok().json(body)
}

/// `GET /api/collections/{id}`.
pub async fn collection(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let c = collection_of(&path)?;
    let (cat, _) = state.view(&Caller::of(&req), Need::Points);
    Ok(HttpResponse::Ok().json(collection_json(c, &cat, &base_url(&req))))
}

/// What a page of items is, before it is written out.
struct Page {
    matched: usize,
    positions: Vec<u32>,
}

fn paginate(all: Vec<u32>, offset: usize, limit: usize) -> Page {
    let matched = all.len();
    let positions = all.into_iter().skip(offset).take(limit).collect();
    Page { matched, positions }
}

fn link(base: &str, path: &str, pairs: &[(String, String)]) -> String {
    let q = serde_urlencoded::to_string(pairs).unwrap_or_default();
    if q.is_empty() {
        format!("{base}{path}")
    } else {
        format!("{base}{path}?{q}")
    }
}

/// The links of a page of `path` (query `p`) that starts at `offset` and holds `returned` of
/// `matched` features: `self`, `next` while more follow, `prev` after the first page, and
/// `collection`. Every other parameter is carried over as given.
pub(super) fn page_links(
    base: &str,
    path: &str,
    p: &Params,
    offset: usize,
    limit: usize,
    returned: usize,
    matched: usize,
) -> Vec<Value> {
    // Every other parameter as given; `limit` and `offset` as each link needs them.
    let pairs: Vec<(String, String)> = p
        .without("offset")
        .into_iter()
        .filter(|(k, _)| k != "limit")
        .collect();
    let at = |o: usize, l: usize| {
        let mut pairs = pairs.clone();
        if p.get("limit").is_some() || l != params::DEFAULT_LIMIT {
            pairs.push(("limit".into(), l.to_string()));
        }
        if o > 0 {
            pairs.push(("offset".into(), o.to_string()));
        }
        link(base, path, &pairs)
    };
    // Each `next` page is twice the size of this one, up to the maximum: clients that only
    // follow links (GDAL's OAPIF driver asks for 10, then follows `next`) reach full pages in
    // a few steps instead of paging 10 at a time; a client that sets `limit` and `offset` on
    // each request itself gets exactly what it asks.
    let next_limit = limit.saturating_mul(2).min(params::MAX_LIMIT);
    let mut links = vec![json!({"rel": "self", "type": GEOJSON, "href": at(offset, limit)})];
    if offset + returned < matched {
        links.push(
            json!({"rel": "next", "type": GEOJSON, "href": at(offset + returned, next_limit)}),
        );
    }
    if offset > 0 {
        links.push(json!({"rel": "prev", "type": GEOJSON, "href": at(offset.saturating_sub(limit), limit)}));
    }
    if let Some(collection) = path.strip_suffix("/items") {
        links.push(json!({"rel": "collection", "type": "application/json", "href": format!("{base}{collection}")}));
    }
    links
}

/// The core parameters of the items of `reports` and `initiatives` (the three layers take more).
pub(super) struct CoreQuery {
    /// Page size.
    pub limit: usize,
    /// Features skipped.
    pub offset: usize,
    /// Only features in this WGS84 box.
    pub bbox: Option<crate::index::LonLatBox>,
    /// Only features whose time meets `[start, end]`, Unix seconds.
    pub when: Option<(i64, i64)>,
}

impl CoreQuery {
    /// Checks `f` (`json` or `geojson`), `limit`, `offset`, `bbox` (against the service `area`)
    /// and `datetime`; the error names the parameter.
    pub(super) fn parse(p: &Params, area: Option<crate::index::LonLatBox>) -> ApiResult<CoreQuery> {
        params::choice(p, "f", &["json", "geojson"], "json")?;
        Ok(CoreQuery {
            limit: params::limit(p)?,
            offset: params::offset(p)?,
            bbox: params::bbox(p, area)?,
            when: params::datetime(p)?,
        })
    }
}

/// A page of `features` (from `offset`, of `matched` in all) of the items at the request's
/// path as an OGC API – Features GeoJSON `FeatureCollection` with its links.
pub(super) fn feature_page(
    req: &HttpRequest,
    p: &Params,
    offset: usize,
    limit: usize,
    matched: usize,
    features: Vec<Value>,
) -> Value {
    let links = page_links(
        &base_url(req),
        req.path(),
        p,
        offset,
        limit,
        features.len(),
        matched,
    );
    json!({
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": features.len(),
        "timeStamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "links": links,
        "features": features,
    })
}

/// `GET /api/collections/{id}/items`.
pub async fn items(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let c = collection_of(&path)?;
    let p = Params::parse(req.query_string(), item_params(c))?;
    let caller = Caller::of(&req);
    let (cat, disclosure) = state.view(&caller, Need::Points);
    let format = params::choice(&p, "f", &["json", "geojson", "csv", "shapefile"], "json")?;
    if format != "json" {
        let format = crate::output::export::Format::parse(format, p.get("crs"), p.get("dialect"))
            .map_err(|(k, e)| ApiError::param(if k == "format" { "f" } else { k }, e))?;
        if c == Layer::Incidents {
            super::auth::require(&caller, super::auth::INCIDENT_EXPORTERS)?;
        }
        let layer = c;
        let positions = {
            let (cat, p) = (cat.clone(), p.clone());
            web::block(move || matching(c, &p, &cat))
                .await
                .map_err(|e| ApiError::Internal(format!("worker pool: {e}")))??
        };
        let offset = params::offset(&p)?;
        let limit = params::export_limit(&p)?;
        let positions: Vec<u32> = if offset > 0 || limit < positions.len() {
            positions.into_iter().skip(offset).take(limit).collect()
        } else {
            positions
        };
        return super::exports::export(&state, &caller, &p, cat, layer, format, positions).await;
    }
    if p.get("crs").is_some() {
        return Err(ApiError::param(
            "crs",
            "is for f=shapefile; pages and GeoJSON are WGS84 lon/lat (CRS84)",
        ));
    }
    if p.get("dialect").is_some() {
        return Err(ApiError::param("dialect", "is for f=csv"));
    }
    let base = base_url(&req);
    let path = req.path().to_owned();
    blocking(move || items_page(c, &p, &cat, disclosure, &base, &path)).await
}

/// Positions of the features of `c` that the filters of `p` select, in id order.
fn matching(c: Layer, p: &Params, cat: &Catalog) -> ApiResult<Vec<u32>> {
    let bbox = params::bbox(p, cat.district_extent())?;
    Ok(match c {
        Layer::Districts => {
            params::datetime(p)?;
            let level = match p.non_empty("level")? {
                Some(l) => Some(
                    l.parse::<DistrictLevel>()
                        .map_err(|e| ApiError::param("level", e))?,
                ),
                None => None,
            };
            cat.query_districts(level, bbox.as_ref())
        }
        Layer::Incidents => {
            let categories = params::categories(p)?;
            let filter = PointFilter {
                bbox,
                within: params::district(p, cat)?,
                time: params::datetime(p)?,
            };
            cat.query_incidents(&filter, categories)
        }
        Layer::Observations => {
            let kinds = params::kinds(p)?;
            let filter = PointFilter {
                bbox,
                within: params::district(p, cat)?,
                time: params::datetime(p)?,
            };
            let mut all = cat.query_observations(&filter);
            if let Some(k) = kinds {
                all.retain(|&i| k.contains(&cat.observations[i as usize].kind));
            }
            all
        }
    })
}

fn items_page(
    c: Layer,
    p: &Params,
    cat: &Arc<Catalog>,
    disclosure: Disclosure,
    base: &str,
    path: &str,
) -> ApiResult<Reply> {
    let limit = params::limit(p)?;
    let offset = params::offset(p)?;
    let page = paginate(matching(c, p, cat)?, offset, limit);

    let returned = page.positions.len();
    let links = page_links(base, path, p, offset, limit, returned, page.matched);

    let per_feature = if c == Layer::Districts { 20_000 } else { 220 };
    let mut out = Vec::with_capacity(256 + returned * per_feature);
    out.extend_from_slice(br#"{"type":"FeatureCollection","numberMatched":"#);
    out.extend_from_slice(page.matched.to_string().as_bytes());
    out.extend_from_slice(br#","numberReturned":"#);
    out.extend_from_slice(returned.to_string().as_bytes());
    out.extend_from_slice(br#","timeStamp":"#);
    encode::string(
        &mut out,
        &chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    out.extend_from_slice(br#","links":"#);
    serde_json::to_writer(&mut out, &links).map_err(|e| ApiError::Internal(e.to_string()))?;
    let synthetic = match c {
        Layer::Districts => 0,
        Layer::Incidents => cat.synthetic.incidents,
        Layer::Observations => cat.synthetic.observations,
    };
    if synthetic > 0 {
        out.extend_from_slice(br#","notice":"#);
        encode::string(&mut out, demo::NOTICE);
    }
    if c == Layer::Incidents && !disclosure.exact {
        out.extend_from_slice(br#","privacy":"#);
        serde_json::to_writer(&mut out, &disclosure.describe())
            .map_err(|e| ApiError::Internal(e.to_string()))?;
    }
    out.extend_from_slice(br#","features":["#);
    for (n, &i) in page.positions.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        match c {
            Layer::Districts => encode::district(&mut out, &cat.districts[i as usize]),
            Layer::Incidents => encode::incident(
                &mut out,
                &cat.incidents[i as usize],
                cat.incidents.source_id(i as usize),
            ),
            Layer::Observations => encode::observation(&mut out, &cat.observations[i as usize]),
        }
    }
    out.extend_from_slice(b"]}");
    Ok(Reply::new(GEOJSON, out))
}

/// `GET /api/collections/{id}/items/{fid}`.
pub async fn item(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (cid, fid) = path.into_inner();
    let c = collection_of(&cid)?;
    let p = Params::parse(req.query_string(), &["f"])?;
    params::choice(&p, "f", &["json", "geojson"], "json")?;
    let (cat, _) = state.view(&Caller::of(&req), Need::Points);
    let missing = || ApiError::NotFound(format!("no feature '{fid}' in {cid}"));
    let mut out = Vec::with_capacity(1024);
    match c {
        Layer::Districts => {
            let d = cat.district(&fid).ok_or_else(missing)?;
            encode::district(&mut out, d);
        }
        Layer::Incidents => {
            let id: i64 = fid
                .parse()
                .ok()
                .filter(|n: &i64| n.to_string() == fid)
                .ok_or_else(missing)?;
            let i = cat.incident_position(id).ok_or_else(missing)?;
            encode::incident(&mut out, &cat.incidents[i], cat.incidents.source_id(i));
        }
        Layer::Observations => {
            let id: i64 = fid
                .parse()
                .ok()
                .filter(|n: &i64| n.to_string() == fid)
                .ok_or_else(missing)?;
            let i = cat.observation_position(id).ok_or_else(missing)?;
            encode::observation(&mut out, &cat.observations[i]);
        }
    }
    // Add the OGC links to the feature object.
    out.pop();
    let base = base_url(&req);
    let links = json!([
        {"rel": "self", "type": GEOJSON, "href": format!("{base}/api/collections/{cid}/items/{fid}")},
        {"rel": "collection", "type": "application/json", "href": format!("{base}/api/collections/{cid}")},
    ]);
    out.extend_from_slice(br#","links":"#);
    serde_json::to_writer(&mut out, &links).map_err(|e| ApiError::Internal(e.to_string()))?;
    out.push(b'}');
    Ok(HttpResponse::Ok().content_type(GEOJSON).body(out))
}
