//! Exports of a layer as GeoJSON, CSV or a zipped ESRI Shapefile, shared by
//! `GET /api/collections/{id}/items?f=…` and `hotspot export`.
//!
//! GeoJSON and CSV are produced in chunks of [`CHUNK`] features from the snapshot, so an
//! export of a million features streams with flat memory. The Shapefile (`.shp`, `.shx`,
//! `.dbf` in UTF-8 with a `.cpg`, and a `.prj`) is written to a temporary directory, zipped into
//! a temporary file, and that file is streamed; all of them are deleted when the export ends.
//! Shapefile attribute names have at most 10 characters: `occurred_at` and `observed_at` are
//! written as `occurred` and `observed`, the exact instant as RFC 3339 text in UTC (what
//! `hotspot import` reads back, to the second), and beside them `occ_date` and `obs_date`, dBase
//! date fields (type D) for GIS date filters holding the **Copenhagen local** calendar date — the
//! day the API's and the CLI's `datetime` filters and the reports count it in — so an incident at
//! 23:30 UTC on 30 June is dated 1 July — and `occ_time`/`obs_time`, the Copenhagen local time
//! of day as `hh:mm:ss` text (sorts and compares as text: `occ_time >= '22:00'`). An exported Shapefile of incidents or observations
//! imports back with the same time, category or kind, precision, source and source id.

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::encode;
use crate::catalog::Catalog;
use crate::demo;
use crate::ingest::crs::Crs;
use crate::model::time;
use crate::model::Layer;

/// The Copenhagen local time of day of the instant `secs` (Unix seconds), `hh:mm:ss`.
fn local_time(secs: i64) -> String {
    time::copenhagen_local(secs)[11..].to_owned()
}

/// The Copenhagen local calendar date of the instant `secs` (Unix seconds) as a dBase date;
/// `None` (an empty date field) for a year dBase cannot hold.
fn copenhagen_date(secs: i64) -> Option<shapefile::dbase::Date> {
    let local = secs.saturating_add(time::copenhagen_offset(secs));
    let (y, m, d) = time::civil_from_days(local.div_euclid(86_400));
    let year = u32::try_from(y).ok().filter(|y| *y <= 9999)?;
    shapefile::dbase::Date::new(d, m, year).ok()
}

/// Features per streamed chunk.
pub const CHUNK: usize = 2_000;

/// What can go wrong in an export.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Writing a file failed.
    #[error("export: {0}")]
    Io(#[from] std::io::Error),
    /// The Shapefile writer refused.
    #[error("shapefile: {0}")]
    Shapefile(#[from] shapefile::Error),
    /// Zipping failed.
    #[error("zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// A coordinate has no position in the asked CRS.
    #[error("{0}")]
    Transform(String),
}

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RFC 7946 GeoJSON (WGS84 lon/lat).
    GeoJson,
    /// CSV with `lon`/`lat` columns (WGS84).
    Csv(CsvDialect),
    /// A zipped Shapefile in EPSG:4326 or EPSG:25832.
    Shapefile {
        /// The CRS's EPSG code.
        epsg: u16,
    },
}

/// How a CSV export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvDialect {
    /// RFC 4180: `,` between fields, `.` in numbers, times RFC 3339 UTC, no byte-order mark.
    Rfc4180,
    /// What Excel in a Danish locale opens by double-click: a UTF-8 byte-order mark, `;`
    /// between fields, `,` in decimal numbers, CRLF line ends, and times as Copenhagen local
    /// time `YYYY-MM-DD hh:mm:ss` (which Excel reads as a date) in a column named
    /// `…_local` instead of `…_at`.
    ExcelDa,
}

impl CsvDialect {
    /// Parses `rfc4180` (the default) or `excel-da`.
    pub fn parse(s: &str) -> Result<CsvDialect, String> {
        match s.trim() {
            "rfc4180" | "" => Ok(CsvDialect::Rfc4180),
            "excel-da" => Ok(CsvDialect::ExcelDa),
            other => Err(format!("'{other}' is not rfc4180 or excel-da")),
        }
    }
}

impl Format {
    /// Parses `geojson`, `csv` or `shapefile`, `crs` (only with `shapefile`: `EPSG:4326`, the
    /// default, or `EPSG:25832`) and `dialect` (only with `csv`). The error names the
    /// parameter.
    pub fn parse(
        f: &str,
        crs: Option<&str>,
        dialect: Option<&str>,
    ) -> Result<Format, (&'static str, String)> {
        if dialect.is_some() && f != "csv" {
            return Err(("dialect", format!("is for csv, not {f}")));
        }
        let epsg = match crs.map(str::trim) {
            None => None,
            Some(c) => {
                let parsed = Crs::parse(c).map_err(|e| ("crs", e))?;
                match parsed.def().epsg {
                    e @ (4326 | 25832) => Some(e),
                    e => {
                        return Err((
                            "crs",
                            format!(
                                "EPSG:{e} is not offered; exports are in EPSG:4326 or EPSG:25832"
                            ),
                        ))
                    }
                }
            }
        };
        match f {
            "geojson" | "csv" if epsg.is_some_and(|e| e != 4326) => Err((
                "crs",
                format!(
                    "{f} is always WGS84 lon/lat (EPSG:4326); crs=EPSG:25832 is for f=shapefile"
                ),
            )),
            "geojson" => Ok(Format::GeoJson),
            "csv" => Ok(Format::Csv(
                dialect
                    .map(CsvDialect::parse)
                    .transpose()
                    .map_err(|e| ("dialect", e))?
                    .unwrap_or(CsvDialect::Rfc4180),
            )),
            "shapefile" => Ok(Format::Shapefile {
                epsg: epsg.unwrap_or(4326),
            }),
            other => Err((
                "format",
                format!("'{other}' is not geojson, csv or shapefile"),
            )),
        }
    }

    /// How the audit log names it: `geojson`, `csv`, `shapefile EPSG:25832`.
    pub fn code(&self) -> String {
        match self {
            Format::GeoJson => "geojson".into(),
            Format::Csv(CsvDialect::Rfc4180) => "csv".into(),
            Format::Csv(CsvDialect::ExcelDa) => "csv excel-da".into(),
            Format::Shapefile { epsg } => format!("shapefile EPSG:{epsg}"),
        }
    }

    /// The media type.
    pub fn content_type(&self) -> &'static str {
        match self {
            Format::GeoJson => "application/geo+json",
            Format::Csv(_) => "text/csv; charset=utf-8",
            Format::Shapefile { .. } => "application/zip",
        }
    }

    /// The file name extension.
    pub fn extension(&self) -> &'static str {
        match self {
            Format::GeoJson => "geojson",
            Format::Csv(_) => "csv",
            Format::Shapefile { .. } => "zip",
        }
    }
}

/// The name of a layer in file names and URLs.
pub fn layer_name(layer: Layer) -> &'static str {
    match layer {
        Layer::Districts => "districts",
        Layer::Incidents => "incidents",
        Layer::Observations => "observations",
    }
}

/// One export: which records of which snapshot, in which format.
pub struct Export {
    /// The snapshot.
    pub catalog: Arc<Catalog>,
    /// The layer.
    pub layer: Layer,
    /// Positions of the records in the layer, in output order.
    pub positions: Vec<u32>,
    /// The format.
    pub format: Format,
}

impl Export {
    /// The download's file name, e.g. `incidents-20261127.geojson`.
    pub fn file_name(&self, now: i64) -> String {
        let (y, m, d) = time::civil_from_days(now.div_euclid(86_400));
        format!(
            "{}-{y:04}{m:02}{d:02}.{}",
            layer_name(self.layer),
            self.format.extension()
        )
    }

    fn synthetic(&self) -> bool {
        match self.layer {
            Layer::Districts => false,
            Layer::Incidents => self.catalog.synthetic.incidents > 0,
            Layer::Observations => self.catalog.synthetic.observations > 0,
        }
    }

    /// The GeoJSON or CSV text in chunks of [`CHUNK`] features (the Shapefile is made by
    /// [`Export::shapefile_zip`] instead; for it this yields nothing).
    pub fn chunks(self) -> Chunks {
        Chunks {
            export: self,
            next: 0,
            opened: false,
            closed: false,
        }
    }

    /// Writes the whole export to `w` (GeoJSON, CSV, or the zip of the Shapefile); returns the
    /// bytes written.
    pub fn write_to(self, w: &mut impl Write) -> Result<u64, ExportError> {
        if let Format::Shapefile { .. } = self.format {
            let mut file = self.shapefile_zip()?;
            return Ok(std::io::copy(&mut file, w)?);
        }
        let mut n = 0;
        for chunk in self.chunks() {
            w.write_all(&chunk)?;
            n += chunk.len() as u64;
        }
        Ok(n)
    }

    /// Writes the Shapefile and zips it; returns the zip, open for reading from the start.
    /// The files are already unlinked: they vanish when the handle is dropped.
    pub fn shapefile_zip(&self) -> Result<std::fs::File, ExportError> {
        let Format::Shapefile { epsg } = self.format else {
            return Err(ExportError::Transform("not a Shapefile export".into()));
        };
        let crs = Crs::from_epsg(epsg).map_err(ExportError::Transform)?;
        let dir = TempDir::new()?;
        let name = layer_name(self.layer);
        let shp = dir.0.join(format!("{name}.shp"));
        self.write_shapefile(&shp, &crs)?;
        std::fs::write(
            dir.0.join(format!("{name}.prj")),
            crs.esri_wkt().unwrap_or_default(),
        )?;
        std::fs::write(dir.0.join(format!("{name}.cpg")), "UTF-8")?;
        let zip_path = dir.0.join("export.zip");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path)?);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        for ext in ["shp", "shx", "dbf", "prj", "cpg"] {
            zip.start_file(format!("{name}.{ext}"), options)?;
            let mut part = std::fs::File::open(dir.0.join(format!("{name}.{ext}")))?;
            std::io::copy(&mut part, &mut zip)?;
        }
        let mut file = zip.finish()?;
        file.flush()?;
        drop(file);
        let mut file = std::fs::File::open(&zip_path)?;
        file.rewind()?;
        // `dir` is removed here; on Unix the open file stays readable until it is closed.
        Ok(file)
    }

    fn write_shapefile(&self, shp: &Path, crs: &Crs) -> Result<(), ExportError> {
        use shapefile::dbase::{FieldName, FieldValue, Record, TableWriterBuilder};
        let field = |n: &str| FieldName::try_from(n).expect("names are ≤ 10 ASCII characters");
        let cat = &self.catalog;
        let project = |lon: f64, lat: f64| -> Result<shapefile::Point, ExportError> {
            let (x, y) = crs.from_lonlat(lon, lat).map_err(ExportError::Transform)?;
            Ok(shapefile::Point::new(x, y))
        };
        let text = |s: &str, max: usize| -> FieldValue {
            // dBase character fields hold at most `max` bytes: cut at a character boundary.
            let mut end = s.len().min(max);
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            FieldValue::Character(Some(s[..end].to_owned()))
        };
        match self.layer {
            Layer::Incidents => {
                let table = TableWriterBuilder::new()
                    .add_numeric_field(field("id"), 18, 0)
                    .add_character_field(field("category"), 16)
                    .add_character_field(field("occurred"), 25)
                    .add_date_field(field("occ_date"))
                    .add_character_field(field("occ_time"), 8)
                    .add_character_field(field("precision"), 12)
                    .add_character_field(field("source"), 80)
                    .add_character_field(field("source_id"), 80);
                let mut w = shapefile::Writer::from_path(shp, table)?;
                for &p in &self.positions {
                    let i = &cat.incidents[p as usize];
                    let mut r = Record::default();
                    r.insert("id".into(), FieldValue::Numeric(Some(i.id as f64)));
                    r.insert("category".into(), text(i.category.code(), 16));
                    r.insert("occurred".into(), text(&time::rfc3339(i.occurred_at), 25));
                    r.insert(
                        "occ_date".into(),
                        FieldValue::Date(copenhagen_date(i.occurred_at)),
                    );
                    r.insert("occ_time".into(), text(&local_time(i.occurred_at), 8));
                    r.insert("precision".into(), text(i.precision.code(), 12));
                    r.insert("source".into(), text(&i.source, 80));
                    r.insert(
                        "source_id".into(),
                        text(cat.incidents.source_id(p as usize), 80),
                    );
                    w.write_shape_and_record(&project(i.lon, i.lat)?, &r)?;
                }
            }
            Layer::Observations => {
                let table = TableWriterBuilder::new()
                    .add_numeric_field(field("id"), 18, 0)
                    .add_character_field(field("kind"), 24)
                    .add_numeric_field(field("rating"), 1, 0)
                    .add_character_field(field("note"), 254)
                    .add_character_field(field("observed"), 25)
                    .add_date_field(field("obs_date"))
                    .add_character_field(field("obs_time"), 8)
                    .add_character_field(field("source"), 80)
                    .add_character_field(field("source_id"), 80);
                let mut w = shapefile::Writer::from_path(shp, table)?;
                for &p in &self.positions {
                    let o = &cat.observations[p as usize];
                    let mut r = Record::default();
                    r.insert("id".into(), FieldValue::Numeric(Some(o.id as f64)));
                    r.insert("kind".into(), text(o.kind.code(), 24));
                    r.insert("rating".into(), FieldValue::Numeric(Some(o.rating as f64)));
                    r.insert("note".into(), text(&o.note, 254));
                    r.insert("observed".into(), text(&time::rfc3339(o.observed_at), 25));
                    r.insert(
                        "obs_date".into(),
                        FieldValue::Date(copenhagen_date(o.observed_at)),
                    );
                    r.insert("obs_time".into(), text(&local_time(o.observed_at), 8));
                    r.insert("source".into(), text(&o.source, 80));
                    r.insert("source_id".into(), text(&o.source_id, 80));
                    w.write_shape_and_record(&project(o.lon, o.lat)?, &r)?;
                }
            }
            Layer::Districts => {
                let table = TableWriterBuilder::new()
                    .add_character_field(field("id"), 16)
                    .add_character_field(field("name"), 80)
                    .add_character_field(field("level"), 10)
                    .add_numeric_field(field("population"), 10, 0);
                let mut w = shapefile::Writer::from_path(shp, table)?;
                for &p in &self.positions {
                    let d = &cat.districts[p as usize];
                    let mut rings = Vec::new();
                    for poly in &d.geometry {
                        let ring = |r: &geo::LineString<f64>| -> Result<Vec<shapefile::Point>, ExportError> {
                            r.coords().map(|c| project(c.x, c.y)).collect()
                        };
                        rings.push(shapefile::PolygonRing::Outer(ring(poly.exterior())?));
                        for hole in poly.interiors() {
                            rings.push(shapefile::PolygonRing::Inner(ring(hole)?));
                        }
                    }
                    let mut r = Record::default();
                    r.insert("id".into(), text(&d.id, 16));
                    r.insert("name".into(), text(&d.name, 80));
                    r.insert("level".into(), text(d.level.code(), 10));
                    r.insert(
                        "population".into(),
                        FieldValue::Numeric(d.population.map(|n| n as f64)),
                    );
                    w.write_shape_and_record(&shapefile::Polygon::with_rings(rings), &r)?;
                }
            }
        }
        Ok(())
    }
}

/// The chunks of a GeoJSON or CSV export.
pub struct Chunks {
    export: Export,
    next: usize,
    opened: bool,
    closed: bool,
}

impl Iterator for Chunks {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        if self.closed {
            return None;
        }
        let e = &self.export;
        let end = (self.next + CHUNK).min(e.positions.len());
        let slice = &e.positions[self.next..end];
        let mut out = Vec::with_capacity(256 + slice.len() * 230);
        match e.format {
            Format::GeoJson => {
                if !self.opened {
                    out.extend_from_slice(br#"{"type":"FeatureCollection","name":"#);
                    encode::string(&mut out, layer_name(e.layer));
                    out.extend_from_slice(br#","numberMatched":"#);
                    out.extend_from_slice(e.positions.len().to_string().as_bytes());
                    if e.synthetic() {
                        out.extend_from_slice(br#","notice":"#);
                        encode::string(&mut out, demo::NOTICE);
                    }
                    out.extend_from_slice(br#","features":["#);
                }
                for (n, &p) in slice.iter().enumerate() {
                    if self.next + n > 0 {
                        out.extend_from_slice(b",\n");
                    }
                    let c = &e.catalog;
                    match e.layer {
                        Layer::Incidents => encode::incident(
                            &mut out,
                            &c.incidents[p as usize],
                            c.incidents.source_id(p as usize),
                        ),
                        Layer::Observations => {
                            encode::observation(&mut out, &c.observations[p as usize])
                        }
                        Layer::Districts => encode::district(&mut out, &c.districts[p as usize]),
                    }
                }
                if end == e.positions.len() {
                    out.extend_from_slice(b"]}\n");
                    self.closed = true;
                }
            }
            Format::Csv(dialect) => {
                let excel = dialect == CsvDialect::ExcelDa;
                if excel && !self.opened {
                    // The byte-order mark that tells Excel the file is UTF-8.
                    out.extend_from_slice("\u{feff}".as_bytes());
                }
                let mut w = csv::WriterBuilder::new()
                    .delimiter(if excel { b';' } else { b',' })
                    .terminator(if excel {
                        csv::Terminator::CRLF
                    } else {
                        csv::Terminator::Any(b'\n')
                    })
                    .from_writer(out);
                let c = &e.catalog;
                // Districts have no CSV form; the caller refuses it before.
                let (coords, time_col) =
                    ([1, 2], if e.layer == Layer::Observations { 6 } else { 4 });
                if !self.opened {
                    let header: &[&str] = match e.layer {
                        Layer::Observations => &encode::OBSERVATION_CSV_HEADER,
                        _ => &encode::INCIDENT_CSV_HEADER,
                    };
                    if excel {
                        let mut header: Vec<String> =
                            header.iter().map(|h| h.to_string()).collect();
                        header[time_col] = header[time_col].replace("_at", "_local");
                        w.write_record(&header).ok()?;
                    } else {
                        w.write_record(header).ok()?;
                    }
                }
                for &p in slice {
                    let (mut record, t): (Vec<String>, i64) = match e.layer {
                        Layer::Observations => {
                            let o = &c.observations[p as usize];
                            (encode::observation_record(o).into(), o.observed_at)
                        }
                        _ => {
                            let i = &c.incidents[p as usize];
                            (
                                encode::incident_record(i, c.incidents.source_id(p as usize))
                                    .into(),
                                i.occurred_at,
                            )
                        }
                    };
                    if excel {
                        for k in coords {
                            record[k] = record[k].replace('.', ",");
                        }
                        record[time_col] = time::copenhagen_local(t);
                        // A text cell that Excel would take for a formula (`=`, `+`, `-`, `@`,
                        // tab, CR first) is written with a leading `'`: notes and sources come
                        // from walks and imports, and this file is opened by double-click.
                        for (k, cell) in record.iter_mut().enumerate() {
                            let text = !coords.contains(&k) && k != 0 && k != time_col;
                            if text && cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                                cell.insert(0, '\'');
                            }
                        }
                    }
                    w.write_record(&record).ok()?;
                }
                out = w.into_inner().ok()?;
                if end == e.positions.len() {
                    self.closed = true;
                }
            }
            Format::Shapefile { .. } => {
                self.closed = true;
                return None;
            }
        }
        self.opened = true;
        self.next = end;
        Some(out)
    }
}

/// A temporary directory, removed with everything in it when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "hotspot-export-{}-{n}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir(&dir)?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Reads a file in pieces of 256 KiB (for streaming a made zip).
pub fn file_chunks(mut file: std::fs::File) -> impl Iterator<Item = std::io::Result<Vec<u8>>> {
    std::iter::from_fn(move || {
        let mut buf = vec![0u8; 256 * 1024];
        match file.read(&mut buf) {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some(Ok(buf))
            }
            Err(e) => Some(Err(e)),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_crs_are_checked_and_name_the_parameter() {
        assert_eq!(Format::parse("geojson", None, None), Ok(Format::GeoJson));
        assert_eq!(
            Format::parse("shapefile", Some("EPSG:25832"), None),
            Ok(Format::Shapefile { epsg: 25832 })
        );
        assert_eq!(
            Format::parse("shapefile", None, None),
            Ok(Format::Shapefile { epsg: 4326 })
        );
        assert_eq!(
            Format::parse("csv", Some("EPSG:25832"), None)
                .unwrap_err()
                .0,
            "crs"
        );
        assert_eq!(
            Format::parse("shapefile", Some("EPSG:3857"), None)
                .unwrap_err()
                .0,
            "crs"
        );
        assert_eq!(Format::parse("kml", None, None).unwrap_err().0, "format");
        assert_eq!(
            Format::parse("csv", None, Some("excel-da")),
            Ok(Format::Csv(CsvDialect::ExcelDa))
        );
        assert_eq!(
            Format::parse("csv", None, None),
            Ok(Format::Csv(CsvDialect::Rfc4180))
        );
        assert_eq!(
            Format::parse("csv", None, Some("excel")).unwrap_err().0,
            "dialect"
        );
        assert_eq!(
            Format::parse("geojson", None, Some("excel-da"))
                .unwrap_err()
                .0,
            "dialect"
        );
    }

    #[test]
    fn shapefile_dates_are_copenhagen_calendar_days() {
        let date = |t: &str| {
            let d = copenhagen_date(time::parse_rfc3339(t).unwrap()).unwrap();
            (d.year(), d.month(), d.day())
        };
        // Summer (+02:00) and winter (+01:00) either side of local midnight.
        assert_eq!(date("2012-06-30T21:59:59Z"), (2012, 6, 30));
        assert_eq!(date("2012-06-30T22:00:00Z"), (2012, 7, 1));
        assert_eq!(date("2012-12-31T22:59:59Z"), (2012, 12, 31));
        assert_eq!(date("2012-12-31T23:00:00Z"), (2013, 1, 1));
        assert!(copenhagen_date(time::days_from_civil(-1, 6, 1) * 86_400).is_none());
    }
}
