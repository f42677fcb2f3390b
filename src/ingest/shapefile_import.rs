//! Shapefiles: `.shp` + `.shx` + `.dbf`, the CRS from the `.prj` (or `--crs`), the attribute
//! encoding from the `.cpg` (or `--encoding`; without either, UTF-8 if the table decodes as
//! UTF-8, else Windows-1252, the Latin-1 superset Danish files use). Each record becomes a
//! GeoJSON feature in the file's CRS, read by the same code as GeoJSON files.

use std::path::Path;

use geojson::{Feature, FeatureCollection, Geometry, GeometryValue};
use serde_json::{Map, Value};
use shapefile::dbase::{self, FieldValue};
use shapefile::Shape;

use super::crs::{self, Crs};
use super::options::ImportOptions;
use super::{IngestError, Result};

fn fail(path: &Path, reason: impl Into<String>) -> IngestError {
    IngestError::File {
        file: path.display().to_string(),
        reason: reason.into(),
    }
}

fn value(v: FieldValue) -> Value {
    match v {
        FieldValue::Character(Some(s)) | FieldValue::Memo(s) => Value::String(s.trim().to_owned()),
        FieldValue::Numeric(Some(n)) | FieldValue::Double(n) => {
            if n.fract() == 0.0 && n.abs() < 9e15 {
                Value::from(n as i64)
            } else {
                Value::from(n)
            }
        }
        FieldValue::Float(Some(f)) => Value::from(f as f64),
        FieldValue::Integer(i) => Value::from(i),
        FieldValue::Logical(Some(b)) => Value::Bool(b),
        FieldValue::Date(Some(d)) => {
            Value::String(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
        }
        _ => Value::Null,
    }
}

fn geometry(shape: Shape) -> Option<GeometryValue> {
    match shape {
        Shape::Point(p) => Some(GeometryValue::new_point([p.x, p.y])),
        Shape::PointZ(p) => Some(GeometryValue::new_point([p.x, p.y])),
        Shape::PointM(p) => Some(GeometryValue::new_point([p.x, p.y])),
        Shape::Polygon(poly) => {
            // Shapefile rings: outer rings clockwise, holes counter-clockwise; geo's conversion
            // groups them into polygons.
            let mp: geo::MultiPolygon<f64> = poly.try_into().ok()?;
            Some(GeometryValue::from(&mp))
        }
        Shape::PolygonZ(poly) => {
            let mp: geo::MultiPolygon<f64> = poly.try_into().ok()?;
            Some(GeometryValue::from(&mp))
        }
        _ => None,
    }
}

fn read_with(
    path: &Path,
    encoding: dbase::encoding::DynEncoding,
) -> std::result::Result<Vec<(Shape, dbase::Record)>, String> {
    let shapes = shapefile::ShapeReader::from_path(path).map_err(|e| e.to_string())?;
    let dbf = dbase::ReaderBuilder::new()
        .with_encoding(encoding)
        .open(path.with_extension("dbf"))
        .map_err(|e| format!("{}: {e}", path.with_extension("dbf").display()))?;
    let mut reader = shapefile::Reader::new(shapes, dbf);
    reader.read().map_err(|e| e.to_string())
}

/// Reads a Shapefile into a feature collection in its own CRS, and that CRS.
pub fn read(path: &Path, opts: &ImportOptions) -> Result<(FeatureCollection, Crs, Vec<String>)> {
    let mut notes = Vec::new();
    for ext in ["shx", "dbf"] {
        if !path.with_extension(ext).exists() {
            return Err(fail(
                path,
                format!("the .{ext} beside it is missing (a Shapefile is .shp + .shx + .dbf)"),
            ));
        }
    }
    let crs = match &opts.crs {
        Some(c) => Crs::parse(c).map_err(|e| fail(path, e))?,
        None => {
            let prj = path.with_extension("prj");
            let wkt = std::fs::read_to_string(&prj)
                .map_err(|_| fail(path, "no .prj beside it; give --crs EPSG:N"))?;
            let c = crs::from_prj(&wkt).map_err(|e| fail(path, format!(".prj: {e}")))?;
            notes.push(format!(
                "CRS from the .prj: EPSG:{} ({})",
                c.def().epsg,
                c.def().name
            ));
            c
        }
    };
    let label = match &opts.encoding {
        Some(e) => Some(e.clone()),
        None => std::fs::read_to_string(path.with_extension("cpg"))
            .ok()
            .map(|s| s.trim().to_owned()),
    };
    let records = match label {
        Some(l) => {
            let enc = dbase::encoding::DynEncoding::from_name(&l)
                .or_else(|| {
                    encoding_rs::Encoding::for_label(l.as_bytes())
                        .map(|e| dbase::encoding::EncodingRs::from(e).into())
                })
                .ok_or_else(|| fail(path, format!("unknown encoding '{l}'")))?;
            notes.push(format!("attributes decoded as {l}"));
            read_with(path, enc).map_err(|e| fail(path, e))?
        }
        None => match read_with(path, dbase::encoding::Unicode.into()) {
            Ok(r) => r,
            Err(_) => {
                notes.push("no .cpg and the attributes are not UTF-8: decoded as Windows-1252 (Latin-1); give --encoding to override".into());
                read_with(
                    path,
                    dbase::encoding::EncodingRs::from(encoding_rs::WINDOWS_1252).into(),
                )
                .map_err(|e| fail(path, e))?
            }
        },
    };
    let features = records
        .into_iter()
        .map(|(shape, record)| {
            let mut props = Map::new();
            for (k, v) in record {
                props.insert(k, value(v));
            }
            Feature {
                geometry: geometry(shape).map(Geometry::new),
                properties: Some(props),
                ..Default::default()
            }
        })
        .collect();
    Ok((
        FeatureCollection {
            bbox: None,
            features,
            foreign_members: None,
        },
        crs,
        notes,
    ))
}
