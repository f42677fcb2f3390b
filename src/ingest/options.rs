//! How to read a file: format, CRS, encoding, CSV column mapping, presets, category mapping.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::categories::{CategoryMap, POLICE_UK, VPD};
use crate::index::LonLatBox;

/// File formats the importers read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RFC 7946 GeoJSON (a legacy `crs` member is honoured).
    GeoJson,
    /// ESRI Shapefile (`.shp` + `.shx` + `.dbf`, CRS from `.prj`, encoding from `.cpg`).
    Shapefile,
    /// Delimited text with a header row.
    Csv,
}

impl Format {
    /// `auto` → from the file's extension; else the named format.
    pub fn resolve(name: &str, path: &Path) -> Result<Format, String> {
        match name {
            "geojson" | "json" => Ok(Format::GeoJson),
            "shapefile" | "shp" => Ok(Format::Shapefile),
            "csv" => Ok(Format::Csv),
            "auto" => {
                let ext = path
                    .extension()
                    .and_then(|e| e.to_str())
                    .map(str::to_ascii_lowercase)
                    .unwrap_or_default();
                match ext.as_str() {
                    "geojson" | "json" => Ok(Format::GeoJson),
                    "shp" => Ok(Format::Shapefile),
                    "csv" | "txt" | "tsv" => Ok(Format::Csv),
                    _ => Err(format!(
                        "cannot tell the format of '{}' from its extension; give --format geojson|shapefile|csv",
                        path.display()
                    )),
                }
            }
            other => Err(format!(
                "unknown format '{other}'; expected auto, geojson, shapefile or csv"
            )),
        }
    }
}

/// Column mapping of a CSV file; also the keys of a `--mapping` TOML file. Column names are
/// matched without regard to case, spaces or underscores (`Crime type` = `crime_type`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvMapping {
    /// Longitude column (WGS84 degrees).
    pub lon: Option<String>,
    /// Latitude column.
    pub lat: Option<String>,
    /// Easting column, in `crs`.
    pub x: Option<String>,
    /// Northing column, in `crs`.
    pub y: Option<String>,
    /// CRS of `x`/`y`, e.g. `EPSG:25832`.
    pub crs: Option<String>,
    /// Column with the source's crime type (incidents) or observation kind.
    pub category: Option<String>,
    /// Column with a date-time (RFC 3339, or local time in `timezone`).
    pub datetime: Option<String>,
    /// chrono format of `datetime`, e.g. `%d-%m-%Y %H:%M` or `%Y-%m` (month only).
    pub datetime_format: Option<String>,
    /// Year column (with `month`, `day`, `hour`, `minute`), local time in `timezone`.
    pub year: Option<String>,
    /// Month column (1–12).
    pub month: Option<String>,
    /// Day column (1–31).
    pub day: Option<String>,
    /// Hour column (0–23).
    pub hour: Option<String>,
    /// Minute column (0–59).
    pub minute: Option<String>,
    /// IANA time zone of local times (default `Europe/Copenhagen`).
    pub timezone: Option<String>,
    /// Column with the record's id at its source.
    pub id: Option<String>,
    /// Location precision of every row: `address`, `street` or `area` (default `street`).
    pub precision: Option<String>,
    /// Field delimiter (default `,`).
    pub delimiter: Option<char>,
    /// Rating column (observations).
    pub rating: Option<String>,
    /// Note column (observations).
    pub note: Option<String>,
    /// Source name for every row (default: the preset's or the file's name).
    pub source: Option<String>,
    /// Extra source-type → category entries.
    #[serde(default)]
    pub categories: HashMap<String, String>,
}

impl CsvMapping {
    /// Fills every unset key from `other`.
    pub fn or(mut self, other: CsvMapping) -> CsvMapping {
        macro_rules! fill {
            ($($f:ident),*) => { $( if self.$f.is_none() { self.$f = other.$f; } )* };
        }
        fill!(
            lon,
            lat,
            x,
            y,
            crs,
            category,
            datetime,
            datetime_format,
            year,
            month,
            day,
            hour,
            minute,
            timezone,
            id,
            precision,
            delimiter,
            rating,
            note,
            source
        );
        for (k, v) in other.categories {
            self.categories.entry(k).or_insert(v);
        }
        self
    }
}

/// Built-in mappings for the police formats in `../shared/data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// police.uk street-level crime CSV (either header style).
    PoliceUk,
    /// Vancouver Police Department crime data CSV (UTM 10N metres, local times).
    Vpd,
}

impl Preset {
    /// Parses a preset name.
    pub fn parse(s: &str) -> Result<Preset, String> {
        match s {
            "police-uk" | "police.uk" => Ok(Preset::PoliceUk),
            "vpd" | "vancouver" => Ok(Preset::Vpd),
            _ => Err(format!("unknown preset '{s}'; expected police-uk or vpd")),
        }
    }

    /// The preset's column mapping.
    pub fn mapping(self) -> CsvMapping {
        let s = |v: &str| Some(v.to_owned());
        match self {
            Preset::PoliceUk => CsvMapping {
                lon: s("Longitude"),
                lat: s("Latitude"),
                category: s("Crime type"),
                datetime: s("Month"),
                datetime_format: s("%Y-%m"),
                timezone: s("Europe/London"),
                id: s("Crime ID"),
                precision: s("street"),
                source: s("police.uk"),
                ..Default::default()
            },
            Preset::Vpd => CsvMapping {
                x: s("X"),
                y: s("Y"),
                crs: s("EPSG:26910"),
                category: s("TYPE"),
                year: s("YEAR"),
                month: s("MONTH"),
                day: s("DAY"),
                hour: s("HOUR"),
                minute: s("MINUTE"),
                timezone: s("America/Vancouver"),
                precision: s("street"),
                source: s("vpd"),
                ..Default::default()
            },
        }
    }

    /// The preset's category table.
    pub fn categories(self) -> CategoryMap {
        match self {
            Preset::PoliceUk => CategoryMap::from_pairs(POLICE_UK),
            Preset::Vpd => CategoryMap::from_pairs(VPD),
        }
    }

    /// Guesses a preset from a CSV header, for `--format auto` without a mapping.
    pub fn detect(headers: &[String]) -> Option<Preset> {
        let has = |n: &str| headers.iter().any(|h| norm(h) == norm(n));
        if has("Crime type") && has("Month") && has("Longitude") {
            Some(Preset::PoliceUk)
        } else if has("TYPE") && has("HUNDRED_BLOCK") && has("X") && has("Y") {
            Some(Preset::Vpd)
        } else {
            None
        }
    }
}

/// A column name folded for matching: lower case, no spaces, underscores or hyphens.
pub fn norm(s: &str) -> String {
    s.trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Everything an import needs to know besides the file.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// `auto`, `geojson`, `shapefile` or `csv`.
    pub format: Option<String>,
    /// CRS of the coordinates when the file does not say (`EPSG:N`).
    pub crs: Option<String>,
    /// Text encoding of a Shapefile's `.dbf` or of a CSV (e.g. `latin1`, `windows-1252`).
    pub encoding: Option<String>,
    /// Source name stored with every record (idempotency is per source and source id).
    pub source: Option<String>,
    /// CSV preset.
    pub preset: Option<Preset>,
    /// CSV column mapping (flags and/or `--mapping` file), over the preset.
    pub mapping: CsvMapping,
    /// Category table from `--categories FILE` (TOML), over the preset's.
    pub categories_toml: Option<String>,
    /// Only accept positions in this lon/lat box.
    pub region: Option<LonLatBox>,
    /// District layer imports: the level of every feature (`bydel`, `district`, `rode`) when
    /// the file does not carry a `level` property.
    pub level: Option<String>,
    /// District layer imports: the attribute holding the district number or id.
    pub id_field: Option<String>,
    /// District layer imports: the attribute holding the name.
    pub name_field: Option<String>,
}
