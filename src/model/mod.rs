//! The domain types: districts, incident categories, incidents and urban-space observations.
//!
//! Everything here is in WGS84 longitude/latitude (RFC 7946 axis order) and UTC; nothing here
//! knows HTTP, SQL or file formats.

mod category;
mod district;
mod incident;
mod new;
mod observation;
pub mod time;

pub use category::{Category, ParseCategoryError};
pub use district::{District, DistrictLevel, HOTSPOT_DISTRICT_ID};
pub use incident::{Incident, Incidents, Precision, Source};
pub use new::{NewIncident, NewObservation};
pub use observation::{Observation, ObservationKind};

/// The layers the catalog holds and the store keeps: what is imported, exported, tiled and
/// served as collections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// District boundaries (bydele, safety districts, roder).
    Districts,
    /// Police-recorded incidents.
    Incidents,
    /// Safety-walk observations.
    Observations,
}

impl Layer {
    /// Parses `districts`, `incidents` or `observations`.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "districts" => Ok(Layer::Districts),
            "incidents" => Ok(Layer::Incidents),
            "observations" => Ok(Layer::Observations),
            _ => Err(format!(
                "unknown layer '{s}'; expected districts, incidents or observations"
            )),
        }
    }

    /// The layer's name as in URLs and on the command line.
    pub fn code(self) -> &'static str {
        match self {
            Layer::Districts => "districts",
            Layer::Incidents => "incidents",
            Layer::Observations => "observations",
        }
    }
}

/// A label in the two languages the product speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Labels {
    /// Danish label, as planners and residents say it.
    pub label_da: &'static str,
    /// English label.
    pub label_en: &'static str,
}

/// Checks that a WGS84 position is a real place on Earth: finite, longitude in [-180, 180],
/// latitude in [-90, 90]. Returns the name of the bad axis and why on failure.
pub fn check_lonlat(lon: f64, lat: f64) -> Result<(), (&'static str, &'static str)> {
    if !lon.is_finite() {
        return Err(("lon", "is not a finite number"));
    }
    if !lat.is_finite() {
        return Err(("lat", "is not a finite number"));
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(("lon", "is outside -180..180"));
    }
    if !(-90.0..=90.0).contains(&lat) {
        return Err(("lat", "is outside -90..90"));
    }
    Ok(())
}
