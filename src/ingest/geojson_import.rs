//! Incidents, observations and districts from GeoJSON files. RFC 7946 says lon/lat; a legacy
//! `crs` member naming EPSG:4326 (as Københavns Kommune's files carry) still means lon/lat, and
//! one naming a projected CRS (e.g. EPSG:25832) is honoured.

use std::io::Read;

use geo::{BooleanOps, MultiPolygon, Validation};
use geojson::{FeatureCollection, GeometryValue};
use serde_json::{Map, Value};

use super::categories::Mapped;
use super::crs::Crs;
use super::options::ImportOptions;
use super::report::Parsed;
use super::{timeparse, validate, IngestError, Result};
use crate::model::{
    District, DistrictLevel, NewIncident, NewObservation, ObservationKind, Precision,
};

/// Reads a FeatureCollection (UTF-8, a leading byte order mark ignored) from a file or an
/// upload, and the CRS of its coordinates.
fn load(
    name: &str,
    mut input: impl Read,
    opts: &ImportOptions,
) -> Result<(FeatureCollection, Crs)> {
    let fail = |reason: String| IngestError::File {
        file: name.to_owned(),
        reason,
    };
    let mut text = String::new();
    input
        .read_to_string(&mut text)
        .map_err(|e| fail(format!("not UTF-8 text: {e}")))?;
    // A UTF-8 byte order mark (Windows tools such as Notepad write one) is not part of the JSON
    // text; RFC 8259 §8.1 lets a parser ignore it. Dropped, for files and uploads alike.
    let fc: FeatureCollection = text
        .strip_prefix('\u{feff}')
        .unwrap_or(&text)
        .parse()
        .map_err(|e: geojson::Error| fail(format!("not a GeoJSON FeatureCollection: {e}")))?;
    let legacy = fc
        .foreign_members
        .as_ref()
        .and_then(|m| m.get("crs"))
        .and_then(|c| c.pointer("/properties/name"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let crs = match (&opts.crs, legacy) {
        (Some(c), _) => Crs::parse(c).map_err(fail)?,
        (None, Some(l)) => Crs::parse(&l).map_err(|e| fail(format!("crs member: {e}")))?,
        (None, None) => Crs::from_epsg(4326).map_err(fail)?,
    };
    Ok((fc, crs))
}

fn point_of(value: Option<&geojson::Geometry>) -> std::result::Result<(f64, f64), String> {
    match value.map(|g| &g.value) {
        None => Err("geometry: missing (no coordinates)".into()),
        Some(GeometryValue::Point { coordinates }) => {
            let c: &[f64] = coordinates.as_slice();
            if c.len() < 2 {
                return Err("geometry: a Point needs two coordinates".into());
            }
            Ok((c[0], c[1]))
        }
        Some(other) => Err(format!(
            "geometry: expected Point, got {}",
            other.type_name()
        )),
    }
}

/// Where the features of a collection came from, for naming them in refusals and notes and
/// for a record's default source id.
#[derive(Debug, Clone, Copy)]
pub enum Origin<'a> {
    /// A GeoJSON file: `feature N`, N its 0-based position in the collection.
    GeoJson,
    /// A Shapefile: `record N`, N the 0-based record number of each feature in turn (records
    /// flagged deleted leave gaps, so the numbers stay those QGIS and ArcGIS show).
    Shapefile(&'a [usize]),
}

impl Origin<'_> {
    /// The number of feature `i`: its position, or its Shapefile record number.
    fn number(&self, i: usize) -> usize {
        match self {
            Origin::GeoJson => i,
            Origin::Shapefile(records) => records.get(i).copied().unwrap_or(i),
        }
    }

    /// The name of a time property, `occurred_at` or `observed_at` in GeoJSON; in a Shapefile,
    /// whose dBase field names hold at most 10 characters, `occurred` or `observed`, as
    /// [`crate::output::export`] writes them.
    fn time_key(&self, geojson: &'static str) -> &'static str {
        match self {
            Origin::GeoJson => geojson,
            Origin::Shapefile(_) => geojson.strip_suffix("_at").unwrap_or(geojson),
        }
    }

    /// Where feature `i` is, as refusals say it: `feature 3` or `record 3`.
    fn location(&self, i: usize) -> String {
        match self {
            Origin::GeoJson => format!("feature {i}"),
            Origin::Shapefile(_) => format!("record {}", self.number(i)),
        }
    }
}

fn text<'a>(p: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    p.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn feature_id(f: &geojson::Feature) -> Option<String> {
    match &f.id {
        Some(geojson::feature::Id::String(s)) => Some(s.clone()),
        Some(geojson::feature::Id::Number(n)) => Some(n.to_string()),
        None => None,
    }
}

/// A record's source: `--source`, else its `source` property, else the file's name.
fn record_source(p: &Map<String, Value>, opts: &ImportOptions, default: &str) -> String {
    opts.source
        .clone()
        .or_else(|| text(p, "source").map(str::to_owned))
        .unwrap_or_else(|| default.to_owned())
}

/// A record's id at its source: its `source_id` property, else the feature id, else
/// `feature-N` with N its position in the file (its record number in a Shapefile, which a
/// deleted record before it does not shift).
fn record_source_id(p: &Map<String, Value>, f: &geojson::Feature, n: usize) -> String {
    text(p, "source_id")
        .map(str::to_owned)
        .or_else(|| feature_id(f))
        .unwrap_or_else(|| format!("feature-{n}"))
}

/// A record's source and source id ([`record_source`], [`record_source_id`]), refused when
/// either holds a control character.
fn record_ids(
    p: &Map<String, Value>,
    f: &geojson::Feature,
    n: usize,
    opts: &ImportOptions,
    default_source: &str,
) -> std::result::Result<(String, String), String> {
    let source = record_source(p, opts, default_source);
    validate::identifier(&source).map_err(|e| format!("source: {e}"))?;
    let source_id = record_source_id(p, f, n);
    validate::identifier(&source_id).map_err(|e| format!("source_id: {e}"))?;
    Ok((source, source_id))
}

fn source_of(name: &str, opts: &ImportOptions) -> String {
    opts.source.clone().unwrap_or_else(|| {
        std::path::Path::new(name)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| name.to_owned())
    })
}

/// Reads incidents: Point features with `category` (one of our codes, or a source type the
/// category table maps), `occurred_at` (`occurred` in a Shapefile; RFC 3339, or a local
/// Copenhagen time; from 1900-01-01 to one day after now, see [`validate::time`]), optional
/// `precision`, `source`, `source_id` (else the feature id, else the feature's position in the
/// file; neither may hold a control character, see [`validate::identifier`]).
pub fn read_incidents(
    name: &str,
    input: impl Read,
    opts: &ImportOptions,
) -> Result<Parsed<NewIncident>> {
    let (fc, crs) = load(name, input, opts)?;
    incidents_from(name, &fc, &crs, Origin::GeoJson, opts)
}

/// [`read_incidents`] on an already parsed collection whose coordinates are in `crs`.
pub fn incidents_from(
    name: &str,
    fc: &FeatureCollection,
    crs: &Crs,
    origin: Origin,
    opts: &ImportOptions,
) -> Result<Parsed<NewIncident>> {
    let mut categories = opts.preset.map(|p| p.categories()).unwrap_or_default();
    if let Some(t) = &opts.categories_toml {
        categories.merge_toml(t).map_err(|e| IngestError::File {
            file: name.to_owned(),
            reason: format!("--categories: {e}"),
        })?;
    }
    let tz = timeparse::zone("Europe/Copenhagen").expect("known zone");
    let now = chrono::Utc::now().timestamp();
    let default_source = source_of(name, opts);
    let mut out = Parsed::default();
    for (i, f) in fc.features.iter().enumerate() {
        out.read += 1;
        let loc = origin.location(i);
        let empty = Map::new();
        let p = f.properties.as_ref().unwrap_or(&empty);
        let result = (|| -> std::result::Result<Option<NewIncident>, String> {
            let kind = text(p, "category").ok_or("category: missing")?;
            let category = match categories.get(kind) {
                Some(Mapped::To(c)) => c,
                Some(Mapped::Ignore) => {
                    *out.ignored.entry(kind.to_owned()).or_default() += 1;
                    return Ok(None);
                }
                None => {
                    *out.unmapped.entry(kind.to_owned()).or_default() += 1;
                    return Err(format!(
                        "category: unknown '{kind}' (map it in a --categories file)"
                    ));
                }
            };
            let key = origin.time_key("occurred_at");
            let when = text(p, key).ok_or(format!("{key}: missing"))?;
            let occurred_at = timeparse::parse(when, None, tz)
                .and_then(|t| validate::time(t, now).map_err(|e| format!("'{when}' {e}")))
                .map_err(|e| format!("{key}: {e}"))?;
            let precision = match text(p, "precision") {
                Some(s) => s
                    .parse::<Precision>()
                    .map_err(|e| format!("precision: {e}"))?,
                None => Precision::Street,
            };
            let (x, y) = point_of(f.geometry.as_ref())?;
            let (lon, lat) = validate::position(crs, x, y, opts.region.as_ref())?;
            let (source, source_id) = record_ids(p, f, origin.number(i), opts, &default_source)?;
            Ok(Some(NewIncident {
                category,
                occurred_at,
                lon,
                lat,
                precision,
                source,
                source_id,
                synthetic: false,
            }))
        })();
        match result {
            Ok(Some(r)) => out.records.push(r),
            Ok(None) => {}
            Err(reason) => out.reject(loc, reason),
        }
    }
    Ok(out)
}

/// Reads observations: Point features with `kind`, `rating` (1–5), `note` (at most 2000
/// characters; no control characters but line feeds and tabs), `observed_at` (`observed` in a
/// Shapefile; as incidents' `occurred_at`), optional `source`, `source_id` (as incidents').
pub fn read_observations(
    name: &str,
    input: impl Read,
    opts: &ImportOptions,
) -> Result<Parsed<NewObservation>> {
    let (fc, crs) = load(name, input, opts)?;
    observations_from(name, &fc, &crs, Origin::GeoJson, opts)
}

/// [`read_observations`] on an already parsed collection whose coordinates are in `crs`.
pub fn observations_from(
    name: &str,
    fc: &FeatureCollection,
    crs: &Crs,
    origin: Origin,
    opts: &ImportOptions,
) -> Result<Parsed<NewObservation>> {
    let tz = timeparse::zone("Europe/Copenhagen").expect("known zone");
    let now = chrono::Utc::now().timestamp();
    let default_source = source_of(name, opts);
    let mut out = Parsed::default();
    for (i, f) in fc.features.iter().enumerate() {
        out.read += 1;
        let empty = Map::new();
        let p = f.properties.as_ref().unwrap_or(&empty);
        let result = (|| -> std::result::Result<NewObservation, String> {
            let kind: ObservationKind = text(p, "kind")
                .ok_or("kind: missing")?
                .parse()
                .map_err(|e| format!("kind: {e}"))?;
            let rating = p
                .get("rating")
                .and_then(|v| {
                    v.as_u64()
                        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                })
                .filter(|r| (1..=5).contains(r))
                .ok_or("rating: missing or not a whole number 1–5")? as u8;
            let note = text(p, "note").unwrap_or("").to_owned();
            if note.chars().count() > 2000 {
                return Err("note: longer than 2000 characters".into());
            }
            validate::free_text(&note).map_err(|e| format!("note: {e}"))?;
            // Notes are public with the observation: the scrubber of residents' reports.
            let note = crate::reports::scrub::scrub(&note).0;
            let key = origin.time_key("observed_at");
            let when = text(p, key).ok_or(format!("{key}: missing"))?;
            let observed_at = timeparse::parse(when, None, tz)
                .and_then(|t| validate::time(t, now).map_err(|e| format!("'{when}' {e}")))
                .map_err(|e| format!("{key}: {e}"))?;
            let (x, y) = point_of(f.geometry.as_ref())?;
            let (lon, lat) = validate::position(crs, x, y, opts.region.as_ref())?;
            let (source, source_id) = record_ids(p, f, origin.number(i), opts, &default_source)?;
            Ok(NewObservation {
                kind,
                rating,
                note,
                observed_at,
                lon,
                lat,
                source,
                source_id,
                synthetic: false,
            })
        })();
        match result {
            Ok(r) => out.records.push(r),
            Err(reason) => out.reject(origin.location(i), reason),
        }
    }
    Ok(out)
}

/// Makes a polygon valid, or says why it cannot be: self-intersections are resolved by a
/// union with nothing (i_overlay's non-zero fill rule), and the result must then pass geo's
/// validity check and keep its area within 1 %.
pub fn repair(mp: MultiPolygon<f64>) -> std::result::Result<(MultiPolygon<f64>, bool), String> {
    use geo::Area;
    if mp.is_valid() {
        return Ok((mp, false));
    }
    let before = mp.unsigned_area();
    let fixed = mp.union(&MultiPolygon::new(vec![]));
    if !fixed.is_valid() {
        return Err("invalid polygon that could not be repaired".into());
    }
    let after = fixed.unsigned_area();
    if before > 0.0 && ((after - before) / before).abs() > 0.01 {
        return Err(format!(
            "invalid polygon; the repair would change its area by {:.1} %",
            (after - before) / before * 100.0
        ));
    }
    Ok((fixed, true))
}

/// Converts a polygon geometry in `crs` to lon/lat, checking every vertex.
pub fn polygon_to_lonlat(
    value: &GeometryValue,
    crs: &Crs,
    opts: &ImportOptions,
) -> std::result::Result<MultiPolygon<f64>, String> {
    let mp = match value {
        GeometryValue::Polygon { .. } => MultiPolygon::new(vec![
            geo::Polygon::try_from(value).map_err(|e| e.to_string())?
        ]),
        GeometryValue::MultiPolygon { .. } => {
            MultiPolygon::try_from(value).map_err(|e| e.to_string())?
        }
        other => {
            return Err(format!(
                "geometry: expected Polygon or MultiPolygon, got {}",
                other.type_name()
            ))
        }
    };
    transform_polygon(mp, crs, opts)
}

/// Transforms every vertex of `mp` to lon/lat with the usual checks.
pub fn transform_polygon(
    mut mp: MultiPolygon<f64>,
    crs: &Crs,
    opts: &ImportOptions,
) -> std::result::Result<MultiPolygon<f64>, String> {
    use geo::MapCoordsInPlace;
    mp.try_map_coords_in_place(|c| {
        validate::position(crs, c.x, c.y, opts.region.as_ref())
            .map(|(lon, lat)| geo::coord! { x: lon, y: lat })
            .map_err(|e| format!("geometry: {e}"))
    })?;
    Ok(mp)
}

/// Reads districts: Polygon/MultiPolygon features with `id`, `name`, `level`, optional
/// `population`, `parent` (or, with `--level/--id-field/--name-field`, from other attributes).
pub fn read_districts(
    name: &str,
    input: impl Read,
    opts: &ImportOptions,
) -> Result<Parsed<District>> {
    let (fc, crs) = load(name, input, opts)?;
    districts_from(name, &fc, &crs, Origin::GeoJson, opts)
}

/// [`read_districts`] on an already parsed collection whose coordinates are in `crs`.
pub fn districts_from(
    _name: &str,
    fc: &FeatureCollection,
    crs: &Crs,
    origin: Origin,
    opts: &ImportOptions,
) -> Result<Parsed<District>> {
    let mut out = Parsed::default();
    for (i, f) in fc.features.iter().enumerate() {
        out.read += 1;
        let empty = Map::new();
        let p = f.properties.as_ref().unwrap_or(&empty);
        let result = (|| -> std::result::Result<(District, bool), String> {
            let attrs = |k: &str| -> Option<String> {
                p.get(k).and_then(|v| match v {
                    Value::String(s) => Some(s.trim().to_owned()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
            };
            let (id, district_name, level) = district_identity(&attrs, opts)?;
            let parent = attrs("parent");
            validate::identifier(&id).map_err(|e| format!("id: {e}"))?;
            validate::identifier(&district_name).map_err(|e| format!("name: {e}"))?;
            if let Some(parent) = &parent {
                validate::identifier(parent).map_err(|e| format!("parent: {e}"))?;
            }
            let population = match p.get("population") {
                None | Some(Value::Null) => None,
                Some(v) => Some(
                    v.as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or("population: not a whole number ≥ 0")?,
                ),
            };
            let g = f.geometry.as_ref().ok_or("geometry: missing")?;
            let mp = polygon_to_lonlat(&g.value, crs, opts)?;
            let (geometry, repaired) = repair(mp)?;
            Ok((
                District {
                    id,
                    name: district_name,
                    level,
                    population,
                    parent,
                    geometry,
                },
                repaired,
            ))
        })();
        match result {
            Ok((d, repaired)) => {
                if repaired {
                    out.notes.push(format!(
                        "{} ({}): self-intersecting polygon repaired",
                        origin.location(i),
                        d.id
                    ));
                }
                out.records.push(d);
            }
            Err(reason) => out.reject(origin.location(i), reason),
        }
    }
    Ok(out)
}

/// A district's id, name and level from its attributes and the import options.
pub fn district_identity(
    attrs: &dyn Fn(&str) -> Option<String>,
    opts: &ImportOptions,
) -> std::result::Result<(String, String, DistrictLevel), String> {
    let level: DistrictLevel = match attrs("level").or(opts.level.clone()) {
        Some(l) => l.parse().map_err(|e| format!("level: {e}"))?,
        None => return Err("level: missing; give --level bydel|district|rode".into()),
    };
    let raw_id = match &opts.id_field {
        Some(f) => attrs(f).ok_or(format!("{f}: missing"))?,
        None => attrs("id").ok_or("id: missing; give --id-field")?,
    };
    let id = if raw_id.starts_with(&format!("{level}-")) {
        raw_id
    } else if raw_id.chars().all(|c| c.is_ascii_digit()) && !raw_id.is_empty() {
        format!("{level}-{}", raw_id.trim_start_matches('0').max("0"))
    } else {
        return Err(format!(
            "id: '{raw_id}' is neither '{level}-N' nor a number"
        ));
    };
    let name = match &opts.name_field {
        Some(f) => attrs(f).ok_or(format!("{f}: missing"))?,
        None => attrs("name").ok_or("name: missing; give --name-field")?,
    };
    Ok((id, name, level))
}
