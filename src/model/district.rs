use std::fmt;
use std::str::FromStr;

use geo::{BoundingRect, MultiPolygon, Rect};

/// The id of the Hotspot programme's area: safety district 8, Indre Nørrebro west of Nørrebrogade.
pub const HOTSPOT_DISTRICT_ID: &str = "district-8";

/// The three nested kinds of area the city uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DistrictLevel {
    /// One of Copenhagen's 10 city districts (*bydele*); ids `bydel-N`.
    Bydel,
    /// One of the 35 safety/SSP districts, numbered by `distrikt_nr`; ids `district-N`.
    District,
    /// One of the 399 statistical/police sub-areas (*roder*); ids `rode-N`.
    Rode,
}

impl DistrictLevel {
    /// Every level, coarsest first.
    pub const ALL: [DistrictLevel; 3] = [
        DistrictLevel::Bydel,
        DistrictLevel::District,
        DistrictLevel::Rode,
    ];

    /// The code used in ids, URLs and files.
    pub fn code(self) -> &'static str {
        match self {
            DistrictLevel::Bydel => "bydel",
            DistrictLevel::District => "district",
            DistrictLevel::Rode => "rode",
        }
    }
}

impl fmt::Display for DistrictLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for DistrictLevel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DistrictLevel::ALL
            .into_iter()
            .find(|l| l.code() == s)
            .ok_or_else(|| format!("unknown level '{s}'; expected bydel, district or rode"))
    }
}

/// An area with a boundary: a bydel, a safety district or a rode.
#[derive(Debug, Clone, PartialEq)]
pub struct District {
    /// Stable id, `bydel-N`, `district-N` or `rode-N`.
    pub id: String,
    /// Name as the city uses it (e.g. "Blågårds" for a rode).
    pub name: String,
    /// Which of the three levels this is.
    pub level: DistrictLevel,
    /// Residents, where known (district 8: 13,988 on 1 January 2009); `None` where unknown.
    pub population: Option<u32>,
    /// Id of the enclosing area one level up (`district-N` for a rode, `bydel-N` for a district).
    pub parent: Option<String>,
    /// Boundary in WGS84 lon/lat; valid (no self-intersections).
    pub geometry: MultiPolygon<f64>,
}

impl District {
    /// Whether this is the Hotspot programme's area.
    pub fn is_hotspot(&self) -> bool {
        self.id == HOTSPOT_DISTRICT_ID
    }

    /// Bounding box in lon/lat; `None` for an empty geometry.
    pub fn bbox(&self) -> Option<Rect<f64>> {
        self.geometry.bounding_rect()
    }
}
