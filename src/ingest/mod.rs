//! Reading files into domain types. This is the only module that knows file formats and
//! coordinate systems: the shipped GeoJSON layers, and imports of GeoJSON, Shapefile and CSV
//! with reprojection to WGS84 lon/lat, category mapping and per-row validation; and an import
//! run ([`import`]): read, check, commit all or nothing, summarise.

pub mod categories;
pub mod crs;
mod csv_import;
mod geojson_import;
mod geojson_layers;
pub mod import;
pub mod options;
mod report;
mod shapefile_import;
pub mod shipped;
mod timeparse;
mod validate;

use std::io::Read;
use std::path::Path;

use crate::model::Layer;

pub use geojson_import::repair;
pub use geojson_layers::{read_districts, read_polygons, read_streets, Street};
pub use options::{CsvMapping, Format, ImportOptions, Preset};
pub use report::{Parsed, Rejected};

use crate::model::{District, NewIncident, NewObservation};

/// What can go wrong reading a file.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The text is not GeoJSON, or not the GeoJSON object expected.
    #[error("{file}: not a GeoJSON FeatureCollection: {reason}")]
    NotGeoJson {
        /// Which file.
        file: String,
        /// The parser's reason.
        reason: String,
    },
    /// One feature is unusable.
    #[error("{file}: feature {index}: {reason}")]
    BadFeature {
        /// Which file.
        file: String,
        /// 0-based position of the feature in the collection.
        index: usize,
        /// What is wrong, naming the property.
        reason: String,
    },
    /// The file as a whole cannot be read (missing part, unknown CRS, no header…).
    #[error("{file}: {reason}")]
    File {
        /// Which file.
        file: String,
        /// What is wrong.
        reason: String,
    },
}

/// Result of the ingest module.
pub type Result<T> = std::result::Result<T, IngestError>;

/// The records read from one file, by layer.
#[derive(Debug)]
pub enum Records {
    /// Districts.
    Districts(Parsed<District>),
    /// Incidents.
    Incidents(Parsed<NewIncident>),
    /// Observations.
    Observations(Parsed<NewObservation>),
}

macro_rules! each {
    ($r:expr, $p:ident => $e:expr) => {
        match $r {
            Records::Districts($p) => $e,
            Records::Incidents($p) => $e,
            Records::Observations($p) => $e,
        }
    };
}

impl Records {
    /// Rows or features read.
    pub fn read(&self) -> usize {
        each!(self, p => p.read)
    }
    /// Records that passed.
    pub fn accepted(&self) -> usize {
        each!(self, p => p.records.len())
    }
    /// Refusals.
    pub fn rejected(&self) -> &[Rejected] {
        each!(self, p => &p.rejected)
    }
    /// Rows skipped on purpose, by source type.
    pub fn ignored(&self) -> &std::collections::BTreeMap<String, usize> {
        each!(self, p => &p.ignored)
    }
    /// Source types no mapping covers.
    pub fn unmapped(&self) -> &std::collections::BTreeMap<String, usize> {
        each!(self, p => &p.unmapped)
    }
    /// Notes for the user.
    pub fn notes(&self) -> &[String] {
        each!(self, p => &p.notes)
    }
}

/// Refuses a file name or a `--source` holding a control character before anything is read:
/// either ends up in every record's source or default source id, and in the messages. The
/// error shows such a name escaped (`\n`), never raw.
fn check_names(name: &str, opts: &ImportOptions) -> Result<()> {
    validate::identifier(name).map_err(|e| IngestError::File {
        file: name.escape_debug().to_string(),
        reason: format!("the file name {e}"),
    })?;
    if let Some(source) = &opts.source {
        validate::identifier(source).map_err(|e| IngestError::File {
            file: name.to_owned(),
            reason: format!("source: {e}"),
        })?;
    }
    Ok(())
}

/// Reads a file of `format` (`auto` by extension) into `layer`.
pub fn read_file(layer: Layer, path: &Path, opts: &ImportOptions) -> Result<Records> {
    let name = path.display().to_string();
    check_names(&name, opts)?;
    let format =
        Format::resolve(opts.format.as_deref().unwrap_or("auto"), path).map_err(|reason| {
            IngestError::File {
                file: name.clone(),
                reason,
            }
        })?;
    if format == Format::Shapefile {
        let shp = shapefile_import::read(path, opts)?;
        let (fc, crs) = (&shp.features, &shp.crs);
        let origin = geojson_import::Origin::Shapefile(&shp.records);
        let mut records = match layer {
            Layer::Districts => Records::Districts(geojson_import::districts_from(
                &name, fc, crs, origin, opts,
            )?),
            Layer::Incidents => Records::Incidents(geojson_import::incidents_from(
                &name, fc, crs, origin, opts,
            )?),
            Layer::Observations => Records::Observations(geojson_import::observations_from(
                &name, fc, crs, origin, opts,
            )?),
        };
        let notes = shp.notes;
        each!(&mut records, p => { let mut n = notes; n.append(&mut p.notes); p.notes = n; });
        return Ok(records);
    }
    let file = std::fs::File::open(path).map_err(|e| IngestError::File {
        file: name.clone(),
        reason: e.to_string(),
    })?;
    read_from(layer, format, &name, std::io::BufReader::new(file), opts)
}

/// Whether `path` is read as CSV (by `opts.format`, else by its extension).
pub fn reads_as_csv(path: &Path, opts: &ImportOptions) -> bool {
    Format::resolve(opts.format.as_deref().unwrap_or("auto"), path) == Ok(Format::Csv)
}

/// Reads a CSV file of incidents, handing the records that pass to `sink` in batches as they
/// are read (see [`csv_import::read_incidents_into`]); the result counts them in `accepted`.
pub fn read_csv_incidents_into(
    path: &Path,
    opts: &ImportOptions,
    sink: &mut dyn FnMut(Vec<NewIncident>),
) -> Result<Parsed<NewIncident>> {
    let name = path.display().to_string();
    check_names(&name, opts)?;
    let file = std::fs::File::open(path).map_err(|e| IngestError::File {
        file: name.clone(),
        reason: e.to_string(),
    })?;
    csv_import::read_incidents_into(&name, std::io::BufReader::new(file), opts, sink)
}

/// Reads GeoJSON or CSV from a stream (an HTTP upload) into `layer`.
pub fn read_from(
    layer: Layer,
    format: Format,
    name: &str,
    input: impl Read,
    opts: &ImportOptions,
) -> Result<Records> {
    check_names(name, opts)?;
    match (layer, format) {
        (_, Format::Shapefile) => Err(IngestError::File {
            file: name.to_owned(),
            reason: "Shapefiles are read from disk (.shp with .shx, .dbf, .prj beside it)".into(),
        }),
        (Layer::Incidents, Format::GeoJson) => Ok(Records::Incidents(geojson_import::read_incidents(name, input, opts)?)),
        (Layer::Incidents, Format::Csv) => Ok(Records::Incidents(csv_import::read_incidents(name, input, opts)?)),
        (Layer::Observations, Format::GeoJson) => Ok(Records::Observations(geojson_import::read_observations(name, input, opts)?)),
        (Layer::Districts, Format::GeoJson) => Ok(Records::Districts(geojson_import::read_districts(name, input, opts)?)),
        (layer, Format::Csv) => Err(IngestError::File {
            file: name.to_owned(),
            reason: format!("CSV import is offered for incidents, not for {layer:?}; use GeoJSON or a Shapefile").to_lowercase(),
        }),
    }
}
