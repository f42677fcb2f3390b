use std::fmt;
use std::str::FromStr;

use super::Category;

/// How exactly an incident's position is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Precision {
    /// Geocoded to an address or building (within about 10 m).
    Address,
    /// Placed on the street where it happened (within about 50 m).
    Street,
    /// Known only to a small area such as a block or a rode.
    Area,
    /// Generalised for the public: moved to the centre of its H3 resolution-10 cell (see
    /// [`crate::privacy`]). Never stored; only the public view carries it.
    Approximate,
}

impl Precision {
    /// Every precision, most exact first.
    pub const ALL: [Precision; 4] = [
        Precision::Address,
        Precision::Street,
        Precision::Area,
        Precision::Approximate,
    ];

    /// The code used in files, URLs and the store.
    pub fn code(self) -> &'static str {
        match self {
            Precision::Address => "address",
            Precision::Street => "street",
            Precision::Area => "area",
            Precision::Approximate => "approximate",
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Precision {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Precision::ALL
            .into_iter()
            .find(|p| p.code() == s)
            .ok_or_else(|| {
                format!("unknown precision '{s}'; expected address, street, area or approximate")
            })
    }
}

/// A police-recorded incident.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    /// Stable id (the store's row id); the feature id in every output.
    pub id: i64,
    /// What happened.
    pub category: Category,
    /// When it happened, as Unix seconds (UTC).
    pub occurred_at: i64,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// How exactly the position is known.
    pub precision: Precision,
    /// Where the record came from (`synthetic-demo` for the generated demo data); one shared
    /// copy per source name.
    pub source: std::sync::Arc<str>,
    /// The record's id at its source; `(source, source_id)` is unique. Empty in the public view.
    pub source_id: Box<str>,
}
