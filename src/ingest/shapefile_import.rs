//! Shapefiles: `.shp` + `.shx` + `.dbf`, the CRS from the `.prj` (or `--crs`), the attribute
//! encoding from the `.cpg` (or `--encoding`; without either, UTF-8 if the table decodes as
//! UTF-8, else Windows-1252, the Latin-1 superset Danish files use). Shape `n` pairs with
//! attribute record `n`; a record flagged deleted is left out with its shape, and a `.shp` and
//! `.dbf` holding different numbers of shapes and records are refused. Each pair becomes a
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

/// The deletion flag of every record of a `.dbf`, in record order (`true`: flagged deleted).
/// dBase keeps a deleted record in place until the table is packed, so record `n` still pairs
/// with shape `n`; the `dbase` crate skips such records silently, which is why the flags are
/// read here. Records are fixed-length, start `header_len` bytes into the file (header length,
/// bytes 8–9 of the header) and each opens with one flag byte: `*` (0x2A) deleted, anything else
/// (a space) live, as the `dbase` crate reads it.
fn deletion_flags(
    dbf: &Path,
    header_len: u64,
    record_len: u64,
    count: usize,
) -> std::result::Result<Vec<bool>, String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::io::BufReader::new(
        std::fs::File::open(dbf).map_err(|e| format!("{}: {e}", dbf.display()))?,
    );
    let mut flags = Vec::with_capacity(count);
    let mut byte = [0u8; 1];
    for n in 0..count {
        let at = header_len + n as u64 * record_len;
        file.seek(SeekFrom::Start(at))
            .and_then(|_| file.read_exact(&mut byte))
            .map_err(|_| {
                format!(
                    "{}: the header says {count} records but the file ends in record {n}",
                    dbf.display()
                )
            })?;
        flags.push(byte[0] == b'*');
    }
    Ok(flags)
}

/// The live records of the `.dbf` decoded with `encoding` (the `dbase` crate leaves out those
/// flagged deleted), and the flag of every record.
fn read_records(
    path: &Path,
    encoding: dbase::encoding::DynEncoding,
) -> std::result::Result<(Vec<dbase::Record>, Vec<bool>), String> {
    let dbf = path.with_extension("dbf");
    let mut reader = dbase::ReaderBuilder::new()
        .with_encoding(encoding)
        .open(&dbf)
        .map_err(|e| format!("{}: {e}", dbf.display()))?;
    let header = reader.header();
    let flags = deletion_flags(
        &dbf,
        u64::from(header.offset_to_first_record),
        u64::from(header.size_of_record),
        header.num_records as usize,
    )?;
    let live = reader
        .read()
        .map_err(|e| format!("{}: {e}", dbf.display()))?;
    let want = flags.iter().filter(|d| !**d).count();
    if live.len() != want {
        return Err(format!(
            "{}: {} live records read where the deletion flags promise {want}",
            dbf.display(),
            live.len()
        ));
    }
    Ok((live, flags))
}

/// Pairs shape `n` with record `n` (both counted from 0 in file order), leaving out the pairs
/// whose record is flagged deleted; returns the record number with each pair. A `.shp` and
/// `.dbf` that hold different numbers of shapes and records cannot be paired and are refused.
fn pair(
    shapes: Vec<Shape>,
    live: Vec<dbase::Record>,
    flags: &[bool],
) -> std::result::Result<Vec<(usize, Shape, dbase::Record)>, String> {
    if shapes.len() != flags.len() {
        return Err(format!(
            "the .shp holds {} shapes but the .dbf holds {} records (deleted ones included); \
             each shape needs the attribute record with its number, so nothing is read",
            shapes.len(),
            flags.len()
        ));
    }
    let mut live = live.into_iter();
    let mut out = Vec::with_capacity(shapes.len());
    for (n, (shape, deleted)) in shapes.into_iter().zip(flags).enumerate() {
        if *deleted {
            continue;
        }
        let record = live
            .next()
            .ok_or_else(|| format!(".dbf: record {n} is missing"))?;
        out.push((n, shape, record));
    }
    Ok(out)
}

/// A Shapefile read as features in its own CRS.
pub struct Features {
    /// One feature per live record, in record order.
    pub features: FeatureCollection,
    /// The record number (from 0, deleted records counted) of each feature.
    pub records: Vec<usize>,
    /// The CRS of the coordinates.
    pub crs: Crs,
    /// What the reader decided (CRS, encoding, deleted records left out).
    pub notes: Vec<String>,
}

/// Reads a Shapefile: shape `n` with attribute record `n`; a record flagged deleted in the
/// `.dbf` (QGIS and ArcGIS leave them until the table is packed) is left out with its shape.
pub fn read(path: &Path, opts: &ImportOptions) -> Result<Features> {
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
    let shapes = shapefile::ShapeReader::from_path(path)
        .and_then(|r| r.read())
        .map_err(|e| fail(path, e.to_string()))?;
    let (live, flags) = match label {
        Some(l) => {
            let enc = dbase::encoding::DynEncoding::from_name(&l)
                .or_else(|| {
                    encoding_rs::Encoding::for_label(l.as_bytes())
                        .map(|e| dbase::encoding::EncodingRs::from(e).into())
                })
                .ok_or_else(|| fail(path, format!("unknown encoding '{l}'")))?;
            notes.push(format!("attributes decoded as {l}"));
            read_records(path, enc).map_err(|e| fail(path, e))?
        }
        None => match read_records(path, dbase::encoding::Unicode.into()) {
            Ok(r) => r,
            Err(_) => {
                notes.push("no .cpg and the attributes are not UTF-8: decoded as Windows-1252 (Latin-1); give --encoding to override".into());
                read_records(
                    path,
                    dbase::encoding::EncodingRs::from(encoding_rs::WINDOWS_1252).into(),
                )
                .map_err(|e| fail(path, e))?
            }
        },
    };
    let deleted: Vec<String> = flags
        .iter()
        .enumerate()
        .filter(|(_, d)| **d)
        .map(|(n, _)| n.to_string())
        .collect();
    if !deleted.is_empty() {
        notes.push(format!(
            "{} record(s) flagged deleted in the .dbf left out with their shapes: record {}",
            deleted.len(),
            deleted.join(", ")
        ));
    }
    let pairs = pair(shapes, live, &flags).map_err(|e| fail(path, e))?;
    let mut records = Vec::with_capacity(pairs.len());
    let mut features = Vec::with_capacity(pairs.len());
    for (n, shape, record) in pairs {
        let mut props = Map::new();
        for (k, v) in record {
            props.insert(k, value(v));
        }
        records.push(n);
        features.push(Feature {
            geometry: geometry(shape).map(Geometry::new),
            properties: Some(props),
            ..Default::default()
        });
    }
    Ok(Features {
        features: FeatureCollection {
            bbox: None,
            features,
            foreign_members: None,
        },
        records,
        crs,
        notes,
    })
}
