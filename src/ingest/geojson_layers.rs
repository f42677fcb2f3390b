use geo::{LineString, MultiPolygon, Polygon};
use geojson::{FeatureCollection, GeometryValue};
use serde_json::Value;

use super::{IngestError, Result};
use crate::model::{check_lonlat, District, DistrictLevel};

/// A street segment from OpenStreetMap, used for the basemap and to place demo incidents.
#[derive(Debug, Clone)]
pub struct Street {
    /// OSM way id.
    pub osm_id: i64,
    /// Street name, where tagged.
    pub name: Option<String>,
    /// OSM `highway` value (residential, footway, …).
    pub highway: String,
    /// OSM `lit` tag: `Some(true)` lit, `Some(false)` unlit, `None` untagged.
    pub lit: Option<bool>,
    /// The way's line, WGS84 lon/lat.
    pub line: LineString<f64>,
}

fn parse_collection(file: &str, text: &str) -> Result<FeatureCollection> {
    text.parse::<FeatureCollection>()
        .map_err(|e| IngestError::NotGeoJson {
            file: file.to_owned(),
            reason: e.to_string(),
        })
}

fn bad(file: &str, index: usize, reason: impl Into<String>) -> IngestError {
    IngestError::BadFeature {
        file: file.to_owned(),
        index,
        reason: reason.into(),
    }
}

fn check_coords<'a>(
    coords: impl Iterator<Item = &'a geo::Coord<f64>>,
) -> std::result::Result<(), String> {
    for c in coords {
        if let Err((axis, why)) = check_lonlat(c.x, c.y) {
            return Err(format!("geometry: {axis} {why} ({}, {})", c.x, c.y));
        }
    }
    Ok(())
}

fn to_multipolygon(value: &GeometryValue) -> std::result::Result<MultiPolygon<f64>, String> {
    let mp = match value {
        GeometryValue::Polygon { .. } => {
            MultiPolygon::new(vec![Polygon::try_from(value).map_err(|e| e.to_string())?])
        }
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
    use geo::CoordsIter;
    check_coords(mp.0.iter().flat_map(|p| {
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .flat_map(|r| r.0.iter())
    }))?;
    if mp.coords_count() == 0 {
        return Err("geometry: empty polygon".into());
    }
    Ok(mp)
}

fn prop_str(props: &serde_json::Map<String, Value>, key: &str) -> Option<String> {
    props.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// Reads districts (any of the three levels) from a GeoJSON FeatureCollection whose features
/// carry `id`, `name`, `level` and optional `population`, `parent` (DESIGN.md's schema).
pub fn read_districts(file: &str, text: &str) -> Result<Vec<District>> {
    let fc = parse_collection(file, text)?;
    let mut out = Vec::with_capacity(fc.features.len());
    for (i, f) in fc.features.iter().enumerate() {
        let props = f
            .properties
            .as_ref()
            .ok_or_else(|| bad(file, i, "properties: missing"))?;
        let id =
            prop_str(props, "id").ok_or_else(|| bad(file, i, "id: missing or not a string"))?;
        let name =
            prop_str(props, "name").ok_or_else(|| bad(file, i, "name: missing or not a string"))?;
        let level: DistrictLevel = prop_str(props, "level")
            .ok_or_else(|| bad(file, i, "level: missing"))?
            .parse()
            .map_err(|e| bad(file, i, format!("level: {e}")))?;
        if !id.starts_with(&format!("{}-", level.code())) {
            return Err(bad(
                file,
                i,
                format!("id: '{id}' does not start with '{level}-'"),
            ));
        }
        let population = match props.get("population") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| bad(file, i, "population: not a whole number ≥ 0"))?,
            ),
        };
        let geometry = f
            .geometry
            .as_ref()
            .ok_or_else(|| bad(file, i, "geometry: missing"))?;
        let geometry = to_multipolygon(&geometry.value).map_err(|e| bad(file, i, e))?;
        out.push(District {
            id,
            name,
            level,
            population,
            parent: prop_str(props, "parent"),
            geometry,
        });
    }
    Ok(out)
}

/// Reads the polygons of a FeatureCollection (blocks, parks), ignoring properties.
pub fn read_polygons(file: &str, text: &str) -> Result<Vec<MultiPolygon<f64>>> {
    let fc = parse_collection(file, text)?;
    fc.features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let g = f
                .geometry
                .as_ref()
                .ok_or_else(|| bad(file, i, "geometry: missing"))?;
            to_multipolygon(&g.value).map_err(|e| bad(file, i, e))
        })
        .collect()
}

/// Reads OSM street lines (`osm_id`, `name`, `highway`, `lit`) from a FeatureCollection.
pub fn read_streets(file: &str, text: &str) -> Result<Vec<Street>> {
    let fc = parse_collection(file, text)?;
    let mut out = Vec::with_capacity(fc.features.len());
    for (i, f) in fc.features.iter().enumerate() {
        let props = f
            .properties
            .as_ref()
            .ok_or_else(|| bad(file, i, "properties: missing"))?;
        let g = f
            .geometry
            .as_ref()
            .ok_or_else(|| bad(file, i, "geometry: missing"))?;
        let line = match &g.value {
            GeometryValue::LineString { .. } => {
                LineString::try_from(&g.value).map_err(|e| bad(file, i, e.to_string()))?
            }
            other => {
                return Err(bad(
                    file,
                    i,
                    format!("geometry: expected LineString, got {}", other.type_name()),
                ))
            }
        };
        check_coords(line.0.iter()).map_err(|e| bad(file, i, e))?;
        let lit = match props.get("lit").and_then(Value::as_str) {
            Some("yes") => Some(true),
            Some("no") => Some(false),
            _ => None,
        };
        out.push(Street {
            osm_id: props
                .get("osm_id")
                .and_then(Value::as_i64)
                .unwrap_or_default(),
            name: prop_str(props, "name"),
            highway: prop_str(props, "highway").unwrap_or_default(),
            lit,
            line,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_district_and_rejects_bad_ones() {
        let ok = r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"district-8",
            "properties":{"id":"district-8","name":"Distrikt 8","level":"district","population":13988,"parent":"bydel-3"},
            "geometry":{"type":"Polygon","coordinates":[[[12.54,55.68],[12.56,55.68],[12.56,55.69],[12.54,55.68]]]}}]}"#;
        let d = read_districts("t", ok).unwrap();
        assert_eq!(d[0].id, "district-8");
        assert_eq!(d[0].population, Some(13988));
        assert!(d[0].is_hotspot());

        let bad_level = ok.replace("\"level\":\"district\"", "\"level\":\"county\"");
        let err = read_districts("t", &bad_level).unwrap_err().to_string();
        assert!(err.contains("feature 0") && err.contains("level"), "{err}");

        let bad_lat = ok.replace("[12.56,55.69]", "[12.56,95.69]");
        let err = read_districts("t", &bad_lat).unwrap_err().to_string();
        assert!(err.contains("lat is outside"), "{err}");

        let point = ok.replace(
            r#"{"type":"Polygon","coordinates":[[[12.54,55.68],[12.56,55.68],[12.56,55.69],[12.54,55.68]]]}"#,
            r#"{"type":"Point","coordinates":[12.5,55.6]}"#,
        );
        let err = read_districts("t", &point).unwrap_err().to_string();
        assert!(err.contains("expected Polygon"), "{err}");
    }

    #[test]
    fn shipped_layers_parse() {
        use super::super::shipped;
        let districts = read_districts("districts", shipped::DISTRICTS).unwrap();
        assert_eq!(districts.len(), 10 + 35 + 399);
        assert!(districts
            .iter()
            .any(|d| d.is_hotspot() && d.population == Some(13_988)));
        assert!(!read_streets("streets", shipped::STREETS)
            .unwrap()
            .is_empty());
        assert!(!read_polygons("blocks", shipped::BLOCKS).unwrap().is_empty());
        assert!(!read_polygons("parks", shipped::PARKS).unwrap().is_empty());
    }
}
