//! Vector tiles and TileJSON: `GET /tiles/{collection}/{z}/{x}/{y}.mvt` and
//! `GET /tiles/{collection}.json`, with the items' filters and role rules. Tiles are cached per
//! data snapshot (the cache is replaced when the data changes), and carry an `ETag` made from
//! the data version and the request, so a revalidation is answered without making the tile.

use actix_web::http::header;
use std::sync::Arc;

use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::auth::{Caller, Need};
use super::error::{ApiError, ApiResult};
use super::params::{self, Params};
use super::{base_url, AppState};
use crate::catalog::Catalog;
use crate::index::PointFilter;
use crate::model::{Category, DistrictLevel, ObservationKind};
use crate::output::mvt::{self, TileId};
use crate::privacy::Disclosure;

/// Media type of Mapbox Vector Tiles.
pub const MVT: &str = "application/vnd.mapbox-vector-tile";

/// Seconds a client may reuse a tile before revalidating.
const MAX_AGE: u32 = 300;

/// TileJSON's `version`: the tiles' schema (layers and fields), semver; the minor number goes
/// up when a field is added, the major when one changes meaning. The data's own version is in
/// the tile URL (`v=`) and in `data_version`.
pub const TILE_SCHEMA_VERSION: &str = "2.0.0";

/// A made tile (`None` = empty) and, once a client asked for it, its gzip-compressed form, so
/// a cached tile is compressed once rather than on every answer.
pub struct CachedTile {
    raw: Option<Bytes>,
    gzip: std::sync::OnceLock<Bytes>,
}

impl CachedTile {
    fn new(raw: Option<Bytes>) -> Arc<CachedTile> {
        Arc::new(CachedTile {
            raw,
            gzip: std::sync::OnceLock::new(),
        })
    }

    /// The gzip form (fast level: tiles are compressed once, served many times).
    fn gzip(&self) -> Option<&Bytes> {
        let raw = self.raw.as_ref()?;
        Some(self.gzip.get_or_init(|| {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(
                Vec::with_capacity(raw.len() / 3),
                flate2::Compression::fast(),
            );
            e.write_all(raw).expect("writing to a Vec cannot fail");
            Bytes::from(e.finish().expect("writing to a Vec cannot fail"))
        }))
    }
}

/// The cache of made tiles for one data snapshot, weighed by size.
pub struct TileCache {
    version: String,
    tiles: quick_cache::sync::Cache<String, Arc<CachedTile>, TileWeight>,
}

/// Weighs a cached tile by its bytes.
#[derive(Clone)]
pub struct TileWeight;

impl quick_cache::Weighter<String, Arc<CachedTile>> for TileWeight {
    fn weight(&self, key: &String, val: &Arc<CachedTile>) -> u64 {
        // The raw tile and, at about a third of it, its gzip form.
        (key.len() + val.raw.as_ref().map_or(0, |b| b.len() * 4 / 3) + 64) as u64
    }
}

impl TileCache {
    /// An empty cache for the snapshot `version`, holding up to `bytes` of tiles.
    pub fn new(version: &str, bytes: u64) -> TileCache {
        TileCache {
            version: version.to_owned(),
            tiles: quick_cache::sync::Cache::with_weighter(
                (bytes / 8192).max(16) as usize,
                bytes,
                TileWeight,
            ),
        }
    }

    /// The snapshot version the cached tiles were made from.
    pub fn version(&self) -> &str {
        &self.version
    }
}

/// The collections served as tiles, and the filters each takes.
fn tile_params(collection: &str) -> ApiResult<&'static [&'static str]> {
    match collection {
        "incidents" => Ok(&["category", "datetime", "district", "v"]),
        "observations" => Ok(&["kind", "datetime", "district", "v"]),
        "districts" => Ok(&["level", "v"]),
        other => Err(ApiError::NotFound(format!(
            "no tiles for '{other}'; tiled collections are districts, incidents, observations"
        ))),
    }
}

fn parse_coord(name: &'static str, raw: &str) -> ApiResult<u32> {
    raw.parse::<u32>().map_err(|_| {
        ApiError::param(
            name,
            format!("'{raw}' is not a whole number ≥ 0 (tile address /z/x/y.mvt)"),
        )
    })
}

/// `GET /tiles/{collection}/{z}/{x}/{y}.mvt`.
pub async fn tile(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String, String, String)>,
) -> ApiResult<HttpResponse> {
    let (collection, z, x, y) = path.into_inner();
    let allowed = tile_params(&collection)?;
    let y = y.strip_suffix(".mvt").ok_or_else(|| {
        ApiError::NotFound(format!(
            "tiles are /tiles/{collection}/{{z}}/{{x}}/{{y}}.mvt"
        ))
    })?;
    let id = TileId::new(
        parse_coord("z", &z)?,
        parse_coord("x", &x)?,
        parse_coord("y", y)?,
    )
    .map_err(|(field, detail)| ApiError::param(field, detail))?;
    let p = Params::parse(req.query_string(), allowed)?;
    let caller = Caller::of(&req);
    let need = if collection == "incidents" {
        Need::Points
    } else {
        Need::Aggregates
    };
    let (cat, disclosure) = state.view(&caller, need);
    let cache = state.tile_cache(&cat.version);

    // `v` (the data version in TileJSON's URLs) only makes the URL change with the data.
    let mut filters = p.without("v");
    filters.sort();
    let key = format!(
        "{}|{collection}|{}/{}/{}|{}",
        if disclosure.exact { "exact" } else { "public" },
        id.z,
        id.x,
        id.y,
        serde_urlencoded::to_string(&filters).unwrap_or_default()
    );
    let etag = format!("\"{}-{:016x}\"", cat.version, fnv(key.as_bytes()));
    // A `v` that is not the current data version comes from an old TileJSON: the tile is the
    // current one, so no cache may keep it under that old URL.
    let stale = p.get("v").is_some_and(|v| v != cat.version);
    let cache_control = if stale {
        "no-store".to_owned()
    } else {
        format!(
            "{}, max-age={MAX_AGE}",
            if disclosure.exact {
                "private"
            } else {
                "public"
            }
        )
    };
    let gzip_ok = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|e| e.trim() == "gzip" || e.trim().starts_with("gzip;") && !e.contains("q=0"))
        });
    let answer = |tile: &CachedTile| {
        let mut r = match tile.raw {
            Some(_) => HttpResponse::Ok(),
            None => HttpResponse::NoContent(),
        };
        r.insert_header((header::ETAG, etag.clone()))
            .insert_header((header::CACHE_CONTROL, cache_control.clone()))
            .insert_header((header::VARY, "Authorization, Accept-Encoding"));
        // Compressed only for clients that ask (and then once per cached tile).
        match (&tile.raw, gzip_ok.then(|| tile.gzip()).flatten()) {
            (None, _) => r.finish(),
            (Some(_), Some(z)) => r
                .insert_header((header::CONTENT_ENCODING, "gzip"))
                .content_type(MVT)
                .body(z.clone()),
            (Some(b), None) => r.content_type(MVT).body(b.clone()),
        }
    };
    if let Some(tags) = req.headers().get(header::IF_NONE_MATCH) {
        let tags = tags.to_str().unwrap_or("");
        if tags.split(',').any(|t| t.trim() == etag || t.trim() == "*") {
            return Ok(HttpResponse::NotModified()
                .insert_header((header::ETAG, etag.clone()))
                .insert_header((header::CACHE_CONTROL, cache_control.clone()))
                .insert_header((header::VARY, "Authorization"))
                .finish());
        }
    }
    if let Some(hit) = cache.tiles.get(&key) {
        return Ok(answer(&hit));
    }
    let made = web::block(move || -> ApiResult<Arc<CachedTile>> {
        let tile =
            CachedTile::new(make_tile(&collection, &p, &cat, id, disclosure)?.map(Bytes::from));
        if gzip_ok {
            tile.gzip();
        }
        Ok(tile)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("worker pool: {e}")))??;
    cache.tiles.insert(key, made.clone());
    Ok(answer(&made))
}

/// Makes one tile of `collection` from `cat` (no cache).
pub fn make_tile(
    collection: &str,
    p: &Params,
    cat: &Catalog,
    id: TileId,
    disclosure: Disclosure,
) -> ApiResult<Option<Vec<u8>>> {
    let bbox = id.bounds(mvt::BUFFER);
    let fail = |e: mvt::TileError| ApiError::Internal(e.to_string());
    match collection {
        "incidents" => {
            let filter = PointFilter {
                bbox: Some(bbox),
                within: params::district(p, cat)?,
                time: params::datetime(p)?,
            };
            let categories = params::categories(p)?;
            if let Some(tile) = dense_incidents_tile(cat, &filter, categories, id, disclosure) {
                return Ok(tile);
            }
            let positions = cat.query_incidents(&filter, categories);
            mvt::incidents_tile(cat, &positions, id, disclosure).map_err(fail)
        }
        "observations" => {
            let filter = PointFilter {
                bbox: Some(bbox),
                within: params::district(p, cat)?,
                time: params::datetime(p)?,
            };
            let mut positions = cat.query_observations(&filter);
            if let Some(k) = params::kinds(p)? {
                positions.retain(|&i| k.contains(&cat.observations[i as usize].kind));
            }
            mvt::observations_tile(cat, &positions, id).map_err(fail)
        }
        _ => {
            let level = match p.non_empty("level")? {
                Some(l) => Some(
                    l.parse::<DistrictLevel>()
                        .map_err(|e| ApiError::param("level", e))?,
                ),
                None => None,
            };
            let positions = cat.query_districts(level, Some(&bbox));
            mvt::districts_tile(cat, &positions, id).map_err(fail)
        }
    }
}

/// The merged tile of a box holding more than [`mvt::DETAIL_FEATURE_LIMIT`] incidents from
/// [`mvt::DETAIL_ZOOM`] on, made without reading an incident: the public view's tallies per
/// cell centre (under any filter), or the exact view's positions and categories from its tree
/// (without a time or district filter). `None` when the tile is not dense or neither applies:
/// the caller then makes it from the incidents.
fn dense_incidents_tile(
    cat: &Catalog,
    filter: &PointFilter<'_>,
    categories: u16,
    id: TileId,
    disclosure: Disclosure,
) -> Option<Option<Vec<u8>>> {
    if id.z < mvt::DETAIL_ZOOM {
        return None;
    }
    if let Some(tallies) = cat.tally_incidents(filter, categories) {
        let total: u64 = tallies.iter().flat_map(|t| t.counts).map(u64::from).sum();
        if total <= mvt::DETAIL_FEATURE_LIMIT as u64 {
            return None;
        }
        let pieces = tallies.iter().flat_map(|t| {
            let at = id.project(t.lon, t.lat);
            (0u8..).zip(t.counts).map(move |(c, n)| (at, c, n))
        });
        return Some(mvt::merged_incidents_tile(pieces, id, disclosure));
    }
    if filter.time.is_some() || filter.within.is_some() {
        return None;
    }
    let points = cat.incident_points_in(filter.bbox.as_ref()?, categories)?;
    if points.len() <= mvt::DETAIL_FEATURE_LIMIT {
        return None;
    }
    let pieces = points
        .into_iter()
        .map(|((lon, lat), c)| (id.project(lon, lat), c, 1));
    Some(mvt::merged_incidents_tile(pieces, id, disclosure))
}

/// `GET /tiles/{collection}.json`: TileJSON 3.0.0, with the request's filters carried into
/// the tile URL.
pub async fn tilejson(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let file = path.into_inner();
    let collection = file
        .strip_suffix(".json")
        .ok_or_else(|| ApiError::NotFound("TileJSON is at /tiles/{collection}.json".to_owned()))?;
    let allowed = tile_params(collection)?;
    let p = Params::parse(req.query_string(), allowed)?;
    let caller = Caller::of(&req);
    let need = if collection == "incidents" {
        Need::Points
    } else {
        Need::Aggregates
    };
    let (cat, disclosure) = state.view(&caller, need);
    // Check the filters now, so a bad one is a 400 here rather than in every tile.
    if collection != "districts" {
        params::datetime(&p)?;
        params::district(&p, &cat)?;
    }
    if collection == "incidents" {
        params::categories(&p)?;
    }
    if collection == "observations" {
        params::kinds(&p)?;
    }
    if let Some(l) = p.non_empty("level")? {
        l.parse::<DistrictLevel>()
            .map_err(|e| ApiError::param("level", e))?;
    }
    // The data version rides in the tile URL, so a change of data is a change of URL for
    // every cache on the way; TileJSON's own `version` is the tile schema's (semver).
    let mut query = p.without("v");
    query.push(("v".to_owned(), cat.version.clone()));
    let query = serde_urlencoded::to_string(query).unwrap_or_default();
    let url = format!(
        "{}/tiles/{collection}/{{z}}/{{x}}/{{y}}.mvt?{query}",
        base_url(&req)
    );
    let fields: &[(&str, String)] = &match collection {
        "incidents" => vec![
            (
                "category",
                format!(
                    "incident category: {}",
                    Category::ALL
                        .iter()
                        .map(|c| c.code())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            (
                "occurred_at",
                "when, RFC 3339 UTC (floored to the hour in the public view)".to_owned(),
            ),
            (
                "precision",
                "address, street, area, or approximate (the public view)".to_owned(),
            ),
            (
                "count",
                format!(
                    "incidents the feature stands for: grid clusters below zoom {}; from it, where a tile would hold more than {} incidents, the incidents of one category at one point or grid square (no occurred_at, no precision); absent: one incident",
                    mvt::DETAIL_ZOOM,
                    mvt::DETAIL_FEATURE_LIMIT
                ),
            ),
        ],
        "observations" => vec![
            (
                "kind",
                format!(
                    "observation kind: {}",
                    ObservationKind::ALL
                        .iter()
                        .map(|k| k.code())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            ("rating", "1 (very poor/unsafe) to 5 (good/safe)".to_owned()),
            ("observed_at", "when, RFC 3339 UTC".to_owned()),
            (
                "count",
                format!(
                    "observations in the grid square (clusters below zoom {})",
                    mvt::DETAIL_ZOOM
                ),
            ),
        ],
        _ => vec![
            ("id", "bydel-N, district-N or rode-N".to_owned()),
            ("name", "name".to_owned()),
            ("level", "bydel, district or rode".to_owned()),
            ("population", "residents, where known".to_owned()),
        ],
    };
    let bounds = cat
        .district_extent()
        .map(|b| tilejson::Bounds::new(b.min_lon, b.min_lat, b.max_lon, b.max_lat))
        .unwrap_or_default();
    let layer = tilejson::VectorLayer {
        id: collection.to_owned(),
        fields: fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        description: Some(if collection == "districts" {
            "One feature per district, clipped to the tile".to_owned()
        } else if collection == "incidents" {
            format!(
                "One feature per incident from zoom {} (a tile with more than {} incidents: one per category and point or grid square, with count); below it, grid clusters with count",
                mvt::DETAIL_ZOOM,
                mvt::DETAIL_FEATURE_LIMIT
            )
        } else {
            format!(
                "One feature per record from zoom {}; below it, grid clusters with count",
                mvt::DETAIL_ZOOM
            )
        }),
        minzoom: Some(0),
        maxzoom: Some(mvt::MAX_ZOOM),
        other: Default::default(),
    };
    let mut tj = tilejson::tilejson! {
        tiles: vec![url],
        name: format!("hotspot {collection}"),
        description: match collection {
            "incidents" if !disclosure.exact => "Police-recorded incidents, generalised for the public: each at the centre of its H3 resolution-10 cell, times floored to the hour; clusters of fewer than the suppression threshold are left out.",
            "incidents" => "Police-recorded incidents, exact positions (police and admin tokens).",
            "observations" => "Safety-walk observations.",
            _ => "Copenhagen's bydele, safety districts and roder.",
        }.to_owned(),
        version: TILE_SCHEMA_VERSION.to_owned(),
        attribution: crate::ingest::shipped::ATTRIBUTION.to_owned(),
        scheme: "xyz".to_owned(),
        minzoom: 0,
        maxzoom: mvt::MAX_ZOOM,
        bounds: bounds,
        center: tilejson::Center::new(12.5495, 55.6905, 14),
        vector_layers: vec![layer],
    };
    let mut other = vec![
        ("data_version", json!(cat.version)),
        ("privacy", json!(disclosure.describe())),
    ];
    let synthetic = match collection {
        "incidents" => cat.synthetic.incidents,
        "observations" => cat.synthetic.observations,
        _ => 0,
    };
    if synthetic > 0 {
        other.push(("notice", json!(crate::demo::NOTICE)));
        other.push(("synthetic", json!(true)));
    }
    tj.other = other.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    let body = tj;
    Ok(HttpResponse::Ok()
        .insert_header((header::VARY, "Authorization"))
        .json(body))
}

/// FNV-1a 64 of bytes, for ETags.
fn fnv(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
        (h ^ x as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{District, Incident, Precision};

    /// 40,000 incidents in and around the z15 tile 17526/10254 (Blågårds Plads), with a
    /// triangular district over part of it.
    fn dense() -> (Catalog, TileId) {
        let id = TileId::new(15, 17526, 10254).unwrap();
        let b = id.bounds(200);
        let mut seed = 11u64;
        let mut next = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) as f64 / (1u64 << 31) as f64
        };
        let incidents: Vec<Incident> = (1..=40_000)
            .map(|k| Incident {
                id: k,
                occurred_at: 1_262_304_000 + (next() * 8.0 * 365.0 * 86_400.0) as i64,
                lon: b.min_lon + next() * (b.max_lon - b.min_lon),
                lat: b.min_lat + next() * (b.max_lat - b.min_lat),
                category: Category::ALL[(next() * 9.0) as usize % 9],
                precision: Precision::Address,
                source: "t".into(),
            })
            .collect();
        let (x0, y0, x1, y1) = (b.min_lon, b.min_lat, b.max_lon, b.max_lat);
        let district = District {
            id: "district-8".to_owned(),
            name: "Indre Nørrebro".to_owned(),
            level: DistrictLevel::District,
            population: None,
            parent: None,
            geometry: geo::MultiPolygon::new(vec![geo::Polygon::new(
                vec![(x0, y0), (x1, y0), (x0, y1), (x0, y0)].into(),
                vec![],
            )]),
        };
        (
            Catalog::build(vec![district], incidents.into(), Vec::new()),
            id,
        )
    }

    /// A dense tile is made without reading incidents (the public view from tallies per point,
    /// the exact view from its tree); it must be the tile the same merging makes from the
    /// incidents themselves, under every filter.
    #[test]
    fn dense_tiles_made_without_incidents_equal_tiles_from_the_incidents() {
        let (exact, id) = dense();
        let public = exact.generalised();
        let allowed = tile_params("incidents").unwrap();
        for (view, cat, disclosure) in [
            ("public", &public, Disclosure::public(3)),
            ("exact", &exact, Disclosure::EXACT),
        ] {
            for query in [
                "",
                "category=theft,violence,drugs,robbery,vandalism,weapons",
                "datetime=2011-03-01T00:00:00Z/2016-06-30T23:59:59Z",
                "district=district-8",
            ] {
                let p = Params::parse(query, allowed).unwrap();
                let fast = make_tile("incidents", &p, cat, id, disclosure)
                    .unwrap()
                    .unwrap();
                let filter = PointFilter {
                    bbox: Some(id.bounds(mvt::BUFFER)),
                    within: params::district(&p, cat).unwrap(),
                    time: params::datetime(&p).unwrap(),
                };
                let categories = params::categories(&p).unwrap();
                let positions = cat.query_incidents(&filter, categories);
                assert!(
                    positions.len() > mvt::DETAIL_FEATURE_LIMIT,
                    "{view} {query}: {}",
                    positions.len()
                );
                let pieces = positions.iter().map(|&k| {
                    let i = &cat.incidents[k as usize];
                    (id.project(i.lon, i.lat), i.category as u8, 1)
                });
                let reference = mvt::merged_incidents_tile(pieces, id, disclosure).unwrap();
                assert_eq!(fast, reference, "{view} {query}");
                let features = mvt::tests::merged_features(&fast);
                assert!(features.len() <= mvt::DETAIL_FEATURE_LIMIT);
                assert!(
                    features.iter().all(|f| disclosure.shows(f.3)),
                    "{view} {query}: no count the view may not show"
                );
                if view == "public" {
                    // Public incidents sit on cell centres, so the finest squares fit and
                    // every feature is one category at one centre.
                    assert!(
                        features.len() < 9 * 200,
                        "{query}: {} features",
                        features.len()
                    );
                }
            }
        }
        // Which catalog takes which way.
        let b = id.bounds(mvt::BUFFER);
        let all = PointFilter {
            bbox: Some(b),
            ..PointFilter::default()
        };
        assert!(public.tally_incidents(&all, u16::MAX).is_some());
        assert!(exact.tally_incidents(&all, u16::MAX).is_none());
        assert!(exact.incident_points_in(&b, u16::MAX).is_some());
        assert!(public.incident_points_in(&b, u16::MAX).is_none());

        // The police view's tile: on squares, every incident counted.
        let p = Params::parse("", allowed).unwrap();
        let tile = make_tile("incidents", &p, &exact, id, Disclosure::EXACT)
            .unwrap()
            .unwrap();
        let features = mvt::tests::merged_features(&tile);
        assert!(features.len() <= mvt::DETAIL_FEATURE_LIMIT);
        let inside_tile = exact
            .incidents
            .iter()
            .filter(|i| {
                let (x, y) = id.project(i.lon, i.lat);
                (0.0..4096.0).contains(&x) && (0.0..4096.0).contains(&y)
            })
            .count() as u64;
        let drawn_in_tile: u64 = features
            .iter()
            .filter(|f| (0..4096).contains(&f.0) && (0..4096).contains(&f.1))
            .map(|f| f.3)
            .sum();
        // Squares straddle the tile's edge by less than one square: close, not equal.
        assert!(
            drawn_in_tile.abs_diff(inside_tile) < inside_tile / 20,
            "{drawn_in_tile} vs {inside_tile}"
        );
    }
}
